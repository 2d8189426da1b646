"""Shared test helpers: paths of the shipped texts, database comparison, required-tool handling, spreadsheet slots."""

from pathlib import Path

import pytest
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
SHARED = ROOT.parent / "shared"
WORK = "kropotkin-two-letters-to-lenin"
SEED = TEXTS / WORK / "en.txt"


def table_rows(path) -> dict:
    """Every row of every table (except the build time), to compare databases."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    out = {}
    for t in db.table_names():
        if t.startswith("segments_fts") or t == "_sqlite_migrations":
            continue
        rows = [dict(r) for r in db[t].rows]
        if t == "build":
            for r in rows:
                r.pop("built_at", None)
        out[t] = rows
    db.close()
    return out


def not_installed(reason: str):
    """Skip (with the reason) when a schema or tool package is missing; fail instead under ALIGNER_REQUIRE_SCHEMAS=1 (CI)."""
    import os

    if os.environ.get("ALIGNER_REQUIRE_SCHEMAS"):
        pytest.fail(reason)
    pytest.skip(reason)


# --- spreadsheets (CSV, XLSX) -------------------------------------------------------------


def make_slots() -> list:
    """Slots whose texts a spreadsheet would mangle: formulas, dashes, apostrophes, numbers, tabs."""
    from aligner.model import Slot

    return [
        Slot("letters", "ru", "24.1", ["24.1"], 'Dear, "Vladimir" Ilyich,', "Дорогой Владимир Ильич!", "confirmed"),
        Slot("letters", "ru", "24.2-24.3", ["24.2", "24.3"], "I write.", "— Пишу вам\nиз Дмитрова.", "draft"),
        Slot("letters", "ru", "24.10", ["24.10"], "Dialogue.", "- Да, — сказал он.", "auto"),
        Slot("letters", "ru", "24.11", ["24.11"], "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "draft"),
        Slot("letters", "ru", "24.12", ["24.12"], "Quote.", "'Tis so.", "draft"),
        Slot("letters", "ru", "24.13", ["24.13"], "Not yet.", "", "empty"),
        Slot("letters", "ru", "Gen.1.1.2", ["Gen.1.1.2"], "1920", "+7 @home\tтаб", "draft"),
    ]


def sheet_key(edits):
    """What a spreadsheet round trip must keep of each edit."""
    return [(e.address, e.text, e.status, e.token, e.source_text) for e in edits]


def sheet_want(slots):
    """:func:`sheet_key` of the slots that were written."""
    return [(s.address, s.text, s.status, s.token, s.pivot_text) for s in slots]


#: Characters and cell values that spreadsheets treat specially, for drawing texts.
SPECIAL = ["=", "-", "+", "@", "'", "''", "\t", "\n", " ", ",", ";", '"', "<", "&", "\u200f", "\u202e", "\u0301",
           "😀", "\u00a0", "\ufeff", "ё", "0", "1", ".", "e", "TRUE", "%", "/", ":"]
addresses = st.from_regex(r"\A(Gen\.)?[1-9][0-9]{0,2}\.[0-9]{1,2}(-[1-9][0-9]{0,2}\.[0-9]{1,2})?\Z")


@st.composite
def slot_lists(draw, texts):
    """Lists of slots with distinct addresses, texts drawn from ``texts``."""
    from aligner.model import Slot

    out = []
    for a in draw(st.lists(addresses, min_size=1, max_size=6, unique=True)):
        status = draw(st.sampled_from(["empty", "auto", "draft", "confirmed"]))
        text = "" if status == "empty" else draw(texts.filter(bool))
        out.append(Slot("w", "ru", a, a.split("-"), draw(texts), text, status))
    return out


def one_line_error(fn, path, **kw):
    """The InputError ``fn(path)`` raises; it names the file and is one line."""
    from aligner.errors import InputError

    with pytest.raises(InputError) as info:
        fn(path, **kw)
    err = info.value
    assert str(path) in str(err) and "\n" not in str(err)
    return err
