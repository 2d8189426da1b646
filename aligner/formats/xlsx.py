"""Spreadsheet round trips as XLSX workbooks (Excel, LibreOffice), with the columns and rules of CSV.

The columns, statuses, tokens and work checks are those of
:mod:`aligner.formats.csv`; only the container differs. XLSX
(:func:`write_xlsx` / :func:`read_xlsx`) needs no apostrophes: every cell is
written as a text cell with the "Text" number format (``@``), so nothing is
evaluated or converted, and values are read back exactly (numbers a
translator typed into a General-format cell are read as their shortest
decimal form). Cells beginning with a formula character also get Excel's
"quote prefix" style. Characters that XLSX cannot store (C0 controls other
than tab, LF, CR) are dropped; a cell holds at most 32,767 characters.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import time
import zipfile
from typing import IO, Iterable, Iterator

from .. import textio
from ..errors import InputError
from .base import write_output
from .csv import (
    COLUMNS,
    FORMULA_START,
    TEXT_COLUMNS,
    SheetFormat,
    SheetInfo,
    edits_from_rows,
    header_columns,
    slot_row,
)
from .xmlsafe import xml_text
from ..model import STATUSES, Edit, Slot

XLSX_CELL_LIMIT = 32767

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
        for j, (col, value) in enumerate(zip(COLUMNS, slot_row(slot, work, lang)), 1):
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
            if value[:1] in FORMULA_START or value[:1] == "'":
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


#: A part that unpacks to more than this is held to :data:`MAX_RATIO`: what spreadsheet programs write
#: packs 2-10 times (a slots sheet about 5); a "zip bomb" packs a thousand times. The workbook as a
#: whole is held to the input limit once unpacked. Both are read from the ZIP directory, before any
#: part is inflated, and the ZIP reader never inflates a part beyond the size its directory declares.
RATIO_FLOOR = 1024 * 1024
MAX_RATIO = 100
#: However the parts are made, reading a workbook stops after this many seconds: the XML parser takes
#: time quadratic in the length of one token (a comment, a text), so size bounds alone do not bound time.
MAX_SECONDS = 60


class _Deadline(io.BytesIO):
    """The workbook's bytes, refusing to be read past a deadline (openpyxl reads parts in small chunks)."""

    def __init__(self, data: bytes, name: str, seconds: float):
        super().__init__(data)
        self.name_, self.seconds = name, seconds
        self.deadline = time.monotonic() + seconds

    def _check(self) -> None:
        if time.monotonic() > self.deadline:
            raise InputError(self.name_, f"reading the workbook took over {self.seconds:g} s: it is not a slots "
                                         "workbook a spreadsheet program writes (an XML part with a huge comment or text?)")

    def read(self, *args):
        self._check()
        return super().read(*args)

    def readinto(self, *args):
        self._check()
        return super().readinto(*args)


def _check_unpacked(name: str, data: bytes) -> None:
    """Refuse a workbook whose parts would unpack to too much, before openpyxl reads any of it.

    openpyxl streams each part through the XML parser, and a single huge token
    (a 190 MB XML comment in a 208 KB file) takes that parser minutes: the
    sizes have to be bounded before it starts.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
    except zipfile.BadZipFile as e:
        raise InputError(name, f"not an XLSX workbook: damaged ZIP ({e})") from None
    unpacked = sum(i.file_size for i in parts)
    if unpacked > textio.MAX_INPUT_BYTES:
        raise InputError(name, f"workbook too large once unpacked: {unpacked:,} bytes (the limit is "
                               f"{textio.MAX_INPUT_BYTES:,})")
    for i in parts:
        if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise InputError(name, f"not a workbook a spreadsheet program writes: part {i.filename} unpacks "
                                   f"{i.file_size // max(1, i.compress_size):,} times its packed size "
                                   f"({i.file_size:,} bytes; a ZIP bomb?)")


def read_xlsx(
    path: str | os.PathLike, *, work: str | None = None, lang: str | None = None
) -> tuple[SheetInfo, list[Edit]]:
    """Read an XLSX workbook written by :func:`write_xlsx` (sheet ``slots``, else the first)."""
    from openpyxl import load_workbook

    name = str(path)
    data = textio.read_bytes(path)
    if not data.startswith(b"PK"):
        hint = " (it looks like text: CSV?)" if b"\x00" not in data[:1024] else ""
        raise InputError(name, f"not an XLSX workbook: it is not a ZIP file{hint}")
    _check_unpacked(name, data)
    try:
        wb = load_workbook(_Deadline(data, name, MAX_SECONDS), read_only=True, data_only=False)
    except InputError:
        raise
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
        cols = header_columns(name, header, 1)
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

        edits = edits_from_rows(
            name, cols, width, numbered(), work=work, lang=lang, info=info, unescape=False, where_word="row"
        )
    finally:
        wb.close()
    return info, edits


class XlsxFormat(SheetFormat):
    name = "xlsx"
    label = "XLSX"
    suffixes = (".xlsx",)
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    streams = False

    def write(self, slots, out, *, work, lang, src_lang=None, tgt_lang=None, copy_source=False) -> int:
        return write_xlsx(slots, out, work=work, lang=lang)

    def read_sheet(self, path, *, work, lang):
        return read_xlsx(path, work=work, lang=lang)

    def sniff(self, head: bytes, root: str | None) -> bool:
        return head.startswith(textio.ZIP_MAGIC)
