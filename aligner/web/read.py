"""The reading pages: the works, one work, and the parallel text (``/-/works``, ``/-/work/<work>``, ``/-/read/<work>``).

The reading page is built from *bands*: a band is the shortest run of pivot
sentences that no alignment of a shown version crosses. Inside a band every
version's alignment is one cell spanning the pivot sentences it joins, so an
n:m alignment reads as one row beside the sentences it renders.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from ..corpus import queries
from ..model import slot_token
from ..corpus.schema import version_id
from .pages import (
    ONE_PAGE_LIMIT, anchor, base, can_edit, choose_part, common, corpus_databases, edit_url, find_work, fragment, json_response,
    part_label, part_links, pivot_of, q, read_fn, render, short_ref, slot_anchor, wants_json,
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


def _on_page(alignments: dict[int, dict], index: dict[int, int]) -> dict[int, dict]:
    """Each alignment with ``rows``: the page rows (indexes in ``index``) of its pivot sentences."""
    for a in alignments.values():
        a["rows"] = [index[s] for s in a["segments"] if s in index]
    return {aid: a for aid, a in alignments.items() if a["rows"]}


def parallel(conn: sqlite3.Connection, work: str, pivot_key: str, keys: list[str], division: int | None,
             labels: dict[int, str] | None = None) -> list[dict]:
    """The bands of one page: pivot sentences and, per version in ``keys``, the cells beside them.

    Each band: ``{"rows": [pivot sentence...], "cells": {key: [cell...]}, "kind", "block_start",
    "division", "division_label" (when a division starts here)}``; each cell
    has ``row`` (1-based inside the band) and ``span``.
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
        divs = queries.divisions(conn, pv["id"])
        return vs, divs

    vs, divs = await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({"work": w, "versions": vs, "parts": divs})
    others = [v for v in vs if not v["is_pivot"]]
    return await render(datasette, request, "aligner_work.html", {
        **common(datasette, w, vs), "others": others, "parts": divs, "database": db.name,
        "total": sum(d["count"] for d in divs), "one_page": sum(d["count"] for d in divs) <= ONE_PAGE_LIMIT,
    })


async def read_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    editor = await can_edit(datasette, request, db, slug)

    def fn(conn):
        vs = queries.versions(conn, slug)
        pv = pivot_of(vs)
        divs = queries.divisions(conn, pv["id"])
        keys, unknown = parse_with(request.args.getlist("with"), vs)
        if keys is None:
            keys = default_with(vs)
        n, note = choose_part(request.args.get("part"), divs)
        labels = {d["n"]: d["label"] for d in divs}
        bands = parallel(conn, slug, pv["key"], keys, n, labels)
        return vs, pv, divs, keys, unknown, n, note, bands

    vs, pv, divs, keys, unknown, n, note, bands = await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "pivot": pv["key"], "with": keys, "part": n,
            "parts": divs, "versions": [{k: v[k] for k in ("key", "language", "role", "title", "is_pivot")} for v in vs],
            "can_edit": editor,
            "rows": [band_json(b) for b in bands],
        }, headers={"Cache-Control": "no-store"} if editor else None)
    read_base = base(datasette) + "-/read/" + q(slug)
    with_param = ",".join(keys)
    links = part_links(read_base, {"with": with_param}, divs, n)
    here = read_base + "?" + urlencode({k: v for k, v in {"part": n, "with": with_param}.items() if v is not None and v != ""}, safe=",")
    by_key = {v["key"]: v for v in vs}
    messages = []
    if unknown:
        messages.append("No version called " + ", ".join(repr(u) for u in unknown) + " in this work.")
    if note:
        messages.append(note)
    for band in bands:
        for r in band["rows"]:
            r["href"] = fragment(r["ref"])
    context = {
        **common(datasette, w, vs),
        "pivot": pv, "keys": keys, "columns": [by_key[k] for k in keys], "others": [v for v in vs if not v["is_pivot"]],
        "bands": bands, "parts": divs, "part": n, "links": links, "notes": messages,
        "can_edit": editor, "here": here, "read_base": read_base,
        "json_url": base(datasette) + "-/read/" + q(slug) + ".json" + here[len(read_base):],
        "edit_url": lambda key, address: edit_url(slug, key, address, base(datasette)) + "?" + urlencode({"next": here}),
        "part_label": part_label(divs, n),
        "total": sum(d["count"] for d in divs),
    }
    return await render(datasette, request, "aligner_read.html", context, editor=editor)
