"""Segmenting a text into its structure (divisions, blocks of a kind) and sentences.

Why a structure pass of our own: no sentence splitter knows what a letter looks
like. Datelines, salutations, closings and signatures are lines, not sentences,
and they are the best anchors an aligner has. So the text is first cut into
blocks by blank lines and line shapes, each block gets a kind, and only then
are paragraph-like blocks handed to the sentence splitter
(:func:`aligner.text.sentences.split_sentences`).

Every segment keeps character offsets into the decoded text, so
``text[seg.start:seg.end] == seg.text`` always holds, and nothing is lost or
invented: the gaps between segments are whitespace only.

Two input shapes are understood:

* running text (letters, essays, books): :func:`segment_text`;
* reference-keyed TSV (``book  chapter  verse  text``, one verse a line, as the
  Bible files are): :func:`segment_tsv`. Each reference becomes one block whose
  ``key`` (``Gen.1.1``) is shared across versions and so is a hard anchor for
  the aligner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..textio import decode as _decode, read_text as _read_text

#: Kinds a block can have. Paragraph-like kinds are split into sentences.
KINDS = (
    "title",
    "byline",
    "source",
    "heading",
    "dateline",
    "salutation",
    "paragraph",
    "closing",
    "signature",
    "verse",
)
SENTENCE_KINDS = {"paragraph", "verse"}
#: Kinds of front matter: the title page, found only before a text's first dateline, salutation or paragraph.
#: Front matter belongs to the first division (a book's title page precedes its first chapter): divisions,
#: the parts a reader pages through, are counted from 1 in every text.
FRONT_KINDS = ("title", "byline", "source", "heading")

#: Largest text file accepted; a larger one is almost certainly not a text to align.
MAX_TEXT_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class Segment:
    """One sentence (or one whole line-like block) of a version, with its place.

    Slotted: a build holds and hands between processes hundreds of thousands of them."""

    block: int
    kind: str
    sentence: int
    text: str
    start: int
    end: int
    division: int = 1
    key: str | None = None

    @property
    def ref(self) -> str:
        """The stable, typable id: ``<block>.<sentence>``, or ``<key>.<sentence>`` for keyed texts."""
        return f"{self.key or self.block}.{self.sentence}"

    def as_dict(self) -> dict:
        return {
            "block": self.block,
            "kind": self.kind,
            "sentence": self.sentence,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Document:
    """A segmented text: its decoded source and its segments in order."""

    text: str
    segments: list[Segment] = field(default_factory=list)
    divisions: dict[int, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Reading files


def decode_text(data: bytes, path: str | None = None) -> str:
    """Decode bytes as a text file (see :func:`aligner.textio.decode`), CRLF/CR turned into LF."""
    return _decode(data, path).replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path, *, max_bytes: int = MAX_TEXT_BYTES, inside: str | Path | None = None) -> str:
    """Read and decode a text file; ``-`` is standard input; with ``inside``, only a regular file in that folder."""
    return _read_text(path, max_bytes=max_bytes, inside=inside).replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------
# Line shapes

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    "январь|февраль|март|апрель|май|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "januar|februar|märz|april|juni|juli|oktober|dezember"
)
_DATE_BODY = (
    rf"(?:\b\d{{1,2}}\.?\s+(?:de\s+)?(?:{_MONTHS})\b\.?,?\s+(?:de\s+)?\d{{4}}"
    rf"|\b(?:{_MONTHS})\b\.?\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\b\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}\b)"
)
_DATE = re.compile(_DATE_BODY, re.I | re.X)
_DATE_ONLY = re.compile(rf"^\s*(?:{_DATE_BODY})\s*(?:г\.|года)?\s*\.?\s*$", re.I | re.X)
_SALUTATION_WORDS = re.compile(
    r"(?i)^(?:dear|esteemed|respected|honou?red|my\s+dear|sir|madam|comrade|"
    r"уважаем\w*|многоуважаем\w*|глубокоуважаем\w*|дорог\w*|милостив\w*|товарищ\w*|"
    r"estimad\w*|querid\w*|respetad\w*|cher|chère|monsieur|madame|lieber|liebe|sehr\s+geehrte\w*)\b"
)
_CLOSING_WORDS = re.compile(
    r"(?i)^(?:with\b|yours\b|sincerely|respectfully|faithfully|regards|greetings|fraternally|"
    r"с\s+\w+|ваш\b|искренне|привет|con\s+\w+|saludos|atentamente|fraternalmente|"
    r"mit\s+\w+|salutations|bien\s+à\s+vous)"
)
_SOURCE_WORDS = re.compile(
    r"(?i)^(?:source|transcription|transcribed|translated|translation|retrieved|original|"
    r"источник|перевод|fuente|traducci[oó]n|quelle|übersetzung)\b"
)
_TERMINAL = ".!?…:;\"'»”’)"


def _words(line: str) -> list[str]:
    return line.split()


def _is_date_line(line: str) -> bool:
    return len(line) <= 90 and bool(_DATE.search(line)) and not line.rstrip().endswith((".", "?", "!")) or bool(
        _DATE_ONLY.match(line)
    )


def _is_short(line: str, words: int = 8) -> bool:
    return len(_words(line)) <= words and len(line) <= 80


def _looks_like_name(line: str) -> bool:
    """A signature line: a few capitalised words or initials, no sentence punctuation at the end."""
    s = line.strip()
    if not s or len(_words(s)) > 5 or len(s) > 60:
        return False
    if s[-1] in ",;:?!":
        return False
    if s.endswith(".") and not re.search(r"\b\w\.$", s):
        return False
    tokens = re.findall(r"[^\W\d_]+\.?", s)
    return bool(tokens) and all(t[0].isupper() for t in tokens if len(t) > 1 or t.endswith("."))


# ---------------------------------------------------------------------------
# Structure


@dataclass
class _Line:
    start: int
    end: int
    text: str
    group: int


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    group = 0
    pos = 0
    blank_run = True
    for raw in text.split("\n"):
        start = pos
        pos += len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            blank_run = True
            continue
        if blank_run:
            group += 1
            blank_run = False
        lead = len(raw) - len(raw.lstrip())
        s = start + lead
        out.append(_Line(s, s + len(stripped), stripped, group))
    return out


def _is_hard_wrapped(lines: list[_Line]) -> bool:
    """True for a group whose lines are one paragraph wrapped at a fixed width."""
    if len(lines) < 2:
        return False
    body = lines[:-1]
    lengths = [len(x.text) for x in body]
    return min(lengths) >= 40 and max(lengths) <= 100 and max(lengths) - min(lengths) <= 30


def structure(text: str, *, title: str | None = None, author: str | None = None) -> list[tuple[str, int, int, int]]:
    """Cut ``text`` into blocks: a list of ``(kind, start, end, division)``.

    Blocks are found line by line: each non-blank line is a block unless it
    continues the one before (a dateline written over two lines, a source
    note continued after a semicolon, a hard-wrapped paragraph). A dateline
    after a paragraph starts a new division (letter). Divisions are counted
    from 1; the front matter (title, byline, source) is in the first, with
    the first letter. ``title`` and ``author`` from the work's metadata help
    recognise the front matter.
    """
    lines = _lines(text)
    blocks: list[list] = []  # [kind, start, end, division]
    division = 1
    front = True  # nothing but front matter so far
    seen_body = False  # a paragraph has been seen in this division

    def add(kind: str, start: int, end: int) -> None:
        blocks.append([kind, start, end, division])

    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < n else None
        same_group_next = nxt is not None and nxt.group == ln.group
        t = ln.text

        # A dateline, possibly a place line followed by a date line.
        if _is_date_line(t) and _is_short(t, 10):
            if seen_body:
                division += 1
                seen_body = False
            front = False
            add("dateline", ln.start, ln.end)
            i += 1
            continue
        if (
            same_group_next
            and _is_short(t, 6)
            and t[-1] not in ".!?,;:"
            and _DATE_ONLY.match(nxt.text)
        ):
            if seen_body:
                division += 1
                seen_body = False
            front = False
            add("dateline", ln.start, nxt.end)
            i += 2
            continue

        # Front matter: before any paragraph.
        if front:
            kind = None
            if _SOURCE_WORDS.match(t) or (blocks and blocks[-1][0] == "source" and lines[i - 1].group == ln.group):
                # Each credit line of a source note is a block of its own.
                kind = "source"
            elif author and author.split()[-1].lower() in t.lower() and _is_short(t, 8):
                kind = "byline"
            elif title and t.strip(" .").lower() == title.strip(" .").lower():
                kind = "title"
            elif _is_short(t, 12) and t[-1] not in ",!" and not _SALUTATION_WORDS.match(t):
                kind = "title" if not any(b[0] == "title" for b in blocks) else "heading"
            if kind:
                end = ln.end
                j = i + 1
                add(kind, ln.start, end)
                i = j
                continue

        # Salutation: the first short line of a letter's body ending in "," or "!".
        if (
            not seen_body
            and _is_short(t, 7)
            and (t.endswith((",", "!", ":")) and (same_group_next or _SALUTATION_WORDS.match(t)))
        ):
            front = False
            add("salutation", ln.start, ln.end)
            i += 1
            continue

        # Closing + signature at the end of a letter.
        if _is_short(t, 6) and t.endswith(",") and seen_body and nxt is not None and _looks_like_name(nxt.text):
            add("closing", ln.start, ln.end)
            add("signature", nxt.start, nxt.end)
            i += 2
            continue
        if seen_body and _looks_like_name(t) and (nxt is None or nxt.group != ln.group):
            following = lines[i + 1] if i + 1 < n else None
            if following is None or _is_date_line(following.text) or (
                i + 2 < n and _DATE_ONLY.match(lines[i + 2].text)
            ):
                add("signature", ln.start, ln.end)
                i += 1
                continue

        # A paragraph; hard-wrapped lines of one group are one paragraph.
        front = False
        group_lines = [ln]
        j = i + 1
        while j < n and lines[j].group == ln.group:
            group_lines.append(lines[j])
            j += 1
        if len(group_lines) > 1 and _is_hard_wrapped(group_lines):
            # Stop before a closing line inside the group.
            add("paragraph", ln.start, group_lines[-1].end)
            i = j
        else:
            add("paragraph", ln.start, ln.end)
            i += 1
        seen_body = True
    return [tuple(b) for b in blocks]  # type: ignore[misc]


def _sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    from .sentences import split_sentences

    return split_sentences(text, lang)


def segment_text(
    text: str,
    lang: str = "en",
    *,
    structure_pass: bool = True,
    title: str | None = None,
    author: str | None = None,
) -> Document:
    """Segment running text into blocks and sentences.

    With ``structure_pass=False`` the whole input is treated as one run of
    prose (paragraph blocks at blank lines only, no datelines or salutations),
    which is how the sentence splitter alone is checked.

    Example::

        >>> doc = segment_text("Dear Sir,\\nIt rains. It pours.")
        >>> [(s.ref, s.kind, s.text) for s in doc.segments]
        [('1.1', 'salutation', 'Dear Sir,'), ('2.1', 'paragraph', 'It rains.'), ('2.2', 'paragraph', 'It pours.')]
    """
    if structure_pass:
        blocks = structure(text, title=title, author=author)
    else:
        blocks = []
        for m in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, re.S):
            blocks.append(("paragraph", m.start(), m.end(), 1))
    doc = Document(text=text)
    for number, (kind, start, end, division) in enumerate(blocks, 1):
        chunk = text[start:end]
        if kind in SENTENCE_KINDS:
            spans = _sentence_spans(chunk, lang) or [(0, len(chunk))]
        else:
            spans = [(0, len(chunk))]
        for k, (a, b) in enumerate(spans, 1):
            doc.segments.append(Segment(number, kind, k, chunk[a:b], start + a, start + b, division))
    for s in doc.segments:
        if s.division not in doc.divisions and s.kind == "dateline":
            doc.divisions[s.division] = " ".join(s.text.split())
    for s in doc.segments:
        doc.divisions.setdefault(s.division, f"Part {s.division}")
    return doc


TSV_COLUMNS = ("book", "chapter", "verse", "text")


def segment_tsv(text: str, lang: str = "en", *, path: str | None = None) -> Document:
    """Segment a reference-keyed TSV (``book  chapter  verse  text`` with a header line).

    Each row becomes a ``verse`` block keyed ``Book.chapter.verse`` (OSIS
    style), split into sentences; each (book, chapter) is a division. Offsets
    point into the TSV text, so ``text[start:end]`` is still the sentence.
    """
    doc = Document(text=text)
    pos = 0
    lines = text.split("\n")
    header = lines[0].split("\t") if lines else []
    if [h.strip().lower() for h in header] != list(TSV_COLUMNS):
        raise InputError(path, f"line 1: expected the header {' '.join(TSV_COLUMNS)!r} (tab-separated), got {lines[0][:60]!r}")
    pos = len(lines[0]) + 1
    block = 0
    division = 0
    current = None
    seen: set[str] = set()
    for lineno, line in enumerate(lines[1:], 2):
        start_of_line = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 4:
            raise InputError(path, f"expected 4 tab-separated cells, found {len(cells)}", line=lineno)
        book, chapter, verse, verse_text = cells
        if not chapter.strip().isdigit() or not verse.strip().isdigit():
            raise InputError(path, f"chapter and verse must be numbers, got {chapter!r} and {verse!r}", line=lineno)
        key = f"{book.strip()}.{int(chapter)}.{int(verse)}"
        if key in seen:
            raise InputError(path, f"duplicate reference {key}", line=lineno)
        seen.add(key)
        if (book, chapter) != current:
            current = (book, chapter)
            division += 1
            doc.divisions[division] = f"{book.strip()} {int(chapter)}"
        block += 1
        offset = start_of_line + len(book) + len(chapter) + len(verse) + 3
        stripped = verse_text.strip()
        if not stripped:
            continue
        lead = len(verse_text) - len(verse_text.lstrip())
        base = offset + lead
        spans = _sentence_spans(stripped, lang) or [(0, len(stripped))]
        for k, (a, b) in enumerate(spans, 1):
            doc.segments.append(Segment(block, "verse", k, stripped[a:b], base + a, base + b, division, key))
    if not doc.segments:
        raise InputError(path, "no sentences found")
    return doc


def is_tsv(path: str | Path) -> bool:
    return str(path).lower().endswith(".tsv")


def segment_file(
    path: str | Path, lang: str = "en", *, structure_pass: bool = True, title: str | None = None, author: str | None = None
) -> Document:
    """Read and segment a file: ``.tsv`` as reference-keyed verses, anything else as running text."""
    text = read_text(path)
    if is_tsv(path):
        return segment_tsv(text, lang, path=str(path))
    doc = segment_text(text, lang, structure_pass=structure_pass, title=title, author=author)
    if not doc.segments:
        raise InputError(str(path), "no sentences found")
    return doc


def blocks_of(segments: Iterable[Segment]) -> list[list[Segment]]:
    """Group segments by block, in order."""
    out: list[list[Segment]] = []
    for s in segments:
        if out and out[-1][0].block == s.block:
            out[-1].append(s)
        else:
            out.append([s])
    return out
