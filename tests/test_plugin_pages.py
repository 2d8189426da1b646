"""The web plugin's reading pages: works, parallel text, compare, search, map, history, JSON, escaping."""

from __future__ import annotations

import html
import re

import pytest

from aligner.web import pages, search
from aligner.store import Store

from .test_plugin_helpers import HOSTILE, WORK, datasette, fill_bible, make_bible, set_alignment

pytestmark = pytest.mark.asyncio

RU_24 = "Неужели нет никого около Вас, чтобы напомнить о заложниках? Ещё не поздно."
RU_25 = "Возможно, никто не объяснил, что такое заложник."
ES_24 = "¿Acaso no hay nadie a su alrededor? La acción de los rehenes."


@pytest.fixture
def corpus(db_path, texts):
    store = Store(db_path, texts)
    store.set_slot(WORK, "ru", "24.1-24.2", RU_24, "draft", actor="anna")
    store.set_slot(WORK, "ru", "25.1", RU_25, "confirmed", actor="anna")
    return db_path


@pytest.fixture
def ds(corpus):
    return datasette(corpus)


async def get(ds, path, status=200, **kw):
    r = await ds.client.get(path, **kw)
    expected = status if isinstance(status, tuple) else (status,)
    assert r.status_code in expected, (path, r.status_code, r.text[:800])
    return r


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


async def test_menu_link_and_css(ds):
    r = await get(ds, "/")
    assert 'href="/-/works"' in r.text
    r = await get(ds, f"/-/read/{WORK}")
    css = re.search(r'href="(/-/static-plugins/aligner/aligner\.css\?v=\w+)"', r.text).group(1)
    c = await get(ds, css)
    assert c.headers["content-type"].startswith("text/css") and ".parallel" in c.text
    await get(ds, "/-/static-plugins/aligner/..%2F__init__.py", status=(302, 404))  # Datasette redirects %-paths
    await get(ds, "/-/static-plugins/aligner/nothing.css", status=404)


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


async def test_read_page_with_picker_and_unknown_version(ds):
    t = (await get(ds, f"/-/read/{WORK}?with=ru,es")).text
    assert 'data-key="ru"' in t and 'data-key="es"' in t
    t = (await get(ds, f"/-/read/{WORK}?with=es&with=ru")).text  # the picker form repeats the field
    assert t.index("Письма В. И. Ленину <span") < t.index("Dos cartas a Lenin <span")
    t = (await get(ds, f"/-/read/{WORK}?with=xx")).text
    assert "No version called &#39;xx&#39;" in t


async def test_read_page_parts_of_a_letter(ds):
    t = (await get(ds, f"/-/read/{WORK}?part=2")).text
    assert 'id="s-24.1"' in t and 'id="s-7.1"' not in t
    assert "← Dmitrov, 4 March 1920" in t
    t = (await get(ds, f"/-/read/{WORK}?part=99")).text
    assert "No part 99" in t


async def test_stale_and_low_confidence_are_flagged(corpus):
    set_alignment(corpus, WORK, "ru", "25.1", stale=1)
    set_alignment(corpus, WORK, "ru", "24.1-24.2", status="auto", score=0.21)
    ds = datasette(corpus)
    t = (await get(ds, f"/-/read/{WORK}")).text
    assert 'class="mark stale"' in t and "st-auto stale" not in t
    assert re.search(r'class="cell slot k-paragraph st-confirmed stale"', t)
    assert "score 0.21" in t
    m = (await get(ds, f"/-/map/{WORK}/ru")).text
    assert "bead-low" in m and "bead-stale" in m
    assert "Low-confidence alignments" in m


async def test_read_json(corpus):
    ds = datasette(corpus)
    data = (await get(ds, f"/-/read/{WORK}.json?part=2&with=ru")).json()
    assert data["with"] == ["ru"] and data["part"] == 2 and data["can_edit"] is False
    band = next(b for b in data["rows"] if b["pivot"][0]["ref"] == "24.1")
    assert [p["ref"] for p in band["pivot"]] == ["24.1", "24.2"]
    slot = band["slots"]["ru"][0]
    assert slot["text"] == RU_24 and slot["status"] == "draft"
    assert slot["token"] == Store(corpus).slot(WORK, "ru", "24.1-24.2").token


async def test_large_work_is_paged_by_division(tmp_path):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    t = (await get(ds, "/-/read/bible")).text
    # 26 chapters of 40 verses: the first chapter only, with a way on.
    assert t.count('class="cell pivot') == 40
    assert 'id="s-Gen.1.40.1"' in t and 'id="s-Gen.2.1.1"' not in t
    assert 'rel="next" href="/-/read/bible?with=web&amp;part=2"' in t
    assert "<option value=\"26\">Ruth 4</option>" in t
    t = (await get(ds, "/-/read/bible?part=13")).text
    assert 'id="s-Exod.1.1.1"' in t and "← Gen 12" in t and "Exod 2 →" in t
    assert t.count('class="cell pivot') == 40
    data = (await get(ds, "/-/read/bible.json?part=26")).json()
    assert len(data["rows"]) == 40 and len(data["parts"]) == 26


async def test_whole_text_only_when_not_too_long(tmp_path, monkeypatch):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    monkeypatch.setattr(pages, "ALL_PAGE_LIMIT", 100)
    t = (await get(ds, "/-/read/bible?part=all")).text
    assert "shown one part at a time" in t and t.count('class="cell pivot') == 40
    monkeypatch.setattr(pages, "ALL_PAGE_LIMIT", 5000)
    t = (await get(ds, "/-/read/bible?part=all")).text
    assert t.count('class="cell pivot') == 26 * 40


async def test_compare_two_versions_word_diff(tmp_path):
    db, _ = make_bible(tmp_path)
    fill_bible(db, [("Gen", 1), ("Gen", 2)])
    ds = datasette(db)
    t = (await get(ds, "/-/compare/bible?a=kjv&b=web")).text
    assert "<del>And</del>" in t and "<ins>Then</ins>" in t
    assert 'class="summary-table"' not in t or "Gen 1" in t
    # Summary per part, and the page itself is one part.
    assert "Gen 1" in t and "Gen 2" in t
    assert t.count('class="cmp-row k-verse') == 40
    data = (await get(ds, "/-/compare/bible.json?a=kjv&b=web&part=2")).json()
    assert data["part"] == 2 and 10 < data["pct"] < 80
    summary = {s["label"]: s for s in data["summary"]}
    assert summary["Gen 1"]["pct"] == summary["Gen 2"]["pct"] or summary["Gen 2"]["pct"] is not None
    assert summary["Gen 3"]["pct"] is None and summary["Gen 3"]["both"] == 0
    row = data["rows"][0]
    assert row["refs"] == ["Gen.2.1.1"] and row["changed"] > 0
    # Chapters with no text in one version are listed without a diff.
    t = (await get(ds, "/-/compare/bible?a=kjv&b=web&part=5")).text
    assert "<del>" not in t.split('<div class="compare">')[1] and "no sentence has text in both" in t


async def test_compare_summary_follows_edits(tmp_path):
    db, _ = make_bible(tmp_path)
    fill_bible(db, [("Gen", 1)])
    ds = datasette(db)
    before = {s["label"]: s for s in (await get(ds, "/-/compare/bible.json?a=kjv&b=web")).json()["summary"]}
    assert before["Gen 3"]["pct"] is None
    fill_bible(db, [("Gen", 3)])
    after = {s["label"]: s for s in (await get(ds, "/-/compare/bible.json?a=kjv&b=web")).json()["summary"]}
    assert after["Gen 3"]["pct"] is not None and after["Gen 1"] == before["Gen 1"]


async def test_compare_default_pair_and_letters(ds):
    t = (await get(ds, f"/-/compare/{WORK}")).text
    assert "Compare two versions" in t and "&lt;script" not in t
    t = (await get(ds, f"/-/compare/{WORK}?a=ru&b=en")).text
    assert "different languages" in t
    assert "sentences with no text in either version" not in t or "cmp-skip" in t


async def test_search_russian_forms_and_yo(ds):
    t = (await get(ds, f"/-/search/{WORK}?q=заложник")).text
    assert "2 matches" in t
    assert "<mark>заложниках</mark>" in t and "<mark>заложник</mark>" in t
    # The hit links to the pivot sentence it is aligned to, on the right part, with its version shown.
    assert f'href="/-/read/{WORK}?part=2&amp;with=ru#s-24.1"' in t
    for q in ("еще", "ещё"):
        data = (await get(ds, f"/-/search/{WORK}.json?q={q}&lang=ru")).json()
        assert data["total"] == 1 and data["hits"][0]["ref"] == "24.1-24.2"


async def test_search_languages_and_diacritics(corpus):
    Store(corpus).set_slot(WORK, "es", "24.1", ES_24, "draft", actor="bob")
    ds = datasette(corpus)
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


async def test_search_paging(tmp_path):
    db, _ = make_bible(tmp_path)
    ds = datasette(db)
    data = (await get(ds, "/-/search/bible.json?q=chapter")).json()
    assert data["total"] == 26 * 40 and len(data["hits"]) == search.SEARCH_PAGE_SIZE
    t = (await get(ds, "/-/search/bible?q=chapter&page=2")).text
    assert 'start="51"' in t and "page=3" in t


async def test_map_links_beads_to_sentences(ds):
    t = (await get(ds, f"/-/map/{WORK}/ru")).text
    assert '<svg class="align-map"' in t
    assert f'<a href="/-/read/{WORK}?with=ru#s-24.1">' in t
    assert "map-gap" in t
    data = (await get(ds, f"/-/map/{WORK}/ru.json")).json()
    assert len(data["beads"]) == 2
    await get(ds, f"/-/map/{WORK}/en", status=404)
    await get(ds, f"/-/map/{WORK}/xx", status=404)


async def test_history_page(corpus):
    ds = datasette(corpus)
    t = (await get(ds, f"/-/history/{WORK}")).text
    assert "2 changes" in t and "anna" in t and "via cli" in t
    t = (await get(ds, f"/-/history/{WORK}?key=ru&ref=24.2")).text
    assert "1 change " in t
    data = (await get(ds, f"/-/history/{WORK}.json?key=es")).json()
    assert data["total"] == 0


async def test_unknown_work_is_404(ds):
    for path in ("/-/read/nope", "/-/compare/nope", "/-/search/nope?q=x", "/-/map/nope/ru", "/-/work/nope"):
        await get(ds, path, status=404)


async def test_hostile_text_is_escaped_everywhere(corpus):
    Store(corpus).set_slot(WORK, "ru", "24.1-24.2", HOSTILE + " заложник", "draft", actor="<b>mallory</b>")
    Store(corpus).set_slot(WORK, "es", "24.1", HOSTILE, "draft", actor="x")
    ds = datasette(corpus)
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
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in t or "mallory" in t, path
        # A right-to-left override stays inside its element, isolated from the page around it.
        for m in re.finditer("\u202e", t):
            before = t[:m.start()]
            assert before.rfind('dir="auto"') > before.rfind("</span>") or before.rfind("<textarea") > before.rfind("</textarea"), path
    t = (await get(ds, f"/-/search/{WORK}?q=%3Cscript%3E%22")).text
    assert "<script>\"" not in t and 'value="&lt;script&gt;&#34;"' in t
    data = (await get(ds, f"/-/read/{WORK}.json?with=ru")).json()
    texts = [s["text"] for b in data["rows"] for s in b["slots"]["ru"]]
    assert HOSTILE + " заложник" in texts
