"""Strict and lax precision / recall / F1 for sentence alignments.

The measure is the one used by Vecalign's and Bertalign's scorers (Sennrich &
Volk 2011, "Iterative, MT-based sentence alignment of parallel texts"):

* An alignment is a set of *beads* ``(src_ids, tgt_ids)``; ``[3, 4]:[5]`` is a
  2:1 bead, ``[]:[7]`` an inserted target sentence (0:1), ``[2]:[]`` a deleted
  source sentence (1:0).
* **strict**: a predicted bead is right only if the identical bead is in the gold.
* **lax**: a predicted bead is right if one of its source sentences is aligned in
  the gold to one of its target sentences (so a 2:1 predicted as 1:1 + 0:1 gets
  the 1:1 part right, the 0:1 part wrong).
* precision is taken over all predicted beads (insertions and deletions
  included); recall is precision with the roles of gold and prediction swapped
  after dropping 1:0 and 0:1 beads from both; counts are summed over all
  documents before dividing (micro-average), F1 from those.

Stdlib only. "Score" elsewhere in the aligner is a bead's confidence (the
optional third field of a ladder line); measuring an alignment against a gold
one is called *evaluating* here. The ladder format reader/writer is shared with
the benchmark. Run ``python -m aligner.align.evaluate -g GOLD... -t TEST...``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

BeadPair = tuple[tuple[int, ...], tuple[int, ...]]

__all__ = [
    "parse_ladder_line",
    "read_ladder",
    "format_ladder_line",
    "write_ladder",
    "as_pairs",
    "precision_counts",
    "evaluate",
    "evaluate_multiple",
    "per_type_recall",
    "bead_type",
    "merge_within_gold",
]

_LADDER_RE = re.compile(r"^\s*\[([^\]]*)\]\s*:\s*\[([^\]]*)\]\s*(?::\s*(\S+))?\s*$")


def _ids(text: str) -> tuple[int, ...]:
    text = text.strip()
    if not text:
        return ()
    return tuple(int(x) for x in text.split(","))


def parse_ladder_line(line: str) -> tuple[tuple[int, ...], tuple[int, ...], float | None]:
    """Parse ``[3, 4]:[5]`` or ``[3, 4]:[5]:0.87`` into ``((3, 4), (5,), score)``.

    ``score`` is ``None`` when the line has none.
    """
    m = _LADDER_RE.match(line)
    if not m:
        raise ValueError(f"not a ladder line: {line!r}")
    score = float(m.group(3)) if m.group(3) is not None else None
    return _ids(m.group(1)), _ids(m.group(2)), score


def read_ladder(source: str | Path | TextIO | Iterable[str]) -> list[BeadPair]:
    """Read a ladder file (path, open file or iterable of lines); blank lines and ``#`` comments are skipped."""
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        lines = list(source)
    out: list[BeadPair] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        s, t, _ = parse_ladder_line(line)
        out.append((s, t))
    return out


def format_ladder_line(src: Sequence[int], tgt: Sequence[int], score: float | None = None) -> str:
    """``[3, 4]:[5]`` (Vecalign's format); with ``score``, ``[3, 4]:[5]:0.870``."""
    line = f"[{', '.join(str(i) for i in src)}]:[{', '.join(str(i) for i in tgt)}]"
    if score is not None:
        line += f":{score:.3f}"
    return line


def write_ladder(beads: Iterable, out: TextIO, *, with_score: bool = False) -> None:
    """Write beads (``Bead`` objects or ``(src, tgt)`` pairs), one ladder line each."""
    for b in beads:
        if hasattr(b, "src"):
            src, tgt, sc = b.src, b.tgt, getattr(b, "score", None)
        else:
            src, tgt = b[0], b[1]
            sc = b[2] if len(b) > 2 else None
        out.write(format_ladder_line(src, tgt, sc if with_score else None) + "\n")


def as_pairs(beads: Iterable) -> list[BeadPair]:
    """Normalise ``Bead`` objects, pairs of lists, or pairs of tuples to pairs of tuples."""
    out = []
    for b in beads:
        if hasattr(b, "src"):
            out.append((tuple(b.src), tuple(b.tgt)))
        else:
            out.append((tuple(b[0]), tuple(b[1])))
    return out


def precision_counts(gold: Iterable, test: Iterable) -> tuple[int, int, int, int]:
    """``(tp_strict, fp_strict, tp_lax, fp_lax)`` of ``test`` beads against ``gold``."""
    test_set = {b for b in as_pairs(test) if b[0] or b[1]}
    gold_set = {b for b in as_pairs(gold) if b[0] or b[1]}
    src_to_gold_tgt: dict[int, set[int]] = defaultdict(set)
    for gs, gt in gold_set:
        for s in gs:
            src_to_gold_tgt[s].update(gt)
    tps = fps = tpl = fpl = 0
    for bead in test_set:
        if bead in gold_set:
            tps += 1
            tpl += 1
            continue
        fps += 1
        linked: set[int] = set()
        for s in bead[0]:
            linked |= src_to_gold_tgt.get(s, set())
        if linked.intersection(bead[1]):
            tpl += 1
        else:
            fpl += 1
    return tps, fps, tpl, fpl


def _ratio(num: int, den: int, default: float) -> float:
    return num / den if den else default


def _f1(p: float, r: float, default: float) -> float:
    return 2 * p * r / (p + r) if p + r else default


def evaluate_multiple(gold_list: Sequence[Iterable], test_list: Sequence[Iterable], value_for_div_by_0: float = 0.0) -> dict:
    """Micro-averaged strict/lax precision, recall and F1 over several documents.

    Returns a dict with ``precision_strict``, ``recall_strict``, ``f1_strict``,
    ``precision_lax``, ``recall_lax``, ``f1_lax`` and the raw ``counts``.
    """
    if len(gold_list) != len(test_list):
        raise ValueError("gold_list and test_list differ in length")
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for gold, test in zip(gold_list, test_list):
        gold, test = as_pairs(gold), as_pairs(test)
        for k, v in enumerate(precision_counts(gold, test)):
            p[k] += v
        test_nd = [b for b in test if b[0] and b[1]]
        gold_nd = [b for b in gold if b[0] and b[1]]
        # recall = precision with roles swapped, insertions/deletions dropped
        for k, v in enumerate(precision_counts(test_nd, gold_nd)):
            r[k] += v
    d = value_for_div_by_0
    ps, pl = _ratio(p[0], p[0] + p[1], d), _ratio(p[2], p[2] + p[3], d)
    rs, rl = _ratio(r[0], r[0] + r[1], d), _ratio(r[2], r[2] + r[3], d)
    return {
        "precision_strict": ps,
        "recall_strict": rs,
        "f1_strict": _f1(ps, rs, d),
        "precision_lax": pl,
        "recall_lax": rl,
        "f1_lax": _f1(pl, rl, d),
        "counts": {"precision": tuple(p), "recall": tuple(r)},
    }


def evaluate(gold: Iterable, test: Iterable) -> dict:
    """Strict/lax P/R/F1 of one document (see :func:`evaluate_multiple`)."""
    return evaluate_multiple([list(gold)], [list(test)])


def bead_type(bead) -> str:
    """``"2-1"`` for a bead with two source and one target sentence."""
    s, t = as_pairs([bead])[0]
    return f"{len(s)}-{len(t)}"


def per_type_recall(gold_list: Sequence[Iterable], test_list: Sequence[Iterable]) -> dict[str, tuple[int, int]]:
    """For each gold bead type, ``(found, total)``: how many gold beads appear identically in the prediction.

    Unlike :func:`evaluate_multiple`'s recall this also counts 1:0 and 0:1 gold beads.
    """
    found: Counter = Counter()
    total: Counter = Counter()
    for gold, test in zip(gold_list, test_list):
        tset = set(as_pairs(test))
        for b in as_pairs(gold):
            if not b[0] and not b[1]:
                continue
            k = bead_type(b)
            total[k] += 1
            if b in tset:
                found[k] += 1
    return {k: (found[k], total[k]) for k in total}


def merge_within_gold(test: Iterable, gold: Iterable) -> list[BeadPair]:
    """Merge predicted beads that fall wholly inside one gold bead.

    Used for verse-level evaluation (the Bible): the gold beads are whole
    verses, and a prediction that splits a verse more finely than the gold
    (e.g. ``[0]:[0]`` + ``[1]:[1]`` inside the verse ``[0, 1]:[0, 1]``, or a
    sentence of the verse left as 1:0 next to the rest of it) is not an error.
    A predicted bead is merged with the others of the same gold bead when
    all its source and target sentences belong to that gold bead; beads that
    straddle two gold beads are kept as they are. Order of first appearance is kept.
    """
    gold = as_pairs(gold)
    src_owner: dict[int, int] = {}
    tgt_owner: dict[int, int] = {}
    for k, (gs, gt) in enumerate(gold):
        for s in gs:
            src_owner[s] = k
        for t in gt:
            tgt_owner[t] = k
    out: list = []
    slot_of: dict[int, int] = {}
    for s, t in as_pairs(test):
        owners = {src_owner.get(i, -1) for i in s} | {tgt_owner.get(j, -1) for j in t}
        owner = owners.pop() if len(owners) == 1 else -1
        if owner < 0:
            out.append([list(s), list(t)])
            continue
        if owner in slot_of:
            idx = slot_of[owner]
            out[idx][0].extend(s)
            out[idx][1].extend(t)
        else:
            slot_of[owner] = len(out)
            out.append([list(s), list(t)])
    return [(tuple(sorted(s)), tuple(sorted(t))) for s, t in out]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aligner.align.evaluate -g GOLD... -t TEST...``: print strict/lax P/R/F1 (micro-averaged)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m aligner.align.evaluate", description=main.__doc__)
    ap.add_argument("-g", "--gold", nargs="+", required=True, help="gold ladder files")
    ap.add_argument("-t", "--test", nargs="+", required=True, help="predicted ladder files, same order")
    args = ap.parse_args(argv)
    if len(args.gold) != len(args.test):
        ap.error("as many test files as gold files are needed")
    golds = [read_ladder(p) for p in args.gold]
    tests = [read_ladder(p) for p in args.test]
    r = evaluate_multiple(golds, tests)
    print("            strict   lax")
    for name in ("precision", "recall", "f1"):
        print(f"{name:<10}  {r[name + '_strict']:.3f}   {r[name + '_lax']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
