"""The dynamic programme finds each bead type where it belongs, and scores confident beads high."""

import pytest
from hypothesis import example, given, settings
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


def test_a_sentence_cut_at_a_semicolon_goes_with_the_next_where_the_translation_joins_them():
    """Lengths alone would put the 2:1 bead one sentence early; a bead that ends at a ';' on one side only
    costs ``cost_open_end`` more, so the sentence cut at the semicolon is joined with the one after it."""
    src = ["Cbd cfgbgc hcf cfcbc gfccbbc ccdd ghhc hcfd .", "Dfc dbdd gbghhdb ddfhd ffhc dbh fbgfd gbfbhc cbcfdgd .",
           "Dfbghdd fbc ggdcd hgbdh dcbhc fchbb gfbchgd fhfcb fdc hgch bcfdcb dcfgcg .", "Fhhdfd ffcbf chfdcbf gggdb ;",
           "Hghbd ghhdf hhddh gbfg dhdfd hhdddhd dchfdd cgccdfd hhh cggghf gghdh .", "Ccg ghcchc fcc cbd fcgb fdfhgb cchdbdf ."]
    tgt = ["Mkmppmp mlnnp mnllpnp llpkmr nkm pplmrpn nlnmnr nlppmr nmnkm .", "Nmlnk rpn mkln npp lnkln lrmmn nprprkk .",
           "Mmpr pmrpk mmrrpl kmp rkrplk npprrr nnnrrl nkmkr pmrnml nrpn plnpp krl kkrkm knrnkk .",
           "Lpr rlm llplnl plk , krnrkmk pkrnplk kmrpnn rmklr lprrp ppplm plm pllmn llrkrm .",
           "Prk kpp lnnnmk kprnkln rkkr llrpnm mmpr nnlrm rnmpk ."]
    right = [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3, 4), (3,)), ((5,), (4,))]
    assert pairs(align_sentences(src, tgt, "de", "fr")) == right
    early = [((0,), (0,)), ((1,), (1,)), ((2, 3), (2,)), ((4,), (3,)), ((5,), (4,))]
    assert pairs(align_sentences(src, tgt, "de", "fr", cost_open_end=0.0)) == early
    assert pairs(align_sentences(src, tgt, "de", "fr", cost_open_end=None)) == early  # None: off, as for other costs


@settings(max_examples=30, deadline=None)
@example(["Als das Wetter aufklarte, brachen zwei Bergsteiger zum Grat auf.",
          "Die ganze Gruppe kehrte einen Monat spaeter nach Hause zurueck."],
         ["Am vierten Tag zwang ein Sturm alle zurueck in die Zelte.",
          "Die ganze Gruppe kehrte einen Monat spaeter nach Hause zurueck.",
          "Drei Tage lang trugen die Traeger die Lasten das Tal hinauf.",
          "Am vierten Tag zwang ein Sturm alle zurueck in die Zelte."], ":")  # once ended on a 0:1 bead
@given(st.lists(st.sampled_from(EN + DE), min_size=2, max_size=6), st.lists(st.sampled_from(DE + EN), min_size=2, max_size=6),
       st.sampled_from([";", ":"]))
def test_a_cut_at_the_end_of_the_text_costs_nothing(src, tgt, mark):
    """The boundary after a text's last sentence is there whatever the alignment: its ';' or ':' weighs nothing."""
    src = src[:-1] + [src[-1].rstrip(".!?") + mark]
    tgt = tgt[:-1] + [tgt[-1].rstrip(".!?") + mark] if len(tgt) % 2 else tgt
    assert pairs(align_sentences(src, tgt, "en", "de")) == pairs(align_sentences(src, tgt, "en", "de", cost_open_end=0.0))


@settings(max_examples=40, deadline=None)
@example(["In 1924 we left."], ["Es war spät.", "Ja.", "Im Jahr 1924 gingen wir."], (True, True, False, False))
@given(st.lists(st.sampled_from(EN + ["In 1924 we left.", "It was late;"]), min_size=1, max_size=3),
       st.lists(st.sampled_from(DE + ["Im Jahr 1924 gingen wir.", "Ja.", "Es war spät;"]), min_size=1, max_size=4),
       st.sampled_from([(True, True, False, False), (False, False, True, True), (True, False, False, True)]))
def test_with_free_ends_the_best_path_is_the_cheapest_under_the_cost_model(src, tgt, free):
    """In partial mode a bead at a free end of the target may cover its one source sentence only in part: the
    search, the posteriors and Model.cost must agree on its cost (they once disagreed on its anchors)."""
    model, S, T = model_and_sides(src, tgt, "en", "de")
    path, _, _ = solve(model, S, T, free)
    prior = {(di, dj): p for di, dj, p in model.types}
    found = sum(_bead_cost(model, S, T, free, i0, di, j0, dj, prior[di, dj]) for i0, di, j0, dj in path)
    best = min(sum(_bead_cost(model, S, T, free, *b) for b in p) for p in _paths(len(src), len(tgt), model.types))
    assert found == pytest.approx(best, abs=1e-9)


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
@example([EN[0], EN[1]], [EN[0], EN[1] + " " + EN[0]], True)
@given(st.lists(st.sampled_from(EN + ["In 1924.", "* *", "It was late;"]), min_size=1, max_size=4),
       st.lists(st.sampled_from(DE + EN + ["Im Jahr 1924.", "Es war 1933.", "Es war spät;"]), min_size=1, max_size=4),
       st.booleans())
def test_the_best_path_is_the_cheapest_under_the_cost_model(src, tgt, same):
    """The DP writes the bead cost out for speed: it must still find the path Model.cost rates best (also
    with the overlap term of a same-language pair)."""
    model, S, T = model_and_sides(src, tgt, "en", "en" if same else "de")
    assert bool(model.overlap) == same
    path, _, _ = solve(model, S, T, (False, False, False, False))
    prior = {(di, dj): p for di, dj, p in model.types}
    found = sum(model.cost(S, T, i0, di, j0, dj, prior[di, dj]) for i0, di, j0, dj in path)
    best = min(sum(model.cost(S, T, i0, di, j0, dj, p) for i0, di, j0, dj, p in path)
               for path in _paths(len(src), len(tgt), model.types))
    assert found == pytest.approx(best, abs=1e-9)


def _bead_cost(model, S, T, free, i0, di, j0, dj, prior):
    """A bead's cost as the posteriors read it: Model.cost, or the skip cost at a free end."""
    n, m = len(S), len(T)
    fsl, fst, ftl, ftt = free
    i, j = i0 + di, j0 + dj
    if di == 1 and dj == 0 and ((j == 0 and fsl) or (j == m and fst)):
        return model.opts["skip_cost"]
    if di == 0 and dj == 1 and ((i == 0 and ftl) or (i == n and ftt)):
        return model.opts["skip_cost"]
    edge = di == 1 and dj > 0 and ((j == m and fst) or (j0 == 0 and fsl))
    return model.cost(S, T, i0, di, j0, dj, prior, edge)


def _brute_posteriors(model, S, T, lo, hi, path, free):
    """Each bead's posterior by enumerating every path inside the band: the sum of exp(-cost / temperature)
    over the paths that contain the bead, over that sum for all paths."""
    import math

    temp = model.opts["temperature"]
    weight = {}
    for p in _paths(len(S), len(T), model.types):
        if any(not lo[i] <= j <= hi[i] for i0, di, j0, dj, _ in p for i, j in ((i0, j0), (i0 + di, j0 + dj))):
            continue
        weight[tuple(b[:4] for b in p)] = sum(_bead_cost(model, S, T, free, *b) for b in p) / temp
    low = min(weight.values())
    total = sum(math.exp(low - w) for w in weight.values())
    return [sum(math.exp(low - w) for p, w in weight.items() if bead in p) / total for bead in path]


@settings(max_examples=40, deadline=None)
@example(["In 1924 we left.", EN[1], EN[2], "It was 1933."], [DE[1], "Es war 1933 und 1934."],
         (True, True, False, False), 1.0, False, False, False)  # partial: edge beads, a number left unmatched at an edge
@example(["Yes.", EN[3]], [DE[0], DE[3], "* *", "Ja."], (False, False, True, True), 0.7, True, False, False)
@example([EN[0], EN[1], "Yes."], [DE[0], DE[1] + " " + DE[2]], (False, False, False, False), 1.0, False, True, False)
@example([EN[0], EN[1], "In 1924."], [EN[1], EN[0] + " In 1924."], (False, False, True, True), 1.0, False, True, True)
@example(["It was late;", EN[1]], [DE[0] + " " + DE[1], "Ja;"], (False, False, False, False), 1.0, False, False, False)
@given(st.lists(st.sampled_from(EN + ["In 1924.", "* *", "Yes.", "It was late;"]), min_size=1, max_size=4),
       st.lists(st.sampled_from(DE + EN + ["Im Jahr 1924.", "Es war 1933.", "Ja.", "Es war spät;"]), min_size=1,
                max_size=4),
       st.sampled_from([(False, False, False, False), (True, True, False, False), (False, False, True, True)]),
       st.sampled_from([1.0, 0.7]), st.booleans(), st.booleans(), st.booleans())
def test_posteriors_are_those_of_every_path(src, tgt, free, temperature, narrow, embedded, same):
    """The forward-backward keeps each bead's cost from the forward pass for the backward pass: its posteriors
    must still be those of enumerating every path through the band under Model.cost (with a narrow band, with
    the embedding term and with the overlap term of a same-language pair, too)."""
    from aligner.align.dp import path_band, posteriors

    model, S, T = model_and_sides(src, tgt, "en", "en" if same else "de", temperature=temperature, embedded=embedded)
    n, m = len(src), len(tgt)
    path, lo, hi = solve(model, S, T, free)
    if narrow:
        lo, hi = path_band(path, n, m, 1)
    got = posteriors(model, S, T, lo, hi, path, free)
    want = _brute_posteriors(model, S, T, lo, hi, [b[:4] for b in path], free)
    assert got == pytest.approx(want, abs=1e-9)
