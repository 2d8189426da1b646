"""The bead cost: shared anchors make a bead cheaper, debris is cheap to leave out."""

from .helpers import DE, EN, model_and_sides


def test_a_shared_rare_number_lowers_the_cost_of_a_bead():
    src = EN + ["It was 1933."]
    tgt = DE + ["Es war 1933."]
    k = len(EN)
    with_anchors, S, T = model_and_sides(src, tgt)
    lengths_only, S0, T0 = model_and_sides(src, tgt, w_num=0, pen_num=0, w_word=0, w_punct=0, pen_punct=0)
    anchored = with_anchors.cost(S, T, k, 1, k, 1, 0.0)
    plain = lengths_only.cost(S0, T0, k, 1, k, 1, 0.0)
    assert plain - anchored > 3.0  # w_num times the number's log-rarity, about 3 * log(20)


def test_a_sentence_without_letters_is_cheap_to_leave_out():
    src = EN[:2] + ["* * * 12"] + EN[2:]
    model, S, T = model_and_sides(src, DE)
    prior = model.opts["cost_1_0"]
    debris = model.cost(S, T, 2, 1, 2, 0, prior)
    sentence = model.cost(S, T, 3, 1, 2, 0, prior)
    assert debris < prior < sentence  # without the debris rule it would cost the prior and more
