"""Facets and settings that keep Datasette's own table pages fast on a corpus of millions of segments.

Datasette counts every facet with a ``GROUP BY`` over the rows a page shows, and by default also tries every
column as a suggested facet. At a million sentences the status facet of ``alignments`` alone scans 2.7 million
rows (0.2-0.3 s) and the suggestions cost seconds. So, with nothing for a publisher to configure:

* the default facets of ``db/metadata.yml`` are ``counted`` facets (:class:`CountedFacet`): when the page is
  filtered by nothing but a version or a work, the counts come from ``facet_counts``, which the build fills
  and triggers keep (:mod:`aligner.corpus.counts`); ``?_facet=status`` on such a column is read the same
  way (:func:`facet_rewriter`). Any other filter (a search, a comparison) counts the rows themselves, as
  Datasette does, unless they are more than :data:`MAX_FACET_ROWS` on a large corpus: then the facet is
  listed as not computed ("timed out") instead of taking the page's time;
* the row count Datasette puts at the top of a page is read the same way where it can be: a whole counted
  table's count from ``facet_counts``, and a search's hits from the full-text index alone (every segment
  is in it, kept by triggers): ``count(*)`` over the table's 3.7 million rows, or a lookup of each of
  60,000 hits in a 4 GB table, becomes one row or one index read. Same numbers, exact (:func:`faster_count`);
* on a large corpus (:data:`LARGE` segments or more, looked up at start-up) facet suggestions are off;
* every connection maps the database file into memory (``PRAGMA mmap_size``): row lookups by id, which a
  search page makes by the ten thousand, take about half the time they take through SQLite's page cache.

Every choice and its before/after figures: benchmarks/README.md, "serve.py".
"""

from __future__ import annotations

import re
import sqlite3
import weakref
from urllib.parse import parse_qsl, urlencode

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from ..corpus import counts

#: A corpus with at least this many segments is large: facet suggestions off, facets over many rows capped.
LARGE = 250_000
#: On a large corpus, a facet the counts cannot answer is computed over at most this many rows.
MAX_FACET_ROWS = 20_000
#: SQLite maps at most 2 GB unless built otherwise; it clamps a larger request to its own limit.
MMAP_BYTES = 1 << 34
#: Underscore arguments that filter rows (any other filter is an argument without a leading underscore).
_FILTERING = ("_search", "_where", "_through")

_large: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def is_large(datasette, database: str) -> bool:
    return database in _large.get(datasette, ())


async def note_sizes(datasette) -> None:
    """At start-up: which corpus databases are large (suggestions off if any is); counts read where kept."""
    large = set()
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        try:
            rows = await db.execute("select max(rowid) from segments")
        except (sqlite3.Error, QueryInterrupted):  # not a corpus database
            continue
        if (rows.first()[0] or 0) >= LARGE:
            large.add(name)
        if await db.execute_fn(counts.has_counts):
            _count_from_kept(db)
    _large[datasette] = large
    if large:
        # Datasette 0.65 has no public way for a plugin to choose a setting; its settings live in this dict.
        datasette._settings["suggest_facets"] = False


#: Datasette 0.65's count of a whole table (table page: ``from_sql`` ends with a space; index page: brackets).
_TABLE_COUNT = re.compile(r"select count\(\*\) from \[?(?P<table>\w+)\]?\s*", re.I)
#: Its count of a search and nothing else (``metadata.yml``: ``fts_table: segments_fts``, ``fts_pk: id``).
_SEARCH_COUNT = re.compile(r"select count\(\*\) from segments where id in \(select rowid from segments_fts "
                           r"where segments_fts match (?P<match>:\w+|escape_fts\(:\w+\))\)\s*")


def faster_count(sql: str) -> str | None:
    """The same count from what is kept, for the two count queries Datasette makes on every big page; else None."""
    m = _TABLE_COUNT.fullmatch(sql)
    if m and m["table"] in counts.COUNTED:
        return counts.ROWS_SQL.format(table=m["table"])
    if m and m["table"] in counts.VIEW_ROWS_SQL:
        return counts.VIEW_ROWS_SQL[m["table"]]
    if m and m["table"] in ("segments_fts", "segments_fts_docsize"):
        # one row per segment, kept so by the triggers of the full-text index (the database page counts them)
        return counts.ROWS_SQL.format(table="segments")
    if m and m["table"] == "segments_fts_data":
        # The index's own blocks: a number nobody reads, which SQLite counts in one uninterruptible step that
        # takes 0.1 s at a million sentences on every view of the database page. Shown as unknown.
        return "select null"
    m = _SEARCH_COUNT.fullmatch(sql)
    if m:
        return f"select count(*) from segments_fts where segments_fts match {m['match']}"
    return None


def _count_from_kept(db) -> None:
    """Route this database's counts through :func:`faster_count` (Datasette 0.65 has no hook for its counts)."""
    if getattr(db, "_aligner_counts", False):
        return
    execute = db.execute

    async def counted(sql, params=None, *args, **kwargs):
        return await execute(faster_count(sql) or sql, params, *args, **kwargs)

    db.execute = counted
    db._aligner_counts = True


def map_file(conn) -> None:
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")


def _scope(request, table: str) -> tuple[list[str] | None, list[str] | None] | None:
    """The versions and works a table page is filtered to, when those are its only filters; else None."""
    versions = works = None
    for key, value in parse_qsl(request.query_string, keep_blank_values=True):
        if key.startswith("_") and "__" not in key:
            if (key in _FILTERING or key.startswith("_search_") or key.startswith("_filter_")) and value.strip():
                return None
            continue
        column = key.removesuffix("__exact")
        if column == "version" and versions is None:
            versions = [value]
        elif column == "work" and works is None and table in counts.HAS_WORK:
            works = [value]
        else:
            return None
    return versions, works


class CountedFacet(ColumnFacet):
    """A column facet answered from ``facet_counts`` whenever the page's filters allow it.

    Its results look exactly like Datasette's column facet (same keys, ``type: column``), so templates and
    JSON clients see no difference. ``facets: [{counted: status}]`` in metadata, ``?_facet_counted=status``
    (or ``?_facet=status``, rewritten) in a URL.
    """

    type = "counted"

    async def suggest(self):
        return []

    def get_configs(self):
        seen, out = set(), []
        for c in sorted(super().get_configs(), key=lambda c: c["source"] != "metadata"):
            column = c["config"].get("column") or c["config"]["simple"]
            if column not in seen:
                seen.add(column)
                out.append(c)
        return out

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        db = self.ds.get_database(self.database)
        scope = _scope(self.request, self.table) if self.table in counts.COUNTED else None
        for c in self.get_configs():
            column = c["config"].get("column") or c["config"]["simple"]
            rows = None
            if scope is not None and column in counts.COUNTED[self.table]:
                versions, works = scope
                rows = await db.execute_fn(lambda conn: counts.counted_values(
                    conn, self.table, column, versions=versions, works=works) if counts.has_counts(conn) else None)
            if rows is None:
                if is_large(self.ds, self.database) and (self.row_count is None or self.row_count > MAX_FACET_ROWS):
                    timed_out.append(column)
                    continue
                sql = (f"select {escape_sqlite(column)} as value, count(*) as count from ({self.sql}) "
                       f"where {escape_sqlite(column)} is not null group by {escape_sqlite(column)} "
                       f"order by count desc, value limit {size + 1}")
                try:
                    found = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                                  custom_time_limit=self.ds.setting("facet_time_limit_ms"))
                except QueryInterrupted:
                    timed_out.append(column)
                    continue
                rows = [(r["value"], r["count"]) for r in found.rows]
            # Labels of foreign keys (a version's key), as Datasette's column facet shows them.
            labels = await self.ds.expand_foreign_keys(self.database, self.table, column, [v for v, _ in rows[:size]])
            results.append(self._result(column, c["source"], rows, size, labels))
        return results, timed_out

    def _result(self, column: str, source: str, rows: list, size: int, labels: dict) -> dict:
        """One facet in the shape of Datasette's column facet (toggle links add or remove ``column=value``)."""
        pairs = self.get_querystring_pairs()
        values = []
        for value, count in rows[:size]:
            selected = (column, str(value)) in pairs
            path = (path_with_removed_args(self.request, {column: str(value)}) if selected
                    else path_with_added_args(self.request, {column: value}))
            values.append({"value": value, "label": labels.get((column, value), value), "count": count,
                           "selected": selected,
                           "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path))})
        return {"name": column, "type": "column", "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_counted": column})),
                "results": values, "truncated": len(rows) > size}


_TABLE = re.compile(r"^/[^/]+/(?P<table>[^/.]+)(\.(json|csv))?$")


def rewrite_facets(path: str, query_string: str) -> str | None:
    """``_facet=<column>`` on a counted column becomes ``_facet_counted=<column>``; None: nothing to rewrite."""
    m = _TABLE.match(path)
    columns = counts.COUNTED.get(m["table"]) if m else None
    if not columns or "_facet=" not in query_string:
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True)
    out = [("_facet_counted", v) if k == "_facet" and v in columns else (k, v) for k, v in pairs]
    return urlencode(out) if out != pairs else None


def facet_rewriter(app):
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and scope.get("query_string"):
            rewritten = rewrite_facets(scope.get("path", ""), scope["query_string"].decode("latin-1"))
            if rewritten is not None:
                scope = dict(scope, query_string=rewritten.encode("latin-1"))
        await app(scope, receive, send)

    return wrapped
