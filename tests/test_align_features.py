"""Anchors that need no model: numbers and names across scripts pull beads where lengths alone do not."""

from aligner.align import align_sentences

from .helpers import pairs


LENGTHS_ONLY = dict(w_num=0, pen_num=0, w_word=0, w_punct=0, pen_punct=0, lexicon=False)


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
