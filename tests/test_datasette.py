"""Datasette serves the built corpus: pages, the readable view, search, JSON API."""

from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from aligner.corpus import Store

from .helpers import ROOT, WORK


RU = "Неужели не нашлось среди Вас никого?"


@pytest.fixture
def ds(db_path, texts):
    Store(db_path, texts).set_slot(WORK, "ru", "24.1-24.2", RU, actor="anna")
    metadata = yaml.safe_load((ROOT / "db" / "metadata.yml").read_text("utf-8"))
    corpus = Path(db_path).parent / "corpus.db"
    return Datasette([str(corpus)], metadata=metadata, settings={"truncate_cells_html": 0})


@pytest.mark.asyncio
async def test_corpus_page_lists_tables_and_hides_internal(ds):
    r = await ds.client.get("/corpus")
    assert r.status_code == 200
    assert "alignments" in r.text and "segments" in r.text
    assert "segments_fts_data" not in r.text and "_sqlite_migrations" not in r.text


@pytest.mark.asyncio
async def test_parallel_view_shows_each_version_per_sentence(ds):
    r = await ds.client.get("/corpus/parallel.json?_shape=array&segment=24.2")
    rows = r.json()
    assert len(rows) == 1
    row = rows[0]
    assert row["pivot"].startswith("Whoever holds dear")
    assert row["ru"] == RU and row["ru_status"] == "draft"
    assert row["es"] == "" and row["es_status"] == "empty"


@pytest.mark.asyncio
async def test_full_text_search_on_segments(ds):
    r = await ds.client.get("/corpus/segments.json?_search=hostages&_shape=array")
    texts = [x["text"] for x in r.json()]
    assert texts and all("hostage" in t.lower() for t in texts)
    # Russian words are indexed with their dictionary form too: "найтись" finds "нашлось".
    for word in ("нашлось", "найтись"):
        r = await ds.client.get(f"/corpus/segments.json?_search={word}&_shape=array")
        hits = [(x["version"], x["ref"], x["text"]) for x in r.json()]
        assert hits == [(WORK + "/ru", "@24.1-24.2", RU)], word


@pytest.mark.asyncio
async def test_json_api_for_segments_and_facets(ds):
    r = await ds.client.get("/corpus/segments.json?_shape=objects&version=" + WORK + "/en&_size=5")
    data = r.json()
    assert len(data["rows"]) == 5 and data["rows"][0]["ref"] == "1.1"
    r = await ds.client.get("/corpus/alignments.json?_facet=status")
    facet = {x["value"]: x["count"] for x in r.json()["facet_results"]["status"]["results"]}
    assert facet["draft"] == 1 and facet["empty"] == 150


@pytest.mark.asyncio
async def test_history_table_is_browsable(ds):
    r = await ds.client.get("/corpus/revisions")
    assert r.status_code == 200 and "anna" in r.text
