"""Signing translators in and out (``/-/aligner-login``, ``/-/aligner-logout``).

A sign-in is Datasette's own signed ``ds_actor`` cookie, made by
:func:`.auth.actor_cookie` for a user name and password found in the users
file; the ``actor_from_request`` hook accepts it back only while that user's
password is unchanged and they have not signed out since.

Both forms check the CSRF token themselves (a cross-site form sends no
cookies, so Datasette's CSRF check lets it through): a page elsewhere can
neither sign a translator in as someone else nor sign them out. Signing out
ends the session on the server too (:func:`.auth.revoke_sessions`), so a copy
of the cookie is worthless afterwards. Failed sign-ins are throttled per user
and per client, and logged (:mod:`.guard`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math

from datasette.utils.asgi import Response

from . import auth, guard
from .pages import base, common, render, safe_next

log = logging.getLogger("aligner.login")


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
        if not _csrf_ok(request, post):
            error = "The form has expired: please try again."
            status = 403
        elif wait := guard.login_wait(datasette, username, client := guard.client_of(request)):
            # Refused before the password is checked: a right guess now is worth nothing.
            log.warning("sign-in for %r from %s refused: too many failures", username, client)
            error = f"Too many failed sign-ins: try again in {math.ceil(wait / 60)} minute(s)."
            status = 429
        else:
            actor = await asyncio.to_thread(auth.authenticate, datasette, username, post.get("password") or "")
            if actor:
                guard.login_succeeded(datasette, username, client)
                response = Response.redirect(next_url)
                response.set_cookie("ds_actor", auth.actor_cookie(datasette, actor), httponly=True, samesite="lax")
                datasette.add_message(request, f"Signed in as {actor['id']}.", datasette.INFO)
                return response
            guard.login_failed(datasette, username, client)
            log.warning("failed sign-in for %r from %s", username, client)
            error = "Wrong user name or password."
            status = 401
    elif request.method != "GET":
        return Response.text("Method not allowed", status=405)
    return await render(datasette, request, "aligner_login.html", {
        **common(datasette), "next": next_url, "error": error, "username": username, "configured": configured,
        "action": b + "-/aligner-login",
    }, status=status)


def _csrf_ok(request, post: dict) -> bool:
    cookie_token = request.cookies.get("ds_csrftoken") or ""
    given = str(post.get("csrftoken") or "")
    return bool(cookie_token) and hmac.compare_digest(given.encode("utf-8"), cookie_token.encode("utf-8"))


async def logout_view(datasette, request):
    b = base(datasette)
    if request.method == "POST":
        post = await request.post_vars()
        if not _csrf_ok(request, post):
            return Response.text("The form has expired (CSRF token missing or wrong): sign out again.", status=403)
        response = Response.redirect(safe_next(post.get("next"), b + "-/works"))
        if request.actor and "aligner" in request.actor:
            name = str(request.actor.get("id"))
            if not await asyncio.to_thread(auth.revoke_sessions, datasette, name):
                log.warning("sign-out of %r could not be written to the sign-out record: it holds until restart", name)
        response.set_cookie("ds_actor", "", expires=0, max_age=0)
        datasette.add_message(request, "Signed out.", datasette.INFO)
        return response
    if request.method != "GET":
        return Response.text("Method not allowed", status=405)
    if not request.actor:
        return Response.redirect(b + "-/works")
    return await render(datasette, request, "aligner_logout.html", {
        **common(datasette), "action": b + "-/aligner-logout", "next": safe_next(request.args.get("next"), b + "-/works"),
    })
