"""Benchmark of aligner.text.sentences against other sentence splitters.

Run from the repository root:  python benchmarks/segment.py [--quick]

English: a ~5 MB text (the seed's 24 body paragraphs, then the verses of ../shared/corpora/bible/en-kjv.tsv if
that file exists, repeated until the target size; one call per paragraph, the same list for every tool).
Prints speed (chars/s), boundary precision/recall/F1 against benchmarks/data/seed_gold.en.tsv and the pySBD
English Golden Rules pass count. Russian: pass count on tests/data/ru_sentences.json and speed.
Every figure printed is measured in this run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import razdel  # noqa: E402
import sentencex  # noqa: E402

from aligner.text.sentences import _split_with_backend, split_sentences  # noqa: E402

SHARED = ROOT.parent / "shared"
GOLD = ROOT / "benchmarks" / "data" / "seed_gold.en.tsv"
GOLDEN_RULES = ROOT / "tests" / "data" / "golden_rules_en.json"
RU_CASES = ROOT / "tests" / "data" / "ru_sentences.json"
KJV = SHARED / "corpora" / "bible" / "en-kjv.tsv"
RU_OPENING = SHARED / "texts" / "kropotkin-letter2-opening.ru.txt"


# --- tools: each maps a paragraph to its list of sentence strings ------------------------------------


def ours(lang):
    return lambda text: [text[a:b] for a, b in split_sentences(text, lang)]


def ours_with(lang, backend):
    return lambda text: [text[a:b] for a, b in _split_with_backend(text, lang, backend)]


def sentencex_raw(lang):
    return lambda text: sentencex.segment(lang, text)


def razdel_raw(text):
    return [s.text for s in razdel.sentenize(text)]


def make_pysbd():
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    return seg.segment


def syntok_split(text):
    from syntok import segmenter

    return ["".join(t.spacing + t.value for t in sent) for para in segmenter.process(text) for sent in para]


def nupunkt_split(text):
    import nupunkt

    return nupunkt.sent_tokenize(text)


def installed(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def pkg(name):
    try:
        return version(name)
    except Exception:
        return "?"


# --- data ------------------------------------------------------------------------------------------------


def load_gold():
    """The seed's paragraphs and their hand-split sentences, in order."""
    paras: dict[int, list[str]] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line and line[0].isdigit():
            p, _line_no, _n, text = line.split("\t", 3)
            paras.setdefault(int(p), []).append(text)
    return [(" ".join(s), s) for _, s in sorted(paras.items())]


def english_corpus(target: int, seed_paras: list[str]):
    base = list(seed_paras)
    source = "seed paragraphs"
    if KJV.exists():
        lines = KJV.read_text(encoding="utf-8").splitlines()[1:]
        base += [cols[3] for cols in (line.split("\t", 3) for line in lines) if len(cols) == 4 and cols[3].strip()]
        source = "seed paragraphs + KJV verses (../shared/corpora/bible/en-kjv.tsv)"
    out, total, i = [], 0, 0
    while total < target:
        p = base[i % len(base)]
        out.append(p)
        total += len(p)
        i += 1
    repeats = "" if i <= len(base) else f", cycled {i / len(base):.2f}x"
    return out, source + repeats


def sample(paras: list[str], chars: int) -> list[str]:
    """Every k-th paragraph, about `chars` characters in all: the same spread of text as the whole."""
    total = sum(map(len, paras))
    step = max(1, total // chars)
    return paras[::step]


# --- measures --------------------------------------------------------------------------------------------


def chars_per_s(fn, paras, runs):
    n = sum(map(len, paras))
    fn(paras[0])  # warm up (model loading, caches)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for p in paras:
            fn(p)
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


def starts(text: str, sents: list[str]) -> set[int]:
    """Offsets in `text` where a sentence other than the first begins."""
    out, pos = set(), 0
    for k, s in enumerate(x.strip() for x in sents):
        if not s:
            continue
        i = text.find(s, pos)
        if i < 0:  # the tool changed the text; skip this sentence
            continue
        if k:
            out.add(i)
        pos = i + len(s)
    out.discard(0)
    return out


def prf(fn, gold):
    tp = fp = fn_ = 0
    for text, expected in gold:
        g, p = starts(text, expected), starts(text, fn(text))
        tp += len(g & p)
        fp += len(p - g)
        fn_ += len(g - p)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn_) if tp + fn_ else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def passes(fn, cases):
    return sum([s.strip() for s in fn(c["text"]) if s.strip()] == c["expected"] for c in cases)


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def fmt_rate(x):
    return f"{x:,.0f}" if x is not None else "–"


# --- main ------------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="0.5 MB English text, 0.1 MB sample (a fast check)")
    args = ap.parse_args(argv)
    target, sample_chars, ru_target = (500_000, 100_000, 100_000) if args.quick else (5_000_000, 1_000_000, 1_000_000)

    gold = load_gold()
    rules = json.loads(GOLDEN_RULES.read_text(encoding="utf-8"))["rules"]
    rule_cases = [{"text": r["text"], "expected": r["expected"]} for r in rules]
    paras, source = english_corpus(target, [t for t, _ in gold])
    small = sample(paras, sample_chars)
    n_full, n_small = sum(map(len, paras)), sum(map(len, small))

    tools = [
        (f"aligner (sentencex {pkg('sentencex')} + rules)", ours("en"), True),
        (f"sentencex {pkg('sentencex')} raw", sentencex_raw("en"), True),
    ]
    # reference tools, measured when installed (pysbd and syntok come with the test extras)
    if installed("nupunkt"):
        tools.append((f"nupunkt {pkg('nupunkt')}", nupunkt_split, True))
    if installed("pysbd"):
        tools.append((f"pysbd {pkg('pysbd')}", make_pysbd(), False))
    if installed("syntok"):
        tools.append((f"syntok {pkg('syntok')}", syntok_split, False))
    missing = [m for m in ("nupunkt", "pysbd", "syntok") if not installed(m)]
    print(f"English text: {n_full:,} chars in {len(paras):,} paragraphs ({source}); one call per paragraph.")
    print(
        f"Sample: every {max(1, n_full // sample_chars)}th paragraph, {n_small:,} chars in {len(small):,} "
        "paragraphs; pysbd and syntok are timed on the sample only (1 run), the others on both (median of 3)."
    )
    if missing:
        print(f"Not installed, so not measured: {', '.join(missing)}.")
    print(f"Gold: {len(gold)} seed paragraphs, {sum(len(s) for _, s in gold)} sentences ({GOLD.relative_to(ROOT)}).")
    print()
    rows, ours_small = [], None
    for name, fn, fast in tools:
        full = chars_per_s(fn, paras, 3) if fast else None
        part = chars_per_s(fn, small, 3 if fast else 1)
        if ours_small is None:
            ours_small = part
        p, r, f = prf(fn, gold)
        rows.append(
            [
                name,
                fmt_rate(full),
                fmt_rate(part),
                f"{ours_small / part:,.1f}x",
                f"{p:.3f}",
                f"{r:.3f}",
                f"{f:.3f}",
                f"{passes(fn, rule_cases)}/{len(rule_cases)}",
            ]
        )
    table(
        ["English splitter", "chars/s (full)", "chars/s (sample)", "aligner ÷ tool", "P", "R", "F1", "Golden Rules"],
        rows,
    )

    # Russian
    cases = json.loads(RU_CASES.read_text(encoding="utf-8"))["cases"]
    ru_base = [c["text"] for c in cases]
    if RU_OPENING.exists():
        ru_base += [line for line in RU_OPENING.read_text(encoding="utf-8").splitlines() if line.strip()]
    ru_paras, total = [], 0
    while total < ru_target:
        ru_paras.append(ru_base[len(ru_paras) % len(ru_base)])
        total += len(ru_paras[-1])
    ru_tools = [
        (f"aligner (razdel {pkg('razdel')} + rules) [chosen]", ours("ru")),
        (f"aligner rules on sentencex {pkg('sentencex')}", ours_with("ru", "sentencex")),
        (f"razdel {pkg('razdel')} raw", razdel_raw),
        (f"sentencex {pkg('sentencex')} raw", sentencex_raw("ru")),
    ]
    print()
    print(
        f"Russian: {len(cases)} cases ({RU_CASES.relative_to(ROOT)}); speed on those texts and the real opening, "
        f"cycled to {total:,} chars in {len(ru_paras):,} calls (median of 3)."
    )
    print()
    table(
        ["Russian splitter", "cases passed", "chars/s"],
        [[name, f"{passes(fn, cases)}/{len(cases)}", fmt_rate(chars_per_s(fn, ru_paras, 3))] for name, fn in ru_tools],
    )


if __name__ == "__main__":
    main()
