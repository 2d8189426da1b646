"""What every file format shares: the :class:`Format` interface and the rules all readers follow.

A format is one class in one module (``csv.py``, ``tmx.py`` ...) and one line
in :mod:`aligner.formats.registry`. Two kinds exist:

* :class:`SlotFormat` - one version's slots, for translators' round trips
  (CSV, XLSX, TMX, XLIFF): :meth:`~SlotFormat.write` a list of
  :class:`~aligner.model.Slot` and, if the format can be imported,
  :meth:`~Format.read` a file back into :class:`~aligner.model.Edit` s;
* :class:`WorkFormat` - the whole work (pivot beside its versions) for
  readers (TEI, HTML): :meth:`~WorkFormat.render` only.

The command line asks the registry for a format and calls :meth:`Format.export`
or :meth:`Format.load`; it knows nothing about any format. The helpers below
(:class:`EditList`, :func:`settle_auto`, :func:`settle_status` ...) hold the
rules every reader applies in the same way: a unit seen twice is an error, an
``auto`` unit whose text changed since the export was edited by a person.
"""

from __future__ import annotations

import os
import re
from typing import IO, Iterable

from ..errors import AlignerError, InputError
from ..files import atomic_write
from ..model import STATUSES, Edit, Slot, slot_token


class Format:
    """A file format: its name, how files of it are recognised, and what it can do."""

    #: The name the command line uses (``--format csv``) and the channel of imported revisions.
    name: str = ""
    #: How messages name it ("CSV", "XLIFF 2.0").
    label: str = ""
    #: File-name endings that mean this format, lower case, with the dot (".csv", ".xlf").
    suffixes: tuple[str, ...] = ()
    media_type: str = "application/octet-stream"
    #: Whether the output may go to standard output (not for ZIP-based formats).
    streams: bool = True
    #: What :meth:`export` counts, for "wrote 12 units to ru.tmx"; None: it counts nothing.
    unit_word: str | None = None
    #: Whether an export needs one version (``--lang``).
    needs_lang: bool = False

    @property
    def can_read(self) -> bool:
        """Whether files of this format can be imported (it has a reader)."""
        return type(self).read is not Format.read

    @property
    def can_write(self) -> bool:
        """Whether the corpus can be exported in this format (every format so far)."""
        return type(self).export is not Format.export

    def sniff(self, head: bytes, root: str | None) -> bool:
        """Whether a file that begins with ``head`` is in this format (``root``: its XML root element, if XML)."""
        return False

    def peek(self, path: str | os.PathLike) -> tuple[str | None, str | None]:
        """The work and the language (or version key) a file says it belongs to, if it says."""
        return None, None

    def read(
        self,
        path: str | os.PathLike,
        *,
        work: str | None = None,
        lang: str | None = None,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> list[Edit]:
        """The edits a file holds. ``work``/``lang`` are the expected work and version key
        (a file for another is refused); ``src_lang``/``tgt_lang`` the languages of the pivot and
        the version."""
        raise AlignerError(f"{self.name} files are for readers and cannot be imported")

    def validate(self, path: str | os.PathLike) -> list[str] | None:
        """Schema errors of a written file ([] = valid); None if the format has no schema."""
        return None

    def export(self, store, work: str, lang: str | None, out, *, copy_source: bool = False) -> int | None:
        """Write ``work`` (``lang``: the version, or a comma list of them) from ``store`` to ``out``."""
        raise NotImplementedError

    def load(self, store, path, *, work: str | None = None, lang: str | None = None):
        """``(work row, version row, edits)`` of a file to import into ``store``.

        The work and version default to what the file names (:meth:`peek`).
        """
        f_work, f_lang = self.peek(path)
        w, v = resolve_version(store, path, work or f_work, lang or f_lang)
        pv = store.pivot_version(w["id"])
        edits = self.read(path, work=w["id"], lang=v["key"], src_lang=pv["language"], tgt_lang=v["language"])
        return w, v, edits


def resolve_version(store, path, work: str | None, lang: str | None) -> tuple[dict, dict]:
    """The work and version rows an import goes to; ``work`` None means the corpus's only work."""
    w = store.work(work)
    if not lang:
        raise AlignerError(f"{path}: the file names no target language; give --lang")
    return w, store.version(w["id"], lang)


class SlotFormat(Format):
    """A format that carries one version's slots (a translator's file)."""

    needs_lang = True
    unit_word = "rows"

    def write(
        self,
        slots: Iterable[Slot],
        out: str | os.PathLike | IO,
        *,
        work: str,
        lang: str,
        src_lang: str,
        tgt_lang: str,
        copy_source: bool = False,
    ) -> int:
        """Write ``slots`` of version ``lang`` to ``out`` (a path or an open file); returns the units written."""
        raise NotImplementedError

    def export(self, store, work: str, lang: str | None, out, *, copy_source: bool = False) -> int:
        w = store.work(work)
        v = store.version(w["id"], lang)
        pv = store.pivot_version(w["id"])
        slots = list(store.slots(w["id"], v["key"]))
        return self.write(slots, out, work=w["id"], lang=v["key"], src_lang=pv["language"],
                          tgt_lang=v["language"], copy_source=copy_source)


class WorkFormat(Format):
    """A format that shows a whole work, the pivot beside its versions (for readers, not for import)."""

    def render(self, store, work: str, keys: list[str] | None) -> bytes:
        raise NotImplementedError

    def export(self, store, work: str, lang: str | None, out, *, copy_source: bool = False) -> None:
        keys = [k.strip() for k in lang.split(",")] if lang else None
        write_output(out, self.render(store, store.work(work)["id"], keys))
        return None


# --- reading: the rules every reader shares ---------------------------------------------


class EditList(list):
    """The edits read from one file, in order: a unit address seen twice is an error.

    ``noun`` names a unit in the message ("unit", "segment"), ``where_word``
    the place ("line", "row"): ``unit 24.1 appears twice (lines 3 and 9)``.
    """

    def __init__(self, path: str | os.PathLike, *, noun: str = "unit", where_word: str = "line"):
        super().__init__()
        self.path = str(path)
        self.noun = noun
        self.where_word = where_word
        self._seen: dict[str, int] = {}

    def add(
        self,
        *,
        address: str | None,
        text: str,
        status: str,
        token: str | None,
        source_text: str | None,
        line: int,
        unit: str | None = None,
        extra: dict | None = None,
    ) -> Edit:
        """Append the edit of the unit at ``line`` (``unit``: its id in the file, for messages)."""
        if address is not None:
            if address in self._seen:
                raise InputError(
                    self.path,
                    f"{self.noun} {address} appears twice ({self.where_word}s {self._seen[address]} and {line})",
                    line=line,
                    unit=unit,
                )
            self._seen[address] = line
        edit = Edit(
            address=address,
            text=text,
            status=status,
            token=token,
            source_text=source_text,
            where=f"unit {unit}" if unit else f"{self.where_word} {line}",
            extra=extra or {},
        )
        self.append(edit)
        return edit


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


def settle_auto(address: str | None, text: str, status: str, token: str | None) -> str:
    """Keep ``auto`` only for a unit provably untouched since it was exported.

    A file that says ``auto`` for a unit whose text no longer hashes to the
    exported revision token was changed by a person, so it is read as
    ``draft``. Without an address or a token nothing can be proved, and the
    file's word stands.
    """
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
    if not (address and token and exported):
        return status
    if slot_token(address, text, exported) == token:
        return exported if untouched else status
    if untouched:
        return "draft" if text else "empty"
    return status


# --- writing --------------------------------------------------------------------------------


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
    atomic_write(fp_or_path, data)


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
