"""Response times of the published corpus at library scale (Datasette over a large database).

Run from the repository root, on a database built by ``benchmarks/build.py``:

    python benchmarks/serve.py --db /tmp/aligner-bench/build-1000000.db --readme
    python benchmarks/serve.py --db /tmp/aligner-bench/build-1000000.db

``--readme`` starts the server exactly as the README does (``aligner serve DB``); without it,
``datasette`` is started as ``aligner serve`` starts it (a subprocess on 127.0.0.1 and a free port,
``db/metadata.yml``, the same settings, the project's plugin when ``aligner/web/`` exists), so that
``--setting`` and ``--tuned`` can vary it. Either way it warms every endpoint up, then times a bounded
number of requests per endpoint (``--requests``, default 50), one at a time,
each with a different target drawn from the database with a fixed seed
(a different part, segment, word or page), and prints p50/p95/max per
endpoint (goal: every p95 < 100 ms). ``--choices`` times, without a server, each choice made so that
the shipped configuration is fast at this size, before and after. ``--explain`` also prints SQLite's
``EXPLAIN QUERY PLAN`` for the SQL behind the table pages (as Datasette
reports it in the ``.json`` of the page) and for the queries of the reading
page. Every figure is measured in this run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EN_WORDS = ["winter", "bread", "letter", "comrade", "village", "railway", "salary", "hostage", "justice", "harvest",
            "printing", "telegram", "doctor", "freedom", "market"]
RU_WORDS = ["заложник", "хлеб", "письмо", "товарищ", "деревня", "зима", "почта", "свобода", "совесть", "голод",
            "учителя", "газеты", "судья", "рабочие", "мука"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_available() -> bool:
    return importlib.util.find_spec("aligner.web") is not None


def plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == "aligner" for ep in entry_points(group="datasette"))


#: Tables whose default facets (metadata.yml) are computed over every row on every page view.
BIG_TABLES = ("segments", "alignments", "parallel", "slot_texts", "revisions")


def tuned_metadata() -> str:
    """db/metadata.yml without the default facets of the big tables (they stay available with ?_facet=)."""
    import yaml

    meta = yaml.safe_load((ROOT / "db" / "metadata.yml").read_text("utf-8"))
    for name, table in (meta.get("databases", {}).get("corpus", {}).get("tables") or {}).items():
        if name in BIG_TABLES and isinstance(table, dict):
            table.pop("facets", None)
    path = Path(tempfile.mkdtemp(prefix="aligner-meta-")) / "metadata.yml"
    path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
    return str(path)


def start(db: str, port: int, extra: list[str], immutable: bool, metadata: str | None = None) -> tuple[subprocess.Popen, str]:
    args = [sys.executable, "-m", "datasette", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--setting", "truncate_cells_html", "0", "--setting", "sql_time_limit_ms", "3000", *extra,
            "--immutable" if immutable else db]
    if immutable:
        args.append(db)
    meta = Path(metadata) if metadata else ROOT / "db" / "metadata.yml"
    if meta.exists():
        args += ["-m", str(meta)]
    plugins_dir = None
    if plugin_available() and not plugin_installed():
        # Not pip-installed: load the plugin through a one-line plugins folder.
        plugins_dir = tempfile.mkdtemp(prefix="aligner-plugins-")
        Path(plugins_dir, "aligner_shim.py").write_text(
            "from aligner.web import ensure_registered\nensure_registered()\n")
        args += ["--plugins-dir", plugins_dir]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = open(Path(tempfile.gettempdir()) / f"aligner-serve-{port}.log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    return proc, log.name


def start_as_readme(db: str, port: int) -> tuple[subprocess.Popen, str]:
    """The server exactly as the README starts it: ``aligner serve <db>`` from the repository root (its default
    metadata, settings and plugin; the package must be installed, as the README's command does)."""
    exe = Path(sys.executable).with_name("aligner")
    if not exe.exists():
        raise SystemExit(f"{exe}: not found; install the package first (README: Two commands)")
    log = open(Path(tempfile.gettempdir()) / f"aligner-serve-{port}.log", "w")
    proc = subprocess.Popen([str(exe), "serve", db, "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, log.name


def wait_ready(client, base: str, proc: subprocess.Popen, log: str, timeout: float = 120) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"datasette exited ({proc.returncode}):\n{Path(log).read_text()[-3000:]}")
        try:
            if client.get(base + "/-/versions.json").status_code == 200:
                return time.perf_counter() - t0
        except Exception:
            pass
        time.sleep(0.1)
    raise SystemExit("datasette did not start")


def targets(db: str, n: int, seed: int) -> dict[str, list[str]]:
    """Per endpoint, n+warm-up URLs with varying targets, drawn from the database."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    works = [r[0] for r in conn.execute(
        "select w.id from works w join versions v on v.work = w.id and v.key = w.pivot"
        " join segments s on s.version = v.id group by w.id order by count(*) desc, w.id")]
    big = works[0]
    pivot_vid = conn.execute("select v.id from versions v join works w on w.id = v.work and v.key = w.pivot"
                             " where w.id = ?", [big]).fetchone()[0]
    parts = [r[0] for r in conn.execute("select distinct division from segments where version = ?", [pivot_vid])]
    max_id = conn.execute("select max(id) from segments").fetchone()[0]
    n_pivot = conn.execute("select count(*) from segments where version = ?", [pivot_vid]).fetchone()[0]
    vids = [r[0] for r in conn.execute("select id from versions where work = ?", [big])]
    keys = [r[0] for r in conn.execute("select key from versions where work = ? and role != 'pivot'", [big])]
    # Rarer words, as readers mostly look for (names): a capitalised word inside a sentence with under 1,000 hits.
    from datasette.utils import escape_fts

    rare: list[str] = []
    for _ in range(2000):
        if len(rare) >= 20:
            break
        row = conn.execute("select text from segments where id = ?", [rng.randint(1, max_id)]).fetchone()
        names = [w.strip(".,;:!?[]()«»\"'–") for w in (row[0] if row else "").split()[1:] if w[:1].isupper()]
        for w in names:
            hits = conn.execute("select count(*) from segments_fts where segments_fts match ?", [escape_fts(w)]).fetchone()[0]
            if len(w) >= 4 and 0 < hits < 1000:
                rare.append(w)
                break
    conn.close()
    out: dict[str, list[str]] = {}
    m = n + 10
    if plugin_available():
        out["reading page: /-/read/<work>?part=N"] = [
            f"/-/read/{quote(big)}?part={rng.choice(parts)}" for _ in range(m)]
        out["reading page JSON: /-/read/<work>.json"] = [
            f"/-/read/{quote(big)}.json?part={rng.choice(parts)}&with={','.join(keys)}" for _ in range(m)]
        out["compare page: /-/compare/<work>?a=..&b=..&part=N"] = [
            f"/-/compare/{quote(big)}?" + urlencode({"a": keys[0], "b": keys[-1], "part": rng.choice(parts)})
            for _ in range(m)]
        out["work page: /-/work/<work>"] = [f"/-/work/{quote(rng.choice(works))}" for _ in range(m)]
        out["plugin search: /-/search/<work>?q="] = [
            f"/-/search/{quote(big)}?" + urlencode({"q": rng.choice(EN_WORDS + RU_WORDS)}) for _ in range(m)]
    out["database page: /corpus"] = ["/corpus"] * m
    for table in ("segments", "alignments", "revisions", "parallel", "slot_texts"):
        out[f"whole table: /corpus/{table}"] = [f"/corpus/{table}"] * m
    out["segment row: /corpus/segments/<id>"] = [f"/corpus/segments/{rng.randint(1, max_id)}" for _ in range(m)]
    out["FTS English: /corpus/segments?_search="] = [
        "/corpus/segments?" + urlencode({"_search": rng.choice(EN_WORDS)}) for _ in range(m)]
    out["FTS Russian: /corpus/segments?_search="] = [
        "/corpus/segments?" + urlencode({"_search": rng.choice(RU_WORDS)}) for _ in range(m)]
    out["FTS rare word: /corpus/segments?_search="] = [
        "/corpus/segments?" + urlencode({"_search": rng.choice(rare)}) for _ in range(m)]
    out["status facet: /corpus/alignments?_facet=status"] = ["/corpus/alignments?_facet=status"] * m
    out["status facet, one version: ?version=..&_facet=status"] = [
        "/corpus/alignments?" + urlencode({"version": rng.choice(vids[1:]), "_facet": "status"}) for _ in range(m)]
    out["JSON API: /corpus/segments.json?version=..."] = [
        "/corpus/segments.json?" + urlencode({"version": rng.choice(vids), "_sort": "position",
                                              "position__gte": rng.randrange(n_pivot), "_size": 50, "_shape": "objects"})
        for _ in range(m)]
    out["parallel view: /corpus/parallel?work=..."] = [
        "/corpus/parallel?" + urlencode({"work": rng.choice(works)}) for _ in range(m)]
    out["parallel view, one sentence: ?work=..&segment=.."] = [
        "/corpus/parallel?" + urlencode({"work": rng.choice(works), "segment": f"{rng.randint(1, 2000)}.1"})
        for _ in range(m)]
    return out


def fts_hits(db: str, urls: list[str]) -> float:
    """Mean number of segments the searches in ``urls`` match."""
    from urllib.parse import parse_qs, urlparse

    from datasette.utils import escape_fts

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = [conn.execute("select count(*) from segments_fts where segments_fts match ?",
                      [escape_fts(parse_qs(urlparse(u).query)["_search"][0])]).fetchone()[0] for u in urls]
    conn.close()
    return statistics.mean(n)


def measure(client, base: str, urls: list[str], warm: int) -> dict:
    times, sizes = [], []
    for i, u in enumerate(urls):
        t = time.perf_counter()
        r = client.get(base + u)
        dt = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{u}: HTTP {r.status_code}\n{r.text[:500]}")
        if i >= warm:
            times.append(dt)
            sizes.append(len(r.content))
    times.sort()
    return {"n": len(times), "p50": statistics.median(times), "p95": times[max(0, round(0.95 * len(times)) - 1)],
            "max": times[-1], "kb": statistics.mean(sizes) / 1024}


def explain_queries(db: str) -> None:
    """EXPLAIN QUERY PLAN and time of the queries that were slow at a million sentences (see benchmarks/README.md)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    work = conn.execute("select id from works order by id limit 1").fetchone()[0]
    pivot = conn.execute("select v.id from versions v join works w on w.id = v.work and v.key = w.pivot where w.id = ?",
                         [work]).fetchone()[0]
    queries = [
        ("a work's versions and filled slots (every reading, search and work page)",
         "select version, count(*) as n from alignments where work = ? and status != 'empty' group by version", [work]),
        ("sentences per part (reading page)",
         "select division, count(*) from segments where version = ? group by division", [pivot]),
        ("one part's pivot sentences (reading page)",
         "select id, ref, position, block, kind, text, division from segments where version = ? and division = ?"
         " order by position", [pivot, 2]),
        ("Datasette's count on /corpus/parallel?work=", "select count(*) from parallel where work = ?", [work]),
        ("Datasette's kind facet on /corpus/parallel?work=",
         "select kind as value, count(*) as count from (select work, segment, division, kind, pivot from parallel"
         " where work = ?) where kind is not null group by kind", [work]),
        ("Datasette's /corpus/alignments page (sorted by position)",
         "select * from alignments order by position, id limit 101", []),
    ]
    for name, sql, params in queries:
        conn.execute(sql, params).fetchall()  # warm the page cache: the time is the second run's
        t = time.perf_counter()
        conn.execute(sql, params).fetchall()
        ms = (time.perf_counter() - t) * 1000
        print(f"\n{name}: {ms:.1f} ms (warm)\n  {sql}")
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params):
            print("   ", row[3])
    conn.close()


def choices(db: str, repeat: int = 5) -> None:
    """Each choice made for serving a large corpus as shipped, timed before and after on this database, warm
    (median of ``repeat`` runs after one untimed run), with SQLite's plan of the "after" query."""
    from aligner.corpus import counts

    plain = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    mapped = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    mapped.execute("PRAGMA mmap_size = 17179869184")  # what the plugin sets on every connection
    big = plain.execute("select w.id from works w join versions v on v.work = w.id join segments s on s.version = v.id"
                        " group by w.id order by count(*) desc, w.id limit 1").fetchone()[0]
    vids = [r[0] for r in plain.execute("select id from versions where work = ?", [big])]
    common_en, common_ru = "winter", "хлеб"
    fts = "id in (select rowid from segments_fts where segments_fts match ?)"
    old_parallel_inner = ("SELECT w.id AS work, s.ref AS segment, s.division, s.kind, s.text AS pivot, s.id AS sid "
                          "FROM segments s JOIN versions pv ON pv.id = s.version JOIN works w ON w.id = pv.work "
                          "AND w.pivot = pv.key ORDER BY w.id, s.position")
    view_sql = plain.execute("select sql from sqlite_master where name = 'parallel'").fetchone()[0]
    outer = view_sql[view_sql.index("SELECT"):view_sql.index("FROM (SELECT")]
    old_parallel = f"{outer} FROM ({old_parallel_inner}) p LIMIT 101"
    status_sql = ("select a.work, v.key, sum(a.status = 'auto'), sum(a.stale), count(*) from alignments a join "
                  "versions v on v.id = a.version where a.address is not null group by a.work, v.key")
    rows = [
        ("status facet, all alignments", (plain, "select status, count(*) from alignments where status is not null "
                                                 "group by status", []),
         (plain, "select value, sum(n) from facet_counts where tbl = 'alignments' and col = 'status' and n > 0 "
                 "group by value", [])),
        ("count of a whole table (alignments)", (plain, "select count(*) from alignments", []),
         (plain, counts.ROWS_SQL.format(table="alignments"), [])),
        (f"search hit count, {common_ru!r}", (plain, f"select count(*) from segments where {fts}", [common_ru]),
         (mapped, "select count(*) from segments_fts where segments_fts match ?", [common_ru])),
        (f"search page, {common_en!r}: sort: position -> ids", (plain, f"select * from segments where {fts} "
                                                                      "order by position limit 101", [common_en]),
         (mapped, f"select * from segments where {fts} order by id limit 101", [common_en])),
        (f"row lookups of {common_ru!r}'s hits: page cache -> mmap", (plain, f"select count(kind) from segments "
                                                                               f"where {fts}", [common_ru]),
         (mapped, f"select count(kind) from segments where {fts}", [common_ru])),
        ("parallel view, whole, first page", (plain, old_parallel, []),
         (plain, "select * from parallel limit 101", [])),
        ("work pages' status counts, every work", (plain, status_sql, []),
         (plain, "select c.version, c.value, c.n from facet_counts c where tbl = 'alignments' and col = 'slot'", [])),
        ("plugin search: a work's id range", (plain, " union all ".join(
            ["select min(id), max(id) from segments where version = ?"] * len(vids)), vids),
         (plain, " union all ".join(["select min(id) from segments where version = ? union all "
                                     "select max(id) from segments where version = ?"] * len(vids)),
          [v for v in vids for _ in (0, 1)])),
    ]

    def timed(conn, sql, params) -> float:
        conn.execute(sql, params).fetchall()
        ts = []
        for _ in range(repeat):
            t = time.perf_counter()
            conn.execute(sql, params).fetchall()
            ts.append((time.perf_counter() - t) * 1000)
        return statistics.median(ts)

    print(f"\nchoices, before -> after (ms, median of {repeat} warm runs; largest work {big}):")
    w = max(len(r[0]) for r in rows)
    for name, before, after in rows:
        b, a_ = timed(*before), timed(*after)
        plan = "; ".join(r[3] for r in after[0].execute("EXPLAIN QUERY PLAN " + after[1], after[2]))
        print(f"  {name.ljust(w)} | {b:9.1f} -> {a_:7.1f} | x{b / max(a_, 0.01):,.0f} | {plan[:110]}")
    plain.close()
    mapped.close()


def explain(db: str, client, base: str, urls: dict[str, list[str]]) -> None:
    """EXPLAIN QUERY PLAN of the SQL Datasette runs for each table page (from the page's .json)."""
    from datasette.utils import escape_fts

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.create_function("escape_fts", 1, escape_fts)
    for name, us in urls.items():
        u = us[-1]
        if not u.startswith("/corpus/") or "/segments/" in u:
            continue
        path, _, qs = u.partition("?")
        r = client.get(base + path.removesuffix(".json") + ".json?" + qs)
        data = r.json()
        sql, params = data["query"]["sql"], data["query"]["params"]
        print(f"\n{name}\n  {u}\n  SQL: {' '.join(sql.split())[:400]}")
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params):
            print("   ", row[3])
        for facet, res in (data.get("facet_results") or {}).items():
            print(f"  facet {facet}: {'TIMED OUT' if res.get('timed_out') else 'ok'}")
    conn.close()


def main(argv: list[str] | None = None) -> None:
    import httpx

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="/tmp/aligner-bench/build-1000000.db")
    ap.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests per endpoint first")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--immutable", action="store_true", help="serve the file --immutable (a published copy)")
    ap.add_argument("--setting", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="extra datasette --setting, e.g. --setting facet_time_limit_ms 100")
    ap.add_argument("--tuned", action="store_true",
                    help="the hand-tuning the deployment notes once asked for: suggest_facets off, no default facets on the big tables")
    ap.add_argument("--readme", action="store_true",
                    help="start the server exactly as the README says (`aligner serve DB`), nothing else passed")
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN QUERY PLAN for the table pages")
    ap.add_argument("--choices", action="store_true",
                    help="only time each choice made for a large corpus before and after, on the database (no server)")
    ap.add_argument("--only", help="only endpoints whose name contains this")
    a = ap.parse_args(argv)
    db = str(Path(a.db).resolve())
    if not Path(db).exists():
        raise SystemExit(f"{db}: no such database (run benchmarks/build.py first)")
    if a.choices:
        choices(db)
        return
    settings = list(a.setting) + ([["suggest_facets", "off"]] if a.tuned else [])
    extra = [x for name, value in settings for x in ("--setting", name, value)]
    metadata = tuned_metadata() if a.tuned else None
    served = db
    if Path(db).stem != "corpus":  # metadata.yml and the plugin know the database as "corpus"
        served = str(Path(tempfile.mkdtemp(prefix="aligner-serve-")) / "corpus.db")
        os.symlink(db, served)
    port = free_port()
    if a.readme and (extra or a.tuned or a.immutable):
        raise SystemExit("--readme starts the server as the README says: no --setting, --tuned or --immutable")
    proc, log = start_as_readme(served, port) if a.readme else start(served, port, extra, a.immutable, metadata)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=60) as client:
            startup = wait_ready(client, base, proc, log)
            urls = targets(db, a.requests, a.seed)
            if a.only:
                urls = {k: v for k, v in urls.items() if a.only in k}
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            n_seg = conn.execute("select count(*) from segments").fetchone()[0]
            n_al = conn.execute("select count(*) from alignments").fetchone()[0]
            conn.close()
            how = "`aligner serve` as the README says" if a.readme else "datasette -m db/metadata.yml"
            print(f"{how} on {Path(db).name} ({os.path.getsize(db) / 1e9:.2f} GB, {n_seg:,} segments, "
                  f"{n_al:,} alignments){' --immutable' if a.immutable else ''}"
                  f"{' ' + ' '.join(extra) if extra else ''}"
                  f"{'; no default facets on ' + ', '.join(BIG_TABLES) if a.tuned else ''}; plugin: "
                  f"{'yes' if plugin_available() else 'no (aligner/web/ missing)'}; started in {startup:.1f} s; "
                  f"{a.requests} timed requests per endpoint after {a.warmup} warm-up, one at a time")
            rows = []
            for name, us in urls.items():
                if name.startswith("compare page"):
                    # A long work's first comparison of a pair starts its summary in a background thread (and
                    # takes a core meanwhile): timed once it is there, as every later reader of the pair sees it.
                    t = time.perf_counter()
                    path, _, qs = us[0].partition("?")
                    while client.get(f"{base}{path}.json?{qs}").json().get("summary_pending"):
                        if time.perf_counter() - t > 600:
                            raise SystemExit("the compare summary was not ready after 10 minutes")
                        time.sleep(1)
                    print(f"  compare summary of {path.rsplit('/', 1)[-1]} ready after {time.perf_counter() - t:.0f} s",
                          file=sys.stderr, flush=True)
                res = measure(client, base, us[: a.warmup + a.requests], a.warmup)
                if "_search=" in us[0]:
                    name += f" ({fts_hits(db, us[a.warmup: a.warmup + a.requests]):,.0f} hits)"
                rows.append((name, res))
                print(f"  {name}: p95 {res['p95']:.0f} ms", file=sys.stderr, flush=True)
            w = max(len(n) for n, _ in rows)
            print(f"{'endpoint'.ljust(w)} | {'n':>3} | {'p50 ms':>7} | {'p95 ms':>7} | {'max ms':>7} | {'KB':>6} | goal p95<100")
            print("-" * w + "-|-----|---------|---------|---------|--------|------------")
            for name, r in rows:
                ok = "met" if r["p95"] < 100 else f"MISSED x{r['p95'] / 100:.1f}"
                print(f"{name.ljust(w)} | {r['n']:>3} | {r['p50']:>7.1f} | {r['p95']:>7.1f} | {r['max']:>7.1f} | "
                      f"{r['kb']:>6.1f} | {ok}")
            if a.explain:
                explain_queries(db)
                explain(db, client, base, urls)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
