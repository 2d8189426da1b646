"""The aligner's entry points: fixed beads, partial targets, structured texts, and the invariants of every result."""

from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import Bead, Block, align_blocks, align_sentences

from .helpers import DE, EN, check_cover, long_text, pairs


def test_fixed_beads_are_kept_and_only_gaps_aligned():
    fixed = [Bead((1, 2), (1,), 1.0), Bead((4,), (), 1.0)]
    beads = align_sentences(EN, DE, "en", "de", fixed=fixed)
    assert fixed[0] in beads and fixed[1] in beads
    assert pairs(beads)[0] == ((0,), (0,))
    check_cover(beads, len(EN), len(DE))


def test_fixed_beads_that_cross_are_rejected():
    import pytest

    with pytest.raises(ValueError):
        align_sentences(EN, DE, fixed=[Bead((1,), (3,)), Bead((3,), (1,))])


def test_partial_target_lands_in_place_with_empty_slots_around():
    en, de = long_text()
    part = de[12:16]
    beads = align_sentences(en, part, "en", "de", partial=True)
    check_cover(beads, len(en), len(part))
    assert [p for p in pairs(beads) if p[1]] == [((12,), (0,)), ((13,), (1,)), ((14,), (2,)), ((15,), (3,))]
    assert all(not b.tgt for b in beads if b.src and b.src[0] not in (12, 13, 14, 15))
    # a target this much shorter switches partial mode on by itself
    assert pairs(align_sentences(en, part, "en", "de")) == pairs(beads)


def test_blocks_keys_are_hard_anchors_and_kinds_match():
    src = [
        Block("dateline", ["Dmitrov, 4 March 1920"]),
        Block("salutation", ["Esteemed Vladimir Ilich,"]),
        Block("paragraph", EN[:3]),
        Block("paragraph", EN[3:]),
        Block("signature", ["P. Kropotkin"]),
    ]
    tgt = [
        Block("salutation", ["Уважаемый Владимир Ильич!"]),
        Block("paragraph", DE[:3] + DE[3:]),  # two paragraphs joined in the translation
        Block("signature", ["П. Кропоткин"]),
    ]
    beads = align_blocks(src, tgt, "en", "de")
    check_cover(beads, 1 + 1 + 6 + 1, 1 + 6 + 1)
    p = pairs(beads)
    assert ((0,), ()) in p  # the dateline has no counterpart
    assert ((1,), (0,)) in p  # salutation to salutation
    assert ((8,), (7,)) in p  # signature to signature
    assert [x for x in p if x[0] and 2 <= x[0][0] <= 7] == [((i + 2,), (i + 1,)) for i in range(6)]


def test_blocks_with_equal_keys_never_cross():
    src = [Block("verse", [s], key=f"v{k}") for k, s in enumerate(EN)]
    # the target lacks v2 and has one long verse: keys keep everything in place
    tgt = [Block("verse", [s], key=f"v{k}") for k, s in enumerate(DE) if k != 2]
    tgt[3].sentences = [DE[4] + " " + DE[4]]
    beads = align_blocks(src, tgt, "en", "de")
    p = pairs(beads)
    assert ((2,), ()) in p
    assert ((4,), (3,)) in p
    check_cover(beads, len(src), len(tgt))


def test_empty_sides():
    assert pairs(align_sentences([], ["a"])) == [((), (0,))]
    assert pairs(align_sentences(["a", "b"], [])) == [((0,), ()), ((1,), ())]
    assert align_sentences([], []) == []


_sentence = st.text(alphabet="abc XYZ019.?«»", min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(_sentence, max_size=12), st.lists(_sentence, max_size=12), st.booleans(), st.data())
def test_cover_and_monotone_property(src, tgt, partial, data):
    fixed = []
    if src and tgt and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(src) - 1))
        j = data.draw(st.integers(0, len(tgt) - 1))
        fixed = [Bead((i,), (j,), 1.0)]
    beads = align_sentences(src, tgt, partial=partial, fixed=fixed, window=2, full_dp_cells=20)
    check_cover(beads, len(src), len(tgt))
    for b in fixed:
        assert b in beads
