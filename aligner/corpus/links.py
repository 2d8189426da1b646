"""Editing alignments as links between segments, never as copies of text.

A version's text is a sequence of its own segments (imported from its file,
or typed by a translator); an alignment is a *link* between a run of pivot
segments and a run of that version's segments, with a status and its
provenance. Every operation here (confirm, link, move, shift, merge, split,
attach, detach, correct a segment's text) changes links and statuses only,
in one transaction, as one revision that records the links before and after
it, so that :meth:`LinkEditor.revert` can put them back exactly: no imported
sentence is ever copied, orphaned or dropped. A target segment that loses
its link stays in the version as a *leftover* (a 0:1 row, ``unaligned``)
where a person can see it and attach it again.

Rows are a version's alignments in reading order (``position``): one row per
pivot span, plus the leftover rows between them. A row is named by a pivot
ref (``24.1``: the row that holds that pivot sentence) or, for a leftover, by
the version's own segment ref written ``KEY:REF`` (``ru:1.1``).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from ..errors import AlignerError, UnknownError
from ..model import STATUSES, make_address, parse_address, text_hash
from ..provenance import default_actor, now
from ..record import check_jsonl, history_path
from ..text.search import normalize_for_search

#: Statuses of rows a person has decided; the aligner never changes them.
HUMAN = ("draft", "confirmed")


def combined_status(statuses: list[str]) -> str:
    """The status of a span made of several alignments: the least advanced one that is not empty."""
    filled = [s for s in statuses if s != "empty"]
    if not filled:
        return "empty"
    order = {s: i for i, s in enumerate(STATUSES)}
    return min(filled, key=order.__getitem__)


def is_human(link: dict) -> bool:
    """A link a person made or decided: drafted, confirmed, or deliberately left empty (the aligner keeps off)."""
    return link["status"] in HUMAN or (link["status"] == "empty" and link.get("actor") is not None)


class LinkEditor:
    """The link operations of :class:`aligner.corpus.store.Store` (``self.db`` is its database)."""

    # -- reading links ---------------------------------------------------------

    def _links(self, vid: str, where: str = "", params: list | None = None, *, backwards: bool = False,
               limit: int | None = None, ids: list[int] | None = None) -> list[dict]:
        """Alignments of a version (narrowed by ``where`` on ``a``, or to the alignments ``ids``) in row order,
        each with its segment ids."""
        conn = self.db.conn
        version = "a.version = ?"
        if ids is not None:
            if not ids:
                return []
            # Looked up by id: the unary + keeps SQLite from walking every alignment of the version instead.
            version, where, params = "+a.version = ?", f"a.id in ({_marks(ids)})", list(ids)
        cur = conn.execute(
            "select a.id, a.address, a.position, a.status, a.score, a.method, a.actor, a.at, a.stale,"
            " (select group_concat(segment) from (select ap.segment from alignment_pivots ap join segments s"
            "  on s.id = ap.segment where ap.alignment = a.id order by s.position)),"
            " (select group_concat(segment) from (select at.segment from alignment_targets at join segments s"
            "  on s.id = at.segment where at.alignment = a.id order by s.position))"
            f" from alignments a where {version} {('and ' + where) if where else ''}"
            f" order by a.position {'desc' if backwards else ''}, a.id {'desc' if backwards else ''}"
            f"{f' limit {int(limit)}' if limit else ''}",
            [vid, *(params or [])])
        out = []
        for r in cur.fetchall():
            out.append({"id": r[0], "address": r[1], "position": r[2], "status": r[3], "score": r[4], "method": r[5],
                        "actor": r[6], "at": r[7], "stale": r[8],
                        "pivots": [int(x) for x in r[9].split(",")] if r[9] else [],
                        "targets": [int(x) for x in r[10].split(",")] if r[10] else []})
        return out

    def _links_with(self, vid: str, pivots: list[int] = (), targets: list[int] = ()) -> list[dict]:
        """The alignments holding any of these pivot or target segments."""
        ids: set[int] = set()
        for table, segs in (("alignment_pivots", list(pivots)), ("alignment_targets", list(targets))):
            for i in range(0, len(segs), 500):
                chunk = segs[i:i + 500]
                ids.update(r[0] for r in self.db.conn.execute(
                    f"select alignment from {table} where segment in ({_marks(chunk)})", chunk))
        return self._links(vid, ids=sorted(ids))

    def _segment_rows(self, ids) -> dict[int, dict]:
        ids = list(ids)
        out: dict[int, dict] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for r in self.db.query(f"select * from segments where id in ({_marks(chunk)})", chunk):
                out[r["id"]] = r
        return out

    def _target_span(self, v: dict, spec: str) -> list[int]:
        """The version's own segments a ref or range (``4.1``, ``4.1-4.2``) names, in order."""
        ends = parse_address(spec.split(":", 1)[1] if spec.startswith(v["key"] + ":") else spec)
        pos = []
        for ref in ends:
            row = self.db.execute("select position from segments where version = ? and ref = ?",
                                  [v["id"], ref]).fetchone()
            if row is None:
                raise UnknownError(f"unknown segment {ref!r} of {v['key']}")
            pos.append(row[0])
        if pos[-1] < pos[0]:
            raise UnknownError(f"segment range {spec!r} runs backwards")
        return [r[0] for r in self.db.execute(
            "select id from segments where version = ? and position between ? and ? order by position",
            [v["id"], pos[0], pos[-1]])]

    def _row(self, work: str, v: dict, ref: str) -> dict:
        """The row a pivot ref (``24.1``) or a target ref (``ru:1.1``) names."""
        if ref.startswith(v["key"] + ":"):
            tid = self._target_span(v, ref)[0]
            found = self._links_with(v["id"], targets=[tid])
            if not found:
                raise UnknownError(f"{ref} is in no row")
            return found[0]
        span = self._pivot_span(work, ref)
        found = self._links_with(v["id"], pivots=[span[0]["id"]])
        if not found:
            raise UnknownError(f"{ref} has no row in {v['key']}")
        ids = {s["id"] for s in span}
        pivots = set(found[0]["pivots"])
        if len(span) > 1 and not (pivots <= ids and span[0]["id"] in pivots and span[-1]["id"] in pivots):
            # a range names one row by its ends (its pivots may have a gap): 26.1-27.2 must not act on the row
            # of 26.1 alone
            raise UnknownError(f"no row {ref} in {v['key']}: {span[0]['ref']} is in row {found[0]['address']}")
        return found[0]

    def _neighbour(self, v: dict, row: dict, step: int) -> dict | None:
        """The row before (``step=-1``) or after (``step=1``) ``row``."""
        where = "(a.position < ? or (a.position = ? and a.id < ?))" if step < 0 else \
            "(a.position > ? or (a.position = ? and a.id > ?))"
        found = self._links(v["id"], where, [row["position"]] * 2 + [row["id"]], backwards=step < 0, limit=1)
        return found[0] if found else None

    # -- writing links -----------------------------------------------------------

    def _describe(self, links: list[dict], segs: dict[int, dict]) -> list[dict]:
        """Links as refs (and the text of typed segments), for a revision's before/after.

        A link nobody decided (automatic, or empty with no one's name on it) is marked ``aligner`` with its
        score: a revert gives it back to the aligner as it was, never as a person's decision (an empty row
        a person made is a clear the aligner keeps off)."""
        out = []
        for link in links:
            d = {"pivot": [segs[p]["ref"] for p in link["pivots"]],
                 "targets": [segs[t]["ref"] for t in link["targets"]],
                 "status": link["status"]}
            typed = {segs[t]["ref"]: segs[t]["text"] for t in link["targets"] if segs[t]["typed"]}
            if typed:
                d["typed"] = typed
            if not is_human(link):
                d["aligner"] = True
                if link.get("score") is not None:
                    d["score"] = link["score"]
            out.append(d)
        return out

    def _commit(self, work: str, v: dict, old: list[dict], new: list[dict], *, op: str, channel: str,
                actor: str | None, reverts: int | None = None, texts: dict[int, str] | None = None) -> int | None:
        """Replace the links ``old`` by ``new`` as one revision; file segments left unlinked become leftovers.

        ``new`` links are dicts with ``pivots``, ``targets``, ``status`` (and optionally ``position``); one marked
        ``aligner`` (with its ``score``) is the aligner's, not the person's who made the revision.
        ``texts`` records a segment's text correction made in the same revision (old text by segment id).
        Returns the revision id, or None when nothing changed.
        """
        conn = self.db.conn
        texts_dir = getattr(self, "texts_dir", None)
        if texts_dir is not None:
            # the record this change will be dumped into must be readable first, or the change would be in the
            # database only (the build then refuses until the file is mended)
            check_jsonl(history_path(Path(texts_dir) / work, v["key"]))
        at = now()
        actor = actor or default_actor()
        old_key = sorted((tuple(l["pivots"]), tuple(l["targets"]), l["status"]) for l in old)
        new_key = sorted((tuple(l["pivots"]), tuple(l["targets"]), l["status"]) for l in new)
        if old_key == new_key and not texts:
            return None
        ids = {s for l in old + new for s in l["pivots"] + l["targets"]}
        segs = self._segment_rows(ids)
        before, after = self._describe(old, segs), None
        kept_targets = {t for l in new for t in l["targets"]}
        dropped = [t for l in old for t in l["targets"] if t not in kept_targets]
        for link in old:
            for table in ("alignment_pivots", "alignment_targets"):
                conn.execute(f"delete from {table} where alignment = ?", [link["id"]])
            conn.execute("delete from alignments where id = ?", [link["id"]])
        unchanged = {}
        for o in old:
            unchanged.setdefault((tuple(o["pivots"]), tuple(o["targets"]), o["status"]), o)

        def provenance(link: dict) -> tuple:
            """(method, actor, at, score) of a new link."""
            same = unchanged.get((tuple(link["pivots"]), tuple(link["targets"]), link["status"]))
            if same and not (texts and set(link["targets"]) & set(texts)):  # its text corrected: the person's now
                return same["method"], same["actor"], same["at"], same["score"]
            if "id" in link and not link.get("touched"):
                # A row changed only as a consequence (it lost a sentence to the row a person edited): its
                # provenance stays, so an automatic row stays the aligner's to fill again.
                return link["method"], link["actor"], link["at"], None
            if link.get("aligner"):
                # The aligner's link (a re-alignment's, or one a revert gives back): a person asked for it, and
                # the revision says who; the row stays the aligner's, to align again.
                method = ("aligner" if link["pivots"] else "unaligned") if link["status"] == "auto" else None
                return method, None, None, link.get("score")
            return channel, actor, at, None

        new = [{**link, **dict(zip(("method", "actor", "at", "score"), provenance(link)))} for link in new]
        # Rows with pivot sentences first: a leftover with no place given is placed after them (by its text).
        for link in sorted(new, key=lambda l: not l["pivots"]):
            pos = (min(segs[p]["position"] for p in link["pivots"]) if link["pivots"]
                   else link.get("position"))
            if pos is None:
                pos = leftover_position(conn, v["id"], min(link["targets"], key=lambda t: segs[t]["position"]))
            first = min(link["pivots"], key=lambda p: segs[p]["position"]) if link["pivots"] else None
            last = max(link["pivots"], key=lambda p: segs[p]["position"]) if link["pivots"] else None
            address = make_address(segs[first]["ref"], segs[last]["ref"]) if first else None
            self._insert_alignment(work, v["id"], sorted(link["pivots"], key=lambda p: segs[p]["position"]),
                                   sorted(link["targets"], key=lambda t: segs[t]["position"]), address, pos,
                                   link["status"], link["score"], link["method"], link["actor"], link["at"])
        for t in dropped:
            if segs[t]["typed"]:
                conn.execute("delete from segments where id = ?", [t])
            else:
                self._insert_alignment(work, v["id"], [], [t], None, leftover_position(conn, v["id"], t), "auto",
                                       None, "unaligned", None, None)
        after = self._describe(new, segs)
        pivots = sorted({p for l in old + new for p in l["pivots"]}, key=lambda p: segs[p]["position"])
        address = make_address(segs[pivots[0]]["ref"], segs[pivots[-1]]["ref"]) if pivots else None

        def joined(links, old_texts=texts):
            return " ".join(_text(segs[t], old_texts) for l in links
                            for t in sorted(l["targets"], key=lambda t: segs[t]["position"]))

        old_text = joined(old)
        new_text = joined(new, None)
        seq = (conn.execute("select max(seq) from revisions where version = ?", [v["id"]]).fetchone()[0] or 0) + 1
        extra = {}
        if texts:
            extra["texts"] = {segs[t]["ref"]: old for t, old in texts.items()}
        cur = conn.execute(
            "INSERT INTO revisions (work, version, seq, address, old_text, old_status, new_text, new_status, actor,"
            " channel, at, reverts, op, [before], [after]) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (work, v["id"], seq, address, old_text, combined_status([l["status"] for l in old]), new_text,
             combined_status([l["status"] for l in new]), actor, channel, at, reverts, op,
             json.dumps({"links": before, **extra}, ensure_ascii=False), json.dumps({"links": after}, ensure_ascii=False)))
        rid = cur.lastrowid
        conn.executemany("INSERT OR IGNORE INTO revision_segments VALUES (?,?)", [(rid, p) for p in pivots])
        return rid

    def _current_text(self, sid: int) -> str:
        return self.db.execute("select text from segments where id = ?", [sid]).fetchone()[0]

    # -- the operations ----------------------------------------------------------

    def _op(self, work: str, key: str):
        w = self.work(work)
        v = self.version(w["id"], key)
        return w["id"], v, self.transaction()

    def set_status(self, work: str, key: str, ref: str, status: str = "confirmed", *, actor: str | None = None,
                   channel: str = "cli") -> int | None:
        """Give one row a status (``confirmed``, ``draft``, or ``empty`` for a row with no text), keeping its links."""
        if status not in ("draft", "confirmed", "empty"):
            raise AlignerError(f"invalid status {status!r} (one of: draft, confirmed, empty)")
        work, v, tx = self._op(work, key)
        with tx:
            row = self._row(work, v, ref)
            if status == "empty" and row["targets"]:
                raise AlignerError(f"{ref} has text: detach or clear it first")
            return self._commit(work, v, [row], [{**row, "status": status, "touched": True}], op="status",
                                channel=channel, actor=actor)

    def confirm_through(self, work: str, key: str, through: str | None = None, *, start: str | None = None,
                        actor: str | None = None, channel: str = "cli") -> int | None:
        """Confirm every row from ``start`` (default: the first) through ``through`` (default: the last), links kept.

        Empty rows stay empty (nothing to confirm in them); drafts and automatic links become confirmed.
        """
        work, v, tx = self._op(work, key)
        with tx:
            where, params = ["a.status in ('auto', 'draft')"], []
            if start:
                where.append("a.position >= ?")
                params.append(self._row(work, v, start)["position"])
            if through:
                where.append("a.position <= ?")
                params.append(self._row(work, v, through)["position"])
            rows = [r for r in self._links(v["id"], " and ".join(where), params) if r["targets"]]
            if not rows:
                return None
            return self._commit(work, v, rows, [{**r, "status": "confirmed", "touched": True} for r in rows],
                                op="confirm", channel=channel, actor=actor)

    def link(self, work: str, key: str, pivot_range: str | None, target_range: str | None, *,
             status: str = "confirmed", actor: str | None = None, channel: str = "cli") -> int | None:
        """Make exactly one link between a pivot range and a target range (either may be None: 0:1 or 1:0).

        Every other link that held one of these segments keeps the rest of its segments; a pivot sentence left
        with nothing gets an empty row, a target sentence left with nothing becomes a leftover.
        """
        if status not in ("draft", "confirmed", "auto"):
            raise AlignerError(f"invalid status {status!r} (draft or confirmed)")
        work, v, tx = self._op(work, key)
        with tx:
            pivots = [s["id"] for s in self._pivot_span(work, pivot_range)] if pivot_range else []
            targets = self._target_span(v, target_range) if target_range else []
            if not pivots and not targets:
                raise AlignerError("give a pivot range, a target range, or both")
            old = self._links_with(v["id"], pivots, targets)
            new = [{"pivots": pivots, "targets": targets, "status": status if targets or pivots else "empty"}]
            taken_p, taken_t = set(pivots), set(targets)
            for o in old:
                rest_p = [p for p in o["pivots"] if p not in taken_p]
                rest_t = [t for t in o["targets"] if t not in taken_t]
                if rest_p:
                    new.append({**o, "pivots": rest_p, "targets": rest_t, "status": o["status"] if rest_t else "empty"})
                elif rest_t and not o["pivots"]:
                    new.append({**o, "targets": rest_t})
            if not pivots:
                new[0]["position"] = leftover_position(self.db.conn, v["id"], targets[0])
            return self._commit(work, v, old, new, op="link", channel=channel, actor=actor)

    def move(self, work: str, key: str, ref: str, direction: str, *, actor: str | None = None,
             channel: str = "cli") -> int | None:
        """Move one target segment to the neighbouring row: ``up`` (this row's first joins the row above) or
        ``down`` (this row's last joins the row below)."""
        step = _step(direction)
        work, v, tx = self._op(work, key)
        with tx:
            row = self._row(work, v, ref)
            other = self._neighbour(v, row, step)
            if not row["targets"]:
                raise AlignerError(f"row {ref} of {v['key']} has no segment to move")
            if other is None:
                raise AlignerError(f"row {ref} is the {'first' if step < 0 else 'last'} row")
            moving = row["targets"][0] if step < 0 else row["targets"][-1]
            rest = [t for t in row["targets"] if t != moving]
            new = [_retarget(row, rest), _retarget(other, other["targets"] + [moving] if step < 0 else
                                                   [moving] + other["targets"], touched=True)]
            return self._commit(work, v, [row, other], [l for l in new if l["pivots"] or l["targets"]],
                                op="move", channel=channel, actor=actor)

    def shift(self, work: str, key: str, ref: str, direction: str, *, actor: str | None = None,
              channel: str = "cli") -> int | None:
        """From this row on, move the version's column one row ``up`` (this row's text joins the row above) or
        ``down`` (this row is left empty), as far as the displacement goes.

        A run of rows shifted by one ends where the aligner made up for it, and that is where a shift stops: going
        ``down``, at the first empty row below (it takes the text pushed into it); going ``up``, at the first row
        from this one holding two or more sentences (it gives its first one to the row above and keeps the rest;
        on this row itself, that is a move up). With
        no such row the rest of the column moves to the end of the part (the pivot's division: a letter, a
        chapter) that holds this row: ``down``, the part's last row takes what would fall off its end; ``up``,
        the part's last row is left empty. So one shift fixes a shifted run, a shift up undoes a shift down (and
        the other way round), and only the rows up to the stop are read and rewritten, never a whole Bible.
        """
        step = _step(direction)
        work, v, tx = self._op(work, key)
        with tx:
            row = self._row(work, v, ref)
            if step < 0:
                above = self._neighbour(v, row, -1)
                while above is not None and not above["pivots"]:
                    above = self._neighbour(v, above, -1)
                if above is None:
                    raise AlignerError(f"row {ref} is the first row")
                several = lambda r: len(r["targets"]) > 1  # noqa: E731
                rows = [row] if several(row) else self._rows_until(v, row, several, self._part_end(row))
                chain = [above] + rows
                if several(rows[-1]):  # stopped at a row of several sentences: it gives up its first one only
                    seq = [r["targets"] for r in rows[:-1]] + [rows[-1]["targets"][:1]]
                    rest = rows[-1]["targets"][1:]
                else:
                    seq, rest = [r["targets"] for r in rows], []
                cols = [above["targets"] + seq[0]] + seq[1:] + [rest]
            else:
                rows = self._rows_until(v, row, lambda r: not r["targets"], self._part_end(row))
                if len(rows) < 2:
                    raise AlignerError(f"row {ref} is the last row")
                chain = rows
                if not rows[-1]["targets"]:  # stopped at an empty row: it takes the text pushed into it
                    cols = [[]] + [r["targets"] for r in rows[:-1]]
                else:
                    cols = [[]] + [r["targets"] for r in rows[:-2]] + [rows[-2]["targets"] + rows[-1]["targets"]]
            new = [_retarget(r, c, touched=True) for r, c in zip(chain, cols)]
            return self._commit(work, v, chain, new, op="shift", channel=channel, actor=actor)

    def _part_end(self, row: dict) -> float | None:
        """The position of the last pivot sentence in the division that holds the row's first one."""
        if not row["pivots"]:
            return None
        found = self.db.conn.execute(
            "select max(e.position) from segments s join segments e on e.version = s.version"
            " and e.division = s.division where s.id = ?", [row["pivots"][0]]).fetchone()
        return found[0] if found else None

    def _rows_until(self, v: dict, row: dict, stop, end: float | None = None, batch: int = 64) -> list[dict]:
        """``row`` and the pivot rows after it, up to and including the first (after ``row``) that ``stop``
        accepts, else to the last one at position ``end`` (or the end); read a batch at a time, so a shift
        reads only what it changes."""
        out = [row]
        last = row
        limit = "" if end is None else " and a.position <= ?"
        while True:
            found = self._links(v["id"], "(a.position > ? or (a.position = ? and a.id > ?))" + limit,
                                [last["position"]] * 2 + [last["id"]] + ([] if end is None else [end]), limit=batch)
            for r in found:
                if not r["pivots"]:
                    continue
                out.append(r)
                if stop(r):
                    return out
            if len(found) < batch:
                return out
            last = found[-1]

    def merge(self, work: str, key: str, ref: str, *, actor: str | None = None, channel: str = "cli") -> int | None:
        """Merge this row with the row below it: both sides join into one n:m link."""
        work, v, tx = self._op(work, key)
        with tx:
            row = self._row(work, v, ref)
            other = self._neighbour(v, row, 1)
            if other is None:
                raise AlignerError(f"row {ref} is the last row")
            merged = {"pivots": row["pivots"] + other["pivots"], "targets": row["targets"] + other["targets"]}
            merged["status"] = "draft" if merged["targets"] else "empty"
            return self._commit(work, v, [row, other], [merged], op="merge", channel=channel, actor=actor)

    def split(self, work: str, key: str, ref: str, *, pivot_at: str | None = None, target_at: str | None = None,
              actor: str | None = None, channel: str = "cli") -> int | None:
        """Split a row in two: the second row starts at pivot ``pivot_at`` and at target ``target_at``.

        By default the last sentence of each side (that has two or more) goes to the second row.
        """
        work, v, tx = self._op(work, key)
        with tx:
            row = self._row(work, v, ref)
            segs = self._segment_rows(row["pivots"] + row["targets"])
            pcut = _cut(row["pivots"], pivot_at, segs)
            tcut = _cut(row["targets"], target_at.split(":", 1)[-1] if target_at else None, segs)
            first = {"pivots": row["pivots"][:pcut], "targets": row["targets"][:tcut]}
            second = {"pivots": row["pivots"][pcut:], "targets": row["targets"][tcut:]}
            if not (first["pivots"] or first["targets"]) or not (second["pivots"] or second["targets"]):
                raise AlignerError(f"row {ref} cannot be split there: one of the two rows would hold nothing")
            new = []
            for part in (first, second):
                part["status"] = "draft" if part["targets"] else "empty"
                if not part["pivots"]:
                    part["position"] = row["position"] + 0.5
                new.append(part)
            return self._commit(work, v, [row], new, op="split", channel=channel, actor=actor)

    def attach(self, work: str, key: str, target: str, ref: str, *, actor: str | None = None,
               channel: str = "cli") -> int | None:
        """Attach a target segment (a leftover, or one taken from another row) to the row ``ref``."""
        work, v, tx = self._op(work, key)
        with tx:
            tids = self._target_span(v, target)
            row = self._row(work, v, ref)
            old = {l["id"]: l for l in self._links_with(v["id"], targets=tids)}
            old[row["id"]] = row
            new = []
            for l in old.values():
                rest = [t for t in l["targets"] if t not in tids]
                if l["id"] == row["id"]:
                    new.append(_retarget(l, rest + tids, touched=True))
                elif l["pivots"]:
                    new.append(_retarget(l, rest))
                elif rest:
                    new.append({**l, "targets": rest})
            return self._commit(work, v, list(old.values()), new, op="attach", channel=channel, actor=actor)

    def detach(self, work: str, key: str, target: str, *, actor: str | None = None, channel: str = "cli") -> int | None:
        """Take a target segment out of its row: it stays in the version as a leftover (0:1) row."""
        work, v, tx = self._op(work, key)
        with tx:
            tids = self._target_span(v, target)
            old = self._links_with(v["id"], targets=tids)
            new = [_retarget(l, [t for t in l["targets"] if t not in tids]) for l in old if l["pivots"]]
            new += [{**l, "targets": [t for t in l["targets"] if t not in tids]} for l in old
                    if not l["pivots"] and [t for t in l["targets"] if t not in tids]]
            return self._commit(work, v, old, new, op="detach", channel=channel, actor=actor)

    def correct(self, work: str, key: str, target: str, text: str, *, actor: str | None = None,
                channel: str = "cli") -> int | None:
        """Correct the text of one of the version's segments (a typo in an imported file, a translator's wording).

        The segment keeps its place and its links; the correction is recorded (old and new text) and revertable.
        """
        text = unicodedata.normalize("NFC", text or "").strip()
        if not text:
            raise AlignerError("the corrected text is empty: use detach to take a sentence out")
        work, v, tx = self._op(work, key)
        with tx:
            tids = self._target_span(v, target)
            if len(tids) != 1:
                raise AlignerError(f"{target}: correct one segment at a time")
            tid = tids[0]
            old_text = self._current_text(tid)
            if old_text == text:
                return None
            links = self._links_with(v["id"], targets=[tid])
            self._set_text(v, tid, text)
            return self._commit(work, v, links, [{**l} for l in links], op="correct", channel=channel, actor=actor,
                                texts={tid: old_text})

    def _set_text(self, v: dict, sid: int, text: str) -> None:
        """Change a segment's text; a typed segment's hash follows it, an imported one keeps its file's hash."""
        row = self.db.execute("select typed from segments where id = ?", [sid]).fetchone()
        params = [text, normalize_for_search(text, v["language"])]
        if row[0]:
            self.db.conn.execute("update segments set text = ?, search = ?, hash = ? where id = ?",
                                 params + [text_hash(text), sid])
        else:
            self.db.conn.execute("update segments set text = ?, search = ? where id = ?", params + [sid])

    # -- undo ----------------------------------------------------------------------

    def _revert_links(self, rev: dict, actor: str | None) -> int | None:
        """Put back the links (and corrected texts) a link revision replaced, as a new revision."""
        work, v = rev["work"], self.version(rev["work"], rev["key"])
        before = json.loads(rev["before"])
        after = json.loads(rev["after"])
        pv = self.pivot_version(work)

        def ids(vid: str, refs: list[str]) -> list[int]:
            if not refs:
                return []
            found = {r[1]: r[0] for r in self.db.execute(
                f"select id, ref from segments where version = ? and ref in ({_marks(refs)})", [vid, *refs])}
            return [found[r] for r in refs if r in found]

        texts = {}
        for ref, old_text in (before.get("texts") or {}).items():
            sid = ids(v["id"], [ref])
            if sid:
                texts[sid[0]] = self._current_text(sid[0])
                self._set_text(v, sid[0], old_text)
        mentioned_p, mentioned_t = set(), set()
        for side in (before["links"], after["links"]):
            for l in side:
                mentioned_p.update(ids(pv["id"], l["pivot"]))
                mentioned_t.update(ids(v["id"], [r for r in l["targets"] if r not in (l.get("typed") or {})]))
                mentioned_t.update(ids(v["id"], [r for r in l["targets"] if r in (l.get("typed") or {})]))
        current = self._links_with(v["id"], sorted(mentioned_p), sorted(mentioned_t))
        new = []
        for l in before["links"]:
            pids = ids(pv["id"], l["pivot"])
            tids = []
            for r in l["targets"]:
                typed = (l.get("typed") or {}).get(r)
                found = ids(v["id"], [r])
                if found:
                    tids += found
                elif typed is not None and pids:
                    tids.append(self._insert_typed(v, r, typed, self._segment_rows(pids[:1])[pids[0]]))
            # A link the aligner had goes back to the aligner (a revision written before links were marked: an
            # automatic one).
            new.append({"pivots": pids, "targets": tids, "status": l["status"],
                        "aligner": l.get("aligner", l["status"] == "auto"), "score": l.get("score")})
        covered = {p for l in new for p in l["pivots"]}
        for c in current:  # pivots the revision did not touch keep their links
            rest = [p for p in c["pivots"] if p not in covered and p not in mentioned_p]
            if rest:
                new.append({**c, "pivots": rest})
        for p in mentioned_p - covered - {p for l in new for p in l["pivots"]}:
            new.append({"pivots": [p], "targets": [], "status": "empty"})
        return self._commit(work, v, current, new, op="revert", channel="revert", actor=actor, reverts=rev["id"],
                            texts=texts or None)


def _marks(items) -> str:
    return ",".join("?" * len(list(items)))


def _step(direction: str) -> int:
    if direction not in ("up", "down"):
        raise AlignerError(f"direction must be up or down, got {direction!r}")
    return -1 if direction == "up" else 1


def _retarget(link: dict, targets: list[int], *, touched: bool = False) -> dict:
    """The link with other targets. A row a person changed is a draft until confirmed; a confirmed row whose
    text changed is no longer confirmed; a row left with nothing is empty."""
    targets = list(targets)
    status = link["status"]
    changed = targets != list(link["targets"])
    touched = touched and changed  # a row an operation passes through unchanged keeps its status and provenance
    if not targets:
        status = "empty"
    elif touched or status == "empty" or (status == "confirmed" and changed):
        status = "draft"
    return {**link, "targets": targets, "status": status, "touched": touched}


def _cut(ids: list[int], at_ref: str | None, segs: dict[int, dict]) -> int:
    """Where to cut one side of a row: before the segment ``at_ref``, else before its last one when it has
    several, else after its end (that side stays whole in the first row)."""
    if at_ref is not None:
        for i, s in enumerate(ids):
            if segs[s]["ref"] == at_ref:
                return i
        raise UnknownError(f"{at_ref} is not in this row")
    return len(ids) - 1 if len(ids) > 1 else len(ids)


def _text(seg: dict, texts: dict[int, str] | None) -> str:
    return (texts or {}).get(seg["id"], seg["text"])


def leftover_position(conn, vid: str, target: int) -> float:
    """Place a 0:1 row just after the row that holds the nearest sentence before its own; for a sentence before
    all the linked text (a title), just before the row that holds the nearest sentence after it, so it stays
    beside its text. (Walks the version's sentences from this one, so it costs what the distance costs.)"""
    pos = conn.execute("select position from segments where id = ?", [target]).fetchone()[0]
    for op, order, shift in (("<", "desc", 0.5), (">", "asc", -0.5)):
        row = conn.execute(
            "select a.position from segments s join alignment_targets at on at.segment = s.id"
            " join alignments a on a.id = at.alignment"
            f" where s.version = ? and s.position {op} ? and a.address is not null"
            f" order by s.position {order} limit 1", [vid, pos]).fetchone()
        if row is not None:
            return row[0] + shift
    return -0.5
