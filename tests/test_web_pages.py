"""What the pages share (aligner.web.pages): anchors and URLs, the part a page shows, safe redirects."""

from __future__ import annotations

import pytest

from aligner.web import pages

DIVS = [{"n": 1, "label": "Gen 1", "count": 500}, {"n": 2, "label": "Gen 2", "count": 500}]


def test_anchors_and_urls():
    assert pages.anchor("24.1") == "s-24.1" and pages.anchor("a b") == "s-a_b"
    assert [pages.short_ref(r) for r in ("Gen.1.3.1", "Gen.1.3.2", "24.1")] == ["3", "3.2", "24.1"]
    assert pages.read_url("w x", part=2, with_keys=["ru", "es"], ref="24.1") == "/-/read/w%20x?part=2&with=ru,es#s-24.1"
    assert pages.edit_url("w", "ru", "24.1-24.2", "/base/") == "/base/-/edit/w/ru/24.1-24.2"


def test_choose_part(monkeypatch):
    assert pages.choose_part(None, [{"n": 1, "label": "", "count": 10}]) == (None, None)  # short: whole
    assert pages.choose_part(None, DIVS) == (1, None)  # long: the first part
    assert pages.choose_part("2", DIVS) == (2, None)
    assert pages.choose_part("all", DIVS) == (None, None)
    assert pages.choose_part("9", DIVS) == (1, "No part 9; showing the first.")
    assert pages.choose_part("x", DIVS) == (1, "No part 'x'; showing the first.")
    monkeypatch.setattr(pages, "ALL_PAGE_LIMIT", 999)
    assert pages.choose_part("all", DIVS) == (1, "This work has 1,000 sentences: it is shown one part at a time.")


def test_part_links():
    links = pages.part_links("/-/read/w", {"with": "ru", "a": ""}, DIVS, 1)
    assert links["prev"] is None and links["next"] == {"url": "/-/read/w?with=ru&part=2", "label": "Gen 2"}
    assert links["url"](None) == "/-/read/w?with=ru"
    assert pages.part_links("/-/read/w", {}, DIVS, None)["next"] is None


@pytest.mark.parametrize("value, expected", [
    ("/-/read/w?part=2", "/-/read/w?part=2"),
    ("//evil.example/", "/fallback"),
    ("https://evil.example/", "/fallback"),
    ("/\\evil", "/fallback"),
    ("/a\nb", "/fallback"),
    (None, "/fallback"),
])
def test_safe_next(value, expected):
    assert pages.safe_next(value, "/fallback") == expected


@pytest.mark.parametrize("value", [
    "//evil.example/", "/\t/127.0.0.1:18432/", "/\r/x", "/\n/x", "/\\evil.example", "\\/evil", "/a b",
    "https://evil.example/", "javascript:alert(1)", "/\x00", "/é", "", None,
])
def test_safe_next_refuses_anything_but_a_path_on_this_site(value):
    assert pages.safe_next(value, "/-/works") == "/-/works"


def test_safe_next_keeps_paths_with_queries_and_fragments():
    for value in ("/", "/-/works", f"/-/read/w?part=2&with=ru,es#s-24.1", "/-/search/w?q=%D1%91%09"):
        assert pages.safe_next(value, "/fallback") == value
