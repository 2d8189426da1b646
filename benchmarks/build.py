"""How fast ``aligner build`` is at library scale, against raw SQLite inserts of the same rows.

Run from the repository root:

    python benchmarks/build.py --sizes 10000,100000,1000000

For each size N it makes (or reuses) a synthetic texts folder of N English
segments with ``benchmarks/make_corpus.py`` under ``--workdir``, then, each in
a fresh subprocess so that peak memory (``ru_maxrss``) is that step's alone:

* **build**: ``aligner.corpus.build(texts, db)``, timed;
* **raw**: the same rows read back from the built database and written with
  ``sqlite3`` ``executemany`` into a fresh database with the same schema (the
  project's migrations: same tables, same indexes), the same views and the
  same full-text index (``enable_search``), in one transaction, timed.

It prints one table: segments (N, English), rows total (all rows of the
project's tables; the FTS index is not counted but is built on both sides),
build seconds, rows/s, raw rows/s, their ratio (goal >= 0.6 at 1M), peak memory
of the build (goal: flat in N) and database bytes per English segment. Every
figure is measured in this run. ``--profile`` also writes a cProfile of the
build at the smallest size and prints its top functions. ``--repeat N`` runs
build and raw N times each, alternately (the machine's speed drifts: on a
shared 2-core machine the raw side's CPU time for the same statements varied
by a third between runs), and prints the medians, with the lowest and highest
of the per-run ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABLES = ("works", "versions", "divisions", "segments", "alignments", "alignment_pivots", "alignment_targets",
          "revisions", "revision_segments", "build")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and of the worker processes it waited for (a build reads ahead in workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _worker_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def child_build(texts: str, db: str, profile: str | None, jobs: int | None = None) -> dict:
    from aligner.corpus import build

    if os.path.exists(db):
        os.remove(db)
    t, c = time.perf_counter(), _cpu()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        report = prof.runcall(build, texts, db, force=True, jobs=0)  # one process, so the profile sees it all
        prof.dump_stats(profile)
    else:
        report = build(texts, db, force=True, jobs=jobs)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "cpu": _cpu() - c, "maxrss_mb": _maxrss_mb(), "worker_mb": _worker_maxrss_mb(),
            "segments": report.segments,
            "alignments": report.alignments, "revisions": report.revisions}


def child_raw(src: str, dst: str) -> dict:
    import sqlite3

    import sqlite_utils

    from aligner.corpus.schema import create_views, enable_search, migrations

    if os.path.exists(dst):
        os.remove(dst)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    t, c = time.perf_counter(), _cpu()
    db = sqlite_utils.Database(dst, recreate=True)
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    rows = 0
    with db.conn:
        for table in TABLES:
            cols = [r[1] for r in source.execute(f"PRAGMA table_info([{table}])")]
            names = ", ".join(f"[{c}]" for c in cols)
            cur = db.conn.executemany(
                f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' * len(cols))})",
                source.execute(f"SELECT {names} FROM [{table}] ORDER BY rowid"),
            )
            rows += cur.rowcount
        create_views(db)
    enable_search(db)
    db.conn.commit()
    db.close()
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "cpu": _cpu() - c, "rows": rows, "maxrss_mb": _maxrss_mb()}


def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def count_rows(db: str) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = sum(conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in TABLES)
    conn.close()
    return n


def ensure_corpus(n: int, workdir: Path, seed: int) -> Path:
    texts = workdir / f"corpus-{n}"
    done = texts / "corpus.json"  # written last by make_corpus.py
    if not (done.exists() and json.loads(done.read_text())["seed"] == seed):
        import shutil

        shutil.rmtree(texts, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), str(n), "--seed", str(seed),
                        "--out", str(texts)], check=True)
    return texts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default="/tmp/aligner-bench", help="where corpora and databases go (reused)")
    ap.add_argument("--profile", action="store_true", help="cProfile the build at the smallest size (one process)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="the build's worker processes (default: as `aligner build` chooses; 0: none)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="build and raw this many times each, alternately; medians are printed (default 1)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, *rest = a.child
        if kind == "build":
            jobs = None if rest[3] == "auto" else int(rest[3])
            res = child_build(rest[0], rest[1], rest[2] or None, jobs)
        else:
            res = child_raw(rest[0], rest[1])
        print(json.dumps(res))
        return

    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in a.sizes.split(",")]
    header = ("segments", "rows total", "build s", "rows/s", "raw s", "raw rows/s", "ratio", "cpu s build/raw",
              "ratio cpu", "peak MB", "worker peak MB", "raw peak MB", "db bytes/seg")
    load = os.getloadavg()[0]
    lines = []
    for i, n in enumerate(sizes):
        texts = ensure_corpus(n, workdir, a.seed)
        db = workdir / f"build-{n}.db"
        prof = str(workdir / f"build-{n}.prof") if (a.profile and i == 0) else None
        runs = []
        for k in range(max(1, a.repeat)):
            b = _run_child("build", str(texts), str(db), prof if k == 0 and prof else "",
                           "auto" if a.jobs is None else str(a.jobs))
            rows = count_rows(str(db))
            r = _run_child("raw", str(db), str(workdir / f"raw-{n}.db"))
            assert r["rows"] == rows, (r["rows"], rows)
            runs.append((b, r))
            print(f"  {n:,} run {k + 1}: build {b['seconds']:.1f} s, raw {r['seconds']:.1f} s, "
                  f"ratio {r['seconds'] / b['seconds']:.2f}", file=sys.stderr, flush=True)
        b = _median_run([x[0] for x in runs])
        r = _median_run([x[1] for x in runs])
        ratios = sorted(x[1]["seconds"] / x[0]["seconds"] for x in runs)
        n_en = _en_segments(str(db))
        size = db.stat().st_size
        lines.append((f"{n_en:,}", f"{rows:,}", f"{b['seconds']:.1f}", f"{rows / b['seconds']:,.0f}",
                      f"{r['seconds']:.1f}", f"{rows / r['seconds']:,.0f}", _ratio_text(ratios),
                      f"{b['cpu']:.1f}/{r['cpu']:.1f}", f"{r['cpu'] / b['cpu']:.2f}", f"{b['maxrss_mb']:.0f}", f"{b['worker_mb']:.0f}", f"{r['maxrss_mb']:.0f}",
                      f"{size / n_en:,.0f}"))
        os.remove(workdir / f"raw-{n}.db")
        if prof:
            import pstats

            print(f"\ncProfile of the build at {n:,} (top 25 by own time; {prof}):", file=sys.stderr)
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    widths = [max(len(h), *(len(x[k]) for x in lines)) for k, h in enumerate(header)]
    print(f"aligner build (jobs: {'auto' if a.jobs is None else a.jobs}) vs raw sqlite3 executemany (same rows, "
          f"schema, views, FTS); sqlite {_sqlite_version()}, "
          f"{os.cpu_count()} cores, load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for x in lines:
        print(" | ".join(v.rjust(w) for v, w in zip(x, widths)))


def _median_run(results: list[dict]) -> dict:
    """Each figure's median over the runs (the lower middle one for an even number)."""
    return {k: sorted(x[k] for x in results)[(len(results) - 1) // 2] for k in results[0]}


def _ratio_text(ratios: list[float]) -> str:
    """The median ratio of the runs, with their range when there were several."""
    mid = ratios[(len(ratios) - 1) // 2]
    return f"{mid:.2f}" if len(ratios) == 1 else f"{mid:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}, {len(ratios)} runs)"


def _en_segments(db: str) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = conn.execute("select count(*) from segments s join versions v on v.id = s.version where v.role = 'pivot'").fetchone()[0]
    conn.close()
    return n


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    main()
