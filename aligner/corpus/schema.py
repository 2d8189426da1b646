"""The corpus database's schema: tables, migrations, views, full-text search, connections.

The model:

* ``segments``: every sentence (or line-like block) of every version, with
  its offsets, block kind, division and content hash. Its ``ref`` ("24.1":
  block 24, sentence 1) is the id translators type.
* ``alignments``: a group of pivot segments linked to a group of segments of
  another version (n:m through ``alignment_pivots`` and
  ``alignment_targets``), with a status (empty, auto, draft, confirmed), a
  score and provenance. Each pivot segment belongs to exactly one alignment
  of each other version: that alignment is its *slot*.
* ``revisions``: the append-only history of every change a person made to a
  slot, with who, when, through which channel, old and new text and status.

The database is derived: ``texts/`` is the record (:mod:`aligner.record`), and
:mod:`aligner.corpus.build` makes a fresh file from it.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils import Migrations

from ..errors import InputError, UnknownError

DEFAULT_DB = "db/corpus.db"

migrations = Migrations("aligner")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["works"].create(
        {
            "id": str,
            "title": str,
            "author": str,
            "year": int,
            "description": str,
            "source": str,
            "source_url": str,
            "licence": str,
            "licence_url": str,
            "pivot": str,
        },
        pk="id",
    )
    db["versions"].create(
        {
            "id": str,
            "work": str,
            "key": str,
            "language": str,
            "role": str,
            "title": str,
            "file": str,
            "translator": str,
            "year": int,
            "source": str,
            "source_url": str,
            "transcription": str,
            "licence": str,
            "note": str,
            "position": int,
        },
        pk="id",
        foreign_keys=[("work", "works", "id")],
    )
    db["versions"].create_index(["work", "key"], unique=True)
    db["divisions"].create(
        {"id": int, "version": str, "n": int, "label": str},
        pk="id",
        foreign_keys=[("version", "versions", "id")],
    )
    db["divisions"].create_index(["version", "n"], unique=True)
    db["segments"].create(
        {
            "id": int,
            "version": str,
            "ref": str,
            "position": float,
            "division": int,
            "block": int,
            "block_key": str,
            "kind": str,
            "sentence": int,
            "text": str,
            "start": int,
            "end": int,
            "hash": str,
            "typed": int,
            "search": str,
        },
        pk="id",
        foreign_keys=[("version", "versions", "id")],
    )
    db["segments"].create_index(["version", "ref"], unique=True)
    db["segments"].create_index(["version", "position"])
    db["segments"].create_index(["version", "hash"])
    db["segments"].create_index(["kind"])
    db["alignments"].create(
        {
            "id": int,
            "work": str,
            "version": str,
            "address": str,
            "position": float,
            "status": str,
            "score": float,
            "method": str,
            "actor": str,
            "at": str,
            "stale": int,
        },
        pk="id",
        foreign_keys=[("work", "works", "id"), ("version", "versions", "id")],
        defaults={"stale": 0},
    )
    db["alignments"].create_index(["version", "position"])
    db["alignments"].create_index(["version", "address"])
    db["alignments"].create_index(["status"])
    for side in ("pivots", "targets"):
        db[f"alignment_{side}"].create(
            {"alignment": int, "segment": int},
            pk=("alignment", "segment"),
            foreign_keys=[("alignment", "alignments", "id"), ("segment", "segments", "id")],
        )
        db[f"alignment_{side}"].create_index(["segment"])
    db["revisions"].create(
        {
            "id": int,
            "work": str,
            "version": str,
            "seq": int,
            "address": str,
            "old_text": str,
            "old_status": str,
            "new_text": str,
            "new_status": str,
            "actor": str,
            "channel": str,
            "at": str,
            "reverts": int,
        },
        pk="id",
        foreign_keys=[("work", "works", "id"), ("version", "versions", "id"), ("reverts", "revisions", "id")],
    )
    db["revisions"].create_index(["version", "seq"], unique=True)
    db["revision_segments"].create(
        {"revision": int, "segment": int},
        pk=("revision", "segment"),
        foreign_keys=[("revision", "revisions", "id"), ("segment", "segments", "id")],
    )
    db["revision_segments"].create_index(["segment"])
    db["build"].create(
        {"id": int, "built_at": str, "signature": str, "aligner": str, "segmenter": str, "aligner_method": str,
         "python": str, "sqlite": str, "sqlite_utils": str, "datasette": str, "texts": str},
        pk="id",
    )


@migrations()
def m002_library_scale_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the reading pages and Datasette's table pages need at a million sentences (benchmarks/serve.py)."""
    # A work's versions with their filled-slot counts (every reading, search and work page): no full scan.
    db["alignments"].create_index(["work", "version", "status"])
    # Datasette's alignments page is sorted by position (metadata.yml).
    db["alignments"].create_index(["position"])
    # A part (letter, chapter) of a version: its sentences in order, and sentence counts per part.
    db["segments"].create_index(["version", "division", "position"])


def version_id(work: str, key: str) -> str:
    """The id of a version row: the one place the scheme is written."""
    return f"{work}/{key}"


def connect(path: str | Path, *, create: bool = False) -> sqlite_utils.Database:
    """Open the corpus database for reading and writing, ready for concurrent writers.

    WAL lets readers (Datasette) go on while one writer writes; the busy
    timeout makes a second writer wait for the lock instead of failing with
    "database is locked".
    """
    p = Path(path)
    if not create and not p.exists():
        raise UnknownError(f"{path}: no such database (run 'aligner build' first)")
    conn = sqlite3.connect(str(p), timeout=30)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA foreign_keys = ON")
    if not create:
        if "works" not in db.table_names():
            raise InputError(str(path), "not an aligner corpus database (no 'works' table)")
        if db.journal_mode != "wal":
            try:
                db.enable_wal()
            except sqlite3.OperationalError:
                pass
        if migrations.pending(db):
            # A database built by an earlier version of the tool: bring its schema up to date before writing.
            migrations.apply(db)
    return db


def upgrade(path: str | Path) -> None:
    """Bring a database built by an earlier version of the tool up to date (its pending migrations).

    Every command that opens a corpus does this (:func:`connect`); ``aligner serve`` does it before the server
    starts, so its pages never read a database that a first save would then migrate under them."""
    connect(path).conn.close()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so two writers queue, not deadlock."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.commit()


def enable_search(db: sqlite_utils.Database) -> None:
    """Full-text search over every version's segments, kept in sync by triggers."""
    if "segments_fts" not in db.table_names():
        db["segments"].enable_fts(["text", "search"], tokenize="porter unicode61 remove_diacritics 2",
                                  create_triggers=True)


def create_views(db: sqlite_utils.Database) -> None:
    """Readable views: one row per alignment (``slot_texts``) and one row per pivot sentence (``parallel``)."""
    db.execute("DROP VIEW IF EXISTS slot_texts")
    db.execute(
        """
        CREATE VIEW slot_texts AS
        SELECT a.id AS alignment, a.work, v.key AS version, v.language, a.address AS segment, a.position,
          (SELECT group_concat(s.text, ' ') FROM (SELECT s.text FROM alignment_pivots ap JOIN segments s ON s.id = ap.segment
             WHERE ap.alignment = a.id ORDER BY s.position) s) AS pivot_text,
          coalesce((SELECT group_concat(t.text, ' ') FROM (SELECT t.text FROM alignment_targets at JOIN segments t ON t.id = at.segment
             WHERE at.alignment = a.id ORDER BY t.position) t), '') AS text,
          a.status, a.score, a.stale, a.method, a.actor, a.at
        FROM alignments a JOIN versions v ON v.id = a.version
        """
    )
    keys = [r[0] for r in db.execute(
        "select key from versions where role != 'pivot' group by key order by min(position), key"
    ).fetchall()]
    cols = []
    for k in keys:
        q = k.replace('"', '""')
        safe = "".join(c if c.isalnum() else "_" for c in k)
        cols.append(
            f"""(SELECT st.text FROM alignment_pivots ap JOIN alignments a ON a.id = ap.alignment
                  JOIN versions v ON v.id = a.version AND v.key = '{q}' JOIN slot_texts st ON st.alignment = a.id
                  WHERE ap.segment = p.sid) AS [{safe}],
                (SELECT a.status FROM alignment_pivots ap JOIN alignments a ON a.id = ap.alignment
                  JOIN versions v ON v.id = a.version AND v.key = '{q}'
                  WHERE ap.segment = p.sid) AS [{safe}_status]"""
        )
    # The ordered rows come from an inner query and the per-version texts are added outside it: a count or a
    # facet over the view (Datasette runs both on every page) then never computes those texts, which at a
    # million sentences made each of them take seconds. The inner query walks works in the order they were
    # added (rowid: a build adds them sorted by folder name), then each pivot's segments in the order of
    # their (version, position) index (CROSS JOIN and INDEXED BY fix that plan; ordering by the works' text
    # id instead would make SQLite sort, as a TEXT primary key may hold NULLs): the first page of the whole
    # view then reads 101 rows instead of computing every version's text for a whole work and sorting it
    # (0.6-5 s at a million sentences).
    db.execute("DROP VIEW IF EXISTS parallel")
    db.execute(
        f"""
        CREATE VIEW parallel AS
        SELECT p.work, p.segment, p.division, p.kind, p.pivot{''.join(', ' + c for c in cols)}
        FROM (SELECT w.id AS work, s.ref AS segment, s.division, s.kind, s.text AS pivot, s.id AS sid
              FROM works w JOIN versions pv ON pv.work = w.id AND pv.key = w.pivot
              CROSS JOIN segments s INDEXED BY idx_segments_version_position ON s.version = pv.id
              ORDER BY w.rowid, s.position) p
        """
    )


@migrations()
def m003_link_revisions(db: sqlite_utils.Database) -> None:
    """Revisions of links: what operation, and the links before and after it (JSON), so that undo restores links
    instead of retyping text."""
    for column in ("op", "before", "after"):
        db["revisions"].add_column(column, str)


@migrations()
def m004_segment_id_range(db: sqlite_utils.Database) -> None:
    """The id range of a version's segments in two index seeks (the plugin's search bounds FTS by it)."""
    db["segments"].create_index(["version"], if_not_exists=True)


@migrations()
def m005_parts_counted_from_1(db: sqlite_utils.Database) -> None:
    """Parts (divisions) counted from 1 in every version: the front matter, once a division 0 of its own, opens
    division 1, as a build from the same texts now puts it (:func:`aligner.text.segment.structure`)."""
    db.execute("UPDATE segments SET division = 1 WHERE division = 0")
    # The first division keeps its own label (a letter's dateline); a version that had only front matter, or
    # text with no structure, gets the label a build gives it.
    db.execute("DELETE FROM divisions WHERE n = 0 AND EXISTS"
               " (SELECT 1 FROM divisions d WHERE d.version = divisions.version AND d.n = 1)")
    db.execute("UPDATE divisions SET n = 1, label = 'Part 1' WHERE n = 0")


@migrations()
def m006_embeddings(db: sqlite_utils.Database) -> None:
    """The aligner's sentence-embedding cache (the ``embeddings`` extra): one vector per sentence text and model,
    as float16 bytes, so re-aligning a version (``aligner align``, ``--from``) embeds nothing twice.

    Keyed by the text's content hash (:func:`aligner.model.text_hash`), not by segment id: the same sentence in
    two versions or after a rebuild is the same vector."""
    db["embeddings"].create({"hash": str, "model": str, "dim": int, "vector": bytes}, pk=("hash", "model"),
                            not_null={"hash", "model", "dim", "vector"})
