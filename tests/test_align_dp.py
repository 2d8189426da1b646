"""The dynamic programme finds each bead type where it belongs, and scores confident beads high."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import align_sentences
from aligner.align.dp import solve

from .helpers import DE, EN, check_cover, long_text, model_and_sides, pairs


def test_identical_lists_align_one_to_one():
    beads = align_sentences(EN, EN)
    assert pairs(beads) == [((i,), (i,)) for i in range(len(EN))]
    assert all(b.score > 0.5 for b in beads)


def test_translation_aligns_one_to_one():
    assert pairs(align_sentences(EN, DE, "en", "de")) == [((i,), (i,)) for i in range(len(EN))]


def test_merged_sentence_is_two_to_one():
    de = DE[:2] + [DE[2] + " " + DE[3]] + DE[4:]
    beads = align_sentences(EN, de, "en", "de")
    assert pairs(beads) == [((0,), (0,)), ((1,), (1,)), ((2, 3), (2,)), ((4,), (3,)), ((5,), (4,))]
    check_cover(beads, len(EN), len(de))


def test_insertion_is_zero_to_one():
    en, de = long_text()
    extra = ("Der Verfasser dankt an dieser Stelle allen Helfern, den Traegern aus dem Tal, den Freunden "
             "in der Heimat und der Stiftung, ohne deren grosszuegige Hilfe nichts moeglich gewesen waere.")
    de = de[:10] + [extra] + de[10:]
    beads = align_sentences(en, de, "en", "de")
    assert pairs(beads) == [((i,), (i,)) for i in range(10)] + [((), (10,))] + [((i,), (i + 1,)) for i in range(10, 25)]
    check_cover(beads, len(en), len(de))


def _paths(n, m, types):
    """Every monotone path of the given bead types from (0, 0) to (n, m)."""
    if n == 0 and m == 0:
        yield []
        return
    for di, dj, prior in types:
        if di <= n and dj <= m:
            for rest in _paths(n - di, m - dj, types):
                yield [(n - di, di, m - dj, dj, prior)] + rest


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(EN + ["In 1924.", "* *"]), min_size=1, max_size=4),
       st.lists(st.sampled_from(DE + ["Im Jahr 1924.", "Es war 1933."]), min_size=1, max_size=4))
def test_the_best_path_is_the_cheapest_under_the_cost_model(src, tgt):
    """The DP writes the bead cost out for speed: it must still find the path Model.cost rates best."""
    model, S, T = model_and_sides(src, tgt)
    path, _, _ = solve(model, S, T, (False, False, False, False))
    prior = {(di, dj): p for di, dj, p in model.types}
    found = sum(model.cost(S, T, i0, di, j0, dj, prior[di, dj]) for i0, di, j0, dj in path)
    best = min(sum(model.cost(S, T, i0, di, j0, dj, p) for i0, di, j0, dj, p in path)
               for path in _paths(len(src), len(tgt), model.types))
    assert found == pytest.approx(best, abs=1e-9)
