"""The corpus database: schema, build from text files, slots, history, dump back to text.

The database is derived: ``texts/`` is the record. :func:`build` reads every
work folder (its ``work.toml``, its texts, and the translators' work dumped as
JSON Lines beside them) into a fresh database file and swaps it in, so a
failed build never leaves a half-written corpus. :meth:`Store.dump` writes the
translators' work back to ``texts/<work>/<version>.slots.jsonl`` and
``<version>.history.jsonl`` in a stable order, one alignment or one revision a
line, so a change is a few lines in ``git diff``.

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

Slots survive re-segmentation because the dump stores, beside each pivot
ref, the hash of its text: on build an alignment goes back to the segment
with the same ref and hash, else to a segment with the same hash nearby (the
sentence moved), else to the segment with its old ref, flagged ``stale``
(the English changed; a person should look), and never is it dropped.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils
from sqlite_utils import Migrations

from . import metadata as md
from .errors import AlignerError, ConflictError, InputError, UnknownError
from .files import atomic_write
from .model import HUMAN_STATUSES, STATUSES, ApplyReport, Edit, Slot, make_address, parse_address, slot_token
from .text.search import normalize_for_search
from .text.segment import Document, Segment, read_text, segment_tsv, segment_text, is_tsv

DEFAULT_DB = "db/corpus.db"
DEFAULT_TEXTS = "texts"
CHANNELS = ("cli", "csv", "xlsx", "tmx", "xliff", "web", "revert", "import", "aligner", "build")

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


# ---------------------------------------------------------------------------
# Helpers


def now() -> str:
    """UTC time in ISO 8601 to the second; ``ALIGNER_NOW`` pins it (tests, reproducible dumps)."""
    return os.environ.get("ALIGNER_NOW") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_actor() -> str:
    """Who is editing: ``ALIGNER_USER``, else git's user.name, else the login name."""
    user = os.environ.get("ALIGNER_USER")
    if user:
        return user
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"


def text_hash(text: str) -> str:
    """Content hash of a sentence: NFC, whitespace collapsed; 16 hex digits of SHA-1."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


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
    return db


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


def version_id(work: str, key: str) -> str:
    return f"{work}/{key}"


# ---------------------------------------------------------------------------
# Build


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


def signature(segmenter: dict, align: dict | None = None) -> dict:
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


def segment_version(work: md.Work, version: md.Version) -> Document:
    """Read and segment one version's text file with the structure and sentence rules of its language."""
    path = work.path / version.file  # type: ignore[operator]
    text = read_text(path)
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


def _load_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError(str(path), "binary file (contains NUL bytes), expected JSON Lines")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(str(path), f"not valid UTF-8 (offset {e.start})") from None
    out = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(str(path), f"malformed JSON: {e.msg}", line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(str(path), "each line must be a JSON object", line=lineno)
        obj["_line"] = lineno
        out.append(obj)
    return out


_OPTIONAL_STR = (str, type(None))
SLOT_FIELDS: dict[str, tuple] = {
    "slot": _OPTIONAL_STR, "pivot": (list,), "status": (str,), "targets": (list,), "text": (str,),
    "score": (int, float, type(None)), "via": _OPTIONAL_STR, "by": _OPTIONAL_STR, "at": _OPTIONAL_STR,
    "stale": (bool,), "after": _OPTIONAL_STR,
}
HISTORY_FIELDS: dict[str, tuple] = {
    "rev": (int,), "slot": _OPTIONAL_STR, "segments": (list,), "at": _OPTIONAL_STR, "by": _OPTIONAL_STR,
    "via": _OPTIONAL_STR, "old_status": (str,), "old_text": (str,), "new_status": (str,), "new_text": (str,),
    "reverts": (int, type(None)),
}


def check_fields(record: dict, fields: dict[str, tuple], path: Path | str, line: int) -> None:
    """Refuse a dump line whose fields have the wrong types: one line naming the file, line and field."""
    # Called for every line of every dump at build time (millions at library scale): the exact-type tests
    # are the fast path for what json.loads returns; anything else gets the full isinstance test.
    for key, value in record.items():
        allowed = fields.get(key)
        if allowed is not None and type(value) in allowed:
            continue
        if key.startswith("_"):
            continue
        if allowed is None:
            raise InputError(str(path), f"unknown field {key!r}", line=line)
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise InputError(str(path), f"field {key!r} must be {names}, got {type(value).__name__}", line=line)
    for key in ("pivot", "targets"):
        pairs = record.get(key)
        if pairs is None:
            continue
        for p in pairs:
            if type(p) is list and len(p) == 2 and type(p[0]) is str and type(p[1]) is str:
                continue
            if not (isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)):
                raise InputError(str(path), f"{key!r} must be a list of [ref, hash] pairs of strings", line=line)
    segments = record.get("segments")
    if segments is not None and not all(isinstance(x, str) for x in segments):
        raise InputError(str(path), "'segments' must be a list of strings", line=line)
    for key in ("status", "old_status", "new_status"):
        if key in record and record[key] not in STATUSES:
            raise InputError(str(path), f"invalid {key.replace('_', ' ')} {record[key]!r}", line=line)


def slots_path(work_dir: Path, key: str) -> Path:
    return work_dir / f"{key}.slots.jsonl"


def history_path(work_dir: Path, key: str) -> Path:
    return work_dir / f"{key}.history.jsonl"


class _Builder:
    """Writes one fresh database from the work folders. Row order is deterministic."""

    def __init__(self, db: sqlite_utils.Database, progress: Callable[[str], None] | None = None):
        self.db = db
        self.conn = db.conn
        self.next_segment = 1
        self.next_alignment = 1
        self.progress = progress or (lambda msg: None)
        self.report = BuildReport(db_path="")
        self.segmenter_sig: dict = {}
        self.align_sig: dict = {}
        # Rows waiting for one executemany per version (one INSERT per row was most of the build's SQL time).
        self._typed_rows: list[tuple] = []
        self._alignment_rows: list[tuple] = []
        self._pivot_rows: list[tuple] = []
        self._target_rows: list[tuple] = []
        # Revisions wait on disk (temp tables), not in memory, until every work is read: memory stays flat in N.
        self.history_count = 0
        self.conn.execute(
            "CREATE TEMP TABLE _history (n INTEGER PRIMARY KEY, work TEXT, key TEXT, version TEXT, sort_at, rev,"
            " slot, old_text, old_status, new_text, new_status, actor, channel, at, reverts_seq)"
        )
        self.conn.execute("CREATE TEMP TABLE _history_segments (n INTEGER, segment INTEGER)")

    def insert_segments(self, vid: str, doc: Document, lang: str, *, typed: bool = False,
                        hashes: list[str] | None = None) -> list[int]:
        ids = []
        rows = []
        if hashes is None:
            hashes = [text_hash(s.text) for s in doc.segments]
        for pos, s in enumerate(doc.segments):
            sid = self.next_segment
            self.next_segment += 1
            ids.append(sid)
            rows.append(
                (sid, vid, s.ref, float(pos), s.division, s.block, s.key, s.kind, s.sentence, s.text, s.start, s.end,
                 hashes[pos], 1 if typed else 0, normalize_for_search(s.text, lang))
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

    def add_alignment(self, work: str, vid: str, pivots: list[int], targets: list[int], *, address: str | None,
                      position: float, status: str, score=None, method=None, actor=None, at=None, stale=0) -> int:
        aid = self.next_alignment
        self.next_alignment += 1
        self._alignment_rows.append((aid, work, vid, address, position, status, score, method, actor, at, stale))
        self._pivot_rows.extend((aid, s) for s in pivots)
        self._target_rows.extend((aid, s) for s in targets)
        self.report.alignments += 1
        return aid

    def flush(self) -> None:
        """Write the rows :meth:`add_alignment` and :meth:`_typed_segment` collected (segments first: FKs)."""
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

    def build_work(self, work: md.Work) -> None:
        from .text.sentences import splitter_signature

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
        pdoc = segment_version(work, pv)
        self.segmenter_sig = {**splitter_signature(pv.language)}
        phashes = [text_hash(s.text) for s in pdoc.segments]
        pids = self.insert_segments(version_id(work.slug, pv.key), pdoc, pv.language, hashes=phashes)
        pivot = _PivotIndex(pdoc.segments, pids, phashes)
        for v in work.others():
            self.build_version(work, v, pivot)

    def build_version(self, work: md.Work, v: md.Version, pivot: "_PivotIndex") -> None:
        """Segments of one version and its alignments: from its dump, else (new text) from the aligner."""
        vid = version_id(work.slug, v.key)
        path = slots_path(work.path, v.key)
        records = _load_jsonl(path)
        history = _load_jsonl(history_path(work.path, v.key))
        self.stage_history(work, v, vid, history, pivot)
        tdoc = segment_version(work, v) if v.file else Document(text="")
        thashes = [text_hash(s.text) for s in tdoc.segments]
        tids = self.insert_segments(vid, tdoc, v.language, hashes=thashes) if tdoc.segments else []
        targets_by_ref = {s.ref: (sid, h) for sid, s, h in zip(tids, tdoc.segments, thashes)}
        targets_by_hash: dict[str, list[int]] = {}
        for sid, h in zip(tids, thashes):
            targets_by_hash.setdefault(h, []).append(sid)
        groups: list[dict] = []
        used_targets: set[int] = set()
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
            group["text"] = "" if rec.get("targets") else (rec.get("text") or "")
            if rec.get("targets") and not tlinks:
                group["stale"] = 1  # its sentences are gone from the file: keep the record, flagged
                group["text"] = rec.get("text") or ""
            groups.append(group)
        loose = [sid for sid in tids if sid not in used_targets]
        if loose:
            # New or changed text: the aligner fills around the human alignments, which stay as they are.
            human = [g for g in groups if g["status"] in ("draft", "confirmed") or g["text"]]
            human_ids = {id(g) for g in human}
            for g in groups:
                if id(g) not in human_ids:
                    used_targets.difference_update(g["targets"])
            groups = human
            from .importer import align_version

            fixed = [(g["pivots"], g["targets"]) for g in human if g["pivots"]]
            beads, self.align_sig = align_version(
                pivot.segments, pivot.ids, tdoc.segments, tids, fixed, work.pivot_version.language, v.language
            )
            last_ref = None
            for pids, t_ids, score in beads:
                if pids:
                    last_ref = pivot.segments[pivot.index_of[pids[-1]]].ref
                if not t_ids:
                    continue
                groups.append({"pivots": pids, "targets": t_ids, "text": "", "status": "auto", "score": score,
                               "method": "aligner" if pids else "unaligned", "actor": None, "at": None, "stale": 0,
                               "line": 0, "after": None if pids else last_ref})
        self._emit(work, vid, v, pivot, groups)
        self.flush()

    def _emit(self, work: md.Work, vid: str, v: md.Version, pivot: "_PivotIndex", groups: list[dict]) -> None:
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
        for g in kept:
            pivots = g["pivots"]
            address = pivot.address(pivots) if pivots else None
            targets = list(g["targets"])
            if g["text"]:
                first = pivots[0] if pivots else None
                seg = Segment(0, pivot.kind_of(first) if first else "paragraph", 0, g["text"], 0, 0,
                              pivot.division_of(first) if first else 0)
                targets.append(self._typed_segment(vid, v.language, "@" + (address or f"line{g.get('line')}"), seg, g["pos"]))
            status = g["status"] if targets else "empty"
            if not pivots and g.get("method") is None:
                g["method"] = "unaligned"
            self.add_alignment(work.slug, vid, pivots, targets, address=address, position=g["pos"], status=status,
                               score=g.get("score"), method=g.get("method"), actor=g.get("actor"), at=g.get("at"),
                               stale=g.get("stale", 0))
            if g.get("stale"):
                self.report.stale += 1

    def _typed_segment(self, vid: str, lang: str, ref: str, seg: Segment, position: float) -> int:
        sid = self.next_segment
        self.next_segment += 1
        self._typed_rows.append(
            (sid, vid, ref, position, seg.division, None, None, seg.kind, None, seg.text, None, None,
             text_hash(seg.text), 1, normalize_for_search(seg.text, lang))
        )
        self.report.segments += 1
        return sid

    def _resolve_record(self, rec: dict, pivot: "_PivotIndex", path: Path, line: int) -> dict:
        check_fields(rec, SLOT_FIELDS, path, line)
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

    def stage_history(self, work: md.Work, v: md.Version, vid: str, history: list[dict], pivot: "_PivotIndex") -> None:
        """Keep one version's revisions in temp tables, their pivot refs resolved, until :meth:`insert_history`."""
        rows, segs = [], []
        hpath = history_path(work.path, v.key)
        for h in history:
            check_fields(h, HISTORY_FIELDS, hpath, h.get("_line", 0))
            seq = h.get("rev")
            if not isinstance(seq, int):
                raise InputError(f"texts/{work.slug}/{v.key}.history.jsonl", "each revision needs an integer 'rev'",
                                 line=h.get("_line"))
            self.history_count += 1
            n = self.history_count
            rows.append((n, work.slug, v.key, vid, h.get("at") or "", seq, h.get("slot"), h.get("old_text", ""),
                         h.get("old_status", "empty"), h.get("new_text", ""), h.get("new_status", "empty"),
                         h.get("by"), h.get("via"), h.get("at"), h.get("reverts") or None))
            for ref in h.get("segments") or []:
                i = pivot.by_ref.get(ref)
                if i is not None:
                    segs.append((n, pivot.ids[i]))
        self.conn.executemany(f"INSERT INTO temp._history VALUES ({','.join('?' * 15)})", rows)
        self.conn.executemany("INSERT INTO temp._history_segments VALUES (?,?)", segs)

    def insert_history(self) -> None:
        """Revisions of all works, in time order: ids come out as they were when first recorded.

        Ids follow (time, work, version, rev, order read); a revert points to the revision of its version
        with that rev recorded before it. Done in SQL over the staged rows, so nothing grows in memory.
        """
        conn = self.conn
        conn.execute(
            "CREATE TEMP TABLE _history_ids AS SELECT n, row_number() OVER"
            " (ORDER BY sort_at, work, key, rev, n) AS id FROM temp._history"
        )
        conn.execute("CREATE UNIQUE INDEX temp._history_ids_n ON _history_ids (n)")
        conn.execute(
            "INSERT INTO revisions (id, work, version, seq, address, old_text, old_status, new_text, new_status,"
            " actor, channel, at, reverts) SELECT i.id, h.work, h.version, h.rev, h.slot, h.old_text, h.old_status,"
            " h.new_text, h.new_status, h.actor, h.channel, h.at, NULL"
            " FROM temp._history h JOIN temp._history_ids i ON i.n = h.n ORDER BY i.id"
        )
        reverts = conn.execute(
            "SELECT r.id, i.id FROM temp._history h JOIN temp._history_ids i ON i.n = h.n"
            " JOIN revisions r ON r.version = h.version AND r.seq = h.reverts_seq AND r.id <= i.id"
            " WHERE typeof(h.reverts_seq) = 'integer'"
        ).fetchall()
        conn.executemany("UPDATE revisions SET reverts = ? WHERE id = ?", reverts)
        conn.execute(
            "INSERT OR IGNORE INTO revision_segments SELECT i.id, s.segment"
            " FROM temp._history_segments s JOIN temp._history_ids i ON i.n = s.n ORDER BY i.id, s.rowid"
        )
        self.report.revisions += self.history_count
        for t in ("_history_ids", "_history_segments", "_history"):
            conn.execute(f"DROP TABLE temp.{t}")


class _PivotIndex:
    """Finds pivot segments by ref and by hash, for re-attaching dumped alignments."""

    def __init__(self, segments: list[Segment], ids: list[int], hashes: list[str] | None = None):
        self.segments = segments
        self.ids = ids
        self.by_ref = {s.ref: i for i, s in enumerate(segments)}
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
        first = self.segments[self.index_of[sids[0]]].ref
        last = self.segments[self.index_of[sids[-1]]].ref
        return make_address(first, last)

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
) -> BuildReport:
    """Build the corpus database from the work folders under ``texts_dir``.

    Writes a temporary file beside ``db_path`` and renames it over the old
    one only when everything succeeded, so bad input leaves the old database
    exactly as it was. Refuses to replace a database that holds revisions the
    text files do not (run ``aligner dump`` first), unless ``force``.
    """
    texts = Path(texts_dir)
    works = [md.load_work(p) for p in md.find_works(texts)]
    if not works:
        raise InputError(str(texts), "no work folders (a folder with a work.toml) found")
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists() and not force:
        _check_nothing_lost(db_path, works)
    fd, tmp = tempfile.mkstemp(dir=str(db_path.parent), prefix=".build-", suffix=".db")
    os.close(fd)
    try:
        db = sqlite_utils.Database(tmp, recreate=True)
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
        # Secondary indexes are made once the rows are in: one sorted pass each instead of an update per row.
        indexes = db.execute("select name, sql from sqlite_master where type = 'index' and sql is not null").fetchall()
        for name, _ in indexes:
            db.execute(f"DROP INDEX [{name}]")
        builder = _Builder(db, progress)
        with db.atomic():
            for work in works:
                builder.build_work(work)
            for _, sql in indexes:
                db.execute(sql)
            builder.insert_history()
            create_views(db)
            sig = signature(builder.segmenter_sig, builder.align_sig)
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
    builder.report.db_path = str(db_path)
    return builder.report


def _check_nothing_lost(db_path: Path, works: list[md.Work]) -> None:
    try:
        db = sqlite_utils.Database(str(db_path))
        if "revisions" not in db.table_names():
            return
        for work in works:
            for v in work.others():
                n_db = db.execute(
                    "select count(*) from revisions where version = ?", [version_id(work.slug, v.key)]
                ).fetchone()[0]
                n_files = len(_load_jsonl(history_path(work.path, v.key)))
                if n_db > n_files:
                    raise AlignerError(
                        f"{db_path}: holds {n_db - n_files} revision(s) of {work.slug}/{v.key} not yet in "
                        f"{history_path(work.path, v.key)}; run 'aligner dump' first, or build --force to discard them"
                    )
        db.close()
    except sqlite3.DatabaseError:
        return


def _swap_in(tmp: str, db_path: Path) -> None:
    """Replace the database file; an old WAL is checkpointed first so it cannot be replayed onto the new file."""
    if db_path.exists():
        try:
            old = sqlite3.connect(str(db_path), timeout=30)
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.execute("PRAGMA journal_mode = DELETE")
            old.close()
        except sqlite3.DatabaseError:
            pass
    for suffix in ("-wal", "-shm"):
        try:
            os.remove(str(db_path) + suffix)
        except FileNotFoundError:
            pass
    os.replace(tmp, db_path)


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
    # million sentences made each of them take seconds.
    db.execute("DROP VIEW IF EXISTS parallel")
    db.execute(
        f"""
        CREATE VIEW parallel AS
        SELECT p.work, p.segment, p.division, p.kind, p.pivot{''.join(', ' + c for c in cols)}
        FROM (SELECT w.id AS work, s.ref AS segment, s.division, s.kind, s.text AS pivot, s.id AS sid
              FROM segments s JOIN versions pv ON pv.id = s.version JOIN works w ON w.id = pv.work AND w.pivot = pv.key
              ORDER BY w.id, s.position) p
        """
    )


# ---------------------------------------------------------------------------
# Working with a built corpus


class Store:
    """A built corpus: read slots, change them (with history), dump them back to text.

    Example::

        store = Store("db/corpus.db")
        store.set_slot("kropotkin-two-letters-to-lenin", "ru", "24.1-24.2", "Неужели ...", actor="anna")
        for slot in store.slots("kropotkin-two-letters-to-lenin", "ru"):
            print(slot.address, slot.status, slot.text)
    """

    def __init__(self, db: str | Path | sqlite_utils.Database, texts_dir: str | Path | None = None):
        self.db = db if isinstance(db, sqlite_utils.Database) else connect(db)
        self.texts_dir = Path(texts_dir) if texts_dir is not None else None

    # -- lookups -------------------------------------------------------------

    def works(self) -> list[dict]:
        return list(self.db.query("select * from works order by id"))

    def work(self, slug: str | None = None) -> dict:
        """A work by slug; with no slug, the only work (an error names the choices when there are several)."""
        works = self.works()
        if slug is None:
            if len(works) == 1:
                return works[0]
            raise UnknownError(f"several works in the corpus; name one with --work ({', '.join(w['id'] for w in works)})")
        for w in works:
            if w["id"] == slug:
                return w
        raise UnknownError(f"unknown work {slug!r} (known: {', '.join(w['id'] for w in works) or 'none'})")

    def version(self, work: str, key: str, *, allow_pivot: bool = False) -> dict:
        """A version of ``work`` by key (``ru``, ``es-1977``) or, when unambiguous, by language."""
        rows = list(self.db.query("select * from versions where work = ? order by position", [work]))
        for r in rows:
            if r["key"] == key:
                break
        else:
            matches = [r for r in rows if r["language"] == key]
            if len(matches) != 1:
                known = ", ".join(r["key"] for r in rows if allow_pivot or r["role"] != "pivot")
                raise UnknownError(f"unknown version {key!r} of {work} (known: {known})")
            r = matches[0]
        if r["role"] == "pivot" and not allow_pivot:
            raise UnknownError(f"{key!r} is the pivot of {work}: slots belong to the other versions")
        return r

    def pivot_version(self, work: str) -> dict:
        w = self.work(work)
        return self.version(work, w["pivot"], allow_pivot=True)

    def _pivot_span(self, work: str, address: str) -> list[dict]:
        pv = self.pivot_version(work)
        ends = parse_address(address)
        rows = []
        for ref in ends:
            row = self.db.execute(
                "select id, position from segments where version = ? and ref = ?", [pv["id"], ref]
            ).fetchone()
            if row is None:
                raise UnknownError(f"unknown segment {ref!r} in {work}")
            rows.append(row)
        lo, hi = rows[0][1], rows[-1][1]
        if hi < lo:
            raise UnknownError(f"segment range {address!r} runs backwards")
        return list(
            self.db.query(
                "select * from segments where version = ? and position between ? and ? order by position",
                [pv["id"], lo, hi],
            )
        )

    def _alignment_slot(self, a: dict, work: str, key: str) -> Slot:
        pivots = list(self.db.query(
            "select s.ref, s.text, s.kind, s.division from alignment_pivots ap join segments s on s.id = ap.segment"
            " where ap.alignment = ? order by s.position", [a["id"]]))
        targets = [r[0] for r in self.db.execute(
            "select s.text from alignment_targets at join segments s on s.id = at.segment"
            " where at.alignment = ? order by s.position", [a["id"]]).fetchall()]
        return Slot(
            work=work,
            version=key,
            address=a["address"] or "",
            pivot_refs=[p["ref"] for p in pivots],
            pivot_text=" ".join(p["text"] for p in pivots),
            text=" ".join(targets),
            status=a["status"],
            method=a["method"],
            actor=a["actor"],
            at=a["at"],
            score=a["score"],
            stale=bool(a["stale"]),
            kind=pivots[0]["kind"] if pivots else "paragraph",
            division=pivots[0]["division"] if pivots else 0,
            alignment_id=a["id"],
        )

    def slots(self, work: str, key: str, *, include_unaligned: bool = False) -> Iterator[Slot]:
        """Every slot of a version in pivot order (alignments with no pivot only on request)."""
        v = self.version(work, key)
        sql = (
            "select a.id, a.address, a.status, a.method, a.actor, a.at, a.score, a.stale,"
            " (select group_concat(ref, char(31)) from (select s.ref from alignment_pivots ap join segments s on s.id = ap.segment where ap.alignment = a.id order by s.position)) as refs,"
            " (select group_concat(text, char(31)) from (select s.text from alignment_pivots ap join segments s on s.id = ap.segment where ap.alignment = a.id order by s.position)) as ptext,"
            " (select group_concat(text, char(31)) from (select t.text from alignment_targets at join segments t on t.id = at.segment where at.alignment = a.id order by t.position)) as ttext,"
            " (select s.kind from alignment_pivots ap join segments s on s.id = ap.segment where ap.alignment = a.id order by s.position limit 1) as kind,"
            " (select s.division from alignment_pivots ap join segments s on s.id = ap.segment where ap.alignment = a.id order by s.position limit 1) as division"
            " from alignments a where a.version = ? order by a.position, a.id"
        )
        for r in self.db.query(sql, [v["id"]]):
            if r["address"] is None and not include_unaligned:
                continue
            yield Slot(
                work=work,
                version=v["key"],
                address=r["address"] or "",
                pivot_refs=(r["refs"] or "").split("\x1f") if r["refs"] else [],
                pivot_text=" ".join((r["ptext"] or "").split("\x1f")),
                text=" ".join((r["ttext"] or "").split("\x1f")) if r["ttext"] else "",
                status=r["status"],
                method=r["method"],
                actor=r["actor"],
                at=r["at"],
                score=r["score"],
                stale=bool(r["stale"]),
                kind=r["kind"] or "paragraph",
                division=r["division"] or 0,
                alignment_id=r["id"],
            )

    def slot(self, work: str, key: str, address: str) -> Slot:
        """The slot of one pivot segment (or the current state over a span of them)."""
        v = self.version(work, key)
        span = self._pivot_span(work, address)
        affected = self._affected(v["id"], [s["id"] for s in span])
        if len(affected) == 1:
            return self._alignment_slot(affected[0], work, v["key"])
        parts = [self._alignment_slot(a, work, v["key"]) for a in affected]
        text = " ".join(p.text for p in parts if p.text)
        status = _combined_status([p.status for p in parts])
        return Slot(work=work, version=v["key"], address=address, pivot_refs=[s["ref"] for s in span],
                    pivot_text=" ".join(s["text"] for s in span), text=text, status=status)

    def _affected(self, vid: str, pivot_ids: list[int]) -> list[dict]:
        marks = ",".join("?" * len(pivot_ids))
        return list(self.db.query(
            f"select distinct a.* from alignments a join alignment_pivots ap on ap.alignment = a.id"
            f" where a.version = ? and ap.segment in ({marks}) order by a.position, a.id",
            [vid, *pivot_ids]))

    # -- writes --------------------------------------------------------------

    def set_slot(
        self,
        work: str,
        key: str,
        address: str,
        text: str,
        status: str | None = None,
        *,
        actor: str | None = None,
        channel: str = "cli",
        token: str | None = None,
        force: bool = False,
        reverts: int | None = None,
    ) -> int | None:
        """Fill, change or clear the slot over ``address``; returns the new revision id (None: nothing changed).

        ``token`` is the revision token the caller's copy was made from: when
        the slot changed since, :class:`ConflictError` is raised (unless
        ``force``) and nothing is written.
        """
        with write_transaction(self.db):
            rid = self._set_slot_tx(work, key, address, text, status, actor=actor, channel=channel, token=token,
                                    force=force, reverts=reverts)
        return rid

    def _set_slot_tx(self, work, key, address, text, status, *, actor, channel, token, force, reverts=None) -> int | None:
        w = self.work(work)
        work = w["id"]
        v = self.version(work, key)
        text = unicodedata.normalize("NFC", text or "").strip()
        if status is None:
            status = "draft" if text else "empty"
        if status not in STATUSES:
            raise AlignerError(f"invalid status {status!r} (one of: {', '.join(HUMAN_STATUSES)})")
        if status == "auto" and channel not in ("aligner", "revert"):
            raise AlignerError("status 'auto' is reserved for the automatic aligner")
        if status == "empty" and text:
            raise AlignerError("status 'empty' goes with an empty text; give draft or confirmed")
        if not text and status != "empty":
            status = "empty"
        span = self._pivot_span(work, address)
        address = make_address(span[0]["ref"], span[-1]["ref"])
        affected = self._affected(v["id"], [s["id"] for s in span])
        parts = [self._alignment_slot(a, work, v["key"]) for a in affected]
        old_text = " ".join(p.text for p in parts if p.text)
        old_status = _combined_status([p.status for p in parts])
        if token is not None and not force:
            # The copy must have seen one of the alignments it replaces as it is now; the others it
            # swallows (a 1:1 widened into a 2:1) must be empty. An empty slot is no free pass: a copy
            # made before someone cleared the slot carries the old token and is refused.
            ok = (
                any(p.token == token for p in parts)
                and all(p.token == token or p.status == "empty" for p in parts)
            ) or slot_token(address, old_text, old_status) == token
            if not ok:
                raise ConflictError(
                    f"slot {address} of {v['key']} was changed since your copy was made",
                    current_text=old_text, current_status=old_status,
                    current_token=slot_token(address, old_text, old_status),
                )
        same_span = len(affected) == 1 and [p["ref"] for p in span] == parts[0].pivot_refs
        if same_span and parts[0].text == text and parts[0].status == status:
            return None
        at = now()
        actor = actor or default_actor()
        all_pivots: list[int] = []
        conn = self.db.conn
        for a in affected:
            all_pivots += [r[0] for r in conn.execute("select segment from alignment_pivots where alignment = ?", [a["id"]])]
            tgts = conn.execute(
                "select s.id, s.typed, s.position from alignment_targets at join segments s on s.id = at.segment where at.alignment = ?",
                [a["id"]]).fetchall()
            conn.execute("delete from alignment_pivots where alignment = ?", [a["id"]])
            conn.execute("delete from alignment_targets where alignment = ?", [a["id"]])
            conn.execute("delete from alignments where id = ?", [a["id"]])
            loose = [t[0] for t in tgts if not t[1]]
            for t in tgts:
                if t[1]:
                    conn.execute("delete from segments where id = ?", [t[0]])
            if loose:
                # Text of an imported file is never deleted: it stays as an unaligned (0:1) alignment.
                self._insert_alignment(work, v["id"], [], loose, None, a["position"] - 0.25, "auto", None, "unaligned", None, None)
        span_ids = [s["id"] for s in span]
        positions = {r[0]: r[1] for r in conn.execute(
            f"select id, position from segments where id in ({','.join('?' * len(set(all_pivots) | set(span_ids)))})",
            list(set(all_pivots) | set(span_ids)))}
        if text:
            tid = self._insert_typed(v, "@" + address, text, span[0])
            self._insert_alignment(work, v["id"], span_ids, [tid], address, span[0]["position"], status, None, channel, actor, at)
        else:
            for s in span:
                self._insert_alignment(work, v["id"], [s["id"]], [], s["ref"], s["position"], "empty", None, channel, actor, at)
        for pid in sorted(set(all_pivots) - set(span_ids), key=lambda i: positions[i]):
            ref = conn.execute("select ref from segments where id = ?", [pid]).fetchone()[0]
            self._insert_alignment(work, v["id"], [pid], [], ref, positions[pid], "empty", None, channel, actor, at)
        seq = (conn.execute("select max(seq) from revisions where version = ?", [v["id"]]).fetchone()[0] or 0) + 1
        cur = conn.execute(
            "INSERT INTO revisions (work, version, seq, address, old_text, old_status, new_text, new_status, actor,"
            " channel, at, reverts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (work, v["id"], seq, address, old_text, old_status, text, status, actor, channel, at, reverts),
        )
        rid = cur.lastrowid
        for pid in sorted(set(all_pivots) | set(span_ids), key=lambda i: positions[i]):
            conn.execute("INSERT OR IGNORE INTO revision_segments VALUES (?,?)", (rid, pid))
        return rid

    def _insert_typed(self, v: dict, ref: str, text: str, pivot_seg: dict) -> int:
        conn = self.db.conn
        conn.execute("delete from segments where version = ? and ref = ? and typed = 1", [v["id"], ref])
        cur = conn.execute(
            "INSERT INTO segments (version, ref, position, division, block, block_key, kind, sentence, text, start,"
            " [end], hash, typed, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (v["id"], ref, pivot_seg["position"], pivot_seg["division"], None, None, pivot_seg["kind"], None, text,
             None, None, text_hash(text), 1, normalize_for_search(text, v["language"])),
        )
        return cur.lastrowid

    def _insert_alignment(self, work, vid, pivots, targets, address, position, status, score, method, actor, at, stale=0) -> int:
        conn = self.db.conn
        cur = conn.execute(
            "INSERT INTO alignments (work, version, address, position, status, score, method, actor, at, stale)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (work, vid, address, position, status, score, method, actor, at, stale),
        )
        aid = cur.lastrowid
        conn.executemany("INSERT INTO alignment_pivots VALUES (?,?)", [(aid, s) for s in pivots])
        conn.executemany("INSERT INTO alignment_targets VALUES (?,?)", [(aid, s) for s in targets])
        return aid

    def apply_edits(
        self, work: str, key: str, edits: Iterable[Edit], *, actor: str | None = None, channel: str = "csv",
        force: bool = False,
    ) -> ApplyReport:
        """Apply edits read from a file, all in one transaction.

        An edit whose text and status are what its token says the translator
        was given is untouched and changes nothing. An edit with no address is
        matched by its exact English text. A changed edit over a slot that
        someone else changed since the export is a conflict: reported, not
        applied (unless ``force``). Errors roll back the whole import.
        """
        report = ApplyReport()
        w = self.work(work)
        v = self.version(w["id"], key)
        by_text: dict[str, list[str]] | None = None
        with write_transaction(self.db):
            for e in edits:
                if e.status not in STATUSES:
                    raise InputError(None, f"invalid status {e.status!r}", unit=e.where)
                address = e.address
                if address:
                    try:
                        self._pivot_span(w["id"], address)
                    except UnknownError:
                        address = None
                if not address and e.source_text:
                    if by_text is None:
                        by_text = {}
                        for s in self.slots(w["id"], v["key"]):
                            by_text.setdefault(" ".join(s.pivot_text.split()), []).append(s.address)
                    hits = by_text.get(" ".join(e.source_text.split()), [])
                    address = hits[0] if len(hits) == 1 else None
                if not address:
                    report.unmatched.append(e)
                    continue
                if e.token and slot_token(e.address or address, e.text, e.status) == e.token:
                    report.unchanged.append(e)
                    continue
                status = e.status
                if status == "auto" or (status == "empty" and e.text.strip()):
                    status = "draft"  # text typed into an empty or machine-filled slot is a person's draft
                if not e.text.strip():
                    status = "empty"
                current = self.slot(w["id"], v["key"], address)
                if current.text == e.text.strip() and current.status == status and current.address == address:
                    report.unchanged.append(e)
                    continue
                token = e.token
                if token is None and current.status in ("draft", "confirmed") and not force:
                    report.conflicts.append((e, current))
                    continue
                try:
                    self._set_slot_tx(w["id"], v["key"], address, e.text, status, actor=actor, channel=channel,
                                      token=token, force=force)
                except ConflictError:
                    report.conflicts.append((e, current))
                    continue
                report.applied.append(e)
        return report

    def history(self, work: str | None = None, ref: str | None = None, key: str | None = None) -> list[dict]:
        """Revisions, oldest first; narrowed to a pivot segment and/or a version."""
        w = self.work(work)
        where = ["r.work = ?"]
        params: list = [w["id"]]
        if key:
            v = self.version(w["id"], key)
            where.append("r.version = ?")
            params.append(v["id"])
        if ref:
            span = self._pivot_span(w["id"], ref)
            marks = ",".join("?" * len(span))
            where.append(f"r.id in (select revision from revision_segments where segment in ({marks}))")
            params += [s["id"] for s in span]
        return list(self.db.query(
            "select r.id, r.work, v.key as version, r.seq, r.address, r.old_text, r.old_status, r.new_text,"
            " r.new_status, r.actor, r.channel, r.at, r.reverts from revisions r join versions v on v.id = r.version"
            f" where {' and '.join(where)} order by r.id", params))

    def revert(self, revision: int, *, actor: str | None = None) -> int | None:
        """Undo one revision: the slot goes back to the state before it, recorded as a new revision."""
        row = self.db.execute(
            "select r.work, v.key, r.address, r.old_text, r.old_status from revisions r join versions v on v.id = r.version where r.id = ?",
            [revision]).fetchone()
        if row is None:
            raise UnknownError(f"unknown revision {revision}")
        work, key, address, old_text, old_status = row
        refs = [r[0] for r in self.db.execute(
            "select s.ref from revision_segments rs join segments s on s.id = rs.segment where rs.revision = ? order by s.position",
            [revision]).fetchall()]
        if refs:
            address = make_address(refs[0], refs[-1])
        status = old_status if old_status in STATUSES else ("draft" if old_text else "empty")
        if status == "auto":
            status = "draft"
        return self.set_slot(work, key, address, old_text or "", status, actor=actor, channel="revert",
                             reverts=revision, force=True)

    def status_counts(self, work: str | None = None) -> list[dict]:
        """Per work and version: how many slots are empty, auto, draft, confirmed (and stale)."""
        sql = (
            "select a.work, v.key as version, v.language,"
            + "".join(f" sum(a.status = '{s}') as {s}," for s in STATUSES)
            + " sum(a.stale) as stale, count(*) as total"
            " from alignments a join versions v on v.id = a.version where a.address is not null"
            + (" and a.work = ?" if work else "")
            + " group by a.work, v.key order by a.work, min(v.position)"
        )
        return list(self.db.query(sql, [work] if work else []))

    # -- text files ----------------------------------------------------------

    def dump(self, texts_dir: str | Path | None = None, work: str | None = None, key: str | None = None) -> list[Path]:
        """Write translators' work to ``texts/<work>/<version>.slots.jsonl`` and ``.history.jsonl``.

        Stable order and formatting, so dump -> build -> dump is byte-identical
        and one change is a few lines of ``git diff``. Files are replaced
        atomically. Returns the files written.
        """
        texts = Path(texts_dir) if texts_dir is not None else self.texts_dir
        if texts is None:
            raise AlignerError("no texts folder to dump into")
        written = []
        for w in self.works():
            if work and w["id"] != work:
                continue
            wdir = texts / w["id"]
            if not (wdir / md.METADATA_FILE).exists():
                raise InputError(str(wdir), f"no work folder for {w['id']} here (no {md.METADATA_FILE})")
            for v in self.db.query("select * from versions where work = ? and role != 'pivot' order by position", [w["id"]]):
                if key and v["key"] != key:
                    continue
                slot_lines = self._slot_lines(v)
                hist_lines = self._history_lines(v)
                for path, lines in ((slots_path(wdir, v["key"]), slot_lines), (history_path(wdir, v["key"]), hist_lines)):
                    if not lines and not path.exists():
                        continue
                    _atomic_write(path, "".join(line + "\n" for line in lines))
                    written.append(path)
        return written

    def _slot_lines(self, v: dict) -> list[str]:
        out = []
        rows = self.db.query(
            "select * from alignments where version = ? and (status != 'empty' or stale = 1) order by position, id", [v["id"]]
        )
        pivot_vid = self.pivot_version(v["work"])["id"]  # once per version, not once per 0:1 alignment
        for a in rows:
            pivots = self.db.execute(
                "select s.ref, s.hash from alignment_pivots ap join segments s on s.id = ap.segment where ap.alignment = ? order by s.position",
                [a["id"]]).fetchall()
            targets = self.db.execute(
                "select s.ref, s.hash, s.text, s.typed from alignment_targets at join segments s on s.id = at.segment where at.alignment = ? order by s.position",
                [a["id"]]).fetchall()
            rec: dict = {"slot": a["address"], "pivot": [[r, h] for r, h in pivots], "status": a["status"]}
            if not pivots:
                # A target sentence with no pivot counterpart (0:1): remember where it stands.
                before = self.db.execute(
                    "select s.ref from segments s where s.version = ? and s.position < ? order by s.position desc limit 1",
                    [pivot_vid, a["position"]]).fetchone()
                rec["after"] = before[0] if before else None
            file_targets = [[r, h] for r, h, _, typed in targets if not typed]
            if file_targets:
                rec["targets"] = file_targets
            rec["text"] = " ".join(t for _, _, t, _ in targets)
            if a["score"] is not None:
                rec["score"] = round(a["score"], 4)
            for col, name in (("method", "via"), ("actor", "by"), ("at", "at")):
                if a[col] is not None:
                    rec[name] = a[col]
            if a["stale"]:
                rec["stale"] = True
            out.append(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")))
        return out

    def _history_lines(self, v: dict) -> list[str]:
        out = []
        for r in self.db.query("select * from revisions where version = ? order by seq", [v["id"]]):
            refs = [x[0] for x in self.db.execute(
                "select s.ref from revision_segments rs join segments s on s.id = rs.segment where rs.revision = ? order by s.position",
                [r["id"]]).fetchall()]
            reverts = None
            if r["reverts"]:
                reverts = self.db.execute("select seq from revisions where id = ?", [r["reverts"]]).fetchone()[0]
            rec = {
                "rev": r["seq"], "slot": r["address"], "segments": refs, "at": r["at"], "by": r["actor"], "via": r["channel"],
                "old_status": r["old_status"], "old_text": r["old_text"], "new_status": r["new_status"], "new_text": r["new_text"],
            }
            if reverts:
                rec["reverts"] = reverts
            out.append(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")))
        return out


def _combined_status(statuses: list[str]) -> str:
    """The status of a span made of several alignments: the least advanced one that is not empty."""
    filled = [s for s in statuses if s != "empty"]
    if not filled:
        return "empty"
    order = {s: i for i, s in enumerate(STATUSES)}
    return min(filled, key=order.__getitem__)


def _atomic_write(path: Path, content: str) -> None:
    atomic_write(path, content)
