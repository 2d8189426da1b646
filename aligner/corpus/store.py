"""Working with a built corpus: read slots, change them (with history), revert, re-align, dump to text.

:class:`Store` is the one object the command line, the web editor and the
Python API call to change a corpus. Every write is one transaction, recorded
as a revision (who, when, through which channel, old and new), and every
change can be dumped back to ``texts/`` (:mod:`aligner.record`) at once.
"""

from __future__ import annotations

import json
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from ..errors import AlignerError, ConflictError, InputError, UnknownError
from ..model import (
    HUMAN_STATUSES, STATUSES, ApplyReport, Edit, Slot, make_address, parse_address, slot_token, text_hash,
)
from ..record import METADATA_FILE, format_record, history_path, load_jsonl, slots_path, write_records
from ..text.search import normalize_for_search
from ..text.segment import Segment
from . import queries
from ..align.embed import default_embedder
from .autoalign import align_version, unaligned_warning
from .links import LinkEditor, combined_status, is_human
from .lock import writer_lock
from .schema import connect, write_transaction


@dataclass
class ImportReport:
    """What an import or a re-alignment did to one version."""

    work: str
    key: str
    file: str
    sentences: int = 0
    auto: int = 0
    kept: int = 0
    stale: int = 0
    changed: int = 0
    notes: list[str] = field(default_factory=list)
    #: The revision a re-alignment recorded (None: it changed nothing, or an import).
    revision: int | None = None


class Store(LinkEditor):
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
        self.path = queries.database_file(self.db.conn) or None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the corpus's writer lock (:mod:`.lock`): wrap a change and its dump in it, so that no build
        can read ``texts/`` between the two."""
        if self.path is None:  # an in-memory database has no other writers
            yield
            return
        with writer_lock(self.path):
            yield

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction under the writer lock."""
        with self.writing(), write_transaction(self.db):
            yield

    # -- lookups -------------------------------------------------------------

    def works(self) -> list[dict]:
        return queries.works(self.db.conn)

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

    def work_of(self, ref: str, key: str | None = None, slug: str | None = None) -> dict:
        """The work a pivot segment ref (or range) names: the one given, the only one, or the one work whose
        pivot has that ref (and a version ``key``); an error names the candidates when several do."""
        works = self.works()
        if slug is not None or len(works) == 1:
            return self.work(slug)
        first = parse_address(ref)[0]
        found = queries.works_with_pivot_ref(self.db.conn, first, key)
        if len(found) == 1:
            return self.work(found[0])
        if not found:
            raise UnknownError(f"no work has a segment {first!r}" + (f" and a version {key!r}" if key else ""))
        raise UnknownError(f"{first!r} is in several works; name one with --work ({', '.join(found)})")

    def version(self, work: str, key: str, *, allow_pivot: bool = False) -> dict:
        """A version of ``work`` by key (``ru``, ``es-1977``) or, when unambiguous, by language."""
        rows = queries.version_rows(self.db.conn, work)
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
        """The pivot segment rows an address covers; an unknown ref or a backwards range is an error."""
        pv = self.pivot_version(work)
        ids = queries.pivot_span_ids(self.db.conn, pv["id"], address)
        if not ids:
            for ref in parse_address(address):
                if not queries.segment_ids(self.db.conn, pv["id"], [ref]):
                    raise UnknownError(f"unknown segment {ref!r} in {work}")
            raise UnknownError(f"segment range {address!r} runs backwards")
        return queries.segments_by_id(self.db.conn, ids)

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
                division=r["division"] or 1,
                alignment_id=r["id"],
            )

    def slot(self, work: str, key: str, address: str) -> Slot:
        """The slot of one pivot segment (or the current state over a span of them)."""
        v = self.version(work, key)
        span = self._pivot_span(work, address)
        affected = self._links_with(v["id"], pivots=[s["id"] for s in span])
        if len(affected) == 1:
            return self._alignment_slot(affected[0], work, v["key"])
        parts = [self._alignment_slot(a, work, v["key"]) for a in affected]
        text = " ".join(p.text for p in parts if p.text)
        status = combined_status([p.status for p in parts])
        return Slot(work=work, version=v["key"], address=address, pivot_refs=[s["ref"] for s in span],
                    pivot_text=" ".join(s["text"] for s in span), text=text, status=status)

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
        with self.transaction():
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
        affected = self._links_with(v["id"], pivots=[s["id"] for s in span])
        parts = [self._alignment_slot(a, work, v["key"]) for a in affected]
        old_text = " ".join(p.text for p in parts if p.text)
        old_status = combined_status([p.status for p in parts])
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
        span_ids = [s["id"] for s in span]
        links = affected  # the alignments over the span, read once above
        targets = [t for link in links for t in link["targets"]]
        texts = None
        if text and " ".join(text.split()) == " ".join(old_text.split()):
            # The same text: confirming or re-spanning what is there links it, never copies it.
            new = [{"pivots": span_ids, "targets": targets, "status": status, "touched": True}]
        elif text:
            typed = self.db.execute(
                "select id, text from segments where version = ? and ref = ? and typed = 1",
                [v["id"], "@" + address]).fetchone()
            if typed and typed[0] in targets:
                self._set_text(v, typed[0], text)
                texts, tid = {typed[0]: typed[1]}, typed[0]
            else:
                tid = self._insert_typed(v, "@" + address, text, span[0])
            new = [{"pivots": span_ids, "targets": [tid], "status": status, "touched": True}]
        else:
            # Cleared by a person: empty rows the aligner leaves alone (a decision, not a gap).
            new = [{"pivots": [sid], "targets": [], "status": "empty", "touched": True} for sid in span_ids]
        covered = set(span_ids)
        for link in links:  # pivots of the old links outside the span keep empty rows of their own
            for p in link["pivots"]:
                if p not in covered:
                    new.append({"pivots": [p], "targets": [], "status": "empty"})
        return self._commit(work, v, links, new, op="set", channel=channel, actor=actor, reverts=reverts,
                            texts=texts)

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
        with self.transaction():
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

    def realign(self, work: str, key: str, *, start: str | None = None, end: str | None = None,
                embeddings: bool | None = None, actor: str | None = None, channel: str = "cli") -> ImportReport:
        """Re-run the aligner for one version in the database, never touching human alignments.

        Human links, statuses and clears are fixed anchors. With ``start`` (a row, as in the link operations)
        only the rows from there on are aligned again, with ``end`` only those up to there: the rows outside
        stay as they are, automatic or not. The rows the aligner changes are replaced as one revision (op
        ``align``, by ``actor`` through ``channel``), like any link operation, so the history shows who
        re-aligned and a revert puts the automatic rows back; a row the aligner finds again keeps its row, and
        a re-alignment that changes nothing records nothing. Only the range is read and aligned
        (:meth:`_realign_window`). Returns what changed (and the ``revision``; ``kept``: the rows people decided
        in the range).
        ``embeddings``: False aligns without sentence embeddings even when the extra is installed; their
        vectors are cached in the database, so aligning the same texts again embeds nothing.
        """
        w = self.work(work)
        v = self.version(w["id"], key)
        pv = self.pivot_version(w["id"])
        db = self.db
        if not v["file"]:
            raise AlignerError(f"version {v['key']} of {w['id']} has no text file to align (use add-version)")

        embedder = default_embedder(db.conn, embeddings)

        def read():
            lo = self._row(w["id"], v, start)["position"] if start else None
            hi = self._row(w["id"], v, end)["position"] if end else None
            return self._realign_window(pv["id"], v["id"], lo, hi)

        def align(window):
            (p_segs, p_ids), (t_segs, t_ids), links = window
            keep = [l for l in links if is_human(l)]
            in_window = set(p_ids) | set(t_ids)
            fixed = [(ps, ts) for ps, ts in ((l["pivots"], [t for t in l["targets"] if t in in_window])
                                             for l in keep) if ps or ts]
            beads, _sig = align_version(p_segs, p_ids, t_segs, t_ids, fixed, pv["language"], v["language"], embedder)
            return keep, fixed, beads

        # The aligner runs without the writers' lock (a long version takes seconds to minutes, and every editor
        # would wait for it); under the lock the range is read again, and aligned again only if someone changed
        # it meanwhile, so the rows replaced (and recorded) are always those the aligner saw.
        window = read()
        keep, fixed, beads = align(window)
        with self.writing():
            again = read()
            if again != window:
                window = again
                keep, fixed, beads = align(window)
            (p_segs, p_ids), (t_segs, t_ids), links = window
            report = ImportReport(work=w["id"], key=v["key"], file=v["file"])
            report.sentences = len(t_ids)
            warning = unaligned_warning(f"{w['id']}/{v['key']}", beads, fixed, len(p_ids), len(t_ids))
            if warning:
                report.notes.append(warning)
            covered = {p for l in keep for p in l["pivots"]}
            kept_targets = {t for l in keep for t in l["targets"]}
            new = []
            for p, t, score in beads:
                t = [x for x in t if x not in kept_targets]
                if not t or (p and any(x in covered for x in p)):
                    continue
                new.append({"pivots": p, "targets": t, "status": "auto", "score": score, "aligner": True})
                covered.update(p)
            new += [{"pivots": [sid], "targets": [], "status": "empty", "aligner": True}
                    for sid in p_ids if sid not in covered]
            old = [l for l in links if not is_human(l)]

            def link_key(l: dict) -> tuple:
                return tuple(l["pivots"]), tuple(l["targets"]), l["status"]

            old_keys, new_keys = {link_key(l) for l in old}, {link_key(l) for l in new}
            old_auto = {k for k in old_keys if k[2] == "auto"}
            new_auto = {k for k in new_keys if k[2] == "auto"}
            report.changed = len(old_auto ^ new_auto)
            report.kept = len(keep)
            report.auto = len(new_auto)
            with self.transaction():
                # Only the rows that change: the revision holds what the re-alignment did, no more.
                report.revision = self._commit(
                    w["id"], v, [l for l in old if link_key(l) not in new_keys],
                    [l for l in new if link_key(l) not in old_keys], op="align", channel=channel, actor=actor)
        return report

    def _realign_window(self, pivot_vid: str, vid: str, lo: float | None, hi: float | None):
        """What a re-alignment reads: ``(pivot segments, ids), (the version's segments, ids), rows``.

        Without a range, the whole version and all its rows. With one (``lo``/``hi``: row positions), only the
        rows inside it, their pivot sentences, and the version's sentences between the last one a row before the
        range holds and the first one a row after it holds (less any that a row outside holds). The rows
        outside stay as they are, so they bound the problem: a chapter of a Bible is read and aligned, not the
        whole book with every other row as a fixed anchor.
        """
        conn = self.db.conn
        cols = "s.id, s.block, s.kind, s.sentence, s.text, s.start, s.[end], s.division, s.block_key"

        def split(rows) -> tuple[list[Segment], list[int]]:
            rows = list(rows)
            return [Segment(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows], [r[0] for r in rows]

        if lo is None and hi is None:
            sql = f"select {cols} from segments s where s.version = ? and s.typed = 0 order by s.position"
            return (split(conn.execute(sql, [pivot_vid])), split(conn.execute(sql, [vid])), self._links(vid))
        inside = " and ".join(c for c, x in (("a.position >= ?", lo), ("a.position <= ?", hi)) if x is not None)
        bounds = [x for x in (lo, hi) if x is not None]
        links = self._links(vid, inside, bounds)
        pivots = conn.execute(
            f"select {cols} from alignments a join alignment_pivots ap on ap.alignment = a.id join segments s"
            f" on s.id = ap.segment where a.version = ? and {inside} and s.typed = 0 order by s.position",
            [vid, *bounds]).fetchall()
        held = ("select {agg}(s.position) from alignments a join alignment_targets t on t.alignment = a.id"
                " join segments s on s.id = t.segment where a.version = ? and a.position {op} ?")
        first = conn.execute(held.format(agg="max", op="<"), [vid, lo]).fetchone()[0] if lo is not None else None
        last = conn.execute(held.format(agg="min", op=">"), [vid, hi]).fetchone()[0] if hi is not None else None
        targets = conn.execute(
            f"select {cols}, (select a.position from alignment_targets t join alignments a on a.id = t.alignment"
            f" where t.segment = s.id) from segments s where s.version = ? and s.typed = 0 and s.position > ?"
            f" and s.position < ? order by s.position",
            [vid, -1 if first is None else first, float("inf") if last is None else last]).fetchall()
        free = [r for r in targets if r[9] is None or ((lo is None or r[9] >= lo) and (hi is None or r[9] <= hi))]
        return split(pivots), split(free), links

    def history(self, work: str | None = None, ref: str | None = None, key: str | None = None) -> list[dict]:
        """Revisions, oldest first; narrowed to a pivot segment and/or a version (unknown ones are errors)."""
        w = self.work(work)
        key = self.version(w["id"], key)["key"] if key else None
        if ref:
            self._pivot_span(w["id"], ref)
        found = queries.history(self.db.conn, w["id"], key=key, address=ref, limit=-1)
        return found["revisions"][::-1]

    def revision(self, revision: int) -> dict:
        """One revision by id, with its work and version key."""
        rows = list(self.db.query(
            "select r.*, v.key from revisions r join versions v on v.id = r.version where r.id = ?", [revision]))
        if not rows:
            raise UnknownError(f"unknown revision {revision}")
        return rows[0]

    def revert(self, revision: int, *, actor: str | None = None) -> int | None:
        """Undo one revision: the slot goes back to the state before it, recorded as a new revision."""
        r = self.revision(revision)
        if r["before"] is not None:
            with self.transaction():
                return self._revert_links(r, actor)
        work, key, address, old_text, old_status = r["work"], r["key"], r["address"], r["old_text"], r["old_status"]
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
        """Per work and version: how many slots are empty, auto, draft, confirmed, stale, low-confidence."""
        if work is not None:
            work = self.work(work)["id"]  # an unknown slug is an error, not an empty table
        return queries.status_rows(self.db.conn, work)

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
        with self.writing():
            return self._dump(texts, work, key)

    def _dump(self, texts: Path, work: str | None, key: str | None) -> list[Path]:
        written = []
        for w in self.works():
            if work and w["id"] != work:
                continue
            wdir = texts / w["id"]
            if not (wdir / METADATA_FILE).exists():
                raise InputError(str(wdir), f"no work folder for {w['id']} here (no {METADATA_FILE})")
            for v in self.db.query("select * from versions where work = ? and role != 'pivot' order by position", [w["id"]]):
                if key and v["key"] != key:
                    continue
                slot_lines = self._slot_lines(v)
                hist_lines = self._history_lines(v, history_path(wdir, v["key"]))
                for path, lines in ((slots_path(wdir, v["key"]), slot_lines), (history_path(wdir, v["key"]), hist_lines)):
                    if write_records(path, lines):
                        written.append(path)
        return written

    def _slot_lines(self, v: dict) -> list[str]:
        """The version's slots as dump lines, in position order.

        Three queries for the whole version, read side by side in alignment order (:class:`_Grouped`), not
        two per alignment: at Bible scale (42,000 rows) the dump took 1.3 s that way, and a translator's next
        edit waits behind it.
        """
        keep = "a.version = ? and (a.status != 'empty' or a.stale = 1 or a.actor is not null)"
        conn = self.db.conn
        rows = conn.execute(f"select a.* from alignments a where {keep} order by a.position, a.id", [v["id"]])
        names = [d[0] for d in rows.description]
        pivots = _Grouped(conn.execute(
            "select a.id, s.ref, s.hash from alignments a join alignment_pivots ap on ap.alignment = a.id"
            f" join segments s on s.id = ap.segment where {keep} order by a.position, a.id, s.position", [v["id"]]))
        targets = _Grouped(conn.execute(
            "select a.id, s.ref, s.hash, s.text, s.typed from alignments a join alignment_targets at on at.alignment = a.id"
            f" join segments s on s.id = at.segment where {keep} order by a.position, a.id, s.position", [v["id"]]))
        pivot_vid = None  # read once, when a 0:1 alignment needs it
        out = []
        for row in rows:
            a = dict(zip(names, row))
            pivots_of = pivots.take(a["id"])
            targets_of = targets.take(a["id"])
            rec: dict = {"slot": a["address"], "pivot": [[r, h] for r, h in pivots_of], "status": a["status"]}
            if not pivots_of:
                # A target sentence with no pivot counterpart (0:1): remember where it stands.
                # (one indexed lookup each: they are few, and reading the whole pivot would cost more at scale)
                if pivot_vid is None:
                    pivot_vid = self.pivot_version(v["work"])["id"]
                before = conn.execute(
                    "select s.ref from segments s where s.version = ? and s.position < ? order by s.position desc limit 1",
                    [pivot_vid, a["position"]]).fetchone()
                rec["after"] = before[0] if before else None
            file_targets = [[r, h] for r, h, _, typed in targets_of if not typed]
            if file_targets:
                rec["targets"] = file_targets
                # A corrected sentence of the file keeps its file's hash (that is how the build finds it again).
                edits = {r: text for r, h, text, typed in targets_of if not typed and text_hash(text) != h}
                if edits:
                    rec["edits"] = edits
            rec["text"] = " ".join(t for _, _, t, _ in targets_of)
            if a["score"] is not None:
                rec["score"] = round(a["score"], 4)
            for col, name in (("method", "via"), ("actor", "by"), ("at", "at")):
                if a[col] is not None:
                    rec[name] = a[col]
            if a["stale"]:
                rec["stale"] = True
            out.append(format_record(rec))
        return out

    def _history_lines(self, v: dict, existing: Path | None = None) -> list[str]:
        """The version's revisions as dump lines, merged by id with those already in the file.

        A revision the file has and the database lacks (the database was built before it was written) is
        kept, never overwritten: a dump only ever adds to the history.
        """
        out: list[tuple[int, str]] = []
        ids = set()
        segments = _Grouped(self.db.conn.execute(
            "select r.id, s.ref from revisions r join revision_segments rs on rs.revision = r.id"
            " join segments s on s.id = rs.segment where r.version = ? order by r.id, s.position", [v["id"]]))
        for r in self.db.query("select * from revisions where version = ? order by id", [v["id"]]):
            ids.add(r["id"])
            refs = [ref for ref, in segments.take(r["id"])]
            # "id" is the revision's one number: the same in the database, the pages, the CLI and here.
            rec = {
                "id": r["id"], "slot": r["address"], "segments": refs, "at": r["at"], "by": r["actor"], "via": r["channel"],
                "old_status": r["old_status"], "old_text": r["old_text"], "new_status": r["new_status"], "new_text": r["new_text"],
            }
            if r["reverts"]:
                rec["reverts"] = r["reverts"]
            if r["op"]:
                rec["op"] = r["op"]
                rec["before"] = json.loads(r["before"])
                rec["after"] = json.loads(r["after"])
            out.append((r["id"], format_record(rec)))
        if existing is not None and existing.exists():
            for rec in load_jsonl(existing):
                if isinstance(rec.get("id"), int) and rec["id"] not in ids:
                    rec.pop("_line", None)
                    out.append((rec["id"], format_record(rec)))
        return [line for _, line in sorted(out, key=lambda x: x[0])]


class _Grouped:
    """Rows ``(key, *values)`` of a cursor ordered by the same key order as the rows they belong to, taken key by
    key: :meth:`take` returns the values of one key and moves on, so a dump reads a version's pivots and targets
    in one pass beside its alignments instead of one query per alignment."""

    def __init__(self, cursor):
        self._rows = iter(cursor)
        self._next = next(self._rows, None)

    def take(self, key) -> list[tuple]:
        out = []
        while self._next is not None and self._next[0] == key:
            out.append(self._next[1:])
            self._next = next(self._rows, None)
        return out
