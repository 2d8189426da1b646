"""The Datasette plugin: reading, comparing, searching, editing and picturing aligned texts.

Registered through the ``datasette`` entry point, so ``datasette db/corpus.db``
(and ``aligner serve``) load it. Pages (all under Datasette's base template):

* ``/-/works``, ``/-/work/<work>``: works, versions, progress bars, links;
* ``/-/read/<work>``: the parallel text (``?with=ru,es``, ``?part=N``; ``.json``);
* ``/-/compare/<work>?a=..&b=..``: two versions side by side with a word diff;
* ``/-/search/<work>?q=..&lang=..``: full-text search in every language;
* ``/-/map/<work>/<key>``: the alignment path as a picture;
* ``/-/history/<work>``: recent changes;
* ``/-/edit/<work>/<key>/<address>``: the editing form and its POST endpoint;
* ``/-/aligner-login``, ``/-/aligner-logout``: sign-in for translators.

Configuration (``metadata.yml``, ``plugins: aligner: ...``) — all optional:
``users_file`` (else ``$ALIGNER_USERS``), ``texts_dir`` (else
``$ALIGNER_TEXTS``: where a saved edit is dumped as text), ``login_days``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from . import auth, svg, web
from .model import HUMAN_STATUSES

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
EDIT_ACTION = "aligner-edit"
ENV_TEXTS = "ALIGNER_TEXTS"
STATUS_MARKS = {"confirmed": "✓", "draft": "◔", "auto": "≈", "empty": "·"}
STATUS_HELP = {
    "confirmed": "confirmed by a translator",
    "draft": "draft",
    "auto": "aligned automatically, not yet checked",
    "empty": "not translated yet",
}

_summaries = web.SummaryCache()


def ensure_registered() -> None:
    """Register this plugin with Datasette when the package is used without being installed."""
    import sys

    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module) and pm.get_plugin("aligner") is None:
        pm.register(module, name="aligner")


# ---------------------------------------------------------------------------
# Hooks


@hookimpl
def register_routes():
    work = r"(?P<work>[^/]+?)"
    fmt = r"(\.(?P<format>json))?"
    return [
        (r"^/-/works" + fmt + "$", works_view),
        (rf"^/-/work/{work}" + fmt + "$", work_view),
        (rf"^/-/read/{work}" + fmt + "$", read_view),
        (rf"^/-/compare/{work}" + fmt + "$", compare_view),
        (rf"^/-/search/{work}" + fmt + "$", search_view),
        (rf"^/-/map/{work}/(?P<key>[^/]+?)" + fmt + "$", map_view),
        (rf"^/-/history/{work}" + fmt + "$", history_view),
        (r"^/-/edit/(?P<work>[^/]+)/(?P<key>[^/]+)/(?P<address>[^/]+)$", edit_view),
        (r"^/-/aligner-login$", login_view),
        (r"^/-/aligner-logout$", logout_view),
        (r"^/-/aligner-static/(?P<name>[A-Za-z0-9_.-]+)$", static_view),
    ]


@hookimpl
def prepare_jinja2_environment(env, datasette):
    from jinja2 import ChoiceLoader, FileSystemLoader

    loader = env.loader
    if isinstance(loader, ChoiceLoader):
        if not any(isinstance(x, FileSystemLoader) and str(TEMPLATES) in x.searchpath for x in loader.loaders):
            loader.loaders.append(FileSystemLoader(str(TEMPLATES)))
    else:
        env.loader = ChoiceLoader([loader, FileSystemLoader(str(TEMPLATES))])


@hookimpl
def extra_css_urls(template, datasette):
    if template and template.startswith("aligner_"):
        return [static_url(datasette, "aligner.css")]
    return []


@hookimpl
def actor_from_request(datasette, request):
    # Our sign-ins are Datasette's own ds_actor cookie; we accept one only
    # while the user is still in the users file with the same password.
    return auth.actor_from_cookie(datasette, request)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    if action != EDIT_ACTION:
        return None
    if auth.valid_translator(datasette, actor):
        return True
    if actor and isinstance(actor, dict) and "aligner" in actor:
        return False  # signed in through us, but removed or password changed since
    return None


@hookimpl
def menu_links(datasette, actor):
    links = [{"href": datasette.urls.path("/-/works"), "label": "Read parallel texts"}]
    if not actor and auth.users_file(datasette) is not None:
        links.append({"href": datasette.urls.path("/-/aligner-login"), "label": "Sign in to edit"})
    return links


# ---------------------------------------------------------------------------
# Helpers


@lru_cache(maxsize=None)
def _static_hash(name: str) -> str:
    try:
        return hashlib.sha1((STATIC / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(datasette, name: str) -> str:
    return datasette.urls.path(f"/-/aligner-static/{name}") + "?v=" + _static_hash(name)


def base(datasette) -> str:
    return str(datasette.urls.path("/"))


def texts_dir(datasette) -> Path | None:
    path = auth.plugin_config(datasette).get("texts_dir") or os.environ.get(ENV_TEXTS)
    return Path(path).expanduser() if path else None


def wants_json(request, fmt: str | None = None) -> bool:
    if fmt == "json" or request.args.get("_json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        headers=headers or {},
        content_type="application/json; charset=utf-8",
    )


async def corpus_databases(datasette) -> list:
    """Datasette databases that hold an aligner corpus (optionally just the configured one)."""
    only = auth.plugin_config(datasette).get("database")
    out = []
    for name, db in datasette.databases.items():
        if name == "_internal" or (only and name != only):
            continue
        try:
            if await db.execute_fn(web.is_corpus):
                out.append(db)
        except Exception:
            continue
    return out


async def find_work(datasette, request, work: str):
    """``(db, work row)`` for a work slug, checking the reader may see that database."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    for db in await corpus_databases(datasette):
        row = await db.execute_fn(lambda conn: web.work_row(conn, work))
        if row:
            await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
            return db, row
    raise NotFound(f"No work called {work!r}")


async def can_edit(datasette, request, db, work: str) -> bool:
    if not db.is_mutable:
        return False
    return bool(await datasette.permission_allowed(request.actor, EDIT_ACTION, resource=work, default=False))


def safe_next(value: str | None, fallback: str) -> str:
    """A same-site path to go back to; anything else becomes ``fallback``."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and "\n" not in value:
        return value
    return fallback


async def render(datasette, request, template: str, context: dict, status: int = 200, editor: bool = False) -> Response:
    html = await datasette.render_template(template, context, request=request)
    headers = {"Cache-Control": "no-store"} if editor else {}
    return Response.html(html, status=status, headers=headers)


def _common(datasette, w: dict | None = None, vs: list | None = None) -> dict:
    return {
        "base": base(datasette),
        "work": w,
        "versions": vs or [],
        "marks": STATUS_MARKS,
        "status_help": STATUS_HELP,
        "svg": svg,
        "web": web,
        "static_url": lambda name: static_url(datasette, name),
    }


# ---------------------------------------------------------------------------
# Works


async def works_view(datasette, request):
    fmt = request.url_vars.get("format")
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    items = []
    for db in await corpus_databases(datasette):
        if not await datasette.permission_allowed(request.actor, "view-database", db.name, default=True):
            continue

        def fn(conn):
            counts = web.status_counts(conn)
            out = []
            for w in web.works(conn):
                vs = web.versions(conn, w["id"])
                for v in vs:
                    v["counts"] = counts.get((w["id"], v["key"]))
                out.append({"work": w, "versions": vs, "database": db.name})
            return out

        items += await db.execute_fn(fn)
    if wants_json(request, fmt):
        return json_response({"works": [
            {**it["work"], "database": it["database"],
             "versions": [{k: v[k] for k in ("key", "language", "role", "title", "is_pivot", "counts")} for v in it["versions"]]}
            for it in items]})
    return await render(datasette, request, "aligner_works.html", {**_common(datasette), "items": items})


async def work_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)

    def fn(conn):
        vs = web.versions(conn, slug)
        counts = web.status_counts(conn, slug)
        for v in vs:
            v["counts"] = counts.get((slug, v["key"]))
        pv = next(v for v in vs if v["is_pivot"])
        divs = web.divisions(conn, pv["id"])
        return vs, divs

    vs, divs = await db.execute_fn(fn)
    if wants_json(request, fmt):
        return json_response({"work": w, "versions": vs, "parts": divs})
    others = [v for v in vs if not v["is_pivot"]]
    return await render(datasette, request, "aligner_work.html", {
        **_common(datasette, w, vs), "others": others, "parts": divs, "database": db.name,
        "total": sum(d["count"] for d in divs), "one_page": sum(d["count"] for d in divs) <= web.ONE_PAGE_LIMIT,
    })


# ---------------------------------------------------------------------------
# Reading


def _part_links(read_base: str, params: dict, divs: list, n) -> dict:
    def url(part):
        p = {k: v for k, v in params.items() if v}
        if part is not None:
            p["part"] = part
        return read_base + ("?" + urlencode(p, safe=",") if p else "")

    prev, nxt = web.neighbours(divs, n)
    return {
        "prev": {"url": url(prev["n"]), "label": prev["label"]} if prev else None,
        "next": {"url": url(nxt["n"]), "label": nxt["label"]} if nxt else None,
        "url": url,
    }


async def read_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    editor = await can_edit(datasette, request, db, slug)

    def fn(conn):
        vs = web.versions(conn, slug)
        pv = next(v for v in vs if v["is_pivot"])
        divs = web.divisions(conn, pv["id"])
        keys, unknown = web.parse_with(request.args.getlist("with"), vs)
        if keys is None:
            keys = web.default_with(vs)
        n, note = web.choose_part(request.args.get("part"), divs)
        labels = {d["n"]: d["label"] for d in divs}
        bands = web.parallel(conn, slug, pv["key"], keys, n, labels)
        return vs, pv, divs, keys, unknown, n, note, bands

    vs, pv, divs, keys, unknown, n, note, bands = await db.execute_fn(fn)
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "pivot": pv["key"], "with": keys, "part": n,
            "parts": divs, "versions": [{k: v[k] for k in ("key", "language", "role", "title", "is_pivot")} for v in vs],
            "can_edit": editor,
            "rows": [web.band_json(b) for b in bands],
        }, headers={"Cache-Control": "no-store"} if editor else None)
    read_base = base(datasette) + "-/read/" + web.q(slug)
    with_param = ",".join(keys)
    links = _part_links(read_base, {"with": with_param}, divs, n)
    here = read_base + "?" + urlencode({k: v for k, v in {"part": n, "with": with_param}.items() if v is not None and v != ""}, safe=",")
    by_key = {v["key"]: v for v in vs}
    messages = []
    if unknown:
        messages.append("No version called " + ", ".join(repr(u) for u in unknown) + " in this work.")
    if note:
        messages.append(note)
    for band in bands:
        for r in band["rows"]:
            r["href"] = "#" + quote(r["anchor"], safe="-._~!$&'()*+,;=:@/")
    context = {
        **_common(datasette, w, vs),
        "pivot": pv, "keys": keys, "columns": [by_key[k] for k in keys], "others": [v for v in vs if not v["is_pivot"]],
        "bands": bands, "parts": divs, "part": n, "links": links, "notes": messages,
        "can_edit": editor, "here": here, "read_base": read_base,
        "json_url": base(datasette) + "-/read/" + web.q(slug) + ".json" + here[len(read_base):],
        "edit_url": lambda key, address: web.edit_url(slug, key, address, base(datasette)) + "?" + urlencode({"next": here}),
        "part_label": next((d["label"] for d in divs if d["n"] == n), None),
        "total": sum(d["count"] for d in divs),
    }
    return await render(datasette, request, "aligner_read.html", context, editor=editor)


# ---------------------------------------------------------------------------
# Compare


async def compare_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)

    def fn(conn):
        vs = web.versions(conn, slug)
        pv = next(v for v in vs if v["is_pivot"])
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
        divs = web.divisions(conn, pv["id"])
        n, note = web.choose_part(request.args.get("part"), divs)
        if note:
            notes.append(note)
        labels = {d["n"]: d["label"] for d in divs}
        result = web.compare(conn, slug, pv["key"], a, b, n, labels)
        summary = _summaries.get(conn, db.name, slug, pv["key"], a, b, divs)
        return vs, pv, a, b, divs, n, result, summary, notes

    vs, pv, a, b, divs, n, result, summary, notes = await db.execute_fn(fn)
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "a": a, "b": b, "part": n, "changed": result["changed"], "words": result["words"],
            "pct": result["pct"], "summary": summary,
            "rows": [{k: r[k] for k in ("refs", "a", "b", "changed", "words", "pct", "a_status", "b_status")}
                     for r in result["rows"]],
        })
    cmp_base = base(datasette) + "-/compare/" + web.q(slug)
    links = _part_links(cmp_base, {"a": a, "b": b}, divs, n)
    by_key = {v["key"]: v for v in vs}
    with_keys = [k for k in (a, b) if k != pv["key"]]
    return await render(datasette, request, "aligner_compare.html", {
        **_common(datasette, w, vs), "pivot": pv, "a": by_key[a], "b": by_key[b], "parts": divs, "part": n,
        "result": result, "summary": summary, "links": links, "notes": notes, "cmp_base": cmp_base,
        "read_url": lambda ref, division: web.read_url(slug, part=division, with_keys=with_keys, ref=ref, base=base(datasette)),
        "part_label": next((d["label"] for d in divs if d["n"] == n), None),
        "strip": svg.difference_strip(summary, lambda it: "?" + urlencode({"a": a, "b": b, "part": it["n"]}), current=n) if len(summary) > 12 else None,
    })


# ---------------------------------------------------------------------------
# Search


async def search_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    query = (request.args.get("q") or "").strip()
    lang = (request.args.get("lang") or "").strip()
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1

    def fn(conn):
        vs = web.versions(conn, slug)
        keys = None
        qlang = None
        if lang:
            keys = [v["key"] for v in vs if v["key"] == lang or v["language"] == lang]
            langs = {v["language"] for v in vs if v["key"] in keys}
            qlang = langs.pop() if len(langs) == 1 else None
        result = web.search(conn, slug, query, keys, lang=qlang, limit=web.SEARCH_PAGE_SIZE,
                            offset=(page - 1) * web.SEARCH_PAGE_SIZE) if query else {"total": 0, "hits": []}
        return vs, result

    vs, result = await db.execute_fn(fn)
    pv = next(v for v in vs if v["is_pivot"])
    for h in result["hits"]:
        with_keys = [] if h["is_pivot"] else [h["key"]]
        h["url"] = web.read_url(slug, part=h["division"], with_keys=with_keys or None, ref=h["pivot_ref"],
                                base=base(datasette)) if h["pivot_ref"] else web.read_url(slug, base=base(datasette))
    if wants_json(request, fmt):
        return json_response({
            "work": slug, "q": query, "lang": lang or None, "total": result["total"], "page": page,
            "hits": [{k: h[k] for k in ("key", "language", "ref", "text", "pivot_ref", "division", "url")} for h in result["hits"]],
        })
    languages = []
    for v in vs:
        if v["language"] not in languages:
            languages.append(v["language"])
    search_base = base(datasette) + "-/search/" + web.q(slug)

    def page_url(p):
        params = {"q": query}
        if lang:
            params["lang"] = lang
        if p > 1:
            params["page"] = p
        return search_base + "?" + urlencode(params)

    pages = (result["total"] + web.SEARCH_PAGE_SIZE - 1) // web.SEARCH_PAGE_SIZE
    return await render(datasette, request, "aligner_search.html", {
        **_common(datasette, w, vs), "pivot": pv, "q": query, "lang": lang, "languages": languages,
        "result": result, "page": page, "pages": pages, "search_base": search_base,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "first": (page - 1) * web.SEARCH_PAGE_SIZE + 1,
    })


# ---------------------------------------------------------------------------
# Map


async def map_view(datasette, request):
    slug, key, fmt = request.url_vars["work"], request.url_vars["key"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)

    def fn(conn):
        vs = web.versions(conn, slug)
        pv = next(v for v in vs if v["is_pivot"])
        v = next((x for x in vs if x["key"] == key and not x["is_pivot"]), None)
        if v is None:
            return None
        divs = web.divisions(conn, pv["id"])
        n, note = web.choose_part(request.args.get("part"), divs)
        data = web.map_beads(conn, slug, pv["key"], key, n)
        return vs, pv, v, divs, n, note, data

    got = await db.execute_fn(fn)
    if got is None:
        raise NotFound(f"No version {key!r} of {slug} to map")
    vs, pv, v, divs, n, note, data = got
    if wants_json(request, fmt):
        return json_response({"work": slug, "key": key, "part": n, **data})
    b = base(datasette)
    labels = {d["n"]: d["label"] for d in divs}

    # Link to the bead's part, unless the reading page shows this work whole by default.
    paged = n is not None or sum(d["count"] for d in divs) > web.ONE_PAGE_LIMIT

    def href(bead):
        return web.read_url(slug, part=bead.get("division") if paged else None, with_keys=[key],
                            ref=bead.get("ref"), base=b)

    picture = svg.alignment_map(data, href, x_label=pv["label"], y_label=v["label"])
    low = [bd for bd in data["beads"] if bd.get("low")]
    stale = [bd for bd in data["beads"] + data["gaps"] if bd.get("stale")]
    map_base = b + "-/map/" + web.q(slug) + "/" + web.q(key)
    links = _part_links(map_base, {}, divs, n)
    return await render(datasette, request, "aligner_map.html", {
        **_common(datasette, w, vs), "pivot": pv, "version": v, "picture": picture, "data": data, "low": low,
        "stale": stale, "href": href, "parts": divs, "part": n, "links": links, "notes": [note] if note else [],
        "labels": labels, "map_base": map_base, "low_score": web.LOW_SCORE,
        "part_label": labels.get(n) if n is not None else None,
    })


# ---------------------------------------------------------------------------
# History


async def history_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    key = request.args.get("key") or None
    ref = request.args.get("ref") or None
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1

    def fn(conn):
        vs = web.versions(conn, slug)
        return vs, web.history(conn, slug, key=key, address=ref, limit=100, offset=(page - 1) * 100)

    vs, hist = await db.execute_fn(fn)
    if wants_json(request, fmt):
        return json_response({"work": slug, "key": key, "ref": ref, **hist})
    hist_base = base(datasette) + "-/history/" + web.q(slug)

    def page_url(p):
        params = {k: v for k, v in (("key", key), ("ref", ref)) if v}
        if p > 1:
            params["page"] = p
        return hist_base + ("?" + urlencode(params) if params else "")

    return await render(datasette, request, "aligner_history.html", {
        **_common(datasette, w, vs), "hist": hist, "key": key, "ref": ref, "page": page,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page * 100 < hist["total"] else None,
        "database": db.name,
    })


# ---------------------------------------------------------------------------
# Editing


def _store(conn, texts=None):
    import sqlite_utils

    from .corpus import Store

    return Store(sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False), texts)


def _slot_dict(slot) -> dict:
    return {"address": slot.address, "refs": slot.pivot_refs, "text": slot.text, "status": slot.status,
            "token": slot.token, "stale": slot.stale, "actor": slot.actor, "at": slot.at}


def _edit_state(conn, work: str, key: str, address: str, pivot_key: str) -> dict:
    """What the edit form shows: the slot, its pivot text, where it is, its history, nearby refs."""
    from .errors import AlignerError

    store = _store(conn)
    try:
        slot = store.slot(work, key, address)
    except AlignerError as e:
        return {"error": str(e)}
    pivot_vid = f"{work}/{pivot_key}"
    span_ids = web.pivot_span_ids(conn, pivot_vid, address)
    pivots = web._rows(conn, f"select id, ref, text, kind, position, division from segments where id in ({','.join('?' * len(span_ids))}) order by position", span_ids) if span_ids else []
    division = pivots[0]["division"] if pivots else None
    # Pivot refs around the slot, to re-cut it (join with neighbours, split).
    lo = pivots[0]["position"] if pivots else 0
    hi = pivots[-1]["position"] if pivots else 0
    near = [r[0] for r in conn.execute(
        "select ref from segments where version = ? and position between ? and ? order by position",
        [pivot_vid, lo - 6, hi + 6])]
    hist = web.history(conn, work, key=key, address=address, limit=50)
    return {"slot": slot, "pivots": pivots, "division": division, "near": near, "history": hist}


async def edit_view(datasette, request):
    slug, key, address = request.url_vars["work"], request.url_vars["key"], request.url_vars["address"]
    db, w = await find_work(datasette, request, slug)
    editor = await can_edit(datasette, request, db, slug)
    json_wanted = wants_json(request)
    if request.method == "POST":
        return await _edit_post(datasette, request, db, w, key, address, editor, json_wanted)
    if request.method != "GET":
        return Response.text("Method not allowed", status=405)
    vs = await db.execute_fn(lambda conn: web.versions(conn, slug))
    version = next((v for v in vs if v["key"] == key and not v["is_pivot"]), None)
    if version is None:
        raise NotFound(f"No version {key!r} of {slug} to edit")
    if not editor:
        return await _forbidden(datasette, request, w, vs, json_wanted)
    state = await db.execute_fn(lambda conn: _edit_state(conn, slug, key, address, w["pivot"]))
    if "error" in state:
        raise NotFound(state["error"])
    if request.args.get("from") and request.args.get("to"):
        from .model import make_address

        span = make_address(request.args["from"], request.args["to"])
        params = {"span": "1"}
        if request.args.get("next"):
            params["next"] = request.args["next"]
        return Response.redirect(web.edit_url(slug, key, span, base(datasette)) + "?" + urlencode(params))
    slot = state["slot"]
    if slot.address and slot.address != address and not request.args.get("span"):
        target = web.edit_url(slug, key, slot.address, base(datasette))
        if request.query_string:
            target += "?" + request.query_string
        return Response.redirect(target)
    return await _edit_page(datasette, request, w, vs, version, address, state, editor=True)


async def _forbidden(datasette, request, w, vs, json_wanted: bool, message: str | None = None):
    message = message or ("Sign in as a translator to edit." if not request.actor
                          else "You are signed in, but not as a translator who may edit this work.")
    if json_wanted:
        return json_response({"ok": False, "error": message}, status=403)
    login = base(datasette) + "-/aligner-login?" + urlencode({"next": request.full_path})
    return await render(datasette, request, "aligner_forbidden.html",
                        {**_common(datasette, w, vs), "message": message, "login_url": login}, status=403)


async def _edit_page(datasette, request, w, vs, version, address, state, *, editor, status=200, conflict=None,
                     yours=None, error=None, next_url=None):
    slug = w["id"]
    slot = state["slot"]
    b = base(datasette)
    read_back = web.read_url(slug, part=state["division"], with_keys=[version["key"]],
                             ref=(state["pivots"][0]["ref"] if state["pivots"] else None), base=b)
    next_url = safe_next(next_url or request.args.get("next"), read_back)
    near = state["near"]
    first = state["pivots"][0]["ref"] if state["pivots"] else address
    last = state["pivots"][-1]["ref"] if state["pivots"] else address
    return await render(datasette, request, "aligner_edit.html", {
        **_common(datasette, w, vs), "version": version, "address": address,
        "pivot": next(v for v in vs if v["is_pivot"]), "slot": slot, "state": state,
        "action": web.edit_url(slug, version["key"], address, b), "next": next_url, "statuses": HUMAN_STATUSES,
        "conflict": conflict, "yours": yours, "error": error, "read_back": read_back, "near": near,
        "first": first, "last": last,
        "controls": web.bidi_controls((yours or {}).get("text") or slot.text),
        "history_url": b + "-/history/" + web.q(slug) + "?" + urlencode({"key": version["key"], "ref": address}),
    }, status=status, editor=editor)


async def _edit_post(datasette, request, db, w, key, address, editor, json_wanted):
    from .errors import AlignerError, ConflictError

    slug = w["id"]
    vs = await db.execute_fn(lambda conn: web.versions(conn, slug))
    version = next((v for v in vs if v["key"] == key and not v["is_pivot"]), None)
    if not editor:
        return await _forbidden(datasette, request, w, vs, json_wanted)
    post = await request.post_vars()
    # asgi-csrf has checked the token already whenever the request carries
    # cookies (and a signed-in editor always does); check it again here so
    # the endpoint is safe even if a skip_csrf plugin exempts it.
    cookie_token = request.cookies.get("ds_csrftoken") or ""
    if not cookie_token or post.get("csrftoken") != cookie_token:
        header = request.headers.get("x-csrftoken") or ""
        if not (cookie_token and header == cookie_token):
            return await _forbidden(datasette, request, w, vs, json_wanted, "The form has expired (CSRF token missing or wrong): reload the page and try again.")
    if version is None:
        raise NotFound(f"No version {key!r} of {slug} to edit")
    text = (post.get("text") or "").replace("\r\n", "\n")
    status = post.get("status") or ("draft" if text.strip() else "empty")
    token = post.get("token") or ""
    next_url = post.get("next")

    async def bad(message, code=400):
        if json_wanted:
            return json_response({"ok": False, "error": message}, status=code)
        state = await db.execute_fn(lambda conn: _edit_state(conn, slug, key, address, w["pivot"]))
        if "error" in state:
            return Response.html(str(Markup.escape(message)), status=code)
        return await _edit_page(datasette, request, w, vs, version, address, state, editor=True, status=code,
                                error=message, yours={"text": text, "status": status}, next_url=next_url)

    if status not in HUMAN_STATUSES:
        return await bad(f"Status must be one of {', '.join(HUMAN_STATUSES)}.")
    if not token:
        return await bad("The form has no revision token: reload the page and try again.")
    if status == "empty":
        text = ""
    actor_id = str(request.actor.get("id"))
    tdir = texts_dir(datasette)

    def write(conn):
        store = _store(conn, tdir)
        conn.execute("PRAGMA busy_timeout = 10000")
        try:
            rid = store.set_slot(slug, key, address, text, status, actor=actor_id, channel="web", token=token)
        except ConflictError as e:
            latest = web.history(conn, slug, key=key, address=address, limit=1)["revisions"]
            return {"conflict": e, "latest": latest[0] if latest else None}
        except AlignerError as e:
            return {"error": str(e)}
        slot = store.slot(slug, key, address)
        pivot_vid = f"{slug}/{w['pivot']}"
        division = web.division_of_ref(conn, pivot_vid, slot.pivot_refs[0]) if slot.pivot_refs else None
        dumped, dump_error = [], None
        if tdir is not None and rid is not None:
            try:
                dumped = [str(p) for p in store.dump(tdir, work=slug, key=key)]
            except (AlignerError, OSError) as e:
                dump_error = f"Saved, but the text files were not updated: {e}"
        return {"revision": rid, "slot": slot, "division": division, "dumped": dumped, "dump_error": dump_error}

    result = await db.execute_write_fn(write)
    if "error" in result:
        return await bad(result["error"])
    if "conflict" in result:
        e = result["conflict"]
        latest = result["latest"]
        theirs = {"text": e.current_text, "status": e.current_status, "token": e.current_token,
                  "actor": latest["actor"] if latest else None, "at": latest["at"] if latest else None}
        message = (f"Not saved: slot {address} of {key} was changed by someone else since you opened it. "
                   "Compare the two texts; saving again will replace theirs with yours.")
        if json_wanted:
            return json_response({"ok": False, "conflict": True, "error": message, "theirs": theirs,
                                  "yours": {"text": text, "status": status}}, status=409)
        state = await db.execute_fn(lambda conn: _edit_state(conn, slug, key, address, w["pivot"]))
        return await _edit_page(datasette, request, w, vs, version, address, state, editor=True, status=409,
                                conflict=theirs, yours={"text": text, "status": status}, next_url=next_url)
    slot = result["slot"]
    if json_wanted:
        return json_response({"ok": True, "revision": result["revision"], "slot": _slot_dict(slot),
                              "dumped": result["dumped"], "warning": result["dump_error"]})
    if result["revision"] is None:
        datasette.add_message(request, f"Nothing changed in {key} {slot.address}.", datasette.INFO)
    else:
        datasette.add_message(request, f"Saved {key} {slot.address} ({slot.status}).", datasette.INFO)
    if result["dump_error"]:
        datasette.add_message(request, result["dump_error"], datasette.WARNING)
    fallback = web.read_url(slug, part=result["division"], with_keys=[key], base=base(datasette))
    target = safe_next(next_url, fallback).split("#", 1)[0]
    if slot.pivot_refs:
        target += "#" + quote(web.anchor(slot.pivot_refs[0]), safe="-._~!$&'()*+,;=:@/")
    return Response.redirect(target)


# ---------------------------------------------------------------------------
# Sign-in


async def login_view(datasette, request):
    b = base(datasette)
    next_url = safe_next(request.args.get("next"), b + "-/works")
    configured = auth.users_file(datasette) is not None
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        post = await request.post_vars()
        next_url = safe_next(post.get("next"), b + "-/works")
        username = (post.get("username") or "").strip()
        cookie_token = request.cookies.get("ds_csrftoken") or ""
        if not cookie_token or post.get("csrftoken") != cookie_token:
            error = "The form has expired: please try again."
            status = 403
        else:
            actor = await asyncio.to_thread(auth.authenticate, datasette, username, post.get("password") or "")
            if actor:
                response = Response.redirect(next_url)
                response.set_cookie("ds_actor", auth.actor_cookie(datasette, actor), httponly=True, samesite="lax")
                datasette.add_message(request, f"Signed in as {actor['id']}.", datasette.INFO)
                return response
            error = "Wrong user name or password."
            status = 401
    elif request.method != "GET":
        return Response.text("Method not allowed", status=405)
    return await render(datasette, request, "aligner_login.html", {
        **_common(datasette), "next": next_url, "error": error, "username": username, "configured": configured,
        "action": b + "-/aligner-login",
    }, status=status)


async def logout_view(datasette, request):
    b = base(datasette)
    if request.method == "POST":
        post = await request.post_vars()
        response = Response.redirect(safe_next(post.get("next"), b + "-/works"))
        response.set_cookie("ds_actor", "", expires=0, max_age=0)
        datasette.add_message(request, "Signed out.", datasette.INFO)
        return response
    if not request.actor:
        return Response.redirect(b + "-/works")
    return await render(datasette, request, "aligner_logout.html", {
        **_common(datasette), "action": b + "-/aligner-logout", "next": safe_next(request.args.get("next"), b + "-/works"),
    })


# ---------------------------------------------------------------------------
# Static files (ours only: Datasette serves plugin static folders only for packages)

_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


async def static_view(request):
    name = request.url_vars["name"]
    path = STATIC / name
    if name.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise NotFound("No such file")
    cache = "public, max-age=31536000, immutable" if request.args.get("v") else "public, max-age=300"
    return Response(path.read_bytes(), content_type=_TYPES[path.suffix], headers={"Cache-Control": cache})


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - convenience for running from a checkout
    """``python -m aligner.plugin db/corpus.db``: Datasette with this plugin, installed or not."""
    import sys

    import aligner.plugin as plugin

    plugin.ensure_registered()
    from datasette.cli import cli

    cli(["serve", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":  # pragma: no cover
    main()
