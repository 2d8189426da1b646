"""The standalone HTML page: the plugin's reading page with its stylesheets inlined."""

from __future__ import annotations

from pathlib import Path

import datasette

from aligner.formats.html import export_html

from .helpers import ROOT, WORK


def test_both_stylesheets_are_inlined(store):
    html = export_html(store, WORK).decode("utf-8")
    ours = (ROOT / "aligner").rglob("aligner.css")
    css = [next(ours), Path(datasette.__file__).parent / "static" / "app.css"]
    for path in css:
        # the first rule of each file, verbatim: the file was found and inlined
        first = path.read_text("utf-8").split("}", 1)[0]
        assert first in html, path
