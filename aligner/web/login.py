"""Signing translators in and out (``/-/aligner-login``, ``/-/aligner-logout``).

A sign-in is Datasette's own signed ``ds_actor`` cookie, made by
:func:`.auth.actor_cookie` for a user name and password found in the users
file; the ``actor_from_request`` hook accepts it back only while that user's
password is unchanged.
"""

from __future__ import annotations

import asyncio

from datasette.utils.asgi import Response

from . import auth
from .pages import base, common, render, safe_next


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
        **common(datasette), "next": next_url, "error": error, "username": username, "configured": configured,
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
        **common(datasette), "action": b + "-/aligner-logout", "next": safe_next(request.args.get("next"), b + "-/works"),
    })
