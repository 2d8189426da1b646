"""The bead cost: how unlikely it is that these source sentences translate those target sentences.

The cost of a bead is the sum of

* a prior for its type (Gale & Church 1993: 1:1 is cheap, deletions dear);
* a length term: Gale & Church's ``-log P(delta)`` on character counts, with
  ``delta = (l2 - c*l1) / sqrt(s2 * (l1 + l2/c) / 2)``; ``c`` is estimated from
  the two texts (for a 1:0/0:1 bead: Gale & Church's delta of the one side,
  at half weight, and a "sentence" with fewer than three letters - OCR debris,
  a rule, a page number - is cheap to leave out);
* a lexical term from the anchors of :mod:`aligner.align.features`: an anchor
  shared by the two sides of a bead lowers its cost by a weight times its
  rarity (``-log`` of the share of sentences containing it); an unmatched
  number or punctuation mark raises it a little.

Costs are read as negative log probabilities, so the same model gives the
best path (:mod:`aligner.align.dp`) and each bead's posterior ``score``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .features import is_junk, raw_features, script, words_for_lexicon


class Side:
    """One side of an alignment problem at some resolution (possibly coarsened)."""

    __slots__ = ("lens", "feats", "junk", "starts", "cum", "_blocks", "atoms")

    def __init__(self, lens: list[int], feats: list[dict], junk: list[bool], starts: list[int]):
        self.lens = lens
        self.feats = feats  # list of {feature_id: count}
        self.junk = junk  # unit has (almost) no letters: OCR debris, rules, page numbers
        self.starts = starts  # index in the parent side of each unit's first sentence (len = n + 1)
        self.cum = [0]
        for x in lens:
            self.cum.append(self.cum[-1] + x)
        self._blocks: dict[tuple[int, int], tuple[dict, float]] = {}
        # prefix counts of units that may not be merged with others (special blocks); None = all mergeable
        self.atoms: list[int] | None = None

    def __len__(self) -> int:
        return len(self.lens)

    def coarsen(self) -> Side:
        lens, feats, junk, starts = [], [], [], []
        for i in range(0, len(self.lens), 2):
            lens.append(sum(self.lens[i : i + 2]))
            junk.append(all(self.junk[i : i + 2]))
            f: Counter = Counter()
            for d in self.feats[i : i + 2]:
                f.update(d)
            feats.append(dict(f))
            starts.append(self.starts[i])
        starts.append(self.starts[-1])
        return Side(lens, feats, junk, starts)


class Model:
    """Bead costs for one pair of sides."""

    def __init__(self, opts: dict, ratio: float, weights: dict[int, tuple[float, float]]):
        self.opts = opts
        self.ratio = ratio
        self.var = opts["variance"]
        # feature id -> (gain of a shared occurrence, penalty per unmatched occurrence);
        # the gain includes twice the penalty, see cost()
        self.weights = weights
        c10, c21, c22, c31 = opts["cost_1_0"], opts["cost_2_1"], opts["cost_2_2"], opts["cost_3_1"]
        types = [(1, 1, 0.0), (1, 0, c10), (0, 1, c10), (2, 1, c21), (1, 2, c21), (2, 2, c22)]
        if opts["max_side"] >= 3:
            types += [(3, 1, c31), (1, 3, c31)]
            cb = opts["cost_big"]
            if cb is not None:
                types += [(3, 2, cb), (2, 3, cb)]
                if opts["max_side"] >= 4:
                    types += [(4, 1, cb + 1), (1, 4, cb + 1)]
        self.types = types
        # coarse passes only need the rough path: the basic Gale-Church types
        self.coarse_types = [t for t in types if t[0] <= 2 and t[1] <= 2]
        self.junk_cost = opts["cost_junk"]
        self.del_scale = opts["del_length_scale"]

    def block(self, side: Side, i: int, k: int) -> tuple[dict, float, float]:
        """Merged features of units i..i+k-1, their total unmatched penalty and largest possible gain."""
        key = (i, k)
        b = side._blocks.get(key)
        if b is None:
            w = self.weights
            if k == 1:
                f = side.feats[i]
            else:
                c: Counter = Counter()
                for d in side.feats[i : i + k]:
                    c.update(d)
                f = dict(c)
            pen = 0.0
            top = 0.0
            for fid, cnt in f.items():
                g, p = w[fid]
                pen += cnt * p
                if g > 0:  # an upper bound of what sharing can gain (a clash marker gains less than nothing)
                    top += cnt * g
            b = (f, pen, top)
            side._blocks[key] = b
        return b

    def length_cost(self, l1: int, l2: int) -> float:
        if l1 == 0 or l2 == 0:
            # a deletion/insertion: Gale & Church's delta with the variance of the one side
            x = l1 * self.ratio + l2
            if x == 0:
                return 0.0
            return self.del_scale * _neg_log_two_tail(math.sqrt(x / self.var))
        mean = (l1 + l2 / self.ratio) / 2.0
        delta = (l2 - l1 * self.ratio) / math.sqrt(self.var * max(mean, 1.0))
        return _neg_log_two_tail(abs(delta))

    def cost(self, S: Side, T: Side, i0: int, di: int, j0: int, dj: int, prior: float,
             edge: bool = False) -> float:
        """Cost of the bead S[i0:i0+di] : T[j0:j0+dj].

        ``dp._dp`` and ``dp.posteriors`` have this written out for speed: change all three
        (``tests/test_align_dp.py`` compares both with this method).

        ``edge``: in partial mode, a bead at the start/end of the target whose one
        source unit may be only partly covered (its length counts up to the target's).
        """
        l1 = S.cum[i0 + di] - S.cum[i0]
        l2 = T.cum[j0 + dj] - T.cum[j0]
        if edge and l1 * self.ratio > l2:
            l1 = l2 / self.ratio
        if di + dj == 1 and (S.junk[i0] if di else T.junk[j0]):
            prior = self.junk_cost
        c = prior + self.length_cost(l1, l2)
        if di and dj:
            fs, ps, _ = self.block(S, i0, di)
            ft, pt, _ = self.block(T, j0, dj)
            if edge:
                ps = 0.0
            if fs and ft:
                shared = fs.keys() & ft.keys()
                if shared:
                    w = self.weights
                    gain = 0.0
                    for fid in shared:
                        a = fs[fid]
                        b = ft[fid]
                        gain += (a if a < b else b) * w[fid][0]
                    c += ps + pt - gain
                else:
                    c += ps + pt
            else:
                c += ps + pt
        return c


_SQRT2 = math.sqrt(2.0)


def _neg_log_two_tail(x: float) -> float:
    """-log(2 * (1 - Phi(x))) for x >= 0, stable for large x."""
    p = math.erfc(x / _SQRT2)
    if p > 1e-300:
        return -math.log(p)
    # asymptotic: erfc(z) ~ exp(-z^2) / (z sqrt(pi))
    z = x / _SQRT2
    return z * z + math.log(z * math.sqrt(math.pi))


def indel_costs(model: Model, side: Side, is_src: bool) -> list[float]:
    """Cost of a 1:0 (source side) or 0:1 (target side) bead for each unit of ``side``."""
    out = []
    c10, cj = model.types[1][2], model.junk_cost
    for ln, junk in zip(side.lens, side.junk):
        out.append((cj if junk else c10) + (model.length_cost(ln, 0) if is_src else model.length_cost(0, ln)))
    return out


# --------------------------------------------------------------------------
# building the problem


class Problem:
    """Features and weights for a pair of flat sentence lists."""

    def __init__(self, src: Sequence[str], tgt: Sequence[str], src_lang: str, tgt_lang: str, opts: dict,
                 lexicon: dict[str, set[str]] | None = None, base: Problem | None = None):
        self.opts = opts
        if base is None:
            cross = script(src) != script(tgt)
            self.raw_s = [raw_features(s, src_lang, cross) for s in src]
            self.raw_t = [raw_features(t, tgt_lang, cross) for t in tgt]
        else:  # the same texts again (with a lexicon): reuse the anchors found before
            self.raw_s, self.raw_t = base.raw_s, base.raw_t
        raw_s = [Counter(f) for f in self.raw_s] if lexicon else self.raw_s
        raw_t = [Counter(f) for f in self.raw_t] if lexicon else self.raw_t
        if lexicon:
            self._add_lexicon(src, tgt, raw_s, raw_t, lexicon)
        df_s: Counter = Counter()
        for f in raw_s:
            df_s.update(f.keys())
        df_t: Counter = Counter()
        for f in raw_t:
            df_t.update(f.keys())
        shared = set(df_s) & set(df_t)
        ids = {f: k for k, f in enumerate(sorted(shared))}
        # rarity is measured against at least ``min_doc_size`` sentences, so that in a
        # very short text a shared name still counts as rare
        n = max(len(src), opts["min_doc_size"], 1)
        m = max(len(tgt), opts["min_doc_size"], 1)
        weights: dict[int, tuple[float, float]] = {}
        cls_w = {
            "n": (opts["w_num"], opts["pen_num"]),
            "m": (opts["w_num"], opts["pen_num"]),
            "w": (opts["w_word"], opts["pen_word"]),
            "s": (opts["w_word"], opts["pen_word"]),
            "x": (opts["w_lex"], opts["pen_lex"]),
        }
        for f, k in ids.items():
            cls = f[0]
            if cls == "p":  # punctuation: counted, fixed weight
                pen = opts["pen_punct"]
                weights[k] = (opts["w_punct"] + 2 * pen, pen)
                continue
            w, pen = cls_w[cls]
            # a shared anchor counts by its rarity: -log q, with q the chance that a
            # random sentence of either side contains it
            q = min(1.0, max(df_s[f] / n, df_t[f] / m))
            weights[k] = (w * -math.log(q) + 2 * pen, pen)
        self.weights = weights
        self.src_feats = [{ids[f]: c for f, c in d.items() if f in ids} for d in raw_s]
        self.tgt_feats = [{ids[f]: c for f, c in d.items() if f in ids} for d in raw_t]
        # characters, outer whitespace ignored, plus one for the break after the sentence
        self.src_lens = [len(s.strip()) + 1 for s in src]
        self.tgt_lens = [len(t.strip()) + 1 for t in tgt]
        self.src_junk = [is_junk(s) for s in src]
        self.tgt_junk = [is_junk(t) for t in tgt]

    @staticmethod
    def _add_lexicon(src, tgt, raw_s, raw_t, lexicon):
        pair_id = {}
        for sw, tws in lexicon.items():
            for tw in tws:
                pair_id[(sw, tw)] = f"x:{sw}|{tw}"
        by_src: dict[str, list[str]] = {}
        by_tgt: dict[str, list[str]] = {}
        for (sw, tw), fid in pair_id.items():
            by_src.setdefault(sw, []).append(fid)
            by_tgt.setdefault(tw, []).append(fid)
        for text, f in zip(src, raw_s):
            for w in words_for_lexicon(text):
                for fid in by_src.get(w, ()):
                    f[fid] += 1
        for text, f in zip(tgt, raw_t):
            for w in words_for_lexicon(text):
                for fid in by_tgt.get(w, ()):
                    f[fid] += 1


def estimate_ratio(problem: Problem, opts: dict, partial: bool) -> float:
    if opts["length_ratio"]:
        return float(opts["length_ratio"])
    if partial:
        return 1.0
    a, b = sum(problem.src_lens), sum(problem.tgt_lens)
    if a == 0 or b == 0:
        return 1.0
    return b / a
