#!/usr/bin/env python3
"""Benchmark of the automatic sentence aligner (``aligner/align/``).

    python benchmarks/align.py           # everything (about 3 minutes on 2 cores)
    python benchmarks/align.py --quick   # a small subset (about 20 s)
    python benchmarks/align.py --ablation  # what each signal buys on Text+Berg dev (and test0-6)

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
* a synthetic 10,000 x 10,000 sentence pair (deterministic from a seed).

Nothing is downloaded: the data are in ``../shared/`` beside the repository and in
``benchmarks/data/``.
"""

from __future__ import annotations

import argparse
import csv
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small subset: Bible Mark only, synthetic 2,000 sentences")
    ap.add_argument("--ablation", action="store_true",
                    help="instead: Text+Berg dev and test0-6 F1 as the signals are switched on one by one")
    args = ap.parse_args(argv)
    if args.ablation:
        run_ablation()
        return
    split, split_name = get_splitter()
    table = Table()
    run_text_berg(table, args.quick)
    run_kropotkin(table)
    if BIBLE.exists():
        run_bible(table, args.quick, split)
    run_synthetic(table, args.quick)
    import os

    print(f"# aligner benchmark{' (--quick)' if args.quick else ''}: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores; Bible sentences split by {split_name}; "
          f"time = wall clock, peak MB = peak resident memory added by the call (forked child, VmHWM)")
    print(table.render())


if __name__ == "__main__":
    main()
