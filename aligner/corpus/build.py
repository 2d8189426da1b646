"""Building the corpus database from ``texts/``: a fresh file, swapped in only when complete.

:func:`build` reads every work folder (its ``work.toml``, its texts, and the
translators' work dumped as JSON Lines beside them) into a temporary database
file and renames it over the old one, so a failed build never leaves a
half-written corpus.

Slots survive re-segmentation because the dump stores, beside each pivot
ref, the hash of its text: on build an alignment goes back to the segment
with the same ref and hash, else to a segment with the same hash nearby (the
sentence moved), else to the segment with its old ref, flagged ``stale``
(the English changed; a person should look), and never is it dropped.
"""

from __future__ import annotations

import bisect
import gc
import json
import os
import platform
import shutil
import sqlite3
import tempfile
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import sqlite_utils

from ..errors import AlignerError, InputError
from ..model import STATUSES, make_address, text_hash
from ..provenance import now
from ..record import (
    HISTORY_FIELDS, SLOT_FIELDS, Version, Work, check_fields, find_works, history_path, load_jsonl, load_work,
    slots_path,
)
from ..text.search import normalize_for_search
from ..text.segment import Document, Segment, is_tsv, read_text, segment_text, segment_tsv
from ..text.sentences import splitter_signature
from ..align.embed import default_embedder
from .autoalign import align_version, unaligned_warning
from .lock import writer_lock
from .counts import add_counts, create_counts, keep_counts
from .schema import DEFAULT_DB, create_views, enable_search, migrations, version_id

DEFAULT_TEXTS = "texts"


@dataclass
class BuildReport:
    db_path: str
    works: int = 0
    versions: int = 0
    segments: int = 0
    alignments: int = 0
    revisions: int = 0
    stale: int = 0
    warnings: list[str] = field(default_factory=list)


def _versions_info() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("aligner", "sqlite-utils", "datasette", "sentencex"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def build_signature(segmenter: dict, align: dict | None = None) -> dict:
    """The build signature, in the spirit of sacrebleu's: what made these segments and alignments."""
    v = _versions_info()
    seg = "+".join(f"{k}:{val}" for k, val in sorted(segmenter.items()))
    al = "+".join(f"{k}:{val}" for k, val in sorted((align or {}).items())) or "none"
    sig = f"aligner:{v['aligner']}|seg:{seg}|align:{al}|sqlite:{sqlite3.sqlite_version}"
    return {
        "signature": sig,
        "aligner": v["aligner"],
        "segmenter": seg,
        "aligner_method": al,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_utils": v["sqlite-utils"],
        "datasette": v["datasette"],
    }


def segment_version(work: Work, version: Version) -> Document:
    """Read and segment one version's text file with the structure and sentence rules of its language."""
    path = work.path / version.file  # type: ignore[operator]
    text = read_text(path, inside=work.path)
    lang = version.language
    if is_tsv(path):
        return segment_tsv(text, lang, path=str(path))
    doc = segment_text(
        text,
        lang,
        title=version.title or (work.title if version.role == "pivot" else None),
        author=work.author,
    )
    if not doc.segments:
        raise InputError(str(path), "no sentences found")
    return doc


@dataclass
class _Read:
    """One version's files read, segmented, hashed and normalised for search: all a build computes without the
    database (three quarters of its time at library scale)."""

    doc: Document
    hashes: list[str]
    search: list[str]
    records: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    #: the search keys of the text translators typed or corrected in the records, by text
    typed_search: dict[str, str] = field(default_factory=dict)


def read_work(work: Work) -> dict[str, _Read]:
    """Every version of ``work`` read (:class:`_Read`), by key, its dump lines checked. Touches no database:
    it runs in a worker."""
    out = {}
    for key, v in work.versions.items():
        is_pivot = key == work.pivot
        doc = segment_version(work, v) if is_pivot or v.file else Document(text="")
        doc.text = ""  # the segments carry what is written; the whole source need not travel back
        read = _Read(doc, [text_hash(s.text) for s in doc.segments],
                     [normalize_for_search(s.text, v.language) for s in doc.segments])
        if not is_pivot:
            path, hpath = slots_path(work.path, v.key), history_path(work.path, v.key)
            read.records, read.history = load_jsonl(path), load_jsonl(hpath)
            for rec in read.records:
                check_fields(rec, SLOT_FIELDS, path, rec["_line"])
                # typed text (a row without targets) and corrected sentences; a row with targets shows theirs
                texts = ([] if rec.get("targets") else [rec.get("text")]) + list((rec.get("edits") or {}).values())
                for text in texts:
                    if text and text not in read.typed_search:
                        read.typed_search[text] = normalize_for_search(text, v.language)
            for h in read.history:
                check_fields(h, HISTORY_FIELDS, hpath, h.get("_line", 0))
        out[key] = read
    return out


@contextmanager
def _no_cyclic_gc():
    """Python's cyclic garbage collector off while a build runs (the caller collects after each work).

    A build allocates millions of small objects (dump lines, segments, rows) that live until their work is
    written; each allocation burst makes the collector walk them all again: about a sixth of a build's time
    at 100,000 sentences (benchmarks/README.md, build.py). Memory is still freed by reference counting; only
    cycles wait for the collection after each work, so memory stays flat in the number of works.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _drop_indexes(db: sqlite_utils.Database) -> list[str]:
    """Drop the secondary indexes the migrations made and return their SQL: a build makes each once, after the
    rows are in (one sorted pass instead of an update per row)."""
    indexes = db.execute("select name, sql from sqlite_master where type = 'index' and sql is not null").fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX [{name}]")
    return [sql for _, sql in indexes]


def build_shard(work: Work, path: str) -> dict:
    """Build one work into a database file of its own (a *shard*), ids counted from 1; run in a worker process.

    The writing process copies the shard into the corpus with its ids moved past those already written
    (:meth:`_Builder.take_shard`): a copy inside SQLite, so what the worker computed (segmenting, search keys,
    resolving the dump lines, the rows) never crosses between processes as Python objects. Handing works over
    as objects cost about as much unpickling as the worker had saved (benchmarks/README.md, build.py). New
    text is aligned here without sentence embeddings: :func:`build` builds in one process when they are on.
    """
    gc.disable()  # see _no_cyclic_gc; this process builds one work and its objects go with it
    try:
        db = sqlite_utils.Database(path, recreate=True)
        db.execute("PRAGMA journal_mode = OFF")  # a scratch file: deleted when the build fails
        db.execute("PRAGMA synchronous = OFF")
        migrations.apply(db)
        _drop_indexes(db)
        builder = _Builder(db, staging="main")
        with db.atomic():
            builder.build_work(work)
        db.close()
        r = builder.report
        return {"segments": builder.next_segment - 1, "alignments": builder.next_alignment - 1,
                "history": builder.history_count, "report": [r.versions, r.segments, r.alignments, r.stale],
                "warnings": r.warnings, "segmenter": builder.segmenter_sig, "align": builder.align_sig}
    finally:
        gc.collect()


def build_shards(works: list[Work], folder: str, jobs: int):
    """``(work, shard path, build_shard's result)`` in order, built by ``jobs`` worker processes ahead of the
    caller (at most two works per worker waiting, so disk and memory stay flat in the number of works).

    Workers are forked (:func:`_workers` asks for none when the caller runs other threads, whose locks a fork
    would copy in whatever state they are). A fresh interpreter (``spawn``) would import the caller's script
    again, and a script that builds at its top level would then wait for its own writers' lock.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        pending: deque = deque()
        upcoming = iter(enumerate(works))

        def submit(item) -> None:
            n, work = item
            path = os.path.join(folder, f"{n:06d}.db")
            pending.append((work, path, pool.submit(build_shard, work, path)))

        try:
            for item in upcoming:
                submit(item)
                if len(pending) >= 2 * jobs:
                    break
            while pending:
                work, path, future = pending.popleft()
                result = future.result()
                nxt = next(upcoming, None)
                if nxt is not None:
                    submit(nxt)
                yield work, path, result
        finally:
            for _, _, future in pending:
                future.cancel()


class _Builder:
    """Writes one fresh database from the work folders. Row order is deterministic."""

    def __init__(self, db: sqlite_utils.Database, progress: Callable[[str], None] | None = None, embedder=None,
                 staging: str = "temp"):
        self.db = db
        # Where revisions wait: the connection's temp schema; a shard's own file (``main``), so that the
        # writing process can take them over with the shard (:meth:`take_shard`).
        self.staging = staging
        self.embedder = embedder  # sentence embeddings for new texts (cached in this database), or None
        self.conn = db.conn
        self.next_segment = 1
        self.next_alignment = 1
        self.progress = progress or (lambda msg: None)
        self.report = BuildReport(db_path="")
        self.segmenter_sig: dict = {}
        self.align_sig: dict = {}
        self._typed_search: dict[str, str] = {}
        # Rows waiting for one executemany per version (one INSERT per row was most of the build's SQL time).
        self._typed_rows: list[tuple] = []
        self._alignment_rows: list[tuple] = []
        self._pivot_rows: list[tuple] = []
        self._target_rows: list[tuple] = []
        # Revisions wait on disk (temp tables), not in memory, until every work is read: memory stays flat in N.
        self.history_count = 0
        self.history_ids: set[int] = set()
        self.conn.execute(
            f"CREATE TABLE {staging}._history (n INTEGER PRIMARY KEY, work TEXT, key TEXT, version TEXT, sort_at, rev,"
            " given_id, slot, old_text, old_status, new_text, new_status, actor, channel, at, reverts, op,"
            " [before], [after])"
        )
        self.conn.execute(f"CREATE TABLE {staging}._history_segments (n INTEGER, segment INTEGER)")
        self.conn.execute(f"CREATE TABLE {staging}._reverts (reverts INTEGER, id INTEGER)")  # (reverted, reverting)

    def insert_segments(self, vid: str, doc: Document, lang: str, *, typed: bool = False,
                        hashes: list[str] | None = None, search: list[str] | None = None) -> list[int]:
        ids = []
        rows = []
        if hashes is None:
            hashes = [text_hash(s.text) for s in doc.segments]
        if search is None:
            search = [normalize_for_search(s.text, lang) for s in doc.segments]
        for pos, s in enumerate(doc.segments):
            sid = self.next_segment
            self.next_segment += 1
            ids.append(sid)
            rows.append(
                (sid, vid, s.ref, float(pos), s.division, s.block, s.key, s.kind, s.sentence, s.text, s.start, s.end,
                 hashes[pos], 1 if typed else 0, search[pos])
            )
        self.conn.executemany(
            "INSERT INTO segments (id, version, ref, position, division, block, block_key, kind, sentence, text,"
            " start, [end], hash, typed, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self.conn.executemany(
            "INSERT INTO divisions (version, n, label) VALUES (?,?,?)",
            [(vid, n, label) for n, label in sorted(doc.divisions.items())],
        )
        self.report.segments += len(rows)
        return ids

    def flush(self) -> None:
        """Write the rows :meth:`_emit` and :meth:`_typed_segment` collected (segments first: FKs)."""
        conn = self.conn
        if self._typed_rows:
            conn.executemany(
                "INSERT INTO segments (id, version, ref, position, division, block, block_key, kind, sentence, text,"
                " start, [end], hash, typed, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self._typed_rows,
            )
        conn.executemany(
            "INSERT INTO alignments (id, work, version, address, position, status, score, method, actor, at, stale)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            self._alignment_rows,
        )
        conn.executemany("INSERT INTO alignment_pivots VALUES (?,?)", self._pivot_rows)
        conn.executemany("INSERT INTO alignment_targets VALUES (?,?)", self._target_rows)
        for rows in (self._typed_rows, self._alignment_rows, self._pivot_rows, self._target_rows):
            rows.clear()

    def count_work(self, first_segment: int, first_alignment: int) -> None:
        """Count the rows of the work just written, while their pages are in the cache (the triggers come at
        the end: :func:`.counts.keep_counts`)."""
        add_counts(self.db, "segments", first_segment, self.next_segment - 1)
        add_counts(self.db, "alignments", first_alignment, self.next_alignment - 1)

    def take_shard(self, work: Work, path: str, result: dict) -> None:
        """Copy a work built by :func:`build_shard` into this database, its ids moved past those written so far:
        the rows come out as :meth:`build_work` would have written them in this process."""
        self.progress(work.slug)
        conn = self.conn
        seg, aln, hist = self.next_segment - 1, self.next_alignment - 1, self.history_count
        conn.execute("ATTACH DATABASE ? AS shard", [path])
        try:
            with self.db.atomic():
                self._check_shard_history_ids(work)
                # (source columns, with the ids moved) per table, in the order the foreign keys need
                moved = {
                    "works": None, "versions": None,
                    "segments": {"id": f"id + {seg}"},
                    "alignments": {"id": f"id + {aln}"},
                    "alignment_pivots": {"alignment": f"alignment + {aln}", "segment": f"segment + {seg}"},
                    "alignment_targets": {"alignment": f"alignment + {aln}", "segment": f"segment + {seg}"},
                    "revisions": None,
                    "revision_segments": {"segment": f"segment + {seg}"},
                }
                for table, exprs in moved.items():
                    cols = [r[1] for r in conn.execute(f"PRAGMA shard.table_info([{table}])")]
                    source = ", ".join((exprs or {}).get(c, f"[{c}]") for c in cols)
                    names = ", ".join(f"[{c}]" for c in cols)
                    conn.execute(f"INSERT INTO main.[{table}] ({names}) SELECT {source} FROM shard.[{table}]"
                                 " ORDER BY rowid")
                # divisions get their ids here, in the order the shard made them
                conn.execute("INSERT INTO main.divisions (version, n, label) SELECT version, n, label"
                             " FROM shard.divisions ORDER BY id")
                conn.execute("INSERT INTO temp._history SELECT n + ?, work, key, version, sort_at, rev, given_id, slot,"
                             " old_text, old_status, new_text, new_status, actor, channel, at, reverts, op, [before],"
                             " [after] FROM shard._history ORDER BY n", [hist])
                conn.execute("INSERT INTO temp._history_segments SELECT n + ?, segment + ? FROM shard._history_segments"
                             " ORDER BY rowid", [hist, seg])
                conn.execute("INSERT INTO temp._reverts SELECT reverts, id FROM shard._reverts ORDER BY rowid")
                self.next_segment += result["segments"]
                self.next_alignment += result["alignments"]
                self.history_count += result["history"]
                r = self.report
                r.works += 1
                for name, n in zip(("versions", "segments", "alignments", "stale"), result["report"]):
                    setattr(r, name, getattr(r, name) + n)
                r.warnings.extend(result["warnings"])
                self.segmenter_sig = result["segmenter"] or self.segmenter_sig
                self.align_sig = result["align"] or self.align_sig
                self.count_work(seg + 1, aln + 1)
        finally:
            conn.execute("DETACH DATABASE shard")

    def _check_shard_history_ids(self, work: Work) -> None:
        """A revision id of the shard's work already used by an earlier work is the error :meth:`stage_history`
        gives in one process (the shard checked its own work's ids)."""
        hit = self.conn.execute(
            "SELECT id FROM (SELECT id FROM shard.revisions UNION ALL"
            " SELECT given_id FROM shard._history WHERE given_id IS NOT NULL)"
            " WHERE id IN (SELECT id FROM main.revisions)"
            " OR id IN (SELECT given_id FROM temp._history WHERE given_id IS NOT NULL) LIMIT 1"
        ).fetchone()
        if hit is None:
            return
        for v in work.others():
            hpath = history_path(work.path, v.key)
            for h in load_jsonl(hpath):
                if h.get("id") == hit[0]:
                    raise InputError(str(hpath), f"revision id {hit[0]} is used twice", line=h.get("_line"))
        raise AlignerError(f"{work.path}: revision id {hit[0]} is used twice")

    def build_work(self, work: Work, read: dict[str, _Read] | None = None) -> None:
        """Write one work; ``read`` is :func:`read_work`'s result when a worker made it beforehand."""
        read = read if read is not None else read_work(work)
        db = self.db
        self.progress(work.slug)
        db["works"].insert(
            {
                "id": work.slug,
                "title": work.title,
                "author": work.author,
                "year": work.year,
                "description": work.description,
                "source": work.source,
                "source_url": work.source_url,
                "licence": work.licence,
                "licence_url": work.licence_url,
                "pivot": work.pivot,
            }
        )
        self.report.works += 1
        for position, (key, v) in enumerate(work.versions.items()):
            db["versions"].insert(
                {
                    "id": version_id(work.slug, key),
                    "work": work.slug,
                    "key": key,
                    "language": v.language,
                    "role": v.role,
                    "title": v.title,
                    "file": v.file,
                    "translator": v.translator,
                    "year": v.year,
                    "source": v.source,
                    "source_url": v.source_url,
                    "transcription": v.transcription,
                    "licence": v.licence,
                    "note": v.note,
                    "position": position,
                }
            )
            self.report.versions += 1
        pv = work.pivot_version
        pread = read[pv.key]
        self.segmenter_sig = {**splitter_signature(pv.language)}
        pids = self.insert_segments(version_id(work.slug, pv.key), pread.doc, pv.language, hashes=pread.hashes,
                                    search=pread.search)
        pivot = _PivotIndex(pread.doc.segments, pids, pread.hashes)
        for v in work.others():
            self.build_version(work, v, pivot, read[v.key])

    def build_version(self, work: Work, v: Version, pivot: "_PivotIndex", read: _Read) -> None:
        """Segments of one version and its alignments: from its dump, else (new text) from the aligner."""
        vid = version_id(work.slug, v.key)
        path = slots_path(work.path, v.key)
        records = read.records
        self._typed_search = read.typed_search
        self.stage_history(work, v, vid, read.history, pivot)
        tdoc, thashes = read.doc, read.hashes
        tids = self.insert_segments(vid, tdoc, v.language, hashes=thashes, search=read.search) if tdoc.segments else []
        targets_by_ref = {s.ref: (sid, h) for sid, s, h in zip(tids, tdoc.segments, thashes)}
        targets_by_hash: dict[str, list[int]] = {}
        for sid, h in zip(tids, thashes):
            targets_by_hash.setdefault(h, []).append(sid)
        groups: list[dict] = []
        used_targets: set[int] = set()
        corrections: list[tuple] = []
        for rec in records:
            group = self._resolve_record(rec, pivot, path, rec.pop("_line"))
            tlinks: list[int] = []
            for pair in rec.get("targets") or []:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise InputError(str(path), "'targets' must be a list of [ref, hash] pairs", line=group["line"])
                ref, h = pair
                hit = targets_by_ref.get(ref)
                sid = None
                if hit and hit[1] == h and hit[0] not in used_targets:
                    sid = hit[0]
                else:
                    sid = next((c for c in targets_by_hash.get(h, []) if c not in used_targets), None)
                    if sid is None and hit and hit[0] not in used_targets:
                        sid = hit[0]
                        group["stale"] = 1
                if sid is not None:
                    tlinks.append(sid)
                    used_targets.add(sid)
            group["targets"] = tlinks
            for ref, text in (rec.get("edits") or {}).items():
                hit = targets_by_ref.get(ref)
                if hit and hit[0] in tlinks:
                    corrections.append((text, self._search_keys(text, v.language), hit[0]))
            group["text"] = "" if rec.get("targets") else (rec.get("text") or "")
            if rec.get("targets") and not tlinks:
                group["stale"] = 1  # its sentences are gone from the file: keep the record, flagged
                group["text"] = rec.get("text") or ""
            groups.append(group)
        if corrections:
            self.conn.executemany("UPDATE segments SET text = ?, search = ? WHERE id = ?", corrections)
        self._link_typed_copies(groups, tids, tdoc.segments, thashes, used_targets)
        loose = [sid for sid in tids if sid not in used_targets]
        if loose:
            # New or changed text: the aligner fills around the human alignments, which stay as they are.
            human = [g for g in groups if g["status"] in ("draft", "confirmed") or g["text"]
                     or (g["status"] == "empty" and g["actor"] is not None)]
            human_ids = {id(g) for g in human}
            for g in groups:
                if id(g) not in human_ids:
                    used_targets.difference_update(g["targets"])
            groups = human
            fixed = [(g["pivots"], g["targets"]) for g in human if g["pivots"] or g["targets"]]
            beads, self.align_sig = align_version(
                pivot.segments, pivot.ids, tdoc.segments, tids, fixed, work.pivot_version.language, v.language,
                self.embedder,
            )
            warning = unaligned_warning(f"{work.slug}/{v.key}", beads, fixed, len(pivot.ids), len(tids))
            if warning:
                self.report.warnings.append(warning)
            place = _LeftoverPlace(pivot, tids, [(g["pivots"], g["targets"]) for g in groups]
                                   + [(pids, t_ids) for pids, t_ids, _ in beads])
            for pids, t_ids, score in beads:
                if not t_ids:
                    continue
                groups.append({"pivots": pids, "targets": t_ids, "text": "", "status": "auto", "score": score,
                               "method": "aligner" if pids else "unaligned", "actor": None, "at": None, "stale": 0,
                               "line": 0, "after": None if pids else place.after(t_ids[0])})
        self._emit(work, vid, v, pivot, groups)
        self.flush()

    @staticmethod
    def _link_typed_copies(groups: list[dict], tids: list[int], segments: list[Segment], hashes: list[str],
                           used: set[int]) -> None:
        """Turn a typed copy of the version's own unlinked sentences back into a link to them.

        Earlier versions of the tool confirmed an imported sentence by storing a typed copy of its text and
        leaving the sentence itself unaligned; such a record is found here (same text as one to four
        consecutive unlinked sentences) and becomes the link it always meant.
        """
        typed = [g for g in groups if g["text"] and not g["targets"]]
        if not typed:
            return
        # The copied sentence sits unused, or in a 0:1 row of its own that nobody decided on.
        leftovers = {t: g for g in groups if not g["pivots"] and g["status"] == "auto" for t in g["targets"]}
        free = [i for i, sid in enumerate(tids) if sid not in used or sid in leftovers]
        # Every run of one to four consecutive free sentences, by the hash of its text, in file order: a text
        # that recurs (a closing, a signature) has a run for each place, and its typed copies take them in turn.
        runs: dict[str, deque[list[int]]] = {}
        for k, i in enumerate(free):
            for n in range(1, 5):
                run = free[k:k + n]
                if len(run) < n or run[-1] - run[0] != n - 1:
                    break
                h = hashes[i] if n == 1 else text_hash(" ".join(segments[j].text for j in run))
                runs.setdefault(h, deque()).append(run)
        claimed: set[int] = set()

        def taken(run: list[int]) -> bool:
            return any(tids[j] in claimed or (tids[j] in used and tids[j] not in leftovers) for j in run)

        for g in typed:
            candidates = runs.get(text_hash(g["text"]))
            while candidates and taken(candidates[0]):
                candidates.popleft()  # runs are only ever taken, never given back: skip each once
            if not candidates:
                continue
            run = candidates.popleft()
            g["targets"] = [tids[j] for j in run]
            g["text"] = ""
            claimed.update(g["targets"])
            used.update(g["targets"])
            for t in g["targets"]:
                if t in leftovers:
                    leftovers[t]["targets"].remove(t)
        groups[:] = [g for g in groups if g["pivots"] or g["targets"] or g["text"]]

    def _emit(self, work: Work, vid: str, v: Version, pivot: "_PivotIndex", groups: list[dict]) -> None:
        """Insert alignments for ``groups``; merge groups that claim one pivot; empty slots for the rest."""
        claimed: dict[int, dict] = {}
        kept: list[dict] = []
        for g in groups:
            clash = [claimed[p] for p in g["pivots"] if p in claimed]
            if clash:
                into = clash[0]
                into["pivots"] = sorted(set(into["pivots"]) | set(g["pivots"]), key=pivot.position_of)
                into["targets"] = into["targets"] + g["targets"]
                into["text"] = " ".join(t for t in (into["text"], g["text"]) if t)
                into["stale"] = 1
                for p in into["pivots"]:
                    claimed[p] = into
                continue
            for p in g["pivots"]:
                claimed[p] = g
            kept.append(g)
        for sid in pivot.ids:
            if sid not in claimed:
                kept.append({"pivots": [sid], "targets": [], "text": "", "status": "empty", "stale": 0})
        for g in kept:
            if g["pivots"]:
                g["pos"] = pivot.position_of(g["pivots"][0])
            else:
                after = g.get("after")
                g["pos"] = (float(pivot.by_ref[after]) + 0.5) if after in pivot.by_ref else -0.5
        kept.sort(key=lambda g: g["pos"])
        # One alignment row per group, its pivot and target links (ids are given here, so nothing is read back).
        rows, pivot_rows, target_rows = self._alignment_rows, self._pivot_rows, self._target_rows
        aid = self.next_alignment
        for g in kept:
            pivots = g["pivots"]
            address = pivot.address(pivots) if pivots else None
            targets = g["targets"]
            if g["text"]:
                first = pivots[0] if pivots else None
                seg = Segment(0, pivot.kind_of(first) if first else "paragraph", 0, g["text"], 0, 0,
                              pivot.division_of(first) if first else 1)
                targets = [*targets, self._typed_segment(vid, v.language, "@" + (address or f"line{g.get('line')}"),
                                                         seg, g["pos"])]
            # A row confirmed with nothing in it is a decision (no counterpart); any other row without text is empty.
            status = g["status"] if targets or g["status"] == "confirmed" else "empty"
            method = g.get("method")
            if not pivots and method is None:
                method = "unaligned"
            stale = g.get("stale", 0)
            rows.append((aid, work.slug, vid, address, g["pos"], status, g.get("score"), method, g.get("actor"),
                         g.get("at"), stale))
            for sid in pivots:
                pivot_rows.append((aid, sid))
            for sid in targets:
                target_rows.append((aid, sid))
            aid += 1
            if stale:
                self.report.stale += 1
        self.report.alignments += aid - self.next_alignment
        self.next_alignment = aid

    def _typed_segment(self, vid: str, lang: str, ref: str, seg: Segment, position: float) -> int:
        sid = self.next_segment
        self.next_segment += 1
        self._typed_rows.append(
            (sid, vid, ref, position, seg.division, None, None, seg.kind, None, seg.text, None, None,
             text_hash(seg.text), 1, self._search_keys(seg.text, lang))
        )
        self.report.segments += 1
        return sid

    def _search_keys(self, text: str, lang: str) -> str:
        """Search keys of a typed text: worked out with the version's reading (:func:`read_work`) when it can be."""
        found = self._typed_search.get(text)
        return found if found is not None else normalize_for_search(text, lang)

    def _resolve_record(self, rec: dict, pivot: "_PivotIndex", path: Path, line: int) -> dict:
        # its fields' types were checked when the version was read (read_work)
        status = rec.get("status", "draft")
        if status not in STATUSES:
            raise InputError(str(path), f"invalid status {status!r}", line=line)
        refs = rec.get("pivot")
        if not isinstance(refs, list) or not all(isinstance(r, list) and len(r) == 2 for r in refs):
            raise InputError(str(path), "'pivot' must be a list of [ref, hash] pairs", line=line)
        if not refs and not rec.get("targets"):
            raise InputError(str(path), "an alignment needs pivot segments or targets", line=line)
        pivots, stale = pivot.resolve(refs)
        if refs and not pivots:
            stale = 1
        score = rec.get("score")
        return {
            "pivots": pivots,
            "status": status,
            "score": score,
            "method": rec.get("via"),
            "actor": rec.get("by"),
            "at": rec.get("at"),
            "stale": 1 if (stale or rec.get("stale")) else 0,
            "line": line,
            "after": rec.get("after"),
        }

    def stage_history(self, work: Work, v: Version, vid: str, history: list[dict], pivot: "_PivotIndex") -> None:
        """One version's revisions, their pivot refs resolved: written straight into ``revisions`` when every line
        has its ``id`` (today's files), else kept in temp tables until :meth:`insert_history` numbers them."""
        rows, segs = [], []
        hpath = history_path(work.path, v.key)
        direct = all(type(h.get("id")) is int for h in history)
        for h in history:  # its fields' types were checked when the version was read (read_work)
            # Today's files number revisions with their one "id"; older ones with a per-version "rev".
            given, seq = h.get("id"), h.get("rev")
            if given is None and seq is None:
                raise InputError(str(hpath), "each revision needs an integer 'id'", line=h.get("_line"))
            if given is not None:
                if given in self.history_ids:
                    raise InputError(str(hpath), f"revision id {given} is used twice", line=h.get("_line"))
                self.history_ids.add(given)
            self.history_count += 1
            n = given if direct else self.history_count
            op = h.get("op")
            before = json.dumps(h["before"], ensure_ascii=False) if op else None
            after = json.dumps(h["after"], ensure_ascii=False) if op else None
            if direct:
                rows.append((given, work.slug, vid, h.get("slot"), h.get("old_text", ""), h.get("old_status", "empty"),
                             h.get("new_text", ""), h.get("new_status", "empty"), h.get("by"), h.get("via"),
                             h.get("at"), op, before, after, h.get("reverts")))
            else:
                rows.append((n, work.slug, v.key, vid, h.get("at") or "", seq, given, h.get("slot"),
                             h.get("old_text", ""), h.get("old_status", "empty"), h.get("new_text", ""),
                             h.get("new_status", "empty"), h.get("by"), h.get("via"), h.get("at"),
                             h.get("reverts") or None, op, before, after))
            for ref in h.get("segments") or []:
                i = pivot.by_ref.get(ref)
                if i is not None:
                    segs.append((n, pivot.ids[i]))
        if not direct:
            self.conn.executemany(f"INSERT INTO {self.staging}._history VALUES ({','.join('?' * 19)})", rows)
            self.conn.executemany(f"INSERT INTO {self.staging}._history_segments VALUES (?,?)", segs)
            return
        # The version's revisions in id order, numbered 1, 2, ... (seq); a revert is linked once all are in.
        rows.sort()
        self.conn.executemany(
            "INSERT INTO revisions (id, work, version, seq, address, old_text, old_status, new_text, new_status,"
            " actor, channel, at, reverts, op, [before], [after]) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,?,?,?)",
            [(r[0], r[1], r[2], seq, *r[3:14]) for seq, r in enumerate(rows, 1)])
        self.conn.executemany(f"INSERT INTO {self.staging}._reverts VALUES (?,?)",
                              [(r[14], r[0]) for r in rows if type(r[14]) is int and r[14]])
        self.conn.executemany("INSERT OR IGNORE INTO revision_segments VALUES (?,?)", segs)

    def insert_history(self) -> None:
        """Revisions of all works, in time order: ids come out as they were when first recorded.

        A revision dumped with its ``id`` keeps it. Older files (a per-version ``rev``) get ids after those, in
        (time, work, version, rev, order read), and a revert there points to the revision of its version with
        that rev. Done in SQL over the staged rows, so nothing grows in memory.
        """
        conn = self.conn
        # Ids and per-version sequence numbers are worked out on narrow rows (the sorts stay small), then the
        # revisions are copied in id order: an append, with no sort of their texts.
        conn.execute("CREATE TEMP TABLE _history_ids (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, version TEXT)")
        conn.execute(
            "INSERT INTO temp._history_ids (id, n, version) SELECT coalesce(given_id,"
            " max((SELECT coalesce(max(given_id), 0) FROM temp._history), (SELECT coalesce(max(id), 0) FROM revisions))"
            " + row_number() OVER"
            " (PARTITION BY given_id IS NULL ORDER BY sort_at, work, key, rev, n)), n, version FROM temp._history"
        )
        conn.execute("CREATE TEMP TABLE _history_seq (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, seq INTEGER)")
        conn.execute("INSERT INTO temp._history_seq SELECT id, n, row_number() OVER (PARTITION BY version ORDER BY id)"
                     " FROM temp._history_ids")
        conn.execute("CREATE UNIQUE INDEX temp._history_seq_n ON _history_seq (n)")
        conn.execute(
            "INSERT INTO revisions (id, work, version, seq, address, old_text, old_status, new_text, new_status,"
            " actor, channel, at, reverts, op, [before], [after]) SELECT i.id, h.work, h.version, i.seq, h.slot,"
            " h.old_text, h.old_status, h.new_text, h.new_status, h.actor, h.channel, h.at, NULL, h.op, h.[before],"
            " h.[after] FROM temp._history_seq i JOIN temp._history h ON h.n = i.n ORDER BY i.id"
        )
        conn.execute(
            "INSERT INTO temp._reverts SELECT h.reverts, i.id FROM temp._history h JOIN temp._history_seq i ON i.n = h.n"
            " WHERE h.given_id IS NOT NULL AND typeof(h.reverts) = 'integer'"
            " UNION ALL SELECT i2.id, i.id FROM temp._history h JOIN temp._history_seq i ON i.n = h.n"
            " JOIN temp._history h2 ON h2.version = h.version AND h2.rev = h.reverts AND h2.given_id IS NULL"
            " JOIN temp._history_seq i2 ON i2.n = h2.n"
            " WHERE h.given_id IS NULL AND typeof(h.reverts) = 'integer' AND i2.id <= i.id"
        )
        # A revert of a revision the files do not hold is kept without its link (as it was recorded, nothing lost).
        conn.execute("CREATE INDEX temp._reverts_id ON _reverts (id)")
        conn.execute("UPDATE revisions SET reverts = (SELECT r.reverts FROM temp._reverts r WHERE r.id = revisions.id)"
                     " WHERE id IN (SELECT r.id FROM temp._reverts r JOIN revisions t ON t.id = r.reverts)")
        conn.execute(
            "INSERT OR IGNORE INTO revision_segments SELECT i.id, s.segment"
            " FROM temp._history_segments s JOIN temp._history_seq i ON i.n = s.n ORDER BY i.id, s.rowid"
        )
        self.report.revisions += self.history_count
        for t in ("_reverts", "_history_seq", "_history_ids", "_history_segments", "_history"):
            conn.execute(f"DROP TABLE temp.{t}")


class _LeftoverPlace:
    """Where a sentence the aligner left without a partner stands: after the row that links the nearest sentence
    before it in its text, or (a sentence before all the linked text, a title) before the row of the nearest
    after it, as :func:`aligner.corpus.links.leftover_position` places one a person leaves. The search's order
    of the deletions and insertions in a gap is arbitrary: after rows people typed it put a new text's sentences
    after the work's last sentence, and a re-alignment then moved them back."""

    def __init__(self, pivot: "_PivotIndex", tids: Sequence[int], rows: Sequence[tuple[Sequence[int], Sequence[int]]]):
        self.pivot = pivot
        self.t_index = {sid: k for k, sid in enumerate(tids)}
        self.row_at: dict[int, int] = {}  # text index of a linked target sentence -> pivot index of its row
        for pids, t_ids in rows:
            if pids:
                first = min(pivot.index_of[p] for p in pids)
                for t in t_ids:
                    if t in self.t_index:
                        self.row_at[self.t_index[t]] = first
        self.linked = sorted(self.row_at)

    def after(self, target: int) -> str | None:
        """The pivot ref the sentence ``target`` is placed after (None: before the first)."""
        k = bisect.bisect_left(self.linked, self.t_index[target])
        if k:
            return self.pivot.refs[self.row_at[self.linked[k - 1]]]
        if k < len(self.linked):
            first = self.row_at[self.linked[k]]
            return self.pivot.refs[first - 1] if first else None
        return None


class _PivotIndex:
    """Finds pivot segments by ref and by hash, for re-attaching dumped alignments."""

    def __init__(self, segments: list[Segment], ids: list[int], hashes: list[str] | None = None):
        self.segments = segments
        self.ids = ids
        self.refs = [s.ref for s in segments]  # ``Segment.ref`` formats a string each time: once per build here
        self.by_ref = {ref: i for i, ref in enumerate(self.refs)}
        self.by_hash: dict[str, list[int]] = {}
        self.hashes = hashes if hashes is not None else [text_hash(s.text) for s in segments]
        for i, h in enumerate(self.hashes):
            self.by_hash.setdefault(h, []).append(i)
        self.index_of = {sid: i for i, sid in enumerate(ids)}

    def position_of(self, sid: int) -> float:
        return float(self.index_of[sid])

    def kind_of(self, sid: int) -> str:
        return self.segments[self.index_of[sid]].kind

    def division_of(self, sid: int) -> int:
        return self.segments[self.index_of[sid]].division

    def address(self, sids: list[int]) -> str:
        return make_address(self.refs[self.index_of[sids[0]]], self.refs[self.index_of[sids[-1]]])

    def resolve(self, refs: list[list[str]]) -> tuple[list[int], int]:
        """Pivot segment ids for dumped ``[ref, hash]`` pairs, and whether any sentence changed.

        A sentence is found by ref and hash, else by hash near where it was
        (it moved), else next to its neighbours from the same record that
        were found (it changed: stale), else by its old ref (stale).
        """
        idx = [self.by_ref.get(ref) for ref, _ in refs]
        if None not in idx and all(self.hashes[i] == h for i, (_, h) in zip(idx, refs)):
            return [self.ids[i] for i in sorted(set(idx))], 0  # every sentence where it was: the usual case
        found: list[int | None] = []
        for ref, h in refs:
            i = self.by_ref.get(ref)
            if i is not None and self.hashes[i] == h:
                found.append(i)
                continue
            cands = self.by_hash.get(h, [])
            if cands:
                near = i if i is not None else next((f for f in reversed(found) if f is not None), 0)
                found.append(min(cands, key=lambda c: abs(c - near)))
            else:
                found.append(None)
        stale = 0
        out: list[int] = []
        for j, f in enumerate(found):
            if f is not None:
                out.append(f)
                continue
            stale = 1
            anchors = [(k, g) for k, g in enumerate(found) if g is not None]
            if anchors:
                k, g = min(anchors, key=lambda kg: abs(kg[0] - j))
                guess = g + (j - k)
                if 0 <= guess < len(self.ids):
                    out.append(guess)
                continue
            i = self.by_ref.get(refs[j][0])
            if i is not None:
                out.append(i)
        out = sorted(set(out))
        return [self.ids[i] for i in out], stale


def build(
    texts_dir: str | Path = DEFAULT_TEXTS,
    db_path: str | Path = DEFAULT_DB,
    *,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    embeddings: bool | None = None,
    jobs: int | None = None,
) -> BuildReport:
    """Build the corpus database from the work folders under ``texts_dir``.

    Writes a temporary file beside ``db_path`` and copies it into the old
    one only when everything succeeded, so bad input leaves the old database
    exactly as it was. Refuses to replace a database that holds revisions the
    text files do not (run ``aligner dump`` first), unless ``force``. ``jobs``
    worker processes build the next works, each into a file of its own, while this process copies the
    finished ones in (:func:`build_shards`); None chooses by the corpus's size (:func:`_workers`), 0 builds
    every work in this process. The database is the same either way. The
    whole build holds the writers' lock (:mod:`.lock`), so no change can slip
    in between reading ``texts/`` and replacing the database. ``embeddings``: False aligns new texts
    without sentence embeddings even when the extra is installed; the old database's cached vectors are
    carried into the new one, so a rebuild does not embed them again.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(db_path):
        return _build(Path(texts_dir), db_path, progress, force, jobs, embeddings)


def _carry_embeddings(db: sqlite_utils.Database, old: Path) -> None:
    """Copy the embedding cache of the database being replaced into the fresh one (inside its transaction)."""
    try:
        src = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        try:
            if not src.execute("select 1 from sqlite_master where type = 'table' and name = 'embeddings'").fetchone():
                return
            rows = src.execute("select hash, model, dim, vector from embeddings")
            while True:
                chunk = rows.fetchmany(5000)
                if not chunk:
                    break
                db.conn.executemany("insert or ignore into embeddings (hash, model, dim, vector) values (?, ?, ?, ?)",
                                    chunk)
        finally:
            src.close()
    except sqlite3.DatabaseError:
        return  # not a database we can read: nothing to carry (the build reports real problems elsewhere)


#: Texts (every file of the work folders) from this many bytes up are built by worker processes unless asked
#: otherwise. Measured on 2 cores: the shipped texts (1 MB, 2 works) 0.6 s either way; 16 MB (4 works) 3.1 s in
#: one process, 2.1 s with two workers; a million sentences (1.6 GB, 40 works) 218 s, 142 s.
PARALLEL_FROM_BYTES = 5_000_000


def _other_threads() -> bool:
    return threading.active_count() > 1


def _workers(jobs: int | None, works: list[Work], embedder) -> int:
    """Worker processes for the build (0: this process builds every work). ``jobs`` None chooses: one per core
    for a corpus of :data:`PARALLEL_FROM_BYTES` or more. With sentence embeddings on, the works are built here
    whatever ``jobs`` says: new text is aligned with the vectors cached in the corpus database being written, and
    the embedding model already keeps every core busy (300 sentences: 3.7 s wall, 6.9 s CPU on two cores). Also
    when this process runs other threads (see :func:`build_shards`)."""
    if embedder is not None or len(works) < 2 or _other_threads():
        return 0
    if jobs is None:
        size = sum(f.stat().st_size for w in works for f in Path(w.path).iterdir() if f.is_file())
        jobs = (os.cpu_count() or 1) if size >= PARALLEL_FROM_BYTES else 0
    return min(jobs, len(works))


def _build(texts: Path, db_path: Path, progress, force: bool, jobs: int | None = None,
           embeddings: bool | None = None) -> BuildReport:
    works = [load_work(p) for p in find_works(texts)]
    if not works:
        raise InputError(str(texts), "no work folders (a folder with a work.toml) found")
    if db_path.exists() and not force:
        _check_nothing_lost(db_path, works)
    fd, tmp = tempfile.mkstemp(dir=str(db_path.parent), prefix=".build-", suffix=".db")
    os.close(fd)
    shards = None
    try:
        db = sqlite_utils.Database(tmp, recreate=True)
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
        indexes = _drop_indexes(db)
        create_counts(db)
        embedder = default_embedder(db.conn, embeddings)
        builder = _Builder(db, progress, embedder)
        jobs = _workers(jobs, works, embedder)
        # One transaction per work: the file is new and only swapped in when complete, so a failure loses
        # nothing, and a shard can only be detached between transactions.
        with _no_cyclic_gc():
            if db_path.exists():
                with db.atomic():
                    _carry_embeddings(db, db_path)
            if jobs:
                shards = tempfile.mkdtemp(dir=str(db_path.parent), prefix=".build-shards-")
                for work, path, result in build_shards(works, shards, jobs):
                    builder.take_shard(work, path, result)
                    os.remove(path)
            else:
                for work in works:
                    with db.atomic():
                        first = builder.next_segment, builder.next_alignment
                        builder.build_work(work)
                        builder.count_work(*first)
                    gc.collect()
            with db.atomic():
                builder.insert_history()
                for sql in indexes:
                    db.execute(sql)
                create_views(db)
                keep_counts(db)
                sig = build_signature(builder.segmenter_sig, builder.align_sig)
                db["build"].insert({"id": 1, "built_at": now(), "texts": str(texts), **sig}, replace=True)
        enable_search(db)
        db.conn.commit()
        db.close()
        _swap_in(tmp, db_path)
    except BaseException:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(tmp + suffix)
            except FileNotFoundError:
                pass
        raise
    finally:
        if shards:
            shutil.rmtree(shards, ignore_errors=True)
    builder.report.db_path = str(db_path)
    return builder.report


def _check_nothing_lost(db_path: Path, works: list[Work]) -> None:
    """Refuse to replace a database holding a revision that is not in the text files: compared by revision id
    (by count only for history files written before revisions carried their id)."""
    try:
        db = sqlite_utils.Database(str(db_path))
        if "revisions" not in db.table_names():
            return
        for work in works:
            for v in work.others():
                in_db = {r[0] for r in db.execute(
                    "select id from revisions where version = ?", [version_id(work.slug, v.key)])}
                path = history_path(work.path, v.key)
                records = load_jsonl(path)
                if all(isinstance(r.get("id"), int) for r in records):
                    missing = sorted(in_db - {r["id"] for r in records})
                else:
                    missing = sorted(in_db)[len(records):] if len(in_db) > len(records) else []
                if missing:
                    shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
                    raise AlignerError(
                        f"{db_path}: holds {len(missing)} revision(s) of {work.slug}/{v.key} not yet in {path} "
                        f"({shown}); run 'aligner dump' first, or build --force to discard them"
                    )
        db.close()
    except sqlite3.DatabaseError:
        return


def _swap_in(tmp: str, db_path: Path) -> None:
    """Put the new database in place of the old one.

    An existing database is overwritten *in place* with SQLite's backup API, in one transaction: a running
    server keeps its connections on the same file and sees the new corpus at its next query (replacing the
    file would leave it reading and writing a deleted one). A missing or unreadable file is replaced.
    """
    if db_path.exists():
        try:
            dst = sqlite3.connect(str(db_path), timeout=60)
            try:
                dst.execute("PRAGMA busy_timeout = 60000")
                dst.execute("select count(*) from sqlite_master").fetchone()
                src = sqlite3.connect(tmp)
                try:
                    src.backup(dst)
                finally:
                    src.close()
            finally:
                dst.close()
            os.remove(tmp)
            return
        except sqlite3.DatabaseError:
            pass  # not a database we can write into: replace the file below
    for suffix in ("-wal", "-shm"):
        try:
            os.remove(str(db_path) + suffix)
        except FileNotFoundError:
            pass
    os.replace(tmp, db_path)
