"""Every knob of the aligner, with its default, and the signature that records them.

The options are read by the cost model (priors, length model, anchor weights),
the search (band widths, posterior temperature) and the structure pass (kind
weights); keeping them in one table lets :func:`align_signature` put the
effective values into a corpus's build signature, so a database says which
aligner settings made its automatic alignments.
"""

from __future__ import annotations

NAME = "aligner.align"
#: 6: with embeddings, each bead's score also weighs how well its neighbours' texts fit (the beads are those of 5).
VERSION = "6"

DEFAULT_OPTIONS: dict = {
    # priors: cost of each bead type relative to 1:1, about -log(P(type) / P(1:1))
    "cost_1_0": 4.5,  # 1:0 and 0:1
    "cost_2_1": 2.3,  # 2:1 and 1:2
    "cost_2_2": 4.4,
    "cost_3_1": 5.5,  # 3:1 and 1:3
    "cost_big": 5.0,  # 3:2 and 2:3 (4:1 and 1:4 cost one more); None = not allowed
    "max_side": 4,  # largest group on one side: 2, 3 or 4
    # a bead whose last sentence ends with ';' or ':' on one side and not on the other: the segmenter cut
    # there, the translation probably goes on (Text+Berg dev: 37 % of sentences ending in ':' and 74 % of
    # those ending in ';' are not the last of their side of a gold bead, against 15 % of the others).
    # Dev strict F1 0.928 -> 0.933 (0.5: 0.928, 1.5: 0.929, 2.0: 0.920); test0-6 0.880 -> 0.886
    "cost_open_end": 1.0,
    "cost_open_end_emb": 0.0,  # used instead with embeddings: dev 0.928 at 0, 0.923 at 0.5 and 1.0
    "cost_junk": 0.5,  # prior of a 1:0/0:1 bead whose sentence has fewer than three letters
    # Gale-Church length model
    "variance": 6.8,
    "length_ratio": None,  # target chars per source char; None = estimate from the texts
    "del_length_scale": 0.5,  # weight of the length term of a 1:0/0:1 bead
    # anchors: weight of a shared anchor (times its log-rarity), penalty for an unmatched one
    "w_num": 3.0,  # numbers, Roman numerals, month names
    "pen_num": 1.0,
    "w_word": 1.0,  # shared 4-letter prefixes; names across scripts
    "pen_word": 0.0,
    "min_doc_size": 20,
    "w_punct": 1.0,  # ? ! quotes brackets colon (per occurrence)
    "pen_punct": 0.5,
    "lexicon": True,  # learn word pairs from a first pass and realign (hunalign's -realign)
    "w_lex": 0.3,
    "pen_lex": 0.0,
    "lexicon_min_count": 2,
    "lexicon_min_dice": 0.3,
    # IBM Model 1 learnt from the first pass's confident 1:1 beads (Moore 2002), a term of the realign pass:
    # -w_m1 * the log-likelihood ratio of the bead's words under Model 1 (both directions, averaged),
    # interpolated with the unigram (m1_lambda). On Text+Berg dev 0.919 -> 0.928 (test0-6: 0.863 -> 0.880).
    # The default since aligner version 4, once the 10,000-sentence pair fitted in 40 s and 300 MB with it
    # (aligner/align/model1.py, benchmarks/README.md); with embeddings added to their term (w_m1_emb)
    "m1": True,
    "w_m1": 1.0,
    "m1_lambda": 0.5,
    "m1_iters": 5,  # EM iterations
    "m1_min_count": 2,  # rarer words (in the training beads) are ignored
    "m1_min_score": 0.5,  # training beads: 1:1 beads of the first pass with at least this posterior
    "m1_max_beads": 5000,  # a fixed sample of them beyond this
    "m1_max_pairs": 2_000_000,  # and beyond this many word pairs (training's memory: 68 MB for 1.5 million)
    "m1_prefix": 0,  # words cut to this many letters; 0 = whole words
    "m1_min_group": 8,  # used only if some group aligned on its own (all of a plain text) has this many
    # sentences a side: verses paired by their keys gain nothing from it (KJV-RV1909 four books keyed took
    # 7.2 s instead of 1.9 s with it, for the same 1.000)
    "m1_window": 3,  # with Model 1: half-width of the realign pass's band around the first pass's path
    "m1_window_emb": 1,  # the same with embeddings, whose first pass is surer: on Text+Berg dev 3, 2 and 1 give the
    # same beads (and on test0-6); 1 makes a re-alignment with cached vectors cost no more than one without them
    # with embeddings, the Model 1 term added to theirs in a realign pass at this weight (0 = not used with
    # embeddings). Text+Berg dev: w 0.3 / 0.5 0.928 (embeddings alone: 0.928), 1.0 0.925, 2.0 0.920;
    # test0-6 with 0.5: 0.898 -> 0.9005 (benchmarks/README.md)
    "w_m1_emb": 0.5,
    # same-language pairs (two translations in one language, KJV against WEB): each bead's cost gets
    # w_overlap * (tau_overlap - share), share = 2 * shared anchor weight / (both sides' anchor weight), a
    # rarity-weighted Dice over the anchors (cost.overlap_share). The anchor gains add up, so a merged bead
    # (2:2, 2:3) also collects the words that one verse shares with its neighbour's translation, which in one
    # language are many; the share does not grow by merging, and a bead earns it once: two right 1:1 beads
    # earn it twice. Never used when the languages differ (their costs are exactly those without), nor in
    # the structure pass of align_blocks. Chosen on the KJV-WEB tuning books (Mark, Gen, Ps, Matt, Rom;
    # benchmarks/README.md): strict F1 0.973 -> 0.992, flat for w_overlap 12-24; a positive tau_overlap
    # (a bead must share that much to earn anything) did worse (0.3: 0.987)
    "w_overlap": 16.0,  # 0 = off
    "tau_overlap": 0.0,
    # structure (align_blocks): a special kind (dateline, salutation...) meeting its own kind
    "w_kind": 3.0,
    "pen_kind": 5.0,
    "cost_kind_clash": 20.0,  # two special blocks of different kinds (title against dateline) in one bead
    # sentence embeddings (aligner/align/embed.py; only when an embedder is given): a bead's cost gets
    # w_emb * (tau_emb - sim), sim = margin-corrected cosine of the summed vectors (cost.Similarity)
    # (tuned on Text+Berg dev only: benchmarks/README.md)
    "w_emb": 60.0,
    "tau_emb": 0.02,
    "emb_lexicon": False,  # the lexicon pass with embeddings too (on dev it bought nothing and doubles the time;
    # with Model 1 on, w_m1_emb > 0, it runs anyway, for the Model 1 term)
    "emb_full_dp_cells": 5000,  # full_dp_cells with embeddings: their band is as good on dev, and half the time
    # search
    "window": 8,  # half-width of the band around the projected coarse path
    "full_dp_cells": 60000,  # below this many cells the whole matrix is searched
    "temperature": 1.0,  # for the posterior bead scores
    "calibrate": True,  # bead score = calibrated probability (align/confidence.py); False = the bare posterior
    "score_window": 3,  # half-width of the band in which bead posteriors are computed
    # partial (semi-global) alignment: cost of skipping one leading/trailing sentence
    "skip_cost": 0.05,
    "auto_partial": True,
    "auto_partial_ratio": 2.5,  # length ratio beyond which partial mode turns on by itself
}


def resolve_options(options: dict) -> dict:
    """The defaults overridden by ``options``; an unknown option is a ``TypeError``."""
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(f"unknown aligner option(s): {', '.join(sorted(unknown))}")
    opts = dict(DEFAULT_OPTIONS)
    opts.update(options)
    return opts


def align_signature(**options) -> dict:
    """Name, version and effective options of the aligner, for a build signature."""
    return {"name": NAME, "version": VERSION, "options": resolve_options(options)}
