"""Two translations in one language: the overlap term keeps neighbouring verses apart.

The anchor gains of a bead add up, so a merged bead (2:2, 2:3) also collects the words one
verse shares with its neighbour's translation; in one language there are many (``much``,
``went``, ``disciples``), and the old cost merged two right 1:1 beads into a 2:2. The
overlap term (``w_overlap``) rewards each bead for the share of its anchors that the two
sides share, which merging does not raise, so two right beads earn it twice.

The texts are the King James Version and the World English Bible (both public domain),
one sentence a list item as the aligner's splitter cuts them.
"""

import pytest

from aligner.align import align_sentences
from aligner.align.cost import overlap_share, same_language

from .helpers import DE, EN, model_and_sides, pairs

# Mark 5.21-24
KJV_MARK_5 = [
    "And when Jesus was passed over again by ship unto the other side, much people gathered unto him: and he "
    "was nigh unto the sea.",
    "And, behold, there cometh one of the rulers of the synagogue, Jairus by name; and when he saw him, he fell "
    "at his feet,",
    "And besought him greatly, saying, My little daughter lieth at the point of death: I pray thee, come and "
    "lay thy hands on her, that she may be healed; and she shall live.",
    "And Jesus went with him; and much people followed him, and thronged him.",
]
WEB_MARK_5 = [
    "When Jesus had crossed back over in the boat to the other side, a great multitude was gathered to him; and "
    "he was by the sea.",
    "Behold, one of the rulers of the synagogue, Jairus by name, came; and seeing him, he fell at his feet",
    "and begged him much, saying, “My little daughter is at the point of death. Please come and lay your hands "
    "on her, that she may be made healthy, and live.”",
    "He went with him, and a great multitude followed him, and they pressed upon him on all sides.",
]
# Mark 14.13-16 (the WEB cuts verses 13 and 15 in two)
KJV_MARK_14 = [
    "And he sendeth forth two of his disciples, and saith unto them, Go ye into the city, and there shall meet "
    "you a man bearing a pitcher of water: follow him.",
    "And wheresoever he shall go in, say ye to the goodman of the house, The Master saith, Where is the "
    "guestchamber, where I shall eat the passover with my disciples?",
    "And he will shew you a large upper room furnished and prepared: there make ready for us.",
    "And his disciples went forth, and came into the city, and found as he had said unto them: and they made "
    "ready the passover.",
]
WEB_MARK_14 = [
    "He sent two of his disciples and said to them, “Go into the city, and there a man carrying a pitcher of "
    "water will meet you.",
    "Follow him,",
    "and wherever he enters in, tell the master of the house, ‘The Teacher says, “Where is the guest room, where "
    "I may eat the Passover with my disciples?”’",
    "He will himself show you a large upper room furnished and ready.",
    "Get ready for us there.”",
    "His disciples went out, and came into the city, and found things as he had said to them, and they "
    "prepared the Passover.",
]

CASES = [
    (KJV_MARK_5, WEB_MARK_5, [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3,), (3,))],
     [((0,), (0,)), ((1,), (1,)), ((2, 3), (2, 3))]),
    (KJV_MARK_14, WEB_MARK_14, [((0,), (0, 1)), ((1,), (2,)), ((2,), (3, 4)), ((3,), (5,))],
     [((0,), (0, 1)), ((1,), (2,)), ((2, 3), (3, 4, 5))]),
]


@pytest.mark.parametrize("src, tgt, verses, merged", CASES)
def test_same_language_translations_keep_neighbouring_verses_apart(src, tgt, verses, merged):
    assert pairs(align_sentences(src, tgt, "en", "en")) == verses
    assert pairs(align_sentences(src, tgt, "en", "en-GB")) == verses
    # without the term (the cost before it) the last two verses are merged into one bead
    assert pairs(align_sentences(src, tgt, "en", "en", w_overlap=0)) == merged


def test_the_overlap_term_is_off_between_languages():
    """Different languages: the model has no overlap term, whatever w_overlap says."""
    for w in (0.0, 16.0, 50.0):
        model, _, _ = model_and_sides(EN, DE, "en", "de", w_overlap=w)
        assert model.overlap == 0.0
    a = align_sentences(EN, DE, "en", "de")
    b = align_sentences(EN, DE, "en", "de", w_overlap=50.0)
    assert [(x.src, x.tgt, x.score) for x in a] == [(x.src, x.tgt, x.score) for x in b]
    model, _, _ = model_and_sides(EN, EN, "en", "en")
    assert model.overlap > 0


def test_overlap_term_in_the_bead_cost():
    """The term is w_overlap * (tau_overlap - 2 * shared / (both sides' anchor weight))."""
    model, S, T = model_and_sides(EN, EN, "en", "en", tau_overlap=0.25)
    plain, _, _ = model_and_sides(EN, EN, "en", "en", w_overlap=0.0)
    same = model.cost(S, T, 0, 1, 0, 1, 0.0) - plain.cost(S, T, 0, 1, 0, 1, 0.0)
    assert same == pytest.approx(model.overlap * (0.25 - 1.0))  # a sentence against itself shares everything
    _, _, top0 = model.block(S, 0, 1)
    _, _, top1 = model.block(T, 1, 1)
    cross = model.cost(S, T, 0, 1, 1, 1, 0.0) - plain.cost(S, T, 0, 1, 1, 1, 0.0)
    fs, _, _ = model.block(S, 0, 1)
    ft, _, _ = model.block(T, 1, 1)
    gain = sum(min(fs[f], ft[f]) * model.weights[f][0] for f in fs.keys() & ft.keys())
    assert cross == pytest.approx(model.overlap * (0.25 - overlap_share(gain, top0, top1)))


def test_overlap_share_and_language_codes():
    assert overlap_share(0.0, 0.0, 0.0) == 0.0
    assert overlap_share(3.0, 3.0, 3.0) == 1.0
    assert overlap_share(1.0, 3.0, 1.0) == 0.5
    assert same_language("en", "en-GB")
    assert same_language("EN_us", "en")
    assert not same_language("en", "de")
    assert not same_language("", "")
