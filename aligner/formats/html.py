"""The parallel reading page as one standalone HTML file, for readers without a server.

The page is the plugin's own reading page (``/-/read/<work>``), rendered by
Datasette in-process and made self-contained: stylesheets inlined, scripts,
forms and site navigation removed, links that need the server dropped, the
sentence permalinks (``#s-24.1``) kept. So the file looks like the site and
there is only one reading view to maintain. Long works are rendered part by
part and joined.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import lxml.html

from ..corpus import queries
from ..corpus.schema import version_id
from .base import WorkFormat


def _get(ds, path: str) -> str:
    async def fetch():
        r = await ds.client.get(path)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {r.status_code}")
        return r.text

    return asyncio.run(fetch())


def export_html(store, work: str, keys: list[str] | None = None) -> bytes:
    """The work's parallel text (pivot beside ``keys``, default: versions with text) as standalone HTML."""
    import datasette
    from datasette.app import Datasette

    from ..web import ensure_registered
    from ..web import pages as web

    ensure_registered()
    w = store.work(work)
    if keys:
        keys = [store.version(w["id"], k)["key"] for k in keys]
    db_file = queries.database_file(store.db.conn)
    ds = Datasette([db_file], immutables=[], settings={"truncate_cells_html": 0})
    params = {"with": ",".join(keys)} if keys else {}
    base = f"/-/read/{web.q(w['id'])}"
    info = json.loads(_get(ds, base + ".json?" + urlencode({**params, "part": "all"} if _small(store, w) else params)))
    if _small(store, w):
        pages = [_get(ds, base + "?" + urlencode({**params, "part": "all"}))]
    else:
        pages = [_get(ds, base + "?" + urlencode({**params, "part": d["n"]})) for d in info["parts"]]
    doc = lxml.html.fromstring(pages[0])
    main = doc.find_class("parallel")[0]
    for extra in pages[1:]:
        other = lxml.html.fromstring(extra).find_class("parallel")[0]
        for child in list(other)[1:]:  # skip the repeated column heads
            main.append(child)
    for el in doc.xpath("//script | //form | //nav | //footer | //*[contains(@class, 'crumbs')]"
                        " | //*[contains(@class, 'edit-link')] | //*[contains(@class, 'legend')]//a"
                        " | //header | //*[contains(@class, 'message-warning')]"):
        el.getparent().remove(el)
    css = [Path(datasette.__file__).parent / "static" / "app.css", web.STATIC / "aligner.css"]
    for link in doc.xpath("//link"):
        link.getparent().remove(link)
    head = doc.find("head")
    style = lxml.html.Element("style")
    style.text = "\n".join(p.read_text("utf-8") for p in css if p.exists())
    head.append(style)
    for a in doc.xpath("//a[@href]"):
        href = a.get("href")
        if href.startswith("#"):
            continue
        if "#" in href and href.split("#", 1)[0].startswith(base):
            a.set("href", "#" + href.split("#", 1)[1])
        else:
            del a.attrib["href"]
    note = lxml.html.fromstring(
        f"<p class='export-note'>Exported from the aligned corpus: {len(info['rows'])} rows"
        f"{' in the first part' if not _small(store, w) else ''}.</p>")
    main.addprevious(note)
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="utf-8", method="html")


def _small(store, w: dict) -> bool:
    from ..web import pages as web

    return queries.segment_count(store.db.conn, version_id(w["id"], w["pivot"])) <= web.ALL_PAGE_LIMIT


class HtmlFormat(WorkFormat):
    name = "html"
    label = "HTML"
    suffixes = (".html", ".htm")
    media_type = "text/html"

    def render(self, store, work: str, keys: list[str] | None) -> bytes:
        return export_html(store, work, keys)

    def sniff(self, head: bytes, root: str | None) -> bool:
        return head.lstrip()[:15].lower() == b"<!doctype html>"
