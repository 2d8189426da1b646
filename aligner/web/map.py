"""The alignment map (``/-/map/<work>/<key>``): one version's alignment path as a picture.

Each alignment is a bead over the pivot sentences (x) and the version's
sentences (y) it joins; a good alignment runs near the diagonal, and the
beads that stray, score low or went stale are the ones to check. The
picture itself is drawn by :func:`.svg.alignment_map`.
"""

from __future__ import annotations

import sqlite3

from datasette.utils.asgi import NotFound

from ..corpus import queries
from . import svg
from .pages import (
    ONE_PAGE_LIMIT, base, choose_part, common, find_work, json_response, old_part_redirect, part_links, pivot_of, q, read_fn,
    read_url, render, wants_json,
)


def map_beads(conn: sqlite3.Connection, work: str, pivot_key: str, key: str, division: int | None) -> dict:
    """The alignments of one version as beads over sentence positions.

    ``x0..x1`` are pivot positions, ``y0..y1`` target positions (typed text
    has none of its own: it continues the path). Empty slots are ``gaps``
    (x only); text aligned to no pivot sentence is ``loose`` (y only).
    """
    spans = queries.alignment_spans(conn, work, pivot_key, key, division)
    refs = spans["refs"]
    beads, gaps = [], []
    last_y = None
    for aid, (x0, x1, address, status, score, stale, div) in sorted(spans["pivot"].items(), key=lambda kv: (kv[1][0], kv[0])):
        t = spans["target"].get(aid)
        bead = {"id": aid, "x0": x0, "x1": x1, "address": address, "status": status, "score": score,
                "stale": bool(stale), "division": div, "ref": refs.get(x0)}
        if t is None:
            gaps.append(bead)
            continue
        y0, y1, max_typed, min_typed = t
        if min_typed:  # typed text: no position of its own
            y0 = y1 = (last_y + 1) if last_y is not None else x0
        bead.update(y0=y0, y1=y1, typed=bool(min_typed))
        bead["low"] = score is not None and score < queries.LOW_SCORE
        last_y = y1
        beads.append(bead)
    loose = [{"id": aid, "y0": y0, "y1": y1} for aid, y0, y1 in spans["loose"]]
    return {"beads": beads, "gaps": gaps, "loose": loose}


async def map_view(datasette, request):
    slug, key, fmt = request.url_vars["work"], request.url_vars["key"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    if moved := await old_part_redirect(datasette, request, db, w):
        return moved

    def fn(conn):
        vs = queries.versions(conn, slug)
        pv = pivot_of(vs)
        v = next((x for x in vs if x["key"] == key and not x["is_pivot"]), None)
        if v is None:
            return None
        divs = queries.divisions(conn, pv["id"])
        n, note = choose_part(request.args.get("part"), divs)
        data = map_beads(conn, slug, pv["key"], key, n)
        return vs, pv, v, divs, n, note, data

    got = await read_fn(datasette, db, fn)
    if got is None:
        raise NotFound(f"No version {key!r} of {slug} to map")
    vs, pv, v, divs, n, note, data = got
    if wants_json(request, fmt):
        return json_response({"work": slug, "key": key, "part": n, **data})
    b = base(datasette)
    labels = {d["n"]: d["label"] for d in divs}

    # Link to the bead's part, unless the reading page shows this work whole by default.
    paged = n is not None or sum(d["count"] for d in divs) > ONE_PAGE_LIMIT

    def href(bead):
        return read_url(slug, part=bead.get("division") if paged else None, with_keys=[key],
                            ref=bead.get("ref"), base=b)

    picture = svg.alignment_map(data, href, x_label=pv["label"], y_label=v["label"])
    low = [bd for bd in data["beads"] if bd.get("low")]
    stale = [bd for bd in data["beads"] + data["gaps"] if bd.get("stale")]
    map_base = b + "-/map/" + q(slug) + "/" + q(key)
    links = part_links(map_base, {}, divs, n)
    return await render(datasette, request, "aligner_map.html", {
        **common(datasette, w, vs), "pivot": pv, "version": v, "picture": picture, "data": data, "low": low,
        "stale": stale, "href": href, "parts": divs, "part": n, "links": links, "notes": [note] if note else [],
        "labels": labels, "map_base": map_base, "low_score": queries.LOW_SCORE,
        "part_label": labels.get(n) if n is not None else None,
    })
