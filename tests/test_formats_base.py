"""The rules every format's reader shares."""

from __future__ import annotations

import pytest

from aligner.errors import InputError
from aligner.formats.base import EditList, compact_utc, lang_matches, settle_auto, settle_status
from aligner.model import slot_token


@pytest.mark.parametrize(
    "tag,wanted,ok",
    [("ru", "ru", True), ("ru-RU", "ru", True), ("RU_ru", "ru", True), ("en", "en-GB", True), ("de", "ru", False), ("", "ru", False)],
)
def test_lang_matches(tag, wanted, ok):
    assert lang_matches(tag, wanted) is ok


def test_a_unit_seen_twice_is_refused_with_both_places():
    edits = EditList("ru.tmx")
    edits.add(address="1.1", text="a", status="draft", token=None, source_text="A", line=3, unit="1.1")
    edits.add(address=None, text="b", status="draft", token=None, source_text="B", line=5)
    with pytest.raises(InputError) as e:
        edits.add(address="1.1", text="c", status="draft", token=None, source_text="C", line=9, unit="1.1")
    assert str(e.value) == "ru.tmx:9 (unit 1.1): unit 1.1 appears twice (lines 3 and 9)"
    assert [(x.address, x.where) for x in edits] == [("1.1", "unit 1.1"), (None, "line 5")]


def test_sheets_name_rows():
    edits = EditList("ru.xlsx", noun="segment", where_word="row")
    edits.add(address="2.1", text="a", status="draft", token=None, source_text=None, line=2)
    with pytest.raises(InputError, match=r"ru.xlsx:4: segment 2.1 appears twice \(rows 2 and 4\)"):
        edits.add(address="2.1", text="b", status="draft", token=None, source_text=None, line=4)
    assert edits[0].where == "row 2"


def test_auto_survives_only_unchanged_text():
    token = slot_token("1.1", "Привет", "auto")
    assert settle_auto("1.1", "Привет", "auto", token) == "auto"
    assert settle_auto("1.1", "Привет!", "auto", token) == "draft"
    assert settle_auto(None, "Привет!", "auto", token) == "auto"


def test_settle_status_follows_the_export_record():
    token = slot_token("1.1", "Да", "confirmed")
    assert settle_status("1.1", "Да", "draft", token, "confirmed", untouched=True) == "confirmed"
    assert settle_status("1.1", "Нет", "confirmed", token, "confirmed", untouched=True) == "draft"
    assert settle_status("1.1", "", "confirmed", token, "confirmed", untouched=True) == "empty"
    assert settle_status("1.1", "Нет", "confirmed", token, "confirmed", untouched=False) == "confirmed"


def test_compact_utc():
    assert compact_utc("2026-11-24T12:00:00+02:00") == "20261124T100000Z"
    assert compact_utc("2026-11-24 12:00:00") == "20261124T120000Z"
    assert compact_utc("20261124T120000Z") == "20261124T120000Z"
    assert compact_utc("yesterday") is None and compact_utc(None) is None
