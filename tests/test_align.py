"""The automatic sentence aligner: small deterministic cases and invariants."""

from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import Bead, Block, align_blocks, align_sentences, signature

LENGTHS_ONLY = dict(w_num=0, pen_num=0, w_word=0, w_punct=0, pen_punct=0, lexicon=False)

EN = [
    "The expedition left the village early in the morning.",
    "For three days the porters carried the loads up the valley.",
    "On the fourth day a storm forced everybody back to the tents.",
    "When the weather cleared, two climbers set out for the ridge.",
    "They reached the summit late in the afternoon and came down safely.",
    "The whole party returned home a month later.",
]
DE = [
    "Die Expedition verliess das Dorf frueh am Morgen.",
    "Drei Tage lang trugen die Traeger die Lasten das Tal hinauf.",
    "Am vierten Tag zwang ein Sturm alle zurueck in die Zelte.",
    "Als das Wetter aufklarte, brachen zwei Bergsteiger zum Grat auf.",
    "Sie erreichten den Gipfel spaet am Nachmittag und kamen sicher herunter.",
    "Die ganze Gruppe kehrte einen Monat spaeter nach Hause zurueck.",
]


def pairs(beads):
    return [(b.src, b.tgt) for b in beads]


NAMES = ["Amstutz", "Brunner", "Casparis", "Dufour", "Egger", "Fankhauser", "Gurtner", "Hofer", "Imboden",
         "Jossi", "Kaufmann", "Lauber", "Moser", "Nydegger", "Oberli", "Perren", "Rubi", "Steuri", "Theiler",
         "Urfer", "Vogt", "Wyss", "Zurbriggen", "Aufdenblatten", "Biner"]


def _long_text():
    en = [f"In {1900 + 3 * k} {NAMES[k]} led the party to camp {k + 2} below the ridge." for k in range(25)]
    de = [f"Im Jahr {1900 + 3 * k} fuehrte {NAMES[k]} die Gruppe zum Lager {k + 2} unter dem Grat." for k in range(25)]
    return en, de


def check_cover(beads, n, m):
    """Every index once, in order: the invariant of every result."""
    src = [i for b in beads for i in b.src]
    tgt = [j for b in beads for j in b.tgt]
    assert src == list(range(n))
    assert tgt == list(range(m))
    for b in beads:
        assert b.src or b.tgt
        assert 0.0 <= b.score <= 1.0
        assert list(b.src) == list(range(b.src[0], b.src[0] + len(b.src))) if b.src else True
        assert list(b.tgt) == list(range(b.tgt[0], b.tgt[0] + len(b.tgt))) if b.tgt else True


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
    en, de = _long_text()
    extra = ("Der Verfasser dankt an dieser Stelle allen Helfern, den Traegern aus dem Tal, den Freunden "
             "in der Heimat und der Stiftung, ohne deren grosszuegige Hilfe nichts moeglich gewesen waere.")
    de = de[:10] + [extra] + de[10:]
    beads = align_sentences(en, de, "en", "de")
    assert pairs(beads) == [((i,), (i,)) for i in range(10)] + [((), (10,))] + [((i,), (i + 1,)) for i in range(10, 25)]
    check_cover(beads, len(en), len(de))


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
    en, de = _long_text()
    part = de[12:16]
    beads = align_sentences(en, part, "en", "de", partial=True)
    check_cover(beads, len(en), len(part))
    assert [p for p in pairs(beads) if p[1]] == [((12,), (0,)), ((13,), (1,)), ((14,), (2,)), ((15,), (3,))]
    assert all(not b.tgt for b in beads if b.src and b.src[0] not in (12, 13, 14, 15))
    # a target this much shorter switches partial mode on by itself
    assert pairs(align_sentences(en, part, "en", "de")) == pairs(beads)


def test_numbers_pull_the_right_pairing_where_lengths_do_not():
    en = ["The first party turned back early in the season.", "Then came 1924.", "It was 1933.",
          "The next attempt ended in heavy new snow and wind."]
    de = ["Die erste Gruppe kehrte frueh in der Saison um.", "Es war 1933.",
          "Der naechste Versuch endete im tiefen Neuschnee."]
    with_anchors = pairs(align_sentences(en, de, "en", "de"))
    lengths_only = pairs(align_sentences(en, de, "en", "de", **LENGTHS_ONLY))
    assert ((2,), (1,)) in with_anchors
    assert ((1,), (1,)) in lengths_only


def test_cyrillic_latin_name_anchor():
    en = ["The letter was written in the morning.", "Lenin did not answer.", "Kropotkin was ill.",
          "The winter of that year was long and very hard."]
    ru = ["Письмо было написано утром.", "Кропоткин болел.", "Зима того года была долгой и очень тяжёлой."]

    def bead_of_ru1(beads):
        return next(b for b in beads if 1 in b.tgt)

    assert 2 in bead_of_ru1(align_sentences(en, ru, "en", "ru")).src
    assert 2 not in bead_of_ru1(align_sentences(en, ru, "en", "ru", **LENGTHS_ONLY)).src


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


def test_signature():
    sig = signature(w_num=2.0)
    assert sig["name"] == "aligner.align" and sig["version"]
    assert sig["options"]["w_num"] == 2.0
    import pytest

    with pytest.raises(TypeError):
        signature(no_such_option=1)


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
