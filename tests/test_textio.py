"""One decoder for every input file: size limits, gzip, byte-order marks, and the messages."""

from __future__ import annotations

import gzip
import io
import os
import resource
import subprocess
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


def test_bytes_that_only_start_like_utf16_are_refused():
    """``FF FE FD bad bytes`` decoded as UTF-16 to six CJK-looking characters and became a sentence."""
    err = _raises(textio.decode, b"\xff\xfe\xfd bad bytes\n", "de.txt")
    assert str(err) == ("de.txt: not UTF-16-LE text: it starts with a UTF-16-LE byte-order mark but has no space or "
                        "line break (save the file as UTF-8)")
    assert textio.decode("雪\n".encode("utf-16"), "ja.txt") == "雪\n"


# --- only regular files: FIFOs, devices and (in a work folder) symlinks are refused before reading ---------


def _capped(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with its address space capped at 400 MB and a 30 s limit."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (400 * 1024 * 1024, 400 * 1024 * 1024))

    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=30,
                          preexec_fn=cap)


READ = ("import sys\nfrom aligner import textio\nfrom aligner.errors import InputError\n"
        "try:\n    textio.read_bytes(sys.argv[1])\nexcept InputError as e:\n    print(e)\n")


def test_a_device_is_refused_without_reading_it():
    r = _capped(READ, "/dev/zero")
    assert r.returncode == 0, r.stderr[-500:]
    assert r.stdout.strip() == "/dev/zero: is a device, not a regular file (use - to read standard input)"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "text.txt"
    os.mkfifo(fifo)
    r = _capped(READ, str(fifo))  # a reader that opened it blocking would wait for a writer: TimeoutExpired
    assert r.stdout.strip() == f"{fifo}: is a FIFO (named pipe), not a regular file (use - to read standard input)"


def test_a_symlink_is_read_when_named_but_refused_inside_a_work_folder(tmp_path):
    target = tmp_path / "elsewhere" / "secret"
    target.parent.mkdir()
    target.write_text("s3cret")
    work = tmp_path / "work"
    work.mkdir()
    link = work / "en.txt"
    link.symlink_to(target)
    assert textio.read_bytes(link) == b"s3cret"  # a file the user names on the command line
    err = _raises(textio.read_bytes, link, inside=work)
    assert str(err) == f"{link}: is a symbolic link: files of a work folder must be regular files in it"
    (work / "real.txt").write_text("ok")
    assert textio.read_bytes(work / "real.txt", inside=work) == b"ok"
    assert "not inside its work folder" in str(_raises(textio.read_bytes, target, inside=work))


def test_size_is_checked_on_the_open_file_and_no_more_than_the_limit_is_read(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 5000)
    assert "file too large: 5,000 bytes" in str(_raises(textio.read_bytes, p, max_bytes=1000))
    fd = os.open(p, os.O_RDONLY)
    try:
        assert textio._read_at_most(fd, 1001) == b"x" * 1001
    finally:
        os.close(fd)
