"""Spreadsheet round trips as XLSX: inert text cells, values typed by a translator, bad workbooks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.formats.csv import COLUMNS
from aligner.formats.xlsx import read_xlsx, write_xlsx
from aligner.model import Slot

from .helpers import SPECIAL, make_slots, one_line_error, sheet_key, sheet_want, slot_lists


@pytest.fixture
def xlsx_path(tmp_path) -> Path:
    p = tmp_path / "letters.ru.xlsx"
    write_xlsx(make_slots(), p, work="letters", lang="ru")
    return p


def test_xlsx_round_trip(xlsx_path):
    info, edits = read_xlsx(xlsx_path, work="letters", lang="ru")
    assert sheet_key(edits) == sheet_want(make_slots())
    assert (info.work, info.lang, info.delimiter) == ("letters", "ru", None)
    assert edits[0].where == "row 2"


def test_xlsx_cells_are_inert_text(xlsx_path):
    from openpyxl import load_workbook

    ws = load_workbook(xlsx_path)["slots"]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            assert c.number_format == "@", c.coordinate
            assert c.value is None or c.data_type == "s", (c.coordinate, c.value)
    assert ws["C5"].value == '=HYPERLINK("http://x")' and ws["C5"].quotePrefix
    sheet_xml = zipfile.ZipFile(xlsx_path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml  # no formula anywhere
    assert ws.freeze_panes == "A2"
    assert ws.data_validations.dataValidation[0].formula1 == '"empty,auto,draft,confirmed"'


xlsx_texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",), blacklist_characters="\r").filter(
        lambda c: c in "\t\n" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) >= 0x10000)),
    max_size=30,
).map("".join)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slots=slot_lists(xlsx_texts))
def test_xlsx_round_trip_property(tmp_path, slots):
    p = tmp_path / "prop.xlsx"
    write_xlsx(slots, p, work="w", lang="ru")
    _, edits = read_xlsx(p, work="w", lang="ru")
    assert sheet_key(edits) == sheet_want(slots)


def test_xlsx_values_typed_by_a_translator(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["segment", "text", "status"])
    ws.append([24.5, 1920, "Draft"])
    ws.append(["1.2", True, None])
    p = tmp_path / "typed.xlsx"
    wb.save(p)
    _, (a, b) = read_xlsx(p)
    assert (a.address, a.text, a.status) == ("24.5", "1920", "draft")
    assert (b.text, b.status) == ("TRUE", "draft")


def test_xlsx_too_long_cell(tmp_path):
    slot = Slot("w", "ru", "1.1", ["1.1"], "x", "я" * 40000, "draft")
    with pytest.raises(ValueError, match="32767"):
        write_xlsx([slot], tmp_path / "long.xlsx", work="w", lang="ru")


def test_xlsx_bad_inputs(tmp_path):
    csv_path = tmp_path / "letters.ru.csv"
    csv_path.write_text("segment,text,status\n1.1,a,draft\n", "utf-8")
    assert "not an XLSX workbook" in str(one_line_error(read_xlsx, csv_path))
    from openpyxl import Workbook

    def book(rows, name):
        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        p = tmp_path / name
        wb.save(p)
        return p

    assert "empty workbook" in str(one_line_error(read_xlsx, book([], "e.xlsx")))
    assert "missing column(s): status" in str(one_line_error(read_xlsx, book([["segment", "text"]], "m.xlsx")))
    err = one_line_error(read_xlsx, book([["segment", "text", "status"], ["1.1", "a", "draft"], ["1.2", "b", "fin"]], "s.xlsx"))
    assert err.line == 3 and "invalid status 'fin'" in str(err)
    err = one_line_error(read_xlsx, book([["segment", "text", "status"], ["1.1", "a", "draft", "stray"]], "x.xlsx"))
    assert err.line == 2 and "'stray'" in str(err)
    p = tmp_path / "damaged.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not an XLSX workbook" in str(one_line_error(read_xlsx, p))


def _with_xml_comment(src: Path, dest: Path, size: int) -> Path:
    """``src`` with an XML comment of ``size`` bytes in its sheet: a few KB packed (the issue's bomb was
    208 KB unpacking to 190 MB, and the XML parser took minutes over the one comment)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                k = data.index(b"<sheetData>")
                data = data[:k] + b"<!--" + b"A" * size + b"-->" + data[k:]
            out.writestr(info.filename, data)
    return dest


def test_a_zip_bomb_is_refused_before_the_xml_parser_meets_it(xlsx_path, tmp_path):
    bomb = _with_xml_comment(xlsx_path, tmp_path / "bomb.xlsx", 3 * 1024 * 1024)
    assert bomb.stat().st_size < 40_000
    err = one_line_error(read_xlsx, bomb)
    assert "part xl/worksheets/sheet1.xml unpacks" in str(err) and "ZIP bomb" in str(err)


def test_reading_a_workbook_has_a_deadline(xlsx_path, monkeypatch):
    from aligner.formats import xlsx

    monkeypatch.setattr(xlsx, "MAX_SECONDS", 0)  # every read is past it
    assert "reading the workbook took over 0 s" in str(one_line_error(read_xlsx, xlsx_path))
