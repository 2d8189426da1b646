"""Spreadsheet round trips: CSV (Excel/LibreOffice/Google Sheets) and XLSX.

Columns, one row per slot, in this order::

    segment, english, text, status, token, work, lang

* ``segment`` - the slot address ("24.1", "24.1-24.2", "Gen.1.1.2");
* ``english`` - the pivot text, for reading; never written back, but used to
  match a row whose ``segment`` cell is empty (a row a translator added);
* ``text`` - the translation, the column to edit;
* ``status`` - ``empty``, ``auto``, ``draft`` or ``confirmed``, any case. A
  blank cell means ``draft`` if the row has text, else ``empty``;
* ``token`` - the revision token at export time, for conflict detection;
* ``work``, ``lang`` - which work and language the file belongs to, so a file
  for another work is refused instead of being applied to the wrong text.

**Required columns on import:** ``segment``, ``text``, ``status``. The others
may be deleted by the translator: without ``token`` there is no conflict
check (the store applies the rows as they are, unless it refuses token-less
edits); without ``english`` an empty ``segment`` cell cannot be matched;
without ``work``/``lang`` the file cannot be checked against the expected
work. Column names are matched case-insensitively, in any order. Unknown
columns are refused (so a misspelt ``tokn`` does not silently switch off the
conflict check), as are duplicate columns.

A row still marked ``auto`` whose text no longer matches its token was
edited by a person and is read as ``draft``.

CSV dialect (what Excel writes as "CSV UTF-8"): UTF-8 with a byte-order mark
(without it Excel decodes Cyrillic as the local code page), comma separated,
``"`` quoting where needed (cells with commas, quotes, line breaks), CRLF
after each row; line breaks inside cells are LF. The reader also accepts a
semicolon or tab as separator (Excel in locales with a decimal comma, such as
Russian, saves CSV with ``;``), UTF-8 without BOM, and UTF-16 with a BOM
(Excel's "Unicode text"). Line breaks inside cells are read as ``\\n``
whatever the editor saved (``\\r\\n`` and a lone ``\\r`` become ``\\n``).

**Formula neutralisation and type protection (CSV only).** On export, a cell
gets one leading apostrophe ``'`` when

1. it begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return (a
   spreadsheet would run it as a formula - OWASP "CSV injection"), or with
   an apostrophe itself (so that the rule stays reversible); or
2. a spreadsheet would read it as a number, date, time or truth value: only
   digits, spaces and ``. , : / + - e E %`` with at least one digit
   (``24.10`` would otherwise come back as ``24.1``, a token like
   ``123e45678901`` as ``1.23457E+11``), or ``TRUE``/``FALSE``.

On import exactly one leading apostrophe is removed from every cell that has
one. Hence every value survives export -> import unchanged, including a
translation that really begins with ``'`` (written ``''``) or with a dialogue
dash ``-`` (written ``'-``). If the translator removes the apostrophe (or
types a dash in a cell where the spreadsheet kept it as text), the cell is
read as it stands.

XLSX (:func:`write_xlsx` / :func:`read_xlsx`) has the same columns and rules
for statuses, tokens and works, but needs no apostrophes: every cell is
written as a text cell with the "Text" number format (``@``), so nothing is
evaluated or converted, and values are read back exactly (numbers a
translator typed into a General-format cell are read as their shortest
decimal form). Cells beginning with a formula character also get Excel's
"quote prefix" style. Characters that XLSX cannot store (C0 controls other
than tab, LF, CR) are dropped; a cell holds at most 32,767 characters.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from aligner.errors import InputError
from aligner.model import STATUSES, Edit, Slot
from aligner.xmlsafe import (
    MAX_INPUT_BYTES,
    check_text_bytes,
    read_input,
    settle_auto,
    write_output,
    xml_text,
)

COLUMNS = ("segment", "english", "text", "status", "token", "work", "lang")
REQUIRED = ("segment", "text", "status")
TEXT_COLUMNS = ("english", "text")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBERISH = re.compile(r"^[\s\d.,:/+\-eE%]*\d[\s\d.,:/+\-eE%]*$")
_BOOLEAN = re.compile(r"^\s*(true|false)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"^[0-9A-Za-z_-]{4,64}$")
XLSX_CELL_LIMIT = 32767


@dataclass
class SheetInfo:
    """What the reader learnt from a spreadsheet besides its rows."""

    columns: list[str]
    work: str | None = None
    lang: str | None = None
    delimiter: str | None = None  # None for XLSX
    rows: int = 0
    skipped: list[int] = field(default_factory=list)  # blank rows (line numbers)


def escape_cell(value: str) -> str:
    """The CSV form of a cell value: see the module docstring for the rule."""
    if not value:
        return value
    if value[0] in _FORMULA_START or value[0] == "'" or _NUMBERISH.match(value) or _BOOLEAN.match(value):
        return "'" + value
    return value


def unescape_cell(cell: str) -> str:
    """Undo :func:`escape_cell`: drop exactly one leading apostrophe."""
    return cell[1:] if cell.startswith("'") else cell


def _normalise_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _row(slot: Slot, work: str, lang: str) -> list[str]:
    return [slot.address, slot.pivot_text or "", slot.text or "", slot.status, slot.token or "", work, lang]


# --- CSV ---------------------------------------------------------------------


def write_csv(
    slots: Iterable[Slot],
    fp_or_path: str | os.PathLike | IO,
    *,
    work: str,
    lang: str,
    delimiter: str = ",",
) -> int:
    """Write one row per slot; returns the number of rows (without the header).

    ``delimiter`` may be ``;`` for Excel in decimal-comma locales.
    """
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(COLUMNS)
    n = 0
    for slot in slots:
        w.writerow([escape_cell(v) for v in _row(slot, work, lang)])
        n += 1
    write_output(fp_or_path, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    return n


def _header_columns(name: str, cells: list[str], line: int) -> list[str]:
    cols = [unescape_cell(c.strip().lstrip("\ufeff")).strip().lower() for c in cells]
    # trailing unnamed columns (a spreadsheet's stray empty column) are checked per row
    while cols and cols[-1] == "":
        cols.pop()
    unknown = [c for c in cols if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in cols]
    if missing and (unknown or not cols):
        raise InputError(
            name,
            f"wrong columns: missing {', '.join(missing)}; the header has: {', '.join(c or '(blank)' for c in cols)} "
            f"(expected {', '.join(COLUMNS)})",
            line=line,
        )
    if missing:
        raise InputError(name, f"missing column(s): {', '.join(missing)} (required: {', '.join(REQUIRED)})", line=line)
    if unknown:
        raise InputError(
            name,
            f"unknown column(s): {', '.join(repr(c) if c else '(blank)' for c in unknown)} "
            f"(allowed: {', '.join(COLUMNS)})",
            line=line,
        )
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise InputError(name, f"duplicate column(s): {', '.join(dupes)}", line=line)
    return cols


def _sniff_delimiter(first_line: str) -> str:
    best, best_score = ",", -1
    for d in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first_line], delimiter=d))
        except (csv.Error, StopIteration):
            continue
        names = {unescape_cell(c.strip().lstrip("\ufeff")).strip().lower() for c in cells}
        score = len(names & set(COLUMNS))
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv(
    path: str | os.PathLike, *, work: str | None = None, lang: str | None = None
) -> tuple[SheetInfo, list[Edit]]:
    """Read a CSV written by :func:`write_csv` (and edited in a spreadsheet) into Edits.

    ``work``/``lang``, if given, are the expected work and language: rows that
    name another are refused. Every problem is an InputError naming the file
    and line.
    """
    name = str(path)
    data = read_input(path, kind="CSV")
    text = check_text_bytes(name, data, kind="CSV")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InputError(name, f"broken CSV quoting in the row starting here: {e}", line=start) from None
            yield start, row

    it = records()
    try:
        header_line, header = next(it)
    except StopIteration:
        raise InputError(name, "empty CSV: no header row") from None
    cols = _header_columns(name, header, header_line)
    info = SheetInfo(columns=cols, delimiter=delimiter)
    edits = _edits_from_rows(
        name, cols, len(header), it, work=work, lang=lang, info=info, unescape=True, where_word="line"
    )
    return info, edits


def _edits_from_rows(
    name: str,
    cols: list[str],
    width: int,
    rows: Iterable[tuple[int, list]],
    *,
    work: str | None,
    lang: str | None,
    info: SheetInfo,
    unescape: bool,
    where_word: str,
) -> list[Edit]:
    edits: list[Edit] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if all((c is None or str(c).strip() == "") for c in cells):
            info.skipped.append(line)
            continue
        if len(cells) != width:
            raise InputError(name, f"row has {len(cells)} cells, the header has {width}", line=line)
        extra_cells = [c for c in cells[len(cols) :] if c not in (None, "")]
        if extra_cells:
            raise InputError(name, f"row has a value in a column without a header: {extra_cells[0]!r}", line=line)
        values = {}
        for col, cell in zip(cols, cells):
            v = "" if cell is None else str(cell)
            if unescape:
                v = unescape_cell(v)
            if col in TEXT_COLUMNS:
                v = _normalise_breaks(v)
            values[col] = v
        address = values["segment"].strip() or None
        english = values.get("english")
        if address is None and not english:
            raise InputError(name, "row has neither a segment nor English text to match it by", line=line)
        text = values["text"]
        raw_status = values["status"].strip()
        status = raw_status.lower()
        if not status:
            status = "draft" if text else "empty"
        elif status not in STATUSES:
            raise InputError(
                name, f"invalid status '{raw_status}' (expected one of: {', '.join(STATUSES)})", line=line
            )
        token = (values.get("token") or "").strip() or None
        if token is not None and not _TOKEN.match(token):
            raise InputError(
                name,
                f"damaged token '{token}' (a spreadsheet may have turned it into a number); "
                "export again, or clear the cell to skip the conflict check",
                line=line,
            )
        for key, expected in (("work", work), ("lang", lang)):
            got = (values.get(key) or "").strip()
            if not got:
                continue
            if expected is not None and (got.lower() != expected.lower() if key == "lang" else got != expected):
                raise InputError(name, f"row is for {key} '{got}', not '{expected}'", line=line)
            known = getattr(info, key)
            if known is None:
                setattr(info, key, got)
            elif (known.lower() != got.lower()) if key == "lang" else (known != got):
                raise InputError(name, f"file mixes {key}s '{known}' and '{got}'", line=line)
        if address is not None:
            if address in seen:
                raise InputError(
                    name, f"segment {address} appears twice ({where_word}s {seen[address]} and {line})", line=line
                )
            seen[address] = line
        status = settle_auto(address, text, status, token)
        info.rows += 1
        edits.append(
            Edit(
                address=address,
                text=text,
                status=status,
                token=token,
                source_text=english if english is not None else None,
                where=f"{where_word} {line}",
            )
        )
    return edits


# --- XLSX --------------------------------------------------------------------

_WIDTHS = {"segment": 14, "english": 60, "text": 60, "status": 12, "token": 15, "work": 16, "lang": 8}

_README = [
    "How to use this workbook",
    "",
    "Edit the 'text' column (the translation) and the 'status' column only.",
    "status: empty (no translation), draft (written, not checked), confirmed (checked); "
    "'auto' marks machine alignments nobody has checked yet.",
    "Do not change 'segment' or 'token': they tie each row to its place and let the import "
    "detect rows that someone else changed in the meantime.",
    "'english' is for reference; 'work' and 'lang' say which text this file belongs to.",
    "Save as .xlsx (not .xls). Rows may be deleted; rows you add need a segment, or the exact English text.",
]


def write_xlsx(slots: Iterable[Slot], fp_or_path: str | os.PathLike | IO, *, work: str, lang: str) -> int:
    """Write one row per slot to an XLSX workbook (sheet ``slots``); returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "slots"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for j, col in enumerate(COLUMNS, 1):
        c = ws.cell(row=1, column=j, value=col)
        c.font = bold
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS[col]
        ws.column_dimensions[get_column_letter(j)].number_format = "@"
    n = 0
    for i, slot in enumerate(slots, 2):
        for j, (col, value) in enumerate(zip(COLUMNS, _row(slot, work, lang)), 1):
            value = xml_text(value)
            if len(value) > XLSX_CELL_LIMIT:
                raise ValueError(
                    f"slot {slot.address}: the {col} cell would hold {len(value)} characters; "
                    f"XLSX cells hold at most {XLSX_CELL_LIMIT} (use CSV or XLIFF)"
                )
            c = ws.cell(row=i, column=j)
            c.value = value
            c.data_type = "s"  # never a formula, whatever it begins with
            c.number_format = "@"
            if value[:1] in _FORMULA_START or value[:1] == "'":
                c.quotePrefix = True
            c.alignment = wrap if col in TEXT_COLUMNS else top
        n += 1
    ws.freeze_panes = "A2"
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="status",
        error="Use one of: " + ", ".join(STATUSES),
    )
    dv.add(f"D2:D{max(n + 1, 2) + 1000}")
    ws.add_data_validation(dv)
    about = wb.create_sheet("about")
    for i, line in enumerate(_README, 1):
        about.cell(row=i, column=1, value=line).data_type = "s"
    about["A1"].font = bold
    about.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    write_output(fp_or_path, buf.getvalue())
    return n


def _cell_str(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    return str(v)


def read_xlsx(
    path: str | os.PathLike, *, work: str | None = None, lang: str | None = None
) -> tuple[SheetInfo, list[Edit]]:
    """Read an XLSX workbook written by :func:`write_xlsx` (sheet ``slots``, else the first)."""
    from openpyxl import load_workbook

    name = str(path)
    data = read_input(path, kind="XLSX")
    if not data.startswith(b"PK"):
        hint = " (it looks like text: CSV?)" if b"\x00" not in data[:1024] else ""
        raise InputError(name, f"not an XLSX workbook: it is not a ZIP file{hint}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as e:
        raise InputError(name, f"not an XLSX workbook: damaged ZIP ({e})") from None
    if unpacked > MAX_INPUT_BYTES:
        raise InputError(name, f"workbook too large once unpacked: {unpacked} bytes")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many kinds for non-workbooks
        raise InputError(name, f"not an XLSX workbook: {type(e).__name__}: {e}".rstrip(": ")) from None
    try:
        ws = wb["slots"] if "slots" in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        try:
            first = next(rows)
        except StopIteration:
            raise InputError(name, "empty workbook: the sheet has no header row") from None
        header = [_cell_str(v) or "" for v in first]
        cols = _header_columns(name, header, 1)
        info = SheetInfo(columns=cols, delimiter=None)

        width = len(header)

        def numbered() -> Iterator[tuple[int, list]]:
            for i, row in enumerate(rows, 2):
                cells = [_cell_str(v) for v in row]
                # XLSX rows are ragged: pad short ones; a value past the header is an error
                extra = [c for c in cells[width:] if c not in (None, "")]
                if extra:
                    raise InputError(name, f"row has a value in a column without a header: {extra[0]!r}", line=i)
                cells = cells[:width] + [None] * (width - len(cells))
                yield i, cells

        edits = _edits_from_rows(
            name, cols, width, numbered(), work=work, lang=lang, info=info, unescape=False, where_word="row"
        )
    finally:
        wb.close()
    return info, edits
