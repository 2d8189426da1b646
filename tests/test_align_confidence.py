"""Bead confidence: a probability that the bead is right, lower where the texts disagree."""

from aligner.align import Bead, Block, align_blocks, align_sentences
from aligner.align.confidence import FEATURES, COEFFICIENTS, probability

from .helpers import long_text


def _verses(sentences):
    return [Block("verse", [s], key=f"v{k}") for k, s in enumerate(sentences)]


def test_a_shifted_run_of_keyed_verses_scores_below_every_right_verse():
    en, de = long_text()
    run = list(range(10, 16))
    shifted = list(de)
    for k, text in zip(run, [de[k] for k in run[1:] + run[:1]]):
        shifted[k] = text  # each verse of the run carries the next verse's text
    beads = align_blocks(_verses(en), _verses(shifted), "en", "de")
    assert [(b.src, b.tgt) for b in beads] == [((k,), (k,)) for k in range(len(en))]  # the keys force the pairs
    wrong = [b.score for b in beads if b.src[0] in run]
    right = [b.score for b in beads if b.src[0] not in run]
    assert max(wrong) < min(right), (wrong, right)
    assert max(wrong) < 0.5 <= min(right)  # low confidence: the review queue and the map show them


def test_scores_are_probabilities_and_fixed_beads_keep_theirs():
    en, de = long_text()
    fixed = [Bead((3,), (3,), 0.25)]
    beads = align_sentences(en, de, "en", "de", fixed=fixed)
    assert fixed[0] in beads
    assert all(0.0 <= b.score <= 1.0 for b in beads)
    bare = align_sentences(en, de, "en", "de", fixed=fixed, calibrate=False)
    assert [(b.src, b.tgt) for b in bare] == [(b.src, b.tgt) for b in beads]
    assert [b.score for b in bare] != [b.score for b in beads]


def test_a_kind_disagreement_and_a_stray_neighbour_lower_the_probability():
    x = dict(zip(FEATURES, (1.0, 0.95, 0.5, 5.0, 1.0, 0.0, 0.0, 0.0, 0.95, 0.0, 0.0, 4.0, 0.8, 0.0, 0.0)))
    assert len(x) == len(FEATURES) == len(COEFFICIENTS)
    base = probability(tuple(x.values()), COEFFICIENTS)
    assert probability(tuple({**x, "kind": 1.0}.values()), COEFFICIENTS) < 0.5 < base
    assert probability(tuple({**x, "stray": 1.0, "merge": 2.0}.values()), COEFFICIENTS) < base


def test_an_alignment_with_embeddings_is_scored_with_its_own_coefficients(monkeypatch):
    """Beads found with sentence embeddings are calibrated by the coefficients fitted on such beads."""
    from aligner.align import confidence
    from aligner.align.embed import Embedder

    from .test_align_embed import Concepts

    en, de = long_text()
    used = []
    real = confidence.probability

    def spy(x, coefficients=COEFFICIENTS):
        used.append(coefficients)
        return real(x, coefficients)

    monkeypatch.setattr("aligner.align.blocks.probability", spy)
    align_sentences(en, de, "en", "de")
    assert used and set(used) == {confidence.COEFFICIENTS}
    used.clear()
    align_sentences(en, de, "en", "de", embedder=Embedder(Concepts()))
    assert used and set(used) == {confidence.COEFFICIENTS_EMB} and confidence.COEFFICIENTS_EMB != COEFFICIENTS


def test_with_embeddings_a_shifted_run_of_keyed_verses_scores_below_every_right_verse():
    """Verses of one length each, so only what they say tells a shifted run: the embedding term is part of the
    evidence that a neighbouring verse's text fits better."""
    from aligner.align.embed import Embedder

    from .test_align_embed import Concepts

    letters = "abcdefgh"
    en = [" ".join(f"{c}xq{k}" for k in range(4)) + " ." for c in letters]
    es = [" ".join(f"{c}zw{k}" for k in range(4)) + " ." for c in letters]
    run = [3, 4, 5]
    shifted = list(es)
    for k, text in zip(run, [es[k] for k in run[1:] + run[:1]]):
        shifted[k] = text
    beads = align_blocks(_verses(en), _verses(shifted), "en", "es", embedder=Embedder(Concepts()))
    assert [(b.src, b.tgt) for b in beads] == [((k,), (k,)) for k in range(len(en))]
    wrong = [b.score for b in beads if b.src[0] in run]
    right = [b.score for b in beads if b.src[0] not in run]
    assert max(wrong) < 0.5 <= min(right), (wrong, right)


def _run_features(en, es, beads, embedder=None):
    """The observations of ``beads`` (a path chosen by the test) under the model the aligner builds for the texts."""
    from aligner.align.blocks import _partial_mode, _search
    from aligner.align.confidence import bead_features
    from aligner.align.options import resolve_options

    opts = resolve_options({})
    free = _partial_mode(en, es, False, opts)
    _, problem, model, _ = _search(en, es, "en", "es", opts, [], free,
                                   lambda p, m: [(0, len(en), 0, len(es), free)], embedder)
    return bead_features(beads, problem, model), model


def test_with_embeddings_a_sentence_paired_with_its_neighbours_translation_scores_low():
    """Debris in one sentence can draw the search into a run of beads each pairing a sentence with its
    neighbour's translation, of the same length (Text+Berg test5); the search found nothing better for the run,
    so its posteriors are sure. The embedding term shows it bead by bead: a neighbour's text fits better."""
    from aligner.align.confidence import coefficients_for
    from aligner.align.embed import Embedder

    from .test_align_embed import Concepts

    letters = "abcdefgh"
    en = [" ".join(f"{c}xq{k}" for k in range(4)) + " ." for c in letters]
    es = [" ".join(f"{c}zw{k}" for k in range(4)) + " ." for c in letters]
    right = [Bead((k,), (k,), 1.0) for k in range(3)]
    run = [Bead((3, 4), (3,), 1.0), Bead((5,), (4,), 1.0), Bead((6,), (5,), 1.0), Bead((7,), (6, 7), 1.0)]
    obs, model = _run_features(en, es, right + run, Embedder(Concepts()))
    swap = FEATURES.index("swap")
    assert [x[swap] for x in obs[:3]] == [0.0, 0.0, 0.0]
    assert all(x[swap] > 0 for x in obs[4:6]), obs[4:6]
    scores = [probability(x, coefficients_for(model)) for x in obs]
    assert max(scores[4:6]) < 0.5 <= min(scores[:3]), scores
    # without embeddings the texts say nothing more (no shared word): the observation stays 0
    plain, _ = _run_features(en, es, right + run)
    assert [x[swap] for x in plain] == [0.0] * len(plain)


def test_a_large_human_bead_beside_the_aligners_costs_no_pairwise_similarities(monkeypatch):
    """The neighbour-text observation of a bead sums its vectors: a human link may join any number of sentences,
    and comparing every pair of a 1,000:1,000 bead took 17 s."""
    from aligner.align.cost import Similarity
    from aligner.align.embed import Embedder

    from .test_align_embed import Concepts

    class Counting(Similarity):
        pairs = 0

        def sim(self, src, tgt):
            Counting.pairs += len(src) * len(tgt)
            return super().sim(src, tgt)

    monkeypatch.setattr("aligner.align.blocks.Similarity", Counting)
    letters = "abcdefgh"
    en = [" ".join(f"{c}xq{k}" for k in range(4)) + " ." for c in letters] * 40
    es = [" ".join(f"{c}zw{k}" for k in range(4)) + " ." for c in letters] * 40
    fixed = Bead(tuple(range(200)), tuple(range(200)), 1.0)
    beads = align_sentences(en, es, "en", "es", fixed=[fixed], embedder=Embedder(Concepts()))
    assert beads[0] == fixed
    assert Counting.pairs < 200 * 200
