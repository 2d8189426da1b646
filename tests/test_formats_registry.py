"""Every registered format runs the same suite: write the seed's slots, find the format again, read back.

Formats for translators (CSV, XLSX, TMX, XLIFF 1.2 and 2.0) must give back
exactly the slots they wrote, and importing the file must change nothing.
Formats for readers (HTML, TEI) cannot be read back; they run the write-side
checks: the file is there, its name and content say what it is, and it is
valid against its schema where one exists.
"""

from __future__ import annotations

import pytest

from aligner.errors import AlignerError
from aligner.formats import registry
from aligner.formats.base import Format, WorkFormat
from aligner.formats.validate import SchemaNotInstalled
from aligner.formats.xmlsafe import root_name

from .helpers import WORK, not_installed

#: Slot texts that test quoting, formulas, markup, line breaks and scripts in every format.
FILLED = {
    "2.1": ("Два письма Ленину", "confirmed"),
    "24.1-24.2": ("Неужели не нашлось среди Вас никого, — «чтобы» напомнить?\nДа.", "draft"),
    "25.1": ("=1+1 <b>&amp;</b> 'quoted' \"twice\"", "draft"),
    "26.1": ("- Да,\tсказал он.", "confirmed"),
}

ROUND_TRIP = [f for f in registry.FORMATS if not isinstance(f, WorkFormat)]
WRITE_ONLY = [f for f in registry.FORMATS if isinstance(f, WorkFormat)]


@pytest.fixture
def filled(store):
    for address, (text, status) in FILLED.items():
        assert store.set_slot(WORK, "ru", address, text, status, actor="tester") is not None
    return store


def _out(tmp_path, form: Format):
    return tmp_path / ("out" + (form.suffixes[0] if form.suffixes else ""))


def _valid(form: Format, path) -> None:
    try:
        errors = form.validate(path)
    except (SchemaNotInstalled, RuntimeError) as e:
        not_installed(str(e))
    assert errors in (None, []), errors[:3]


def test_the_registry_lists_every_format_once():
    assert registry.names() == ["csv", "xlsx", "tmx", "xliff", "xliff2", "html", "tei"]
    assert registry.names(readable=True) == ["csv", "xlsx", "tmx", "xliff"]
    suffixes = [s for f in registry.FORMATS for s in f.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert all(f.name and f.label and f.media_type for f in registry.FORMATS)


@pytest.mark.parametrize("form", ROUND_TRIP, ids=lambda f: f.name)
def test_round_trip(form, filled, tmp_path):
    store = filled
    out = _out(tmp_path, form)
    n = form.export(store, WORK, "ru", out)
    slots = {s.address: s for s in store.slots(WORK, "ru")}
    # The file is found again by its name, else by its content, and a reader for it.
    reader = registry.for_input(out)
    assert reader.can_read and (reader is form or not form.suffixes)
    w, v, edits = reader.load(store, out)  # the work and version are the ones the file names
    assert (w["id"], v["key"]) == (WORK, "ru")
    assert n == len(edits)
    got = {e.address: (e.text, e.status, e.token) for e in edits}
    want = {a: (s.text, s.status, s.token) for a, s in slots.items()}
    # Every filled slot comes back exactly; an empty one comes back empty or not at all.
    assert {a: want[a] for a in got} == got
    assert {a for a, s in slots.items() if s.status != "empty"} <= set(got)
    assert {a: got[a][0] for a in FILLED} == {a: t for a, (t, _) in FILLED.items()}
    report = store.apply_edits(WORK, "ru", edits, actor="tester", channel=reader.name)
    assert (report.applied, report.conflicts, report.unmatched) == ([], [], [])
    _valid(form, out)


@pytest.mark.parametrize("form", WRITE_ONLY, ids=lambda f: f.name)
def test_formats_for_readers_are_written_and_not_imported(form, filled, tmp_path):
    out = _out(tmp_path, form)
    assert form.export(filled, WORK, "ru", out) is None
    data = out.read_bytes()
    assert form.sniff(data[:4096], root_name(data[:4096]))
    assert "Неужели не нашлось среди Вас никого" in data.decode("utf-8")
    assert registry.by_suffix(out) is form
    with pytest.raises(AlignerError, match=f"{form.name} files are for readers and cannot be imported"):
        registry.for_input(out)
    _valid(form, out)


@pytest.mark.parametrize("name,fmt", [
    ("ru.csv", "csv"), ("RU.XLSX", "xlsx"), ("a.tmx", "tmx"), ("a.xlf", "xliff"), ("a.xliff", "xliff"),
    ("a.sdlxliff", "xliff"), ("a.html", "html"), ("a.htm", "html"), ("a.xml", "tei"), ("a.tei", "tei"),
])
def test_suffixes(name, fmt):
    assert registry.by_suffix(name).name == fmt
    assert registry.for_output(name).name == fmt


def test_output_without_a_known_suffix():
    assert registry.for_output("-").name == registry.DEFAULT
    assert registry.for_output("x.txt", "tmx").name == "tmx"
    with pytest.raises(AlignerError, match="x.txt: cannot tell the format from the name; give --format"):
        registry.for_output("x.txt")


def test_import_sniffs_the_content_when_the_name_says_nothing(filled, tmp_path):
    import gzip

    for form in ROUND_TRIP:
        if not form.can_read:
            continue
        out = _out(tmp_path, form)
        form.export(filled, WORK, "ru", out)
        renamed = tmp_path / f"{form.name}.download"
        renamed.write_bytes(out.read_bytes())
        assert registry.for_input(renamed) is form
    tm = tmp_path / "ru.tmx.gz"
    tm.write_bytes(gzip.compress((tmp_path / "out.tmx").read_bytes()))
    assert registry.for_input(tm).name == "tmx"
    # A TMX saved as .xml (the TEI suffix) is still a TMX.
    as_xml = tmp_path / "memory.xml"
    as_xml.write_bytes((tmp_path / "out.tmx").read_bytes())
    assert registry.for_input(as_xml).name == "tmx"
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some notes\n", "utf-8")
    with pytest.raises(AlignerError, match="cannot tell the format"):
        registry.for_input(unknown)
