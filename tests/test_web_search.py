"""Search in every language (aligner.web.search): Russian forms, diacritics, paging, links to the sentence."""

from __future__ import annotations

import pytest

from aligner.corpus import Store
from aligner.web import pages, search
from aligner.web.search import highlight

from .helpers import WORK, datasette, get, make_bible

ES_24 = "¿Acaso no hay nadie a su alrededor? La acción de los rehenes."


def test_highlight_marks_forms_of_the_query_words():
    text = "Неужели нет никого около Вас, чтобы напомнить о заложниках?"
    assert highlight(text, "заложник") == [(False, "Неужели нет никого около Вас, чтобы напомнить о "),
                                          (True, "заложниках"), (False, "?")]
    assert [p for hit, p in highlight("The creation of the world was created.", "create") if hit] == ["creation", "created"]
    assert [p for hit, p in highlight("Ещё не поздно.", "еще") if hit] == ["Ещё"]
    long = "word " * 100 + "hostage " + "word " * 100
    snippet = highlight(long, "hostage", width=60)
    assert snippet[0] == (False, "… ") and snippet[-1] == (False, " …") and (True, "hostage") in snippet


@pytest.mark.asyncio
async def test_search_russian_forms_and_yo(ds):
    t = (await get(ds, f"/-/search/{WORK}?q=заложник")).text
    assert "2 matches" in t
    assert "<mark>заложниках</mark>" in t and "<mark>заложник</mark>" in t
    # The hit links to the pivot sentence it is aligned to, on the right part, with its version shown.
    assert f'href="/-/read/{WORK}?part=2&amp;with=ru#s-24.1"' in t
    for q in ("еще", "ещё"):
        data = (await get(ds, f"/-/search/{WORK}.json?q={q}&lang=ru")).json()
        assert data["total"] == 1 and data["hits"][0]["ref"] == "24.1-24.2"


@pytest.mark.asyncio
async def test_search_languages_and_diacritics(edited_db):
    Store(edited_db).set_slot(WORK, "es", "24.1", ES_24, "draft", actor="bob")
    ds = datasette(edited_db)
    data = (await get(ds, f"/-/search/{WORK}.json?q=accion")).json()
    assert [h["key"] for h in data["hits"]] == ["es"]
    data = (await get(ds, f"/-/search/{WORK}.json?q=hostages")).json()
    assert data["total"] >= 3 and {h["key"] for h in data["hits"]} == {"en"}
    assert data["hits"][0]["url"].startswith(f"/-/read/{WORK}?part=2#s-")
    data = (await get(ds, f"/-/search/{WORK}.json?q=hostages&lang=ru")).json()
    assert data["total"] == 0
    # FTS syntax in a query is just words.
    for q in ('"', "AND OR NOT", "*", "a:b", "NEAR("):
        await get(ds, f"/-/search/{WORK}?q={q}")


@pytest.mark.asyncio
async def test_search_paging(tmp_path):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    data = (await get(ds, "/-/search/bible.json?q=chapter")).json()
    assert data["total"] == 26 * 40 and len(data["hits"]) == search.SEARCH_PAGE_SIZE
    t = (await get(ds, "/-/search/bible?q=chapter&page=2")).text
    assert 'start="51"' in t and "page=3" in t


@pytest.mark.asyncio
async def test_a_huge_query_is_refused_at_once(ds):
    from urllib.parse import quote

    r = await ds.client.get(f"/-/search/{WORK}?q=" + quote("the " * 7500))  # 30 KB: 14 s before the limit
    assert r.status_code == 400 and "too long" in r.text
    many = " ".join(f"w{i}" for i in range(search.MAX_QUERY_WORDS + 1))
    r = await ds.client.get(f"/-/search/{WORK}.json?q=" + quote(many))
    assert r.status_code == 400 and "too many words" in r.json()["error"]
    same = " ".join(["the"] * 40)  # one word said forty times is one word
    assert (await ds.client.get(f"/-/search/{WORK}.json?q=" + quote(same))).status_code == 200
    assert search.query_problem("hostages " * 10) is None


@pytest.mark.asyncio
async def test_the_plugins_queries_have_datasettes_time_limit(edited_db):
    from datasette.app import Datasette

    from aligner.web import ensure_registered

    ensure_registered()
    ds = Datasette([str(edited_db)], settings={"sql_time_limit_ms": 0})  # every query is over its time at once
    r = await ds.client.get(f"/-/search/{WORK}?q=hostages")
    assert r.status_code == 400 and "took longer than the time limit (0 ms)" in r.text
    r = await ds.client.get(f"/-/read/{WORK}?part=2")
    assert r.status_code == 400 and "time limit" in r.text


@pytest.mark.asyncio
async def test_a_huge_page_number_is_clamped(ds):
    r = await get(ds, f"/-/search/{WORK}.json?q=hostages&page=" + "9" * 30)
    assert r.json()["page"] == pages.MAX_PAGE and r.json()["hits"] == []
    await get(ds, f"/-/search/{WORK}?q=hostages&page=" + "9" * 30)  # the HTML page too: no OverflowError


@pytest.mark.asyncio
async def test_a_hit_in_a_row_with_no_pivot_sentence_links_to_its_part_and_cell(ru_store):
    """The Russian title has no English counterpart: its hit linked to the work's first part, with no anchor."""
    from aligner.corpus import queries

    ds = datasette(queries.database_file(ru_store.db.conn))
    data = (await get(ds, f"/-/search/{WORK}.json?q=Письмо&lang=ru")).json()
    hit = next(h for h in data["hits"] if h["ref"] == "1.1")
    assert hit["pivot_ref"] is None and hit["division"] == 2
    assert hit["url"] == f"/-/read/{WORK}?part=2&with=ru#ru-ru:1.1"
    page = (await get(ds, hit["url"].split("#")[0])).text
    assert 'id="ru-ru:1.1"' in page
