"""Shared test helpers: paths of the shipped texts, database comparison, required-tool handling, spreadsheet slots."""

from pathlib import Path

import pytest
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
SHARED = ROOT.parent / "shared"
WORK = "kropotkin-two-letters-to-lenin"
SEED = TEXTS / WORK / "en.txt"


def seed_texts(dest: Path) -> Path:
    """The seed in ``dest``: a copy of the shipped Kropotkin work as it stands before any version has text.

    The shipped folder also holds the Russian opening, checked by hand, and translators' files; the tests
    of filling slots start from the pivot alone, so those are left out and ``ru`` is declared without its
    file (the shipped corpus itself is the ``shipped_texts`` fixture).
    """
    import shutil

    import tomlkit

    shutil.copytree(TEXTS / WORK, dest / WORK,
                    ignore=shutil.ignore_patterns("*.slots.jsonl", "*.history.jsonl", "ru.txt"))
    toml = dest / WORK / "work.toml"
    doc = tomlkit.parse(toml.read_text("utf-8"))
    for key in ("file", "source", "licence"):
        doc["versions"]["ru"].pop(key, None)
    toml.write_text(tomlkit.dumps(doc), "utf-8")
    return dest


def table_rows(path) -> dict:
    """Every row of every table (except the build time), to compare databases."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    out = {}
    for t in db.table_names():
        if t.startswith("segments_fts") or t == "_sqlite_migrations":
            continue
        rows = [dict(r) for r in db[t].rows]
        if t == "build":
            for r in rows:
                r.pop("built_at", None)
        out[t] = rows
    db.close()
    return out


def not_installed(reason: str):
    """Skip (with the reason) when a schema or tool package is missing; fail instead under ALIGNER_REQUIRE_SCHEMAS=1 (CI)."""
    import os

    if os.environ.get("ALIGNER_REQUIRE_SCHEMAS"):
        pytest.fail(reason)
    pytest.skip(reason)


def shared_file(*parts: str) -> Path:
    """A file of the shared corpus beside the repository (``../shared``): a test that needs one fails without it."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"{path}: missing; the shared corpus must sit beside the repository as ../shared")
    return path


def fill_some_slots(store):
    """A few slots of both versions filled by three translators, one of them changed twice."""
    store.set_slot(WORK, "ru", "2.1", "Два письма Ленину", "confirmed", actor="anna")
    store.set_slot(WORK, "ru", "24.1-24.2", "Неужели не нашлось среди Вас никого, чтобы напомнить ...", actor="anna")
    store.set_slot(WORK, "ru", "25.1", "Неужели никто из Вас не вдумался в то, — что такое заложник.", actor="boris")
    store.set_slot(WORK, "es", "33.1", "Con saludos de camarada,\n«entre comillas» & <b>", actor="carmen")
    store.set_slot(WORK, "ru", "25.1", "Исправлено.", "confirmed", actor="anna")
# ---------------------------------------------------------------------------
# The web plugin: a Datasette over a test database, translators, forms, a Bible-shaped work

HOSTILE = "<script>alert(1)</script> \"quotes' &amp; \u202eevil\u202c"
FAST = 1000  # PBKDF2 iterations for test users: fast, still a real hash
#: The two ru slots of the ``edited_db`` fixture.
RU_24 = "Неужели нет никого около Вас, чтобы напомнить о заложниках? Ещё не поздно."
RU_25 = "Возможно, никто не объяснил, что такое заложник."

BOOKS = [("Gen", 12), ("Exod", 10), ("Ruth", 4)]
WORDS = ["light", "darkness", "waters", "earth", "heaven", "firmament", "seed", "fruit", "evening", "morning"]


def verse_text(book: str, c: int, v: int, variant: int = 0) -> str:
    w = WORDS[(c * 7 + v) % len(WORDS)]
    w2 = WORDS[(c + v * 3) % len(WORDS)]
    if variant:
        return f"Then {book} said, the {w} is over the {w2}, chapter {c} verse {v}."
    return f"And {book} said, Let the {w} be upon the {w2}, chapter {c} verse {v}."


def make_bible(tmp_path: Path, *, verses: int = 40) -> tuple[Path, Path]:
    """A work ``bible`` with a KJV-like pivot TSV (26 chapters of 40 verses) and an empty typed version ``web``."""
    from aligner.corpus import build

    texts = tmp_path / "texts"
    wdir = texts / "bible"
    wdir.mkdir(parents=True)
    lines = ["book\tchapter\tverse\ttext"]
    for book, chapters in BOOKS:
        for c in range(1, chapters + 1):
            for v in range(1, verses + 1):
                lines.append(f"{book}\t{c}\t{v}\t{verse_text(book, c, v)}")
    (wdir / "en-kjv.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (wdir / "work.toml").write_text(
        'title = "The Bible (sample)"\npivot = "kjv"\n'
        '[versions.kjv]\nlanguage = "en"\nrole = "pivot"\ntitle = "King James"\nfile = "en-kjv.tsv"\n'
        '[versions.web]\nlanguage = "en"\nrole = "translation"\ntitle = "World English"\n',
        encoding="utf-8",
    )
    db = tmp_path / "bible.db"
    build(texts, db)
    return db, texts


def fill_bible(db: Path, chapters: list[tuple[str, int]], *, verses: int = 40) -> None:
    """Type the ``web`` text of some chapters (a reworded verse each) in one transaction."""
    from aligner.model import Edit
    from aligner.corpus import Store

    edits = [Edit(f"{b}.{c}.{v}.1", verse_text(b, c, v, variant=1), "draft")
             for b, c in chapters for v in range(1, verses + 1)]
    Store(db).apply_edits("bible", "web", edits, actor="loader", channel="import")


def make_shifted_book(tmp_path: Path, *, chapters: int = 4, verses: int = 40) -> tuple[Path, Path]:
    """A work ``mark``: a book as a KJV-like pivot TSV and a WEB-like TSV of its own, aligned, then spoiled the
    way an aligner spoils one: in chapter 2 verse 11 is empty, verses 12-20 hold the verse before each and
    verse 21 holds verses 20 and 21 (a run of 10 verses shifted by one row); in chapter 3 verse 5 holds
    verse 6 too (a merged verse) and verse 6 is empty. Returns ``(db, texts)``."""
    from aligner.corpus import Store, build

    texts = tmp_path / "texts"
    wdir = texts / "mark"
    wdir.mkdir(parents=True)
    for name, variant in (("en-kjv.tsv", 0), ("en-web.tsv", 1)):
        lines = ["book\tchapter\tverse\ttext"] + [
            f"Mark\t{c}\t{v}\t{verse_text('Mark', c, v, variant)}"
            for c in range(1, chapters + 1) for v in range(1, verses + 1)]
        (wdir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (wdir / "work.toml").write_text(
        'title = "Mark (sample)"\npivot = "kjv"\n'
        '[versions.kjv]\nlanguage = "en"\nrole = "pivot"\ntitle = "King James"\nfile = "en-kjv.tsv"\n'
        '[versions.web]\nlanguage = "en"\nrole = "translation"\ntitle = "World English"\nfile = "en-web.tsv"\n',
        encoding="utf-8",
    )
    db = tmp_path / "mark.db"
    build(texts, db)
    store = Store(db, texts)
    store.shift("mark", "web", "Mark.2.11.1", "down", actor="aligner-sim")
    store.shift("mark", "web", "Mark.2.22.1", "up", actor="aligner-sim")  # the rest as it was, 2.21 holding two
    store.move("mark", "web", "Mark.3.6.1", "up", actor="aligner-sim")
    return db, texts


def web_rows(db: Path, work: str = "mark", key: str = "web") -> dict[str, tuple[list[str], str]]:
    """Each pivot row of a version: its first pivot ref -> (the version's refs in it, status)."""
    from aligner.corpus import Store

    store = Store(db)
    v = store.version(work, key)
    out = {}
    for link in store._links(v["id"]):
        segs = store._segment_rows(link["pivots"] + link["targets"])
        refs = [segs[t]["ref"] for t in link["targets"]]
        name = segs[link["pivots"][0]]["ref"] if link["pivots"] else f"{key}:{refs[0]}"
        out[name] = (refs, link["status"])
    return out


def datasette(db: Path, *, users: Path | None = None, texts: Path | None = None, immutable: bool = False):
    """A Datasette over ``db`` with the plugin (registered even when the package is not installed)."""
    from datasette.app import Datasette

    from aligner.web import ensure_registered

    ensure_registered()
    config = {}
    if users is not None:
        config["users_file"] = str(users)
    if texts is not None:
        config["texts_dir"] = str(texts)
    metadata = {"plugins": {"aligner": config}} if config else {}
    if immutable:
        return Datasette([], immutables=[str(db)], metadata=metadata)
    return Datasette([str(db)], metadata=metadata)


async def get(ds, path: str, status=200, **kw):
    """GET a page, asserting its status (one code or a tuple of them)."""
    r = await ds.client.get(path, **kw)
    expected = status if isinstance(status, tuple) else (status,)
    assert r.status_code in expected, (path, r.status_code, r.text[:800])
    return r


async def post(ds, path: str, data: dict, cookies: dict, **kw):
    return await ds.client.post(path, data=data, cookies=cookies, **kw)


def add_translator(path: Path, name: str = "anna", password: str = "correct horse") -> str:
    from aligner.web import auth

    return auth.add_user(path, name, password, iterations=FAST)


def signed_in(ds, name: str = "anna") -> dict:
    """Cookies of a translator signed in through the login page (the same cookie it sets)."""
    from aligner.web import auth

    user = auth.users(ds)[name]
    actor = {"id": name, "aligner": auth.fingerprint(ds, user["hash"], auth.generation(ds, name))}
    return {"ds_actor": auth.actor_cookie(ds, actor)}


async def csrf(ds, path: str, cookies: dict) -> tuple[str, dict]:
    """GET a page with a form: its CSRF token, and the cookies to post with."""
    import re

    r = await ds.client.get(path, cookies=cookies)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    token = r.cookies.get("ds_csrftoken") or cookies.get("ds_csrftoken")
    if token is None:
        token = re.search(r'name="csrftoken" value="([^"]+)"', r.text).group(1)
    return token, {**cookies, "ds_csrftoken": token}


def set_alignment(db: Path, work: str, key: str, address: str, **cols) -> None:
    """Change columns of one alignment directly (status auto, score, stale: things only machines set)."""
    import sqlite3

    conn = sqlite3.connect(db)
    sets = ", ".join(f"{k} = ?" for k in cols)
    conn.execute(f"update alignments set {sets} where version = ? and address = ?",
                 [*cols.values(), f"{work}/{key}", address])
    conn.commit()
    conn.close()


# --------------------------------------------------------------------------
# small parallel texts for the aligner's tests (tests/test_align_*.py)

EN = [
    "The expedition left the village early in the morning.",
    "For three days the porters carried the loads up the valley.",
    "On the fourth day a storm forced everybody back to the tents.",
    "When the weather cleared, two climbers set out for the ridge.",
    "They reached the summit late in the afternoon and came down safely.",
    "The whole party returned home a month later.",
]
DE = [
    "Die Expedition verliess das Dorf frueh am Morgen.",
    "Drei Tage lang trugen die Traeger die Lasten das Tal hinauf.",
    "Am vierten Tag zwang ein Sturm alle zurueck in die Zelte.",
    "Als das Wetter aufklarte, brachen zwei Bergsteiger zum Grat auf.",
    "Sie erreichten den Gipfel spaet am Nachmittag und kamen sicher herunter.",
    "Die ganze Gruppe kehrte einen Monat spaeter nach Hause zurueck.",
]


NAMES = ["Amstutz", "Brunner", "Casparis", "Dufour", "Egger", "Fankhauser", "Gurtner", "Hofer", "Imboden",
         "Jossi", "Kaufmann", "Lauber", "Moser", "Nydegger", "Oberli", "Perren", "Rubi", "Steuri", "Theiler",
         "Urfer", "Vogt", "Wyss", "Zurbriggen", "Aufdenblatten", "Biner"]


def long_text():
    en = [f"In {1900 + 3 * k} {NAMES[k]} led the party to camp {k + 2} below the ridge." for k in range(25)]
    de = [f"Im Jahr {1900 + 3 * k} fuehrte {NAMES[k]} die Gruppe zum Lager {k + 2} unter dem Grat." for k in range(25)]
    return en, de


def pairs(beads):
    return [(b.src, b.tgt) for b in beads]


def check_cover(beads, n, m):
    """Every index once, in order: the invariant of every result."""
    src = [i for b in beads for i in b.src]
    tgt = [j for b in beads for j in b.tgt]
    assert src == list(range(n))
    assert tgt == list(range(m))
    for b in beads:
        assert b.src or b.tgt
        assert 0.0 <= b.score <= 1.0
        assert list(b.src) == list(range(b.src[0], b.src[0] + len(b.src))) if b.src else True
        assert list(b.tgt) == list(range(b.tgt[0], b.tgt[0] + len(b.tgt))) if b.tgt else True


def letter_vector(text: str) -> list[float]:
    """A deterministic stand-in for a sentence embedding: how many words start with each of a..j (plus a floor)."""
    words = text.lower().replace(".", " ").split()
    return [0.1 + sum(1 for w in words if w[0] == c) for c in "abcdefghij"]


def model_and_sides(src, tgt, src_lang="en", tgt_lang="de", *, embedded: bool = False, **options):
    """The cost model and both sides of a sentence-level problem, as the aligner builds them (``embedded``:
    with an embedding term over :func:`letter_vector`; equal languages: with the overlap term)."""
    from aligner.align.cost import Model, Problem, Side, Similarity, estimate_ratio, same_language
    from aligner.align.options import resolve_options

    opts = resolve_options(options)
    problem = Problem(src, tgt, src_lang, tgt_lang, opts)
    sim = Similarity([letter_vector(t) for t in src], [letter_vector(t) for t in tgt], w=3.0, tau=0.3) if embedded else None
    overlap = opts["w_overlap"] if same_language(src_lang, tgt_lang) else 0.0  # as aligner.align.blocks does
    model = Model(opts, estimate_ratio(problem, opts, False), problem.weights, sim, overlap)
    S = Side(problem.src_lens, problem.src_feats, problem.src_junk, list(range(len(src) + 1)), list(range(len(src))))
    T = Side(problem.tgt_lens, problem.tgt_feats, problem.tgt_junk, list(range(len(tgt) + 1)), list(range(len(tgt))))
    # as aligner.align.blocks sets them on sentence sides: the last of a range is never open
    S.open, T.open = problem.src_open[:-1] + [0], problem.tgt_open[:-1] + [0]
    return model, S, T


# --- spreadsheets (CSV, XLSX) -------------------------------------------------------------


def make_slots() -> list:
    """Slots whose texts a spreadsheet would mangle: formulas, dashes, apostrophes, numbers, tabs."""
    from aligner.model import Slot

    return [
        Slot("letters", "ru", "24.1", ["24.1"], 'Dear, "Vladimir" Ilyich,', "Дорогой Владимир Ильич!", "confirmed"),
        Slot("letters", "ru", "24.2-24.3", ["24.2", "24.3"], "I write.", "— Пишу вам\nиз Дмитрова.", "draft"),
        Slot("letters", "ru", "24.10", ["24.10"], "Dialogue.", "- Да, — сказал он.", "auto"),
        Slot("letters", "ru", "24.11", ["24.11"], "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "draft"),
        Slot("letters", "ru", "24.12", ["24.12"], "Quote.", "'Tis so.", "draft"),
        Slot("letters", "ru", "24.13", ["24.13"], "Not yet.", "", "empty"),
        Slot("letters", "ru", "Gen.1.1.2", ["Gen.1.1.2"], "1920", "+7 @home\tтаб", "draft"),
    ]


def sheet_key(edits):
    """What a spreadsheet round trip must keep of each edit."""
    return [(e.address, e.text, e.status, e.token, e.source_text) for e in edits]


def sheet_want(slots):
    """:func:`sheet_key` of the slots that were written."""
    return [(s.address, s.text, s.status, s.token, s.pivot_text) for s in slots]


#: Characters and cell values that spreadsheets treat specially, for drawing texts.
SPECIAL = ["=", "-", "+", "@", "'", "''", "\t", "\n", " ", ",", ";", '"', "<", "&", "\u200f", "\u202e", "\u0301",
           "😀", "\u00a0", "\ufeff", "ё", "0", "1", ".", "e", "TRUE", "%", "/", ":"]
addresses = st.from_regex(r"\A(Gen\.)?[1-9][0-9]{0,2}\.[0-9]{1,2}(-[1-9][0-9]{0,2}\.[0-9]{1,2})?\Z")


@st.composite
def slot_lists(draw, texts):
    """Lists of slots with distinct addresses, texts drawn from ``texts``."""
    from aligner.model import Slot

    out = []
    for a in draw(st.lists(addresses, min_size=1, max_size=6, unique=True)):
        status = draw(st.sampled_from(["empty", "auto", "draft", "confirmed"]))
        text = "" if status == "empty" else draw(texts.filter(bool))
        out.append(Slot("w", "ru", a, a.split("-"), draw(texts), text, status))
    return out


def one_line_error(fn, path, **kw):
    """The InputError ``fn(path)`` raises; it names the file and is one line."""
    from aligner.errors import InputError

    with pytest.raises(InputError) as info:
        fn(path, **kw)
    err = info.value
    assert str(path) in str(err) and "\n" not in str(err)
    return err


def text_blocks(text: str, lang: str) -> list:
    """A text segmented with its structure, as the aligner's blocks (what the build hands it)."""
    from aligner.align import Block
    from aligner.text.segment import blocks_of, segment_text

    return [Block(kind=b[0].kind, sentences=[s.text for s in b], key=b[0].key, division=b[0].division)
            for b in blocks_of(segment_text(text, lang).segments)]


def misalign(store, key: str = "ru") -> None:
    """Leave the automatic rows as a weak alignment would: 25.1's sentence in the row above (24.1-24.2)."""
    conn = store.db.conn

    def alignment_of(ref):
        return conn.execute(
            "select ap.alignment from alignment_pivots ap join segments s on s.id = ap.segment"
            " join alignments a on a.id = ap.alignment where s.ref = ? and a.version = ?",
            [ref, f"{WORK}/{key}"]).fetchone()[0]

    with conn:
        conn.execute("update alignment_targets set alignment = ? where alignment = ?",
                     [alignment_of("24.1"), alignment_of("25.1")])
