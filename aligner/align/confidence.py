"""A bead's confidence: the probability that it is right, not only that the model prefers it.

The DP's posterior (:func:`aligner.align.dp.posteriors`) says how much better
a bead is than its rivals *under the model*; it is near 1.0 whenever the
search had no alternative (verse keys, fixed beads around a one-sentence gap),
even when the two sides do not translate each other (verses shifted by one).
Reviewers need the other question answered: is this bead right? So each bead
gets a few observations the model's posterior does not see on its own:

* the posterior itself, and the least sure neighbour's, both as probabilities: as logits (clipped
  at 1e-4) the few beads whose posterior is about 1 stretched the scale, and on Text+Berg dev
  (5-fold cross-validation) the probabilities rank and fit better (AUC 0.814 -> 0.844, log loss
  0.234 -> 0.227);
* the length term of the bead (Gale-Church's ``-log P(delta)``), and how much
  better the lengths would fit if a stray 1:0/0:1 neighbour were part of it;
* the anchors the two sides share (numbers, names, words, the learnt lexicon),
  those each side has without a partner, and their agreement (a Dice ratio);
* its size (1:1, 2:1, larger), its neighbours' sizes, its length in characters,
  and how many of its neighbours are deletions/insertions (a wrong bead
  usually leaves a stray sentence beside it);
* whether the kinds of its blocks disagree (a title against a paragraph);
* for a block group paired from outside (equal verse keys), how much better a
  neighbouring group's text fits than its own (a run of shifted verses); with
  sentence embeddings, the same for each bead and its neighbours by what the
  sentences say (a run drawn to the wrong end by debris in one sentence).

A logistic model turns them into a probability. Its coefficients were fitted
on the Text+Berg *dev* set only (``python benchmarks/align.py --fit-confidence``
prints them); the test sets measure it (``benchmarks/align.py``). An alignment
made with sentence embeddings has its own coefficients (:data:`COEFFICIENTS_EMB`),
fitted the same way on the beads it finds.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from .cost import Model, Problem, Side, Similarity
from .model1 import TermSum

#: The observations, in the order of :data:`COEFFICIENTS`.
FEATURES = ("bias", "posterior", "length", "shared", "unmatched", "size", "stray", "kind", "neighbours", "merge", "big", "chars", "agreement", "swap", "neighbour size")

#: Weights set, not fitted, because Text+Berg dev has no such beads. A kind disagreement is a clear
#: "no". ``swap`` is a difference of bead costs, which are negative log probabilities: a neighbour's
#: text fitting Δ better divides the odds by e^Δ (coefficient -1).
KIND = -4.0
SWAP = -1.0
FIXED = {"kind": KIND, "swap": SWAP}

#: Logistic coefficients fitted on Text+Berg dev (``benchmarks/align.py --fit-confidence``), except FIXED; refitted
#: for aligner version 4 (the Model 1 term makes the posteriors surer: the old fit rated 48 wrong beads of test0-6
#: 0.9 or more), and again for version 5 (``cost_open_end`` changes the beads dev gets).
COEFFICIENTS = (0.144, 2.976, -0.100, -0.003, -0.010, -0.390, -1.157, KIND, 0.831, -0.179, -0.634, -0.005, 0.142, SWAP, -0.112)

#: The same fitted on the beads the aligner finds with sentence embeddings (``benchmarks/align.py --fit-confidence
#: --embeddings``, Text+Berg dev only): its errors are fewer and others, and with the coefficients above the
#: posterior carried too little weight (test0-6 with embeddings: AUC 0.894 -> 0.919, wrong beads scoring 0.9 or
#: more 29 -> 24; benchmarks/README.md). Refitted when ``swap`` began to compare each bead with its neighbours
#: (:func:`_bead_swaps`): test0-6 AUC 0.919 -> 0.933.
COEFFICIENTS_EMB = (-2.913, 3.203, -0.185, -0.002, -0.005, -0.230, -1.079, KIND, 1.610, -0.448, -0.261, 0.286, 0.082, SWAP,
                    0.027)


def bead_features(beads: Sequence, problem: Problem, model: Model,
                  kinds_s: Sequence[str] | None = None, kinds_t: Sequence[str] | None = None,
                  special: frozenset = frozenset(), groups: Sequence[tuple[int, int, int, int]] | None = None,
                  ) -> list[tuple[float, ...] | None]:
    """The observations of each bead with both sides (``None`` for a 1:0 or 0:1 bead).

    ``groups`` are the ranges ``(s0, s1, t0, t1)`` the search aligned separately (block groups
    fixed by verse keys or the structure pass), in order.
    """
    weights = problem.weights
    out: list[tuple[float, ...] | None] = []
    n = len(beads)
    swaps = _group_swaps(problem, model, groups or [])
    bead_swaps = _bead_swaps(beads, model)
    group_starts = [g[0] for g in groups or []]
    for k, b in enumerate(beads):
        if not (b.src and b.tgt):
            out.append(None)
            continue
        l1 = sum(problem.src_lens[i] for i in b.src)
        l2 = sum(problem.tgt_lens[j] for j in b.tgt)
        length = model.length_cost(l1, l2)
        fs: dict = {}
        for i in b.src:
            for f, c in problem.src_feats[i].items():
                fs[f] = fs.get(f, 0) + c
        ft: dict = {}
        for j in b.tgt:
            for f, c in problem.tgt_feats[j].items():
                ft[f] = ft.get(f, 0) + c
        shared = 0.0
        unmatched = 0.0
        for f, c in fs.items():
            g = weights[f][0]
            d = ft.get(f, 0)
            shared += min(c, d) * g
            unmatched += max(0, c - d) * g
        for f, d in ft.items():
            c = fs.get(f, 0)
            unmatched += max(0, d - c) * weights[f][0]
        size = len(b.src) + len(b.tgt) - 2
        stray = sum(1 for x in (k - 1, k + 1) if 0 <= x < n and not (beads[x].src and beads[x].tgt))
        # neighbours' agreement: the least sure neighbour, and how much better the lengths would fit
        # if a stray sentence beside the bead were part of it (a bead cut too small)
        nb = [beads[x] for x in (k - 1, k + 1) if 0 <= x < n]
        neighbours = min((x.score for x in nb), default=1.0)
        merge = 0.0
        for x in nb:
            if x.src and not x.tgt:
                merge = max(merge, length - model.length_cost(l1 + sum(problem.src_lens[i] for i in x.src), l2))
            elif x.tgt and not x.src:
                merge = max(merge, length - model.length_cost(l1, l2 + sum(problem.tgt_lens[j] for j in x.tgt)))
        # a neighbour's text fitting better than the bead's own (verses shifted by one)
        g = bisect.bisect_right(group_starts, b.src[0]) - 1
        swap = max(swaps[g] if g >= 0 else 0.0, bead_swaps[k])
        kind = 0.0
        if kinds_s is not None and kinds_t is not None:
            ks = {kinds_s[i] for i in b.src}
            kt = {kinds_t[j] for j in b.tgt}
            if (ks | kt) & special and ks != kt:
                kind = 1.0
        out.append((1.0, b.score, min(length, 20.0), min(shared, 30.0), min(unmatched, 30.0),
                    float(size), float(stray), kind, neighbours, min(merge, 20.0),
                    float(size >= 2), math.log(min(l1, l2)),
                    2 * shared / (2 * shared + unmatched) if shared + unmatched > 0 else 0.5,
                    min(swap, 20.0),
                    float(max((len(x.src) + len(x.tgt) - 2 for x in nb if x.src and x.tgt), default=0))))
    return out


def _group_swaps(problem: Problem, model: Model, groups: Sequence[tuple[int, int, int, int]]) -> list[float]:
    """For each group, how much better a neighbouring group's text fits than its own (in cost units).

    A group pairing imposed from outside (equal verse keys) is not a choice of the search, so the
    posterior says nothing about it; comparing it with its neighbours' texts does. One group (plain
    sentence lists) gives 0: the search itself weighed every alternative.
    """
    out = [0.0] * len(groups)
    if len(groups) < 2:
        return out
    S = Side(problem.src_lens, problem.src_feats, problem.src_junk, [])
    T = Side(problem.tgt_lens, problem.tgt_feats, problem.tgt_junk, [])
    # with sentence embeddings their term counts too: what the two texts say is the best evidence of a shift
    # (on the shifted Mark without it a verse of the run scored 0.95 with embeddings, above right verses)
    sim = _embedding_term(model)

    def cost(g, h):
        s0, s1 = g[0], g[1]
        t0, t1 = h[2], h[3]
        c = model.cost(S, T, s0, s1 - s0, t0, t1 - t0, 0.0)
        if sim is not None:
            c += sim.w * (sim.tau - sim.span_sim(s0, s1, t0, t1))
        return c

    both = [k for k, g in enumerate(groups) if g[1] > g[0] and g[3] > g[2]]
    for k, gain in zip(both, _neighbour_gains([groups[k] for k in both], cost)):
        out[k] = gain
    return out


def _neighbour_gains(items: Sequence, cost) -> list[float]:
    """For each of ``items`` (groups or beads with both sides, in order), how much less ``cost(source of a, target
    of b)`` is with a neighbour on either side than with its own other side (0 when no neighbour does better)."""
    out = []
    for n, a in enumerate(items):
        own = cost(a, a)
        best = 0.0
        for x in (items[n - 1] if n else None, items[n + 1] if n + 1 < len(items) else None):
            if x is not None:
                best = max(best, own - cost(a, x), own - cost(x, a))
        out.append(best)
    return out


def _bead_swaps(beads: Sequence, model: Model) -> list[float]:
    """For each bead, how much better a neighbouring bead's text fits its sentences than its own, by the
    embedding term alone (in cost units; all 0 without embeddings).

    A sentence placed beside its translation (a 2:1 drawn to the wrong end of a run by OCR debris in one
    sentence) pairs with a neighbour's translation of similar length: the search weighed the whole run and
    found nothing better, so the posterior is sure. What the two texts *say* shows it bead by bead. Only the
    embedding term, not the whole cost: a neighbour of another length fits the length term better without any
    misalignment (on Text+Berg test0-6 with the whole cost: wrong beads among the lowest 49/80 -> 43/80; with
    the embedding term alone AUC 0.919 -> 0.932, and 0.83 -> 0.97 on the misaligned beads, benchmarks/README.md).
    Dev has one misaligned bead, so the weight is set like the groups' (:data:`SWAP`), not fitted.
    """
    out = [0.0] * len(beads)
    sim = _embedding_term(model)
    if sim is None:
        return out

    def cost(a, b):
        return sim.w * (sim.tau - sim.summed_sim(a.src, b.tgt))  # linear: human beads may be of any size

    both = [k for k, b in enumerate(beads) if b.src and b.tgt]
    for k, gain in zip(both, _neighbour_gains([beads[k] for k in both], cost)):
        out[k] = gain
    return out


def _embedding_term(model: Model) -> Similarity | None:
    """The embedding term of the model's bead cost, if it has one (alone, or added to Model 1's)."""
    term = model.emb.first if isinstance(model.emb, TermSum) else model.emb
    return term if isinstance(term, Similarity) else None


def coefficients_for(model: Model) -> tuple[float, ...]:
    """The coefficients for the beads a model found: :data:`COEFFICIENTS_EMB` when its cost has the embedding
    term, else :data:`COEFFICIENTS`."""
    return COEFFICIENTS_EMB if _embedding_term(model) is not None else COEFFICIENTS


def probability(x: Sequence[float], coefficients: Sequence[float] = COEFFICIENTS) -> float:
    z = sum(a * b for a, b in zip(coefficients, x))
    if z < -30:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
