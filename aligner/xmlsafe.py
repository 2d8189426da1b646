"""Reading untrusted input files safely: size, encoding and XML hazards.

Every importer (TMX, XLIFF, CSV, XLSX) goes through :func:`read_input` first,
and the XML importers then through :func:`parse_xml`. The rules:

* A file larger than :data:`MAX_INPUT_BYTES` (200 MB) is refused before it is
  read. A gzip-compressed file (``.tmx.gz``) is decompressed with the same
  limit on its *uncompressed* size, so a small "gzip bomb" cannot fill memory.
* An empty file, a binary file (NUL bytes that are not UTF-16/UTF-32 text) and
  a file that is not valid UTF-8 each get their own one-line
  :class:`~aligner.errors.InputError` naming the file (and the line, for bad
  bytes).
* XML is parsed with lxml with ``resolve_entities=False, no_network=True,
  load_dtd=False, huge_tree=False``: no entity is ever expanded, no DTD or
  external resource is ever fetched, and libxml2's limits on depth and text
  size stay on.
* Any entity declaration (``<!ENTITY``) is refused before parsing. Real TMX and
  XLIFF files never declare entities; a document that does is either a
  "billion laughs" expansion bomb or an XXE attempt to read local files. A plain
  ``<!DOCTYPE tmx SYSTEM "tmx14.dtd">`` is accepted (and the DTD is not loaded).
* Syntax errors become ``InputError(path, "malformed XML: ...", line=N)``, whose
  message reads ``file.tmx:N: malformed XML: ...``.

:func:`xml_text` is the writers' side: it removes the characters XML 1.0 cannot
carry at all (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF; lone
surrogates), since even ``&#...;`` references to them are not well-formed.
"""

from __future__ import annotations

import codecs
import os
import re
import zlib
from pathlib import Path

from lxml import etree

from aligner.errors import InputError

#: The XML declaration the exporters write (double quotes: some tools look for exactly this).
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: Largest input file accepted, in bytes (also the limit after decompression).
MAX_INPUT_BYTES = 200 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # must be tested before UTF-16 LE
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# "<!ENTITY" in every encoding an XML parser may detect on its own.
_ENTITY_DECL = "<!ENTITY"
_ENTITY_PATTERNS = tuple(
    _ENTITY_DECL.encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)

# Characters XML 1.0 allows: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_XML_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def xml_text(text: str | None) -> str:
    """``text`` without the characters that XML 1.0 cannot represent."""
    if not text:
        return ""
    return _NOT_XML_CHAR.sub("", text)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def bom_encoding(data: bytes) -> str | None:
    """The encoding named by a byte-order mark at the start of ``data``, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _looks_like_utf16_xml(data: bytes) -> bool:
    # "<?" without a byte-order mark, as the XML spec's appendix F lists it.
    return data[:4] in (b"<\x00?\x00", b"\x00<\x00?", b"<\x00\x00\x00", b"\x00\x00\x00<")


def _gunzip(path: str, data: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        chunk = d.decompress(data, limit + 1)
        out += chunk
        while d.unconsumed_tail and len(out) <= limit:
            out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
    except zlib.error as e:
        raise InputError(path, f"damaged gzip file: {e}") from None
    if len(out) > limit:
        raise InputError(path, f"file too large once decompressed: over {limit // (1024 * 1024)} MB")
    return bytes(out)


def read_input(path: str | os.PathLike, *, kind: str = "file", max_bytes: int | None = None) -> bytes:
    """The bytes of an input file, after the checks every importer shares.

    Refuses a missing file, a directory, a file over the size limit, and an
    empty file (nothing but whitespace and a byte-order mark). A gzip file is
    decompressed (with the same limit). ``kind`` ("TMX", "XLIFF", "CSV") only
    flavours the messages.
    """
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    name = str(path)
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as e:
        raise InputError(name, f"cannot read file: {e.strerror or e}") from None
    if p.is_dir():
        raise InputError(name, "is a directory, not a file")
    if st.st_size > limit:
        raise InputError(
            name, f"file too large: {st.st_size} bytes (the limit is {limit // (1024 * 1024)} MB); split it"
        )
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(name, f"cannot read file: {e.strerror or e}") from None
    if len(data) > limit:  # grew while we looked
        raise InputError(name, f"file too large (the limit is {limit // (1024 * 1024)} MB)")
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(name, data, limit)
    enc = bom_encoding(data)
    body = data
    if enc is not None:
        body = data[len(codecs.BOM_UTF8) if enc == "utf-8" else 0 :]
        try:
            stripped = body.decode(enc).strip().lstrip("\ufeff")
        except UnicodeDecodeError:
            stripped = "x"  # reported later as bad encoding
        if not stripped:
            raise InputError(name, f"empty {kind}: the file has no content")
    elif not data.strip():
        raise InputError(name, f"empty {kind}: the file has no content")
    return data


def check_text_bytes(path: str, data: bytes, *, kind: str = "file", allow_utf16: bool = True) -> str:
    """Decode a text file: UTF-8 (BOM optional), or UTF-16/32 with a BOM.

    Binary files (NUL bytes without a UTF-16/32 byte-order mark, ZIP archives)
    and invalid UTF-8 get one-line errors that say what the file is and how to
    fix it. Returns the text without the BOM.
    """
    enc = bom_encoding(data)
    if enc and enc != "utf-8" and allow_utf16:
        try:
            return data.decode(enc).lstrip("\ufeff")
        except UnicodeDecodeError as e:
            raise InputError(path, f"not valid {enc.upper()} text: bad bytes at offset {e.start}") from None
    if data.startswith(_ZIP_MAGIC):
        raise InputError(path, f"this is a ZIP archive (an XLSX workbook?), not a {kind} file")
    if b"\x00" in data:
        raise InputError(path, f"binary file (it contains NUL bytes), not a {kind} file")
    if enc == "utf-8":
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _line_of(data, e.start)
        bad = data[e.start : e.start + 1].hex().upper()
        raise InputError(
            path,
            f"not UTF-8: byte 0x{bad} cannot be decoded (save the file as UTF-8; "
            "Excel: 'CSV UTF-8', editors: encoding UTF-8)",
            line=line,
        ) from None


def _refuse_entities(path: str, data: bytes) -> None:
    for pattern in _ENTITY_PATTERNS:
        i = data.find(pattern)
        if i >= 0:
            line = _line_of(data, i) if pattern == _ENTITY_PATTERNS[0] else None
            raise InputError(
                path,
                "refused: the DOCTYPE declares entities (<!ENTITY ...>); entity declarations can expand "
                "without bound or read local files, and TMX/XLIFF files never need them",
                line=line,
            )


def safe_parser() -> etree.XMLParser:
    """An lxml parser that expands no entity and loads nothing from anywhere."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
        # NB: do not pass collect_ids=False: with lxml 6 it makes libxml2 load the
        # external DTD named in the DOCTYPE (test_local_external_dtd_is_not_loaded)
    )


def parse_bytes(path: str, data: bytes, *, kind: str = "XML") -> etree._ElementTree:
    """Parse ``data`` (already read by :func:`read_input`) under the safety rules."""
    enc = bom_encoding(data)
    if enc is None or enc == "utf-8":
        if data.startswith(_ZIP_MAGIC):
            raise InputError(path, f"this is a ZIP archive, not a {kind} file")
        if b"\x00" in data and not _looks_like_utf16_xml(data):
            raise InputError(path, f"binary file (it contains NUL bytes), not a {kind} file")
        m = _XML_DECL_ENCODING.match(data[len(codecs.BOM_UTF8) :] if enc else data)
        declared = m.group(1).decode("ascii").lower() if m else "utf-8"
        if declared.replace("_", "-") in ("utf-8", "utf8") and b"\x00" not in data:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(
                    path,
                    f"not UTF-8: byte 0x{data[e.start:e.start + 1].hex().upper()} cannot be decoded "
                    "(the file declares no other encoding; save it as UTF-8)",
                    line=_line_of(data, e.start),
                ) from None
    _refuse_entities(path, data)
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as e:
        msg = (e.msg or str(e)).strip()
        # lxml appends "(<string>, line N)"; the InputError prefix names the place already
        msg = re.sub(r",? *\(<string>, line \d+\)$", "", msg)
        msg = re.sub(r", line \d+, column \d+$", "", msg)
        raise InputError(path, f"malformed XML: {msg}", line=e.lineno or None) from None
    except ValueError as e:  # e.g. unsupported encoding declaration
        raise InputError(path, f"malformed XML: {e}") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InputError(path, "refused: the DOCTYPE declares entities")
    for ent in tree.iter(etree.Entity):
        # only reachable through an external DTD, which is never loaded
        raise InputError(
            path, f"undefined entity reference {ent.text} (entities are never expanded)", line=ent.sourceline
        )
    return tree


def parse_xml(path: str | os.PathLike, *, kind: str = "XML", max_bytes: int | None = None) -> etree._ElementTree:
    """Read and parse an untrusted XML file; every failure is a one-line InputError."""
    data = read_input(path, kind=kind, max_bytes=max_bytes)
    return parse_bytes(str(path), data, kind=kind)


def lang_matches(tag: str | None, wanted: str) -> bool:
    """Whether BCP 47 tag ``tag`` is language ``wanted``: same tag, or same primary language.

    Case-insensitive; ``ru-RU`` matches ``ru``, ``en`` matches ``en-GB`` (as
    OmegaT and Trados users expect), ``_`` is read as ``-``.
    """
    if not tag:
        return False
    a = tag.strip().lower().replace("_", "-")
    b = wanted.strip().lower().replace("_", "-")
    return a == b or a.split("-", 1)[0] == b.split("-", 1)[0]


def local_name(el) -> str:
    """The tag of ``el`` without its namespace ('' for comments and PIs)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(el) -> str:
    tag = el.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return ""


def write_output(fp_or_path, data: bytes) -> None:
    """Write an export: to an open file (binary, or text: decoded as UTF-8) or to a path.

    A path is written atomically (a temporary file in the same folder, then a
    rename), so an interrupted export never leaves half a file behind.
    """
    if hasattr(fp_or_path, "write"):
        try:
            fp_or_path.write(data)
        except TypeError:
            fp_or_path.write(data.decode("utf-8"))
        return
    from .files import atomic_write

    atomic_write(fp_or_path, data)


# --- small helpers shared by the exporters and importers -------------------


def tool_version() -> str:
    """The installed aligner version, for ``creationtoolversion`` and ``tool-version``."""
    try:
        from importlib.metadata import version

        return version("aligner")
    except Exception:  # not installed (running from a checkout)
        return "0+unknown"


def compact_utc(at: str | None) -> str | None:
    """An ISO 8601 timestamp as TMX wants it (``YYYYMMDDThhmmssZ``, UTC); None if unreadable.

    Naive timestamps are taken to be UTC already; ``20261124T120000Z`` passes through.
    """
    if not at:
        return None
    from datetime import datetime, timezone

    s = at.strip()
    if re.fullmatch(r"\d{8}T\d{6}Z", s):
        return s
    try:
        dt = datetime.fromisoformat(s.replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def settle_auto(address: str | None, text: str, status: str, token: str | None) -> str:
    """Keep ``auto`` only for a unit provably untouched since it was exported.

    A file that says ``auto`` for a unit whose text no longer hashes to the
    exported revision token was changed by a person, so it is read as
    ``draft``. Without an address or a token nothing can be proved, and the
    file's word stands.
    """
    from aligner.model import slot_token

    if status != "auto" or address is None or not token:
        return status
    return "auto" if slot_token(address, text, "auto") == token else "draft"


def exported_status(address: str | None, text: str, token: str | None, declared: str | None = None) -> str | None:
    """The status a unit had when we exported it, if that can be known.

    ``declared`` is what the file itself recorded at export (XLIFF 1.2
    ``extradata``, XLIFF 2.0 ``subState``, TMX ``x-status``). Without it, the
    token tells the status only while the text is unchanged (the token hashes
    address, status and text).
    """
    from aligner.model import STATUSES, slot_token

    if declared in STATUSES:
        return declared
    if address and token:
        return next((s for s in STATUSES if slot_token(address, text, s) == token), None)
    return None


def settle_status(
    address: str | None, text: str, status: str, token: str | None, exported: str | None, untouched: bool
) -> str:
    """The status to import for a unit of a bilingual file (XLIFF, TMX).

    ``status`` is what the file's state attributes map to; ``exported`` the
    status we wrote (see :func:`exported_status`); ``untouched`` whether the
    state attributes are still exactly as we wrote them. CAT tools such as
    OmegaT write translations back but leave every attribute alone, so:

    * text as exported, attributes as exported -> the exported status (an
      untouched ``auto`` unit stays ``auto``);
    * text changed, attributes as exported -> ``draft`` (a person edited it;
      a ``confirmed`` or ``auto`` label left over from the export does not
      describe the new text), or ``empty`` if the text was removed;
    * attributes changed (the tool or the translator set a state) -> ``status``.

    Without an address, a token or a known export status, ``status`` stands.
    """
    from aligner.model import slot_token

    if not (address and token and exported):
        return status
    if slot_token(address, text, exported) == token:
        return exported if untouched else status
    if untouched:
        return "draft" if text else "empty"
    return status
