"""The row editor at Bible scale: how long one operation takes, the page update included.

Run from the repository root:

    python benchmarks/edit.py                 # the whole Bible: KJV pivot, WEB aligned to it (~31,000 rows)
    python benchmarks/edit.py --generated     # a generated keyed book of the same size (no ../shared needed)
    python benchmarks/edit.py --db /tmp/aligner-bench/edit-bible.db   # reuse a database built before

Builds (once, in a temporary folder unless ``--db`` names one that exists) a work whose version has about
31,000 rows, then posts the editor's operations to ``/-/op/<work>/<key>`` through Datasette's own ASGI test
client, as the reading page does (``Accept: application/json``, the CSRF token, a signed-in translator), at
rows drawn with a fixed seed from every book. Each answer holds the re-rendered rows of the chapter shown, so
the time is the whole round trip a translator waits for: the store's transaction and revision, then the
chapter's page rows. Operations come in pairs that undo each other (move down / move up, merge / split,
shift down / shift up, detach / attach; then the rest of the part aligned again), so every one acts on a
realistic row. Prints p50, p95 and max per
operation (goal: every p95 < 100 ms). ``--dump`` also writes the text record after each operation, as a
server configured with ``texts_dir`` does: in the write thread right after the answer, rewriting the version's
whole ``.slots.jsonl``, so an operation posted before that is done waits for it; ``--pause S`` leaves S
seconds between operations, as a translator reading each row does.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIBLE = ROOT.parent / "shared" / "corpora" / "bible"

WORK_TOML = """title = "The Holy Bible"
pivot = "kjv"

[versions.kjv]
language = "en"
role = "pivot"
title = "King James Version"
file = "en-kjv.tsv"

[versions.web]
language = "en"
role = "translation"
title = "World English Bible"
file = "en-web.tsv"
"""


def generated(folder: Path, chapters: int = 1189, verses: int = 26) -> None:
    """A keyed book of about 31,000 verses in two wordings (chapters of 26 verses, as many as the Bible has)."""
    words = ["light", "darkness", "waters", "earth", "heaven", "firmament", "seed", "fruit", "evening", "morning"]
    for name, form in (("en-kjv.tsv", "And he said, Let the {a} be upon the {b}, chapter {c} verse {v}."),
                       ("en-web.tsv", "Then he said, the {a} is over the {b}, chapter {c} verse {v}.")):
        lines = ["book\tchapter\tverse\ttext"]
        for c in range(1, chapters + 1):
            for v in range(1, verses + 1):
                lines.append(f"Gen\t{c}\t{v}\t" + form.format(a=words[(c * 7 + v) % 10], b=words[(c + v * 3) % 10],
                                                               c=c, v=v))
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_db(db: Path, use_generated: bool) -> Path:
    from aligner.corpus import build

    texts = db.parent / (db.stem + "-texts")
    if db.exists():
        return texts
    work = texts / "bible"
    work.mkdir(parents=True, exist_ok=True)
    (work / "work.toml").write_text(WORK_TOML, encoding="utf-8")
    if use_generated:
        generated(work)
    else:
        for name in ("en-kjv.tsv", "en-web.tsv"):
            shutil.copy(BIBLE / name, work / name)
    t = time.perf_counter()
    build(texts, db)
    print(f"built {db} in {time.perf_counter() - t:.1f} s")
    return texts


def sample_rows(db: Path, n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` pivot rows (ref, division) that hold exactly one WEB sentence, with neighbours alike, spread over
    the whole text."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "select s.ref, s.division, a.position, (select count(*) from alignment_targets t where t.alignment = a.id),"
        " (select count(*) from alignment_pivots p where p.alignment = a.id)"
        " from alignments a join alignment_pivots ap on ap.alignment = a.id join segments s on s.id = ap.segment"
        " where a.version = 'bible/web' and a.address is not null order by a.position").fetchall()
    conn.close()
    good = [rows[i][:2] for i in range(1, len(rows) - 2)
            if all(rows[j][3] == 1 and rows[j][4] == 1 for j in (i - 1, i, i + 1, i + 2))
            and rows[i][1] == rows[i + 1][1]]
    rng = random.Random(seed)
    return rng.sample(good, n)


async def run(db: Path, texts: Path, n: int, seed: int, dump: bool, pause: float = 0.0) -> dict[str, list[float]]:
    from datasette.app import Datasette

    from aligner.corpus import queries
    from aligner.web import auth, ensure_registered
    from aligner.web.editor import row_token

    ensure_registered()
    tmp = Path(tempfile.mkdtemp(prefix="aligner-edit-users-"))
    users = tmp / "users.json"
    auth.add_user(users, "bench", "a long enough password", iterations=1000)
    config = {"users_file": str(users)}
    if dump:
        config["texts_dir"] = str(texts)
    ds = Datasette([str(db)], metadata={"plugins": {"aligner": config}})
    actor = {"id": "bench", "aligner": auth.fingerprint(ds, auth.users(ds)["bench"]["hash"])}
    cookies = {"ds_actor": auth.actor_cookie(ds, actor)}
    r = await ds.client.get("/-/read/bible?with=web&part=1", cookies=cookies)
    assert r.status_code == 200 and 'data-editor="1"' in r.text, r.text[:500]
    tok = r.cookies.get("ds_csrftoken") or re.search(r'name="csrftoken" value="([^"]+)"', r.text).group(1)
    cookies["ds_csrftoken"] = tok
    conn = sqlite3.connect(db)
    times: dict[str, list[float]] = {}

    async def op(name: str, row: str, part: int, **fields) -> dict:
        if pause:
            await asyncio.sleep(pause)  # a translator reading the row (and the text record being written)
        token = row_token(conn, "bible", "web", "kjv", row)
        data = {"op": name, "row": row, "token": token, "csrftoken": tok,
                "next": f"/-/read/bible?with=web&part={part}", **fields}
        t = time.perf_counter()
        r = await ds.client.post("/-/op/bible/web", data=data, cookies=cookies,
                                 headers={"Accept": "application/json"})
        elapsed = time.perf_counter() - t
        body = r.json()
        assert r.status_code == 200 and body["ok"] and body["html"], (name, row, r.status_code, body.get("error"))
        times.setdefault(name, []).append(elapsed * 1000)
        return body

    def nxt(ref: str) -> str:
        pos = conn.execute("select position from segments where version = 'bible/kjv' and ref = ?", [ref]).fetchone()
        return conn.execute("select ref from segments where version = 'bible/kjv' and position > ? order by position"
                            " limit 1", [pos[0]]).fetchone()[0]

    for ref, part in sample_rows(db, n, seed):
        conn.commit()
        await op("confirm", ref, part)
        await op("move-down", ref, part)
        await op("move-up", nxt(ref), part)
        await op("merge", ref, part)
        await op("split", ref, part)
        await op("shift-down", ref, part)
        await op("shift-up", nxt(ref), part)
        trefs = queries.row_state(conn, "bible/web", "bible/kjv", "web", ref)["trefs"]
        body = await op("detach", ref, part)
        left = f"web:{trefs[0]}"
        assert f'data-row="{left}"' in body["html"], f"no leftover row {left} on the page after detaching {ref}"
        below = re.search(rf'name="row" value="{re.escape(left)}">.*?name="below" value="([^"]+)"', body["html"],
                          re.S).group(1)
        await op("attach-down", left, part, below=below)
        await op("realign", ref, part)  # the rest of the part aligned again around the rows people decided
        await op("confirm-through", ref, part)
        if pause:
            await asyncio.sleep(pause)
        t = time.perf_counter()
        r = await ds.client.post("/-/op/bible/web", data={"op": "undo", "csrftoken": tok,
                                                          "next": f"/-/read/bible?with=web&part={part}"},
                                 cookies=cookies, headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json()["ok"], r.text[:300]
        times.setdefault("undo", []).append((time.perf_counter() - t) * 1000)
    conn.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, help="database to build (if missing) and use")
    ap.add_argument("--generated", action="store_true", help="a generated keyed book instead of KJV + WEB")
    ap.add_argument("--rows", type=int, default=30, help="rows to act on (each gets every operation once)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dump", action="store_true", help="write the text record after each operation too")
    ap.add_argument("--pause", type=float, default=0.0, help="seconds between operations (not timed)")
    args = ap.parse_args()
    use_generated = args.generated or not (BIBLE / "en-web.tsv").is_file()
    db = args.db or Path(tempfile.mkdtemp(prefix="aligner-edit-")) / ("edit-generated.db" if use_generated
                                                                       else "edit-bible.db")
    db.parent.mkdir(parents=True, exist_ok=True)
    texts = build_db(db, use_generated)
    conn = sqlite3.connect(db)
    nrows = conn.execute("select count(*) from alignments where version = 'bible/web'").fetchone()[0]
    conn.close()
    print(f"{'generated book' if use_generated else 'KJV + WEB'}: {nrows:,} rows in the version;"
          f" {args.rows} rows acted on, seed {args.seed}{', text record dumped' if args.dump else ''}"
          f"{f', {args.pause:g} s between operations' if args.pause else ''}")
    times = asyncio.run(run(db, texts, args.rows, args.seed, args.dump, args.pause))
    print()
    print("| operation       | n   | p50 ms | p95 ms | max ms |")
    print("|-----------------|-----|--------|--------|--------|")
    for name, ms in times.items():
        ms = sorted(ms)
        p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        print(f"| {name:<15} | {len(ms):<3} | {statistics.median(ms):6.1f} | {p95:6.1f} | {ms[-1]:6.1f} |")


if __name__ == "__main__":
    main()
