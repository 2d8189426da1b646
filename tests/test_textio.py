"""One decoder for every input file: size limits, gzip, byte-order marks, and the messages."""

from __future__ import annotations

import gzip
import io
import sys

import pytest

from aligner import textio
from aligner.errors import InputError


def _raises(fn, *args, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    err = info.value
    assert "\n" not in str(err)
    return err


def test_gzip_bomb_is_stopped_at_the_limit(tmp_path):
    p = tmp_path / "bomb.tmx.gz"
    p.write_bytes(gzip.compress(b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>"))
    assert p.stat().st_size < 50_000
    err = _raises(textio.read_bytes, p, max_bytes=1024 * 1024)
    assert "too large once decompressed" in str(err) and "bomb.tmx.gz" in str(err)


def test_gzip_file_is_decompressed(tmp_path):
    p = tmp_path / "a.txt.gz"
    p.write_bytes(gzip.compress("Привет.\n".encode("utf-8")))
    assert textio.read_text(p) == "Привет.\n"


def test_default_limit_is_200_mb():
    assert textio.MAX_INPUT_BYTES == 200 * 1024 * 1024


def test_file_over_the_limit_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 5000)
    err = _raises(textio.read_bytes, p, max_bytes=1000)
    assert str(err) == f"{p}: file too large: 5,000 bytes (the limit is 1,000 bytes); split it"


def test_standard_input_over_the_limit(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 5000)))
    err = _raises(textio.read_text, "-", max_bytes=1000)
    assert str(err).startswith("<stdin>: input too large")


def test_missing_file_and_directory(tmp_path):
    assert str(_raises(textio.read_text, tmp_path / "nope.txt")) == f"{tmp_path / 'nope.txt'}: no such file"
    assert str(_raises(textio.read_text, tmp_path)) == f"{tmp_path}: is a directory, not a file"


@pytest.mark.parametrize("data", [b"", b"  \r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n", "\ufeff \n".encode("utf-16")])
def test_empty_files(tmp_path, data):
    p = tmp_path / "e.txt"
    p.write_bytes(data)
    assert str(_raises(textio.read_text, p)) == f"{p}: file is empty"


def test_empty_files_where_they_are_allowed(tmp_path):
    p = tmp_path / "ru.history.jsonl"
    p.write_bytes(b"\xef\xbb\xbf\n")
    assert textio.read_text(p, kind="JSON Lines", allow_empty=True) == "\n"
    p.write_bytes(b"")
    assert textio.read_text(p, kind="JSON Lines", allow_empty=True) == ""
    p.write_bytes(b"{}\x00\n")
    assert "not a JSON Lines file" in str(_raises(textio.read_text, p, kind="JSON Lines", allow_empty=True))


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_unicode_encodings_are_decoded_without_bom(codec):
    assert textio.decode("Ёлка, ёж.\r\n".encode(codec), "f.txt") == "Ёлка, ёж.\r\n"


def test_binary_zip_and_bad_utf8_messages():
    assert str(_raises(textio.decode, b"abc\x00def", "a.csv", kind="CSV")) == (
        "a.csv: binary file (it contains NUL bytes), not a CSV file")
    assert "ZIP archive" in str(_raises(textio.decode, b"PK\x03\x04rest", "a.csv", kind="CSV"))
    err = _raises(textio.decode, "one\ntwo\nПривет\n".encode("cp1251"), "ru.txt")
    assert str(err) == "ru.txt:3: not valid UTF-8: byte 0xcf cannot be decoded (save the file as UTF-8)"
    assert err.line == 3
    err = _raises(textio.decode, b"\xff\xfe" + b"\x00\xd8", "u.txt")  # UTF-16 LE BOM, lone surrogate
    assert "not valid UTF-16-LE text" in str(err)
