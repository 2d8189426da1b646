"""Parts are numbered the same way in every work: from 1, the number in a URL is the number a reader sees.

A work's front matter (title, byline, source) is no part of its own: it opens part 1, as a book's title page
precedes its first chapter. Kropotkin's letters are parts 1 and 2, Mark's chapter N is part N, and an old
link to ``part=0`` (where the front matter used to be) leads to part 1.
"""

from __future__ import annotations

import os
import re
import sqlite3
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner

from aligner.cli import cli
from aligner.corpus import build
from aligner.corpus.schema import connect
from aligner.text.segment import read_text, segment_text

from .helpers import SEED, WORK, datasette, get

#: Every shipped work with a version to compare and map against its pivot.
WORKS = {WORK: ("en", "ru"), "mark": ("en-kjv", "en-web")}
LETTERS = ["Dmitrov, 4 March 1920", "Dmitrov (Moscow province) 21 December, 1920"]


@pytest.fixture
def shipped_db(shipped_texts, tmp_path):
    path = tmp_path / "shipped.db"
    build(shipped_texts, path)
    return path


@pytest.fixture
def ds(shipped_db):
    return datasette(shipped_db)


def numbered_items(html: str) -> list[tuple[int, int, str]]:
    """The work page's list of parts as a reader sees it: ``(number shown, part in the link, label)``.

    An ``<ol>`` item shows its ``value`` when it has one, else the number after the item before it (from 1)."""
    ol = re.search(r'<ol class="parts">(.*?)</ol>', html, re.S)
    assert ol, "no list of parts"
    out, shown = [], 0
    for attrs, href, label in re.findall(r'<li([^>]*)><a href="([^"]*)">(.*?)</a>', ol.group(1), re.S):
        value = re.search(r'value="(\d+)"', attrs)
        shown = int(value.group(1)) if value else shown + 1
        out.append((shown, int(dict(parse_qsl(urlsplit(href.replace("&amp;", "&")).query))["part"]), label))
    return out


def picker_options(html: str) -> list[tuple[int, str]]:
    """The pager's "go to part" choices: ``(part number sent, text shown)``."""
    select = re.search(r'<select id="part-select" name="part">(.*?)</select>', html, re.S)
    assert select, "no part picker"
    return [(int(v), t.strip()) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select.group(1))]


def check_picker(html: str, parts: list[dict]) -> None:
    options = picker_options(html)
    assert [v for v, _ in options] == list(range(1, len(parts) + 1))
    for (v, text), d in zip(options, parts):
        assert text == f"{v}. {d['label']}"


def test_front_matter_opens_the_first_letter():
    doc = segment_text(read_text(SEED), "en", title="Two letters to Lenin", author="Peter Kropotkin")
    front = [s for s in doc.segments if s.kind in ("title", "byline", "heading", "source")]
    assert [s.ref for s in front] == ["1.1", "2.1", "3.1", "4.1"] and {s.division for s in front} == {1}
    assert min(s.division for s in doc.segments) == 1
    assert doc.divisions == {1: LETTERS[0], 2: LETTERS[1]}


def test_text_without_structure_is_part_1():
    doc = segment_text("One. Two.\n\nThree.", "en", structure_pass=False)
    assert {s.division for s in doc.segments} == {1} and doc.divisions == {1: "Part 1"}


@pytest.mark.asyncio
@pytest.mark.parametrize("work", list(WORKS))
async def test_every_work_counts_its_parts_from_1(ds, work):
    data = (await get(ds, f"/-/read/{work}.json")).json()
    parts = data["parts"]
    assert [d["n"] for d in parts] == list(range(1, len(parts) + 1))
    if work == WORK:
        assert [d["label"] for d in parts] == LETTERS
    else:
        assert [d["label"] for d in parts] == [f"Mark {n}" for n in range(1, 17)]
    # The work page's list shows each part with the number its link opens.
    page = (await get(ds, f"/-/work/{work}")).text
    items = numbered_items(page)
    assert [(shown, linked) for shown, linked, _ in items] == [(d["n"], d["n"]) for d in parts]
    assert [label for _, _, label in items] == [d["label"] for d in parts]


@pytest.mark.asyncio
@pytest.mark.parametrize("work", list(WORKS))
async def test_reading_compare_and_map_pages_number_parts_as_their_urls(ds, work):
    pivot, other = WORKS[work]
    parts = (await get(ds, f"/-/read/{work}.json")).json()["parts"]
    last = len(parts)
    for path in (f"/-/read/{work}?with={other}&part={last}", f"/-/compare/{work}?a={pivot}&b={other}&part={last}",
                 f"/-/map/{work}/{other}?part={last}"):
        html = (await get(ds, path)).text
        check_picker(html, parts)
        assert f'<option value="{last}" selected>' in html, path
    for path in (f"/-/read/{work}.json?with={other}&part={last}", f"/-/compare/{work}.json?a={pivot}&b={other}&part={last}",
                 f"/-/map/{work}/{other}.json?part={last}"):
        assert (await get(ds, path)).json()["part"] == last, path
    summary = (await get(ds, f"/-/compare/{work}.json?a={pivot}&b={other}")).json()["summary"]
    assert [s["n"] for s in summary] == list(range(1, last + 1))


@pytest.mark.asyncio
async def test_the_title_page_stands_at_the_top_of_part_1(ds):
    data = (await get(ds, f"/-/read/{WORK}.json?part=1")).json()
    first = [(r["pivot"][0]["ref"], r["pivot"][0]["kind"]) for r in data["rows"][:6]]
    assert first == [("1.1", "byline"), ("2.1", "title"), ("3.1", "source"), ("4.1", "source"),
                     ("5.1", "dateline"), ("6.1", "salutation")]
    assert {r["division"] for r in data["rows"]} == {1}
    # The part's heading comes after the title page, right above the letter it names.
    html = (await get(ds, f"/-/read/{WORK}?part=1")).text
    heading = html.index('<h2 class="division" id="part-1">Dmitrov, 4 March 1920</h2>')
    assert html.index("Two letters to Lenin</") < html.index('id="s-4.1"') < heading < html.index('id="s-5.1"')
    assert 'id="part-0"' not in html and "Front matter" not in html
    # The whole work reads the same way: the title page, then one heading per letter.
    html = (await get(ds, f"/-/read/{WORK}")).text
    headings = re.findall(r'<h2 class="division" id="part-(\d+)">(.*?)</h2>', html)
    assert headings == [("1", LETTERS[0]), ("2", LETTERS[1])]
    assert html.index('id="s-4.1"') < html.index('id="part-1"')


@pytest.mark.asyncio
async def test_mark_chapter_n_is_part_n(ds):
    for n in (1, 3, 16):
        data = (await get(ds, f"/-/read/mark.json?with=en-web&part={n}")).json()
        assert data["part"] == n and data["rows"][0]["pivot"][0]["ref"] == f"Mark.{n}.1.1"


@pytest.mark.asyncio
@pytest.mark.parametrize("path,target", [
    (f"/-/read/{WORK}?with=ru&part=0", f"/-/read/{WORK}?with=ru&part=1"),
    (f"/-/read/{WORK}.json?part=0&with=ru", f"/-/read/{WORK}.json?part=1&with=ru"),
    (f"/-/compare/{WORK}?a=en&b=ru&part=0", f"/-/compare/{WORK}?a=en&b=ru&part=1"),
    (f"/-/map/{WORK}/ru?part=0", f"/-/map/{WORK}/ru?part=1"),
    ("/-/read/mark?part=0", "/-/read/mark?part=1"),
])
async def test_an_old_link_to_part_0_leads_to_part_1(ds, path, target):
    r = await ds.client.get(path)
    assert r.status_code == 301 and r.headers["location"] == target
    assert (await get(ds, target)).status_code == 200


@pytest.mark.asyncio
async def test_other_part_numbers_out_of_range_are_still_clamped(ds):
    html = (await get(ds, f"/-/read/{WORK}?part=7")).text
    assert "No part 7; showing the first." in html and '<option value="1" selected>' in html


@pytest.mark.asyncio
async def test_search_links_front_matter_to_part_1(ds):
    data = (await get(ds, f"/-/search/{WORK}.json?q=Transcription")).json()
    assert [(h["pivot_ref"], h["division"], h["url"]) for h in data["hits"]] == [
        ("4.1", 1, f"/-/read/{WORK}?part=1#s-4.1")]


def numbered_from_0(path) -> tuple[list, list]:
    """Make a freshly built database look as one built before parts were counted from 1 (the front matter a
    part 0 of its own); return its segments' divisions and its divisions as a build gives them now."""
    built = sqlite3.connect(path)
    want = built.execute("select id, division from segments order by id").fetchall()
    want_divisions = built.execute("select version, n, label from divisions order by version, n").fetchall()
    with built:
        built.execute("update segments set division = 0 where version like ? and kind in"
                      " ('title', 'byline', 'heading', 'source')", [f"{WORK}/%"])
        for key in ("en", "ru"):
            built.execute("insert into divisions (version, n, label) values (?, 0, 'Front matter')", [f"{WORK}/{key}"])
        built.execute("delete from _sqlite_migrations where name = 'm005_parts_counted_from_1'")
    assert built.execute("select count(*) from segments where division = 0").fetchone()[0] == 5
    built.close()
    return want, want_divisions


def numbering(path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("select id, division from segments order by id").fetchall(),
                conn.execute("select version, n, label from divisions order by version, n").fetchall())
    finally:
        conn.close()


def test_a_database_numbered_from_0_is_migrated(shipped_db):
    """Opening a database built before parts were counted from 1 moves its front matter into part 1, as a build
    from the same texts now does."""
    want = numbered_from_0(shipped_db)
    assert numbering(shipped_db) != want
    connect(shipped_db).conn.close()
    assert numbering(shipped_db) == want


def test_serve_brings_the_database_up_to_date_first(shipped_db, monkeypatch):
    want = numbered_from_0(shipped_db)
    monkeypatch.setattr(os, "execve", lambda exe, args, env: None)
    assert CliRunner().invoke(cli, ["serve", str(shipped_db)]).exit_code == 0
    assert numbering(shipped_db) == want


def test_tei_keeps_the_title_page_before_part_1(shipped_db, tmp_path):
    out = tmp_path / "work.tei.xml"
    r = CliRunner().invoke(cli, ["export", WORK, "--lang", "ru", "--format", "tei", "-o", str(out),
                                 "-d", str(shipped_db)])
    assert r.exit_code == 0, r.output
    tei = out.read_text("utf-8")
    english = tei[tei.index('<text type="pivot"'):tei.index("</text>")]
    divs = re.findall(r'<div type="(\w+)"(?: n="(\d+)")?>', english)
    assert divs == [("front", ""), ("part", "1"), ("part", "2")]
    front = english[english.index('<div type="front">'):english.index('<div type="part" n="1">')]
    assert "Two letters to Lenin" in front and "Dmitrov" not in front
