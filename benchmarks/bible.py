"""The Bible end to end: a real book-scale corpus imported, aligned, built and served, each step timed.

Run from the repository root:

    python benchmarks/bible.py

In a temporary folder (never the repository's texts/), one work, ``bible``:
the King James Version as pivot (``../shared/corpora/bible/en-kjv.tsv``:
book, chapter, verse, text; each reference is a block keyed ``Gen.1.1``, a hard
anchor for the aligner), then, through the command line a translator would
use, the World English Bible (``en-web.tsv``) and the Reina-Valera 1909
(``es-rv1909.tsv``) as versions with ``aligner add-version`` (copy, segment,
align automatically with ``aligner.align.align_blocks``, rebuild, dump). Then a
rebuild from the text files alone (the dumps now hold every alignment), and
Datasette serving it: a few reading pages (chapters), a search, the JSON API.
Prints the time of each step and the slot counts. If the automatic aligner
fails, that is printed and the remaining steps are timed with the versions
aligned verse by verse from their keys (``--fallback`` forces that).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIBLE = ROOT.parent / "shared" / "corpora" / "bible"
WORK = "bible"

WORK_TOML = """title = "The Holy Bible"
description = "King James Version (1769) as pivot; World English Bible and Reina-Valera 1909 aligned to it."
source = "Debian SWORD modules (sword-text-kjv, sword-text-web, sword-text-sparv)"
licence = "Public domain"
pivot = "en-kjv"

[versions.en-kjv]
language = "en"
role = "pivot"
title = "King James Version"
file = "en-kjv.tsv"
year = 1769
"""


def cli(*args: str, cwd: Path) -> tuple[float, str, float]:
    """Run the aligner command line in a fresh process; returns (seconds, output, peak MB of the child)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               ALIGNER_USER="benchmark")
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", "from aligner.cli import cli; cli()", *args], cwd=cwd,
                       capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if r.returncode != 0:
        raise RuntimeError((r.stdout + r.stderr).strip().splitlines()[-1] if (r.stdout + r.stderr).strip() else
                           f"exit {r.returncode}")
    return dt, r.stdout.strip(), peak


def key_aligned_dump(texts: Path, key: str, lang: str, source: Path) -> None:
    """The fallback: declare the version and write its slots aligned verse to verse (auto), as Store.dump would."""
    from aligner import record as md
    from aligner.text.segment import read_text, segment_tsv
    from aligner.model import text_hash

    wdir = texts / WORK
    shutil.copyfile(source, wdir / f"{key}.tsv")
    md.update_version(wdir, key, {"language": lang, "file": f"{key}.tsv", "role": "translation"})
    piv = segment_tsv(read_text(wdir / "en-kjv.tsv"), "en")
    tgt = segment_tsv(read_text(wdir / f"{key}.tsv"), lang)
    by_key: dict[str, list] = {}
    for s in tgt.segments:
        by_key.setdefault(s.key, []).append(s)
    lines, used, last_ref = [], set(), None
    order = {s.key: i for i, s in enumerate(piv.segments)}
    pending = [s for s in tgt.segments if s.key not in order]
    i = 0
    segs = piv.segments
    while i < len(segs):
        k = segs[i].key
        group = [segs[i]]
        while i + 1 < len(segs) and segs[i + 1].key == k:
            i += 1
            group.append(segs[i])
        ts = by_key.get(k, [])
        if ts:
            used.add(k)
            first, last = group[0].ref, group[-1].ref
            lines.append({"slot": first if first == last else f"{first}-{last}",
                          "pivot": [[s.ref, text_hash(s.text)] for s in group], "status": "auto",
                          "targets": [[t.ref, text_hash(t.text)] for t in ts], "text": " ".join(t.text for t in ts),
                          "score": 1.0, "via": "aligner"})
        last_ref = group[-1].ref
        i += 1
    for t in pending:  # verses the pivot does not have: kept, unaligned, at the end
        lines.append({"slot": None, "pivot": [], "status": "auto", "after": last_ref,
                      "targets": [[t.ref, text_hash(t.text)]], "text": t.text, "via": "unaligned"})
    with open(wdir / f"{key}.slots.jsonl", "w", encoding="utf-8") as fp:
        for rec in lines:
            fp.write(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) + "\n")


def serve_pages(db: Path, n: int = 5) -> list[tuple[str, float, float, int]]:
    """Start Datasette on the corpus and time a few pages (first request, then the median of n)."""
    import statistics

    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from serve import free_port, start, wait_ready

    port = free_port()
    proc, log = start(str(db), port, [], False)
    base = f"http://127.0.0.1:{port}"
    out = []
    try:
        with httpx.Client(timeout=120) as client:
            startup = wait_ready(client, base, proc, log)
            out.append(("datasette start", startup, startup, 0))
            pages = [
                ("reading page, Genesis 1", f"/-/read/{WORK}?part=1"),
                ("reading page, Psalm 119", f"/-/read/{WORK}?" + urlencode({"part": _part_of(db, "Ps.119.1.1")})),
                ("reading page JSON, John 3", f"/-/read/{WORK}.json?" + urlencode({"part": _part_of(db, "John.3.16.1")})),
                ("search 'shepherd'", f"/-/search/{WORK}?q=shepherd"),
                ("search 'pastor' (es)", f"/-/search/{WORK}?q=pastor&lang=es"),
                ("segments JSON by ref", "/corpus/segments.json?" + urlencode({"ref": "John.3.16.1", "_shape": "array"})),
                ("parallel view, one verse", "/corpus/parallel.json?" + urlencode({"segment": "John.3.16.1", "_shape": "array"})),
            ]
            for name, url in pages:
                times = []
                for _ in range(n + 1):
                    t = time.perf_counter()
                    r = client.get(base + url)
                    times.append(time.perf_counter() - t)
                    if r.status_code != 200:
                        raise RuntimeError(f"{url}: HTTP {r.status_code}")
                out.append((name, times[0], statistics.median(times[1:]), len(r.content)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return out


def _part_of(db: Path, ref: str) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = conn.execute("select division from segments where version = ? and ref = ?", [f"{WORK}/en-kjv", ref]).fetchone()
    conn.close()
    return row[0] if row else 1


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fallback", action="store_true", help="align by verse keys instead of the automatic aligner")
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    a = ap.parse_args(argv)
    for f in ("en-kjv.tsv", "en-web.tsv", "es-rv1909.tsv"):
        if not (BIBLE / f).exists():
            raise SystemExit(f"{BIBLE / f}: missing")
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="aligner-bible-"))
    tmp.mkdir(parents=True, exist_ok=True)
    texts, db = tmp / "texts", tmp / "db" / "corpus.db"
    steps: list[tuple[str, float, str]] = []
    notes: list[str] = []
    try:
        wdir = texts / WORK
        wdir.mkdir(parents=True)
        t = time.perf_counter()
        shutil.copyfile(BIBLE / "en-kjv.tsv", wdir / "en-kjv.tsv")
        (wdir / "work.toml").write_text(WORK_TOML, "utf-8")
        steps.append(("set up the work (KJV pivot)", time.perf_counter() - t, ""))
        dt, out, _ = cli("build", str(texts), "-d", str(db), cwd=tmp)
        steps.append(("aligner build (pivot only)", dt, out))
        aligned_by = "align_blocks"
        for key, lang, src in (("en-web", "en", "en-web.tsv"), ("es-rv1909", "es", "es-rv1909.tsv")):
            name = f"aligner add-version {WORK} {lang} {src} --key {key}"
            if a.fallback or aligned_by != "align_blocks":
                t = time.perf_counter()
                key_aligned_dump(texts, key, lang, BIBLE / src)
                dt, out, _ = cli("build", str(texts), "-d", str(db), "--force", cwd=tmp)
                steps.append((f"{key}: verse-key alignment + aligner build (fallback)", time.perf_counter() - t, out))
                continue
            try:
                dt, out, _ = cli("add-version", WORK, lang, str(BIBLE / src), "--key", key, "-d", str(db),
                                 "--texts", str(texts), cwd=tmp)
                steps.append((name, dt, out))
            except RuntimeError as e:
                notes.append(f"{name} failed: {e}")
                aligned_by = "verse keys (fallback)"
                t = time.perf_counter()
                key_aligned_dump(texts, key, lang, BIBLE / src)
                dt, out, _ = cli("build", str(texts), "-d", str(db), "--force", cwd=tmp)
                steps.append((f"{key}: verse-key alignment + aligner build (fallback)", time.perf_counter() - t, out))
        if a.fallback:
            aligned_by = "verse keys (--fallback)"
        dt, out, _ = cli("build", str(texts), "-d", str(db), "--force", cwd=tmp)
        steps.append(("aligner build (rebuild from the text files)", dt, out))
        dt, out, _ = cli("dump", "-d", str(db), "--texts", str(texts), cwd=tmp)
        steps.append(("aligner dump", dt, out))
        dt, out, peak = cli("status", "-d", str(db), cwd=tmp)
        steps.append(("aligner status", dt, ""))
        status = out
        pages = serve_pages(db)
    finally:
        size = db.stat().st_size if db.exists() else 0
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"Bible end to end (KJV pivot; WEB and Reina-Valera 1909 added with add-version; aligned by {aligned_by}); "
          f"database {size / 1e6:.0f} MB; peak memory of the largest step {peak:.0f} MB")
    for n in notes:
        print(f"NOTE: {n}")
    w = max(len(s[0]) for s in steps)
    print(f"{'step'.ljust(w)} | {'seconds':>8} | result")
    print("-" * w + "-|----------|-------")
    for name, dt, out in steps:
        print(f"{name.ljust(w)} | {dt:>8.1f} | {out.splitlines()[-1] if out else ''}")
    print()
    print(status)
    print()
    w = max(len(p[0]) for p in pages)
    print(f"{'served page'.ljust(w)} | {'first ms':>8} | {'median ms':>9} | {'KB':>6}")
    print("-" * w + "-|----------|-----------|-------")
    for name, first, med, size in pages:
        print(f"{name.ljust(w)} | {first * 1000:>8.0f} | {med * 1000:>9.0f} | {size / 1024:>6.1f}")


if __name__ == "__main__":
    main()
