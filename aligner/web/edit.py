"""The editor (``/-/edit/<work>/<key>/<address>``): the form a translator fills, and the endpoint it posts to.

Only signed-in translators may edit (the ``aligner-edit`` permission), only a
mutable database, and only with the CSRF token. A save goes through
:meth:`Store.set_slot` like every other channel: the history records it
(channel ``web``), a change made by someone else since the form was loaded is
refused with both texts shown, and the version is dumped to ``texts/`` at once.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from ..corpus import queries
from ..errors import AlignerError, ConflictError
from ..model import HUMAN_STATUSES, make_address
from ..corpus import Store, version_id
from . import guard
from .pages import (
    base, can_edit, common, edit_url, find_work, fragment, json_response, q, read_url, render, safe_next, texts_dir,
    wants_json,
)

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bidi_controls(text: str) -> list[str]:
    """The invisible direction-control characters in ``text``, as ``U+202E`` names (each once)."""
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(_BIDI.findall(text or ""))]


def _store(conn, texts=None) -> Store:
    """A store over one of Datasette's connections (its write connection, for a save)."""
    import sqlite_utils

    return Store(sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False), texts)


def _slot_dict(slot) -> dict:
    return {"address": slot.address, "refs": slot.pivot_refs, "text": slot.text, "status": slot.status,
            "token": slot.token, "stale": slot.stale, "actor": slot.actor, "at": slot.at}


def _edit_state(conn, work: str, key: str, address: str, pivot_key: str) -> dict:
    """What the edit form shows: the slot, its pivot text, where it is, its history, nearby refs."""
    try:
        slot = _store(conn).slot(work, key, address)
    except AlignerError as e:
        return {"error": str(e)}
    span = queries.span_context(conn, version_id(work, pivot_key), address)
    hist = queries.history(conn, work, key=key, address=address, limit=50)
    return {"slot": slot, **span, "history": hist}


async def edit_view(datasette, request):
    slug, key, address = request.url_vars["work"], request.url_vars["key"], request.url_vars["address"]
    db, w = await find_work(datasette, request, slug)
    editor = await can_edit(datasette, request, db, slug)
    json_wanted = wants_json(request)
    if request.method == "POST":
        return await _edit_post(datasette, request, db, w, key, address, editor, json_wanted)
    if request.method != "GET":
        return Response.text("Method not allowed", status=405)
    vs = await db.execute_fn(lambda conn: queries.versions(conn, slug))
    version = next((v for v in vs if v["key"] == key and not v["is_pivot"]), None)
    if version is None:
        raise NotFound(f"No version {key!r} of {slug} to edit")
    if not editor:
        return await _forbidden(datasette, request, w, vs, json_wanted)
    state = await db.execute_fn(lambda conn: _edit_state(conn, slug, key, address, w["pivot"]))
    if "error" in state:
        raise NotFound(state["error"])
    if request.args.get("from") and request.args.get("to"):
        span = make_address(request.args["from"], request.args["to"])
        params = {"span": "1"}
        if request.args.get("next"):
            params["next"] = request.args["next"]
        return Response.redirect(edit_url(slug, key, span, base(datasette)) + "?" + urlencode(params))
    slot = state["slot"]
    if slot.address and slot.address != address and not request.args.get("span"):
        target = edit_url(slug, key, slot.address, base(datasette))
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
                        {**common(datasette, w, vs), "message": message, "login_url": login}, status=403)


async def _edit_page(datasette, request, w, vs, version, address, state, *, editor, status=200, conflict=None,
                     yours=None, error=None, next_url=None):
    slug = w["id"]
    slot = state["slot"]
    b = base(datasette)
    read_back = read_url(slug, part=state["division"], with_keys=[version["key"]],
                             ref=(state["pivots"][0]["ref"] if state["pivots"] else None), base=b)
    next_url = safe_next(next_url or request.args.get("next"), read_back)
    near = state["near"]
    first = state["pivots"][0]["ref"] if state["pivots"] else address
    last = state["pivots"][-1]["ref"] if state["pivots"] else address
    return await render(datasette, request, "aligner_edit.html", {
        **common(datasette, w, vs), "version": version, "address": address,
        "pivot": next(v for v in vs if v["is_pivot"]), "slot": slot, "state": state,
        "action": edit_url(slug, version["key"], address, b), "next": next_url,
        "statuses": guard.form_statuses(datasette, request.actor, slug, HUMAN_STATUSES),
        "conflict": conflict, "yours": yours, "error": error, "read_back": read_back, "near": near,
        "first": first, "last": last,
        "controls": bidi_controls((yours or {}).get("text") or slot.text),
        "history_url": b + "-/history/" + q(slug) + "?" + urlencode({"key": version["key"], "ref": address}),
    }, status=status, editor=editor)


async def _edit_post(datasette, request, db, w, key, address, editor, json_wanted):
    slug = w["id"]
    vs = await db.execute_fn(lambda conn: queries.versions(conn, slug))
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
    refused = await guard.save_refusal(datasette, request.actor, db, slug, key, address, status)
    if refused:
        return await _forbidden(datasette, request, w, vs, json_wanted, refused)
    actor_id = str(request.actor.get("id"))
    tdir = texts_dir(datasette)

    def write(conn):
        store = _store(conn, tdir)
        queries.wait_when_locked(conn, 10_000)
        # The save and its dump under the writers' lock: no build or import can come between them.
        with store.writing():
            return save(conn, store)

    def save(conn, store):
        nonlocal text, status
        try:
            if status == "empty":
                # "empty" clears a slot's text; text typed into an empty slot is kept, as a draft, never dropped.
                typed = bool(text.strip()) and not store.slot(slug, key, address).text.strip()
                status, text = ("draft", text) if typed else ("empty", "")
            rid = store.set_slot(slug, key, address, text, status, actor=actor_id, channel="web", token=token)
        except ConflictError as e:
            latest = queries.history(conn, slug, key=key, address=address, limit=1)["revisions"]
            return {"conflict": e, "latest": latest[0] if latest else None}
        except AlignerError as e:
            return {"error": str(e)}
        slot = store.slot(slug, key, address)
        pivot_vid = version_id(slug, w["pivot"])
        division = queries.division_of_ref(conn, pivot_vid, slot.pivot_refs[0]) if slot.pivot_refs else None
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
    fallback = read_url(slug, part=result["division"], with_keys=[key], base=base(datasette))
    target = safe_next(next_url, fallback).split("#", 1)[0]
    if slot.pivot_refs:
        target += fragment(slot.pivot_refs[0])
    return Response.redirect(target)
