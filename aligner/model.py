"""Plain data types shared by the store, the file formats and the web editor.

They carry no database handle, so a format module can be written and tested
without SQLite: exports take an iterable of :class:`Slot`, imports return a
list of :class:`Edit`, and :meth:`aligner.corpus.Store.apply_edits` applies them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

STATUSES = ("empty", "auto", "draft", "confirmed")
#: Statuses a person may set; ``auto`` is reserved for the automatic aligner.
HUMAN_STATUSES = ("empty", "draft", "confirmed")


def text_hash(text: str) -> str:
    """Content hash of a sentence: NFC, whitespace collapsed; 16 hex digits of SHA-1."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


def slot_token(address: str, text: str, status: str) -> str:
    """A short revision token for the current state of a slot.

    Derived from the state itself rather than a counter, so it is the same in
    every copy of the database built from the same text files, and an export
    made before a rebuild can still be checked for conflicts after it.
    """
    h = hashlib.sha1(f"{address}\x1f{status}\x1f{text}".encode("utf-8")).hexdigest()
    return h[:12]


def parse_address(address: str) -> list[str]:
    """Split a slot address into its first and last pivot segment ids.

    ``"24.1"`` -> ``["24.1"]``; ``"24.1-24.2"`` -> ``["24.1", "24.2"]``;
    ``"24.1-2"`` is shorthand for ``"24.1-24.2"`` (same block). A range names
    every pivot segment between the two ends, in document order.
    """
    address = address.strip()
    if "-" not in address:
        return [address]
    first, last = address.split("-", 1)
    first, last = first.strip(), last.strip()
    if "." in first and "." not in last:
        last = first.rsplit(".", 1)[0] + "." + last
    return [first, last]


def make_address(first: str, last: str | None = None) -> str:
    """The address of a slot spanning pivot ids ``first`` .. ``last``."""
    if last is None or last == first:
        return first
    return f"{first}-{last}"


@dataclass
class Slot:
    """One alignment as a translator sees it: pivot sentences and the text that renders them.

    ``address`` is the stable, typable id of the pivot span ("24.1" or
    "24.1-24.2"); ``token`` identifies the state the translator saw, for
    conflict detection on re-import.
    """

    work: str
    version: str
    address: str
    pivot_refs: list[str]
    pivot_text: str
    text: str = ""
    status: str = "empty"
    token: str = ""
    method: str | None = None
    actor: str | None = None
    at: str | None = None
    score: float | None = None
    stale: bool = False
    kind: str = "paragraph"
    division: int = 1
    alignment_id: int | None = None

    def __post_init__(self) -> None:
        if not self.token:
            self.token = slot_token(self.address, self.text, self.status)


@dataclass
class Edit:
    """A change a translator asks for, read from a file or a form.

    ``address`` may be None when the unit carried only its source text; the
    store then matches it by exact pivot text. ``token`` is the revision token
    the translator's copy was made from (None: no check). ``where`` names the
    line or unit in the input file for error messages.
    """

    address: str | None
    text: str
    status: str
    token: str | None = None
    source_text: str | None = None
    where: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class ApplyReport:
    """What an import did: every edit ends in exactly one of these lists."""

    applied: list[Edit] = field(default_factory=list)
    unchanged: list[Edit] = field(default_factory=list)
    conflicts: list[tuple[Edit, Slot]] = field(default_factory=list)
    unmatched: list[Edit] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "applied": len(self.applied),
            "unchanged": len(self.unchanged),
            "conflicts": [
                {"address": e.address, "where": e.where, "yours": e.text, "theirs": s.text, "their_status": s.status}
                for e, s in self.conflicts
            ],
            "unmatched": [{"address": e.address, "where": e.where, "source": e.source_text} for e in self.unmatched],
        }
