"""The reading pages: the works, one work, and the parallel text (``/-/works``, ``/-/work/<work>``, ``/-/read/<work>``).

The reading page is built from *bands*: a band is the shortest run of pivot
sentences that no alignment of a shown version crosses. Inside a band every
version's alignment is one cell spanning the pivot sentences it joins, so an
n:m alignment reads as one row beside the sentences it renders.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from urllib.parse import urlencode

from ..corpus import queries
from ..model import make_address, slot_token
from ..corpus.schema import version_id
from ..text.segment import FRONT_KINDS
from .pages import (
    ONE_PAGE_LIMIT, anchor, base, can_edit, choose_part, common, corpus_databases, edit_url, find_work, fragment, json_response,
    old_part_redirect, op_url, part_label, pivot_divisions, part_links, pivot_of, q, read_fn, render, short_ref, slot_anchor,
    wants_json,
)

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
# Bands


def _cell(a: dict, key: str, pivots: list[dict], lo: int) -> dict:
    text = " ".join(a["texts"])
    address = a["address"] or pivots[lo]["ref"]
    score = a["score"]
    low = score is not None and score < queries.LOW_SCORE
    refs = [pivots[i]["ref"] for i in sorted(a["rows"])]
    return {
        "key": key,
        "address": address,
        "name": refs[0],
        "leftover": False,
        "trefs": a["trefs"],
        "refs": refs,
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
        # Worth a second look: not one sentence to one, or a title beside a dateline (until a person confirms it).
        "odd": a["status"] != "confirmed" and (
            len(refs) != 1 or len(a["trefs"]) != 1 or pivots[lo]["kind"] != a["tkinds"][0]),
    }


def _leftover_cell(a: dict, key: str) -> dict:
    """A 0:1 row: the version's own sentences with no pivot sentence, named ``KEY:REF`` as the editor names it."""
    address = f"{key}:" + make_address(a["trefs"][0], a["trefs"][-1])
    text = " ".join(a["texts"])
    return {
        "key": key, "address": address, "name": address, "leftover": True, "trefs": a["trefs"], "refs": [],
        "text": text, "status": a["status"], "token": slot_token(address, text, a["status"]),
        "stale": bool(a["stale"]), "score": a["score"], "low": False, "method": a["method"], "actor": a["actor"],
        "at": a["at"], "kind": a["tkinds"][0], "anchor": slot_anchor(key, address), "row": 1, "span": 1,
        "odd": a["status"] != "confirmed",
    }


def _with_leftovers(bands: list[dict], leftovers: dict[str, list[dict]], first_positions: list[float]) -> list[dict]:
    """The bands with each leftover row as a band of its own, after the band its position follows."""
    keys = list(leftovers)
    placed: list[list[dict]] = [[] for _ in range(len(bands) + 1)]  # [0]: before the first band
    for key, found in leftovers.items():
        for a in found:
            i = bisect_right(first_positions, a["position"])
            placed[i].append({"position": a["position"], "id": a["id"], "cell": _leftover_cell(a, key)})
    out: list[dict] = []
    for i in range(len(bands) + 1):
        if i:
            out.append(bands[i - 1])
        for item in sorted(placed[i], key=lambda it: (it["position"], it["id"])):
            cell = item["cell"]
            near = bands[i - 1] if i else (bands[0] if bands else None)
            out.append({
                "rows": [], "leftover": True, "cells": {k: ([cell] if k == cell["key"] else []) for k in keys},
                "kind": cell["kind"], "block_start": False, "division": near["division"] if near else None,
                "division_label": None, "nrows": 1,
            })
    if out and bands and out[0].get("leftover") and bands[0]["division_label"]:
        out[0]["division_label"], bands[0]["division_label"] = bands[0]["division_label"], None
    return out


def _mark_neighbours(bands: list[dict], keys: list[str]) -> None:
    """Give each leftover cell the names of the rows above and below it in its column (where it may be attached),
    and each other cell the leftover right below it, else right above it (what it may take in)."""
    for key in keys:
        cells = [c for b in bands for c in b["cells"].get(key, [])]
        above = None
        for i, c in enumerate(cells):
            if c["leftover"]:
                c["above"] = above
            else:
                above = c["name"]
                after = cells[i + 1] if i + 1 < len(cells) else None
                before = cells[i - 1] if i else None
                c["near_leftover"] = (after["name"] if after and after["leftover"] else
                                      before["name"] if before and before["leftover"] else None)
        below = None
        for c in reversed(cells):
            if c["leftover"]:
                c["below"] = below
            else:
                below = c["name"]


def _on_page(alignments: dict[int, dict], index: dict[int, int]) -> dict[int, dict]:
    """Each alignment with ``rows``: the page rows (indexes in ``index``) of its pivot sentences."""
    for a in alignments.values():
        a["rows"] = [index[s] for s in a["segments"] if s in index]
    return {aid: a for aid, a in alignments.items() if a["rows"]}


def parallel(conn: sqlite3.Connection, work: str, pivot_key: str, keys: list[str], division: int | None,
             labels: dict[int, str] | None = None) -> list[dict]:
    """The bands of one page: pivot sentences and, per version in ``keys``, the cells beside them.

    Each band: ``{"rows": [pivot sentence...], "cells": {key: [cell...]}, "kind", "block_start",
    "division", "division_label" (where the division's heading goes)}``: a division's heading stands above its
    first band, except that the front matter which opens a work (title, byline, source) comes before the
    heading of the part it opens, as a title page precedes a first chapter. Each cell
    has ``row`` (1-based inside the band) and ``span``. A version's leftover sentences (0:1 rows, aligned to
    no pivot sentence) are bands of their own (``leftover``, no ``rows``) in their place.
    """
    pivot_vid = version_id(work, pivot_key)
    pivots = queries.pivot_segments(conn, pivot_vid, division)
    index = {p["id"]: i for i, p in enumerate(pivots)}
    per_version: dict[str, dict[int, dict]] = {}
    for key in keys:
        if key == pivot_key:
            continue
        per_version[key] = _on_page(queries.version_alignments(conn, version_id(work, key), pivot_vid, division), index)
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
    firsts: list[float] = []
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
                        "key": key, "address": ref, "name": ref, "leftover": False, "trefs": [], "refs": [ref],
                        "text": "", "status": "empty",
                        "token": slot_token(ref, "", "empty"), "stale": False, "score": None, "low": False,
                        "method": None, "actor": None, "at": None, "kind": pivots[k]["kind"],
                        "anchor": slot_anchor(key, ref), "row": k - i + 1, "span": 1, "odd": True,
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
        firsts.append(first["position"])
        i = j + 1
    _heading_after_front_matter(bands)
    leftovers = {key: queries.version_leftovers(conn, version_id(work, key), pivot_vid, division) for key in per_version}
    bands = _with_leftovers(bands, leftovers, firsts)
    _mark_neighbours(bands, list(per_version))
    return bands


def _front(band: dict) -> bool:
    return all(r["kind"] in FRONT_KINDS for r in band["rows"])


def _heading_after_front_matter(bands: list[dict]) -> None:
    """Move a division's heading from the front matter that opens it to the first band after it (a division of
    nothing but front matter keeps its heading on top)."""
    for i, band in enumerate(bands):
        if not band["division_label"] or not _front(band):
            continue
        for later in bands[i + 1:]:
            if later["division"] != band["division"]:
                break
            if not _front(later):
                later["division_label"], band["division_label"] = band["division_label"], None
                break


def band_json(band: dict) -> dict:
    """A band as the JSON API shows it."""
    return {
        "division": band["division"],
        "kind": band["kind"],
        "leftover": bool(band.get("leftover")),
        "pivot": [{k: r[k] for k in ("ref", "text", "kind", "anchor")} for r in band["rows"]],
        "slots": {
            key: [
                {k: c[k] for k in ("address", "refs", "trefs", "text", "status", "token", "stale", "score", "method",
                                   "actor", "at")}
                for c in cells
            ]
            for key, cells in band["cells"].items()
        },
    }


# ---------------------------------------------------------------------------
# The views


async def works_view(datasette, request):
    fmt = request.url_vars.get("format")
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    items = []
    for db in await corpus_databases(datasette):
        if not await datasette.permission_allowed(request.actor, "view-database", db.name, default=True):
            continue

        def fn(conn):
            counts = queries.status_counts(conn)
            out = []
            for w in queries.works(conn):
                vs = queries.versions(conn, w["id"])
                for v in vs:
                    v["counts"] = counts.get((w["id"], v["key"]))
                out.append({"work": w, "versions": vs, "database": db.name})
            return out

        items += await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({"works": [
            {**it["work"], "database": it["database"],
             "versions": [{k: v[k] for k in ("key", "language", "role", "title", "is_pivot", "counts")} for v in it["versions"]]}
            for it in items]})
    return await render(datasette, request, "aligner_works.html", {**common(datasette), "items": items})


async def work_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)

    def fn(conn):
        vs = queries.versions(conn, slug)
        counts = queries.status_counts(conn, slug)
        for v in vs:
            v["counts"] = counts.get((slug, v["key"]))
        pv = pivot_of(vs)
        divs = pivot_divisions(conn, pv["id"])
        return vs, divs

    vs, divs = await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({"work": w, "versions": vs, "parts": divs})
    others = [v for v in vs if not v["is_pivot"]]
    return await render(datasette, request, "aligner_work.html", {
        **common(datasette, w, vs), "others": others, "parts": divs, "database": db.name,
        "total": sum(d["count"] for d in divs), "one_page": sum(d["count"] for d in divs) <= ONE_PAGE_LIMIT,
    })


def page_state(conn: sqlite3.Connection, slug: str, with_args: list[str], part_arg: str | None, *,
               counts: bool = True) -> dict:
    """What the reading page of a work shows for ``?with=..&part=..``: versions, parts, keys and the bands.

    ``counts=False`` skips counting each version's filled alignments (the editor's re-rendered rows, which
    always name their versions, need no counts)."""
    vs = queries.versions(conn, slug, counts=counts)
    pv = pivot_of(vs)
    divs = pivot_divisions(conn, pv["id"])
    keys, unknown = parse_with(with_args, vs)
    if keys is None:
        keys = default_with(vs)
    n, note = choose_part(part_arg, divs)
    labels = {d["n"]: d["label"] for d in divs}
    bands = parallel(conn, slug, pv["key"], keys, n, labels)
    return {"vs": vs, "pv": pv, "divs": divs, "keys": keys, "unknown": unknown, "n": n, "note": note, "bands": bands}


def rows_context(datasette, w: dict, state: dict, editor: bool) -> dict:
    """The context ``aligner_rows.html`` (and the page around it) renders from a :func:`page_state`."""
    slug, vs, keys, n = w["id"], state["vs"], state["keys"], state["n"]
    b = base(datasette)
    read_base = b + "-/read/" + q(slug)
    with_param = ",".join(keys)
    here = read_base + "?" + urlencode({k: v for k, v in {"part": n, "with": with_param}.items()
                                        if v is not None and v != ""}, safe=",")
    for band in state["bands"]:
        for r in band["rows"]:
            r["href"] = fragment(r["ref"])
    by_key = {v["key"]: v for v in vs}
    return {
        **common(datasette, w, vs),
        "pivot": state["pv"], "keys": keys, "columns": [by_key[k] for k in keys], "bands": state["bands"],
        "can_edit": editor, "here": here, "read_base": read_base, "with_param": with_param,
        "edit_url": lambda key, address: edit_url(slug, key, address, b) + "?" + urlencode({"next": here}),
        "op_url": lambda key: op_url(slug, key, b),
    }


async def read_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    if moved := await old_part_redirect(datasette, request, db, w):
        return moved
    editor = await can_edit(datasette, request, db, slug)
    state = await read_fn(datasette, db, lambda conn: page_state(conn, slug, request.args.getlist("with"), request.args.get("part")))
    vs, pv, divs, keys, n, bands = (state[k] for k in ("vs", "pv", "divs", "keys", "n", "bands"))
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "pivot": pv["key"], "with": keys, "part": n,
            "parts": divs, "versions": [{k: v[k] for k in ("key", "language", "role", "title", "is_pivot")} for v in vs],
            "can_edit": editor,
            "rows": [band_json(b) for b in bands],
        }, headers={"Cache-Control": "no-store"} if editor else None)
    context = rows_context(datasette, w, state, editor)
    read_base, here = context["read_base"], context["here"]
    links = part_links(read_base, {"with": context["with_param"]}, divs, n)
    messages = []
    if state["unknown"]:
        messages.append("No version called " + ", ".join(repr(u) for u in state["unknown"]) + " in this work.")
    if state["note"]:
        messages.append(state["note"])
    context.update({
        "others": [v for v in vs if not v["is_pivot"]], "parts": divs, "part": n, "links": links, "notes": messages,
        "json_url": base(datasette) + "-/read/" + q(slug) + ".json" + here[len(read_base):],
        "part_label": part_label(divs, n),
        "total": sum(d["count"] for d in divs),
    })
    return await render(datasette, request, "aligner_read.html", context, editor=editor)
