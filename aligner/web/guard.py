"""What keeps a hostile visitor out: body limits, security headers, Secure cookies, sign-in throttling,
and the role check before a save.

Most of it sits in front of Datasette as an ASGI wrapper (:func:`wrap`,
installed by the ``asgi_wrapper`` hook), so it holds for every response,
Datasette's own pages included:

* a request body over ``max_body_bytes`` (plugin configuration, default
  :data:`MAX_BODY_BYTES`) is refused with 413 before the application reads
  it: at once when ``Content-Length`` says so, else as soon as the streamed
  bytes pass the limit; at most the limit is ever held in memory;
* every response gets ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``
  (no page, the editor's Save button least of all, can be framed),
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``; the
  plugin's own pages get a strict Content-Security-Policy (scripts from this
  site only);
* Datasette's own ``/-/logout`` is answered by the plugin's sign-out, which
  checks the CSRF token and ends the session on the server (:mod:`.login`);
* behind HTTPS, ``secure_cookies: true`` (or ``ALIGNER_SECURE_COOKIES=1``,
  which ``aligner serve --secure-cookies`` sets) marks every cookie
  ``Secure`` and sends ``Strict-Transport-Security``.

Sign-in attempts are throttled per user name and per client address
(:class:`Throttle`, in memory, bounded), and every failure is logged to the
``aligner.login`` logger.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict

from .. import roles
from ..corpus import queries
from . import auth

#: Largest request body accepted (a slot's text is far smaller); plugin configuration ``max_body_bytes``.
MAX_BODY_BYTES = 1024 * 1024
ENV_SECURE = "ALIGNER_SECURE_COOKIES"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
#: For every response: no framing, from anywhere.
FRAME_CSP = b"frame-ancestors 'none'"
#: For the plugin's pages: everything from this site; inline style attributes (the reading grid) only.
PAGE_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: The plugin's pages: the routes of ``register_routes`` in ``__init__.py``.
_PLUGIN_PAGE = re.compile(r"/-/(works|work|read|compare|search|map|history|edit|aligner-login|aligner-logout)(/|\.json|$)")
HSTS = (b"strict-transport-security", b"max-age=31536000")


def secure_cookies(datasette) -> bool:
    configured = auth.plugin_config(datasette).get("secure_cookies")
    if configured is not None:
        return bool(configured)
    return os.environ.get(ENV_SECURE, "").lower() in ("1", "true", "yes", "on")


def max_body_bytes(datasette) -> int:
    return int(auth.plugin_config(datasette).get("max_body_bytes") or MAX_BODY_BYTES)


def _header(scope, name: bytes) -> bytes | None:
    for k, v in scope.get("headers") or []:
        if k.lower() == name:
            return v
    return None


async def _refuse(send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *HEADERS, (b"content-security-policy", FRAME_CSP)]})
    await send({"type": "http.response.body", "body": body})


def _secure_cookie(value: bytes) -> bytes:
    return value if b"; secure" in value.lower() else value + b"; Secure"


def wrap(app, datasette):
    """The ASGI wrapper: body limit, headers and Secure cookies around Datasette's application."""

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope.get("path") == str(datasette.urls.logout()):
            # Datasette's own "Log out" (its menu) only drops the cookie: ours also ends the session.
            path = str(datasette.urls.path("/-/aligner-logout"))
            scope = {**scope, "path": path, "raw_path": path.encode()}
        limit = max_body_bytes(datasette)
        secure = secure_cookies(datasette)
        page = bool(_PLUGIN_PAGE.search(scope.get("path") or ""))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                have = {k.lower() for k, _ in headers}
                headers += [h for h in HEADERS if h[0] not in have]
                if b"content-security-policy" not in have:
                    headers.append((b"content-security-policy", PAGE_CSP if page else FRAME_CSP))
                if secure:
                    headers = [(k, _secure_cookie(v)) if k.lower() == b"set-cookie" else (k, v) for k, v in headers]
                    if b"strict-transport-security" not in have:
                        headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        if scope.get("method") not in _BODY_METHODS:
            return await app(scope, receive, send_with_headers)
        declared = _header(scope, b"content-length")
        try:
            if declared is not None and int(declared) > limit:
                return await _refuse(send_with_headers, 413, f"Request body too large (the limit is {limit:,} bytes).")
        except ValueError:
            return await _refuse(send_with_headers, 400, "Bad Content-Length.")
        # Read the body here, counting, so the application never sees more than the limit.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _refuse(send_with_headers, 413, f"Request body too large (the limit is {limit:,} bytes).")
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await app(scope, replay, send_with_headers)

    return guarded


# ---------------------------------------------------------------------------
# Sign-in throttling


class Throttle:
    """Failed sign-ins per key (a user name, a client address) in a sliding window; at most ``capacity``
    keys are remembered (the least recently failed are forgotten first), so memory stays bounded."""

    def __init__(self, limit: int, window: float, capacity: int = 10_000, clock=time.monotonic):
        self.limit, self.window, self.capacity, self.clock = limit, window, capacity, clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, key: str) -> list[float]:
        now = self.clock()
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[-self.limit] + self.window - self.clock())

    def failed(self, key: str) -> None:
        times = self._recent(key)
        times.append(self.clock())
        self._failures[key] = times[-self.limit:]
        self._failures.move_to_end(key)
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


#: Five wrong passwords for one user, or twenty from one client, in fifteen minutes: wait.
USER_FAILURES, CLIENT_FAILURES, WINDOW = 5, 20, 15 * 60


def _throttles(datasette) -> tuple[Throttle, Throttle]:
    """This server's throttles (per user name, per client), made on first use."""
    found = getattr(datasette, "_aligner_throttles", None)
    if found is None:
        found = (Throttle(USER_FAILURES, WINDOW), Throttle(CLIENT_FAILURES, WINDOW))
        datasette._aligner_throttles = found
    return found


def client_of(request) -> str:
    """The client's address as the server saw it (behind a proxy, run uvicorn with --proxy-headers)."""
    client = request.scope.get("client")
    return str(client[0]) if client else "unknown"


def login_wait(datasette, username: str, client: str) -> float:
    """Seconds before this user name or client may try to sign in again."""
    users, clients = _throttles(datasette)
    return max(users.retry_after(username), clients.retry_after(client))


def login_failed(datasette, username: str, client: str) -> None:
    users, clients = _throttles(datasette)
    users.failed(username)
    clients.failed(client)


def login_succeeded(datasette, username: str, client: str) -> None:
    """A right password clears that user's failures; the client's stay (one good account must not buy a
    client fresh guesses at others)."""
    users, _ = _throttles(datasette)
    users.clear(username)


# ---------------------------------------------------------------------------
# Roles, before a save


async def save_refusal(datasette, actor, db, work: str, key: str, address: str, status: str) -> str | None:
    """Why ``actor`` may not save ``status`` into this slot (None: they may). The slot's current statuses
    are read here; a change between this read and the save is caught by the revision token."""
    entry = auth.entry_of(datasette, actor)
    current = await db.execute_fn(lambda conn: queries.slot_statuses(conn, work, key, address))
    old = "confirmed" if "confirmed" in current else (next(iter(current)) if current else None)
    return roles.refusal(entry, work, status, old)


def form_statuses(datasette, actor, work: str, statuses: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses the edit form offers this translator."""
    return roles.statuses_for(auth.entry_of(datasette, actor), work, statuses)
