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


# ---------------------------------------------------------------------------
# partial texts and special kinds: the seed against the real opening of letter 2


def _seed_and(text: str, lang: str):
    from .helpers import SEED, text_blocks

    src = text_blocks(SEED.read_text("utf-8"), "en")
    tgt = text_blocks(text, lang)
    flat_s = [(b.kind, s) for b in src for s in b.sentences]
    flat_t = [(b.kind, s) for b in tgt for s in b.sentences]
    return src, tgt, flat_s, flat_t


def test_a_title_is_never_paired_with_a_dateline():
    from .helpers import shared_file

    src, tgt, fs, ft = _seed_and(shared_file("texts", "kropotkin-letter2-opening.ru.txt").read_text("utf-8"), "ru")
    assert ft[0][0] == "title"
    beads = align_blocks(src, tgt, "en", "ru")
    check_cover(beads, len(fs), len(ft))
    title = next(b for b in beads if 0 in b.tgt)
    # The Russian title has no English counterpart: it stays unaligned, not on the English dateline.
    assert title.src == (), [fs[i] for i in title.src]
    paired = [b for b in beads if b.src and b.tgt]
    assert all(fs[i][0] == ft[j][0] for b in paired for i in b.src for j in b.tgt)
    assert [ft[j][0] for b in paired for j in b.tgt][:2] == ["salutation", "paragraph"]


def test_an_excerpt_lands_where_it_belongs_with_its_dateline_whole():
    from .helpers import ROOT

    es = (ROOT / "tests" / "data" / "kropotkin-letter2-excerpt.es.txt").read_text("utf-8")
    # the two-line dateline as a Spanish edition prints it, "Dmitrov" alone on its line
    es = "Dmitrov\n21 de diciembre de 1920\n\n" + es.split("\n\n", 1)[1]
    src, tgt, fs, ft = _seed_and(es, "es")
    beads = align_blocks(src, tgt, "en", "es")
    check_cover(beads, len(fs), len(ft))
    first = next(b for b in beads if 0 in b.tgt)
    assert [fs[i][0] for i in first.src] == ["dateline"] and "21 December, 1920" in fs[first.src[0]][1]
    assert first.tgt == (0,) and ft[0][1].startswith("Dmitrov")
    # nothing of the excerpt goes to the pivot's first blocks or to a signature it does not have
    for b in beads:
        if b.tgt and b.src:
            assert all(fs[i][0] not in ("signature", "title", "byline", "source") for i in b.src)
            assert min(b.src) > fs.index(next(x for x in fs if "21 December, 1920" in x[1])) - 1


def test_an_excerpt_without_its_heading_starts_mid_letter():
    from .helpers import ROOT

    es = (ROOT / "tests" / "data" / "kropotkin-letter2-excerpt.es.txt").read_text("utf-8")
    es = es.split("\n\n", 2)[2]  # from the second paragraph of the letter on
    src, tgt, fs, ft = _seed_and(es, "es")
    beads = align_blocks(src, tgt, "en", "es")
    first = next(b for b in beads if 0 in b.tgt)
    assert fs[first.src[0]][1].startswith("Is there really no one around you")


def test_a_keyed_pivot_meets_a_plain_version_sentence_by_sentence():
    en, de = long_text()
    keyed = [Block("verse", [s], key=f"1.{k + 1}", division=1 + k // 5) for k, s in enumerate(en)]
    plain = [Block("paragraph", de[k : k + 5], None, 0) for k in range(0, len(de), 5)]  # chapters as paragraphs
    for src, tgt in ((keyed, plain), (plain, keyed)):
        beads = align_blocks(src, tgt, "en", "de")
        check_cover(beads, len(en), len(de))
        assert pairs(beads) == [((k,), (k,)) for k in range(len(en))]


def test_a_link_inside_a_paragraph_the_translation_splits_does_not_pair_the_paragraphs_whole():
    """A human link of a paragraph's first sentence anchored its whole block to the translation's first
    paragraph, and the second paragraph's sentences were left unaligned."""
    src = [Block("paragraph", ["One long first sentence here.", "A second one follows it.",
                               "The third sentence is here.", "And a fourth closes it."]),
           Block("paragraph", ["A new paragraph begins.", "It ends with this."])]
    tgt = [Block("paragraph", ["Una larga primera frase aquí.", "Una segunda la sigue."]),
           Block("paragraph", ["La tercera frase está aquí.", "Y una cuarta la cierra."]),
           Block("paragraph", ["Un párrafo nuevo empieza.", "Termina con esto."])]
    beads = align_blocks(src, tgt, "en", "es", fixed=[Bead((0,), (0,), 1.0)])
    assert [(b.src, b.tgt) for b in beads] == [((k,), (k,)) for k in range(6)]


def test_keyed_verses_and_human_links_anchor_together():
    """Human links on some verses and equal keys on the others: every verse keeps its partner, each once."""
    en, de = long_text()
    src = [Block("verse", [s], key=f"v{k}") for k, s in enumerate(en)]
    tgt = [Block("verse", [s], key=f"v{k}") for k, s in enumerate(de)]
    fixed = [Bead((2,), (2,), 1.0), Bead((5,), (5,), 1.0), Bead((6,), (6,), 1.0)]
    beads = align_blocks(src, tgt, "en", "de", fixed=fixed)
    assert [(b.src, b.tgt) for b in beads] == [((k,), (k,)) for k in range(len(en))]
