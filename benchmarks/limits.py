"""What the limits against hostile input cost and save: one run, printed with ratios.

Run from the repository root (no arguments, about half a minute):

    python benchmarks/limits.py

Builds the shipped corpus into a temporary folder and serves it in process
(Datasette's ASGI client, the plugin registered), then times, each the median
of a few runs:

* search: an ordinary word, the largest query the page accepts
  (``MAX_QUERY_WORDS`` different words, under ``MAX_QUERY_CHARS``), and the
  issue's 30 KB query (``"the " * 7500``), which the page refuses; for scale,
  what a 1,500-word query costs the search function when nothing bounds it;
* request bodies: a normal sign-in POST, a POST declaring 400 MB (refused from
  its Content-Length) and one streaming 16 MB without a length (refused at
  the limit);
* XLSX: reading a normal export, and the issue's bomb (the same export with a
  190 MB XML comment in its sheet, about 200 KB packed), refused from the ZIP
  directory.

Figures are from this run on this machine; compare the ratios, not the
absolute times.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK = "kropotkin-two-letters-to-lenin"


def median_time(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def amedian_time(loop, make, runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = loop.run_until_complete(make())
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def row(label: str, seconds: float, base: float, note: str = "") -> str:
    return f"| {label:<52} | {seconds * 1000:>10.1f} | {seconds / base:>8.1f}x | {note}"


def main() -> None:
    import sqlite3

    from datasette.app import Datasette

    from aligner.corpus import Store, build
    from aligner.formats.xlsx import read_xlsx
    from aligner.web import ensure_registered, guard, search
    from aligner.web.auth import add_user

    tmp = Path(tempfile.mkdtemp(prefix="aligner-limits-"))
    try:
        texts = tmp / "texts"
        shutil.copytree(ROOT / "texts", texts, ignore=shutil.ignore_patterns("*.jsonl"))
        db = tmp / "corpus.db"
        build(texts, db)
        users = tmp / "users.json"
        add_user(users, "anna", "correct horse", iterations=1000)
        ensure_registered()
        ds = Datasette([str(db)], metadata={"plugins": {"aligner": {"users_file": str(users)}}},
                       settings={"sql_time_limit_ms": 3000})
        loop = asyncio.new_event_loop()

        print("Search (/-/search/<work>), milliseconds, ratio to one ordinary word:")
        print("| request | ms | ratio | answer")
        # The commonest words, so that every term matches many sentences: the worst query the page accepts.
        words = ["the", "of", "and", "to", "in", "a", "that", "is", "was", "it", "be", "not", "by", "for", "with",
                 "as", "on", "this", "which", "all"]
        biggest = " ".join(words[: search.MAX_QUERY_WORDS])
        cases = [("one word", "hostages"), (f"{search.MAX_QUERY_WORDS} common words (the most accepted)", biggest),
                 ("30 KB: 'the ' * 7500 (refused)", "the " * 7500)]
        base = None
        for label, query in cases:
            url = f"/-/search/{WORK}.json?q=" + quote(query)
            secs, r = amedian_time(loop, lambda url=url: ds.client.get(url))
            base = base or secs
            print(row(label, secs, base, f"{r.status_code}"))
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        q = "the " * 1500
        secs = median_time(lambda: search.search(conn, WORK, q, None), runs=1)
        print(row("unbounded: 1,500 words straight to search()", secs, base, "what the limit saves"))

        print()
        print("Request bodies (POST /-/aligner-login), milliseconds, ratio to a normal sign-in form:")
        print("| request | ms | ratio | answer")

        async def normal():
            return await ds.client.post("/-/aligner-login", data={"username": "x", "password": "y"})

        async def declared():
            async def body():
                yield b"x" * 65536  # the rest never comes: refused from the header

            return await ds.client.post("/-/aligner-login", content=body(),
                                        headers={"content-length": str(400 * 1024 * 1024)})

        async def streamed():
            async def body():
                for _ in range(256):
                    yield b"x" * 65536

            return await ds.client.post("/-/aligner-login", content=body())

        base, r = amedian_time(loop, normal)
        print(row("form of a few bytes (no CSRF token)", base, base, str(r.status_code)))
        for label, make in (("declares 400 MB", declared), ("streams 16 MB, no length", streamed)):
            secs, r = amedian_time(loop, make)
            print(row(label, secs, base, f"{r.status_code} (limit {guard.MAX_BODY_BYTES:,} bytes)"))

        print()
        print("XLSX, milliseconds, ratio to reading the export:")
        print("| file | ms | ratio | answer")
        Store(db, texts).set_slot(WORK, "ru", "25.1", "Текст", "draft", actor="anna")
        export = tmp / "ru.xlsx"
        from aligner.formats import registry

        registry.for_output(str(export), "xlsx").export(Store(db), WORK, "ru", str(export))
        base = median_time(lambda: read_xlsx(export))
        print(row(f"export ({export.stat().st_size:,} bytes)", base, base, "read"))
        bomb = tmp / "bomb.xlsx"
        with zipfile.ZipFile(export) as z, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for info in z.infolist():
                data = z.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    k = data.index(b"<sheetData>")
                    data = data[:k] + b"<!--" + b"A" * (190 * 1024 * 1024) + b"-->" + data[k:]
                out.writestr(info.filename, data)

        def refuse():
            try:
                read_xlsx(bomb)
            except Exception as e:  # noqa: BLE001 - the message is what we print
                return str(e)

        secs = median_time(refuse, runs=3)
        print(row(f"bomb ({bomb.stat().st_size:,} bytes, 190 MB comment)", secs, base, "refused: ZIP bomb"))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
