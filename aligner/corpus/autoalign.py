"""The bridge from a version's segments to the aligner: blocks in, beads of segment ids out.

The build (a new or changed text) and :meth:`aligner.corpus.store.Store.realign`
both align this way; human alignments come in as fixed beads and come back
untouched, so the aligner only fills the gaps between them.
"""

from __future__ import annotations

from typing import Sequence

from ..align import Bead, Block, align_blocks, align_signature
from ..text.segment import Segment, blocks_of


def align_version(
    pivot_segments: Sequence[Segment],
    pivot_ids: Sequence[int],
    target_segments: Sequence[Segment],
    target_ids: Sequence[int],
    fixed: Sequence[tuple[list[int], list[int]]],
    src_lang: str,
    tgt_lang: str,
    embedder=None,
) -> tuple[list[tuple[list[int], list[int], float]], dict]:
    """Align a version's segments to the pivot's; returns (pivot ids, target ids, score) beads and a signature.

    ``fixed`` are human alignments as (pivot ids, target ids): they come back
    unchanged and the aligner only fills the gaps between them. Beads with
    no target are left out (those pivot sentences keep empty slots). ``embedder``
    (:func:`aligner.align.embed.default_embedder`) adds sentence embeddings; the signature says which
    model, or ``none``.
    """
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
                         fixed=fixed_beads, embedder=embedder)
    fixed_set = {(b.src, b.tgt) for b in fixed_beads}
    out = []
    for b in beads:
        if (b.src, b.tgt) in fixed_set:
            continue
        out.append(([pivot_ids[i] for i in b.src], [target_ids[j] for j in b.tgt], round(float(b.score), 4)))
    sig = align_signature()
    return out, {"name": sig["name"], "version": sig["version"],
                 "embeddings": embedder.signature if embedder is not None else "none"}


#: Share of either side's sentences left unaligned above which the build warns.
UNALIGNED_WARNING = 0.05


def unaligned_warning(label: str, beads: Sequence[tuple[list[int], list[int], float]], fixed: Sequence,
                      n_pivot: int, n_target: int) -> str | None:
    """A warning when more than :data:`UNALIGNED_WARNING` of the pivot's or the version's sentences
    stayed unaligned after :func:`align_version` (``beads`` its result, ``fixed`` the human alignments)."""
    pivots = {p for ps, ts, _ in beads if ts for p in ps} | {p for ps, ts in fixed if ts for p in ps}
    targets = {t for ps, ts, _ in beads if ps for t in ts} | {t for ps, ts in fixed if ps for t in ts}
    lost_p, lost_t = n_pivot - len(pivots), n_target - len(targets)
    parts = []
    if n_pivot and lost_p / n_pivot > UNALIGNED_WARNING:
        parts.append(f"{lost_p} of {n_pivot} pivot sentences ({100 * lost_p / n_pivot:.0f} %)")
    if n_target and lost_t / n_target > UNALIGNED_WARNING:
        parts.append(f"{lost_t} of {n_target} sentences of the version ({100 * lost_t / n_target:.0f} %)")
    if not parts:
        return None
    return f"{label}: {' and '.join(parts)} left unaligned; check that the texts match (a partial text?)"
