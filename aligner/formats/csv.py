"""Spreadsheet round trips as CSV (Excel, LibreOffice, Google Sheets); the columns and row rules XLSX shares.

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
"""

from __future__ import annotations

import csv  # the standard library's: imports are absolute, this module is aligner.formats.csv
import io
import os
import re
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from .. import textio
from ..errors import InputError
from .base import EditList, SlotFormat, resolve_version, settle_auto, write_output
from ..model import STATUSES, Edit, Slot

COLUMNS = ("segment", "english", "text", "status", "token", "work", "lang")
REQUIRED = ("segment", "text", "status")
TEXT_COLUMNS = ("english", "text")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBERISH = re.compile(r"^[\s\d.,:/+\-eE%]*\d[\s\d.,:/+\-eE%]*$")
_BOOLEAN = re.compile(r"^\s*(true|false)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"^[0-9A-Za-z_-]{4,64}$")


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
    if value[0] in FORMULA_START or value[0] == "'" or _NUMBERISH.match(value) or _BOOLEAN.match(value):
        return "'" + value
    return value


def unescape_cell(cell: str) -> str:
    """Undo :func:`escape_cell`: drop exactly one leading apostrophe."""
    return cell[1:] if cell.startswith("'") else cell


def _normalise_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def slot_row(slot: Slot, work: str, lang: str) -> list[str]:
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
        w.writerow([escape_cell(v) for v in slot_row(slot, work, lang)])
        n += 1
    write_output(fp_or_path, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    return n


def header_columns(name: str, cells: list[str], line: int) -> list[str]:
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
    text = textio.read_text(path, kind="CSV", how="in Excel: 'CSV UTF-8'")
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
                if "field larger than field limit" in str(e):
                    # A cell past the csv module's limit: say so (an open quote above swallowing
                    # the rest of the file is the usual cause), not "broken quoting".
                    raise InputError(name, f"a cell in this row is too large: over {csv.field_size_limit():,} "
                                           "characters (a slot's text is far shorter; is a quote left open?)",
                                     line=start) from None
                raise InputError(name, f"broken CSV quoting in the row starting here: {e}", line=start) from None
            yield start, row

    it = records()
    try:
        header_line, header = next(it)
    except StopIteration:
        raise InputError(name, "empty CSV: no header row") from None
    cols = header_columns(name, header, header_line)
    info = SheetInfo(columns=cols, delimiter=delimiter)
    edits = edits_from_rows(
        name, cols, len(header), it, work=work, lang=lang, info=info, unescape=True, where_word="line"
    )
    return info, edits


def edits_from_rows(
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
    edits = EditList(name, noun="segment", where_word=where_word)
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
        status = settle_auto(address, text, status, token)
        edits.add(address=address, text=text, status=status, token=token, source_text=english, line=line)
        info.rows += 1
    return list(edits)


class SheetFormat(SlotFormat):
    """A spreadsheet of slots (CSV, XLSX): the file names its work and version in its rows."""

    def read_sheet(self, path, *, work: str | None, lang: str | None) -> tuple[SheetInfo, list[Edit]]:
        raise NotImplementedError

    def peek(self, path):
        info, _ = self.read_sheet(path, work=None, lang=None)
        return info.work, info.lang

    def read(self, path, *, work=None, lang=None, src_lang=None, tgt_lang=None) -> list[Edit]:
        return self.read_sheet(path, work=work, lang=lang)[1]

    def load(self, store, path, *, work=None, lang=None):
        # one pass: the rows are checked against what the user named, the rest comes from the file
        info, edits = self.read_sheet(path, work=work, lang=lang)
        w, v = resolve_version(store, path, work or info.work, lang or info.lang)
        return w, v, edits


class CsvFormat(SheetFormat):
    name = "csv"
    label = "CSV"
    suffixes = (".csv",)
    media_type = "text/csv"

    def write(self, slots, out, *, work, lang, src_lang=None, tgt_lang=None, copy_source=False) -> int:
        return write_csv(slots, out, work=work, lang=lang)

    def read_sheet(self, path, *, work, lang):
        return read_csv(path, work=work, lang=lang)

    def sniff(self, head: bytes, root: str | None) -> bool:
        if root is not None or head.startswith(textio.ZIP_MAGIC):
            return False
        first = head.decode("utf-8", "ignore").lstrip("\ufeff").split("\n", 1)[0].lower()
        return all(c in first for c in REQUIRED)
