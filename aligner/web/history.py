"""The history page (``/-/history/<work>?key=..&ref=..``): every change to a work, newest first.

Who changed which slot, when, from what to what, and through which channel
(the command line, a spreadsheet, a CAT tool, the web editor); narrowed to a
version and/or a pivot sentence.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ..corpus import queries
from .pages import base, common, find_work, json_response, page_number, q, read_fn, render, wants_json

#: Revisions on one page.
PAGE_SIZE = 100


async def history_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    key = request.args.get("key") or None
    ref = request.args.get("ref") or None
    page = page_number(request)

    def fn(conn):
        vs = queries.versions(conn, slug)
        return vs, queries.history(conn, slug, key=key, address=ref, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)

    vs, hist = await read_fn(datasette, db, fn)
    if wants_json(request, fmt):
        return json_response({"work": slug, "key": key, "ref": ref, **hist})
    hist_base = base(datasette) + "-/history/" + q(slug)

    def page_url(p):
        params = {k: v for k, v in (("key", key), ("ref", ref)) if v}
        if p > 1:
            params["page"] = p
        return hist_base + ("?" + urlencode(params) if params else "")

    return await render(datasette, request, "aligner_history.html", {
        **common(datasette, w, vs), "hist": hist, "key": key, "ref": ref, "page": page,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page * PAGE_SIZE < hist["total"] else None,
        "database": db.name,
    })
