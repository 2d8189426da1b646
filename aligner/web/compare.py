"""Comparing two versions (``/-/compare/<work>?a=..&b=..``): side by side with a word diff, and how much they differ per part.

A summary over a whole work diffs every sentence (seconds for a Bible), so
:class:`SummaryCache` keeps it and re-diffs only the parts whose slots changed.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import threading
from urllib.parse import urlencode

from ..corpus import queries
from . import svg
from .pages import (
    base, choose_part, common, find_work, json_response, old_part_redirect, part_label, part_links, pivot_of, q, read_fn,
    read_url, render, wants_json,
)
from .read import parallel

_TOKEN = re.compile(r"(\w+(?:['’]\w+)*|[^\w\s])(\s*)", re.UNICODE)


def tokens(text: str) -> list[tuple[str, str]]:
    """Words and punctuation marks, each with the space after it."""
    return [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text or "")]


def _is_word(t: str) -> bool:
    return t[0].isalnum() or t[0] == "_"


def word_diff(a: str, b: str, *, pieces: bool = True) -> dict:
    """A word-level diff of two texts: pieces for each side, and how many words changed.

    ``a_pieces``/``b_pieces`` are lists of ``(op, text)`` with op ``same``,
    ``del`` (only in a) or ``ins`` (only in b). ``changed`` counts the words
    deleted, inserted or replaced; ``words`` the words on both sides.
    """
    ta, tb = tokens(a), tokens(b)
    wa, wb = [t for t, _ in ta], [t for t, _ in tb]
    sm = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    a_pieces: list[tuple[str, str]] = []
    b_pieces: list[tuple[str, str]] = []
    changed = 0
    is_word = _is_word

    def emit(out, op, toks):
        if not pieces:
            return
        text = "".join(t + s for t, s in toks)
        tail = ""
        if op != "same":  # mark the words, not the space after them
            core = text.rstrip()
            text, tail = core, text[len(core):]
        for o, t in ((op, text), ("same", tail)):
            if not t:
                continue
            if out and out[-1][0] == o:
                out[-1] = (o, out[-1][1] + t)
            else:
                out.append((o, t))

    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            emit(a_pieces, "same", ta[i1:i2])
            emit(b_pieces, "same", tb[j1:j2])
            continue
        if tag in ("delete", "replace"):
            emit(a_pieces, "del", ta[i1:i2])
            changed += sum(1 for t in wa[i1:i2] if is_word(t))
        if tag in ("insert", "replace"):
            emit(b_pieces, "ins", tb[j1:j2])
            changed += sum(1 for t in wb[j1:j2] if is_word(t))
    words = sum(1 for t in wa if is_word(t)) + sum(1 for t in wb if is_word(t))
    return {"a_pieces": a_pieces, "b_pieces": b_pieces, "changed": changed, "words": words}


def _side_text(band: dict, key: str, pivot_key: str) -> tuple[str, list[dict]]:
    if key == pivot_key:
        return " ".join(r["text"] for r in band["rows"]), []
    cells = band["cells"].get(key, [])
    return " ".join(c["text"] for c in cells if c["text"]), cells


def compare(conn: sqlite3.Connection, work: str, pivot_key: str, a: str, b: str, division: int | None,
            labels: dict[int, str] | None = None, *, pieces: bool = True) -> dict:
    """Rows of a comparison: per band, both texts with a word diff; and the page's totals."""
    bands = parallel(conn, work, pivot_key, [a, b], division, labels)
    rows = []
    changed = words = 0
    for band in bands:
        if not band["rows"]:
            # A leftover sentence of one version (no pivot counterpart) has nothing to be compared with here;
            # the reading page shows it in its place.
            continue
        ta, ca = _side_text(band, a, pivot_key)
        tb, cb = _side_text(band, b, pivot_key)
        if ta and tb:
            d = word_diff(ta, tb, pieces=pieces)
        else:  # nothing to compare with: shown as it is
            d = {"a_pieces": [("same", ta)] if ta else [], "b_pieces": [("same", tb)] if tb else [],
                 "changed": 0, "words": 0}
        if ta and tb:
            changed += d["changed"]
            words += d["words"]
        rows.append({
            "refs": [r["ref"] for r in band["rows"]],
            "anchor": band["rows"][0]["anchor"],
            "pivot": " ".join(r["text"] for r in band["rows"]),
            "kind": band["kind"],
            "division": band["division"],
            "division_label": band["division_label"],
            "a": ta, "b": tb,
            "a_status": _worst(ca), "b_status": _worst(cb),
            **d,
            "pct": round(100.0 * d["changed"] / d["words"], 1) if d["words"] else 0.0,
            "missing": (not ta) or (not tb),
        })
    return {"rows": rows, "display": collapse_blank(rows), "changed": changed, "words": words,
            "pct": round(100.0 * changed / words, 1) if words else None}


def collapse_blank(rows: list[dict]) -> list[dict]:
    """Rows for display: a run of sentences with no text on either side becomes one ``skip`` item."""
    items: list[dict] = []
    for r in rows:
        blank = not r["a"] and not r["b"]
        last = items[-1] if items else None
        if blank and last and last["type"] == "skip" and not r["division_label"]:
            last["count"] += 1
            last["last"] = r["refs"][-1]
            continue
        if blank:
            items.append({"type": "skip", "count": 1, "first": r["refs"][0], "last": r["refs"][-1],
                          "division": r["division"], "division_label": r["division_label"]})
        else:
            items.append({"type": "row", **r})
    return items


def _worst(cells: list[dict]) -> str | None:
    if not cells:
        return None
    order = {"empty": 0, "auto": 1, "draft": 2, "confirmed": 3}
    return min((c["status"] for c in cells), key=lambda s: order.get(s, 0))


def _summarise(rows: list[dict], divs: list[dict], only: set[int] | None = None) -> dict[int, dict]:
    per: dict[int, dict] = {d["n"]: {"n": d["n"], "label": d["label"], "changed": 0, "words": 0, "rows": 0,
                                     "both": 0} for d in divs if only is None or d["n"] in only}
    for r in rows:
        s = per.get(r["division"])
        if s is None:
            continue
        s["rows"] += 1
        if not r["missing"]:
            s["both"] += 1
            s["changed"] += r["changed"]
            s["words"] += r["words"]
    for s in per.values():
        s["pct"] = round(100.0 * s["changed"] / s["words"], 1) if s["words"] else None
    return per


def compare_summary(conn: sqlite3.Connection, work: str, pivot_key: str, a: str, b: str,
                    divs: list[dict]) -> list[dict]:
    """Per division: words changed between ``a`` and ``b`` (percent), and how many sentences both have."""
    result = compare(conn, work, pivot_key, a, b, None, pieces=False)
    per = _summarise(result["rows"], divs)
    return [per[d["n"]] for d in divs]


#: A work with more pivot sentences than this has its first summary of a pair worked out in the background.
INLINE_SENTENCES = 5_000


class SummaryCache:
    """Compare summaries of whole works, recomputed only for the divisions whose slots changed.

    The first summary of a pair of versions diffs the whole work: a few seconds for a Bible, more than a
    page may take for a long work at library scale. So for a work of more than :data:`INLINE_SENTENCES`
    sentences it is worked out in a background thread with its own read-only connection, and the page says
    so until it is ready (``None``); after an edit only the edited division is diffed again, in the page.
    """

    def __init__(self, max_entries: int = 16, full_after: int = 40):
        self.entries: dict[tuple, dict] = {}
        self.max_entries = max_entries
        self.full_after = full_after
        self.lock = threading.Lock()
        self.working: dict[tuple, threading.Thread] = {}

    def get(self, conn: sqlite3.Connection, db_name: str, work: str, pivot_key: str, a: str, b: str,
            divs: list[dict], *, path: str | None = None) -> list[dict] | None:
        """The summary, or None while a background thread works it out (``path``: the database file)."""
        key = (db_name, work, a, b, queries.build_stamp(conn) or (), len(divs))
        with self.lock:  # Datasette reads in several threads; one summary at a time is plenty
            if key not in self.entries and path and sum(d["count"] for d in divs) > INLINE_SENTENCES:
                if key not in self.working:
                    thread = threading.Thread(target=self._work_out, args=(key, path, work, pivot_key, a, b, divs),
                                              name="aligner-compare-summary", daemon=True)
                    self.working[key] = thread
                    thread.start()
                return None
            return self._get(conn, key, work, pivot_key, a, b, divs)

    def _work_out(self, key, path, work, pivot_key, a, b, divs) -> None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        try:
            # Worked out without the lock (seconds), so pages of other pairs are not held up meanwhile.
            stamp = queries.alignments_stamp(conn)
            sigs = queries.division_signatures(conn, work, pivot_key, [a, b])
            stats = {s["n"]: s for s in compare_summary(conn, work, pivot_key, a, b, divs)}
            with self.lock:
                self._store(key, sigs, stats, stamp)
        except sqlite3.Error:
            pass  # the database changed under it (a rebuild): the next page view starts again
        finally:
            conn.close()
            with self.lock:
                self.working.pop(key, None)

    def wait(self, timeout: float = 60) -> None:
        """Until every background summary is done (tests, benchmarks)."""
        for thread in list(self.working.values()):
            thread.join(timeout)

    def _get(self, conn, key, work, pivot_key, a, b, divs) -> list[dict]:
        entry = self.entries.get(key)
        stamp = queries.alignments_stamp(conn)
        if entry is not None and entry.get("stamp") == stamp:
            # no alignment added or removed since: the divisions' signatures (a scan of the work) are as they were
            return [entry["stats"][d["n"]] for d in divs if d["n"] in entry["stats"]]
        sigs = queries.division_signatures(conn, work, pivot_key, [a, b])
        if entry is None:
            stats = {s["n"]: s for s in compare_summary(conn, work, pivot_key, a, b, divs)}
        else:
            stats = dict(entry["stats"])
            changed = {n for n in set(sigs) | set(entry["sigs"]) if sigs.get(n) != entry["sigs"].get(n)}
            if len(changed) > self.full_after:
                stats = {s["n"]: s for s in compare_summary(conn, work, pivot_key, a, b, divs)}
            else:
                for n in changed:
                    if n in stats:
                        rows = compare(conn, work, pivot_key, a, b, n, pieces=False)["rows"]
                        stats.update(_summarise(rows, divs, {n}))
        self._store(key, sigs, stats, stamp)
        return [stats[d["n"]] for d in divs if d["n"] in stats]

    def _store(self, key, sigs, stats, stamp=None) -> None:
        if len(self.entries) >= self.max_entries and key not in self.entries:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = {"sigs": sigs, "stats": stats, "stamp": stamp}


_summaries = SummaryCache()


async def compare_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    if moved := await old_part_redirect(datasette, request, db, w):
        return moved

    def fn(conn):
        vs = queries.versions(conn, slug)
        pv = pivot_of(vs)
        keys = [v["key"] for v in vs]
        a, b = request.args.get("a"), request.args.get("b")
        notes = []
        for name, val in (("a", a), ("b", b)):
            if val and val not in keys:
                notes.append(f"No version called {val!r}.")
        a = a if a in keys else None
        b = b if b in keys else None
        if not a or not b:
            others = [v for v in vs if not v["is_pivot"]]
            filled = [v for v in others if v["filled"]] or others
            # Prefer two versions in the same language: that is what a word diff is for.
            pick = None
            for i, x in enumerate(filled):
                for y in filled[i + 1:]:
                    if x["language"] == y["language"]:
                        pick = (x["key"], y["key"])
                        break
                if pick:
                    break
            if not pick:
                cands = [v["key"] for v in filled] + [pv["key"]]
                pick = (cands[0], cands[1] if len(cands) > 1 else pv["key"])
            a = a or (pick[0] if pick[0] != b else pick[1])
            b = b or (pick[1] if pick[1] != a else pick[0])
        divs = queries.divisions(conn, pv["id"])
        n, note = choose_part(request.args.get("part"), divs)
        if note:
            notes.append(note)
        labels = {d["n"]: d["label"] for d in divs}
        result = compare(conn, slug, pv["key"], a, b, n, labels)
        summary = _summaries.get(conn, db.name, slug, pv["key"], a, b, divs, path=db.path)
        return vs, pv, a, b, divs, n, result, summary, notes

    vs, pv, a, b, divs, n, result, summary, notes = await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "a": a, "b": b, "part": n, "changed": result["changed"], "words": result["words"],
            "pct": result["pct"], "summary": summary, "summary_pending": summary is None,
            "rows": [{k: r[k] for k in ("refs", "a", "b", "changed", "words", "pct", "a_status", "b_status")}
                     for r in result["rows"]],
        })
    cmp_base = base(datasette) + "-/compare/" + q(slug)
    links = part_links(cmp_base, {"a": a, "b": b}, divs, n)
    by_key = {v["key"]: v for v in vs}
    with_keys = [k for k in (a, b) if k != pv["key"]]
    return await render(datasette, request, "aligner_compare.html", {
        **common(datasette, w, vs), "pivot": pv, "a": by_key[a], "b": by_key[b], "parts": divs, "part": n,
        "result": result, "summary": summary, "links": links, "notes": notes, "cmp_base": cmp_base,
        "read_url": lambda ref, division: read_url(slug, part=division, with_keys=with_keys, ref=ref, base=base(datasette)),
        "part_label": part_label(divs, n),
        "strip": svg.difference_strip(summary, lambda it: "?" + urlencode({"a": a, "b": b, "part": it["n"]}), current=n) if summary and len(summary) > 12 else None,
    })
