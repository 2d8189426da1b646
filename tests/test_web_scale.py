"""Datasette's own table pages read the kept counts, and choose their settings by the corpus's size."""

import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from aligner.web import scale

from .helpers import ROOT, WORK


def served(db_path: Path) -> Datasette:
    """Datasette as shipped: the plugin, db/metadata.yml."""
    from aligner.web import ensure_registered

    ensure_registered()
    metadata = yaml.safe_load((ROOT / "db" / "metadata.yml").read_text("utf-8"))
    return Datasette([str(db_path)], metadata=metadata)


def tamper(db_path: Path, table: str, column: str, value: str, n: int) -> None:
    """Set one kept count to a value no GROUP BY would give, to see which of the two a page shows."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("update facet_counts set n = ? where tbl = ? and col = ? and value = ?", [n, table, column, value])
    conn.close()


def facet(data: dict, name: str) -> dict:
    return {x["value"]: x["count"] for x in data["facet_results"][name]["results"]}


@pytest.mark.asyncio
async def test_the_status_facet_is_read_from_the_kept_counts(db_path):
    tamper(db_path, "alignments", "status", "empty", 1000)  # two versions: 1000 each
    ds = served(db_path)
    for url in ("/corpus/alignments.json", "/corpus/alignments.json?_facet=status",
                "/corpus/alignments.json?_facet_counted=status&_facet=status"):
        data = (await ds.client.get(url)).json()
        assert list(data["facet_results"]) == ["status"], url  # once, not twice
        assert facet(data, "status") == {"empty": 2000}, url
        assert data["facet_results"]["status"]["type"] == "column"
    data = (await ds.client.get(f"/corpus/alignments.json?version={WORK}/ru")).json()
    assert facet(data, "status") == {"empty": 1000}
    data = (await ds.client.get(f"/corpus/alignments.json?work={WORK}")).json()
    assert facet(data, "status") == {"empty": 2000}


@pytest.mark.asyncio
async def test_other_filters_count_the_rows_themselves(db_path):
    tamper(db_path, "alignments", "status", "empty", 1000)
    ds = served(db_path)
    data = (await ds.client.get(f"/corpus/alignments.json?version={WORK}/ru&address__startswith=2")).json()
    n = data["filtered_table_rows_count"]
    assert 0 < n < 1000 and facet(data, "status") == {"empty": n}
    data = (await ds.client.get("/corpus/segments.json?_search=hostages")).json()
    assert facet(data, "kind") == {"paragraph": data["filtered_table_rows_count"]}


@pytest.mark.asyncio
async def test_a_selected_value_toggles_off_and_the_page_shows_the_facet(db_path):
    ds = served(db_path)
    r = await ds.client.get("/corpus/alignments?_facet=status&status=empty")
    assert r.status_code == 200
    data = (await ds.client.get("/corpus/alignments.json?_facet=status&status=empty")).json()
    (value,) = data["facet_results"]["status"]["results"]
    assert value["selected"] and "status=empty" not in value["toggle_url"]
    assert 'class="facet-info-name"' in r.text and ">empty</a>" not in r.text  # selected: shown without a link


@pytest.mark.asyncio
async def test_a_large_corpus_turns_suggestions_off_and_caps_uncounted_facets(db_path, monkeypatch):
    ds = served(db_path)
    data = (await ds.client.get("/corpus/segments.json?_search=hostages")).json()
    assert data["suggested_facets"] and "kind" in data["facet_results"]  # small: as Datasette does by default
    monkeypatch.setattr(scale, "LARGE", 10)
    monkeypatch.setattr(scale, "MAX_FACET_ROWS", 1)
    ds = served(db_path)
    data = (await ds.client.get("/corpus/segments.json?_search=hostages")).json()
    assert data["filtered_table_rows_count"] > 1
    assert data["suggested_facets"] == [] and "kind" not in data["facet_results"]
    html = (await ds.client.get("/corpus/segments?_search=hostages")).text
    assert "These facets timed out: kind" in html
    # The counts still answer where they can, whatever the size.
    data = (await ds.client.get(f"/corpus/segments.json?version={WORK}/en")).json()
    assert facet(data, "kind")["paragraph"] > 1


@pytest.mark.asyncio
async def test_every_connection_maps_the_file(db_path):
    ds = served(db_path)
    await ds.invoke_startup()
    r = await ds.get_database("corpus").execute("pragma mmap_size")
    assert r.first()[0] > 0


@pytest.mark.asyncio
async def test_a_database_without_counts_facets_the_ordinary_way(db_path):
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("drop table facet_counts")
    conn.close()
    ds = served(db_path)
    data = (await ds.client.get("/corpus/alignments.json?_facet=status")).json()
    total = data["filtered_table_rows_count"]
    assert facet(data, "status") == {"empty": total}


def test_segments_ids_follow_each_versions_reading_order(shipped_texts, tmp_path):
    """Segments have no default sort in metadata.yml: their ids must give each version's reading order."""
    from aligner.corpus import build

    build(shipped_texts, tmp_path / "corpus.db")
    conn = sqlite3.connect(tmp_path / "corpus.db")
    for (vid,) in conn.execute("select id from versions"):
        by_id = [r[0] for r in conn.execute("select position from segments where version = ? order by id", [vid])]
        assert by_id == sorted(by_id), vid
    meta = yaml.safe_load((ROOT / "db" / "metadata.yml").read_text("utf-8"))
    assert "sort" not in meta["databases"]["corpus"]["tables"]["segments"]


@pytest.mark.asyncio
async def test_page_counts_come_from_what_is_kept_and_are_exact(db_path):
    conn = sqlite3.connect(db_path)
    true = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("segments", "alignments", "revisions", "parallel", "slot_texts")}
    hits = conn.execute("select count(*) from segments where text like '%hostage%'").fetchone()[0]
    conn.close()
    ds = served(db_path)
    for table, n in true.items():
        data = (await ds.client.get(f"/corpus/{table}.json")).json()
        assert data["filtered_table_rows_count"] == n, table
    data = (await ds.client.get("/corpus/segments.json?_search=hostages")).json()
    assert data["filtered_table_rows_count"] == hits > 0
    # Which of the two answered: a kept count set to a value no count(*) gives shows on the page.
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("update facet_counts set n = 12345 where tbl = 'alignments' and col = ''")
    conn.close()
    data = (await ds.client.get("/corpus/alignments.json")).json()
    assert data["filtered_table_rows_count"] == 12345
    assert "12,345 rows" in (await ds.client.get("/corpus/alignments")).text


def test_only_the_counts_datasette_makes_on_big_pages_are_rewritten():
    fast = scale.faster_count
    assert fast("select count(*) from segments ") and fast("select count(*) from [alignments]")
    assert fast("select count(*) from segments where id in (select rowid from segments_fts where segments_fts "
                "match :search) ") == "select count(*) from segments_fts where segments_fts match :search"
    assert fast("select count(*) from parallel ") and fast("select count(*) from slot_texts ")
    assert fast("select count(*) from [segments_fts]") == fast("select count(*) from segments ")
    assert fast("select count(*) from [segments_fts_data]") == "select null"
    for other in ("select count(*) from works ", "select count(*) from parallel where \"work\" = :p0 ", "select count(*) from segments where version = :p0 ",
                  "select count(*) from segments where version = :p0 and id in (select rowid from segments_fts "
                  "where segments_fts match :search) ", "select count(*) from (select * from segments)"):
        assert fast(other) is None, other


@pytest.mark.asyncio
async def test_the_version_facet_is_counted_too(db_path):
    tamper(db_path, "segments", "version", WORK + "/en", 999)
    ds = served(db_path)
    data = (await ds.client.get("/corpus/segments.json?_facet=version")).json()
    assert facet(data, "version") == {WORK + "/en": 999}
    (value,) = data["facet_results"]["version"]["results"]
    assert value["label"] == "en"  # the version's label column, as Datasette's own facet shows it


@pytest.mark.asyncio
async def test_a_page_does_not_suggest_a_facet_it_already_shows(db_path):
    conn = sqlite3.connect(db_path)
    with conn:  # two statuses, so that Datasette would suggest the column (the kept counts follow by trigger)
        conn.execute("update alignments set status = 'auto' where id % 3 = 0")
    conn.close()
    ds = served(db_path)
    data = (await ds.client.get("/corpus/alignments.json")).json()
    assert set(facet(data, "status")) == {"auto", "empty"}  # shown, from the kept counts
    html = (await ds.client.get("/corpus/alignments")).text
    suggested = html.split('<p class="suggested-facets">', 1)[1].split("</p>", 1)[0]
    assert "#facet-status" not in suggested and "#facet-version" in suggested
