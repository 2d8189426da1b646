"""The read layer (aligner.corpus.queries) over a built corpus with two ru slots filled (the ``edited_db`` fixture)."""

from __future__ import annotations

import sqlite3

import pytest

from aligner.corpus import queries
from aligner.text.search import normalize_query
from aligner.corpus import Store

from .helpers import RU_24, RU_25, WORK, set_alignment

PIVOT = f"{WORK}/en"
RU = f"{WORK}/ru"


@pytest.fixture
def conn(edited_db):
    conn = sqlite3.connect(edited_db)
    yield conn
    conn.close()


def test_is_corpus_and_build_stamp(conn, tmp_path):
    assert queries.is_corpus(conn)
    built_at, signature = queries.build_stamp(conn)
    assert built_at and signature
    empty = sqlite3.connect(tmp_path / "empty.db")
    assert not queries.is_corpus(empty) and queries.build_stamp(empty) is None


def test_works_and_versions(conn):
    assert [w["id"] for w in queries.works(conn)] == [WORK]
    assert queries.work_row(conn, WORK)["pivot"] == "en" and queries.work_row(conn, "nope") is None
    vs = queries.versions(conn, WORK)
    assert [(v["key"], v["is_pivot"], v["filled"]) for v in vs] == [("en", True, 0), ("ru", False, 2), ("es", False, 0)]
    assert vs[1]["label"] == "Письма В. И. Ленину" and vs[1]["id"] == RU


def test_divisions(conn):
    divs = queries.divisions(conn, PIVOT)
    # The front matter (title, byline, source) opens part 1: parts are counted from 1.
    assert [(d["n"], d["label"], d["count"]) for d in divs] == [
        (1, "Dmitrov, 4 March 1920", 47), (2, "Dmitrov (Moscow province) 21 December, 1920", 29)]
    assert sum(d["count"] for d in divs) == len(queries.pivot_segments(conn, PIVOT, None))


def test_status_counts_agree_with_the_store(edited_db, conn):
    counts = queries.status_counts(conn, WORK)
    ru = counts[(WORK, "ru")]
    assert (ru["confirmed"], ru["draft"], ru["auto"], ru["low"]) == (1, 1, 0, 0)
    for row in Store(edited_db).status_counts(WORK):
        mine = counts[(WORK, row["version"])]
        assert {k: mine[k] for k in ("empty", "auto", "draft", "confirmed", "stale", "total")} == \
            {k: row[k] for k in ("empty", "auto", "draft", "confirmed", "stale", "total")}
    set_alignment(edited_db, WORK, "ru", "24.1-24.2", status="auto", score=0.2)
    assert queries.status_counts(conn)[(WORK, "ru")]["low"] == 1


def test_pivot_segments_and_alignments_of_a_part(conn):
    pivots = queries.pivot_segments(conn, PIVOT, 2)
    assert {p["division"] for p in pivots} == {2} and pivots[0]["ref"] == "21.1"
    als = {a["address"]: a for a in queries.version_alignments(conn, RU, PIVOT, 2).values()}
    assert als["24.1-24.2"]["texts"] == [RU_24] and als["24.1-24.2"]["status"] == "draft"
    assert als["24.1-24.2"]["segments"] == queries.pivot_span_ids(conn, PIVOT, "24.1-24.2")
    assert als["25.1"]["texts"] == [RU_25]
    assert all(a["texts"] == [] for k, a in als.items() if k not in ("24.1-24.2", "25.1"))


def test_pivot_spans_and_the_context_of_a_slot(conn):
    ids = queries.pivot_span_ids(conn, PIVOT, "24.1-24.2")
    assert len(ids) == 2 and queries.pivot_span_ids(conn, PIVOT, "99.9") == []
    ctx = queries.span_context(conn, PIVOT, "24.1-24.2", around=2)
    assert [p["ref"] for p in ctx["pivots"]] == ["24.1", "24.2"] and [p["id"] for p in ctx["pivots"]] == ids
    assert ctx["division"] == 2 and ctx["near"] == ["22.1", "23.1", "24.1", "24.2", "25.1", "25.2"]
    assert queries.division_of_ref(conn, PIVOT, "24.1") == 2 and queries.division_of_ref(conn, PIVOT, "99.9") is None
    assert queries.segment_text(conn, PIVOT, "24.1").startswith("Is there really no one")


def test_history_is_newest_first_and_agrees_with_the_store(edited_db, conn):
    hist = queries.history(conn, WORK)
    assert hist["total"] == 2 and [r["address"] for r in hist["revisions"]] == ["25.1", "24.1-24.2"]
    store_ids = [r["id"] for r in Store(edited_db).history(WORK)]
    assert [r["id"] for r in hist["revisions"]] == store_ids[::-1]
    narrowed = queries.history(conn, WORK, key="ru", address="24.2")
    assert narrowed["total"] == 1 and narrowed["revisions"][0]["new_text"] == RU_24
    assert [r["id"] for r in narrowed["revisions"]] == [r["id"] for r in Store(edited_db).history(WORK, ref="24.2")]
    assert queries.history(conn, WORK, key="es")["total"] == 0
    assert queries.history(conn, WORK, address="99.9") == {"total": 0, "revisions": []}
    assert queries.history(conn, WORK, limit=1, offset=1)["revisions"][0]["address"] == "24.1-24.2"


def test_search_segments_and_the_pivot_of_a_hit(conn):
    found = queries.search_segments(conn, normalize_query("заложник", "ru"), [RU], limit=10)
    assert found["total"] == 2 and {r["text"] for r in found["rows"]} == {RU_24, RU_25}
    hit = next(r for r in found["rows"] if r["text"] == RU_24)
    assert queries.aligned_pivot(conn, hit["id"]) == ("24.1", 2, "24.1-24.2", "draft")
    with pytest.raises(sqlite3.OperationalError):
        queries.search_segments(conn, '"unbalanced', [RU], limit=10)


def test_alignment_spans_and_division_signatures(edited_db, conn):
    spans = queries.alignment_spans(conn, WORK, "en", "ru", None)
    assert len(spans["pivot"]) == 75 and len(spans["target"]) == 2 and spans["loose"] == []
    part = queries.alignment_spans(conn, WORK, "en", "ru", 2)
    assert set(part["refs"].values()) == {p["ref"] for p in queries.pivot_segments(conn, PIVOT, 2)}
    before = queries.division_signatures(conn, WORK, "en", ["ru"])
    first_of_part_1 = queries.pivot_segments(conn, PIVOT, 1)[0]["ref"]
    Store(edited_db).set_slot(WORK, "ru", first_of_part_1, "Ещё одно.", "draft", actor="anna")
    after = queries.division_signatures(conn, WORK, "en", ["ru"])
    assert after[2] == before[2] and after[1] != before[1]
    assert queries.division_signatures(conn, WORK, "en", ["en"]) == {}


def test_search_finds_segments_added_after_the_build_and_only_the_versions_asked_for(edited_db, texts):
    es = f"{WORK}/es"
    conn = sqlite3.connect(edited_db)
    before = queries.search_segments(conn, normalize_query("hostages"), [PIVOT, es], limit=100)["total"]
    conn.close()
    # A slot typed later gets a segment with an id past every built one (and past other versions').
    Store(edited_db).set_slot(WORK, "es", "33.1", "Los hostages del final.", "draft", actor="anna")
    conn = sqlite3.connect(edited_db)
    found = queries.search_segments(conn, normalize_query("hostages"), [PIVOT, es], limit=100)
    assert found["total"] == before + 1 and "Los hostages del final." in {r["text"] for r in found["rows"]}
    assert {r["version"] for r in found["rows"]} == {PIVOT, es}
    assert queries.search_segments(conn, normalize_query("hostages"), [es], limit=100)["total"] == 1
    assert queries.search_segments(conn, normalize_query("hostages"), [f"{WORK}/xx"], limit=100) == {"total": 0, "rows": []}
    conn.close()
