"""XLIFF 1.2 / 2.0 export and import: states, schema validity, round trips, CAT-tool habits, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from aligner.errors import InputError
from aligner.model import Slot, slot_token
from aligner.formats.validate import SchemaNotInstalled, validate_xliff
from aligner.formats.xliff import NS12, NS20, read_xliff, write_xliff

from .helpers import not_installed

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
Q12 = {"x": NS12}
Q20 = {"x": NS20}


_not_installed = not_installed


def make_slots() -> list[Slot]:
    return [
        Slot("letters", "ru", "24.1", ["24.1"], "Dear Vladimir Ilyich,", "Дорогой Владимир Ильич!", "confirmed",
             actor="anna", at="2026-11-20T09:15:00Z", method="manual-browser"),
        Slot("letters", "ru", "24.2-24.3", ["24.2", "24.3"], "I write from Dmitrov.  <Really> & truly.",
             "  Пишу вам из Дмитрова,\nгде кооперативы разгромлены. ", "draft"),
        Slot("letters", "ru", "24.4", ["24.4"], "Automatic.", "Автоматически.", "auto", score=0.71,
             method="aligner:gale-church@1"),
        Slot("letters", "ru", "24.5", ["24.5"], "Not yet.", "", "empty"),
        Slot("letters", "ru", "Gen.1.1.2", ["Gen.1.1.2"], "In the beginning", "В начале", "draft", stale=True),
    ]


def _schema_errors(path):
    try:
        return validate_xliff(path)
    except SchemaNotInstalled as e:  # pragma: no cover - CI installs php-symfony-translation
        _not_installed(f"XLIFF schema not installed: {e}")


@pytest.fixture(params=["1.2", "2.0"])
def version(request):
    return request.param


def _write(tmp_path, slots=None, version="1.2", **kw) -> Path:
    p = tmp_path / f"letters-{version}.xlf"
    write_xliff(make_slots() if slots is None else slots, p, work="letters", src_lang="en", tgt_lang="ru",
                version=version, **kw)
    return p


def _key(edits):
    return [(e.address, e.text, e.status, e.token, e.source_text) for e in edits]


def _want(slots):
    return [(s.address, s.text, s.status, s.token, s.pivot_text) for s in slots]


# --- structure and states ------------------------------------------------------------------------


def test_xliff12_structure_and_state_mapping(tmp_path):
    root = etree.parse(str(_write(tmp_path))).getroot()
    assert root.get("version") == "1.2"
    f = root.find("x:file", Q12)
    assert (f.get("original"), f.get("source-language"), f.get("target-language"), f.get("datatype")) == (
        "letters", "en", "ru", "plaintext")
    tus = root.findall(".//x:trans-unit", Q12)
    assert len(tus) == 5  # empty slots included
    states = {}
    for tu in tus:
        assert tu.get("id") == tu.get("resname")
        assert tu.get(XML_SPACE) == "preserve"
        tgt = tu.find("x:target", Q12)
        states[tu.get("id")] = (tgt.get("state"), tgt.get("state-qualifier"), tu.get("approved"), tgt.text)
        slot = next(s for s in make_slots() if s.address == tu.get("id"))
        assert tu.get("extradata") == f"aligner:token={slot.token} aligner:status={slot.status}"
    assert states == {
        "24.1": ("signed-off", None, "yes", "Дорогой Владимир Ильич!"),
        "24.2-24.3": ("translated", None, None, "  Пишу вам из Дмитрова,\nгде кооперативы разгромлены. "),
        "24.4": ("needs-review-translation", "leveraged-tm", None, "Автоматически."),
        "24.5": ("needs-translation", None, None, None),
        "Gen.1.1.2": ("translated", None, None, "В начале"),
    }
    notes = {tu.get("id"): tu.find("x:note", Q12).text for tu in tus}
    assert "anna" in notes["24.1"] and "manual-browser" in notes["24.1"]
    assert "covers 24.2 24.3" in notes["24.2-24.3"]
    assert "STALE" in notes["Gen.1.1.2"]


def test_xliff20_structure_and_state_mapping(tmp_path):
    root = etree.parse(str(_write(tmp_path, version="2.0"))).getroot()
    assert (root.get("version"), root.get("srcLang"), root.get("trgLang")) == ("2.0", "en", "ru")
    got = {}
    for unit in root.iter(f"{{{NS20}}}unit"):
        seg = unit.find("x:segment", Q20)
        tok = unit.find("x:notes/x:note[@category='aligner:token']", Q20).text
        got[unit.get("name")] = (seg.get("state"), seg.get("subState"), seg.find("x:target", Q20) is not None, tok)
    tokens = {s.address: s.token for s in make_slots()}
    assert got == {
        "24.1": ("reviewed", "aligner:confirmed", True, tokens["24.1"]),
        "24.2-24.3": ("translated", "aligner:draft", True, tokens["24.2-24.3"]),
        "24.4": ("initial", "aligner:auto", True, tokens["24.4"]),
        "24.5": ("initial", "aligner:empty", False, tokens["24.5"]),
        "Gen.1.1.2": ("translated", "aligner:draft", True, tokens["Gen.1.1.2"]),
    }


def test_written_files_are_schema_valid(tmp_path, version):
    assert _schema_errors(_write(tmp_path, version=version)) == []
    assert _schema_errors(_write(tmp_path, version=version, copy_source=True)) == []


def test_validator_catches_invalid_xliff(tmp_path):
    p = tmp_path / "bad.xlf"
    p.write_text(f'<xliff xmlns="{NS12}" version="1.2"><file original="w" source-language="en" datatype="plaintext">'
                 '<body><trans-unit id="1" approved="maybe"><source>a</source><target state="done">b</target>'
                 '</trans-unit></body></file></xliff>', encoding="utf-8")
    errors = _schema_errors(p)
    assert any("approved" in e for e in errors) and any("state" in e for e in errors)
    assert all(re.match(r"line \d+: ", e) for e in errors)
    p.write_text(f'<xliff xmlns="{NS20}" version="2.0" srcLang="en"><file id="f"><unit id="a b">'
                 '<segment state="done"><source>a</source></segment></unit></file></xliff>', encoding="utf-8")
    assert _schema_errors(p)


def test_unsupported_version():
    with pytest.raises(ValueError):
        write_xliff([], "/dev/null", work="w", src_lang="en", tgt_lang="ru", version="1.1")


# --- round trips ---------------------------------------------------------------------------------------


def test_round_trip(tmp_path, version):
    edits = read_xliff(_write(tmp_path, version=version), src_lang="en", tgt_lang="ru", work="letters")
    assert _key(edits) == _want(make_slots())
    assert edits[0].where == "unit 24.1"
    assert edits[0].extra["work"] == "letters" and edits[0].extra["version"] == "ru"


def test_copy_source_reads_back_as_empty(tmp_path, version):
    p = _write(tmp_path, version=version, copy_source=True)
    assert "Not yet." in [t.text for t in etree.parse(str(p)).getroot().iter(f"{{{NS12}}}target", f"{{{NS20}}}target")]
    assert _key(read_xliff(p)) == _want(make_slots())


def _xml_char(c: str) -> bool:
    o = ord(c)
    return c in "\t\n\r" or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


SPECIAL = ["=", "-", "+", "@", "'", "\t", "\n", "\r", " ", "<", "&", ">", '"', "]]>", "\u200f", "\u202e", "\u0301",
           "😀", "\u00a0", "\ufeff", "ё"]
xml_texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",)).filter(_xml_char)), max_size=30
).map("".join)
any_texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL + ["\x00", "\x0b", "\x1f", "\ufffe"]), st.characters(blacklist_categories=("Cs",))),
    max_size=30,
).map("".join)
addresses = st.from_regex(r"\A(Gen\.)?[1-9][0-9]{0,2}\.[1-9][0-9]?(-[1-9][0-9]{0,2}\.[1-9][0-9]?)?\Z")


@st.composite
def slot_lists(draw, texts):
    out = []
    for a in draw(st.lists(addresses, min_size=1, max_size=6, unique=True)):
        status = draw(st.sampled_from(["empty", "auto", "draft", "confirmed"]))
        text = "" if status == "empty" else draw(texts.filter(bool) if status == "auto" else texts)
        out.append(Slot("w", "ru", a, a.split("-"), draw(texts), text, status))
    return out


PROPERTY = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(slots=slot_lists(xml_texts))
def test_round_trip_property_12(tmp_path, slots):
    p = _write(tmp_path, slots, "1.2")
    assert _key(read_xliff(p, src_lang="en", tgt_lang="ru")) == _want(slots)


@PROPERTY
@given(slots=slot_lists(any_texts))
def test_round_trip_property_20_is_lossless(tmp_path, slots):
    # XLIFF 2.0 carries even the characters XML cannot (as <cp hex="..."/>)
    p = _write(tmp_path, slots, "2.0")
    assert _key(read_xliff(p, src_lang="en", tgt_lang="ru")) == _want(slots)


# --- an independent reader ------------------------------------------------------------------------------


def test_translate_toolkit_reads_xliff12(tmp_path):
    from translate.storage import xliff as tt_xliff

    store = tt_xliff.xlifffile.parsefile(str(_write(tmp_path)))
    assert (store.getsourcelanguage(), store.gettargetlanguage()) == ("en", "ru")
    got = [(u.getid().split("\x04")[-1], u.source, u.target or "", u.isapproved()) for u in store.units]
    assert got == [(s.address, s.pivot_text, s.text, s.status == "confirmed") for s in make_slots()]


def test_translate_toolkit_reads_xliff20(tmp_path):
    from translate.storage import xliff2 as tt_xliff2

    store = tt_xliff2.Xliff2File.parsefile(str(_write(tmp_path, version="2.0")))
    assert (store.getsourcelanguage(), store.gettargetlanguage()) == ("en", "ru")
    got = [(u.getid(), u.source, u.target or "") for u in store.units]
    assert got == [(f"{s.address}::s1", s.pivot_text, s.text) for s in make_slots()]


def test_reads_translate_toolkit_xliff11(tmp_path):
    """translate-toolkit writes XLIFF 1.1 by default: ids, no resname, marktranslated() = approved."""
    from translate.storage import xliff as tt_xliff

    store = tt_xliff.xlifffile(sourcelanguage="en", targetlanguage="ru")
    u = store.addsourceunit("Dear Vladimir Ilyich,")
    u.setid("24.1")
    u.settarget("Дорогой Владимир Ильич!")
    u.marktranslated()
    v = store.addsourceunit("Not yet.")
    v.setid("24.5")
    p = tmp_path / "tt.xlf"
    p.write_bytes(bytes(store))
    assert b"document:1.1" in p.read_bytes()
    a, b = read_xliff(p, src_lang="en", tgt_lang="ru")
    assert (a.address, a.text, a.status) == ("24.1", "Дорогой Владимир Ильич!", "confirmed")
    assert (b.address, b.text, b.status) == ("24.5", "", "empty")


# --- reading rules ---------------------------------------------------------------------------------------


def _x12(tmp_path, units: str, name="in.xlf", src="en", tgt="ru", original="letters") -> Path:
    p = tmp_path / name
    p.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff xmlns="{NS12}" version="1.2">\n'
        f'<file original="{original}" source-language="{src}" target-language="{tgt}" datatype="plaintext"><body>\n'
        + units + "\n</body></file></xliff>\n",
        encoding="utf-8",
    )
    return p


def tu12(uid="1.1", source="Hello", target=None, state=None, approved=None, extradata=None, resname=None, extra=""):
    attrs = f' id="{uid}"' + (f' resname="{resname}"' if resname else "")
    attrs += (f' approved="{approved}"' if approved else "") + (f' extradata="{extradata}"' if extradata else "")
    t = "" if target is None else f'<target{f" state={chr(34)}{state}{chr(34)}" if state else ""}>{target}</target>'
    return f"<trans-unit{attrs}{extra}><source>{source}</source>{t}</trans-unit>\n"


@pytest.mark.parametrize(
    "target,state,approved,want",
    [
        (None, None, None, ("empty", "")),
        ("", "needs-translation", None, ("empty", "")),
        ("Привет", "new", None, ("draft", "Привет")),  # OmegaT fills targets without touching the state
        ("Hello", "needs-translation", None, ("empty", "")),  # an untouched copy of the source
        ("Привет", "needs-review-translation", None, ("draft", "Привет")),
        ("Привет", "needs-review-l10n", None, ("draft", "Привет")),
        ("Привет", "translated", None, ("draft", "Привет")),
        ("Hello", "translated", None, ("draft", "Hello")),  # a deliberate identical translation
        ("Привет", None, None, ("draft", "Привет")),
        ("Привет", "signed-off", None, ("confirmed", "Привет")),
        ("Привет", "final", None, ("confirmed", "Привет")),
        ("Привет", "translated", "yes", ("confirmed", "Привет")),
        ("Привет", "needs-adaptation", None, ("draft", "Привет")),
        ("Привет", "x-custom", None, ("draft", "Привет")),
    ],
)
def test_xliff12_states_map_back(tmp_path, target, state, approved, want):
    (e,) = read_xliff(_x12(tmp_path, tu12(target=target, state=state, approved=approved)))
    assert (e.status, e.text) == want
    assert e.source_text == "Hello"


def test_auto_stays_auto_only_while_untouched(tmp_path):
    tok = slot_token("1.1", "Машина", "auto")
    units = (tu12("1.1", target="Машина", state="needs-review-translation", extradata=f"aligner:token={tok}")
             + tu12("1.2", target="Машина!", state="needs-review-translation", extradata=f"aligner:token={tok}"))
    a, b = read_xliff(_x12(tmp_path, units))
    assert (a.status, a.token, b.status) == ("auto", tok, "draft")


@pytest.mark.parametrize(
    "exported,state,approved,text,want",
    [
        ("confirmed", "signed-off", "yes", "Старый", "confirmed"),  # untouched
        ("confirmed", "signed-off", "yes", "Новый", "draft"),  # edited in a tool that keeps attributes
        ("confirmed", "translated", None, "Старый", "draft"),  # the state was lowered
        ("draft", "translated", None, "Старый", "draft"),
        ("draft", "signed-off", "yes", "Старый", "confirmed"),  # approved in the tool
        ("draft", "signed-off", "yes", "Новый", "confirmed"),  # edited and approved in the tool
        ("auto", "needs-review-translation", None, "Старый", "auto"),
        ("auto", "needs-review-translation", None, "Новый", "draft"),
        ("auto", "translated", None, "Старый", "draft"),  # accepted as it is
        ("auto", "needs-review-translation", None, "Hello", "draft"),  # edited to equal the English
        ("empty", "needs-translation", None, "Новый", "draft"),
        ("empty", "needs-translation", None, "Hello", "empty"),  # copy of the source
    ],
)
def test_export_record_settles_the_status(tmp_path, exported, state, approved, text, want):
    old_text = "" if exported == "empty" else "Старый"
    tok = slot_token("1.1", old_text, exported)
    unit = tu12(target=text, state=state, approved=approved, extradata=f"aligner:token={tok} aligner:status={exported}")
    (e,) = read_xliff(_x12(tmp_path, unit))
    assert (e.status, e.token) == (want, tok)


def test_auto_identical_to_the_source_survives(tmp_path):
    slots = [Slot("w", "ru", "1.1", ["1.1"], "Kropotkin", "Kropotkin", "auto")]
    for version in ("1.2", "2.0"):
        (e,) = read_xliff(_write(tmp_path, slots, version))
        assert (e.status, e.text) == ("auto", "Kropotkin")


def test_xliff20_edited_confirmed_unit_becomes_draft(tmp_path):
    tok = slot_token("3.1", "Старый", "confirmed")
    unit = ('<unit id="3.1"><notes><note category="aligner:token">{tok}</note></notes>'
            '<segment state="reviewed" subState="aligner:confirmed"><source>Hi</source><target>{t}</target></segment></unit>')
    (a,) = read_xliff(_x20(tmp_path, unit.format(tok=tok, t="Старый")))
    (b,) = read_xliff(_x20(tmp_path, unit.format(tok=tok, t="Новый"), name="edited.xlf"))
    (c,) = read_xliff(_x20(tmp_path, unit.format(tok=tok, t="Новый").replace('"reviewed"', '"final"'), name="f.xlf"))
    assert (a.status, b.status, c.status) == ("confirmed", "draft", "confirmed")


def test_resname_is_the_address_and_translate_no_is_skipped(tmp_path):
    units = tu12("7", resname="3.1", target="a", state="translated") + tu12("8", extra=' translate="no"')
    (e,) = read_xliff(_x12(tmp_path, units))
    assert e.address == "3.1" and e.token is None


def test_inline_markup_12(tmp_path):
    target = 'При<g id="1">вет</g><x id="2"/>, <bpt id="3">&lt;b&gt;</bpt>мир<ept id="3">&lt;/b&gt;</ept><ph id="4">{0}</ph>!'
    (e,) = read_xliff(_x12(tmp_path, tu12(target=target, state="translated")))
    assert e.text == "Привет, мир!"


def _x20(tmp_path, units: str, name="in2.xlf", src="en", tgt="ru") -> Path:
    p = tmp_path / name
    p.write_text(f'<xliff xmlns="{NS20}" version="2.1" srcLang="{src}" trgLang="{tgt}"><file id="f" original="letters">'
                 + units + "</file></xliff>", encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "segment,want",
    [
        ('<segment><source>Hi</source></segment>', ("empty", "")),
        ('<segment state="initial"><source>Hi</source><target>Привет</target></segment>', ("draft", "Привет")),
        ('<segment state="initial"><source>Hi</source><target>Hi</target></segment>', ("empty", "")),
        ('<segment state="translated"><source>Hi</source><target>Привет</target></segment>', ("draft", "Привет")),
        ('<segment state="reviewed"><source>Hi</source><target>Привет</target></segment>', ("confirmed", "Привет")),
        ('<segment state="final"><source>Hi</source><target>Привет</target></segment>', ("confirmed", "Привет")),
        # several segments: texts joined (ignorables too), the lowest state wins
        ('<segment state="final"><source>Hi.</source><target>Привет.</target></segment><ignorable><source> </source>'
         '</ignorable><segment state="translated"><source>Bye.</source><target>Пока.</target></segment>',
         ("draft", "Привет. Пока.")),
    ],
)
def test_xliff20_states_map_back(tmp_path, segment, want):
    (e,) = read_xliff(_x20(tmp_path, f'<unit id="u1" name="3.1">{segment}</unit>'))
    assert (e.status, e.text) == want and e.address == "3.1"


# --- bad input ------------------------------------------------------------------------------------------------


def _err(fn, *a, **kw) -> str:
    with pytest.raises(InputError) as info:
        fn(*a, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_wrong_languages_12(tmp_path):
    p = _x12(tmp_path, tu12(target="x"), name="de.xlf", tgt="de")
    msg = _err(read_xliff, p, src_lang="en", tgt_lang="ru")
    assert msg.startswith(f"{p}:3: wrong languages: the file is en -> de, expected en -> ru")


def test_wrong_target_lang_on_a_target(tmp_path):
    units = tu12(target="x", state="translated").replace("<target ", '<target xml:lang="uk" ')
    msg = _err(read_xliff, _x12(tmp_path, units, name="uk.xlf"), tgt_lang="ru")
    assert "uk.xlf:4 (unit 1.1)" in msg and "uk" in msg


def test_wrong_languages_20(tmp_path):
    p = _x20(tmp_path, '<unit id="a"><segment><source>a</source></segment></unit>', name="fr.xlf", src="fr")
    assert "fr.xlf:1: wrong languages: the file is fr -> ru" in _err(read_xliff, p, src_lang="en")


def test_other_work(tmp_path):
    p = _x12(tmp_path, tu12(), name="bible.xlf", original="bible")
    assert "bible.xlf:3: file is for work 'bible', not 'letters'" in _err(read_xliff, p, work="letters")


def test_duplicate_unit(tmp_path):
    msg = _err(read_xliff, _x12(tmp_path, tu12() + tu12(), name="dup.xlf"))
    assert "dup.xlf:5 (unit 1.1)" in msg and "twice" in msg


def test_unit_without_source(tmp_path):
    p = _x12(tmp_path, '<trans-unit id="1.1"><target>x</target></trans-unit>', name="nosrc.xlf")
    assert "nosrc.xlf:4 (unit 1.1)" in _err(read_xliff, p)


def test_invalid_segment_state_20(tmp_path):
    p = _x20(tmp_path, '<unit id="a"><segment state="done"><source>a</source></segment></unit>', name="st.xlf")
    assert "st.xlf:1 (unit a): invalid segment state 'done'" in _err(read_xliff, p)


def test_xliff22_is_refused(tmp_path):
    p = tmp_path / "v22.xlf"
    p.write_text('<xliff xmlns="urn:oasis:names:tc:xliff:document:2.2" version="2.2" srcLang="en"/>', encoding="utf-8")
    assert "XLIFF 2.2 is not supported" in _err(read_xliff, p)


def test_not_xliff(tmp_path):
    p = tmp_path / "n.xlf"
    p.write_text('<tmx version="1.4"/>', encoding="utf-8")
    assert "not an XLIFF file" in _err(read_xliff, p)
    p.write_text('<xliff xmlns="urn:example" version="1.2"/>', encoding="utf-8")
    assert "unknown namespace" in _err(read_xliff, p)
    p.write_text(f'<xliff xmlns="{NS12}" version="1.2"/>', encoding="utf-8")
    assert "no <file>" in _err(read_xliff, p)


# --- a real CAT tool: OmegaT (Debian package 'omegat'), console mode -----------------------------------------

OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")
OMEGAT_PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<omegat><project version="1.0">
  <source_dir>__DEFAULT__</source_dir><source_dir_excludes/><target_dir>__DEFAULT__</target_dir>
  <tm_dir>__DEFAULT__</tm_dir><glossary_dir>__DEFAULT__</glossary_dir><glossary_file>__DEFAULT__</glossary_file>
  <dictionary_dir>__DEFAULT__</dictionary_dir><source_lang>EN</source_lang><target_lang>RU</target_lang>
  <source_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</source_tok>
  <target_tok>org.omegat.tokenizer.LuceneRussianTokenizer</target_tok>
  <sentence_seg>false</sentence_seg><support_default_translations>true</support_default_translations>
  <remove_tags>false</remove_tags>
</project></omegat>
"""


def test_omegat_fills_our_xliff_from_our_tmx(tmp_path):
    """OmegaT's built-in XLIFF filter + a TMX in tm/auto: what comes back is read correctly."""
    import shutil
    import subprocess

    from aligner.formats.tmx import write_tmx

    java = shutil.which("java")
    if not (java and OMEGAT_JAR.is_file()):
        _not_installed("OmegaT is not installed (Debian package 'omegat')")
    proj = tmp_path / "project"
    for d in ("source", "target", "tm/auto", "omegat", "glossary", "dictionary", "home"):
        (proj / d).mkdir(parents=True)
    (proj / "omegat.project").write_text(OMEGAT_PROJECT, encoding="utf-8")
    slots = [
        Slot("w", "ru", "24.1", ["24.1"], "Dear Vladimir Ilyich,", "Дорогой Владимир Ильич!", "confirmed"),
        Slot("w", "ru", "24.2", ["24.2"], "I write to you from Dmitrov.", "Пишу вам\nиз Дмитрова.", "draft"),
        Slot("w", "ru", "24.3", ["24.3"], "The cooperatives are crushed.", "", "empty"),
        Slot("w", "ru", "24.4", ["24.4"], "Nobody knows this one.", "", "empty"),
    ]
    memory = [Slot("w", "ru", "24.3", ["24.3"], "The cooperatives are crushed.", "Кооперативы разгромлены.", "draft")]
    write_xliff(slots, proj / "source" / "letters.xlf", work="w", src_lang="en", tgt_lang="ru", copy_source=True)
    write_tmx(memory, proj / "tm" / "auto" / "letters.tmx", work="w", tgt_lang="ru", tool_version="1")
    run = subprocess.run(
        [java, "-Djava.awt.headless=true", f"-Duser.home={proj / 'home'}", "-jar", str(OMEGAT_JAR), str(proj),
         "--mode=console-translate"],
        capture_output=True, text=True, timeout=180,
    )
    out = proj / "target" / "letters.xlf"
    assert run.returncode == 0 and out.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    log = run.stdout + run.stderr
    assert "TMXR_INFO_READING_COMPLETE" in log and "TMXR_WARNING" not in log  # our TMX read without complaint
    edits = {e.address: e for e in read_xliff(out, src_lang="en", tgt_lang="ru", work="w")}
    assert {a: (e.status, e.text) for a, e in edits.items()} == {
        "24.1": ("confirmed", "Дорогой Владимир Ильич!"),
        "24.2": ("draft", "Пишу вам\nиз Дмитрова."),
        "24.3": ("draft", "Кооперативы разгромлены."),  # filled from the TM; state left "needs-translation"
        "24.4": ("empty", ""),  # OmegaT leaves the source copy in untranslated units
    }
    assert all(edits[s.address].token == s.token for s in slots)  # extradata survived
    assert _schema_errors(out) == []


def test_an_unknown_version_or_state_is_refused_not_read_as_translated(tmp_path):
    """A hand-edited state ``signed-off-by-bob`` or ``version="3.0"`` was imported without a word."""
    p = _write(tmp_path, version="1.2")
    good = p.read_text(encoding="utf-8")
    p.write_text(good.replace('state="translated"', 'state="signed-off-by-bob"', 1), encoding="utf-8")
    assert "invalid target state 'signed-off-by-bob'" in _err(read_xliff, p)
    p.write_text(good.replace('state="translated"', 'state="x-checked-by-bob"', 1), encoding="utf-8")
    assert read_xliff(p)  # x- states are the format's own extension point
    p.write_text(good.replace('version="1.2"', 'version="3.0"', 1), encoding="utf-8")
    assert "XLIFF version 3.0 is not supported" in _err(read_xliff, p)
    p20 = _write(tmp_path, version="2.0")
    p20.write_text(p20.read_text(encoding="utf-8").replace('version="2.0"', 'version="3.0"', 1), encoding="utf-8")
    assert "XLIFF version 3.0 in the 2.0 namespace" in _err(read_xliff, p20)
