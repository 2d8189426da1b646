"""Parsing untrusted XML safely: no entity expansion, no DTD or network access.

The XML readers (TMX, XLIFF, the validators) read a file with
:func:`aligner.textio.read_bytes` (size limit, gzip, empty file) and parse it
with :func:`parse_bytes` / :func:`parse_xml`. The rules:

* A binary file (NUL bytes that are not UTF-16/UTF-32 XML), a ZIP archive and
  a file that is not valid UTF-8 (when it declares no other encoding) get the
  one-line messages of :mod:`aligner.textio`, naming the file and the line.
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

from lxml import etree

from .. import textio
from ..errors import InputError

#: The XML declaration the exporters write (double quotes: some tools look for exactly this).
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# "<!ENTITY" in every encoding an XML parser may detect on its own.
_ENTITY_DECL = "<!ENTITY"
_ENTITY_PATTERNS = tuple(
    _ENTITY_DECL.encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)

# Characters XML 1.0 allows: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_XML_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def xml_text(text: str | None) -> str:
    """``text`` without the characters that XML 1.0 cannot represent."""
    if not text:
        return ""
    return NOT_XML_CHAR.sub("", text)


_PROLOG = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.S)
_FIRST_ELEMENT = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def root_name(head: bytes) -> str | None:
    """The local name of the root element of a document that begins with ``head``, without parsing it.

    For telling formats apart only: the document is parsed safely when it is read.
    """
    enc = textio.bom_encoding(head)
    if enc is None:
        enc = {b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}.get(head[:2], "utf-8")
    text = head.decode(enc, "ignore").lstrip("\ufeff").lstrip()
    if not text.startswith("<"):
        return None
    m = _FIRST_ELEMENT.match(_PROLOG.sub("", text).lstrip())
    return m.group(1) if m else None


def _looks_like_utf16_xml(data: bytes) -> bool:
    # "<?" without a byte-order mark, as the XML spec's appendix F lists it.
    return data[:4] in (b"<\x00?\x00", b"\x00<\x00?", b"<\x00\x00\x00", b"\x00\x00\x00<")


def _refuse_entities(path: str, data: bytes) -> None:
    for pattern in _ENTITY_PATTERNS:
        i = data.find(pattern)
        if i >= 0:
            line = textio.line_of(data, i) if pattern == _ENTITY_PATTERNS[0] else None
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
    """Parse ``data`` (already read by :func:`aligner.textio.read_bytes`) under the safety rules."""
    enc = textio.bom_encoding(data)
    if enc is None or enc == "utf-8":
        if data.startswith(textio.ZIP_MAGIC):
            raise textio.zip_error(path, kind)
        if b"\x00" in data and not _looks_like_utf16_xml(data):
            raise textio.binary_error(path, kind)
        m = _XML_DECL_ENCODING.match(data[len(codecs.BOM_UTF8) :] if enc else data)
        declared = m.group(1).decode("ascii").lower() if m else "utf-8"
        if declared.replace("_", "-") in ("utf-8", "utf8") and b"\x00" not in data:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise textio.not_utf8_error(path, data, e.start, "the file declares no other encoding") from None
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
    data = textio.read_bytes(path, max_bytes=max_bytes)
    return parse_bytes(str(path), data, kind=kind)


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
