"""The aligner's entry points: sentences around fixed beads, and structured texts block by block.

:func:`align_sentences` aligns two flat sentence lists; :func:`align_blocks`
aligns two structured texts structure first (divisions, then blocks, with
equal block keys as hard anchors and special kinds meeting their own kind),
then sentences inside each aligned block group. Both keep ``fixed`` beads
(human decisions) and align only the gaps between them, run a second pass with
a lexicon learnt from the first, and return :class:`Bead` objects over flat
sentence indices.

``partial`` (semi-global) alignment lets leading and trailing source sentences
go unaligned at almost no cost, and the first/last target bead may cover only
part of a source unit; it switches itself on when one text is more than 2.5
times longer than the other.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .confidence import bead_features, coefficients_for, probability
from .cost import Model, Problem, Side, Similarity, estimate_ratio, same_language
from .dp import path_band, posteriors, solve
from .features import learn_lexicon
from .model1 import Model1Term, TermSum
from .options import resolve_options


@dataclass(frozen=True)
class Bead:
    """A minimal group of source sentences aligned to a group of target sentences.

    ``src``/``tgt`` are 0-based indices into the flat sentence lists; either may
    be empty (a 1:0 or 0:1 bead). ``score`` is a confidence in [0, 1].
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float = 1.0

    @property
    def kind(self) -> str:
        return f"{len(self.src)}:{len(self.tgt)}"


@dataclass
class Block:
    """A structural unit (paragraph, dateline, salutation, heading, verse...)."""

    kind: str
    sentences: list[str]
    key: str | None = None
    division: int = 0


# --------------------------------------------------------------------------
# sentences, around fixed beads


def _check_fixed(fixed: Iterable, n: int, m: int) -> list[Bead]:
    out = []
    for b in fixed:
        if not isinstance(b, Bead):
            b = Bead(tuple(b[0]), tuple(b[1]), float(b[2]) if len(b) > 2 else 1.0)
        out.append(Bead(tuple(b.src), tuple(b.tgt), b.score))
    seen_s: set[int] = set()
    seen_t: set[int] = set()
    for b in out:
        for i in b.src:
            if not 0 <= i < n or i in seen_s:
                raise ValueError(f"fixed bead {b.src}:{b.tgt} has a bad or repeated source index {i}")
            seen_s.add(i)
        for j in b.tgt:
            if not 0 <= j < m or j in seen_t:
                raise ValueError(f"fixed bead {b.src}:{b.tgt} has a bad or repeated target index {j}")
            seen_t.add(j)
        if list(b.src) != list(range(b.src[0], b.src[0] + len(b.src))) if b.src else False:
            raise ValueError(f"fixed bead {b.src}:{b.tgt}: source indices are not consecutive")
        if list(b.tgt) != list(range(b.tgt[0], b.tgt[0] + len(b.tgt))) if b.tgt else False:
            raise ValueError(f"fixed bead {b.src}:{b.tgt}: target indices are not consecutive")
    both = sorted((b for b in out if b.src and b.tgt), key=lambda b: b.src[0])
    for a, b in zip(both, both[1:]):
        if b.tgt[0] < a.tgt[-1]:
            raise ValueError(f"fixed beads {a.src}:{a.tgt} and {b.src}:{b.tgt} cross")
    return out


def _align_range(problem: Problem, model: Model, s_idx: list[int], t_idx: list[int], free: tuple,
                 guide: list[Bead] | None = None, with_scores: bool = True) -> list[Bead]:
    """Align the given (ordered) source and target sentence indices; beads in flat indices.

    ``free`` = (skip leading source, skip trailing source, skip leading target,
    skip trailing target) for partial alignment. ``guide``: beads of an earlier
    pass over the same sentences, searched around instead of a coarse pass.
    """
    n, m = len(s_idx), len(t_idx)
    if n == 0 or m == 0:
        return [Bead((i,), (), 1.0) for i in s_idx] + [Bead((), (j,), 1.0) for j in t_idx]
    S = Side([problem.src_lens[k] for k in s_idx], [problem.src_feats[k] for k in s_idx],
              [problem.src_junk[k] for k in s_idx], list(range(n + 1)), list(s_idx))
    T = Side([problem.tgt_lens[k] for k in t_idx], [problem.tgt_feats[k] for k in t_idx],
              [problem.tgt_junk[k] for k in t_idx], list(range(m + 1)), list(t_idx))
    S.open = [problem.src_open[k] for k in s_idx]
    T.open = [problem.tgt_open[k] for k in t_idx]
    S.open[-1] = T.open[-1] = 0  # the range ends there whatever the path: no boundary to weigh
    gpath = None
    if guide is not None:
        spos = {k: x for x, k in enumerate(s_idx)}
        tpos = {k: x for x, k in enumerate(t_idx)}
        gpath = []
        i = j = 0
        for b in guide:
            ls = [spos[k] for k in b.src if k in spos]
            lt = [tpos[k] for k in b.tgt if k in tpos]
            if ls or lt:
                gpath.append((i, len(ls), j, len(lt)))
                i += len(ls)
                j += len(lt)
        if i != n or j != m:  # pragma: no cover - guide from the same gaps always covers them
            gpath = None
    path, lo, hi = solve(model, S, T, free, guide=gpath)
    if with_scores:
        # bead scores: forward-backward in a narrow band around the best path
        plo, phi = path_band(path, n, m, model.opts["score_window"])
        plo = [max(a, b) for a, b in zip(plo, lo)]
        phi = [min(a, b) for a, b in zip(phi, hi)]
        scores = posteriors(model, S, T, plo, phi, path, free)
    else:
        scores = [1.0] * len(path)
    out = []
    for (i0, di, j0, dj), sc in zip(path, scores):
        out.append(Bead(tuple(s_idx[i0 : i0 + di]), tuple(t_idx[j0 : j0 + dj]), round(sc, 4)))
    return out


def _partial_mode(src, tgt, partial, opts) -> tuple[bool, bool, bool, bool]:
    """Which ends may be skipped cheaply: (src lead, src trail, tgt lead, tgt trail)."""
    if partial:
        return (True, True, False, False)
    if not opts["auto_partial"] or not src or not tgt:
        return (False, False, False, False)
    a = sum(len(s) for s in src) or 1
    b = sum(len(t) for t in tgt) or 1
    r = opts["auto_partial_ratio"]
    fs, ft = a / b > r, b / a > r
    return (fs, fs, ft, ft)


def _order(beads: list[Bead]) -> list[Bead]:
    """Sort beads monotonically: both-sided beads fix the order, one-sided ones slot in."""
    both = [b for b in beads if b.src and b.tgt]
    dels = sorted((b for b in beads if b.src and not b.tgt), key=lambda b: b.src[0])
    ins = sorted((b for b in beads if b.tgt and not b.src), key=lambda b: b.tgt[0])
    both.sort(key=lambda b: b.src[0])
    out: list[Bead] = []
    di = ii = 0
    for b in both:
        while di < len(dels) and dels[di].src[0] < b.src[0]:
            out.append(dels[di])
            di += 1
        while ii < len(ins) and ins[ii].tgt[0] < b.tgt[0]:
            out.append(ins[ii])
            ii += 1
        out.append(b)
    out.extend(dels[di:])
    out.extend(ins[ii:])
    return out


def _align_with_fixed(problem, model, s_range, t_range, fixed_beads, free, guide=None, with_scores=True) -> list[Bead]:
    """Align the source sentences ``s_range`` with the target sentences ``t_range``.

    ``fixed_beads`` (all inside the ranges) are kept and the gaps between them aligned.
    """
    del_s = {i for b in fixed_beads if not b.tgt for i in b.src}
    del_t = {j for b in fixed_beads if not b.src for j in b.tgt}
    anchors = sorted((b for b in fixed_beads if b.src and b.tgt), key=lambda b: b.src[0])
    out: list[Bead] = []
    s_pos, t_pos = s_range[0], t_range[0]
    cuts = [(a.src[0], a.tgt[0], a) for a in anchors] + [(s_range[1], t_range[1], None)]
    for k, (s_end, t_end, anchor) in enumerate(cuts):
        s_idx = [i for i in range(s_pos, s_end) if i not in del_s]
        t_idx = [j for j in range(t_pos, t_end) if j not in del_t]
        first, last = k == 0, anchor is None
        gap_free = (free[0] and first, free[1] and last, free[2] and first, free[3] and last)
        out.extend(_align_range(problem, model, s_idx, t_idx, gap_free, guide, with_scores))
        if anchor is not None:
            out.append(anchor)
            s_pos, t_pos = anchor.src[-1] + 1, anchor.tgt[-1] + 1
    out.extend(b for b in fixed_beads if not (b.src and b.tgt))
    return _order(out)


def _run(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn, kinds=None, embedder=None) -> list[Bead]:
    """Align (:func:`_search`), then give every bead its confidence (:mod:`.confidence`)."""
    beads, _ = _scored(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn, kinds, embedder)
    return beads


def _scored(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn, kinds=None, embedder=None):
    """Beads with calibrated scores, and each bead's observations (``None`` for fixed and one-sided beads)."""
    beads, problem, model, groups = _search(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn,
                                            embedder)
    kinds_s, kinds_t = kinds or (None, None)
    special = frozenset(k for k in set(kinds_s or ()) | set(kinds_t or ()) if k not in _TEXT_KINDS)
    obs = bead_features(beads, problem, model, kinds_s, kinds_t, special, [g[:4] for g in groups])
    fixed_set = {(b.src, b.tgt) for b in fixed_beads}
    coefficients = coefficients_for(model)
    out = []
    for b, x in zip(beads, obs):
        if (b.src, b.tgt) in fixed_set:
            obs[len(out)] = None
            out.append(next(f for f in fixed_beads if (f.src, f.tgt) == (b.src, b.tgt)))
        elif x is None or not opts["calibrate"]:
            out.append(b)
        else:
            out.append(Bead(b.src, b.tgt, round(probability(x, coefficients), 4)))
    return out, obs


def _search(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn, embedder=None):
    """Shared driver: features, optional lexicon pass, alignment group by group; (beads, problem, model, groups).

    ``groups_fn(problem, model)`` returns ``[(s0, s1, t0, t1, free), ...]``: consecutive
    ranges of source and target sentences that are aligned separately (one range
    for plain sentence lists, one per aligned block group for structured texts).
    ``embedder`` (:class:`aligner.align.embed.Embedder`) adds the embedding term to every
    sentence bead's cost; without it the costs are exactly those of the model without embeddings.
    """
    problem = Problem(src, tgt, src_lang, tgt_lang, opts)
    ratio = estimate_ratio(problem, opts, any(free))
    emb = None
    if embedder is not None and src and tgt:
        vecs = embedder.vectors(list(src) + list(tgt))
        emb = Similarity(vecs[: len(src)], vecs[len(src):], opts["w_emb"], opts["tau_emb"])
        # with embeddings a banded search around the coarse path is as good as the full matrix on small texts
        opts = {**opts, "full_dp_cells": opts["emb_full_dp_cells"], "cost_open_end": opts["cost_open_end_emb"]}
    overlap = opts["w_overlap"] if same_language(src_lang, tgt_lang) else 0.0
    model = Model(opts, ratio, problem.weights, emb, overlap)
    groups = groups_fn(problem, model)
    fixed_in = _fixed_by_group(fixed_beads, groups)

    def one_pass(problem, model, guide=None, with_scores=True):
        out: list[Bead] = []
        gi = 0  # guide beads are in order, like the groups: sweep once instead of scanning all per group
        for g, (s0, s1, t0, t1, gfree) in enumerate(groups):
            inside = fixed_in[g]
            local = None
            if guide is not None:
                while gi < len(guide) and not _inside(guide[gi], s0, s1, t0, t1) and _before(guide[gi], s1, t1):
                    gi += 1
                k = gi
                while k < len(guide) and _inside(guide[k], s0, s1, t0, t1):
                    k += 1
                local, gi = guide[gi:k], k
            out.extend(_align_with_fixed(problem, model, (s0, s1), (t0, t1), inside, gfree, local,
                                         with_scores))
        return _order(out)

    # with embeddings the realign pass is there for the Model 1 term (or when asked for: emb_lexicon)
    # (not when every group is a handful of sentences, as verses paired by their keys: nothing to gain there)
    with_m1 = opts["m1"] and (emb is None or opts["w_m1_emb"] > 0) and any(
        s1 - s0 >= opts["m1_min_group"] and t1 - t0 >= opts["m1_min_group"] for s0, s1, t0, t1, _ in groups)
    if not opts["lexicon"] or (emb is not None and not opts["emb_lexicon"] and not with_m1):
        return one_pass(problem, model), problem, model, groups
    # the first pass's posteriors choose the 1:1 beads that train the lexicon and Model 1; with embeddings
    # its 1:1 beads are sure enough without them (Text+Berg dev and test0-6: the same beads), and the
    # realign pass, which always follows when Model 1 is learnt, gives every bead its score
    beads = one_pass(problem, model, with_scores=emb is None or not with_m1)
    # learn a lexicon from the confident 1:1 beads, realign around the first path
    lex = learn_lexicon(src, tgt, beads, opts)
    if any(free) and not opts["length_ratio"]:
        a = sum(problem.src_lens[i] for b in beads if b.src and b.tgt for i in b.src)
        c = sum(problem.tgt_lens[j] for b in beads if b.src and b.tgt for j in b.tgt)
        if a and c:
            ratio = c / a
    # the Model 1 term, with embeddings added to theirs at its own weight (w_m1_emb)
    m1 = None
    if with_m1:
        m1 = Model1Term(src, tgt, beads, opts if emb is None else {**opts, "w_m1": opts["w_m1_emb"]})
    if not lex and ratio == model.ratio and m1 is None:
        return beads, problem, model, groups
    if lex:
        problem = Problem(src, tgt, src_lang, tgt_lang, opts, lexicon=lex, base=problem)
    if m1 is not None:  # the realign pass searches a narrower band around the first pass's path
        opts = {**opts, "window": opts["m1_window"] if emb is None else opts["m1_window_emb"]}
    term = emb if m1 is None else m1 if emb is None else TermSum(emb, m1)
    model = Model(opts, ratio, problem.weights, term, overlap)
    return one_pass(problem, model, guide=beads), problem, model, groups


def _before(b: Bead, s1: int, t1: int) -> bool:
    """True when a bead lies before the ends of a range (so a later range cannot hold it)."""
    return all(i < s1 for i in b.src) and all(j < t1 for j in b.tgt)


def _inside(b: Bead, s0: int, s1: int, t0: int, t1: int) -> bool:
    return all(s0 <= i < s1 for i in b.src) and all(t0 <= j < t1 for j in b.tgt)


def _fixed_by_group(fixed_beads: Sequence[Bead], groups: Sequence[tuple]) -> list[list[Bead]]:
    """The fixed beads inside each group, found by bisection on the groups' starts (in order on both sides):
    testing every bead against every group took 185 s for a keyed Bible book of 20,000 verses with 10,000
    human links."""
    out: list[list[Bead]] = [[] for _ in groups]
    s_starts = [g[0] for g in groups]
    t_starts = [g[2] for g in groups]
    for b in fixed_beads:
        starts, x = (s_starts, b.src[0]) if b.src else (t_starts, b.tgt[0]) if b.tgt else (None, None)
        if starts is None:
            continue
        k = bisect.bisect_right(starts, x) - 1
        if k < 0:
            continue
        first = bisect.bisect_left(starts, starts[k])  # groups with one start (empty ranges) sit together
        for g in range(first, min(len(groups), k + 2)):
            if _inside(b, *groups[g][:4]):
                out[g].append(b)
                break
    return out


def align_sentences(
    src: Sequence[str],
    tgt: Sequence[str],
    src_lang: str = "en",
    tgt_lang: str = "en",
    *,
    fixed: Iterable[Bead] = (),
    partial: bool = False,
    embedder=None,
    **options,
) -> list[Bead]:
    """Align two lists of sentences; return monotone beads covering every index once.

    ``fixed`` beads (human decisions) are kept unchanged and only the gaps
    between them are aligned. With ``partial=True`` the target is taken to
    cover only part of the source: leading and trailing source sentences are
    skipped cheaply (1:0 beads) instead of being forced into the alignment.
    Partial mode also turns on by itself when one text is much longer than
    the other (``auto_partial``, ``auto_partial_ratio``; then the longer
    side's ends may be skipped). ``embedder`` (:func:`aligner.align.embed.default_embedder`
    or any :class:`~aligner.align.embed.Embedder`) adds sentence embeddings to the
    cost; the commands pass one when the ``embeddings`` extra is installed, the
    Python API only when asked, so its results do not depend on what is installed.
    """
    opts = resolve_options(options)
    src, tgt = list(src), list(tgt)
    fixed_beads = _check_fixed(fixed, len(src), len(tgt))
    free = _partial_mode(src, tgt, partial, opts)
    return _run(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free,
                lambda problem, model: [(0, len(src), 0, len(tgt), free)], embedder=embedder)


# --------------------------------------------------------------------------
# structure: divisions, blocks, keys

#: Kinds that are aligned like running text; every other kind prefers its own kind.
_TEXT_KINDS = {"paragraph", "verse", "text", "sentence", ""}
#: The marker feature every unit of a special kind carries (see :func:`_block_groups`).
_SPECIAL = "\0special"


def _unit_side(problem: Problem, which: str, ranges: list[tuple[int, int]], kinds: list[str],
               kind_ids: dict[str, int]) -> Side:
    """A side whose units are groups of sentences (blocks or divisions)."""
    lens_all = problem.src_lens if which == "s" else problem.tgt_lens
    feats_all = problem.src_feats if which == "s" else problem.tgt_feats
    lens, feats, junk = [], [], []
    for (a, b), kind in zip(ranges, kinds):
        c: Counter = Counter()
        for d in feats_all[a:b]:
            c.update(d)
        if kind not in _TEXT_KINDS:
            c[kind_ids[kind]] += 1
            c[kind_ids[_SPECIAL]] += 1
        lens.append(sum(lens_all[a:b]))
        feats.append(dict(c))
        junk.append(b == a)
    side = Side(lens, feats, junk, list(range(len(ranges) + 1)))
    side.atoms = [0]
    for kind in kinds:
        side.atoms.append(side.atoms[-1] + (kind not in _TEXT_KINDS))
    return side


def _unit_path(model: Model, S: Side, T: Side, free: tuple) -> list[tuple[int, int, int, int]]:
    path, _, _ = solve(model, S, T, free)
    return path


def _key_anchors(src: Sequence[Block], tgt: Sequence[Block]) -> list[tuple[int, int]]:
    """Pairs of blocks with equal keys, the longest monotone chain of them."""
    where = {}
    for j, b in enumerate(tgt):
        if b.key is not None and b.key not in where:
            where[b.key] = j
    pairs = [(i, where[b.key]) for i, b in enumerate(src) if b.key is not None and b.key in where]
    # longest increasing subsequence on the target index (patience sorting)
    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    chain = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        chain.append(pairs[k])
        k = prev[k]
    return chain[::-1]


def _mismatched_grain(src: Sequence[Block], tgt: Sequence[Block], opts: dict) -> bool:
    """True when one side is keyed and the other not, or one has many times the other's blocks
    for its sentences (more than ``max_side`` blocks would have to meet one)."""
    if not src or not tgt:
        return False
    ks = any(b.key is not None for b in src)
    kt = any(b.key is not None for b in tgt)
    if ks != kt:
        return True
    ns, nt = sum(len(b.sentences) for b in src), sum(len(b.sentences) for b in tgt)
    per_s, per_t = ns / len(src), nt / len(tgt)  # sentences per block
    grain = opts["max_side"]
    return per_s > grain * per_t or per_t > grain * per_s


def _fixed_anchors(src: Sequence[Block], tgt: Sequence[Block], fixed_beads: Sequence[Bead]
                   ) -> list[tuple[list[int], list[int]]]:
    """The blocks human links join whole, as anchors of the structure pass: ``([src blocks], [tgt blocks])`` in
    order, those sharing a block merged. A translator's link is the surest evidence there is of which blocks meet;
    without it the structure pass could pair blocks across it, and the sentences on the far side of a link were
    left with no partner (a Spanish excerpt typed in part: its last paragraph came out unaligned)."""
    s_blk = [k for k, b in enumerate(src) for _ in b.sentences]
    t_blk = [k for k, b in enumerate(tgt) for _ in b.sentences]
    both = [b for b in fixed_beads if b.src and b.tgt]
    spans = sorted((s_blk[b.src[0]], s_blk[b.src[-1]], t_blk[b.tgt[0]], t_blk[b.tgt[-1]], len(b.src), len(b.tgt))
                   for b in both)
    out: list[list[int]] = []
    for a0, a1, b0, b1, ns, nt in spans:
        if out and (a0 <= out[-1][1] or b0 <= out[-1][3]):
            out[-1][1] = max(out[-1][1], a1)
            out[-1][3] = max(out[-1][3], b1)
            out[-1][4] += ns
            out[-1][5] += nt
        else:
            out.append([a0, a1, b0, b1, ns, nt])
    # Only links that cover their blocks whole say which blocks meet: one linking the first sentence of a
    # paragraph the translation splits in two says nothing of where the paragraph's second half goes.
    s_len = [len(b.sentences) for b in src]
    t_len = [len(b.sentences) for b in tgt]
    return [(list(range(a0, a1 + 1)), list(range(b0, b1 + 1))) for a0, a1, b0, b1, ns, nt in out
            if ns == sum(s_len[a0:a1 + 1]) and nt == sum(t_len[b0:b1 + 1])]


def _block_groups(src: Sequence[Block], tgt: Sequence[Block], problem: Problem, model: Model,
                  free: tuple, opts: dict, fixed_beads: Sequence[Bead] = ()) -> list[tuple[int, int, int, int, tuple]]:
    """Align divisions, then blocks; return the aligned groups as flat sentence ranges. The blocks that
    ``fixed_beads`` (human links) join are anchors, like blocks with equal keys."""
    s_off = [0]
    for b in src:
        s_off.append(s_off[-1] + len(b.sentences))
    t_off = [0]
    for b in tgt:
        t_off.append(t_off[-1] + len(b.sentences))
    kinds = sorted({b.kind for b in list(src) + list(tgt)} - _TEXT_KINDS)
    kind_ids = {}
    weights = dict(model.weights)
    base = max(weights, default=-1) + 1
    pen, clash = opts["pen_kind"], opts["cost_kind_clash"]
    # Every special unit carries its kind and the marker "special". Two special units of different
    # kinds (a title against a dateline) share only the marker, whose negative gain is the clash
    # cost; two of the same kind share both, and the kind's gain gives the clash back.
    kind_ids[_SPECIAL] = base
    weights[base] = (-clash, 0.0)
    for k, kind in enumerate(kinds, start=1):
        kind_ids[kind] = base + k
        weights[base + k] = (opts["w_kind"] + 2 * pen + clash, pen)
    bmodel = Model(opts, model.ratio, weights)
    no_free = (False, False, False, False)

    def align_units(s_units: list[int], t_units: list[int], unit_free: tuple) -> list[tuple[list[int], list[int]]]:
        """Align the given src and tgt blocks (indices), return block beads."""
        if not s_units or not t_units:
            return [([i], []) for i in s_units] + [([], [j]) for j in t_units]
        S = _unit_side(problem, "s", [(s_off[i], s_off[i + 1]) for i in s_units],
                       [src[i].kind for i in s_units], kind_ids)
        T = _unit_side(problem, "t", [(t_off[j], t_off[j + 1]) for j in t_units],
                       [tgt[j].kind for j in t_units], kind_ids)
        path = _unit_path(bmodel, S, T, unit_free)
        return [(s_units[i0 : i0 + di], t_units[j0 : j0 + dj]) for i0, di, j0, dj in path]

    def align_blocks_in(s_units: list[int], t_units: list[int], unit_free: tuple):
        """Blocks in one aligned division group: anchors first (human links, equal keys), then the gaps."""
        sset, tset = set(s_units), set(t_units)
        held = [(sb, tb) for sb, tb in fixed_anchors if set(sb) <= sset and set(tb) <= tset]
        starts = [sb[0] for sb, _ in held]

        def between(i, j):
            """Whether the key anchor (i, j) falls between two human anchors (they are in order on both sides,
            so its neighbours decide; a keyed Bible has thousands of each)."""
            k = bisect.bisect_right(starts, i) - 1
            if k >= 0 and not (i > held[k][0][-1] and j > held[k][1][-1]):
                return False
            return k + 1 >= len(held) or (i < held[k + 1][0][0] and j < held[k + 1][1][0])

        keyed = [([i], [j]) for i, j in _key_anchors(src, tgt) if i in sset and j in tset and between(i, j)]
        anchors = sorted(held + keyed)
        out = []
        si = ti = 0
        s_at = {x: n for n, x in enumerate(s_units)}  # units are in order: slice by position, not by scanning
        t_at = {x: n for n, x in enumerate(t_units)}
        for k, anchor in enumerate(anchors + [None]):
            s_gap = s_units[si:] if anchor is None else s_units[si:s_at[anchor[0][0]]]
            t_gap = t_units[ti:] if anchor is None else t_units[ti:t_at[anchor[1][0]]]
            first, last = k == 0, anchor is None
            gfree = (unit_free[0] and first, unit_free[1] and last, unit_free[2] and first, unit_free[3] and last)
            out.extend(align_units(s_gap, t_gap, gfree))
            if anchor is None:
                break
            out.append(anchor)
            si = s_at[anchor[0][-1]] + 1
            ti = t_at[anchor[1][-1]] + 1
        return out

    # divisions: consecutive blocks with the same division number
    def divisions(blocks):
        groups: list[list[int]] = []
        for k, b in enumerate(blocks):
            if groups and blocks[groups[-1][-1]].division == b.division:
                groups[-1].append(k)
            else:
                groups.append([k])
        return groups

    fixed_anchors = _fixed_anchors(src, tgt, fixed_beads)
    s_div, t_div = divisions(src), divisions(tgt)
    has_keys = bool(_key_anchors(src, tgt))
    if not has_keys and _mismatched_grain(src, tgt, opts):
        # One text is cut much finer than the other (verses against paragraphs, a keyed pivot against a
        # plain version): blocks cannot meet blocks, so the sentences are aligned as one stream.
        return [(0, s_off[-1], 0, t_off[-1], free)]
    # Divisions first only when both texts have the same number of them: a partial text (one
    # letter of two) is placed better by the block-level alignment, which may skip whole regions.
    if len(s_div) == len(t_div) > 1 and not has_keys:
        S = _unit_side(problem, "s", [(s_off[g[0]], s_off[g[-1] + 1]) for g in s_div], ["paragraph"] * len(s_div), kind_ids)
        T = _unit_side(problem, "t", [(t_off[g[0]], t_off[g[-1] + 1]) for g in t_div], ["paragraph"] * len(t_div), kind_ids)
        div_path = _unit_path(bmodel, S, T, free)
        div_groups = [
            ([x for g in s_div[i0 : i0 + di] for x in g], [x for g in t_div[j0 : j0 + dj] for x in g])
            for i0, di, j0, dj in div_path
        ]
        block_beads = []
        for sg, tg in div_groups:
            if sg and tg:
                block_beads.extend(align_blocks_in(sg, tg, no_free))
            else:
                block_beads.extend(align_units(sg, tg, no_free))
    else:
        block_beads = align_blocks_in(list(range(len(src))), list(range(len(tgt))), free)

    groups = []
    for sb, tb in block_beads:
        s0 = s_off[sb[0]] if sb else None
        s1 = s_off[sb[-1] + 1] if sb else None
        t0 = t_off[tb[0]] if tb else None
        t1 = t_off[tb[-1] + 1] if tb else None
        groups.append([s0, s1, t0, t1])
    # give one-sided groups their position on the other side
    s_pos = t_pos = 0
    for g in groups:
        if g[0] is None:
            g[0] = g[1] = s_pos
        if g[2] is None:
            g[2] = g[3] = t_pos
        s_pos, t_pos = g[1], g[3]
    out = [(a, b, c, d, no_free) for a, b, c, d in groups]
    # partial: the target may start or end inside the first/last block group it shares with the source
    both = [k for k, (a, b, c, d, _) in enumerate(out) if b > a and d > c]
    if both and any(free):
        k0, k1 = both[0], both[-1]
        a, b, c, d, _ = out[k0]
        out[k0] = (a, b, c, d, (free[0], False, free[2], False))
        a, b, c, d, f = out[k1]
        out[k1] = (a, b, c, d, (f[0], free[1], f[2], free[3]))
    return out


def _respect_fixed(groups, fixed_beads: list[Bead]):
    """Merge neighbouring groups whose boundary would cut through a fixed bead.

    The beads with both sides do not cross (:func:`_check_fixed`) and the boundaries come in order, so one sweep
    finds, for each boundary, the first bead not wholly before it: the boundary cuts that one or none.
    """
    both = sorted((b for b in fixed_beads if b.src and b.tgt), key=lambda b: b.src[0])
    p = 0
    out: list[list] = []
    for g in groups:
        if out:
            s_cut, t_cut = g[0], g[2]
            while p < len(both) and both[p].src[-1] < s_cut and both[p].tgt[-1] < t_cut:
                p += 1
            ok = p == len(both) or (both[p].src[0] >= s_cut and both[p].tgt[0] >= t_cut)
            if not ok:
                prev = out[-1]
                out[-1] = [prev[0], g[1], prev[2], g[3], prev[4]]
                continue
        out.append(list(g))
    return [tuple(g) for g in out]


def align_blocks(
    src: Sequence[Block],
    tgt: Sequence[Block],
    src_lang: str = "en",
    tgt_lang: str = "en",
    *,
    fixed: Iterable[Bead] = (),
    partial: bool = False,
    embedder=None,
    **options,
) -> list[Bead]:
    """Align two structured texts: divisions, then blocks, then sentences inside block groups.

    * Divisions (letters, chapters) are aligned to divisions first when both
      texts have more than one; blocks are then aligned only inside aligned
      division groups.
    * Blocks with equal ``key`` are hard anchors (verse references); the
      blocks between two anchors are aligned by the same dynamic programme as
      sentences (blocks may merge 2:1 etc.); a block of a special kind
      (dateline, salutation, signature...) prefers a block of its own kind.
    * Sentences are aligned inside each aligned block group. ``fixed`` beads
      are kept; a block-group boundary that would cut through one is dropped.

    Returns beads over the flat sentence indices (the blocks' sentences
    concatenated in order).
    """
    opts = resolve_options(options)
    src, tgt = list(src), list(tgt)
    flat_s = [x for b in src for x in b.sentences]
    flat_t = [x for b in tgt for x in b.sentences]
    fixed_beads = _check_fixed(fixed, len(flat_s), len(flat_t))
    free = _partial_mode(flat_s, flat_t, partial, opts)

    def groups_fn(problem, model):
        return _respect_fixed(_block_groups(src, tgt, problem, model, free, opts, fixed_beads), fixed_beads)

    kinds = ([b.kind for b in src for _ in b.sentences], [b.kind for b in tgt for _ in b.sentences])
    return _run(flat_s, flat_t, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn, kinds, embedder)
