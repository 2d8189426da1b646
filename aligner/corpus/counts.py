"""Row counts per version and value of the columns readers facet by, kept by triggers.

Datasette answers a facet (``/corpus/alignments?_facet=status``) with a ``GROUP BY`` over every row the page
shows: at a million sentences that is a scan of 2.7 million alignments on every view of the table, 0.2-0.3 s
however it is indexed. These columns take a handful of values per version, so the build counts them once
into ``facet_counts`` and triggers keep the counts right through every later insert, update and delete
(editor, CLI, imports: no writer needs to know). A facet filtered by nothing but its version or work is then
a sum over a few dozen rows (:mod:`aligner.web.scale` decides when that applies). The row count of each
counted table is kept too (column, version and value empty), for the count Datasette shows on its page.

The table is created with its triggers at the end of a build (as the full-text index is), after the bulk
insert, so a build pays one ``GROUP BY`` instead of a trigger per row; a database built before it has neither
and its facets are counted the ordinary way.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

#: Per table whose row count is kept, the columns whose counts per version and value are kept too: the default
#: facets of ``db/metadata.yml``. The tables are the ones that grow with the corpus.
#: ``version`` counted by itself (value = version) gives the rows per version: the version facet, and the row
#: counts of the views over one version's or the pivots' rows.
COUNTED: dict[str, tuple[str, ...]] = {"alignments": ("status", "version"), "segments": ("kind", "version"),
                                       "alignment_pivots": (), "alignment_targets": (), "revisions": (),
                                       "revision_segments": ()}
#: Tables whose rows carry a ``work`` column (segments know their work through their version).
HAS_WORK = {"alignments"}
TABLE = "facet_counts"


def _triggers(table: str, column: str) -> list[str]:
    name = f"{TABLE}_{table}_{column}"
    key = f"'{table}', '{column}'"
    add = (f"INSERT INTO {TABLE} (tbl, col, version, value, n) VALUES ({key}, new.version, new.[{column}], 1) "
           f"ON CONFLICT (tbl, col, version, value) DO UPDATE SET n = n + 1;")
    sub = (f"UPDATE {TABLE} SET n = n - 1 WHERE tbl = '{table}' AND col = '{column}' AND version = old.version "
           f"AND value = old.[{column}];")
    return [
        f"CREATE TRIGGER [{name}_ai] AFTER INSERT ON [{table}] WHEN new.[{column}] IS NOT NULL "
        f"AND new.version IS NOT NULL BEGIN {add} END",
        f"CREATE TRIGGER [{name}_ad] AFTER DELETE ON [{table}] BEGIN {sub} END",
        f"CREATE TRIGGER [{name}_au] AFTER UPDATE OF {', '.join(dict.fromkeys([f'[{column}]', 'version']))} "
        f"ON [{table}] "
        f"WHEN old.[{column}] IS NOT new.[{column}] OR old.version IS NOT new.version BEGIN {sub} "
        f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT {key}, new.version, new.[{column}], 1 "
        f"WHERE new.[{column}] IS NOT NULL AND new.version IS NOT NULL "
        f"ON CONFLICT (tbl, col, version, value) DO UPDATE SET n = n + 1; END",
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
    db.execute(f"CREATE TABLE {TABLE} (tbl TEXT NOT NULL, col TEXT NOT NULL, version TEXT NOT NULL, "
               f"value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tbl, col, version, value)) WITHOUT ROWID")
    for table, columns in COUNTED.items():
        # The table's row count: column, version and value empty.
        db.execute(f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT ?, '', '', '', count(*) FROM [{table}]",
                   [table])
        for sql in _row_triggers(table):
            db.execute(sql)
        for column in columns:
            db.execute(f"INSERT INTO {TABLE} (tbl, col, version, value, n) SELECT ?, ?, version, [{column}], count(*) "
                       f"FROM [{table}] WHERE [{column}] IS NOT NULL AND version IS NOT NULL "
                       f"GROUP BY version, [{column}]", [table, column])
            for sql in _triggers(table, column):
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
