"""Make a synthetic texts folder of N English segments for the scale benchmarks.

Run from the repository root:

    python benchmarks/make_corpus.py 100000 --seed 1 --out /tmp/corpus-100k

The folder has the layout ``aligner build`` reads (see README.md, "Texts are
the record"): N English sentences spread over several works of at most
``--work-size`` segments each (so a work never outgrows what one version of a
real book is, and memory stays flat in N), each work with

* ``work.toml``: title, author, year, source; versions en (pivot), ru, es;
* ``en.txt``, ``ru.txt``, ``es.txt``: front matter (title, byline, source
  line), then letters (dateline, salutation, paragraphs of 1-6 sentences,
  closing, signature) or dated chapters, made of word lists, deterministic
  from ``--seed``;
* ``ru.slots.jsonl`` / ``es.slots.jsonl``: the translators' work in exactly
  the format ``Store.dump`` writes (each work is built alone and dumped once
  it is generated): automatic alignments (n:m: mostly 1:1, some 2:1 and 1:2,
  with a score), slots people filled in (draft/confirmed, with who, when and
  through which channel), linked to the version's sentences;
* ``ru.history.jsonl`` / ``es.history.jsonl``: one to three revisions for
  every slot a person filled (including some reverts), each with its id
  (unique across the corpus).

Every text is segmented with the project's own segmenter
(``aligner.corpus.build.segment_version``) while it is generated, so every ref and
hash in the dumps is the one ``aligner build`` will find: building the folder
and dumping it again gives the same bytes (``--verify`` checks that on a copy).

Works are written one at a time (``--jobs`` processes in parallel); nothing
is held in memory beyond one work.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from bisect import bisect_right
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aligner import record as md  # noqa: E402
from aligner.model import make_address  # noqa: E402
from aligner.corpus.build import segment_version  # noqa: E402
from aligner.model import text_hash  # noqa: E402

# --- word lists -----------------------------------------------------------------------------------------

EN_WORDS = """
the of and to in that it was for on with as his they at be this from have not by had but what all were when
we there can an your which their said if will each about how up out them then she many some so these would
other into has more her two like him see time could no make than first been its who now people my made over
did down only way find use may water long little very after words called just where most know get through
back much before go good new write our used me man too any day same right look think also around another
came come work three word must because does part even place well such here take why things help put years
different away again off went old number great tell men say small every found still between name should
home big give air line set own under read last never us left end along while might next sound below saw
something thought both few those always looked show large often together asked house world going want
school important until form food keep children feet land side without boy once animals life enough took
sometimes four head above kind began almost live page got earth need far hand high year mother light parts
country father let night following picture being study second eyes soon times story boys since white days
paper hard near sentence better best across during today others however sure means knew together hours
letter comrade village post office salary bread winter hunger workers committee council railway station
river forest field church market street town road bridge wagon horse cart coal wood fire stove lamp table
window door roof garden harvest grain flour sugar salt tea money rouble wages ration card queue doctor
school teacher pupil book newspaper printing press typewriter telegram hostage prison court judge decree
law order commissar soldier army war peace revolution freedom justice truth honour conscience mercy
""".split()

RU_WORDS = """
и в не на я быть он с что а по это она этот к но они мы как из у который то за свой что весь год от так о
для ты же все тот мочь вы человек такой его сказать только или еще бы себя один как уже до время если сам
когда другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень два день её новый рука
даже во со раз где там под можно ну какой после их работа без самый потом надо хотеть ли слово идти большой
должен место иметь ничто то сейчас тут лицо каждый друг нет теперь ни глаз тоже тогда видеть вопрос через
да здесь дом да потому сторона какой-то думать сделать страна жить чем мир об последний случай голова более
делать что-то смотреть ребенок просто конечно сила российский конец перед несколько вид система всегда
письмо товарищ деревня почта служащий жалованье хлеб зима голод рабочий комитет совет железная дорога
станция река лес поле церковь рынок улица город мост телега лошадь уголь дрова огонь печь лампа стол окно
дверь крыша сад урожай зерно мука сахар соль чай деньги рубль паёк карточка очередь врач учитель ученик
книга газета типография телеграмма заложник тюрьма суд судья декрет закон приказ комиссар солдат армия
война мир революция свобода справедливость правда честь совесть милосердие ещё всё её
""".split()

ES_WORDS = """
el la de que y a en un ser se no haber por con su para como estar tener le lo todo pero más hacer o poder
decir este ir otro ese si me ya ver porque dar cuando él muy sin vez mucho saber qué sobre mi alguno mismo
yo también hasta año dos querer entre así primero desde grande eso ni nos llegar pasar tiempo ella sí día
uno bien poco deber entonces poner cosa tanto hombre parecer nuestro tan donde ahora parte después vida
quedar siempre creer hablar llevar dejar nada cada seguir menos nuevo encontrar algo solo pues llamar venir
pensar salir volver tomar conocer vivir sentir tratar mirar contar empezar esperar buscar existir entrar
trabajar escribir perder producir ocurrir entender pedir recibir recordar terminar permitir aparecer
carta camarada aldea correo empleado salario pan invierno hambre obrero comité consejo ferrocarril
estación río bosque campo iglesia mercado calle ciudad puente carro caballo carbón leña fuego estufa lámpara
mesa ventana puerta techo jardín cosecha grano harina azúcar sal té dinero rublo ración cola médico maestro
alumno libro periódico imprenta telegrama rehén prisión tribunal juez decreto ley orden comisario soldado
ejército guerra paz revolución libertad justicia verdad honor conciencia misericordia también según
""".split()

SYLLABLES = "ka ro mi te lu va sin bor dan vel mar os ti len ko ras ne gor pla vin ya del ser tov".split()
RU_SYLLABLES = "ка ро ми те лу ва син бор дан вел мар ос ти лен ко рас не гор пла вин я дел сер тов".split()

PLACES = ["Dmitrov", "Moscow", "Tver", "Kazan", "Samara", "Tula", "Ryazan", "Vladimir", "Yaroslavl", "Kostroma"]
RU_PLACES = ["Дмитров", "Москва", "Тверь", "Казань", "Самара", "Тула", "Рязань", "Владимир", "Ярославль", "Кострома"]
MONTHS_EN = "January February March April May June July August September October November December".split()
MONTHS_RU = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
MONTHS_ES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
USERS = ["anna", "boris", "carmen", "dmitri", "elena", "fyodor", "gloria", "hugo"]
CHANNELS = ["cli", "web", "web", "web", "csv", "xliff", "tmx"]
LANGS = ("ru", "es")

# --- text ------------------------------------------------------------------------------------------------


class Writer:
    """Accumulates one version's text and remembers the span and bead of every piece written."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.owner: list[int] = []

    def put(self, text: str, owner: int) -> None:
        self.starts.append(self.pos)
        self.ends.append(self.pos + len(text))
        self.owner.append(owner)
        self.parts.append(text)
        self.pos += len(text)

    def raw(self, text: str) -> None:
        self.parts.append(text)
        self.pos += len(text)

    def owners(self, start: int, end: int) -> set[int]:
        """Owners of every piece that overlaps [start, end)."""
        i = max(bisect_right(self.starts, start) - 1, 0)
        out = set()
        while i < len(self.starts) and self.starts[i] < end:
            if self.ends[i] > start:
                out.add(self.owner[i])
            i += 1
        return out

    def text(self) -> str:
        return "".join(self.parts)


def _name(rng: random.Random, syl: list[str]) -> str:
    return "".join(rng.choice(syl) for _ in range(rng.randint(2, 3))).capitalize()


def _sentence(rng: random.Random, words: list[str], syl: list[str], n: int) -> str:
    out = []
    for i in range(n):
        w = _name(rng, syl) if rng.random() < 0.06 else rng.choice(words)
        if i and rng.random() < 0.07:
            out[-1] += ","
        if i and rng.random() < 0.015:
            out.append("–")
        if i and i < n - 1 and rng.random() < 0.01:
            w = f"[{w}]"
        out.append(w)
    while len(out[-1].strip("[],")) < 3 or out[-1] in ("–",):
        out[-1] = rng.choice(LONG[id(words)])
    out[-1] = out[-1].rstrip(",")
    out[0] = out[0][0].upper() + out[0][1:]
    end = "." if rng.random() < 0.86 else ("?" if rng.random() < 0.7 else "!")
    return " ".join(out) + end


LONG = {id(w): [x for x in w if len(x) >= 4] for w in (EN_WORDS, RU_WORDS, ES_WORDS)}
LEX = {"en": (EN_WORDS, SYLLABLES), "ru": (RU_WORDS, RU_SYLLABLES), "es": (ES_WORDS, SYLLABLES)}
RATIO = {"ru": 0.85, "es": 1.1}


def _make_work(args: tuple) -> dict:
    """Generate and write one work folder; returns counts."""
    out, seed, index, n_segments = args
    rng = random.Random(f"{seed}:{index}")
    slug = f"synthetic-{index:04d}"
    scratch = Path(out) / f".making-{slug}"  # the work is written here, then rewritten as a dump writes it
    shutil.rmtree(scratch, ignore_errors=True)
    wdir = scratch / slug
    wdir.mkdir(parents=True, exist_ok=True)
    author = f"{rng.choice('ABCDEFGHIKLMNOPRSTV')}. {_name(rng, SYLLABLES)}"
    surname = author.split()[-1]
    kind = "letters" if index % 3 != 2 else "chronicle"
    year = rng.randint(1880, 1935)
    title_en = f"{'Letters' if kind == 'letters' else 'Chronicle'} from {rng.choice(PLACES)} {index}"
    title_ru = f"{'Письма' if kind == 'letters' else 'Хроника'} {index}"
    title_es = f"{'Cartas' if kind == 'letters' else 'Crónica'} {index}"

    # A plan: blocks of "units" (one English sentence or line each) and, per language, beads over units.
    en = Writer()
    tw = {lang: Writer() for lang in LANGS}
    beads: dict[str, list[list[int]]] = {lang: [] for lang in LANGS}  # bead -> unit indices
    unit = 0

    def line(en_text: str, tr: dict[str, str]) -> None:
        nonlocal unit
        en.put(en_text, unit)
        en.raw("\n\n")
        for lang in LANGS:
            tw[lang].put(tr[lang], len(beads[lang]))
            tw[lang].raw("\n\n")
            beads[lang].append([unit])
        unit += 1

    def paragraph(n_sent: int) -> None:
        nonlocal unit
        first = unit
        lens = [rng.randint(6, 24) for _ in range(n_sent)]
        for k, n in enumerate(lens):
            if k:
                en.raw(" ")
            en.put(_sentence(rng, *LEX["en"], n), first + k)
        en.raw("\n\n")
        for lang in LANGS:
            w = tw[lang]
            k = 0
            started = False
            while k < n_sent:
                r = rng.random()
                take = 2 if (r < 0.06 and k + 1 < n_sent) else 1
                pieces = 2 if (take == 1 and 0.06 <= r < 0.12 and lens[k] >= 8) else 1
                b = len(beads[lang])
                beads[lang].append(list(range(first + k, first + k + take)))
                total = sum(lens[k:k + take])
                sizes = [max(4, round(total * RATIO[lang]))] if pieces == 1 else [
                    max(4, round(total * RATIO[lang] * 0.5)), max(4, round(total * RATIO[lang] * 0.5))]
                for sz in sizes:
                    if started:
                        w.raw(" ")
                    w.put(_sentence(rng, *LEX[lang], sz), b)
                    started = True
                k += take
            w.raw("\n\n")
        unit += n_sent

    # Front matter.
    line(title_en, {"ru": title_ru, "es": title_es})
    line(author, {"ru": f"{author.split()[0]} {surname}", "es": author})
    line(f"Source: synthetic corpus, seed {seed}, work {index}",
         {"ru": f"Источник: синтетический корпус, работа {index}", "es": f"Fuente: corpus sintético, obra {index}"})
    while unit < n_segments:
        d, m, y = rng.randint(1, 28), rng.randint(0, 11), year + rng.randint(0, 3)
        p = rng.randrange(len(PLACES))
        line(f"{PLACES[p]}, {d} {MONTHS_EN[m]} {y}",
             {"ru": f"{RU_PLACES[p]}, {d} {MONTHS_RU[m]} {y}", "es": f"{PLACES[p]}, {d} de {MONTHS_ES[m]} de {y}"})
        if kind == "letters":
            who = _name(rng, SYLLABLES)
            line(f"Dear Comrade {who},", {"ru": f"Уважаемый товарищ {_name(rng, RU_SYLLABLES)},",
                                          "es": f"Estimado camarada {who},"})
        for _ in range(rng.randint(3, 14)):
            if unit >= n_segments:
                break
            paragraph(min(rng.randint(1, 6), max(1, n_segments - unit)))
        if kind == "letters":
            line("With comradely greetings,", {"ru": "С товарищеским приветом,", "es": "Con saludos de camarada,"})
            line(author, {"ru": f"{author.split()[0]} {surname}", "es": author})

    texts = {"en": en.text(), **{lang: tw[lang].text() for lang in LANGS}}
    for key, text in texts.items():
        (wdir / f"{key}.txt").write_text(text, "utf-8")
    (wdir / "work.toml").write_text(
        f'title = "{title_en}"\nauthor = "{author}"\nyear = {year}\n'
        f'description = "Synthetic {kind}, generated by benchmarks/make_corpus.py (seed {seed})."\n'
        f'source = "benchmarks/make_corpus.py"\nlicence = "CC0"\npivot = "en"\n\n'
        f'[versions.en]\nlanguage = "en"\nrole = "pivot"\nfile = "en.txt"\n\n'
        f'[versions.ru]\nlanguage = "ru"\nrole = "original"\ntitle = "{title_ru}"\nfile = "ru.txt"\n'
        f'translator = "—"\n\n'
        f'[versions.es]\nlanguage = "es"\nrole = "translation"\ntitle = "{title_es}"\nfile = "es.txt"\n'
        f'translator = "{_name(rng, SYLLABLES)} {_name(rng, SYLLABLES)}"\nyear = {year + 40}\n',
        "utf-8",
    )

    # Segment exactly as the build will, and turn the plan into alignments over the real segments.
    work = md.load_work(wdir)
    en_doc = segment_version(work, work.pivot_version)
    en_segs = en_doc.segments
    en_hash = [text_hash(s.text) for s in en_segs]
    unit_segs: dict[int, list[int]] = {}
    parent = list(range(unit))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for i, s in enumerate(en_segs):
        owners = sorted(en.owners(s.start, s.end))
        for o in owners[1:]:
            union(owners[0], o)
        unit_segs.setdefault(owners[0], []).append(i)
    counts = {"work": slug, "en": len(en_segs)}
    base_parent = parent[:]
    for lang in LANGS:
        parent[:] = base_parent
        v = work.versions[lang]
        doc = segment_version(work, v)
        w = tw[lang]
        for b in beads[lang]:
            for u in b[1:]:
                union(b[0], u)
        seg_bead: list[int] = []
        for s in doc.segments:
            owners = sorted(w.owners(s.start, s.end))
            for o in owners[1:]:
                union(beads[lang][owners[0]][0], beads[lang][o][0])
            seg_bead.append(owners[0])
        comp_en: dict[int, list[int]] = {}
        for u, segs in unit_segs.items():
            comp_en.setdefault(find(u), []).extend(segs)
        for u in range(unit):  # units merged into an English segment belonging to another unit
            comp_en.setdefault(find(u), [])
        comp_t: dict[int, list[int]] = {}
        for j, b in enumerate(seg_bead):
            comp_t.setdefault(find(beads[lang][b][0]), []).append(j)
        counts[lang] = len(doc.segments)
        _write_dumps(rng, wdir, lang, en_segs, en_hash, doc.segments, comp_en, comp_t, seed,
                     _first_revision_id(index, lang))
    _as_dumped(scratch)
    wdir.rename(Path(out) / slug)
    shutil.rmtree(scratch)
    return counts


def _as_dumped(texts: Path) -> None:
    """Rewrite the work's dumps exactly as ``Store.dump`` writes them today: built alone, then dumped.

    The generator writes a filled slot as typed text beside its sentence left unaligned (the form of the
    earliest dumps, which a build still reads and turns into links); a real library holds what today's dump
    writes (links to the version's sentences), so that is what the build is measured on.
    """
    from aligner.corpus import Store, build

    db = texts / "scratch.db"
    build(texts, db, embeddings=False)
    Store(db, texts).dump()
    db.unlink()


def _jdump(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(", ", ": "))


def _edit(rng: random.Random, text: str, lang: str) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    if i < len(words) - 1:
        words[i] = rng.choice(LEX[lang][0])
    if i == 0:
        words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words)


def _stamp(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _first_revision_id(index: int, lang: str) -> int:
    """Revision ids are unique across the corpus (a database numbers them once for all works): each work and
    version gets its own block, so works can be written in parallel."""
    return index * 10_000_000 + ("ru", "es").index(lang) * 5_000_000 + 1


def _write_dumps(rng, wdir: Path, lang: str, en_segs, en_hash, t_segs, comp_en, comp_t, seed, first_id: int) -> None:
    """Slots and history of one version, exactly as Store.dump writes them (revisions with their ids)."""
    comps = sorted(k for k in comp_en if comp_en[k])
    slots: list[str] = []
    events: list[tuple] = []  # (time, order, slot info, step)
    t0 = 1_700_000_000 + (seed % 1000) * 86400
    order = 0
    for c in comps:
        pis = sorted(comp_en[c])
        tis = sorted(comp_t.get(c, []))
        pivot = [[en_segs[i].ref, en_hash[i]] for i in pis]
        address = make_address(en_segs[pis[0]].ref, en_segs[pis[-1]].ref)
        targets = [[t_segs[j].ref, text_hash(t_segs[j].text)] for j in tis]
        auto_text = " ".join(t_segs[j].text for j in tis)
        r = rng.random()
        if not tis or r < 0.6:
            if not tis:
                continue  # an empty slot: not in the dump
            score = round(rng.uniform(0.35, 1.0), 4)
            slots.append(_jdump({"slot": address, "pivot": pivot, "status": "auto", "targets": targets,
                                 "text": auto_text, "score": score, "via": "aligner"}))
            continue
        # A person filled this slot: a typed text, 1-3 revisions; the file's sentences stay as a 0:1 alignment.
        status = "confirmed" if r < 0.75 else "draft"
        steps = []  # (old_status, old_text, new_status, new_text, by, via, reverts_step)
        cur_s, cur_t = "auto", auto_text
        n = rng.choice((1, 1, 2, 2, 3))
        for k in range(n):
            last = k == n - 1
            if last:
                new_s = status
                new_t = auto_text if status == "confirmed" and rng.random() < 0.6 else _edit(rng, auto_text, lang)
            else:
                new_s = "draft"
                new_t = _edit(rng, auto_text, lang)
            if new_t == cur_t and new_s == cur_s:
                new_t = new_t + " —"
            steps.append([cur_s, cur_t, new_s, new_t, rng.choice(USERS), rng.choice(CHANNELS), None])
            cur_s, cur_t = new_s, new_t
        if n == 3 and rng.random() < 0.3:
            # The second change was undone: the third revision reverts it.
            steps[2] = [steps[1][2], steps[1][3], steps[1][0], steps[1][1], rng.choice(USERS), "revert", 1]
            if steps[2][2] == "auto":
                steps[2][2] = "draft"
            cur_s, cur_t = steps[2][2], steps[2][3]
        t = t0 + rng.randrange(0, 200 * 86400)
        refs = [en_segs[i].ref for i in pis]
        stamps = []
        for k, st in enumerate(steps):
            t += rng.randint(60, 30 * 86400)
            stamps.append(t)
            events.append((t, order, k, address, refs, st))
        order += 1
        after = en_segs[pis[0] - 1].ref if pis[0] > 0 else None
        slots.append(_jdump({"slot": None, "pivot": [], "status": "auto", "after": after, "targets": targets,
                             "text": auto_text, "via": "unaligned"}))
        last = steps[-1]
        slots.append(_jdump({"slot": address, "pivot": pivot, "status": cur_s, "text": cur_t, "via": last[5],
                             "by": last[4], "at": _stamp(stamps[-1])}))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    seq_of: dict[tuple[int, int], int] = {}
    hist: list[str] = []
    for rid, (t, o, k, address, refs, st) in enumerate(events, first_id):
        seq_of[(o, k)] = rid
        rec = {"id": rid, "slot": address, "segments": refs, "at": _stamp(t), "by": st[4], "via": st[5],
               "old_status": st[0], "old_text": st[1], "new_status": st[2], "new_text": st[3]}
        if st[6] is not None:
            rec["reverts"] = seq_of[(o, st[6])]
        hist.append(_jdump(rec))
    (wdir / f"{lang}.slots.jsonl").write_text("".join(x + "\n" for x in slots), "utf-8")
    if hist:
        (wdir / f"{lang}.history.jsonl").write_text("".join(x + "\n" for x in hist), "utf-8")


def make_corpus(n: int, out: str | Path, *, seed: int = 1, work_size: int = 25_000, jobs: int = 2) -> dict:
    """Write the corpus; returns totals (segments per language, works, seconds)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out}: exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    n_works = max(4, -(-n // work_size))
    sizes = [n // n_works + (1 if i < n % n_works else 0) for i in range(n_works)]
    t = time.perf_counter()
    totals = {"works": n_works, "en": 0, "ru": 0, "es": 0}
    tasks = [(str(out), seed, i + 1, size) for i, size in enumerate(sizes)]
    if jobs > 1:
        with Pool(jobs) as pool:
            results = list(pool.imap(_make_work, tasks))
    else:
        results = [_make_work(x) for x in tasks]
    for c in results:
        for k in ("en", "ru", "es"):
            totals[k] += c[k]
    totals["seconds"] = round(time.perf_counter() - t, 1)
    totals["bytes"] = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    totals["seed"] = seed
    (out / "corpus.json").write_text(json.dumps(totals) + "\n")  # last: marks the folder complete
    return totals


def verify(out: str | Path) -> None:
    """Build the folder and dump it again into a copy: the dumps must come back byte for byte."""
    from aligner.corpus import Store, build

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "texts"
        shutil.copytree(out, copy)
        db = Path(tmp) / "c.db"
        build(copy, db)
        Store(db, copy).dump()
        bad = [str(f.relative_to(out)) for f in sorted(Path(out).rglob("*.jsonl"))
               if f.read_bytes() != (copy / f.relative_to(out)).read_bytes()]
        if bad:
            raise SystemExit(f"dump after build differs from the generated files: {', '.join(bad[:5])}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of English (pivot) segments")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="folder to create (must be empty or absent)")
    ap.add_argument("--work-size", type=int, default=25_000, help="largest work, in English segments")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--verify", action="store_true", help="build and dump a copy: the dumps must be identical")
    a = ap.parse_args(argv)
    totals = make_corpus(a.n, a.out, seed=a.seed, work_size=a.work_size, jobs=a.jobs)
    print(f"{a.out}: {totals['works']} works, {totals['en']:,} en / {totals['ru']:,} ru / {totals['es']:,} es segments, "
          f"{totals['bytes'] / 1e6:,.1f} MB in {totals['seconds']} s")
    if a.verify:
        verify(a.out)
        print("verified: build then dump gives the same files")


if __name__ == "__main__":
    main()
