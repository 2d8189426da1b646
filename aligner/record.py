"""The record of a work: ``texts/<work>/``, the files every database is built from.

Everything the tool knows about the files of a work folder lives here, once:
where they are, how each is read and checked, and how each is written.

* ``work.toml``: the work and its versions.
* ``<version>.slots.jsonl``: translators' work on a version, one alignment a line.
* ``<version>.history.jsonl``: every change ever made to it, one revision a line.

The work's metadata file:

TOML because it is easy to edit by hand, has real types, and has no YAML
pitfalls with language codes (``no`` is Norwegian, not ``false``). Each work
declares its versions: the pivot (the text every other version aligns to),
the original, and any number of translations. A version may be declared
before any of its text exists: that is how empty slots come to be.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import textio
from .errors import InputError
from .files import atomic_write
from .model import STATUSES

METADATA_FILE = "work.toml"
ROLES = ("pivot", "original", "translation")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VERSION_KEY = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{4})?(?:-[A-Z]{2}|-\d{3})?(?:-[a-z0-9]{5,8})*$")

WORK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "author": str,
    "year": int,
    "description": str,
    "source": str,
    "source_url": str,
    "licence": str,
    "licence_url": str,
    "pivot": str,
}
VERSION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "language": str,
    "role": str,
    "title": str,
    "file": str,
    "translator": str,
    "year": int,
    "source": str,
    "source_url": str,
    "transcription": str,
    "licence": str,
    "note": str,
}


@dataclass
class Version:
    key: str
    language: str
    role: str
    title: str | None = None
    file: str | None = None
    translator: str | None = None
    year: int | None = None
    source: str | None = None
    source_url: str | None = None
    transcription: str | None = None
    licence: str | None = None
    note: str | None = None


@dataclass
class Work:
    slug: str
    path: Path
    title: str
    pivot: str
    author: str | None = None
    year: int | None = None
    description: str | None = None
    source: str | None = None
    source_url: str | None = None
    licence: str | None = None
    licence_url: str | None = None
    versions: dict[str, Version] = field(default_factory=dict)

    @property
    def pivot_version(self) -> Version:
        return self.versions[self.pivot]

    def others(self) -> list[Version]:
        """The versions that get slots: every version but the pivot, in file order."""
        return [v for k, v in self.versions.items() if k != self.pivot]


def _type_name(t: type | tuple[type, ...]) -> str:
    return {str: "a string", int: "an integer"}.get(t, str(t))  # type: ignore[arg-type]


def _check_fields(path: str, where: str, data: dict, fields: dict) -> None:
    for key, value in data.items():
        if key not in fields:
            raise InputError(path, f"{where}unknown key {key!r} (known: {', '.join(fields)})")
        expected = fields[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            raise InputError(path, f"{where}{key!r} must be {_type_name(expected)}, got {type(value).__name__} {value!r}")


def load_work(directory: str | Path) -> Work:
    """Read and validate ``<directory>/work.toml``; the directory name is the work's slug."""
    directory = Path(directory)
    path = directory / METADATA_FILE
    name = str(path)
    if not path.exists() and not path.is_symlink():
        raise InputError(name, "no such file (every work needs a work.toml)")
    text = textio.read_text(path, kind="TOML", inside=directory)
    if not text.strip():
        raise textio.empty_error(name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(name, f"malformed TOML: {e}") from None
    slug = directory.name
    if not SLUG.match(slug):
        raise InputError(name, f"work folder name {slug!r} must be a lower-case slug (a-z, 0-9, -)")
    versions_data = data.pop("versions", None)
    _check_fields(name, "", data, WORK_FIELDS)
    if "title" not in data:
        raise InputError(name, "missing 'title'")
    if not isinstance(versions_data, dict) or not versions_data:
        raise InputError(name, "missing [versions.<key>] tables: declare at least the pivot version")
    versions: dict[str, Version] = {}
    for key, vdata in versions_data.items():
        where = f"[versions.{key}] "
        if not VERSION_KEY.match(key):
            raise InputError(name, f"{where}version key must look like a language tag (ru, es, es-1977), got {key!r}")
        if not isinstance(vdata, dict):
            raise InputError(name, f"{where}must be a table")
        _check_fields(name, where, vdata, VERSION_FIELDS)
        language = vdata.get("language", key.split("-")[0].lower())
        if not LANG.match(language):
            raise InputError(name, f"{where}'language' must be a BCP 47 tag such as 'ru' or 'es', got {language!r}")
        role = vdata.get("role", "translation")
        if role not in ROLES:
            raise InputError(name, f"{where}'role' must be one of {', '.join(ROLES)}, got {role!r}")
        if vdata.get("file"):
            f = vdata["file"]
            if "/" in f or "\\" in f or f.startswith("."):
                raise InputError(name, f"{where}'file' must be a file name inside the work folder, got {f!r}")
        versions[key] = Version(key=key, **{**vdata, "language": language, "role": role})
    pivots = [k for k, v in versions.items() if v.role == "pivot"]
    pivot = data.get("pivot") or (pivots[0] if len(pivots) == 1 else None)
    if pivot is None:
        raise InputError(name, "exactly one version must have role = \"pivot\" (or set pivot = \"<key>\")")
    if pivot not in versions:
        raise InputError(name, f"pivot {pivot!r} is not a declared version")
    if not versions[pivot].file:
        raise InputError(name, f"[versions.{pivot}] the pivot version needs a 'file'")
    for v in versions.values():
        if v.file:
            # A regular file in this folder, nothing else: no symlink, FIFO or device, whoever wrote the folder.
            vpath = directory / v.file
            if not vpath.exists() and not vpath.is_symlink():
                raise InputError(str(vpath), f"no such file (declared in {name})")
            textio.check_file(vpath, inside=directory)
    data.pop("pivot", None)
    return Work(slug=slug, path=directory, pivot=pivot, versions=versions, **data)


def find_works(texts_dir: str | Path) -> list[Path]:
    """Work folders under ``texts_dir``: every sub-folder holding a work.toml, sorted."""
    texts = Path(texts_dir)
    if not texts.is_dir():
        raise InputError(str(texts_dir), "no such folder of texts")
    return sorted(p.parent for p in texts.glob(f"*/{METADATA_FILE}"))


def update_version(directory: str | Path, key: str, values: dict[str, Any]) -> None:
    """Add or update ``[versions.<key>]`` in work.toml, keeping the rest of the file as a person wrote it.

    Edited through tomlkit, so comments, order and layout survive; the write is atomic.
    """
    import tomlkit

    path = Path(directory) / METADATA_FILE
    doc = tomlkit.parse(textio.read_text(path, kind="TOML", inside=path.parent))
    versions = doc.get("versions")
    if versions is None:
        versions = tomlkit.table(is_super_table=True)
        doc["versions"] = versions
    if key not in versions:
        versions[key] = tomlkit.table()
    for k, v in values.items():
        if v is not None:
            versions[key][k] = v
    atomic_write(path, tomlkit.dumps(doc))


def create_work(texts_dir: str | Path, slug: str, *, title: str, lang: str, pivot_file: str | Path,
                key: str | None = None, author: str | None = None, year: int | None = None, source: str | None = None,
                licence: str | None = None, description: str | None = None) -> Path:
    """A new work folder: the pivot's text copied in as published, and a commented work.toml declaring it.

    Checks everything before writing anything; returns the folder.
    """
    import tomlkit

    if not SLUG.match(slug):
        raise InputError(slug, "a work's name must be a lower-case slug (a-z, 0-9, -)")
    if not LANG.match(lang):
        raise InputError(lang, "not a language code (BCP 47, e.g. en, ru, es)")
    key = key or lang
    if not VERSION_KEY.match(key):
        raise InputError(key, "not a version key (like en, en-kjv, es-1977)")
    folder = Path(texts_dir) / slug
    if folder.exists():
        raise InputError(str(folder), "a work of that name exists already")
    data = textio.read_bytes(pivot_file)
    textio.decode(data, str(pivot_file))
    name = f"{key}{'.tsv' if str(pivot_file).endswith('.tsv') else '.txt'}"
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{author + ', ' if author else ''}{title}{f' ({year})' if year else ''}."))
    doc.add(tomlkit.comment("Hand-editable: every [versions.<key>] is one version of the work. A version"))
    doc.add(tomlkit.comment("may be declared before any of its text exists; its slots are then empty."))
    for k, v in (("title", title), ("author", author), ("year", year), ("description", description),
                 ("source", source), ("licence", licence), ("pivot", key)):
        if v is not None:
            doc[k] = v
    versions = tomlkit.table(is_super_table=True)
    pivot = tomlkit.table()
    for k, v in (("language", lang), ("role", "pivot"), ("file", name), ("source", source), ("licence", licence)):
        if v is not None:
            pivot[k] = v
    versions[key] = pivot
    doc["versions"] = versions
    folder.mkdir(parents=True)
    try:
        atomic_write(folder / name, data)
        atomic_write(folder / METADATA_FILE, tomlkit.dumps(doc))
        load_work(folder)  # the same checks as every build
    except BaseException:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
        raise
    return folder


# ---------------------------------------------------------------------------
# Translators' work: <version>.slots.jsonl and <version>.history.jsonl


def slots_path(work_dir: Path, key: str) -> Path:
    return Path(work_dir) / f"{key}.slots.jsonl"


def history_path(work_dir: Path, key: str) -> Path:
    return Path(work_dir) / f"{key}.history.jsonl"


_OPTIONAL_STR = (str, type(None))
SLOT_FIELDS: dict[str, tuple] = {
    "slot": _OPTIONAL_STR, "pivot": (list,), "status": (str,), "targets": (list,), "text": (str,),
    "score": (int, float, type(None)), "via": _OPTIONAL_STR, "by": _OPTIONAL_STR, "at": _OPTIONAL_STR,
    "stale": (bool,), "after": _OPTIONAL_STR, "edits": (dict,),
}
HISTORY_FIELDS: dict[str, tuple] = {
    "id": (int,), "op": (str,), "before": (dict,), "after": (dict,),
    "rev": (int,), "slot": _OPTIONAL_STR, "segments": (list,), "at": _OPTIONAL_STR, "by": _OPTIONAL_STR,
    "via": _OPTIONAL_STR, "old_status": (str,), "old_text": (str,), "new_status": (str,), "new_text": (str,),
    "reverts": (int, type(None)),
}


def load_jsonl(path: Path) -> list[dict]:
    """The records of a JSON Lines file (none when it does not exist), each with its line number as ``_line``."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return []
    text = textio.read_text(path, kind="JSON Lines", allow_empty=True, inside=path.parent)
    out = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(str(path), f"malformed JSON: {e.msg}", line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(str(path), "each line must be a JSON object", line=lineno)
        obj["_line"] = lineno
        out.append(obj)
    return out


#: JSON Lines files known to parse as they are now: path -> (mtime in ns, size). A dump registers what it wrote
#: (it formatted every line itself), so checking before each change does not read a long history again.
_PARSED: dict[str, tuple[int, int]] = {}


def check_jsonl(path: Path) -> None:
    """Raise the error :func:`load_jsonl` would raise for ``path`` (nothing when it is missing); a file unchanged
    since it last parsed is not read again. A change is checked against its record before it is committed: a
    broken history file let the change into the database and then stopped its dump."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if _PARSED.get(str(path)) == (st.st_mtime_ns, st.st_size):
        return
    load_jsonl(path)
    _PARSED[str(path)] = (st.st_mtime_ns, st.st_size)


def check_fields(record: dict, fields: dict[str, tuple], path: Path | str, line: int) -> None:
    """Refuse a dump line whose fields have the wrong types: one line naming the file, line and field."""
    # Called for every line of every dump at build time (millions at library scale): the exact-type tests
    # are the fast path for what json.loads returns; anything else gets the full isinstance test. Lines of a
    # dump come in a handful of shapes (which fields, of which types): a shape checked once is not again.
    if fields is SLOT_FIELDS or fields is HISTORY_FIELDS:
        shape = (fields is SLOT_FIELDS, *record, *map(type, record.values()))
        if shape not in _CHECKED_SHAPES:
            _check_types(record, fields, path, line)
            if len(_CHECKED_SHAPES) < 4096:
                _CHECKED_SHAPES.add(shape)
    else:
        _check_types(record, fields, path, line)
    _check_values(record, path, line)


#: Shapes of slot and history lines whose field types passed :func:`check_fields` (which table, field names,
#: value types).
_CHECKED_SHAPES: set[tuple] = set()


def _check_types(record: dict, fields: dict[str, tuple], path: Path | str, line: int) -> None:
    for key, value in record.items():
        allowed = fields.get(key)
        if allowed is not None and type(value) in allowed:
            continue
        if key.startswith("_"):
            continue
        if allowed is None:
            raise InputError(str(path), f"unknown field {key!r}", line=line)
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise InputError(str(path), f"field {key!r} must be {names}, got {type(value).__name__}", line=line)


def _check_values(record: dict, path: Path | str, line: int) -> None:
    for key in ("pivot", "targets"):
        pairs = record.get(key)
        if pairs is None:
            continue
        for p in pairs:
            if type(p) is list and len(p) == 2 and type(p[0]) is str and type(p[1]) is str:
                continue
            if not (isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)):
                raise InputError(str(path), f"{key!r} must be a list of [ref, hash] pairs of strings", line=line)
    edits = record.get("edits")
    if edits is not None and not all(isinstance(k, str) and isinstance(x, str) for k, x in edits.items()):
        raise InputError(str(path), "'edits' must map segment refs to their corrected text", line=line)
    segments = record.get("segments")
    if segments is not None and not all(isinstance(x, str) for x in segments):
        raise InputError(str(path), "'segments' must be a list of strings", line=line)
    for key in ("status", "old_status", "new_status"):
        if key in record and record[key] not in STATUSES:
            raise InputError(str(path), f"invalid {key.replace('_', ' ')} {record[key]!r}", line=line)


def format_record(record: dict) -> str:
    """One dump line: key order as given, non-ASCII kept readable, the spacing every dump has always had."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


def write_records(path: Path, lines: list[str]) -> bool:
    """Write a dump file atomically; a version with nothing to record gets no file. Returns whether it wrote."""
    path = Path(path)
    if not lines and not path.exists():
        return False
    atomic_write(path, "".join(line + "\n" for line in lines))
    st = path.stat()
    _PARSED[str(path)] = (st.st_mtime_ns, st.st_size)
    return True


def keep_human_slots(work_dir: Path, key: str) -> None:
    """Drop the automatic alignments from a version's slots file (its text is about to be replaced)."""
    path = slots_path(work_dir, key)
    if not path.exists():
        return
    text = textio.read_text(path, kind="JSON Lines", allow_empty=True, inside=path.parent)
    kept = [line for line in text.splitlines()
            if line.strip() and json.loads(line).get("status") in ("draft", "confirmed")]
    path.write_text("".join(line + "\n" for line in kept), "utf-8")
