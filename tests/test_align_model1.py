"""IBM Model 1 learnt from the text pair (option ``m1``, on by default): training, the bead term, the realign pass."""

import math
import random
from collections import Counter

from aligner.align import align_sentences
from aligner.align.blocks import Bead
from aligner.align.model1 import Model1Term, m1_words, train
from aligner.align.options import resolve_options

from .helpers import check_cover

# a toy word-for-word "translation": every sentence draws words from a small vocabulary
WORDS = {"hund": "chien", "katze": "chat", "haus": "maison", "baum": "arbre", "wasser": "eau", "berg": "montagne",
         "schnee": "neige", "weg": "chemin", "brot": "pain", "stadt": "ville", "fluss": "riviere", "wald": "foret"}


def _corpus(n=60, seed=3):
    rng = random.Random(seed)
    keys = sorted(WORDS)
    de, fr = [], []
    for _ in range(n):
        ws = rng.sample(keys, rng.randint(3, 6))
        de.append(" ".join(ws).capitalize() + " .")
        fr.append(" ".join(WORDS[w] for w in reversed(ws)).capitalize() + " .")
    return de, fr


def test_words_are_folded_and_numbers_left_out():
    assert m1_words("Über 3 Flüsse , Straße !") == ["uber", "flusse", "strasse"]
    assert m1_words("Gletscherbach", prefix=5) == ["glets"]


def test_training_finds_the_translations():
    de, fr = _corpus()
    vs = {w: k for k, w in enumerate(sorted(WORDS), start=1)}
    vt = {w: k for k, w in enumerate(sorted(WORDS.values()), start=1)}
    pairs = [(Counter(vs[w] for w in m1_words(s)), Counter(vt[w] for w in m1_words(t))) for s, t in zip(de, fr)]
    table = train(pairs, 10)
    for e, f in WORDS.items():
        probs = table[vt[f]]
        best = max((p, k) for k, p in probs.items() if k)[1]
        assert best == vs[e], (e, f)
    # t(. | e) is a distribution over the target words (and nothing else) for every e
    tot: Counter = Counter()
    for probs in table.values():
        for e, p in probs.items():
            tot[e] += p
    assert all(math.isclose(x, 1.0, abs_tol=1e-3) for x in tot.values())


def test_a_translation_costs_less_than_its_neighbour_and_merging_does_not_pay():
    de, fr = _corpus()
    beads = [Bead((k,), (k,), 1.0) for k in range(len(de))]
    term = Model1Term(de, fr, beads, resolve_options({"m1": True}))
    ids = list(range(len(de)))
    right = term.cost(ids, 10, 1, ids, 10, 1)
    assert right < 0  # the words explain each other better than their unigram probabilities
    assert right < term.cost(ids, 10, 1, ids, 11, 1)
    # 10:10 + 11:11 against the merged 2:2, and against 10-11:10 (the second target left out)
    both = term.cost(ids, 10, 1, ids, 10, 1) + term.cost(ids, 11, 1, ids, 11, 1)
    assert both < term.cost(ids, 10, 2, ids, 10, 2)
    assert right < term.cost(ids, 10, 2, ids, 10, 1)
    # the interpolation with the unigram bounds what an unexplained word costs: -log(1 - lambda) a word
    words = sum(term.Sn[10:12]) + sum(term.Tn[10:12])
    assert term.cost(ids, 10, 1, ids, 30, 1) < 0.5 * term.w * -math.log(0.5) * words


def test_alignment_is_a_cover_and_on_by_default():
    de, fr = _corpus(40)
    # drop one German sentence and join two French ones: a 1:0 and a 2:1 to find
    de2 = de[:5] + de[6:]
    fr2 = fr[:20] + [fr[20] + " " + fr[21]] + fr[22:]
    beads = align_sentences(de2, fr2, "de", "fr")
    assert beads == align_sentences(de2, fr2, "de", "fr", m1=True)
    check_cover(align_sentences(de2, fr2, "de", "fr", m1=False), len(de2), len(fr2))
    check_cover(beads, len(de2), len(fr2))
    got = {(b.src, b.tgt) for b in beads}
    assert ((19, 20), (20,)) in got
    assert all(len(b.src) <= 1 or b.src == (19, 20) for b in beads)
    # with fixed beads: the term reads the sentences of non-consecutive units
    fixed = [Bead((7,), (), 1.0)]
    check_cover(align_sentences(de2, fr2, "de", "fr", m1=True, fixed=fixed), len(de2), len(fr2))


def test_the_fast_form_is_the_plain_computation():
    """Model1Term.cost (sums per sentence pair and per sentence given a group, memoised) against the
    definition computed bead by bead, and its lower bounds below it."""
    de, fr = _corpus(30, seed=5)
    beads = [Bead((k,), (k,), 1.0) for k in range(len(de))]
    term = Model1Term(de, fr, beads, resolve_options({"m1": True}))
    sids = list(range(len(de)))
    tids = list(range(len(fr)))
    for i0 in range(0, 24, 3):
        for j0 in range(max(0, i0 - 3), i0 + 4):
            for di in range(0, 5):
                for dj in range(0, 5):
                    if di + dj == 0:
                        continue
                    fast = term.cost(sids, i0, di, tids, j0, dj)
                    assert math.isclose(fast, term.plain_cost(sids, i0, di, tids, j0, dj), rel_tol=1e-12,
                                        abs_tol=1e-12), (i0, di, j0, dj)
                    assert term.cost(sids, i0, di, tids, j0, dj) == fast  # memoised
                    if di and dj:  # the bounds the search skips beads with are below the term
                        low_s, low_t = term.lower_bounds()
                        assert sum(low_s[i0 : i0 + di]) + sum(low_t[j0 : j0 + dj]) <= fast
                        assert term.bound(sids, i0, di, tids, j0, dj) <= fast


def test_the_search_skips_beads_by_the_bounds_without_changing_the_alignment(monkeypatch):
    de, fr = _corpus(40, seed=7)
    de2 = de[:5] + de[6:]
    fr2 = fr[:20] + [fr[20] + " " + fr[21]] + fr[22:]
    fast = align_sentences(de2, fr2, "de", "fr", m1=True)
    # without the bounds the search computes the term for every bead, from its definition
    monkeypatch.setattr(Model1Term, "lower_bounds", lambda self: None)
    monkeypatch.setattr(Model1Term, "cost", Model1Term.plain_cost)
    assert align_sentences(de2, fr2, "de", "fr", m1=True) == fast


def _m1_problem(n, seed, embedded=False):
    """A small problem with the Model 1 term (trained on the right 1:1 beads), optionally added to an embedding
    term (the sum the aligner uses with embeddings)."""
    from aligner.align.model1 import TermSum

    from .helpers import model_and_sides

    de, fr = _corpus(n, seed=seed)
    de2 = de[:1] + de[2:]  # the second German sentence left out: a 0:1 bead
    fr2 = fr[:-2] + [fr[-2] + " " + fr[-1]]  # the last two French ones joined: a 2:1 bead
    model, S, T = model_and_sides(de2, fr2, "de", "fr", embedded=embedded)
    right = [Bead((0,), (0,), 1.0)] + [Bead((k,), (k + 1,), 1.0) for k in range(1, len(fr2) - 2)]
    term = Model1Term(de2, fr2, right, resolve_options({}))
    model.emb = TermSum(model.emb, term) if embedded else term
    return model, S, T


def test_posteriors_with_the_term_are_those_of_every_path():
    """The posteriors leave out beads whose weight is below e^-40 of another's into the same cell, found by the
    term's bounds: they must still be those of enumerating every path (also with an embedding term added)."""
    import pytest

    from aligner.align.dp import path_band, posteriors, solve

    from .test_align_dp import _brute_posteriors

    for embedded in (False, True):
        model, S, T = _m1_problem(7, 11, embedded)
        free = (False, False, False, False)
        path, lo, hi = solve(model, S, T, free)
        lo, hi = path_band(path, len(S), len(T), 2)
        got = posteriors(model, S, T, lo, hi, path, free)
        want = _brute_posteriors(model, S, T, lo, hi, path, free)
        assert got == pytest.approx(want, abs=1e-9)


def test_the_bounds_of_the_sum_of_terms_do_not_change_the_path(monkeypatch):
    from aligner.align.dp import solve
    from aligner.align.model1 import TermSum

    model, S, T = _m1_problem(24, 13, embedded=True)
    free = (False, False, False, False)
    with_bounds = solve(model, S, T, free)[0]
    monkeypatch.setattr(TermSum, "lower_bounds", lambda self: None)
    assert solve(model, S, T, free)[0] == with_bounds


def test_training_takes_a_sample_of_at_most_so_many_word_pairs(monkeypatch):
    from aligner.align import model1

    de, fr = _corpus(60)
    beads = [Bead((k,), (k,), 1.0) for k in range(len(de))]
    seen = []
    real = model1.train_both

    def spy(pairs, iters):
        seen.append(sum((len(a) + 1) * (len(b) + 1) for a, b in pairs))
        return real(pairs, iters)

    monkeypatch.setattr(model1, "train_both", spy)
    Model1Term(de, fr, beads, resolve_options({}))
    Model1Term(de, fr, beads, resolve_options({"m1_max_pairs": 400}))
    assert seen[1] <= 400 < seen[0]


def test_a_bead_whose_pairs_leave_the_band_is_bounded_by_the_term(monkeypatch):
    """The search writes the pair bound out from the 1:1 beads of its band; where a bead's pairs are not all in
    the band (a 2:2 at a row's last column) it asks the term: the path is the one found without bounds."""
    from aligner.align.dp import _dp

    model, S, T = _m1_problem(24, 13)
    n, m = len(S), len(T)
    lo = [max(0, i - 2) for i in range(n + 1)]
    hi = [min(m, i + 2) for i in range(n + 1)]
    hi[n] = m
    free = (False, False, False, False)
    calls = []
    real = Model1Term.bound
    monkeypatch.setattr(Model1Term, "bound", lambda self, *a: calls.append(a) or real(self, *a))
    with_bounds = _dp(model, S, T, lo, hi, free)[0]
    assert calls  # the fallback was taken
    monkeypatch.setattr(Model1Term, "lower_bounds", lambda self: None)
    assert _dp(model, S, T, lo, hi, free)[0] == with_bounds


def test_the_sum_of_terms_computes_the_embedding_term_once_for_a_bead_it_bounded():
    """The search asks a bead's bound, then (if it can still win) its cost: the embedding term of the bound is
    not computed again, and the cost is the same as computed from scratch."""
    from aligner.align.model1 import TermSum

    model, S, T = _m1_problem(12, 5, embedded=True)
    emb, m1 = model.emb.first, model.emb.second
    asked = []

    class Counting:
        def cost(self, *bead):
            asked.append(bead[1:3] + bead[4:])
            return emb.cost(*bead)

    term = TermSum(Counting(), m1)
    bead = (S.ids, 2, 2, T.ids, 3, 1)
    bound = term.bound(*bead)
    cost = term.cost(*bead)
    assert len(asked) == 1
    assert cost == emb.cost(*bead) + m1.cost(*bead) and bound <= cost
    term.cost(S.ids, 4, 1, T.ids, 5, 1)  # another bead: its own term
    assert asked[-1] == (4, 1, 5, 1) and len(asked) == 2
