"""The plugin package as Datasette sees it: its menu link, its stylesheet served from static/, 404s, escaping on every page."""

from __future__ import annotations

import hashlib
import re

import pytest

from aligner.corpus import Store
from aligner.web import pages

from .helpers import HOSTILE, WORK, datasette, get



@pytest.mark.asyncio
async def test_menu_link_and_css(ds):
    r = await get(ds, "/")
    assert 'href="/-/works"' in r.text
    r = await get(ds, f"/-/read/{WORK}")
    # Datasette serves the package's static/ folder; the URL carries the file's hash, so an edited
    # stylesheet is a new URL and no browser keeps the old one.
    css, version = re.search(r'href="(/-/static-plugins/aligner/aligner\.css)\?v=(\w+)"', r.text).groups()
    assert version == hashlib.sha1((pages.STATIC / "aligner.css").read_bytes()).hexdigest()[:10]
    c = await get(ds, f"{css}?v={version}")
    assert c.headers["content-type"].startswith("text/css") and ".parallel" in c.text
    # Nothing outside static/ (the plugin's own source, next to it) is served.
    for path in ("..%2F__init__.py", "../__init__.py", "%2E%2E/__init__.py", "nothing.css"):
        r = await get(ds, "/-/static-plugins/aligner/" + path, status=404)
        assert "hookimpl" not in r.text


@pytest.mark.asyncio
async def test_unknown_work_is_404(ds):
    for path in ("/-/read/nope", "/-/compare/nope", "/-/search/nope?q=x", "/-/map/nope/ru", "/-/work/nope"):
        await get(ds, path, status=404)


@pytest.mark.asyncio
async def test_hostile_text_is_escaped_everywhere(edited_db):
    Store(edited_db).set_slot(WORK, "ru", "24.1-24.2", HOSTILE + " заложник", "draft", actor="<b>mallory</b>")
    Store(edited_db).set_slot(WORK, "es", "24.1", HOSTILE, "draft", actor="x")
    ds = datasette(edited_db)
    pages = [
        f"/-/read/{WORK}?with=ru,es",
        f"/-/compare/{WORK}?a=ru&b=es",
        f"/-/search/{WORK}?q=заложник",
        f"/-/search/{WORK}?q=evil",
        f"/-/history/{WORK}",
    ]
    for path in pages:
        t = (await get(ds, path)).text
        assert "<script>alert" not in t, path
        assert "<b>mallory" not in t, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in t, path
        # A right-to-left override stays inside its element, isolated from the page around it.
        overrides = list(re.finditer("\u202e", t))
        assert overrides, path
        for m in overrides:
            before = t[:m.start()]
            assert before.rfind('dir="auto"') > before.rfind("</span>"), path
    # The history names who made each change: the hostile actor too, escaped.
    assert "&lt;b&gt;mallory&lt;/b&gt;" in (await get(ds, f"/-/history/{WORK}")).text
    t = (await get(ds, f"/-/search/{WORK}?q=%3Cscript%3E%22")).text
    assert "<script>\"" not in t and 'value="&lt;script&gt;&#34;"' in t
    data = (await get(ds, f"/-/read/{WORK}.json?with=ru")).json()
    texts = [s["text"] for b in data["rows"] for s in b["slots"]["ru"]]
    assert HOSTILE + " заложник" in texts


def test_each_status_has_its_own_colour_everywhere():
    """empty, auto, draft, confirmed and stale: five colours, and an empty slot on the map is drawn as empty."""
    import re

    from aligner.web.pages import STATIC

    css = (STATIC / "aligner.css").read_text("utf-8")
    colour = {name: re.search(rf"--al-{name}: ([^;]+);", css).group(1).strip()
              for name in ("empty", "auto", "draft", "confirmed", "warn")}
    assert len(set(colour.values())) == 5, colour
    assert ".align-map .map-gap { fill: var(--al-empty)" in css
    assert ".legend-item .map-gap { fill: var(--al-empty)" in css
    for status in ("confirmed", "draft", "auto", "empty"):
        assert f".mark.st-{status} {{ color: var(--al-{status}); }}" in css
        assert f".status-bar .st-{status}, .align-map .st-{status} {{ fill: var(--al-{status}); }}" in css
