"""Which formats exist, and which one a file name or a file's content means.

A new format is a module with a :class:`~aligner.formats.base.Format`
subclass and one line in :data:`FORMATS`; the command line's ``--format``
choices, the guess from an output file's suffix and the import sniffing all
come from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import textio
from ..errors import AlignerError
from .base import Format
from .csv import CsvFormat
from .html import HtmlFormat
from .tei import TeiFormat
from .tmx import TmxFormat
from .xliff import Xliff2Format, XliffFormat
from .xlsx import XlsxFormat
from .xmlsafe import root_name

#: Every format, in the order the command line lists them.
FORMATS: tuple[Format, ...] = (
    CsvFormat(),
    XlsxFormat(),
    TmxFormat(),
    XliffFormat(),
    Xliff2Format(),
    HtmlFormat(),
    TeiFormat(),
)

#: What ``export -o -`` writes when no format is given.
DEFAULT = "csv"

#: How much of a file the content sniffing looks at.
_HEAD = 4096


def names(*, readable: bool = False) -> list[str]:
    """The format names, for ``--format`` (``readable``: only those that can be imported)."""
    return [f.name for f in FORMATS if f.can_read or not readable]


def get(name: str) -> Format:
    """The format called ``name``."""
    for f in FORMATS:
        if f.name == name:
            return f
    raise AlignerError(f"unknown format {name!r} (known: {', '.join(names())})")


def by_suffix(path: str | os.PathLike) -> Format | None:
    """The format a file name's ending means (``.xlf`` -> XLIFF), case-insensitively; None if none."""
    name = Path(path).name.lower()
    best = None
    for f in FORMATS:
        for suffix in f.suffixes:
            if name.endswith(suffix) and (best is None or len(suffix) > len(best[1])):
                best = (f, suffix)
    return best[0] if best else None


def sniff(data: bytes) -> Format | None:
    """The importable format whose files begin like ``data`` (decompressed), if one does."""
    head = data[:_HEAD]
    root = root_name(head)
    return next((f for f in FORMATS if f.can_read and f.sniff(head, root)), None)


def for_output(path: str, name: str | None = None) -> Format:
    """The format to write ``path`` in: ``name`` if given, else the suffix's (``-``: :data:`DEFAULT`)."""
    if name:
        return get(name)
    if path == textio.STDIN:
        return get(DEFAULT)
    found = by_suffix(path)
    if found is None:
        raise AlignerError(f"{path}: cannot tell the format from the name; give --format")
    return found


def for_input(path: str | os.PathLike, name: str | None = None) -> Format:
    """The format to import ``path`` as: ``name`` if given, else the suffix's, else its content's.

    A file whose name means a format for readers (``.html``) is refused,
    unless its content is a format that can be imported (a TMX saved as ``.xml``).
    """
    if name:
        return get(name)
    found = by_suffix(path)
    if found is not None and found.can_read:
        return found
    sniffed = sniff(textio.read_bytes(path))
    if sniffed is not None:
        return sniffed
    if found is not None:
        raise AlignerError(f"{path}: {found.name} files are for readers and cannot be imported")
    raise AlignerError(f"{path}: cannot tell the format from the name; give --format")
