"""Safe reading of untrusted XML: hostile documents, bad bytes, size limits."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from aligner import textio
from aligner.errors import InputError
from aligner.formats.tmx import read_tmx
from aligner.formats.validate import validate_tmx, validate_xliff
from aligner.formats.xliff import read_xliff
from aligner.formats.xmlsafe import parse_xml, root_name, xml_text

HOSTILE = Path(__file__).parent / "data" / "hostile"

SMALL_TMX = """<?xml version="1.0" encoding="{enc}"?>
<tmx version="1.4">
  <header creationtool="x" creationtoolversion="1" segtype="sentence" o-tmf="x"
          adminlang="en" srclang="en" datatype="plaintext"/>
  <body>
    <tu tuid="1.1"><tuv xml:lang="en"><seg>Hello</seg></tuv><tuv xml:lang="ru"><seg>{ru}</seg></tuv></tu>
  </body>
</tmx>
"""


def _raises(fn, *args, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    return info.value


# --- hostile documents ---------------------------------------------------------

ENTITY_FIXTURES = ["billion_laughs.tmx", "quadratic_blowup.xlf", "xxe_file.tmx", "xxe_parameter.xlf", "xxe_utf16.tmx"]


@pytest.mark.parametrize("name", ENTITY_FIXTURES)
def test_entity_declarations_are_refused_quickly(name):
    path = HOSTILE / name
    t0 = time.perf_counter()
    err = _raises(parse_xml, path)
    assert time.perf_counter() - t0 < 1.0
    assert name in str(err)
    assert "entit" in str(err).lower()
    assert "\n" not in str(err)


@pytest.mark.parametrize("name", ENTITY_FIXTURES)
def test_readers_and_validators_refuse_hostile_files(name):
    path = HOSTILE / name
    reader = read_tmx if name.endswith(".tmx") else read_xliff
    err = _raises(reader, path)
    assert name in str(err) and "entit" in str(err).lower()
    assert "root:" not in str(err)  # nothing of /etc/passwd leaks into the message
    validator = validate_tmx if name.endswith(".tmx") else validate_xliff
    try:
        err = _raises(validator, path)
    except Exception as e:  # schema missing is reported by the schema tests
        if type(e).__name__ != "SchemaNotInstalled":
            raise
    else:
        assert "entit" in str(err).lower()


def test_ascii_entity_line_is_named():
    err = _raises(parse_xml, HOSTILE / "billion_laughs.tmx")
    assert err.line == 5  # the first <!ENTITY


def test_doctype_with_external_dtd_only_is_read_without_loading_it():
    t0 = time.perf_counter()
    edits = read_tmx(HOSTILE / "external_dtd_only.tmx")
    assert time.perf_counter() - t0 < 1.0
    assert [(e.address, e.text) for e in edits] == [("1.1", "Привет")]


def test_local_external_dtd_is_not_loaded():
    # evil.dtd beside the file declares &greeting;; it must neither be loaded nor silently dropped
    err = _raises(read_tmx, HOSTILE / "local_external_dtd.tmx")
    assert "local_external_dtd.tmx:10" in str(err) and "&greeting;" in str(err)
    assert "INJECTED" not in str(err)


def test_deep_nesting_is_malformed_not_a_crash(tmp_path):
    p = tmp_path / "deep.xlf"
    p.write_text("<a>" * 5000 + "</a>" * 5000, encoding="utf-8")
    err = _raises(parse_xml, p)
    assert "malformed XML" in str(err) and "deep.xlf" in str(err)


def test_gzip_tmx_is_read(tmp_path):
    p = tmp_path / "tm.tmx.gz"
    p.write_bytes(gzip.compress(SMALL_TMX.format(enc="UTF-8", ru="Привет").encode("utf-8")))
    assert [e.text for e in read_tmx(p)] == ["Привет"]


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    p = tmp_path / "big.xlf"
    p.write_bytes(b"<a>" + b"x" * 5000 + b"</a>")
    monkeypatch.setattr(textio, "MAX_INPUT_BYTES", 1000)
    err = _raises(parse_xml, p)
    assert "too large" in str(err) and "big.xlf" in str(err)


# --- bad bytes -------------------------------------------------------------------


def test_missing_file(tmp_path):
    err = _raises(parse_xml, tmp_path / "nope.tmx")
    assert "nope.tmx" in str(err) and "no such file" in str(err)


@pytest.mark.parametrize("content", [b"", b"   \n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.tmx"
    p.write_bytes(content)
    err = _raises(parse_xml, p)
    assert "empty.tmx" in str(err) and "empty" in str(err).lower()


def test_binary_file(tmp_path):
    p = tmp_path / "photo.tmx"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    err = _raises(parse_xml, p, kind="TMX")
    assert "photo.tmx" in str(err) and "binary" in str(err)


def test_zip_file(tmp_path):
    p = tmp_path / "book.xlf"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    err = _raises(parse_xml, p, kind="XLIFF")
    assert "ZIP" in str(err)


def test_not_utf8_names_line(tmp_path):
    p = tmp_path / "cp1251.tmx"
    p.write_bytes(SMALL_TMX.format(enc="UTF-8", ru="Привет").encode("cp1251"))
    err = _raises(parse_xml, p)
    assert "cp1251.tmx:6" in str(err) and "not valid UTF-8" in str(err)
    assert err.line == 6


def test_declared_legacy_encoding_is_honoured(tmp_path):
    p = tmp_path / "cp1251.tmx"
    p.write_bytes(SMALL_TMX.format(enc="windows-1251", ru="Привет").encode("cp1251"))
    assert [e.text for e in read_tmx(p)] == ["Привет"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_bom_files_are_read(tmp_path, codec):
    p = tmp_path / "bom.tmx"
    enc = "UTF-16" if codec == "utf-16" else "UTF-8"
    p.write_bytes(SMALL_TMX.format(enc=enc, ru="Привет").encode(codec))
    assert [e.text for e in read_tmx(p)] == ["Привет"]


def test_malformed_xml_names_file_and_line(tmp_path):
    p = tmp_path / "broken.xlf"
    p.write_text('<?xml version="1.0"?>\n<xliff>\n  <file>\n</xliff>\n', encoding="utf-8")
    err = _raises(parse_xml, p)
    assert str(err).startswith(f"{p}:4: malformed XML: ")
    assert err.line == 4
    assert "\n" not in str(err)


# --- helpers -----------------------------------------------------------------------


def test_xml_text_drops_only_what_xml_cannot_carry():
    assert xml_text("a\x00b\x01c\x0bd\x1fe\ufffef\uffff") == "abcdef"
    keep = "tab\tlf\ncr\r <&> \u200f\u0301 😀 \ufffd"
    assert xml_text(keep) == keep
    assert xml_text(None) == ""


@pytest.mark.parametrize("head,root", [
    (b'<?xml version="1.0"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n<!-- note --><tmx version="1.4">', "tmx"),
    ('<?xml version="1.0" encoding="UTF-16"?><xliff xmlns="urn:x">'.encode("utf-16"), "xliff"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><tei:TEI xmlns:tei="t">', "TEI"),
    (b"segment,english,text\r\n", None),
])
def test_root_name_sniffs_without_parsing(head, root):
    assert root_name(head) == root
