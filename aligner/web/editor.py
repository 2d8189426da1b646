"""The row editor on the reading page (``POST /-/op/<work>/<key>``): one operation on a version's links a request.

InterText's way of correcting an alignment, in the browser: every row of a version on the reading page has the
operations as buttons (``aligner_macros.html``'s ``row_ops``) and keys (``static/editor.js``): confirm, confirm
up to here, move a sentence up or down, shift the rest of the column, merge, split, attach a leftover, detach,
align the automatic rows again from here to the end of the part shown (after a correction, the aligner takes it
as an anchor: InterText's "realign from here"), and undo (a revert of the translator's own last revision). Each
request calls exactly one method of :class:`aligner.corpus.Store` (its :class:`~aligner.corpus.links.LinkEditor`),
so an operation is one revision in the same history as the command line's (channel ``web``).

A request names its row as the page does (a pivot ref, or ``KEY:REF`` for a leftover) and carries the row's
token as the page showed it: when the row changed since, nothing is done and the answer is 409 with the rows as
they are now. With ``Accept: application/json`` the answer holds the re-rendered rows of the part the page shows
(``html``) and the row to keep the cursor on (``focus``); a plain form post is redirected back to that row.
The version's text record (``texts_dir``) is written right after the answer, in the same write thread.
"""

from __future__ import annotations

import sys
from urllib.parse import parse_qs, urlsplit

from datasette.utils.asgi import NotFound, Response

from ..corpus import Store, queries, version_id
from ..errors import AlignerError
from ..model import make_address, slot_token
from .. import roles
from . import auth
from .edit import _forbidden, _store
from .pages import (
    base, can_edit, choose_part, find_work, fragment, json_response, pivot_divisions, read_url, safe_next, slot_anchor,
    texts_dir, wants_json,
)
from .read import page_state, rows_context

#: Every operation a row offers: what it calls on the store, from the posted fields.
OPERATIONS = {
    "confirm": lambda s, w, k, f: s.set_status(w, k, f["row"], "confirmed", **f["who"]),
    "confirm-through": lambda s, w, k, f: s.confirm_through(w, k, f["row"], start=f["start"], **f["who"]),
    "move-up": lambda s, w, k, f: s.move(w, k, f["row"], "up", **f["who"]),
    "move-down": lambda s, w, k, f: s.move(w, k, f["row"], "down", **f["who"]),
    "shift-up": lambda s, w, k, f: s.shift(w, k, f["row"], "up", **f["who"]),
    "shift-down": lambda s, w, k, f: s.shift(w, k, f["row"], "down", **f["who"]),
    "merge": lambda s, w, k, f: s.merge(w, k, f["row"], **f["who"]),
    "split": lambda s, w, k, f: s.split(w, k, f["row"], pivot_at=f["pivot_at"], target_at=f["target_at"], **f["who"]),
    "attach": lambda s, w, k, f: s.attach(w, k, _need(f, "target"), f["row"], **f["who"]),
    "attach-up": lambda s, w, k, f: s.attach(w, k, f["row"], _need(f, "above"), **f["who"]),
    "attach-down": lambda s, w, k, f: s.attach(w, k, f["row"], _need(f, "below"), **f["who"]),
    "detach": lambda s, w, k, f: s.detach(w, k, _targets_of(s, w, k, f["row"]), **f["who"]),
    "realign": lambda s, w, k, f: s.realign(w, k, start=f["row"], end=f["end"], **f["who"]).revision,
}
#: Where the cursor goes after an operation: the row it names, or another field of the request.
FOCUS = {"attach-up": "above", "attach-down": "below"}
#: Past tense for the message after an operation.
DONE = {"confirm": "Confirmed", "confirm-through": "Confirmed every row up to", "move-up": "Moved a sentence up from",
        "move-down": "Moved a sentence down from", "shift-up": "Shifted the column up from",
        "shift-down": "Shifted the column down from", "merge": "Merged", "split": "Split", "attach": "Attached to",
        "attach-up": "Attached", "attach-down": "Attached", "detach": "Detached",
        "realign": "Aligned again the automatic rows from"}


def _need(fields: dict, name: str) -> str:
    if not fields.get(name):
        raise AlignerError(f"this operation needs {name!r}: no row to attach to there")
    return fields[name]


def _targets_of(store: Store, work: str, key: str, row: str) -> str:
    """The version's sentences in a row, as the range detach takes."""
    refs = queries.row_state(store.db.conn, version_id(work, key), store.pivot_version(work)["id"], key, row)
    if refs is None or not refs["trefs"]:
        raise AlignerError(f"row {row} has no sentence to detach")
    return f"{key}:" + make_address(refs["trefs"][0], refs["trefs"][-1])


def row_token(conn, work: str, key: str, pivot_key: str, row: str) -> str:
    """The token of a row as the reading page shows it (see :func:`aligner.web.read.parallel`)."""
    state = queries.row_state(conn, version_id(work, key), version_id(work, pivot_key), key, row)
    if state is None:
        return slot_token(row, "", "empty")
    return slot_token(state["address"], state["text"], state["status"])


async def op_view(datasette, request):
    slug, key = request.url_vars["work"], request.url_vars["key"]
    db, w = await find_work(datasette, request, slug)
    json_wanted = wants_json(request)
    if request.method != "POST":
        return Response.text("Method not allowed: the editor's operations are posted from the reading page.",
                             status=405, headers={"Allow": "POST"})
    vs = await db.execute_fn(lambda conn: queries.versions(conn, slug, counts=False))
    editor = await can_edit(datasette, request, db, slug)
    if not editor:
        return await _forbidden(datasette, request, w, vs, json_wanted)
    post = await request.post_vars()
    # asgi-csrf has checked the token already (a signed-in editor always sends cookies); check again here so
    # the endpoint stays safe even if a skip_csrf plugin exempts it.
    cookie_token = request.cookies.get("ds_csrftoken") or ""
    if not cookie_token or (post.get("csrftoken") != cookie_token and request.headers.get("x-csrftoken") != cookie_token):
        return await _forbidden(datasette, request, w, vs, json_wanted,
                                "The form has expired (CSRF token missing or wrong): reload the page and try again.")
    op = post.get("op") or ""
    if op == "undo" and post.get("key"):
        key = post["key"]
    if not any(v["key"] == key and not v["is_pivot"] for v in vs):
        raise NotFound(f"No version {key!r} of {slug} to edit")
    b = base(datasette)
    next_url = safe_next(post.get("next"), read_url(slug, with_keys=[key], base=b))
    query = parse_qs(urlsplit(next_url).query)
    with_args, part_arg = query.get("with", [key]), (query.get("part") or [None])[0]
    actor_id = str(request.actor.get("id"))
    fields = {"row": post.get("row") or "", "target": post.get("target"), "above": post.get("above"),
              "below": post.get("below"), "pivot_at": post.get("pivot_at") or None,
              "target_at": post.get("target_at") or None, "who": {"actor": actor_id, "channel": "web"}}
    tdir = texts_dir(datasette)
    entry = auth.entry_of(datasette, request.actor)

    def write(conn):
        store = _store(conn, tdir)
        queries.wait_when_locked(conn, 10_000)
        focus = fields["row"]
        try:
            if op == "undo":
                last = queries.last_own_revision(conn, slug, key, actor_id)
                if last is None:
                    return {"error": f"Nothing of yours to undo in {key}.", "code": 400}
                rid = store.revert(last["id"], actor=actor_id)
                focus = last["address"] or ""
                message = f"Undid change #{last['id']}."
            elif op in OPERATIONS:
                if not fields["row"]:
                    return {"error": "No row given.", "code": 400}
                # Up to here, or from here on, within the part the page shows: a long work is shown a part at a
                # time, and aligning again from Genesis to the end of a Bible would hold every writer for a minute.
                if op == "confirm-through":
                    fields["start"] = _part_row(conn, version_id(slug, w["pivot"]), part_arg)
                if op == "realign":
                    fields["end"] = _part_row(conn, version_id(slug, w["pivot"]), part_arg, last=True)
                refused = _role_refusal(entry, conn, slug, key, w["pivot"], op, fields["row"])
                if refused:
                    return {"error": refused, "code": 403}
                now = row_token(conn, slug, key, w["pivot"], fields["row"])
                if now != (post.get("token") or ""):
                    return {"error": f"Not done: row {fields['row']} of {key} changed since the page was loaded. "
                                     "Here it is as it is now.", "code": 409}
                rid = OPERATIONS[op](store, slug, key, fields)
                focus = fields.get(FOCUS.get(op, "row")) or fields["row"]
                message = f"{DONE[op]} {fields['row']}." if rid is not None else f"Nothing to change at {fields['row']}."
            else:
                return {"error": f"Unknown operation {op!r}.", "code": 400}
        except AlignerError as e:
            return {"error": str(e), "code": 400}
        return {"revision": rid, "focus": focus, "message": message}

    result = await db.execute_write_fn(write)
    if tdir is not None and result.get("revision") is not None:
        await _dump_later(db, tdir, slug, key)
    if json_wanted:
        state = await db.execute_fn(lambda conn: page_state(conn, slug, with_args, part_arg, counts=False))
        context = rows_context(datasette, w, state, True)
        context["here"] = next_url
        html = await datasette.render_template("aligner_rows.html", context, request=request)
        if "error" in result:
            return json_response({"ok": False, "error": result["error"], "conflict": result["code"] == 409,
                                  "html": html}, status=result["code"])
        return json_response({"ok": True, "revision": result["revision"], "focus": result["focus"],
                              "message": result["message"], "html": html})
    if "error" in result:
        datasette.add_message(request, result["error"], datasette.ERROR)
        return Response.redirect(next_url.split("#", 1)[0] + _fragment(key, fields["row"]))
    datasette.add_message(request, result["message"], datasette.INFO)
    return Response.redirect(next_url.split("#", 1)[0] + _fragment(key, result["focus"]))


def _role_refusal(entry: dict | None, conn, work: str, key: str, pivot_key: str, op: str, row: str) -> str | None:
    """Why this translator may not do ``op`` on ``row`` (None: they may): confirming, and changing a confirmed
    row, are a supervisor's (:mod:`aligner.roles`), as in the edit form."""
    if op in ("confirm", "confirm-through"):
        return roles.refusal(entry, work, "confirmed", None)
    if op == "realign":  # it changes only rows nobody decided, whatever the row it starts from
        return roles.refusal(entry, work, "draft", None)
    state = queries.row_state(conn, version_id(work, key), version_id(work, pivot_key), key, row)
    return roles.refusal(entry, work, "draft", state["status"] if state else None)


#: Text records waiting to be written: (database, folder, work, version).
_PENDING_DUMPS: set[tuple] = set()


async def _dump_later(db, tdir, work: str, key: str) -> None:
    """Write the version's text record in the write thread after this answer, as the next write in line.

    Rewriting a Bible's record takes seconds, far longer than the operation; written behind the answer, every
    operation still reaches the files in order (the next write waits for it), and a burst of operations
    writes them once (a dump already waiting covers the later changes too).
    """
    mark = (db.name, str(tdir), work, key)
    if mark in _PENDING_DUMPS:
        return
    _PENDING_DUMPS.add(mark)

    def dump(conn):
        _PENDING_DUMPS.discard(mark)
        try:
            _store(conn, tdir).dump(tdir, work=work, key=key)
        except (AlignerError, OSError) as e:
            print(f"aligner: the text record of {work} {key} was not updated: {e}", file=sys.stderr)

    await db.execute_write_fn(dump, block=False)


def _part_row(conn, pivot_vid: str, part_arg: str | None, *, last: bool = False) -> str | None:
    """The first (``last``: last) pivot ref of the part a reading page shows (None when it shows the whole work)."""
    n, _ = choose_part(part_arg, pivot_divisions(conn, pivot_vid))
    return None if n is None else queries.first_ref(conn, pivot_vid, n, last=last)


def _fragment(key: str, row: str) -> str:
    """The anchor of a row's cell: a leftover's is its own name, a pivot row's its pivot ref (or the span's)."""
    if not row:
        return ""
    return "#" + slot_anchor(key, row) if ":" in row else fragment(row.split("-", 1)[0])
