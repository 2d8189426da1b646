"""What the web pages show: plain functions over a SQLite connection to a built corpus.

Every function here takes a :class:`sqlite3.Connection` (Datasette hands one
to :meth:`datasette.database.Database.execute_fn`) and returns dicts and lists
ready for a template or for JSON. Nothing here knows about HTTP; the views in
:mod:`aligner.plugin` do.

The reading page is built from *bands*: a band is the shortest run of pivot
sentences that no alignment of a shown version crosses. Inside a band every
version's alignment is one cell spanning the pivot sentences it joins, so an
n:m alignment reads as one row beside the sentences it renders.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import threading
import unicodedata
from urllib.parse import quote, urlencode

from .model import parse_address, slot_token
from .text.search import fold, lemma, normalize_query

#: A work with at most this many pivot sentences is shown on one page by default.
ONE_PAGE_LIMIT = 800
#: Beyond this many pivot sentences a work cannot be shown all at once.
ALL_PAGE_LIMIT = 3000
SEARCH_PAGE_SIZE = 50
#: Below this score an automatic alignment is a low-confidence bead.
LOW_SCORE = 0.5


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _chunks(items: list, n: int = 500):
    for i in range(0, len(items), n):
        yield items[i : i + n]


# ---------------------------------------------------------------------------
# URLs and anchors


def anchor(ref: str) -> str:
    """The HTML id of a pivot sentence: ``s-24.1`` (whitespace, which ids cannot hold, becomes ``_``)."""
    return "s-" + re.sub(r"\s", "_", str(ref))


def short_ref(ref: str) -> str:
    """A ref as the margin shows it: ``Gen.1.3.1`` is verse ``3`` (``3.2`` for its second sentence); ``24.1`` stays."""
    parts = str(ref).split(".")
    if len(parts) >= 4:
        verse, sentence = parts[-2], parts[-1]
        return verse if sentence == "1" else f"{verse}.{sentence}"
    return str(ref)


def slot_anchor(key: str, address: str) -> str:
    return re.sub(r"\s", "_", f"{key}-{address}")


def q(part: str) -> str:
    """Quote one path component."""
    return quote(str(part), safe="")


def read_url(work: str, *, part=None, with_keys=None, ref: str | None = None, base: str = "/") -> str:
    params = []
    if part is not None:
        params.append(("part", str(part)))
    if with_keys:
        params.append(("with", ",".join(with_keys)))
    url = f"{base}-/read/{q(work)}"
    if params:
        url += "?" + urlencode(params, safe=",")
    if ref:
        url += "#" + quote(anchor(ref), safe="-._~!$&'()*+,;=:@/")
    return url


def edit_url(work: str, key: str, address: str, base: str = "/") -> str:
    return f"{base}-/edit/{q(work)}/{q(key)}/{q(address)}"


_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bidi_controls(text: str) -> list[str]:
    """The invisible direction-control characters in ``text``, as ``U+202E`` names (each once)."""
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(_BIDI.findall(text or ""))]


# ---------------------------------------------------------------------------
# Works, versions, divisions


def is_corpus(conn: sqlite3.Connection) -> bool:
    names = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    return {"works", "versions", "segments", "alignments", "alignment_pivots", "alignment_targets"} <= names


def works(conn: sqlite3.Connection) -> list[dict]:
    return _rows(conn, "select * from works order by id")


def work_row(conn: sqlite3.Connection, work: str) -> dict | None:
    rows = _rows(conn, "select * from works where id = ?", [work])
    return rows[0] if rows else None


def versions(conn: sqlite3.Connection, work: str) -> list[dict]:
    """Versions of a work, pivot first then in ``work.toml`` order, each with ``is_pivot`` and ``filled``."""
    w = work_row(conn, work)
    vs = _rows(conn, "select * from versions where work = ? order by position, key", [work])
    filled = {
        r["version"]: r["n"]
        for r in _rows(
            conn,
            "select version, count(*) as n from alignments where work = ? and status != 'empty' group by version",
            [work],
        )
    }
    for v in vs:
        v["is_pivot"] = bool(w and v["key"] == w["pivot"])
        v["filled"] = filled.get(v["id"], 0)
        v["label"] = v["title"] or v["key"]
    vs.sort(key=lambda v: (not v["is_pivot"], v["position"] or 0))
    return vs


def divisions(conn: sqlite3.Connection, pivot_vid: str) -> list[dict]:
    """The pivot's divisions that hold sentences: ``n``, ``label``, ``count``, in order."""
    counts = {
        r[0]: r[1]
        for r in conn.execute("select division, count(*) from segments where version = ? group by division", [pivot_vid])
    }
    labels = {r[0]: r[1] for r in conn.execute("select n, label from divisions where version = ?", [pivot_vid])}
    out = []
    for n in sorted(counts):
        label = " ".join((labels.get(n) or (f"Part {n}" if n else "Front matter")).split())
        out.append({"n": n, "label": label, "count": counts[n]})
    return out


def status_counts(conn: sqlite3.Connection, work: str | None = None) -> dict[tuple[str, str], dict]:
    """``{(work, key): {"empty": n, "auto": n, "draft": n, "confirmed": n, "stale": n, "total": n}}``."""
    sql = (
        "select a.work, v.key, sum(a.status = 'empty') as empty, sum(a.status = 'auto') as auto,"
        " sum(a.status = 'draft') as draft, sum(a.status = 'confirmed') as confirmed,"
        " sum(a.stale) as stale, count(*) as total,"
        " sum(a.status = 'auto' and a.score is not null and a.score < ?) as low"
        " from alignments a join versions v on v.id = a.version where a.address is not null"
        + (" and a.work = ?" if work else "")
        + " group by a.work, v.key"
    )
    params: list = [LOW_SCORE] + ([work] if work else [])
    return {(r["work"], r["key"]): r for r in _rows(conn, sql, params)}


def choose_part(arg: str | None, divs: list[dict]) -> tuple[int | None, str | None]:
    """Which division a page shows: ``(n, None)``, or ``(None, None)`` for the whole work.

    ``part`` is a division number or ``all``. Without it, a short work is
    shown whole and a long one from its first division; ``all`` is refused
    (with a message) for a work too long to show on one page.
    """
    total = sum(d["count"] for d in divs)
    ns = [d["n"] for d in divs]
    if arg in (None, ""):
        return (None, None) if total <= ONE_PAGE_LIMIT or not ns else (ns[0], None)
    if arg == "all":
        if total <= ALL_PAGE_LIMIT:
            return None, None
        return ns[0], f"This work has {total:,} sentences: it is shown one part at a time."
    try:
        n = int(arg)
    except ValueError:
        return (ns[0] if ns else None), f"No part {arg!r}; showing the first."
    if n not in ns:
        return (ns[0] if ns else None), f"No part {n}; showing the first."
    return n, None


def neighbours(divs: list[dict], n: int | None) -> tuple[dict | None, dict | None]:
    if n is None:
        return None, None
    ns = [d["n"] for d in divs]
    i = ns.index(n)
    return (divs[i - 1] if i > 0 else None), (divs[i + 1] if i + 1 < len(divs) else None)


def default_with(vs: list[dict]) -> list[str]:
    """Versions shown when the reader picked none: those with any text, else all."""
    others = [v for v in vs if not v["is_pivot"]]
    filled = [v["key"] for v in others if v["filled"]]
    return filled or [v["key"] for v in others]


def parse_with(values: list[str], vs: list[dict]) -> tuple[list[str] | None, list[str]]:
    """Keys from ``?with=ru,es`` (or repeated ``with=``): known keys in version order, and unknown ones."""
    asked: list[str] = []
    for value in values:
        asked += [p.strip() for p in value.split(",") if p.strip()]
    if not values:
        return None, []
    by_key = {v["key"]: v for v in vs if not v["is_pivot"]}
    by_lang: dict[str, list[str]] = {}
    for v in vs:
        if not v["is_pivot"]:
            by_lang.setdefault(v["language"], []).append(v["key"])
    keys: set[str] = set()
    unknown = []
    for a in asked:
        if a in by_key:
            keys.add(a)
        elif a in by_lang:
            keys.update(by_lang[a])
        elif a not in {v["key"] for v in vs if v["is_pivot"]}:
            unknown.append(a)
    return [v["key"] for v in vs if v["key"] in keys], unknown


# ---------------------------------------------------------------------------
# The parallel page


def _pivot_rows(conn, pivot_vid: str, division: int | None) -> list[dict]:
    sql = "select id, ref, position, block, kind, text, division from segments where version = ?"
    params: list = [pivot_vid]
    if division is not None:
        sql += " and division = ?"
        params.append(division)
    return _rows(conn, sql + " order by position", params)


def _version_alignments(conn, vid: str, pivot_vid: str, division: int | None, index: dict[int, int]) -> dict[int, dict]:
    """The alignments of version ``vid`` over the pivot sentences on the page, with their texts."""
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
    for r in _rows(conn, sql, params):
        if r["seg"] not in index:
            continue
        a = out.get(r["id"])
        if a is None:
            a = out[r["id"]] = {k: r[k] for k in ("id", "address", "status", "score", "stale", "method", "actor", "at")}
            a["rows"] = []
            a["texts"] = []
        a["rows"].append(index[r["seg"]])
    ids = list(out)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for aid, text in conn.execute(
            "select at.alignment, s.text from alignment_targets at join segments s on s.id = at.segment"
            f" where at.alignment in ({marks}) order by at.alignment, s.position",
            chunk,
        ):
            out[aid]["texts"].append(text)
    return out


def _cell(a: dict, key: str, pivots: list[dict], lo: int) -> dict:
    text = " ".join(a["texts"])
    address = a["address"] or pivots[lo]["ref"]
    score = a["score"]
    low = score is not None and score < LOW_SCORE
    return {
        "key": key,
        "address": address,
        "refs": [pivots[i]["ref"] for i in sorted(a["rows"])],
        "text": text,
        "status": a["status"],
        "token": slot_token(address, text, a["status"]),
        "stale": bool(a["stale"]),
        "score": score,
        "low": low,
        "method": a["method"],
        "actor": a["actor"],
        "at": a["at"],
        "kind": pivots[lo]["kind"],
        "anchor": slot_anchor(key, address),
    }


def parallel(conn: sqlite3.Connection, work: str, pivot_key: str, keys: list[str], division: int | None,
             labels: dict[int, str] | None = None) -> list[dict]:
    """The bands of one page: pivot sentences and, per version in ``keys``, the cells beside them.

    Each band: ``{"rows": [pivot sentence...], "cells": {key: [cell...]}, "kind", "block_start",
    "division", "division_label" (when a division starts here)}``; each cell
    has ``row`` (1-based inside the band) and ``span``.
    """
    pivot_vid = f"{work}/{pivot_key}"
    pivots = _pivot_rows(conn, pivot_vid, division)
    index = {p["id"]: i for i, p in enumerate(pivots)}
    per_version: dict[str, dict[int, dict]] = {}
    for key in keys:
        if key == pivot_key:
            continue
        per_version[key] = _version_alignments(conn, f"{work}/{key}", pivot_vid, division, index)
    n = len(pivots)
    joined = [False] * max(n - 1, 0)
    for als in per_version.values():
        for a in als.values():
            lo, hi = min(a["rows"]), max(a["rows"])
            for i in range(lo, hi):
                joined[i] = True
    # Which cell starts on which pivot row, per version.
    starts: dict[str, dict[int, dict]] = {}
    covered: dict[str, set[int]] = {}
    for key, als in per_version.items():
        starts[key] = {}
        covered[key] = set()
        for a in als.values():
            rows = sorted(a["rows"])
            lo, hi = rows[0], rows[-1]
            contiguous = len(rows) == hi - lo + 1
            cell = _cell(a, key, pivots, lo)
            cell["span_rows"] = (lo, hi if contiguous else lo)
            starts[key][lo] = cell
            covered[key].update(range(lo, hi + 1) if contiguous else [lo])
    bands: list[dict] = []
    i = 0
    prev_division = None
    while i < n:
        j = i
        while j < n - 1 and joined[j]:
            j += 1
        rows = []
        for k in range(i, j + 1):
            p = pivots[k]
            rows.append({
                "ref": p["ref"], "short": short_ref(p["ref"]), "text": p["text"], "kind": p["kind"],
                "block": p["block"], "anchor": anchor(p["ref"]),
                "row": k - i + 1, "block_start": k == 0 or pivots[k - 1]["block"] != p["block"],
            })
        cells: dict[str, list[dict]] = {}
        for key in per_version:
            out = []
            for k in range(i, j + 1):
                cell = starts[key].get(k)
                if cell is not None:
                    lo, hi = cell["span_rows"]
                    out.append({**cell, "row": lo - i + 1, "span": min(hi, j) - lo + 1})
                elif k not in covered[key]:
                    # No alignment at all for this sentence: show the gap, editable over the sentence itself.
                    ref = pivots[k]["ref"]
                    out.append({
                        "key": key, "address": ref, "refs": [ref], "text": "", "status": "empty",
                        "token": slot_token(ref, "", "empty"), "stale": False, "score": None, "low": False,
                        "method": None, "actor": None, "at": None, "kind": pivots[k]["kind"],
                        "anchor": slot_anchor(key, ref), "row": k - i + 1, "span": 1,
                    })
            cells[key] = out
        first = pivots[i]
        band = {
            "rows": rows,
            "cells": cells,
            "kind": first["kind"],
            "block_start": rows[0]["block_start"],
            "division": first["division"],
            "division_label": None,
            "nrows": j - i + 1,
        }
        if first["division"] != prev_division:
            band["division_label"] = (labels or {}).get(first["division"]) or str(first["division"])
            prev_division = first["division"]
        bands.append(band)
        i = j + 1
    return bands


def band_json(band: dict) -> dict:
    """A band as the JSON API shows it."""
    return {
        "division": band["division"],
        "kind": band["kind"],
        "pivot": [{k: r[k] for k in ("ref", "text", "kind", "anchor")} for r in band["rows"]],
        "slots": {
            key: [
                {k: c[k] for k in ("address", "refs", "text", "status", "token", "stale", "score", "method", "actor", "at")}
                for c in cells
            ]
            for key, cells in band["cells"].items()
        },
    }


def division_of_ref(conn: sqlite3.Connection, pivot_vid: str, ref: str) -> int | None:
    row = conn.execute("select division from segments where version = ? and ref = ?", [pivot_vid, ref]).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------------------
# Compare two versions

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


def division_signatures(conn: sqlite3.Connection, work: str, pivot_key: str, keys: list[str]) -> dict[int, tuple]:
    """Per pivot division, a value that changes whenever an alignment of one of ``keys`` there changes.

    A changed slot is a new alignment row (a new id), so count, max and sum
    of the alignment ids linked to a division's pivot sentences will do.
    """
    keys = [k for k in dict.fromkeys(keys) if k != pivot_key]
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    return {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "select s.division, count(*), max(ap.alignment), sum(ap.alignment)"
            " from segments s cross join alignment_pivots ap on ap.segment = s.id"
            " cross join alignments a on a.id = ap.alignment"
            f" where s.version = ? and a.version in ({marks}) group by s.division",
            [f"{work}/{pivot_key}", *[f"{work}/{k}" for k in keys]],
        )
    }


class SummaryCache:
    """Compare summaries of whole works, recomputed only for the divisions whose slots changed.

    The first summary of a pair of versions diffs the whole work (a few
    seconds for a Bible); after an edit only the edited division is diffed again.
    """

    def __init__(self, max_entries: int = 16, full_after: int = 40):
        self.entries: dict[tuple, dict] = {}
        self.max_entries = max_entries
        self.full_after = full_after
        self.lock = threading.Lock()

    def get(self, conn: sqlite3.Connection, db_name: str, work: str, pivot_key: str, a: str, b: str,
            divs: list[dict]) -> list[dict]:
        with self.lock:  # Datasette reads in several threads; one summary at a time is plenty
            return self._get(conn, db_name, work, pivot_key, a, b, divs)

    def _get(self, conn, db_name, work, pivot_key, a, b, divs) -> list[dict]:
        built = None
        try:
            built = conn.execute("select built_at, signature from build where id = 1").fetchone()
        except sqlite3.OperationalError:
            pass
        key = (db_name, work, a, b, tuple(built or ()), len(divs))
        sigs = division_signatures(conn, work, pivot_key, [a, b])
        entry = self.entries.get(key)
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
        if len(self.entries) >= self.max_entries and key not in self.entries:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = {"sigs": sigs, "stats": stats}
        return [stats[d["n"]] for d in divs if d["n"] in stats]


# ---------------------------------------------------------------------------
# Search

_WORD = re.compile(r"\w+", re.UNICODE)


def _plain(word: str) -> str:
    """Lower case, ё folded, Latin diacritics removed: how the index compares words."""
    w = fold(word).lower()
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def _query_forms(query: str) -> list[set[str]]:
    forms = []
    for word in _WORD.findall(query):
        f = {_plain(word)}
        if re.search(r"[А-Яа-яЁё]", word):
            f.add(_plain(lemma(word)))
        forms.append(f)
    return forms


def _word_matches(word: str, forms: list[set[str]]) -> bool:
    p = _plain(word)
    cyr = re.search(r"[А-Яа-яЁё]", word) is not None
    lem = _plain(lemma(word)) if cyr else None
    for f in forms:
        for form in f:
            if p == form or (lem and lem == form):
                return True
            # English stemming in the index: "create" finds "created", "creation".
            if not cyr and len(form) >= 4 and (p.startswith(form[: max(4, len(form) - 2)]) and len(p) - len(form) <= 4):
                return True
    return False


def highlight(text: str, query: str, width: int = 240) -> list[tuple[bool, str]]:
    """A snippet of ``text`` as ``(is_hit, piece)`` pairs, around the first word the query matched."""
    forms = _query_forms(query)
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text) if _word_matches(m.group(), forms)]
    start, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
    out: list[tuple[bool, str]] = []
    if start > 0:
        out.append((False, "… "))
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        if a > pos:
            out.append((False, text[pos:a]))
        out.append((True, text[a:b]))
        pos = b
    if pos < end:
        out.append((False, text[pos:end]))
    if end < len(text):
        out.append((False, " …"))
    return out


def search(conn: sqlite3.Connection, work: str, query: str, keys: list[str] | None, *, lang: str | None = None,
           limit: int = SEARCH_PAGE_SIZE, offset: int = 0) -> dict:
    """Full-text search over the segments of ``work`` (of the versions in ``keys``, or all).

    Each hit carries the pivot sentence it is aligned to (``pivot_ref``,
    ``division``) so a page can link to it on the reading page.
    """
    match = normalize_query(query or "", lang)
    vs = versions(conn, work)
    by_vid = {v["id"]: v for v in vs}
    vids = [v["id"] for v in vs if keys is None or v["key"] in keys]
    if not match or not vids:
        return {"total": 0, "hits": [], "match": match}
    marks = ",".join("?" * len(vids))
    expr = f"search : ({match})"
    base = (
        "from segments_fts join segments s on s.id = segments_fts.rowid"
        # The unary + keeps SQLite from driving the join from the version's segments (one FTS
        # lookup per segment: 0.4 s on the Bible); the FTS index drives it instead.
        f" where segments_fts match ? and +s.version in ({marks})"
    )
    try:
        total = conn.execute(f"select count(*) {base}", [expr, *vids]).fetchone()[0]
        rows = _rows(
            conn,
            f"select s.id, s.version, s.ref, s.text, s.typed, s.division {base}"
            " order by segments_fts.rank, s.version, s.position limit ? offset ?",
            [expr, *vids, limit, offset],
        )
    except sqlite3.OperationalError as e:
        return {"total": 0, "hits": [], "match": match, "error": str(e)}
    w = work_row(conn, work)
    pivot_vid = f"{work}/{w['pivot']}"
    hits = []
    for r in rows:
        v = by_vid[r["version"]]
        if v["is_pivot"]:
            pref, pdiv, address, status = r["ref"], r["division"], r["ref"], None
        else:
            link = conn.execute(
                "select p.ref, p.division, a.address, a.status from alignment_targets at"
                " join alignments a on a.id = at.alignment"
                " left join alignment_pivots ap on ap.alignment = a.id"
                " left join segments p on p.id = ap.segment"
                " where at.segment = ? order by p.position limit 1",
                [r["id"]],
            ).fetchone()
            pref, pdiv, address, status = link if link else (None, None, None, None)
            if address is None:
                address = r["ref"].lstrip("@")
        pivot_text = None
        if pref and not v["is_pivot"]:
            row = conn.execute("select text from segments where version = ? and ref = ?", [pivot_vid, pref]).fetchone()
            pivot_text = row[0] if row else None
        hits.append({
            "key": v["key"],
            "language": v["language"],
            "version_label": v["label"],
            "is_pivot": v["is_pivot"],
            "ref": address,
            "text": r["text"],
            "snippet": highlight(r["text"], query),
            "pivot_ref": pref,
            "pivot_text": pivot_text,
            "division": pdiv,
            "status": status,
        })
    return {"total": total, "hits": hits, "match": match}


# ---------------------------------------------------------------------------
# Alignment map


def map_beads(conn: sqlite3.Connection, work: str, pivot_key: str, key: str, division: int | None) -> dict:
    """The alignments of one version as beads over sentence positions.

    ``x0..x1`` are pivot positions, ``y0..y1`` target positions (typed text
    has none of its own: it continues the path). Empty slots are ``gaps``
    (x only); text aligned to no pivot sentence is ``loose`` (y only).
    """
    pivot_vid, vid = f"{work}/{pivot_key}", f"{work}/{key}"
    div_filter = ""
    params: list = [vid]
    if division is not None:
        div_filter = (" and a.id in (select ap2.alignment from alignment_pivots ap2 join segments s2 on s2.id = ap2.segment"
                      " where s2.version = ? and s2.division = ?)")
        params += [pivot_vid, division]
    piv = {
        r[0]: r[1:]
        for r in conn.execute(
            "select a.id, min(s.position), max(s.position), a.address, a.status, a.score, a.stale, min(s.division)"
            " from alignments a join alignment_pivots ap on ap.alignment = a.id join segments s on s.id = ap.segment"
            f" where a.version = ?{div_filter} group by a.id",
            params,
        )
    }
    tgt = {
        r[0]: r[1:]
        for r in conn.execute(
            "select a.id, min(s.position), max(s.position), max(s.typed), min(s.typed)"
            " from alignments a join alignment_targets at on at.alignment = a.id join segments s on s.id = at.segment"
            f" where a.version = ?{div_filter} group by a.id",
            params,
        )
    }
    refs = {}
    ref_sql = "select position, ref from segments where version = ?"
    ref_params: list = [pivot_vid]
    if division is not None:
        ref_sql += " and division = ?"
        ref_params.append(division)
    for pos, ref in conn.execute(ref_sql, ref_params):
        refs[pos] = ref
    beads, gaps = [], []
    last_y = None
    for aid, (x0, x1, address, status, score, stale, div) in sorted(piv.items(), key=lambda kv: (kv[1][0], kv[0])):
        t = tgt.get(aid)
        base = {"id": aid, "x0": x0, "x1": x1, "address": address, "status": status, "score": score,
                "stale": bool(stale), "division": div, "ref": refs.get(x0)}
        if t is None:
            gaps.append(base)
            continue
        y0, y1, max_typed, min_typed = t
        if min_typed:  # typed text: no position of its own
            y0 = y1 = (last_y + 1) if last_y is not None else x0
        base.update(y0=y0, y1=y1, typed=bool(min_typed))
        base["low"] = score is not None and score < LOW_SCORE
        last_y = y1
        beads.append(base)
    loose = []
    if division is None:
        loose = [
            {"id": r[0], "y0": r[1], "y1": r[2]}
            for r in conn.execute(
                "select a.id, min(s.position), max(s.position) from alignments a"
                " join alignment_targets at on at.alignment = a.id join segments s on s.id = at.segment"
                " where a.version = ? and not exists (select 1 from alignment_pivots ap where ap.alignment = a.id)"
                " group by a.id",
                [vid],
            )
        ]
    return {"beads": beads, "gaps": gaps, "loose": loose}


# ---------------------------------------------------------------------------
# History


def pivot_span_ids(conn: sqlite3.Connection, pivot_vid: str, address: str) -> list[int]:
    ends = parse_address(address)
    pos = []
    for ref in ends:
        row = conn.execute("select position from segments where version = ? and ref = ?", [pivot_vid, ref]).fetchone()
        if row is None:
            return []
        pos.append(row[0])
    return [r[0] for r in conn.execute(
        "select id from segments where version = ? and position between ? and ? order by position",
        [pivot_vid, pos[0], pos[-1]])]


def history(conn: sqlite3.Connection, work: str, *, key: str | None = None, address: str | None = None,
            limit: int = 100, offset: int = 0) -> dict:
    """Revisions of a work, newest first; narrowed to a version and/or a pivot span."""
    w = work_row(conn, work)
    where = ["r.work = ?"]
    params: list = [work]
    if key:
        where.append("v.key = ?")
        params.append(key)
    if address and w:
        ids = pivot_span_ids(conn, f"{work}/{w['pivot']}", address)
        if not ids:
            return {"total": 0, "revisions": []}
        where.append(f"r.id in (select revision from revision_segments where segment in ({','.join('?' * len(ids))}))")
        params += ids
    cond = " and ".join(where)
    total = conn.execute(f"select count(*) from revisions r join versions v on v.id = r.version where {cond}",
                         params).fetchone()[0]
    revs = _rows(
        conn,
        "select r.id, v.key as version, r.seq, r.address, r.old_text, r.old_status, r.new_text, r.new_status,"
        f" r.actor, r.channel, r.at, r.reverts from revisions r join versions v on v.id = r.version where {cond}"
        " order by r.id desc limit ? offset ?",
        params + [limit, offset],
    )
    return {"total": total, "revisions": revs}
