"""What every page of the plugin shares: finding the work, URLs and anchors, parts, rendering, JSON.

The page families (:mod:`.read`, :mod:`.compare`, :mod:`.search`,
:mod:`.map`, :mod:`.history`, :mod:`.edit`, :mod:`.login`) each build their
context from the read layer (:mod:`aligner.corpus.queries`) and render it
through the helpers here, so a link, a part picker or a JSON answer looks
the same on every page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from datasette.utils.asgi import NotFound, Response

from ..corpus import queries
from ..corpus.schema import version_id
from .. import roles
from . import auth, svg

HERE = Path(__file__).parent
STATIC = HERE / "static"
#: The permission a translator holds; checked by :func:`can_edit`, granted in the ``permission_allowed`` hook.
EDIT_ACTION = roles.EDIT
ENV_TEXTS = "ALIGNER_TEXTS"
#: A work with at most this many pivot sentences is shown on one page by default.
ONE_PAGE_LIMIT = 800
#: Beyond this many pivot sentences a work cannot be shown all at once.
ALL_PAGE_LIMIT = 3000
STATUS_MARKS = {"confirmed": "✓", "draft": "◔", "auto": "≈", "empty": "·"}
STATUS_HELP = {
    "confirmed": "confirmed by a translator",
    "draft": "draft",
    "auto": "aligned automatically, not yet checked",
    "empty": "not translated yet",
}

# ---------------------------------------------------------------------------
# URLs and anchors


def anchor(ref: str) -> str:
    """The HTML id of a pivot sentence: ``s-24.1`` (whitespace, which ids cannot hold, becomes ``_``)."""
    return "s-" + re.sub(r"\s", "_", str(ref))


def short_ref(ref: str) -> str:
    """A ref as the margin shows it: ``Gen.1.3.1`` is verse ``3`` (``3.2`` for its second sentence); ``24.1`` stays."""
    parts = str(ref).split(".")
    if len(parts) >= 4:
        verse, sentence = parts[-2], parts[-1]
        return verse if sentence == "1" else f"{verse}.{sentence}"
    return str(ref)


def slot_anchor(key: str, address: str) -> str:
    return re.sub(r"\s", "_", f"{key}-{address}")


def q(part: str) -> str:
    """Quote one path component."""
    return quote(str(part), safe="")


def fragment(ref: str) -> str:
    """``#s-24.1``: the link to a pivot sentence on the reading page."""
    return id_fragment(anchor(ref))


def id_fragment(html_id: str) -> str:
    """``#`` and an element's id, quoted as a URL fragment (``:`` and ``/`` kept)."""
    return "#" + quote(html_id, safe="-._~!$&'()*+,;=:@/")


def read_url(work: str, *, part=None, with_keys=None, ref: str | None = None, base: str = "/") -> str:
    params = []
    if part is not None:
        params.append(("part", str(part)))
    if with_keys:
        params.append(("with", ",".join(with_keys)))
    url = f"{base}-/read/{q(work)}"
    if params:
        url += "?" + urlencode(params, safe=",")
    if ref:
        url += fragment(ref)
    return url


def edit_url(work: str, key: str, address: str, base: str = "/") -> str:
    return f"{base}-/edit/{q(work)}/{q(key)}/{q(address)}"


def op_url(work: str, key: str, base: str = "/") -> str:
    """The editor's endpoint for the row operations on one version (:mod:`.editor`)."""
    return f"{base}-/op/{q(work)}/{q(key)}"


def base(datasette) -> str:
    return str(datasette.urls.path("/"))


#: What a same-site path may hold: RFC 3986's path, query and fragment characters, nothing else (no
#: space, tab, CR, LF or other control, no backslash, nothing beyond ASCII).
_SAFE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?#%]*")


def safe_next(value: str | None, fallback: str) -> str:
    """A path on this site to go back to (``/`` then path characters only, never ``//``); anything else
    becomes ``fallback``.

    An allow-list, not a block-list: browsers drop tabs and line breaks and read ``\\`` as ``/``, so
    ``/<TAB>/evil.example`` would be another host, and a CR in a ``Location`` header makes the server
    drop the connection.
    """
    if value and _SAFE_PATH.fullmatch(value):
        return value
    return fallback


# ---------------------------------------------------------------------------
# Static files: Datasette serves a plugin package's static/ at /-/static-plugins/<plugin>/


@lru_cache(maxsize=None)
def _static_hash(name: str) -> str:
    try:
        return hashlib.sha1((STATIC / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


@lru_cache(maxsize=1)
def _plugin_name() -> str:
    """The name Datasette serves our static folder under: the distribution's (``aligner``) when
    installed, the module's (``aligner.web``) when registered by hand."""
    from datasette.plugins import get_plugins

    for p in get_plugins():
        if p["static_path"] and Path(p["static_path"]).resolve() == STATIC.resolve():
            return p["name"]
    return "aligner"


def static_url(datasette, name: str) -> str:
    """The URL of one of our static files, with its content hash so a changed file is fetched anew."""
    return datasette.urls.static_plugins(_plugin_name(), name) + "?v=" + _static_hash(name)


# ---------------------------------------------------------------------------
# Requests and responses


def texts_dir(datasette) -> Path | None:
    """Where a saved edit is dumped as text: plugin config ``texts_dir``, else ``$ALIGNER_TEXTS``."""
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


#: The last page number a paged page accepts: far beyond any real list, far below SQLite's integer range.
MAX_PAGE = 100_000


def page_number(request) -> int:
    """``?page=N``, at least 1 and at most :data:`MAX_PAGE` (a huge number would overflow SQLite's OFFSET)."""
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page") or 1)))
    except ValueError:
        return 1


async def read_fn(datasette, db, fn):
    """Run a page's read ``fn(conn)`` on ``db`` under Datasette's own time limit (``sql_time_limit_ms``):
    a query that runs longer is interrupted and the page answers 400, as Datasette's SQL pages do."""
    from datasette.utils import sqlite_timelimit
    from datasette.views.base import DatasetteError

    ms = datasette.setting("sql_time_limit_ms")

    def timed(conn):
        with sqlite_timelimit(conn, ms):
            return fn(conn)

    try:
        return await db.execute_fn(timed)
    except sqlite3.OperationalError as e:
        if "interrupted" not in str(e):
            raise
        raise DatasetteError(f"This page took longer than the time limit ({ms} ms) and was stopped.",
                             title="Too slow", status=400) from None


async def corpus_databases(datasette) -> list:
    """Datasette databases that hold an aligner corpus (optionally just the configured one)."""
    only = auth.plugin_config(datasette).get("database")
    out = []
    for name, db in datasette.databases.items():
        if name == "_internal" or (only and name != only):
            continue
        try:
            if await db.execute_fn(queries.is_corpus):
                out.append(db)
        except Exception:
            continue
    return out


async def find_work(datasette, request, work: str):
    """``(db, work row)`` for a work slug, checking the reader may see that database."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    for db in await corpus_databases(datasette):
        row = await db.execute_fn(lambda conn: queries.work_row(conn, work))
        if row:
            await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
            return db, row
    raise NotFound(f"No work called {work!r}")


async def can_edit(datasette, request, db, work: str) -> bool:
    if not db.is_mutable:
        return False
    return bool(await datasette.permission_allowed(request.actor, EDIT_ACTION, resource=work, default=False))


async def render(datasette, request, template: str, context: dict, status: int = 200, editor: bool = False) -> Response:
    html = await datasette.render_template(template, context, request=request)
    headers = {"Cache-Control": "no-store"} if editor else {}
    return Response.html(html, status=status, headers=headers)


def common(datasette, w: dict | None = None, vs: list | None = None) -> dict:
    """The context every template gets (``aligner_base.html`` and the macros use it)."""
    return {
        "base": base(datasette),
        "work": w,
        "versions": vs or [],
        "marks": STATUS_MARKS,
        "status_help": STATUS_HELP,
        "svg": svg,
        "web": sys.modules[__name__],  # web.q, web.ALL_PAGE_LIMIT
        "static_url": lambda name: static_url(datasette, name),
    }


# ---------------------------------------------------------------------------
# Parts (divisions) of a long work


def choose_part(arg: str | None, divs: list[dict]) -> tuple[int | None, str | None]:
    """Which division a page shows: ``(n, None)``, or ``(None, None)`` for the whole work.

    ``part`` is a division number or ``all``. Without it, a short work is
    shown whole and a long one from its first division; ``all`` is refused
    (with a message) for a work too long to show on one page.
    """
    total = sum(d["count"] for d in divs)
    ns = [d["n"] for d in divs]
    if arg in (None, ""):
        return (None, None) if total <= ONE_PAGE_LIMIT or not ns else (ns[0], None)
    if arg == "all":
        if total <= ALL_PAGE_LIMIT:
            return None, None
        return ns[0], f"This work has {total:,} sentences: it is shown one part at a time."
    try:
        n = int(arg)
    except ValueError:
        return (ns[0] if ns else None), f"No part {arg!r}; showing the first."
    if n not in ns:
        return (ns[0] if ns else None), f"No part {n}; showing the first."
    return n, None


def _is_part_0(arg: str | None) -> bool:
    try:
        return arg is not None and int(arg) == 0
    except ValueError:
        return False


async def old_part_redirect(datasette, request, db, w: dict) -> Response | None:
    """An old link to ``part=0`` sent on to the first part (301), the rest of its query kept; else None.

    Parts are counted from 1 in every work. A work's front matter (title, byline, source) was once a part 0 of
    its own; it now opens part 1, as a title page precedes a first chapter, so that is where such a link leads
    (a ``#s-..`` fragment is kept by the browser). Any other unknown part is shown as the first, with a note
    (:func:`choose_part`); a database still numbered from 0 (built before, never opened since) keeps its part 0.
    """
    if not _is_part_0(request.args.get("part")):
        return None
    divs = await read_fn(datasette, db, lambda conn: pivot_divisions(conn, version_id(w["id"], w["pivot"])))
    if not divs or any(d["n"] == 0 for d in divs):
        return None
    first = str(divs[0]["n"])
    params = [(k, first if k == "part" else v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)]
    # The path as the client asked for it (with any base_url), never one a browser reads as another host ("//").
    return Response.redirect("/" + request.path.lstrip("/") + "?" + urlencode(params, safe=","), status=301)


def neighbours(divs: list[dict], n: int | None) -> tuple[dict | None, dict | None]:
    if n is None:
        return None, None
    ns = [d["n"] for d in divs]
    i = ns.index(n)
    return (divs[i - 1] if i > 0 else None), (divs[i + 1] if i + 1 < len(divs) else None)


def part_links(page_base: str, params: dict, divs: list, n) -> dict:
    """Previous and next part of a paged page, and ``url(part)`` for any part."""
    def url(part):
        p = {k: v for k, v in params.items() if v}
        if part is not None:
            p["part"] = part
        return page_base + ("?" + urlencode(p, safe=",") if p else "")

    prev, nxt = neighbours(divs, n)
    return {
        "prev": {"url": url(prev["n"]), "label": prev["label"]} if prev else None,
        "next": {"url": url(nxt["n"]), "label": nxt["label"]} if nxt else None,
        "url": url,
    }


_DIVISIONS: dict[tuple, list[dict]] = {}


def pivot_divisions(conn, pivot_vid: str) -> list[dict]:
    """:func:`queries.divisions` of a pivot, kept until the database is built again (a pivot's text changes only
    through a build): counting the sentences of every part of a Bible takes longer than an editor's operation."""
    key = (queries.database_file(conn), pivot_vid, queries.build_stamp(conn))
    if key[2] is None:
        return queries.divisions(conn, pivot_vid)
    found = _DIVISIONS.get(key)
    if found is None:
        if len(_DIVISIONS) > 64:
            _DIVISIONS.clear()
        found = _DIVISIONS[key] = queries.divisions(conn, pivot_vid)
    return [dict(d) for d in found]


def part_label(divs: list[dict], n) -> str | None:
    return next((d["label"] for d in divs if d["n"] == n), None)


def pivot_of(vs: list[dict]) -> dict:
    return next(v for v in vs if v["is_pivot"])
