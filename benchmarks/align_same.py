#!/usr/bin/env python3
"""Do two versions of the aligner give the same alignments? (for changes meant to be speed only)

    python benchmarks/align_same.py dump /tmp/new.json                       # this checkout
    python benchmarks/align_same.py dump /tmp/old.json --code ../old-checkout  # another one (e.g. a worktree of main)
    python benchmarks/align_same.py compare /tmp/old.json /tmp/new.json

``dump`` aligns Text+Berg test0-6 and dev, KJV Mark against Reina-Valera 1909 and against the World
English Bible (flat sentences, verse blocks, keyed blocks against one plain paragraph), the shifted
Mark of ``benchmarks/align.py`` and the Kropotkin gold (blocks and sentences, partial or not), and
writes every bead with its score and every unrounded posterior ``aligner.align.dp.posteriors``
returned (the scores are rounded to four places and calibrated, which could hide a small change).
``compare`` checks that the beads are identical and the posteriors equal to 1e-9, and prints the largest
differences (of the posteriors and of the calibrated scores, which also change with the confidence model). The feature dictionaries are built from sets of strings, so the order in which
an anchor's gains are summed, and with it the last bits of a cost, changes from one interpreter run to
the next: set ``PYTHONHASHSEED`` to the same value for both dumps to compare bit for bit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def dump(out: Path, code: Path) -> None:
    sys.path.insert(0, str(code))
    import aligner.align.blocks as blocks  # first, so that the import below finds this one

    sys.path.insert(0, str(HERE))
    import align as bench  # this directory's benchmarks/align.py: the data loaders

    if not Path(blocks.__file__).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"aligner imported from {blocks.__file__}, not from {code}")
    raw: list[list[float]] = []
    posteriors = blocks.posteriors

    def recording(*args, **kwargs):
        result = posteriors(*args, **kwargs)
        raw.append(list(result))
        return result

    blocks.posteriors = recording
    runs = {}

    def run(name, fn):
        raw.clear()
        beads = fn()
        runs[name] = {"posteriors": list(raw), "beads": [[list(b.src), list(b.tgt), b.score] for b in beads]}

    t0 = time.perf_counter()
    for name in [f"test{k}" for k in range(7)] + ["dev"]:
        s, t, _ = bench.load_text_berg(name)
        run(f"Text+Berg {name}", lambda: bench.align_sentences(s, t, "de", "fr"))
    srows, trows, _ = bench.load_gold_file(bench.KROPOTKIN_GOLD)
    for partial in (True, False):
        run(f"Kropotkin blocks partial={partial}", lambda: bench.align_blocks(
            bench.rows_to_blocks(srows), bench.rows_to_blocks(trows), "en", "ru", partial=partial))
        run(f"Kropotkin sentences partial={partial}", lambda: bench.align_sentences(
            [r[3] for r in srows], [r[3] for r in trows], "en", "ru", partial=partial))
    if bench.BIBLE.exists():
        split = bench.get_splitter()[0]
        kjv = bench.load_bible(bench.BIBLE / "en-kjv.tsv", ["Mark"])["Mark"]
        for other, lang in (("es-rv1909.tsv", "es"), ("en-web.tsv", "en")):
            ov = bench.load_bible(bench.BIBLE / other, ["Mark"])["Mark"]
            fs, ft, bs, bt, _ = bench.bible_book(kjv, ov, "en", lang, split)
            run(f"Mark KJV-{other} sentences", lambda: bench.align_sentences(fs, ft, "en", lang))
            run(f"Mark KJV-{other} verse blocks", lambda: bench.align_blocks(bs, bt, "en", lang))
            plain = [bench.Block("paragraph", [x for b in bt for x in b.sentences])]
            run(f"Mark KJV-{other} keyed against plain", lambda: bench.align_blocks(bs, plain, "en", lang))
        bs, bt, _, _ = bench.shifted_mark(split)
        run("Mark shifted", lambda: bench.align_blocks(bs, bt, "en", "es"))
    out.write_text(json.dumps(runs))
    print(f"{len(runs)} runs written to {out} in {time.perf_counter() - t0:.1f} s")


def compare(a_path: Path, b_path: Path, tol: float = 1e-9) -> int:
    """Exit status 1 when the beads or the posteriors differ; a change of the calibrated scores alone
    (a new confidence model over the same search) is reported, not counted."""
    a, b = json.loads(a_path.read_text()), json.loads(b_path.read_text())
    problems = []
    worst_post = worst_score = 0.0
    count = 0
    if set(a) != set(b):
        problems.append(f"different runs: {sorted(set(a) ^ set(b))}")
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        if [bd[:2] for bd in x["beads"]] != [bd[:2] for bd in y["beads"]]:
            problems.append(f"{name}: the beads differ")
            continue
        worst_score = max([worst_score] + [abs(u[2] - v[2]) for u, v in zip(x["beads"], y["beads"])])
        if [len(p) for p in x["posteriors"]] != [len(p) for p in y["posteriors"]]:
            problems.append(f"{name}: the posterior calls differ")
            continue
        for p, q in zip(x["posteriors"], y["posteriors"]):
            count += len(p)
            worst_post = max([worst_post] + [abs(u - v) for u, v in zip(p, q)])
    if worst_post > tol:
        problems.append(f"posteriors differ by more than {tol}")
    print(f"{len(a)} runs, {sum(len(r['beads']) for r in a.values())} beads, {count} posteriors; "
          f"largest difference of a posterior {worst_post:.3g}, of a (calibrated, rounded) score {worst_score:.3g}")
    for p in problems:
        print("DIFFERENT:", p)
    if problems:
        print("not the same")
        return 1
    print("same beads and posteriors" + ("" if worst_score <= tol else "; the calibrated scores differ (confidence model)"))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump", help="align the data sets, write beads and posteriors as JSON")
    d.add_argument("out", type=Path)
    d.add_argument("--code", type=Path, default=HERE.parent, help="checkout whose aligner to run (default: this one)")
    c = sub.add_parser("compare", help="compare two dumps")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        dump(args.out, args.code)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
