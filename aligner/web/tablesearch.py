"""Datasette's own table search on ``segments``, normalised like the plugin's search.

``/corpus/segments?_search=заложником`` is handed straight to FTS5 by Datasette, which matches words as
typed: no Russian inflection, no ``ё``. An ASGI wrapper rewrites the ``_search`` parameters of requests for
the ``segments`` table into the same FTS query the plugin's search makes (:func:`normalize_query`, which
matches the keys indexed in the ``search`` column), with ``_searchmode=raw`` so Datasette passes it on.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from ..text.search import normalize_query

_SEGMENTS = re.compile(r"^/[^/]+/segments(\.(json|csv))?$")
#: Longer queries are left as typed (Datasette escapes them); the plugin's search has its own bound.
MAX_QUERY = 500


def _is_search(key: str) -> bool:
    return key == "_search" or (key.startswith("_search_") and key != "_searchmode")


def rewrite_query_string(query_string: str) -> str | None:
    """The query string with its searches normalised, or None when there is nothing to rewrite."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not any(_is_search(k) and v.strip() for k, v in pairs) or any(k == "_searchmode" for k, _ in pairs):
        return None
    out = []
    for k, v in pairs:
        if _is_search(k) and v.strip() and len(v) <= MAX_QUERY:
            v = normalize_query(v) or v
        out.append((k, v))
    return urlencode(out + [("_searchmode", "raw")])


def search_rewriter(app):
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and scope.get("query_string") and _SEGMENTS.match(scope.get("path", "")):
            rewritten = rewrite_query_string(scope["query_string"].decode("latin-1"))
            if rewritten is not None:
                scope = dict(scope, query_string=rewritten.encode("latin-1"))
        await app(scope, receive, send)

    return wrapped
