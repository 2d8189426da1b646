"""CSV round trips: the file as Excel writes and reads it, formula neutralisation, bad input, a real spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.formats.csv import COLUMNS, escape_cell, read_csv, unescape_cell, write_csv
from aligner.formats.xlsx import write_xlsx
from aligner.model import slot_token

from .helpers import SPECIAL, make_slots, not_installed, one_line_error, sheet_key, sheet_want, slot_lists


@pytest.fixture
def csv_path(tmp_path) -> Path:
    p = tmp_path / "letters.ru.csv"
    write_csv(make_slots(), p, work="letters", lang="ru")
    return p


# --- the file as written -------------------------------------------------------------------------


def test_bom_crlf_and_quoting(csv_path):
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsegment,english,text,status,token,work,lang\r\n")
    assert raw.endswith(b"\r\n")
    text = raw.decode("utf-8-sig")
    assert text.count("\r\n") == len(make_slots()) + 1  # one per row; cells keep bare LF
    assert '"\'— Пишу вам\nиз Дмитрова."' not in text and '"— Пишу вам\nиз Дмитрова."' in text
    assert '"Dear, ""Vladimir"" Ilyich,"' in text


def test_excel_reads_the_rows(csv_path):
    # what a spreadsheet sees: the raw cells, with our apostrophes
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == list(COLUMNS)
    assert [len(r) for r in rows] == [7] * (len(make_slots()) + 1)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(dangerous), cell  # inert: nothing a spreadsheet would run
    by_seg = {r[0]: r for r in rows[1:]}
    assert by_seg["'24.10"][2] == "'- Да, — сказал он."
    assert by_seg["'24.11"][1:3] == ["'=cmd|' /C calc'!A0", "'=HYPERLINK(\"http://x\")"]
    assert by_seg["'24.12"][2] == "''Tis so."
    assert by_seg["Gen.1.1.2"][1:3] == ["'1920", "'+7 @home\tтаб"]
    assert by_seg["'24.2-24.3"][2] == "— Пишу вам\nиз Дмитрова."  # an em dash is harmless


@pytest.mark.parametrize(
    "value,cell",
    [
        ("=1+2", "'=1+2"), ("+1", "'+1"), ("-", "'-"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
        ("'", "''"), ("'=1", "''=1"), ("24.10", "'24.10"), ("0012", "'0012"), ("1/2", "'1/2"), ("3:10", "'3:10"),
        ("123e45678901", "'123e45678901"), ("TRUE", "'TRUE"), ("false", "'false"), ("50 %", "'50 %"),
        ("Gen.1.1", "Gen.1.1"), ("1920 год", "1920 год"), ("3f2a9c1e0b12", "3f2a9c1e0b12"), ("", ""),
        ("a=b", "a=b"), (" =1", " =1"), ("—", "—"),
    ],
)
def test_escape_rule(value, cell):
    assert escape_cell(value) == cell
    assert unescape_cell(cell) == value


def test_semicolon_variant(tmp_path):
    p = tmp_path / "semi.csv"
    write_csv(make_slots(), p, work="letters", lang="ru", delimiter=";")
    assert p.read_bytes().startswith(b"\xef\xbb\xbfsegment;english;text")
    info, edits = read_csv(p)
    assert info.delimiter == ";" and sheet_key(edits) == sheet_want(make_slots())


def test_write_to_streams():
    b, s = io.BytesIO(), io.StringIO(newline="")
    assert write_csv(make_slots(), b, work="w", lang="ru") == len(make_slots())
    write_csv(make_slots(), s, work="w", lang="ru")
    assert s.getvalue().encode("utf-8") == b.getvalue()


# --- round trips ------------------------------------------------------------------------------------


def test_round_trip(csv_path):
    info, edits = read_csv(csv_path, work="letters", lang="ru")
    assert sheet_key(edits) == sheet_want(make_slots())
    assert (info.work, info.lang, info.delimiter, info.rows) == ("letters", "ru", ",", len(make_slots()))
    assert info.columns == list(COLUMNS)
    assert edits[1].where == "line 3" and edits[2].where == "line 5"  # row 3 spans two lines


# CSV cannot hold NUL (not text) and reads every CR as a line break, so texts are drawn without them
csv_texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")),
    max_size=30,
).map("".join)


PROPERTY = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(slots=slot_lists(csv_texts), delimiter=st.sampled_from([",", ";"]))
def test_csv_round_trip_property(tmp_path, slots, delimiter):
    p = tmp_path / "prop.csv"
    write_csv(slots, p, work="w", lang="ru", delimiter=delimiter)
    _, edits = read_csv(p, work="w", lang="ru")
    assert sheet_key(edits) == sheet_want(slots)


@PROPERTY
@given(value=st.text())
def test_escape_is_reversible_for_any_string(value):
    assert unescape_cell(escape_cell(value)) == value


def test_excel_saved_file(tmp_path):
    """As Excel saves "CSV UTF-8" after editing: apostrophes kept, LF in cells, CRLF rows, status in capitals."""
    tok = make_slots()[0].token
    p = tmp_path / "excel.csv"
    p.write_bytes(
        ("\ufeffsegment,english,text,status,token,work,lang\r\n"
         f"'24.1,\"Dear, \"\"Vladimir\"\" Ilyich,\",\"Дорогой\nВладимир Ильич!\",Confirmed,{tok},letters,ru\r\n"
         "'24.10,Dialogue.,'- Да,DRAFT ,,letters,ru\r\n"
         ",,,,,,\r\n"
         "24.13,Not yet.,- Нет.,,,letters,ru\r\n").encode("utf-8")
    )
    info, edits = read_csv(p, work="letters", lang="ru")
    assert [(e.address, e.text, e.status, e.token) for e in edits] == [
        ("24.1", "Дорогой\nВладимир Ильич!", "confirmed", tok),
        ("24.10", "- Да", "draft", None),
        ("24.13", "- Нет.", "draft", None),  # apostrophe removed by the translator: read as it stands
    ]
    assert info.skipped == [5]  # line 3 holds the rest of row 2's text


def test_crlf_inside_cells_is_read_as_lf(tmp_path):
    p = tmp_path / "crlf.csv"
    p.write_bytes(b'segment,text,status\r\n1.1,"a\r\nb\rc",draft\r\n')
    (e,) = read_csv(p)[1]
    assert e.text == "a\nb\nc"


def test_utf16_and_tab_separated(tmp_path):
    p = tmp_path / "unicode.txt"
    p.write_bytes("segment\ttext\tstatus\r\n1.1\tПривет\tdraft\r\n".encode("utf-16"))
    info, (e,) = read_csv(p)
    assert info.delimiter == "\t" and e.text == "Привет"


def test_only_required_columns(tmp_path):
    p = tmp_path / "min.csv"
    p.write_text("Status,Segment,TEXT\nconfirmed,1.1,Привет\n,1.2,\n", encoding="utf-8")
    info, (a, b) = read_csv(p, work="letters", lang="ru")
    assert (a.address, a.text, a.status, a.token, a.source_text) == ("1.1", "Привет", "confirmed", None, None)
    assert (b.status, b.text) == ("empty", "")  # blank status, no text
    assert (info.work, info.lang) == (None, None)


def test_row_without_segment_matches_by_english(tmp_path):
    p = tmp_path / "new.csv"
    p.write_text("segment,english,text,status\n,Dear Vladimir Ilyich,,\n,Hello,Привет,\n", encoding="utf-8")
    _, (a, b) = read_csv(p)
    assert (a.address, a.source_text, a.status) == (None, "Dear Vladimir Ilyich", "empty")
    assert (b.address, b.source_text, b.status, b.text) == (None, "Hello", "draft", "Привет")


def test_auto_edited_in_the_sheet_becomes_draft(tmp_path):
    tok = slot_token("1.1", "Машина", "auto")
    p = tmp_path / "auto.csv"
    p.write_text(f"segment,text,status,token\n1.1,Машина,auto,{tok}\n1.2,Человек,auto,{tok}\n1.3,Без токена,auto,\n",
                 encoding="utf-8")
    _, edits = read_csv(p)
    assert [e.status for e in edits] == ["auto", "draft", "auto"]


# --- bad input: one line naming the file and the line ---------------------------------------------------------


def _csv(tmp_path, text: str, name="in.csv", encoding="utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_file(tmp_path, content):
    assert "empty" in str(one_line_error(read_csv, _csv(tmp_path, content)))


def test_not_utf8(tmp_path):
    p = _csv(tmp_path, "segment,text,status\n1.1,Привет,draft\n", encoding="cp1251")
    err = one_line_error(read_csv, p)
    assert "not valid UTF-8" in str(err) and "CSV UTF-8" in str(err) and err.line == 2 and f"{p}:2:" in str(err)


def test_binary(tmp_path):
    assert "binary" in str(one_line_error(read_csv, _csv(tmp_path, b"segment,text\x00\x01\x02")))


def test_xlsx_given_as_csv(tmp_path):
    p = tmp_path / "letters.ru.xlsx"
    write_xlsx(make_slots(), p, work="letters", lang="ru")
    assert "ZIP" in str(one_line_error(read_csv, p))


def test_missing_columns_are_named(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,english,text\n1.1,a,b\n"))
    assert "missing column(s): status" in str(err) and err.line == 1


def test_wrong_file_entirely(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "id,rev,en,ru\n1,2,3,4\n"))
    assert "missing segment, text, status" in str(err) and "id, rev, en, ru" in str(err)


def test_unknown_and_duplicate_columns(tmp_path):
    assert "unknown column(s): 'tokn'" in str(one_line_error(read_csv, _csv(tmp_path, "segment,text,status,tokn\n")))
    assert "duplicate column(s): text" in str(one_line_error(read_csv, _csv(tmp_path, "segment,text,status,text\n", "d.csv")))


def test_wrong_number_of_cells(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status\n1.1,a,draft\n1.2,b\n"))
    assert err.line == 3 and "row has 2 cells, the header has 3" in str(err)


def test_value_in_unnamed_column(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status,\n1.1,a,draft,\n1.2,b,draft,oops\n"))
    assert err.line == 3 and "'oops'" in str(err)


def test_invalid_status_names_value_and_line(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status\n1.1,a,draft\n1.2,b,done\n"))
    assert err.line == 3 and "invalid status 'done'" in str(err)


def test_work_and_lang_mismatch(tmp_path):
    p = _csv(tmp_path, "segment,text,status,work,lang\n1.1,a,draft,bible,ru\n")
    assert "row is for work 'bible', not 'letters'" in str(one_line_error(read_csv, p, work="letters"))
    assert "row is for lang 'ru', not 'de'" in str(one_line_error(read_csv, p, lang="de"))
    assert read_csv(p, work="bible", lang="RU")[0].work == "bible"


def test_mixed_works(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status,work\n1.1,a,draft,letters\n1.2,b,draft,bible\n"))
    assert err.line == 3 and "mixes works" in str(err)


def test_duplicate_segment(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status\n1.1,a,draft\n1.1,b,draft\n"))
    assert err.line == 3 and "lines 2 and 3" in str(err)


def test_token_turned_into_a_number(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,text,status,token\n1.1,a,draft,1.23457E+11\n"))
    assert err.line == 2 and "damaged token '1.23457E+11'" in str(err)


def test_broken_quoting(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, 'segment,text,status\n1.1,"unclosed,draft\n1.2,b,draft\n'))
    assert err.line == 2 and "quoting" in str(err)


def test_row_with_nothing_to_match(tmp_path):
    err = one_line_error(read_csv, _csv(tmp_path, "segment,english,text,status\n,,Привет,draft\n"))
    assert err.line == 2 and "neither a segment nor English text" in str(err)


# --- a real spreadsheet: LibreOffice Calc (Debian package 'libreoffice-calc-nogui'), headless ---------------------


def test_libreoffice_open_and_save_is_the_identity(tmp_path, csv_path):
    """Calc opens our CSV (UTF-8, comma), saves it as XLSX, then as CSV again: every value survives."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if not soffice:
        not_installed("LibreOffice is not installed (Debian package 'libreoffice-calc-nogui')")
    profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"

    def convert(src: Path, fmt: str, outdir: Path, infilter: str | None = None) -> None:
        cmd = [soffice, profile, "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", fmt, "--outdir", str(outdir), str(src)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr

    convert(csv_path, "xlsx", tmp_path / "x", infilter="CSV:44,34,76,1")
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "x" / "letters.ru.xlsx").active
    assert all(c.data_type in ("s", "n") and not str(c.value or "").startswith("=") for row in ws.iter_rows() for c in row)
    convert(tmp_path / "x" / "letters.ru.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false",
            tmp_path / "back")
    _, edits = read_csv(tmp_path / "back" / "letters.ru.csv", work="letters", lang="ru")
    assert sheet_key(edits) == sheet_want(make_slots())


def test_a_huge_cell_is_named_as_such(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text("segment,text,status\n1.1,\"" + "я" * 150_000 + "\",draft\n", "utf-8")
    err = one_line_error(read_csv, p)
    assert err.line == 2 and "a cell in this row is too large: over 131,072 characters" in str(err)
    assert "broken CSV quoting" not in str(err)
