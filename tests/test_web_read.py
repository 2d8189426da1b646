"""The reading pages (aligner.web.read): the works, a work, the parallel text, its parts and its JSON."""

from __future__ import annotations

import html
import re

import pytest

from aligner.corpus import Store, queries
from aligner.web import pages
from aligner.web.read import default_with, parse_with

from .helpers import RU_24, WORK, datasette, get, make_bible, set_alignment


VERSIONS = [
    {"key": "en", "is_pivot": True, "language": "en", "filled": 0},
    {"key": "ru", "is_pivot": False, "language": "ru", "filled": 2},
    {"key": "es", "is_pivot": False, "language": "es", "filled": 0},
    {"key": "es-1977", "is_pivot": False, "language": "es", "filled": 0},
]


def test_which_versions_a_page_shows():
    assert default_with(VERSIONS) == ["ru"]  # those with text
    assert default_with([v for v in VERSIONS if v["key"] != "ru"]) == ["es", "es-1977"]  # else all
    assert parse_with([], VERSIONS) == (None, [])
    assert parse_with(["es-1977,ru", "xx"], VERSIONS) == (["ru", "es-1977"], ["xx"])  # in version order
    assert parse_with(["en"], VERSIONS) == ([], [])  # the pivot is always shown


@pytest.mark.asyncio
async def test_works_overview_and_work_page(ds):
    r = await get(ds, "/-/works")
    assert "Two Letters to Lenin" in r.text
    assert 'class="status-bar"' in r.text and "<svg" in r.text
    assert f'href="/-/read/{WORK}?with=ru"' in r.text
    r = await get(ds, f"/-/work/{WORK}")
    for link in (f"/-/read/{WORK}", f"/-/map/{WORK}/ru", f"/-/compare/{WORK}?a=en&amp;b=ru", f"/-/history/{WORK}?key=ru"):
        assert link in r.text
    assert "1 confirmed, 1 draft" in r.text
    data = (await get(ds, "/-/works.json")).json()
    ru = next(v for v in data["works"][0]["versions"] if v["key"] == "ru")
    assert ru["counts"]["confirmed"] == 1 and ru["counts"]["draft"] == 1


@pytest.mark.asyncio
async def test_read_page_defaults_to_versions_with_text(ds):
    r = await get(ds, f"/-/read/{WORK}")
    t = r.text
    # ru has text, es has none: only ru beside the pivot, and the picker offers es.
    assert 'data-key="ru"' in t and 'data-key="es"' not in t
    assert 'name="with" value="es"' in t
    # Every pivot sentence has its anchor and a permalink.
    assert 'id="s-24.1"' in t and 'href="#s-24.1"' in t and 'id="s-1.1"' in t
    # Letters look like letters: a dateline, salutation and signature keep their kind.
    for kind in ("k-dateline", "k-salutation", "k-signature", "k-closing"):
        assert kind in t
    # The n:m slot is one cell spanning both pivot sentences it renders.
    cell = re.search(r'<div class="cell slot[^"]*"[^>]*data-address="24\.1-24\.2"[^>]*>', t, re.S).group(0)
    assert "grid-row: 1 / span 2" in cell and "st-draft" in cell
    assert html.escape(RU_24, quote=False) in t
    # Empty slots are visible gaps, with a discreet status mark.
    assert t.count("slot k-paragraph st-empty") > 10 and 'class="gap-mark"' in t
    assert 'class="mark st-confirmed"' in t
    # No editing for anonymous readers.
    assert "edit-link" not in t and "data-csrftoken" not in t and "aligner.js" not in t


@pytest.mark.asyncio
async def test_read_page_with_picker_and_unknown_version(ds):
    t = (await get(ds, f"/-/read/{WORK}?with=ru,es")).text
    assert 'data-key="ru"' in t and 'data-key="es"' in t
    t = (await get(ds, f"/-/read/{WORK}?with=es&with=ru")).text  # the picker form repeats the field
    assert t.index("Письма В. И. Ленину <span") < t.index("Dos cartas a Lenin <span")
    t = (await get(ds, f"/-/read/{WORK}?with=xx")).text
    assert "No version called &#39;xx&#39;" in t


@pytest.mark.asyncio
async def test_read_page_parts_of_a_letter(ds):
    t = (await get(ds, f"/-/read/{WORK}?part=2")).text
    assert 'id="s-24.1"' in t and 'id="s-7.1"' not in t
    assert "← Dmitrov, 4 March 1920" in t
    t = (await get(ds, f"/-/read/{WORK}?part=99")).text
    assert "No part 99" in t


@pytest.mark.asyncio
async def test_stale_and_low_confidence_are_flagged(edited_db):
    set_alignment(edited_db, WORK, "ru", "25.1", stale=1)
    set_alignment(edited_db, WORK, "ru", "24.1-24.2", status="auto", score=0.21)
    ds = datasette(edited_db)
    t = (await get(ds, f"/-/read/{WORK}")).text
    assert 'class="mark stale"' in t and "st-auto stale" not in t
    assert re.search(r'class="cell slot k-paragraph st-confirmed stale"', t)
    assert "score 0.21" in t
    m = (await get(ds, f"/-/map/{WORK}/ru")).text
    assert "bead-low" in m and "bead-stale" in m
    assert "Low-confidence alignments" in m


@pytest.mark.asyncio
async def test_read_json(edited_db):
    ds = datasette(edited_db)
    data = (await get(ds, f"/-/read/{WORK}.json?part=2&with=ru")).json()
    assert data["with"] == ["ru"] and data["part"] == 2 and data["can_edit"] is False
    band = next(b for b in data["rows"] if b["pivot"][0]["ref"] == "24.1")
    assert [p["ref"] for p in band["pivot"]] == ["24.1", "24.2"]
    slot = band["slots"]["ru"][0]
    assert slot["text"] == RU_24 and slot["status"] == "draft"
    assert slot["token"] == Store(edited_db).slot(WORK, "ru", "24.1-24.2").token


@pytest.mark.asyncio
async def test_large_work_is_paged_by_division(tmp_path):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    t = (await get(ds, "/-/read/bible")).text
    # 26 chapters of 40 verses: the first chapter only, with a way on.
    assert t.count('class="cell pivot') == 40
    assert 'id="s-Gen.1.40.1"' in t and 'id="s-Gen.2.1.1"' not in t
    assert 'rel="next" href="/-/read/bible?with=web&amp;part=2"' in t
    assert "<option value=\"26\">26. Ruth 4</option>" in t
    t = (await get(ds, "/-/read/bible?part=13")).text
    assert 'id="s-Exod.1.1.1"' in t and "← Gen 12" in t and "Exod 2 →" in t
    assert t.count('class="cell pivot') == 40
    data = (await get(ds, "/-/read/bible.json?part=26")).json()
    assert len(data["rows"]) == 40 and len(data["parts"]) == 26


@pytest.mark.asyncio
async def test_whole_text_only_when_not_too_long(tmp_path, monkeypatch):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    monkeypatch.setattr(pages, "ALL_PAGE_LIMIT", 100)
    t = (await get(ds, "/-/read/bible?part=all")).text
    assert "shown one part at a time" in t and t.count('class="cell pivot') == 40
    monkeypatch.setattr(pages, "ALL_PAGE_LIMIT", 5000)
    t = (await get(ds, "/-/read/bible?part=all")).text
    assert t.count('class="cell pivot') == 26 * 40


# -- leftover sentences (0:1 rows) ---------------------------------------------------------------

RU_TITLE = "О заложниках: Письмо В. И. Ленину"


def _band_texts(page: str) -> list[tuple[str, str]]:
    """Each band of a reading page in order: ("leftover" or the first pivot ref, the text of its ru cell)."""
    out = []
    for band in re.split(r'<div class="band ', page)[2:]:
        kind = "leftover" if band.startswith("k-") and " leftover" in band.split('"', 1)[0] else None
        pivot = re.search(r'id="s-([^"]+)"', band)
        ru = re.search(r'data-key="ru".*?<span class="text[^"]*" dir="auto">([^<]*)</span>', band, re.S)
        out.append((kind or (pivot.group(1) if pivot else "?"), html.unescape(ru.group(1)) if ru else ""))
    return out


@pytest.mark.asyncio
async def test_leftover_sentences_show_in_their_place(ru_store):
    ru_store.set_slot(WORK, "ru", "21.1", "", actor="anna")  # the Russian title: no English counterpart
    ru_store.detach(WORK, "ru", "3.1", actor="anna")  # a sentence taken out of its row
    ds = datasette(queries.database_file(ru_store.db.conn))
    page = (await get(ds, f"/-/read/{WORK}?with=ru")).text
    bands = _band_texts(page)
    # Each right after the row that holds the text before it (the title: before the row that holds the next).
    i = bands.index(("21.1", ""))
    assert bands[i + 1] == ("leftover", RU_TITLE)
    assert bands[i + 2] == ("22.1", "Владимир Ильич!")
    assert bands[i + 3][0] == "leftover" and bands[i + 3][1].startswith("В «Известиях»")
    assert bands[i + 4] == ("23.1", "")
    assert 'data-row="ru:1.1"' in page and 'data-row="ru:3.1"' in page
    # The part that holds the row before a leftover shows it; the other parts do not.
    data = (await get(ds, f"/-/read/{WORK}.json?with=ru&part=2")).json()
    left = [b for b in data["rows"] if b["leftover"]]
    assert [b["slots"]["ru"][0]["text"] for b in left][0] == RU_TITLE
    assert [b["slots"]["ru"][0]["address"] for b in left] == ["ru:1.1", "ru:3.1"]
    assert left[0]["pivot"] == []
    other = (await get(ds, f"/-/read/{WORK}.json?with=ru&part=1")).json()
    assert not [b for b in other["rows"] if b["leftover"]]


@pytest.mark.asyncio
async def test_a_leftover_between_two_parts_shows_on_both(tmp_path):
    from .helpers import make_shifted_book

    db, texts = make_shifted_book(tmp_path, verses=440)  # past the one-page limit: a chapter a page
    Store(db, texts).detach("mark", "web", "web:Mark.2.1.1", actor="anna")  # it stands after Mark 1:440's row
    ds = datasette(db)
    for part, where in ((1, -1), (2, 0)):
        data = (await get(ds, f"/-/read/mark.json?with=web&part={part}")).json()
        rows = data["rows"]
        assert rows[where]["leftover"] and rows[where]["slots"]["web"][0]["address"] == "web:Mark.2.1.1", part
    data = (await get(ds, "/-/read/mark.json?with=web&part=3")).json()
    assert not [b for b in data["rows"] if b["leftover"]]
