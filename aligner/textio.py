"""Reading an input file into text: one set of checks and one set of messages for every file.

Texts to segment, spreadsheets, translation memories, XLIFF files, the work
folder's TOML and JSON Lines: whatever a user hands in goes through
:func:`read_bytes` (size, existence, gzip) and :func:`decode` (byte-order
marks, UTF-8, UTF-16/32, binary files), so every kind of file fails the same
way, with a one-line :class:`~aligner.errors.InputError` that names the file
(and the line, for bad bytes) and says what is wrong:

* ``no such file``, ``is a directory, not a file``, ``is a FIFO (named pipe), not a regular
  file`` (devices and sockets alike): only regular files are read, and a special file is refused
  on the open descriptor, before a byte is read, so ``/dev/zero`` cannot fill memory nor a FIFO
  hang a build;
* ``is a symbolic link``, ``is not inside its work folder``: for the files of a work folder
  (``inside=``), which may come from anyone's pull request and must not pull the signing
  secret or the users file into a public corpus;
* ``file too large: N bytes (the limit is ...)``: refused before it is read.
  A gzip-compressed file (``.tmx.gz``) is decompressed with the same limit on
  its *uncompressed* size, so a small "gzip bomb" cannot fill memory;
* ``file is empty`` (nothing but whitespace and a byte-order mark);
* ``binary file (it contains NUL bytes), not a <kind> file``, and
  ``this is a ZIP archive ..., not a <kind> file``;
* ``not valid UTF-8: byte 0x.. cannot be decoded (save the file as UTF-8)``,
  with the line.

UTF-8 is the rule (a byte-order mark is dropped); UTF-16 and UTF-32 are read
when a byte-order mark says so (Excel's "Unicode text"). Line ends are left
as they are: the caller knows whether ``\\r`` matters (CSV) or not (prose).
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
import sys
import zlib
from pathlib import Path

from .errors import InputError

#: Largest input file accepted, in bytes (also the limit after decompression).
MAX_INPUT_BYTES = 200 * 1024 * 1024

STDIN = "-"
STDIN_NAME = "<stdin>"

_GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # must be tested before UTF-16 LE
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> str | None:
    """The encoding named by a byte-order mark at the start of ``data``, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line number of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _limit_text(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit >= mb and limit % mb == 0 else f"{limit:,} bytes"


# --- the messages ----------------------------------------------------------------


def empty_error(path: str | None) -> InputError:
    return InputError(path, "file is empty")


def binary_error(path: str | None, kind: str) -> InputError:
    return InputError(path, f"binary file (it contains NUL bytes), not a {kind} file")


def zip_error(path: str | None, kind: str) -> InputError:
    return InputError(path, f"this is a ZIP archive (an XLSX workbook?), not a {kind} file")


def not_utf8_error(path: str | None, data: bytes, offset: int, why: str = "", how: str = "") -> InputError:
    """``path:LINE: not valid UTF-8: byte 0x.. cannot be decoded (save the file as UTF-8)``.

    ``why`` may say more about the file, ``how`` how to save it as UTF-8 in the program that made it.
    """
    bad = data[offset : offset + 1].hex()
    advice = "; ".join(x for x in (why, "save the file as UTF-8", how) if x)
    return InputError(path, f"not valid UTF-8: byte 0x{bad} cannot be decoded ({advice})", line=line_of(data, offset))


# --- reading ---------------------------------------------------------------------


def _gunzip(path: str, data: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        out += d.decompress(data, limit + 1)
        while d.unconsumed_tail and len(out) <= limit:
            out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
    except zlib.error as e:
        raise InputError(path, f"damaged gzip file: {e}") from None
    if len(out) > limit:
        raise InputError(path, f"file too large once decompressed: over {_limit_text(limit)}")
    return bytes(out)


def _is_blank(data: bytes) -> bool:
    enc = bom_encoding(data)
    if enc is None:
        return not data.strip()
    try:
        return not data.decode(enc).lstrip("\ufeff").strip()
    except UnicodeDecodeError:
        return False  # reported as bad encoding by decode()


def _open_regular(path: str | os.PathLike, name: str, inside: Path | None) -> int:
    """An open descriptor on ``path``, which must be a regular file (and, with ``inside``, no symlink,
    and in that folder). Opening never blocks: ``O_NONBLOCK`` makes a FIFO open at once, and ``fstat``
    on the open file refuses it, a device or a socket before a byte is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if inside is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            if os.path.islink(path):
                raise InputError(name, "is a symbolic link: files of a work folder must be regular files in it")
            folder = Path(inside).resolve()
            if Path(path).resolve().parent != folder:
                raise InputError(name, f"is not inside its work folder {inside}")
        except OSError as e:
            raise InputError(name, f"cannot read file: {e.strerror or e}") from None
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except OSError as e:
        if inside is not None and e.errno == errno.ELOOP:
            raise InputError(name, "is a symbolic link: files of a work folder must be regular files in it") from None
        raise InputError(name, f"cannot read file: {e.strerror or e}") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as e:
        os.close(fd)
        raise InputError(name, f"cannot read file: {e.strerror or e}") from None
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise InputError(name, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if (
            stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) else "a socket" if stat.S_ISSOCK(mode) else "a special file"
        raise InputError(name, f"is {what}, not a regular file (use - to read standard input)")
    return fd


def check_file(path: str | os.PathLike, *, inside: str | os.PathLike | None = None) -> None:
    """Refuse, as :func:`read_bytes` would, a file that is missing, special, a symlink or outside ``inside``."""
    os.close(_open_regular(path, str(path), Path(inside) if inside is not None else None))


def _read_at_most(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of an open file (fewer at its end), in a few large reads."""
    chunks, left = [], limit
    while left > 0:
        chunk = os.read(fd, min(left, 16 * 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_bytes(
    path: str | os.PathLike, *, max_bytes: int | None = None, allow_empty: bool = False, inside: str | os.PathLike | None = None
) -> bytes:
    """The bytes of an input file (``-``: standard input), after the checks every reader shares.

    Only a regular file is read (a FIFO, a device such as ``/dev/zero`` or a
    socket is refused before reading, without blocking); a missing file, a
    directory, a file over the size limit (``max_bytes``, default
    :data:`MAX_INPUT_BYTES`: checked on the open file, and no more than the
    limit is ever read) and, unless ``allow_empty``, an empty file are refused.
    With ``inside`` (a work folder) the file must also be no symbolic link and
    sit in that folder: a folder from someone else cannot make a build read
    files from elsewhere on the machine. A gzip file is decompressed, with
    the same limit.
    """
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    if str(path) == STDIN:
        name = STDIN_NAME
        data = sys.stdin.buffer.read(limit + 1)
    else:
        name = str(path)
        fd = _open_regular(path, name, Path(inside) if inside is not None else None)
        try:
            size = os.fstat(fd).st_size
            if size > limit:
                raise InputError(name, f"file too large: {size:,} bytes (the limit is {_limit_text(limit)}); split it")
            os.set_blocking(fd, True)
            data = _read_at_most(fd, limit + 1)
        except OSError as e:
            raise InputError(name, f"cannot read file: {e.strerror or e}") from None
        finally:
            os.close(fd)
    if len(data) > limit:  # standard input, or a file that grew while we looked
        raise InputError(name, f"input too large: over {_limit_text(limit)}")
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(name, data, limit)
    if not allow_empty and _is_blank(data):
        raise empty_error(name)
    return data


def decode(
    data: bytes, path: str | None = None, *, kind: str = "text", allow_empty: bool = False, how: str = ""
) -> str:
    """Decode the bytes of a text file: UTF-8 (BOM optional), or UTF-16/32 with a BOM.

    Returns the text without the BOM. ``kind`` ("text", "CSV", "TOML") names
    what the file should have been in the messages, ``how`` says how to save
    it as UTF-8; a file with nothing but whitespace is refused unless
    ``allow_empty``.
    """
    enc = bom_encoding(data)
    if enc and enc != "utf-8":
        try:
            text = data.decode(enc).lstrip("\ufeff")
        except UnicodeDecodeError as e:
            raise InputError(path, f"not valid {enc.upper()} text: bad bytes at offset {e.start}") from None
        if text.strip() and not any(c.isspace() for c in text):
            # Two bytes FF FE start some binary and Latin-1 files too; decoded as UTF-16 they give a line of
            # CJK-looking characters with no space or line break anywhere, which no text has.
            raise InputError(path, f"not {enc.upper()} text: it starts with a {enc.upper()} byte-order mark but has "
                                   "no space or line break (save the file as UTF-8)")
    else:
        if data.startswith(ZIP_MAGIC):
            raise zip_error(path, kind)
        if b"\x00" in data:
            raise binary_error(path, kind)
        if enc == "utf-8":
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise not_utf8_error(path, data, e.start, how=how) from None
    if not allow_empty and not text.strip():
        raise empty_error(path)
    return text


def read_text(
    path: str | os.PathLike,
    *,
    kind: str = "text",
    max_bytes: int | None = None,
    allow_empty: bool = False,
    how: str = "",
    inside: str | os.PathLike | None = None,
) -> str:
    """Read and decode an input file (``-``: standard input): :func:`read_bytes`, then :func:`decode`."""
    data = read_bytes(path, max_bytes=max_bytes, allow_empty=allow_empty, inside=inside)
    name = STDIN_NAME if str(path) == STDIN else str(path)
    return decode(data, name, kind=kind, allow_empty=allow_empty, how=how)
