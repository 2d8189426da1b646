"""TMX 1.4b export/import: structure, DTD validity, round trips, an independent reader, bad input."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from aligner.errors import InputError
from aligner.model import Slot, slot_token
from aligner.formats.tmx import read_tmx, write_tmx
from aligner.formats.validate import SchemaNotInstalled, validate_tmx

from .helpers import not_installed

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


_not_installed = not_installed


def make_slots() -> list[Slot]:
    return [
        Slot("letters", "ru", "24.1", ["24.1"], "Dear Vladimir Ilyich,", "Дорогой Владимир Ильич!", "confirmed",
             actor="anna", at="2026-11-20T09:15:00+00:00", method="manual-browser"),
        Slot("letters", "ru", "24.2-24.3", ["24.2", "24.3"], "I write from Dmitrov. <Really> & truly.",
             "Пишу вам из Дмитрова,\nгде кооперативы разгромлены.", "draft", actor="boris", at="2026-11-22T17:42:00Z"),
        Slot("letters", "ru", "24.4", ["24.4"], "Automatic.", "Автоматически.", "auto", method="aligner:gale-church@1",
             score=0.71),
        Slot("letters", "ru", "24.5", ["24.5"], "Not yet.", "", "empty"),
        Slot("letters", "ru", "Gen.1.1.2", ["Gen.1.1.2"], "In the beginning", "В начале", "draft", stale=True),
    ]


@pytest.fixture
def tmx_path(tmp_path) -> Path:
    p = tmp_path / "letters.en-ru.tmx"
    write_tmx(make_slots(), p, work="letters", tgt_lang="ru", tool_version="0.1.0")
    return p


def _dtd_errors(path):
    try:
        return validate_tmx(path)
    except SchemaNotInstalled as e:  # pragma: no cover - CI installs the omegat package
        _not_installed(f"TMX DTD not installed: {e}")


# --- structure -----------------------------------------------------------------------


def test_header_and_units(tmx_path):
    raw = tmx_path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">')
    root = etree.fromstring(raw)
    h = root.find("header")
    assert h.attrib == {
        "creationtool": "aligner", "creationtoolversion": "0.1.0", "segtype": "sentence", "o-tmf": "aligner",
        "adminlang": "en", "srclang": "en", "datatype": "plaintext",
    }
    tus = root.findall("body/tu")
    assert [tu.get("tuid") for tu in tus] == ["24.1", "24.2-24.3", "24.4", "Gen.1.1.2"]  # no empty slot
    first = tus[0]
    assert first.get("changeid") == "anna" and first.get("changedate") == "20261120T091500Z"
    assert first.get("creationid") is None  # the slot records only its last change
    props = lambda tu: [(p.get("type"), p.text) for p in tu.findall("prop")]  # noqa: E731
    assert props(tus[1]) == [
        ("x-work", "letters"), ("x-version", "ru"), ("x-segment", "24.2"), ("x-segment", "24.3"),
        ("x-status", "draft"), ("x-token", make_slots()[1].token),
    ]
    assert ("x-method", "aligner:gale-church@1") in props(tus[2])
    assert ("x-stale", "yes") in props(tus[3])
    assert [t.get(XML_LANG) for t in first.findall("tuv")] == ["en", "ru"]
    assert tus[1].findall("tuv")[1].find("seg").text == "Пишу вам из Дмитрова,\nгде кооперативы разгромлены."


def test_written_file_is_valid_tmx_14b(tmx_path):
    assert _dtd_errors(tmx_path) == []


def test_validator_catches_invalid_tmx(tmp_path):
    p = tmp_path / "bad.tmx"
    p.write_text(
        '<tmx version="1.4"><header creationtool="x" segtype="line"/>'
        '<body><tu changedate="2026-11-24"><tuv xml:lang="en"><seg>a</seg></tuv></tu></body></tmx>',
        encoding="utf-8",
    )
    errors = _dtd_errors(p)
    text = "\n".join(errors)
    assert "srclang" in text and "segtype" in text and "YYYYMMDDThhmmssZ" in text
    assert all(re.match(r"line \d+: ", e) for e in errors)


def test_region_tags_as_given(tmp_path):
    p = tmp_path / "r.tmx"
    write_tmx(make_slots(), p, work="letters", src_lang="en-GB", tgt_lang="ru-RU", tool_version="1")
    root = etree.parse(str(p)).getroot()
    assert root.find("header").get("srclang") == "en-GB"
    assert {t.get(XML_LANG) for t in root.iter("tuv")} == {"en-GB", "ru-RU"}
    assert _dtd_errors(p) == []
    edits = read_tmx(p, src_lang="en", tgt_lang="ru")
    assert len(edits) == 4


def test_write_to_binary_and_text_streams():
    b = io.BytesIO()
    assert write_tmx(make_slots(), b, work="w", tgt_lang="ru", tool_version="1") == 4
    s = io.StringIO()
    write_tmx(make_slots(), s, work="w", tgt_lang="ru", tool_version="1")
    assert s.getvalue().encode("utf-8") == b.getvalue()


def test_xml_forbidden_characters_are_dropped(tmp_path):
    p = tmp_path / "c.tmx"
    slot = Slot("w", "ru", "1.1", ["1.1"], "Bell\x07", "Звонок\x0b\x00!", "draft")
    write_tmx([slot], p, work="w", tgt_lang="ru", tool_version="1")
    (e,) = read_tmx(p)
    assert (e.source_text, e.text) == ("Bell", "Звонок!")


# --- round trips -------------------------------------------------------------------------


def test_round_trip(tmx_path):
    edits = read_tmx(tmx_path, src_lang="en", tgt_lang="ru", work="letters")
    slots = [s for s in make_slots() if s.status != "empty"]
    assert [(e.address, e.text, e.status, e.token, e.source_text) for e in edits] == [
        (s.address, s.text, s.status, s.token, s.pivot_text) for s in slots
    ]
    assert edits[1].where == "unit 24.2-24.3"
    assert edits[1].extra == {"work": "letters", "version": "ru", "refs": ["24.2", "24.3"]}


def test_target_language_is_inferred(tmx_path):
    assert len(read_tmx(tmx_path)) == 4


def _xml_char(c: str) -> bool:
    o = ord(c)
    return c in "\t\n\r" or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


SPECIAL = ["=", "-", "+", "@", "'", "\t", "\n", "\r", " ", "<", "&", ">", '"', "]]>", "\u200f", "\u202e", "\u0301",
           "😀", "\u00a0", "\ufeff", "ё"]
texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",)).filter(_xml_char)), max_size=30
).map("".join)
addresses = st.from_regex(r"\A(Gen\.)?[1-9][0-9]{0,2}\.[1-9][0-9]?(-[1-9][0-9]{0,2}\.[1-9][0-9]?)?\Z")


@st.composite
def slot_lists(draw, statuses=("auto", "draft", "confirmed"), nonempty=True):
    addrs = draw(st.lists(addresses, min_size=1, max_size=6, unique=True))
    out = []
    for a in addrs:
        text = draw(texts.filter(bool) if nonempty else texts)
        out.append(Slot("w", "ru", a, a.split("-"), draw(texts), text, draw(st.sampled_from(statuses))))
    return out


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slots=slot_lists())
def test_round_trip_property(tmp_path, slots):
    p = tmp_path / "prop.tmx"
    write_tmx(slots, p, work="w", tgt_lang="ru", tool_version="1")
    edits = read_tmx(p, tgt_lang="ru")
    assert [(e.address, e.text, e.status, e.token, e.source_text) for e in edits] == [
        (s.address, s.text, s.status, s.token, s.pivot_text) for s in slots
    ]


# --- an independent reader --------------------------------------------------------------------


def test_translate_toolkit_reads_it(tmx_path):
    from translate.storage import tmx as tt_tmx

    store = tt_tmx.tmxfile.parsestring(tmx_path.read_bytes(), sourcelanguage="en", targetlanguage="ru")
    got = [(u.getid(), u.source, u.target) for u in store.units]
    want = [(s.address, s.pivot_text, s.text) for s in make_slots() if s.status != "empty"]
    assert got == want
    langs = {tuv.get(XML_LANG) for u in store.units for tuv in u.xmlelement.iter("tuv")}
    assert langs == {"en", "ru"}


def test_reads_a_translate_toolkit_tmx(tmp_path):
    """A TM from another tool: no tuid, no props -> matched by English text, status draft."""
    from translate.storage import tmx as tt_tmx

    store = tt_tmx.tmxfile(sourcelanguage="en", targetlanguage="ru")
    store.addsourceunit("Dear Vladimir Ilyich,").settarget("Дорогой Владимир Ильич!", "ru")
    store.addsourceunit("Untranslated").settarget("", "ru")
    p = tmp_path / "tt.tmx"
    p.write_bytes(bytes(store))
    (e,) = read_tmx(p)
    assert (e.address, e.source_text, e.text, e.status, e.token) == (
        None, "Dear Vladimir Ilyich,", "Дорогой Владимир Ильич!", "draft", None)
    assert e.where.startswith("line ")


# --- reading rules --------------------------------------------------------------------------

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="x" creationtoolversion="1" '
        'segtype="sentence" o-tmf="x" adminlang="en" srclang="{src}" datatype="plaintext"/>\n<body>\n')


def _tmx(tmp_path, units: str, src="en", name="in.tmx") -> Path:
    p = tmp_path / name
    p.write_text(HEAD.format(src=src) + units + "\n</body></tmx>\n", encoding="utf-8")
    return p


def tu(tuid=None, en="Hello", ru="Привет", props="", en_lang="en", ru_lang="ru"):
    attr = f' tuid="{tuid}"' if tuid else ""
    return (f'<tu{attr}>{props}<tuv xml:lang="{en_lang}"><seg>{en}</seg></tuv>'
            f'<tuv xml:lang="{ru_lang}"><seg>{ru}</seg></tuv></tu>\n')


def test_address_from_segment_props(tmp_path):
    props = '<prop type="x-segment">3.1</prop><prop type="x-segment">3.2</prop>'
    (e,) = read_tmx(_tmx(tmp_path, tu(props=props)))
    assert e.address == "3.1-3.2" and e.extra["refs"] == ["3.1", "3.2"]


def test_language_variants_and_case(tmp_path):
    p = _tmx(tmp_path, tu("1.1", en_lang="EN-us", ru_lang="ru-RU"), src="EN-US")
    (e,) = read_tmx(p, src_lang="en", tgt_lang="ru")
    assert e.text == "Привет"


def test_inline_codes_are_dropped_hi_text_kept(tmp_path):
    ru = 'При<bpt i="1">&lt;b&gt;</bpt>вет<ept i="1">&lt;/b&gt;</ept>, <hi>мир</hi><ph>&lt;br/&gt;</ph>!'
    (e,) = read_tmx(_tmx(tmp_path, tu("1.1", ru=ru)))
    assert e.text == "Привет, мир!"


def test_status_prop_case_insensitive_and_default(tmp_path):
    units = tu("1.1", props='<prop type="x-status">Confirmed</prop>') + tu("1.2")
    a, b = read_tmx(_tmx(tmp_path, units))
    assert (a.status, b.status) == ("confirmed", "draft")


def test_auto_edited_by_a_person_becomes_draft(tmp_path):
    tok = slot_token("1.1", "Машина", "auto")
    units = (tu("1.1", ru="Машина", props=f'<prop type="x-status">auto</prop><prop type="x-token">{tok}</prop>')
             + tu("1.2", ru="Человек", props=f'<prop type="x-status">auto</prop><prop type="x-token">{tok}</prop>'))
    a, b = read_tmx(_tmx(tmp_path, units))
    assert (a.status, b.status) == ("auto", "draft")


def test_confirmed_unit_edited_after_export_becomes_draft(tmp_path):
    tok = slot_token("1.1", "Старый", "confirmed")
    props = f'<prop type="x-status">confirmed</prop><prop type="x-token">{tok}</prop>'
    (a,) = read_tmx(_tmx(tmp_path, tu("1.1", ru="Старый", props=props)))
    (b,) = read_tmx(_tmx(tmp_path, tu("1.1", ru="Новый", props=props), name="edited.tmx"))
    assert (a.status, b.status) == ("confirmed", "draft")


def test_empty_target_without_status_is_skipped(tmp_path):
    edits = read_tmx(_tmx(tmp_path, tu("1.1", ru="") + tu("1.2"), name="c.tmx"))
    assert [e.address for e in edits] == ["1.2"]


# --- bad input: one line, file name, unit or line -----------------------------------------------------


def _err(fn, *a, **kw) -> str:
    with pytest.raises(InputError) as info:
        fn(*a, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_wrong_language_pair(tmp_path):
    p = _tmx(tmp_path, tu("1.1", en_lang="de", ru_lang="fr"), src="de", name="defr.tmx")
    msg = _err(read_tmx, p, src_lang="en", tgt_lang="ru")
    assert "defr.tmx" in msg and "no unit has both en and ru" in msg and "de, fr" in msg


def test_unknown_target_language(tmp_path):
    p = _tmx(tmp_path, tu("1.1", ru_lang="de"), name="de.tmx")
    msg = _err(read_tmx, p, tgt_lang="ru")
    assert "de.tmx" in msg and "en and ru" in msg


def test_several_target_languages_need_a_choice(tmp_path):
    p = _tmx(tmp_path, tu("1.1") + tu("1.2", ru_lang="de"), name="multi.tmx")
    msg = _err(read_tmx, p)
    assert "several target languages (de, ru)" in msg


def test_unit_lacking_a_language_is_named(tmp_path):
    p = _tmx(tmp_path, tu("1.1") + tu("1.2", ru_lang="de"), name="mixed.tmx")
    msg = _err(read_tmx, p, tgt_lang="ru")
    assert msg.startswith(f"{p}:5 (unit 1.2): unit has no ru variant (it has: en, de)")


def test_invalid_status_names_value_and_unit(tmp_path):
    p = _tmx(tmp_path, tu("1.1", props='<prop type="x-status">finished</prop>'), name="st.tmx")
    msg = _err(read_tmx, p)
    assert "st.tmx:4 (unit 1.1)" in msg and "'finished'" in msg


def test_duplicate_tuid(tmp_path):
    msg = _err(read_tmx, _tmx(tmp_path, tu("1.1") + tu("1.1"), name="dup.tmx"))
    assert "dup.tmx:5 (unit 1.1)" in msg and "twice" in msg


def test_other_work_is_refused(tmp_path):
    p = _tmx(tmp_path, tu("1.1", props='<prop type="x-work">bible</prop>'), name="w.tmx")
    msg = _err(read_tmx, p, work="letters")
    assert "w.tmx:4 (unit 1.1)" in msg and "'bible'" in msg


def test_not_a_tmx(tmp_path):
    p = tmp_path / "x.tmx"
    p.write_text('<xliff version="1.2"/>', encoding="utf-8")
    assert "not a TMX file" in _err(read_tmx, p)
    p.write_text('<tmx version="1.4"><header/></tmx>', encoding="utf-8")
    assert "no <body>" in _err(read_tmx, p)


def test_tuv_without_seg(tmp_path):
    p = _tmx(tmp_path, '<tu tuid="1.1"><tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="ru"/></tu>', name="s.tmx")
    assert "s.tmx:4 (unit 1.1)" in _err(read_tmx, p)
