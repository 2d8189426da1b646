"""The dynamic programme finds each bead type where it belongs, and scores confident beads high."""

from aligner.align import align_sentences

from .helpers import DE, EN, check_cover, long_text, pairs


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
