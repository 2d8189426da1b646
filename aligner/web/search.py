"""Search in every language of a work (``/-/search/<work>?q=..&lang=..``), each hit linked to its sentence.

The full-text index (FTS5) finds the segments; this module decides how a
hit is shown: its snippet with the matched words marked (Russian forms
through their lemma, ё as е, Latin diacritics ignored) and the pivot
sentence it is aligned to.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from urllib.parse import urlencode

from ..corpus import queries
from ..text.search import fold, lemma, normalize_query
from .pages import (
    base, common, find_work, id_fragment, json_response, page_number, pivot_of, q, read_fn, read_url, render, slot_anchor,
    wants_json,
)

SEARCH_PAGE_SIZE = 50
#: What one search may ask: a sentence's worth of words. Each word is a term the index must intersect
#: and each hit is highlighted word by word, so the cost grows with both; beyond this it is refused.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 16
_WORD = re.compile(r"\w+", re.UNICODE)


def query_problem(query: str) -> str | None:
    """Why a query is refused (too long, too many different words), or None."""
    if len(query) > MAX_QUERY_CHARS:
        return f"The search is too long: at most {MAX_QUERY_CHARS} characters."
    if len(set(_WORD.findall(query.lower()))) > MAX_QUERY_WORDS:
        return f"The search has too many words: at most {MAX_QUERY_WORDS} different words."
    return None


def _plain(word: str) -> str:
    """Lower case, ё folded, Latin diacritics removed: how the index compares words."""
    w = fold(word).lower()
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def _query_forms(query: str) -> list[set[str]]:
    forms = []
    for word in _WORD.findall(query):
        f = {_plain(word)}
        if re.search(r"[А-Яа-яЁё]", word):
            f.add(_plain(lemma(word)))
        forms.append(f)
    return forms


def _word_matches(word: str, forms: list[set[str]]) -> bool:
    p = _plain(word)
    cyr = re.search(r"[А-Яа-яЁё]", word) is not None
    lem = _plain(lemma(word)) if cyr else None
    for f in forms:
        for form in f:
            if p == form or (lem and lem == form):
                return True
            # English stemming in the index: "create" finds "created", "creation".
            if not cyr and len(form) >= 4 and (p.startswith(form[: max(4, len(form) - 2)]) and len(p) - len(form) <= 4):
                return True
    return False


def highlight(text: str, query: str, width: int = 240, forms: list[set[str]] | None = None) -> list[tuple[bool, str]]:
    """A snippet of ``text`` as ``(is_hit, piece)`` pairs, around the first word the query matched
    (``forms``: the query's word forms, when the caller has them already)."""
    forms = _query_forms(query) if forms is None else forms
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text) if _word_matches(m.group(), forms)]
    start, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
    out: list[tuple[bool, str]] = []
    if start > 0:
        out.append((False, "… "))
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        if a > pos:
            out.append((False, text[pos:a]))
        out.append((True, text[a:b]))
        pos = b
    if pos < end:
        out.append((False, text[pos:end]))
    if end < len(text):
        out.append((False, " …"))
    return out


def search(conn: sqlite3.Connection, work: str, query: str, keys: list[str] | None, *, lang: str | None = None,
           limit: int = SEARCH_PAGE_SIZE, offset: int = 0) -> dict:
    """Full-text search over the segments of ``work`` (of the versions in ``keys``, or all).

    Each hit carries the pivot sentence it is aligned to (``pivot_ref``,
    ``division``) so a page can link to it on the reading page.
    """
    match = normalize_query(query or "", lang)
    vs = queries.versions(conn, work)
    by_vid = {v["id"]: v for v in vs}
    vids = [v["id"] for v in vs if keys is None or v["key"] in keys]
    if not match or not vids:
        return {"total": 0, "hits": [], "match": match}
    try:
        found = queries.search_segments(conn, match, vids, limit=limit, offset=offset)
    except sqlite3.OperationalError as e:
        if "interrupted" in str(e):
            raise  # over the time limit: the page says so (pages.read_fn)
        return {"total": 0, "hits": [], "match": match, "error": str(e)}
    forms = _query_forms(query)
    pivot_vid = pivot_of(vs)["id"]
    hits = []
    for r in found["rows"]:
        v = by_vid[r["version"]]
        if v["is_pivot"]:
            pref, pdiv, address, status = r["ref"], r["division"], r["ref"], None
        else:
            link = queries.aligned_pivot(conn, r["id"])
            pref, pdiv, address, status = link if link else (None, None, None, None)
            if address is None:
                address = r["ref"].lstrip("@")
            if link and pref is None:  # a sentence with no pivot counterpart (a title): its row's part
                pdiv = queries.leftover_division(conn, r["id"], pivot_vid)
        pivot_text = None
        if pref and not v["is_pivot"]:
            pivot_text = queries.segment_text(conn, pivot_vid, pref)
        hits.append({
            "key": v["key"],
            "language": v["language"],
            "version_label": v["label"],
            "is_pivot": v["is_pivot"],
            "ref": address,
            "text": r["text"],
            "snippet": highlight(r["text"], query, forms=forms),
            "pivot_ref": pref,
            "pivot_text": pivot_text,
            "division": pdiv,
            "status": status,
        })
    return {"total": found["total"], "hits": hits, "match": match}


async def search_view(datasette, request):
    slug, fmt = request.url_vars["work"], request.url_vars.get("format")
    db, w = await find_work(datasette, request, slug)
    query = (request.args.get("q") or "").strip()
    lang = (request.args.get("lang") or "").strip()
    page = page_number(request)
    problem = query_problem(query)

    def fn(conn):
        vs = queries.versions(conn, slug)
        keys = None
        qlang = None
        if lang:
            keys = [v["key"] for v in vs if v["key"] == lang or v["language"] == lang]
            langs = {v["language"] for v in vs if v["key"] in keys}
            qlang = langs.pop() if len(langs) == 1 else None
        result = search(conn, slug, query, keys, lang=qlang, limit=SEARCH_PAGE_SIZE,
                            offset=(page - 1) * SEARCH_PAGE_SIZE) if query and not problem else {"total": 0, "hits": []}
        if problem:
            result["error"] = problem
        return vs, result

    vs, result = await read_fn(datasette, db, fn)
    pv = pivot_of(vs)
    for h in result["hits"]:
        with_keys = [] if h["is_pivot"] else [h["key"]]
        if h["pivot_ref"]:
            h["url"] = read_url(slug, part=h["division"], with_keys=with_keys or None, ref=h["pivot_ref"],
                                base=base(datasette))
        elif h["division"] is not None:  # a row of the version's own (0:1): its part, at its cell
            h["url"] = (read_url(slug, part=h["division"], with_keys=with_keys or None, base=base(datasette))
                        + id_fragment(slot_anchor(h["key"], f"{h['key']}:{h['ref']}")))
        else:
            h["url"] = read_url(slug, base=base(datasette))
    if wants_json(request, fmt):
        if problem:
            return json_response({"ok": False, "error": problem}, status=400)
        return json_response({
            "work": slug, "q": query, "lang": lang or None, "total": result["total"], "page": page,
            "hits": [{k: h[k] for k in ("key", "language", "ref", "text", "pivot_ref", "division", "url")} for h in result["hits"]],
        })
    languages = []
    for v in vs:
        if v["language"] not in languages:
            languages.append(v["language"])
    search_base = base(datasette) + "-/search/" + q(slug)

    def page_url(p):
        params = {"q": query}
        if lang:
            params["lang"] = lang
        if p > 1:
            params["page"] = p
        return search_base + "?" + urlencode(params)

    pages = (result["total"] + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE
    return await render(datasette, request, "aligner_search.html", {
        **common(datasette, w, vs), "pivot": pv, "q": query, "lang": lang, "languages": languages,
        "result": result, "page": page, "pages": pages, "search_base": search_base,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "first": (page - 1) * SEARCH_PAGE_SIZE + 1,
    }, status=400 if problem else 200)
