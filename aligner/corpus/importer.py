"""Importing a whole text as a version of a work.

A translator often has a whole text rather than sentences to type. It is
copied into the work's folder (the text file is the record), declared in
work.toml, and the corpus is rebuilt: the build segments it with the
structure rules and the sentence splitter of its language and aligns it
(:mod:`aligner.corpus.autoalign`). What the aligner proposes is ``auto``;
alignments people made (``draft``, ``confirmed``) are never touched and serve
as fixed anchors. Re-aligning a version already in the database is
:meth:`aligner.corpus.store.Store.realign`.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from .. import record as md
from ..errors import AlignerError, InputError, UnknownError
from ..files import atomic_write
from ..text.segment import is_tsv, read_text, segment_text, segment_tsv
from .build import build
from .lock import writer_lock
from .store import ImportReport


def add_version(
    texts_dir: str | Path,
    work: str,
    lang: str,
    source_file: str | Path,
    *,
    key: str | None = None,
    replace: bool = False,
    translator: str | None = None,
    year: int | None = None,
    source: str | None = None,
    licence: str | None = None,
    role: str = "translation",
    title: str | None = None,
    db_path: str | Path | None = None,
    embeddings: bool | None = None,
) -> ImportReport:
    """Copy a whole text into ``texts/<work>/`` as version ``key`` (default: the language) and declare it.

    Everything is checked before anything is written: the language code, the
    file (text, UTF-8, not empty, has sentences), the version (a version
    that already has text needs ``replace``). On ``replace`` the automatic
    alignments of the old text are dropped; the human ones are kept where
    their sentences still exist in the new text and flagged stale otherwise
    (the build that follows does this).
    """
    # The whole import (text files, work.toml, the build) is one writer: nothing may change the corpus midway.
    with writer_lock(db_path) if db_path is not None else nullcontext():
        return _add_version(texts_dir, work, lang, source_file, key=key, replace=replace, translator=translator,
                            year=year, source=source, licence=licence, role=role, title=title, db_path=db_path,
                            embeddings=embeddings)


def _add_version(texts_dir, work, lang, source_file, *, key, replace, translator, year, source, licence, role,
                 title, db_path, embeddings=None) -> ImportReport:
    wdir = Path(texts_dir) / work
    if not (wdir / md.METADATA_FILE).exists():
        raise UnknownError(f"unknown work {work!r} (no {wdir / md.METADATA_FILE})")
    w = md.load_work(wdir)
    if not md.LANG.match(lang):
        raise AlignerError(f"{lang!r} is not a language code (BCP 47, e.g. ru, es, pt-BR)")
    key = key or lang
    if not md.VERSION_KEY.match(key):
        raise AlignerError(f"{key!r} is not a valid version key (like ru, es, es-1977)")
    if key == w.pivot:
        raise AlignerError(f"{key!r} is the pivot of {work}; the pivot's text is its own file")
    existing = w.versions.get(key)
    if existing and existing.file and not replace:
        raise AlignerError(f"version {key!r} of {work} already has text ({existing.file}); use --replace to re-import")
    text = read_text(source_file)
    suffix = ".tsv" if is_tsv(source_file) else ".txt"
    if suffix == ".tsv":
        doc = segment_tsv(text, lang, path=str(source_file))
    else:
        doc = segment_text(text, lang, title=title, author=w.author)
    if not doc.segments:
        raise InputError(str(source_file), "no sentences found")
    target_name = f"{key}{suffix}"
    target = wdir / target_name
    # Everything this import may change, to put back if any later step fails.
    saved = {p: (p.read_bytes() if p.exists() else None)
             for p in (wdir / md.METADATA_FILE, md.slots_path(wdir, key), target)}
    if existing and existing.file:
        saved.setdefault(wdir / existing.file, (wdir / existing.file).read_bytes() if (wdir / existing.file).exists() else None)
    # Write the text, then the slots file without its automatic alignments, then the metadata.
    data = text.encode("utf-8") if str(source_file) == "-" else Path(source_file).read_bytes()
    try:
        md.keep_human_slots(wdir, key)
        old_file = wdir / existing.file if existing and existing.file and existing.file != target_name else None
        atomic_write(target, data)
        values = {"language": lang, "file": target_name, "translator": translator, "year": year,
                  "source": source, "licence": licence, "title": title}
        if not existing:
            values["role"] = role
        md.update_version(wdir, key, values)
        if old_file and old_file.exists():
            old_file.unlink()
        warnings = build(texts_dir, db_path, embeddings=embeddings).warnings if db_path is not None else []
    except BaseException:
        for p, content in saved.items():
            if content is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(content)
        raise
    return ImportReport(work=work, key=key, file=str(target), sentences=len(doc.segments),
                        notes=[w for w in warnings if w.startswith(f"{work}/{key}:")])
