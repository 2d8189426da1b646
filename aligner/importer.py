"""Importing a whole text as a version of a work, and (re-)aligning it to the pivot.

A translator often has a whole text rather than sentences to type. It is
copied into the work's folder (the text file is the record), declared in
work.toml, segmented with the structure rules and the sentence splitter of
its language, and aligned by :mod:`aligner.align`: structure first, then
sentences. What the aligner proposes is ``auto``; alignments people made
(``draft``, ``confirmed``) are never touched and serve as fixed anchors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import metadata as md
from .errors import AlignerError, InputError, UnknownError
from .files import atomic_write
from .segment import Segment, blocks_of, is_tsv, read_text, segment_text, segment_tsv


def align_version(
    pivot_segments: Sequence[Segment],
    pivot_ids: Sequence[int],
    target_segments: Sequence[Segment],
    target_ids: Sequence[int],
    fixed: Sequence[tuple[list[int], list[int]]],
    src_lang: str,
    tgt_lang: str,
) -> tuple[list[tuple[list[int], list[int], float]], dict]:
    """Align a version's segments to the pivot's; returns (pivot ids, target ids, score) beads and a signature.

    ``fixed`` are human alignments as (pivot ids, target ids): they come back
    unchanged and the aligner only fills the gaps between them. Beads with
    no target are left out (those pivot sentences keep empty slots).
    """
    from .align import Bead, Block, align_blocks, align_signature

    p_index = {sid: i for i, sid in enumerate(pivot_ids)}
    t_index = {sid: i for i, sid in enumerate(target_ids)}
    fixed_beads = []
    for pids, tids in fixed:
        src = tuple(sorted(p_index[p] for p in pids if p in p_index))
        tgt = tuple(sorted(t_index[t] for t in tids if t in t_index))
        if src or tgt:
            fixed_beads.append(Bead(src, tgt, 1.0))

    def to_blocks(segs: Sequence[Segment]) -> list:
        return [Block(kind=b[0].kind, sentences=[s.text for s in b], key=b[0].key, division=b[0].division)
                for b in blocks_of(segs)]

    beads = align_blocks(to_blocks(pivot_segments), to_blocks(target_segments), src_lang, tgt_lang,
                         fixed=fixed_beads)
    fixed_set = {(b.src, b.tgt) for b in fixed_beads}
    out = []
    for b in beads:
        if (b.src, b.tgt) in fixed_set:
            continue
        out.append(([pivot_ids[i] for i in b.src], [target_ids[j] for j in b.tgt], round(float(b.score), 4)))
    sig = align_signature()
    return out, {"name": sig["name"], "version": sig["version"]}


@dataclass
class ImportReport:
    work: str
    key: str
    file: str
    sentences: int = 0
    auto: int = 0
    kept: int = 0
    stale: int = 0
    changed: int = 0
    notes: list[str] = field(default_factory=list)


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
) -> ImportReport:
    """Copy a whole text into ``texts/<work>/`` as version ``key`` (default: the language) and declare it.

    Everything is checked before anything is written: the language code, the
    file (text, UTF-8, not empty, has sentences), the version (a version
    that already has text needs ``replace``). On ``replace`` the automatic
    alignments of the old text are dropped; the human ones are kept where
    their sentences still exist in the new text and flagged stale otherwise
    (the build that follows does this).
    """
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
             for p in (wdir / md.METADATA_FILE, wdir / f"{key}.slots.jsonl", target)}
    if existing and existing.file:
        saved.setdefault(wdir / existing.file, (wdir / existing.file).read_bytes() if (wdir / existing.file).exists() else None)
    # Write the text, then the slots file without its automatic alignments, then the metadata.
    data = text.encode("utf-8") if str(source_file) == "-" else Path(source_file).read_bytes()
    slots_file = wdir / f"{key}.slots.jsonl"
    old_slots = slots_file.read_text("utf-8") if slots_file.exists() else None
    try:
        if old_slots is not None:
            import json

            kept = [line for line in old_slots.splitlines()
                    if line.strip() and json.loads(line).get("status") in ("draft", "confirmed")]
            slots_file.write_text("".join(line + "\n" for line in kept), "utf-8")
        old_file = wdir / existing.file if existing and existing.file and existing.file != target_name else None
        atomic_write(target, data)
        values = {"language": lang, "file": target_name, "translator": translator, "year": year,
                  "source": source, "licence": licence, "title": title}
        if not existing:
            values["role"] = role
        md.update_version(wdir, key, values)
        if old_file and old_file.exists():
            old_file.unlink()
        if db_path is not None:
            from .store import build

            build(texts_dir, db_path)
    except BaseException:
        for p, content in saved.items():
            if content is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(content)
        raise
    return ImportReport(work=work, key=key, file=str(target), sentences=len(doc.segments))


def realign(store, work: str, key: str) -> ImportReport:
    """Re-run the aligner for one version in the database, never touching human alignments.

    Returns what changed: automatic alignments added, removed or moved.
    """
    from .store import write_transaction

    w = store.work(work)
    v = store.version(w["id"], key)
    pv = store.pivot_version(w["id"])
    db = store.db
    if not v["file"]:
        raise AlignerError(f"version {v['key']} of {w['id']} has no text file to align (use add-version)")

    def segs(vid: str, typed: bool = False) -> tuple[list[Segment], list[int]]:
        rows = db.execute(
            "select id, block, kind, sentence, text, start, [end], division, block_key from segments"
            " where version = ? and typed = ? order by position", [vid, 1 if typed else 0]).fetchall()
        return [Segment(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows], [r[0] for r in rows]

    p_segs, p_ids = segs(pv["id"])
    t_segs, t_ids = segs(v["id"])
    report = ImportReport(work=w["id"], key=v["key"], file=v["file"], sentences=len(t_ids))
    alignments = list(db.query("select * from alignments where version = ?", [v["id"]]))
    links = {}
    for a in alignments:
        piv = [r[0] for r in db.execute("select segment from alignment_pivots where alignment = ?", [a["id"]])]
        tg = [r[0] for r in db.execute("select segment from alignment_targets where alignment = ?", [a["id"]])]
        links[a["id"]] = (piv, tg)
    human = [a for a in alignments if a["status"] in ("draft", "confirmed")]
    fixed = [(links[a["id"]][0], [t for t in links[a["id"]][1] if t in set(t_ids)]) for a in human if links[a["id"]][0]]
    beads, _sig = align_version(p_segs, p_ids, t_segs, t_ids, fixed, pv["language"], v["language"])
    old_auto = {(tuple(links[a["id"]][0]), tuple(links[a["id"]][1])) for a in alignments if a["status"] == "auto"}
    new_auto = {(tuple(p), tuple(t)) for p, t, _ in beads if t}
    report.changed = len(old_auto ^ new_auto)
    report.kept = len(human)
    report.auto = len(new_auto)
    human_pivots = {p for a in human for p in links[a["id"]][0]}
    pos = dict(zip(p_ids, range(len(p_ids))))
    ref_of = {sid: s.ref for sid, s in zip(p_ids, p_segs)}
    with write_transaction(db):
        for a in alignments:
            if a["status"] in ("draft", "confirmed"):
                continue
            db.execute("delete from alignment_pivots where alignment = ?", [a["id"]])
            db.execute("delete from alignment_targets where alignment = ?", [a["id"]])
            db.execute("delete from alignments where id = ?", [a["id"]])
        covered = set(human_pivots)
        for p, t, score in beads:
            if p and any(x in covered for x in p):
                continue
            if not t:
                continue
            if p:
                address = ref_of[p[0]] if len(p) == 1 else f"{ref_of[p[0]]}-{ref_of[p[-1]]}"
                position = float(pos[p[0]])
            else:
                address, position = None, _position_for_target(db, v["id"], t[0])
            store._insert_alignment(w["id"], v["id"], p, t, address, position, "auto", score,
                                    "aligner" if p else "unaligned", None, None)
            covered.update(p)
        for sid in p_ids:
            if sid not in covered:
                store._insert_alignment(w["id"], v["id"], [sid], [], ref_of[sid], float(pos[sid]), "empty",
                                        None, None, None, None)
    return report


def _position_for_target(db, vid: str, target: int) -> float:
    """Place a 0:1 alignment just after the pivot position of the alignment before its sentence."""
    row = db.execute(
        "select max(a.position) from alignments a join alignment_targets at on at.alignment = a.id"
        " join segments s on s.id = at.segment where a.version = ? and a.address is not null and s.position < "
        "(select position from segments where id = ?)", [vid, target]).fetchone()
    return (row[0] if row and row[0] is not None else -1.0) + 0.5
