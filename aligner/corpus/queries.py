"""The read layer: every question the pages (and, in time, the CLI and exporters) ask of a built corpus.

Plain functions over a :class:`sqlite3.Connection`, so they run the same in
Datasette (``db.execute_fn`` hands one over) and behind a :class:`Store`
(``store.db.conn``). Each returns dicts, lists and tuples, nothing tied to a
page; deciding what to show from them is the caller's job. Writes do not
belong here: they go through the store, which keeps the history.
"""

from __future__ import annotations

import sqlite3

from ..errors import AlignerError
from ..model import STATUSES, parse_address
from .counts import LOW_SCORE, ROWS_SQL, kept_filled, kept_status_rows
from .schema import version_id

#: The tables a database needs to be an aligner corpus.
CORPUS_TABLES = {"works", "versions", "segments", "alignments", "alignment_pivots", "alignment_targets"}


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    """The rows of a query as dicts."""
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _chunks(items: list, n: int = 500):
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _marks(items) -> str:
    return ",".join("?" * len(items))


def wait_when_locked(conn: sqlite3.Connection, ms: int) -> None:
    """Make a writer on ``conn`` wait up to ``ms`` for another writer's lock instead of failing at once."""
    conn.execute(f"PRAGMA busy_timeout = {int(ms)}")


# ---------------------------------------------------------------------------
# Works, versions, divisions


def is_corpus(conn: sqlite3.Connection) -> bool:
    """Whether the database holds an aligner corpus."""
    names = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    return CORPUS_TABLES <= names


def alignments_stamp(conn: sqlite3.Connection) -> tuple:
    """A value that changes whenever an alignment is added or removed: every change of a slot or a link writes
    new alignment rows (a new largest id) or deletes some (a new count, kept by :mod:`.counts`). Two seeks."""
    return (conn.execute("select max(id) from alignments").fetchone()[0],
            conn.execute(ROWS_SQL.format(table="alignments")).fetchone()[0])


def build_stamp(conn: sqlite3.Connection) -> tuple | None:
    """``(built_at, signature)`` of the last build, or None (a database that predates the ``build`` table)."""
    try:
        row = conn.execute("select built_at, signature from build where id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return tuple(row) if row else None


def works(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "select * from works order by id")


def work_row(conn: sqlite3.Connection, work: str) -> dict | None:
    found = rows(conn, "select * from works where id = ?", [work])
    return found[0] if found else None


def works_with_pivot_ref(conn: sqlite3.Connection, ref: str, key: str | None = None) -> list[str]:
    """The works whose pivot has a segment ``ref`` (and, given ``key``, a version with that key or language)."""
    sql = ("select w.id from works w join segments s on s.version = w.id || '/' || w.pivot and s.ref = ?"
           + (" where exists (select 1 from versions v where v.work = w.id and (v.key = ? or v.language = ?))"
              if key else "") + " order by w.id")
    return [r[0] for r in conn.execute(sql, [ref] + ([key, key] if key else []))]


def version_rows(conn: sqlite3.Connection, work: str) -> list[dict]:
    """The version rows of a work in ``work.toml`` order."""
    return rows(conn, "select * from versions where work = ? order by position, key", [work])


def versions(conn: sqlite3.Connection, work: str, *, counts: bool = True) -> list[dict]:
    """Versions of a work, pivot first then in ``work.toml`` order, each with ``is_pivot``, ``filled`` (how many
    alignments have text; None with ``counts=False``, which spares counting every alignment) and ``label``."""
    w = work_row(conn, work)
    vs = version_rows(conn, work)
    filled = kept_filled(conn, work) if counts else {}
    if filled is None:  # a database without kept counts
        filled = {r["version"]: r["n"] for r in rows(
            conn, "select version, count(*) as n from alignments where work = ? and status != 'empty' group by version",
            [work])}
    for v in vs:
        v["is_pivot"] = bool(w and v["key"] == w["pivot"])
        v["filled"] = filled.get(v["id"], 0) if counts else None
        v["label"] = v["title"] or v["key"]
    vs.sort(key=lambda v: (not v["is_pivot"], v["position"] or 0))
    return vs


def divisions(conn: sqlite3.Connection, pivot_vid: str) -> list[dict]:
    """The pivot's divisions that hold sentences: ``n``, ``label``, ``count``, in order.

    These are the parts a reader pages through (``?part=n``), counted from 1 in every work: the front matter
    opens part 1 (:data:`aligner.text.segment.FRONT_KINDS`), a keyed text's chapter N is part N."""
    counts = {
        r[0]: r[1]
        for r in conn.execute("select division, count(*) from segments where version = ? group by division", [pivot_vid])
    }
    labels = {r[0]: r[1] for r in conn.execute("select n, label from divisions where version = ?", [pivot_vid])}
    out = []
    for n in sorted(counts):
        label = " ".join((labels.get(n) or f"Part {n}").split())
        out.append({"n": n, "label": label, "count": counts[n]})
    return out


def status_rows(conn: sqlite3.Connection, work: str | None = None) -> list[dict]:
    """Per work and version, in order: how many slots are ``empty``, ``auto``, ``draft``, ``confirmed``, ``stale``,
    ``low`` (automatic alignments scored below :data:`LOW_SCORE`) and in all (``total``)."""
    kept = kept_status_rows(conn, work)
    if kept is not None:
        return kept
    sql = (
        "select a.work, v.key as version, v.language,"
        + "".join(f" sum(a.status = '{s}') as {s}," for s in STATUSES)
        + " sum(a.stale) as stale, sum(a.status = 'auto' and a.score is not null and a.score < ?) as low,"
        " count(*) as total"
        " from alignments a join versions v on v.id = a.version where a.address is not null"
        + (" and a.work = ?" if work else "")
        + " group by a.work, v.key order by a.work, min(v.position)"
    )
    return rows(conn, sql, [LOW_SCORE] + ([work] if work else []))


def status_counts(conn: sqlite3.Connection, work: str | None = None) -> dict[tuple[str, str], dict]:
    """:func:`status_rows` keyed by ``(work, version key)``."""
    return {(r["work"], r["version"]): r for r in status_rows(conn, work)}


# ---------------------------------------------------------------------------
# A version's text and links, whole (exports)


def database_file(conn: sqlite3.Connection) -> str:
    """The file the connection's main database lives in."""
    return conn.execute("PRAGMA database_list").fetchone()[2]


def segment_count(conn: sqlite3.Connection, vid: str) -> int:
    return conn.execute("select count(*) from segments where version = ?", [vid]).fetchone()[0]


def version_segments(conn: sqlite3.Connection, vid: str) -> list[dict]:
    """Every segment of a version in text order: ``ref, text, kind, division, block, typed``."""
    return rows(conn, "select ref, text, kind, division, block, typed from segments where version = ?"
                      " order by position, id", [vid])


def division_labels(conn: sqlite3.Connection, vid: str) -> dict[int, str]:
    return {r[0]: r[1] for r in conn.execute("select n, label from divisions where version = ?", [vid])}


def version_links(conn: sqlite3.Connection, vid: str) -> list[dict]:
    """The filled alignments of a version in order: ``id, status, score, actor, method`` and the refs of both
    sides as space-separated ``prefs`` and ``trefs``."""
    return rows(
        conn,
        "select a.id, a.status, a.score, a.actor, a.method,"
        " (select group_concat(ref, ' ') from (select s.ref from alignment_pivots ap join segments s"
        " on s.id = ap.segment where ap.alignment = a.id order by s.position)) as prefs,"
        " (select group_concat(ref, ' ') from (select s.ref from alignment_targets at join segments s"
        " on s.id = at.segment where at.alignment = a.id order by s.position)) as trefs"
        " from alignments a where a.version = ? and a.status != 'empty' order by a.position, a.id", [vid])


# ---------------------------------------------------------------------------
# Pivot sentences and the alignments beside them


def pivot_segments(conn: sqlite3.Connection, pivot_vid: str, division: int | None) -> list[dict]:
    """The pivot's sentences (of one division, or all) in order: ``id, ref, position, block, kind, text, division``."""
    sql = "select id, ref, position, block, kind, text, division from segments where version = ?"
    params: list = [pivot_vid]
    if division is not None:
        sql += " and division = ?"
        params.append(division)
    return rows(conn, sql + " order by position", params)


def version_alignments(conn: sqlite3.Connection, vid: str, pivot_vid: str, division: int | None) -> dict[int, dict]:
    """The alignments of version ``vid`` over the pivot's sentences (of one division, or all).

    ``{alignment id: {"id", "address", "status", "score", "stale", "method", "actor", "at",
    "segments": [pivot segment ids], "texts": [target texts in order], "trefs": [their refs],
    "tkinds": [their kinds]}}``.
    """
    # CROSS JOIN fixes the join order (pivot sentences, then their links, then alignments):
    # without ANALYZE statistics SQLite may otherwise probe every alignment of the version.
    sql = (
        "select ap.segment as seg, a.id, a.address, a.status, a.score, a.stale, a.method, a.actor, a.at"
        " from segments s cross join alignment_pivots ap on ap.segment = s.id"
        " cross join alignments a on a.id = ap.alignment"
        " where s.version = ? and a.version = ?"
        + (" and s.division = ?" if division is not None else "")
    )
    params: list = [pivot_vid, vid] + ([division] if division is not None else [])
    out: dict[int, dict] = {}
    for r in rows(conn, sql, params):
        a = out.get(r["id"])
        if a is None:
            a = out[r["id"]] = {k: r[k] for k in ("id", "address", "status", "score", "stale", "method", "actor", "at")}
            a["segments"] = []
            a["texts"], a["trefs"], a["tkinds"] = [], [], []
        a["segments"].append(r["seg"])
    _add_targets(conn, out)
    return out


def _add_targets(conn: sqlite3.Connection, alignments: dict[int, dict]) -> None:
    """Fill ``texts``, ``trefs`` and ``tkinds`` of each alignment with its target segments, in text order."""
    for chunk in _chunks(list(alignments)):
        for aid, text, ref, kind in conn.execute(
            "select at.alignment, s.text, s.ref, s.kind from alignment_targets at join segments s on s.id = at.segment"
            f" where at.alignment in ({_marks(chunk)}) order by at.alignment, s.position",
            chunk,
        ):
            a = alignments[aid]
            a["texts"].append(text)
            a["trefs"].append(ref)
            a["tkinds"].append(kind)


def version_leftovers(conn: sqlite3.Connection, vid: str, pivot_vid: str, division: int | None) -> list[dict]:
    """The leftover (0:1) rows of version ``vid`` that fall among the pivot's sentences of one division (or all).

    A leftover row has no pivot sentence; its ``position`` puts it just after the row whose text precedes its
    sentence. One that stands between two divisions belongs to both (the end of one page, the start of the
    next: wherever a translator took it out, it is in view); before the first sentence it opens the first
    division, after the last it closes the last.
    In row order: ``[{"id", "position", "status", "score", "stale", "method", "actor", "at", "texts", "trefs",
    "tkinds"}]``.
    """
    sql = ("select id, position, status, score, stale, method, actor, at from alignments"
           " where version = ? and address is null")
    params: list = [vid]
    if division is not None:
        lo, hi = conn.execute("select min(position), max(position) from segments where version = ? and division = ?",
                              [pivot_vid, division]).fetchone()
        if lo is None:
            return []
        before = conn.execute("select max(position) from segments where version = ? and position < ?",
                              [pivot_vid, lo]).fetchone()[0]
        after = conn.execute("select min(position) from segments where version = ? and position > ?",
                             [pivot_vid, hi]).fetchone()[0]
        if before is not None:
            sql += " and position > ?"
            params.append(before)
        if after is not None:
            sql += " and position < ?"
            params.append(after)
    found = {r["id"]: {**r, "texts": [], "trefs": [], "tkinds": []}
             for r in rows(conn, sql + " order by position, id", params)}
    _add_targets(conn, found)
    return [a for a in found.values() if a["trefs"]]


def row_state(conn: sqlite3.Connection, vid: str, pivot_vid: str, key: str, name: str) -> dict | None:
    """The row of version ``vid`` a name points at, as the reading page names rows: a pivot ref (``24.1``, the
    row holding that sentence) or ``KEY:REF`` (the row holding that sentence of the version's own).

    ``{"id", "address" (a leftover's is its name ``KEY:REF``), "status", "text", "trefs"}``, or None when no
    row holds that sentence.
    """
    if name.startswith(key + ":"):
        ref = parse_address(name[len(key) + 1:])[0]
        row = conn.execute("select a.id, a.address, a.status from segments s join alignment_targets at"
                           " on at.segment = s.id join alignments a on a.id = at.alignment"
                           " where s.version = ? and s.ref = ? and a.version = ?", [vid, ref, vid]).fetchone()
    else:
        ref = parse_address(name)[0]
        row = conn.execute("select a.id, a.address, a.status from segments s join alignment_pivots ap"
                           " on ap.segment = s.id join alignments a on a.id = ap.alignment"
                           " where s.version = ? and s.ref = ? and a.version = ?", [pivot_vid, ref, vid]).fetchone()
    if row is None:
        return None
    targets = conn.execute("select s.ref, s.text from alignment_targets at join segments s on s.id = at.segment"
                           " where at.alignment = ? order by s.position", [row[0]]).fetchall()
    trefs = [t[0] for t in targets]
    address = row[1] if row[1] is not None else (
        f"{key}:" + (trefs[0] if len(trefs) == 1 else f"{trefs[0]}-{trefs[-1]}") if trefs else None)
    return {"id": row[0], "address": address or ref, "status": row[2], "text": " ".join(t[1] for t in targets),
            "trefs": trefs}


def last_own_revision(conn: sqlite3.Connection, work: str, key: str, actor: str) -> dict | None:
    """A person's latest revision of a version that is neither a revert nor reverted already (what undo undoes):
    ``{"id", "address"}`` or None."""
    found = rows(conn,
                 "select r.id, r.address from revisions r join versions v on v.id = r.version"
                 " where r.work = ? and v.key = ? and r.actor = ? and r.reverts is null"
                 " and not exists (select 1 from revisions u where u.reverts = r.id)"
                 " order by r.id desc limit 1", [work, key, actor])
    return found[0] if found else None


def first_ref(conn: sqlite3.Connection, pivot_vid: str, division: int, *, last: bool = False) -> str | None:
    """The ref of a division's first pivot sentence (``last``: its last)."""
    row = conn.execute("select ref from segments where version = ? and division = ? order by position"
                       + (" desc" if last else "") + " limit 1", [pivot_vid, division]).fetchone()
    return row[0] if row else None


def division_of_ref(conn: sqlite3.Connection, pivot_vid: str, ref: str) -> int | None:
    row = conn.execute("select division from segments where version = ? and ref = ?", [pivot_vid, ref]).fetchone()
    return row[0] if row else None


def segment_text(conn: sqlite3.Connection, vid: str, ref: str) -> str | None:
    row = conn.execute("select text from segments where version = ? and ref = ?", [vid, ref]).fetchone()
    return row[0] if row else None


def division_signatures(conn: sqlite3.Connection, work: str, pivot_key: str, keys: list[str]) -> dict[int, tuple]:
    """Per pivot division, a value that changes whenever an alignment of one of ``keys`` there changes.

    A changed slot is a new alignment row (a new id), so count, max and sum
    of the alignment ids linked to a division's pivot sentences will do.
    """
    keys = [k for k in dict.fromkeys(keys) if k != pivot_key]
    if not keys:
        return {}
    return {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "select s.division, count(*), max(ap.alignment), sum(ap.alignment)"
            " from segments s cross join alignment_pivots ap on ap.segment = s.id"
            " cross join alignments a on a.id = ap.alignment"
            f" where s.version = ? and a.version in ({_marks(keys)}) group by s.division",
            [version_id(work, pivot_key), *[version_id(work, k) for k in keys]],
        )
    }


def segment_ids(conn: sqlite3.Connection, vid: str, refs: list[str]) -> list[int]:
    """Ids of a version's segments by ref (unknown refs left out)."""
    return [r[0] for r in conn.execute(
        f"select id from segments where version = ? and ref in ({_marks(refs)}) order by position", [vid, *refs])]


def segments_by_id(conn: sqlite3.Connection, ids: list[int]) -> list[dict]:
    """Whole segment rows, in text order."""
    out: list[dict] = []
    for chunk in _chunks(list(ids)):
        out += rows(conn, f"select * from segments where id in ({_marks(chunk)})", chunk)
    return sorted(out, key=lambda r: (r["version"], r["position"]))


def pivot_span_ids(conn: sqlite3.Connection, pivot_vid: str, address: str) -> list[int]:
    """Ids of the pivot sentences an address (``24.1`` or ``24.1-24.3``) covers; ``[]`` for an unknown ref."""
    pos = []
    for ref in parse_address(address):
        row = conn.execute("select position from segments where version = ? and ref = ?", [pivot_vid, ref]).fetchone()
        if row is None:
            return []
        pos.append(row[0])
    return [r[0] for r in conn.execute(
        "select id from segments where version = ? and position between ? and ? order by position",
        [pivot_vid, pos[0], pos[-1]])]


def slot_statuses(conn: sqlite3.Connection, work: str, key: str, address: str) -> set[str]:
    """The statuses of the alignments of version ``key`` that touch the pivot sentences of ``address``
    (what a save there would change); empty for an unknown work, version or address."""
    vs = versions(conn, work)
    pivot = next((v for v in vs if v["is_pivot"]), None)
    version = next((v for v in vs if v["key"] == key), None)
    if pivot is None or version is None:
        return set()
    try:
        ids = pivot_span_ids(conn, pivot["id"], address)
    except AlignerError:
        return set()
    if not ids:
        return set()
    return {r[0] for r in conn.execute(
        "select distinct a.status from alignments a join alignment_pivots ap on ap.alignment = a.id"
        f" where a.version = ? and ap.segment in ({_marks(ids)})", [version["id"], *ids])}


def span_context(conn: sqlite3.Connection, pivot_vid: str, address: str, around: int = 6) -> dict:
    """The pivot sentences of a slot and the refs around them (to re-cut it).

    ``{"pivots": [{"id", "ref", "text", "kind", "position", "division"}], "division": n,
    "near": [refs from ``around`` positions before to ``around`` after]}``.
    """
    ids = pivot_span_ids(conn, pivot_vid, address)
    pivots = rows(
        conn,
        f"select id, ref, text, kind, position, division from segments where id in ({_marks(ids)}) order by position",
        ids,
    ) if ids else []
    lo = pivots[0]["position"] if pivots else 0
    hi = pivots[-1]["position"] if pivots else 0
    near = [r[0] for r in conn.execute(
        "select ref from segments where version = ? and position between ? and ? order by position",
        [pivot_vid, lo - around, hi + around])]
    return {"pivots": pivots, "division": pivots[0]["division"] if pivots else None, "near": near}


# ---------------------------------------------------------------------------
# Search


def search_segments(conn: sqlite3.Connection, match: str, vids: list[str], *, limit: int, offset: int = 0) -> dict:
    """Segments of the versions ``vids`` matching an FTS5 expression, best first.

    ``{"total": n, "rows": [{"id", "version", "ref", "text", "typed", "division"}]}``.
    Raises :class:`sqlite3.OperationalError` for an expression FTS5 refuses.
    """
    expr = f"search : ({match})"
    # One index holds every work's segments. A build writes each work's segments with consecutive ids, so
    # the ids of the versions searched bound the hits: FTS5 takes the rowid range with the MATCH and
    # counts and ranks only the hits inside it, not every hit of a common word in the whole corpus.
    # Per version, so that each min and max is one seek in the index on segments(version).
    # Two statements: SQLite answers a lone min() or max() with one seek, both at once by reading every entry.
    ends = [(conn.execute("select min(id) from segments where version = ?", [vid]).fetchone()[0],
             conn.execute("select max(id) from segments where version = ?", [vid]).fetchone()[0]) for vid in vids]
    ends = [e for e in ends if e[0] is not None]
    if not ends:
        return {"total": 0, "rows": []}
    lo, hi = min(e[0] for e in ends), max(e[1] for e in ends)
    base = (
        "from segments_fts join segments s on s.id = segments_fts.rowid"
        # The unary + keeps SQLite from driving the join from the version's segments (one FTS
        # lookup per segment: 0.4 s on the Bible); the FTS index drives it instead.
        f" where segments_fts match ? and segments_fts.rowid between ? and ? and +s.version in ({_marks(vids)})"
    )
    params = [expr, lo, hi, *vids]
    total = conn.execute(f"select count(*) {base}", params).fetchone()[0]
    found = rows(
        conn,
        f"select s.id, s.version, s.ref, s.text, s.typed, s.division {base}"
        " order by segments_fts.rank, s.version, s.position limit ? offset ?",
        [*params, limit, offset],
    )
    return {"total": total, "rows": found}


def leftover_division(conn: sqlite3.Connection, segment: int, pivot_vid: str) -> int | None:
    """The part (pivot division) whose reading page shows the 0:1 row holding the version's ``segment``: that of
    the pivot sentence the row stands after (before the first, the first's)."""
    row = conn.execute(
        "select coalesce((select p.division from segments p where p.version = ? and p.position <= a.position"
        " order by p.position desc limit 1), (select min(division) from segments where version = ?))"
        " from alignment_targets at join alignments a on a.id = at.alignment where at.segment = ?",
        [pivot_vid, pivot_vid, segment]).fetchone()
    return row[0] if row else None


def aligned_pivot(conn: sqlite3.Connection, segment: int) -> tuple | None:
    """For a translation's segment: ``(pivot ref, pivot division, slot address, slot status)`` of its
    alignment (the first pivot sentence), or None when it is aligned to nothing."""
    row = conn.execute(
        "select p.ref, p.division, a.address, a.status from alignment_targets at"
        " join alignments a on a.id = at.alignment"
        " left join alignment_pivots ap on ap.alignment = a.id"
        " left join segments p on p.id = ap.segment"
        " where at.segment = ? order by p.position limit 1",
        [segment],
    ).fetchone()
    return tuple(row) if row else None


# ---------------------------------------------------------------------------
# Alignment map


def alignment_spans(conn: sqlite3.Connection, work: str, pivot_key: str, key: str, division: int | None) -> dict:
    """Where each alignment of one version lies, in sentence positions.

    ``pivot``: ``{id: (x0, x1, address, status, score, stale, division)}`` over pivot positions;
    ``target``: ``{id: (y0, y1, max typed, min typed)}`` over the version's positions;
    ``refs``: ``{pivot position: ref}``; ``loose``: ``[(id, y0, y1)]``, text aligned to no
    pivot sentence (only for the whole work, ``division`` None).
    """
    pivot_vid, vid = version_id(work, pivot_key), version_id(work, key)
    div_filter = ""
    params: list = [vid]
    if division is not None:
        div_filter = (" and a.id in (select ap2.alignment from alignment_pivots ap2 join segments s2 on s2.id = ap2.segment"
                      " where s2.version = ? and s2.division = ?)")
        params += [pivot_vid, division]
    pivot = {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "select a.id, min(s.position), max(s.position), a.address, a.status, a.score, a.stale, min(s.division)"
            " from alignments a join alignment_pivots ap on ap.alignment = a.id join segments s on s.id = ap.segment"
            f" where a.version = ?{div_filter} group by a.id",
            params,
        )
    }
    target = {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "select a.id, min(s.position), max(s.position), max(s.typed), min(s.typed)"
            " from alignments a join alignment_targets at on at.alignment = a.id join segments s on s.id = at.segment"
            f" where a.version = ?{div_filter} group by a.id",
            params,
        )
    }
    ref_sql = "select position, ref from segments where version = ?"
    ref_params: list = [pivot_vid]
    if division is not None:
        ref_sql += " and division = ?"
        ref_params.append(division)
    refs = dict(conn.execute(ref_sql, ref_params).fetchall())
    loose = []
    if division is None:
        loose = [tuple(r) for r in conn.execute(
            "select a.id, min(s.position), max(s.position) from alignments a"
            " join alignment_targets at on at.alignment = a.id join segments s on s.id = at.segment"
            " where a.version = ? and not exists (select 1 from alignment_pivots ap where ap.alignment = a.id)"
            " group by a.id",
            [vid],
        )]
    return {"pivot": pivot, "target": target, "refs": refs, "loose": loose}


# ---------------------------------------------------------------------------
# History


def history(conn: sqlite3.Connection, work: str, *, key: str | None = None, address: str | None = None,
            limit: int = 100, offset: int = 0) -> dict:
    """Revisions of a work, newest first; narrowed to a version and/or a pivot span.

    ``{"total": n, "revisions": [{"id", "version" (the key), "seq", "address", "old_text",
    "old_status", "new_text", "new_status", "actor", "channel", "at", "reverts"}]}``.
    """
    w = work_row(conn, work)
    where = ["r.work = ?"]
    params: list = [work]
    if key:
        where.append("v.key = ?")
        params.append(key)
    if address and w:
        ids = pivot_span_ids(conn, version_id(work, w["pivot"]), address)
        if not ids:
            return {"total": 0, "revisions": []}
        where.append(f"r.id in (select revision from revision_segments where segment in ({_marks(ids)}))")
        params += ids
    cond = " and ".join(where)
    total = conn.execute(f"select count(*) from revisions r join versions v on v.id = r.version where {cond}",
                         params).fetchone()[0]
    revs = rows(
        conn,
        "select r.id, r.work, v.key as version, r.seq, r.address, r.old_text, r.old_status, r.new_text, r.new_status,"
        f" r.actor, r.channel, r.at, r.reverts, r.op from revisions r join versions v on v.id = r.version where {cond}"
        " order by r.id desc limit ? offset ?",
        params + [limit, offset],
    )
    return {"total": total, "revisions": revs}
