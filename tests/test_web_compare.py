"""Comparing two versions (aligner.web.compare): the word diff, the per-part summary and its cache."""

from __future__ import annotations

import re

import pytest

from aligner.web.compare import collapse_blank, word_diff

from .helpers import WORK, datasette, fill_bible, get, make_bible


def test_word_diff_marks_words_not_the_space_after_them():
    d = word_diff("And God said, let there be light.", "Then God said: let there be light!")
    assert d["a_pieces"][:2] == [("del", "And"), ("same", " God said")]
    assert d["b_pieces"][:2] == [("ins", "Then"), ("same", " God said")]
    assert (d["changed"], d["words"]) == (2, 14)  # punctuation is shown, but only words are counted
    assert word_diff("same words", "same words", pieces=False) == {"a_pieces": [], "b_pieces": [], "changed": 0, "words": 4}


def test_collapse_blank_joins_runs_of_empty_rows_within_a_part():
    rows = [{"a": "", "b": "", "refs": [r], "division": 0, "division_label": label}
            for r, label in (("1", "Part 1"), ("2", None), ("3", "Part 2"))]
    rows.append({"a": "x", "b": "", "refs": ["4"], "division": 0, "division_label": None})
    items = collapse_blank(rows)
    assert [(i["type"], i.get("count"), i.get("first"), i.get("last")) for i in items] == [
        ("skip", 2, "1", "2"), ("skip", 1, "3", "3"), ("row", None, None, None)]


@pytest.mark.asyncio
async def test_compare_two_versions_word_diff(tmp_path):
    db, _ = make_bible(tmp_path)
    fill_bible(db, [("Gen", 1), ("Gen", 2)])
    ds = datasette(db)
    t = (await get(ds, "/-/compare/bible?a=kjv&b=web")).text
    assert "<del>And</del>" in t and "<ins>Then</ins>" in t
    # Summary per part: 26 parts are too many for a table, so a strip of bars, one per part.
    assert '<svg class="diff-strip"' in t and 'class="summary-table"' not in t
    assert re.search(r"<title>Gen 1: \d+\.\d% of words differ</title>", t)
    assert re.search(r"<title>Gen 2: \d+\.\d% of words differ</title>", t)
    assert "<title>Gen 3: no text in both</title>" in t
    # The page itself is one part.
    assert t.count('class="cmp-row k-verse') == 40
    data = (await get(ds, "/-/compare/bible.json?a=kjv&b=web&part=2")).json()
    assert data["part"] == 2 and 10 < data["pct"] < 80
    summary = {s["label"]: s for s in data["summary"]}
    # Both chapters were reworded the same way, verse by verse.
    assert 10 < summary["Gen 1"]["pct"] < 80 and summary["Gen 2"]["pct"] == summary["Gen 1"]["pct"]
    assert summary["Gen 1"]["both"] == summary["Gen 1"]["rows"] == 40
    assert summary["Gen 3"]["pct"] is None and summary["Gen 3"]["both"] == 0
    row = data["rows"][0]
    assert row["refs"] == ["Gen.2.1.1"] and row["changed"] > 0
    # Chapters with no text in one version are listed without a diff.
    t = (await get(ds, "/-/compare/bible?a=kjv&b=web&part=5")).text
    assert "<del>" not in t.split('<div class="compare">')[1] and "no sentence has text in both" in t


@pytest.mark.asyncio
async def test_compare_summary_follows_edits(tmp_path):
    db, _ = make_bible(tmp_path)
    fill_bible(db, [("Gen", 1)])
    ds = datasette(db)
    before = {s["label"]: s for s in (await get(ds, "/-/compare/bible.json?a=kjv&b=web")).json()["summary"]}
    assert before["Gen 3"]["pct"] is None
    fill_bible(db, [("Gen", 3)])
    after = {s["label"]: s for s in (await get(ds, "/-/compare/bible.json?a=kjv&b=web")).json()["summary"]}
    assert after["Gen 3"]["pct"] is not None and after["Gen 1"] == before["Gen 1"]


@pytest.mark.asyncio
async def test_compare_default_pair_and_letters(ds):
    t = (await get(ds, f"/-/compare/{WORK}")).text
    assert "Compare two versions" in t and "&lt;script" not in t
    t = (await get(ds, f"/-/compare/{WORK}?a=ru&b=en")).text
    assert "different languages" in t
    # Beside the pivot every sentence has text: nothing to skip.
    assert "cmp-skip" not in t
    # ru and es are both empty over most of the letters: each such run is one line.
    t = (await get(ds, f"/-/compare/{WORK}?a=ru&b=es")).text
    skips = re.findall(r'<div class="cmp-skip">(\d+) sentences? with no text in either version</div>', t)
    assert len(skips) == 4 and all(int(n) > 0 for n in skips)


@pytest.mark.asyncio
async def test_a_long_works_summary_is_worked_out_in_the_background(tmp_path, monkeypatch):
    from aligner.web import compare

    import threading

    monkeypatch.setattr(compare, "INLINE_SENTENCES", 100)  # the made-up Bible has 26 x 40 sentences
    monkeypatch.setattr(compare, "_summaries", compare.SummaryCache())
    # The background summary waits until the pages below have been looked at while it is pending: otherwise a
    # fast machine finishes it between two requests and the test depends on timing.
    release, real = threading.Event(), compare.compare_summary

    def held(*args, **kwargs):
        if threading.current_thread().name == "aligner-compare-summary":
            release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(compare, "compare_summary", held)
    db, _ = make_bible(tmp_path)
    fill_bible(db, [("Gen", 1)])
    ds = datasette(db)
    data = (await get(ds, "/-/compare/bible.json?a=kjv&b=web&part=1")).json()
    assert data["summary"] is None and data["summary_pending"] is True
    assert data["part"] == 1 and 10 < data["pct"] < 80  # the part itself is complete meanwhile
    t = (await get(ds, "/-/compare/bible?a=kjv&b=web&part=1")).text
    assert "being worked out" in t and "<del>And</del>" in t
    release.set()
    compare._summaries.wait()
    data = (await get(ds, "/-/compare/bible.json?a=kjv&b=web&part=1")).json()
    summary = {s["label"]: s for s in data["summary"]}
    assert data["summary_pending"] is False and 10 < summary["Gen 1"]["pct"] < 80
    # After an edit the changed part is diffed again in the page itself, no waiting.
    fill_bible(db, [("Gen", 3)])
    data = (await get(ds, "/-/compare/bible.json?a=kjv&b=web&part=1")).json()
    assert {s["label"]: s for s in data["summary"]}["Gen 3"]["pct"] is not None
