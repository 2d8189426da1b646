"""Row counts per version and value of the columns readers facet by, kept by triggers.

Datasette answers a facet (``/corpus/alignments?_facet=status``) with a ``GROUP BY`` over every row the page
shows: at a million sentences that is a scan of 2.7 million alignments on every view of the table, 0.2-0.3 s
however it is indexed. These columns take a handful of values per version, so the build counts them once
into ``facet_counts`` and triggers keep the counts right through every later insert, update and delete
(editor, CLI, imports: no writer needs to know). A facet filtered by nothing but its version or work is then
a sum over a few dozen rows (:mod:`aligner.web.scale` decides when that applies). The row count of each
counted table is kept too (column, version and value empty), for the count Datasette shows on its page.

A build counts each work's rows right after writing them (:func:`add_counts` over their id range, while their
pages are still in the cache: at a million sentences one ``GROUP BY`` over a whole table at the end took three
times as long) and creates the triggers at the end, after the bulk insert (:func:`keep_counts`), so it pays no
trigger per row. A database built before the table existed has neither, and its facets are counted the
ordinary way.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from ..model import STATUSES

#: Below this score an automatic alignment is a low-confidence bead (the review queue, the map, the work page).
LOW_SCORE = 0.5

#: Per table whose row count is kept, what is counted per version and value: a column's values (the default
#: facets of ``db/metadata.yml``), or an expression over the row (``{row}``: ``new`` or ``old``). ``version``
#: counted by itself gives the rows per version (the version facet, the row counts of the views over them);
#: ``slot`` gives what the work pages show per version: a slot's status, whether it is stale and whether it is
#: a low-confidence automatic one ("auto|0|1"), for rows that are slots (leftover rows have no address).
COUNTED: dict[str, dict[str, str]] = {
    "alignments": {
        "status": "{row}.status",
        "version": "{row}.version",
        "slot": ("CASE WHEN {row}.address IS NULL OR {row}.status IS NULL THEN NULL ELSE {row}.status || '|' || "
                 "(coalesce({row}.stale, 0) != 0) || '|' || ({row}.status = 'auto' AND {row}.score IS NOT NULL "
                 "AND {row}.score < " + repr(LOW_SCORE) + ") END"),
    },
    "segments": {"kind": "{row}.kind", "version": "{row}.version"},
    "alignment_pivots": {}, "alignment_targets": {}, "revisions": {}, "revision_segments": {},
}
#: The columns each counted expression reads (an update of any of them may change its value).
_READS = {"slot": ("address", "status", "stale", "score")}
#: Tables whose rows carry a ``work`` column (segments know their work through their version).
HAS_WORK = {"alignments"}
TABLE = "facet_counts"


def _triggers(table: str, name: str) -> list[str]:
    expr = COUNTED[table][name]
    new, old = expr.format(row="new"), expr.format(row="old")
    trigger = f"{TABLE}_{table}_{name}"
    key = f"'{table}', '{name}'"
    add = (f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT {key}, new.version, {new}, 1 "
           f"WHERE ({new}) IS NOT NULL AND new.version IS NOT NULL "
           f"ON CONFLICT (tbl, col, version, value) DO UPDATE SET n = n + 1;")
    sub = (f"UPDATE {TABLE} SET n = n - 1 WHERE tbl = '{table}' AND col = '{name}' AND version = old.version "
           f"AND value = ({old});")
    reads = ", ".join(f"[{c}]" for c in dict.fromkeys([*_READS.get(name, (name,)), "version"]))
    return [
        f"CREATE TRIGGER [{trigger}_ai] AFTER INSERT ON [{table}] BEGIN {add} END",
        f"CREATE TRIGGER [{trigger}_ad] AFTER DELETE ON [{table}] BEGIN {sub} END",
        f"CREATE TRIGGER [{trigger}_au] AFTER UPDATE OF {reads} ON [{table}] "
        f"WHEN ({old}) IS NOT ({new}) OR old.version IS NOT new.version BEGIN {sub} {add} END",
    ]


def _row_triggers(table: str) -> list[str]:
    key = f"tbl = '{table}' AND col = '' AND version = '' AND value = ''"
    return [
        f"CREATE TRIGGER [{TABLE}_{table}_rows_ai] AFTER INSERT ON [{table}] BEGIN UPDATE {TABLE} SET n = n + 1 "
        f"WHERE {key}; END",
        f"CREATE TRIGGER [{TABLE}_{table}_rows_ad] AFTER DELETE ON [{table}] BEGIN UPDATE {TABLE} SET n = n - 1 "
        f"WHERE {key}; END",
    ]


def enable_counts(db: sqlite_utils.Database) -> None:
    """Create ``facet_counts`` from the rows there are now, and the triggers that keep it (idempotent)."""
    if TABLE in db.table_names():
        return
    create_counts(db)
    for table in COUNTED:
        add_counts(db, table)
    keep_counts(db)


def create_counts(db: sqlite_utils.Database) -> None:
    """The empty ``facet_counts`` table, without its triggers (a build fills it with :func:`add_counts`)."""
    db.execute(f"CREATE TABLE {TABLE} (tbl TEXT NOT NULL, col TEXT NOT NULL, version TEXT NOT NULL, "
               f"value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tbl, col, version, value)) WITHOUT ROWID")


def add_counts(db: sqlite_utils.Database, table: str, first: int | None = None, last: int | None = None) -> None:
    """Add the counts of ``table``'s counted columns over its rows with ids ``first`` .. ``last`` (all: None).

    One scan for all the table's counted columns: rows grouped by every expression at once (a few hundred
    groups), then each column summed from those."""
    columns = COUNTED[table]
    if not columns:
        return
    exprs = [expr.format(row=f"[{table}]") for expr in columns.values()]
    cols = ", ".join(f"{e} AS c{k}" for k, e in enumerate(exprs))
    where, params = "version IS NOT NULL", []
    if first is not None:
        where += " AND rowid BETWEEN ? AND ?"
        params = [first, last]
    db.execute("DROP TABLE IF EXISTS temp._counted")
    db.execute(f"CREATE TEMP TABLE _counted AS SELECT version, {cols}, count(*) AS n FROM [{table}] "
               f"WHERE {where} GROUP BY version, {', '.join(f'c{k}' for k in range(len(exprs)))}", params)
    for k, name in enumerate(columns):
        db.execute(f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT ?, ?, version, c{k}, sum(n) "
                   f"FROM temp._counted WHERE c{k} IS NOT NULL GROUP BY version, c{k} "
                   f"ON CONFLICT (tbl, col, version, value) DO UPDATE SET n = n + excluded.n", [table, name])
    db.execute("DROP TABLE temp._counted")


def keep_counts(db: sqlite_utils.Database) -> None:
    """Each counted table's row count (column, version and value empty), and the triggers that keep every
    count right from now on."""
    for table, columns in COUNTED.items():
        db.execute(f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT ?, '', '', '', count(*) FROM [{table}]",
                   [table])
        for sql in _row_triggers(table):
            db.execute(sql)
        for name in columns:
            for sql in _triggers(table, name):
                db.execute(sql)


#: The row count of a counted table, as a query (the plugin hands it to Datasette in place of a ``count(*)``).
#: A database whose counts were made before row counts were kept counts the rows.
ROWS_SQL = (f"SELECT coalesce((SELECT n FROM {TABLE} WHERE tbl = '{{table}}' AND col = '' AND version = '' "
            f"AND value = ''), (SELECT count(*) FROM [{{table}}]))")
#: The rows of the views (schema.create_views): ``parallel`` has one per pivot sentence, ``slot_texts`` one per
#: alignment. The sum is NULL, and the view is counted, where the counts per version are not kept.
VIEW_ROWS_SQL = {
    "parallel": (f"SELECT coalesce((SELECT sum(n) FROM {TABLE} WHERE tbl = 'segments' AND col = 'version' AND version "
                 f"IN (SELECT pv.id FROM versions pv JOIN works w ON w.id = pv.work AND w.pivot = pv.key)), "
                 f"(SELECT count(*) FROM parallel))"),
    "slot_texts": ROWS_SQL.format(table="alignments"),
}


def has_counts(conn: sqlite3.Connection) -> bool:
    return conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [TABLE]).fetchone() is not None


def counted_values(conn: sqlite3.Connection, table: str, column: str, *, versions: list[str] | None = None,
                   works: list[str] | None = None) -> list[tuple[object, int]]:
    """``(value, count)`` of ``table.column`` over the rows of ``versions`` and ``works`` (None: all), most
    frequent first, as Datasette orders a facet. ``works`` is matched through the versions table."""
    where, params = ["tbl = ?", "col = ?", "n > 0", "version != ''"], [table, column]
    if versions is not None:
        where.append(f"version IN ({','.join('?' * len(versions))})")
        params += versions
    if works is not None:
        where.append(f"version IN (SELECT id FROM versions WHERE work IN ({','.join('?' * len(works))}))")
        params += works
    sql = (f"SELECT value, sum(n) AS count FROM {TABLE} WHERE {' AND '.join(where)} "
           f"GROUP BY value ORDER BY count DESC, value")
    return [(v, n) for v, n in conn.execute(sql, params)]


def kept_filled(conn: sqlite3.Connection, work: str) -> dict[str, int] | None:
    """Per version of ``work``, how many alignments have text (status not ``empty``), from the kept counts;
    None for a database without them. Every reading, search and work page asks this."""
    if not has_counts(conn):
        return None
    return dict(conn.execute(
        f"SELECT version, sum(n) FROM {TABLE} WHERE tbl = 'alignments' AND col = 'status' AND value != 'empty' "
        f"AND version IN (SELECT id FROM versions WHERE work = ?) GROUP BY version", [work]).fetchall())


def kept_status_rows(conn: sqlite3.Connection, work: str | None = None) -> list[dict] | None:
    """:func:`aligner.corpus.queries.status_rows` from the kept ``slot`` counts; None where they are not kept."""
    if not has_counts(conn) or conn.execute(
            f"SELECT 1 FROM {TABLE} WHERE tbl = 'alignments' AND col = 'slot' LIMIT 1").fetchone() is None:
        return None
    out: dict[tuple, dict] = {}
    sql = (f"SELECT v.work, v.key, v.language, c.value, c.n FROM {TABLE} c JOIN versions v ON v.id = c.version "
           f"WHERE c.tbl = 'alignments' AND c.col = 'slot' AND c.n > 0" + (" AND v.work = ?" if work else "")
           + " ORDER BY v.work, v.position")
    for w, key, language, value, n in conn.execute(sql, [work] if work else []):
        r = out.setdefault((w, key), {"work": w, "version": key, "language": language,
                                      **{s: 0 for s in STATUSES}, "stale": 0, "low": 0, "total": 0})
        status, stale, low = value.split("|")
        r[status] = r.get(status, 0) + n
        r["stale"] += n * int(stale)
        r["low"] += n * int(low)
        r["total"] += n
    return list(out.values())
