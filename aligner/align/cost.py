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
  number or punctuation mark raises it a little;
* for two texts in the same language (two English translations), ``w_overlap * (tau_overlap - share)``:
  ``share`` is the part of the bead's anchor weight that both sides have (a Dice coefficient over the
  anchors, weighted like them: :func:`overlap_share`). The anchor gains add up, so a merged bead also
  collects what one sentence shares with its neighbour's counterpart, and in one language that is a lot
  (KJV against WEB merged neighbouring verses into 2:2 and 2:3 beads); the share does not grow by
  merging, and each bead earns it, so two right 1:1 beads earn it twice. Off between languages;
* ``cost_open_end`` when the bead's last sentence ends with ``;`` or ``:`` on one side and not on the
  other (for a 1:0/0:1 bead: when its sentence does): a segmenter that cuts at semicolons and colons
  leaves sentences a translation often joins with the next one, and a bead boundary right after such a
  cut, not matched by one on the other side, is less likely. Sentence sides only (``Side.open``);
* with sentence embeddings (the ``embeddings`` extra, :mod:`aligner.align.embed`),
  ``w_emb * (tau_emb - sim)``: ``sim`` is the cosine of the summed sentence vectors
  of the two sides, less each side's mean cosine to the other text (sentences that
  are close to everything, "hubs", earn nothing for it): :class:`Similarity`.

Costs are read as negative log probabilities, so the same model gives the
best path (:mod:`aligner.align.dp`) and each bead's posterior ``score``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence

from .features import is_junk, raw_features, script, words_for_lexicon


class Side:
    """One side of an alignment problem at some resolution (possibly coarsened)."""

    __slots__ = ("lens", "feats", "junk", "starts", "cum", "_blocks", "_sums", "atoms", "ids", "open")

    def __init__(self, lens: list[int], feats: list[dict], junk: list[bool], starts: list[int],
                 ids: list[int] | None = None):
        self.lens = lens
        self.feats = feats  # list of {feature_id: count}
        self.junk = junk  # unit has (almost) no letters: OCR debris, rules, page numbers
        self.starts = starts  # index in the parent side of each unit's first sentence (len = n + 1)
        self.cum = [0]
        for x in lens:
            self.cum.append(self.cum[-1] + x)
        self._blocks: dict[int, tuple[dict, float, float]] = {}  # Model.block of single units
        self._sums: dict[int, array] = {}  # Model.block's penalty and gain of larger blocks, per size
        # prefix counts of units that may not be merged with others (special blocks); None = all mergeable
        self.atoms: list[int] | None = None
        # the sentence index (in the problem's flat lists) of each unit, when units are sentences: what the
        # embedding term looks vectors up by; None for coarsened sides and blocks (no embedding term there)
        self.ids = ids
        # per sentence unit: 1 if it ends with ';' or ':' (cost_open_end); the last unit of a range is 0, the
        # boundary after it being forced
        self.open: list[int] | None = None

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

    def __init__(self, opts: dict, ratio: float, weights: dict[int, tuple[float, float]],
                 emb: Similarity | None = None, overlap: float = 0.0):
        self.opts = opts
        self.emb = emb  # the embedding term, or None (no embeddings: the costs are exactly those without)
        # the overlap term of a same-language pair, overlap * (tau_overlap - share of the bead's anchor
        # weight that the two sides share); 0 = off (different languages: the costs are exactly those without)
        self.overlap = overlap
        self.tau_overlap = opts["tau_overlap"]
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
        self.open_cost = opts["cost_open_end"] or 0.0
        self.del_scale = opts["del_length_scale"]

    def block(self, side: Side, i: int, k: int) -> tuple[dict, float, float]:
        """Merged features of units i..i+k-1, their total unmatched penalty and largest possible gain.

        Kept for single units; of a larger block only the penalty and the gain are kept, its features merged
        again when asked for (a few dict operations): the search asks for each larger block once or twice
        per pass, and on a long text keeping all their features took most of its memory (100 MB of 10,000
        sentences a side)."""
        if k == 1:
            b = side._blocks.get(i)
            if b is not None:
                return b
            f = side.feats[i]
        else:  # the counts added up, in the order a Counter would keep them
            f = dict(side.feats[i])
            for d in side.feats[i + 1 : i + k]:
                common = f.keys() & d.keys()
                if common:
                    old = {x: f[x] for x in common}
                    f.update(d)
                    for x, c in old.items():
                        f[x] += c
                else:
                    f.update(d)
            kept = side._sums.get(k)
            if kept is None:
                kept = side._sums[k] = array("d", [math.nan]) * (2 * len(side.lens))
            pen = kept[2 * i]
            if pen == pen:
                return f, pen, kept[2 * i + 1]
        w = self.weights
        pen = 0.0
        top = 0.0
        for fid, cnt in f.items():
            g, p = w[fid]
            pen += cnt * p
            if g > 0:  # an upper bound of what sharing can gain (a clash marker gains less than nothing)
                top += cnt * g
        if k == 1:
            b = side._blocks[i] = (f, pen, top)
            return b
        kept[2 * i] = pen
        kept[2 * i + 1] = top
        return f, pen, top

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
        source unit may be only partly covered: if it is longer than the target, its length counts up to the
        target's and its unmatched anchors are not counted (they may lie in the part not covered).
        """
        l1 = S.cum[i0 + di] - S.cum[i0]
        l2 = T.cum[j0 + dj] - T.cum[j0]
        edge = edge and l1 * self.ratio > l2
        if edge:
            l1 = l2 / self.ratio
        if di + dj == 1 and (S.junk[i0] if di else T.junk[j0]):
            prior = self.junk_cost
        c = prior + self.length_cost(l1, l2)
        if di and dj:
            fs, ps, gs = self.block(S, i0, di)
            ft, pt, gt = self.block(T, j0, dj)
            if edge:
                ps = 0.0
            gain = 0.0
            if fs and ft:
                shared = fs.keys() & ft.keys()
                if shared:
                    w = self.weights
                    for fid in shared:
                        a = fs[fid]
                        b = ft[fid]
                        gain += (a if a < b else b) * w[fid][0]
                    c += ps + pt - gain
                else:
                    c += ps + pt
            else:
                c += ps + pt
            if self.overlap:
                c += self.overlap * (self.tau_overlap - overlap_share(gain, gs, gt))
            if self.emb is not None and S.ids is not None and T.ids is not None:
                c += self.emb.cost(S.ids, i0, di, T.ids, j0, dj)
        if self.open_cost and S.open is not None and T.open is not None:
            os_ = S.open[i0 + di - 1] if di else 0
            ot = T.open[j0 + dj - 1] if dj else 0
            if os_ != ot:
                c += self.open_cost
        return c


class Similarity:
    """The embedding term of a bead's cost: ``w_emb * (tau_emb - sim)``.

    ``sim`` is the cosine of the sums of the sentence vectors on each side of the bead (so a 2:1 bead
    is judged as the two sentences read together, as Vecalign does with concatenations), less each
    side's mean cosine to the sentences of the other text: a sentence close to everything (short, formulaic)
    is a "hub" and should not win every bead (the margin correction of Artetxe & Schwenk). The mean cosine
    to the other text is taken against its mean vector, which is what averaging over random
    sentences of it estimates, without the randomness.

    Everything is computed from dot products of unit vectors: the cross products ``s_i . t_j`` lazily,
    a row segment at a time (numpy for the real model, plain Python for small test vectors), and the
    products of neighbouring sentences of one side once, so a bead costs a few additions.
    """

    def __init__(self, src_vecs: Sequence, tgt_vecs: Sequence, w: float, tau: float):
        self.w, self.tau = w, tau
        self.np = None
        if src_vecs and hasattr(src_vecs[0], "dtype"):
            import numpy as np  # only here when the embeddings extra is installed and in use

            self.np = np
            S = np.asarray(src_vecs, dtype=np.float32).reshape(len(src_vecs), -1)
            T = np.asarray(tgt_vecs, dtype=np.float32).reshape(len(tgt_vecs), -1)
            S /= np.maximum(np.linalg.norm(S, axis=1, keepdims=True), 1e-9)
            T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-9)
            self.S, self.T = S, T
            t_mean = T.mean(axis=0) if len(T) else np.zeros(S.shape[1], np.float32)
            s_mean = S.mean(axis=0) if len(S) else np.zeros(T.shape[1], np.float32)
            self.a = (S @ t_mean).tolist()  # s_i . mean(t): sum over a side, divided by its norm = mean cosine
            self.b = (T @ s_mean).tolist()
        else:
            self.S = [_unit(v) for v in src_vecs]
            self.T = [_unit(v) for v in tgt_vecs]
            dim = len(self.S[0]) if self.S else (len(self.T[0]) if self.T else 0)
            t_mean = [sum(v[k] for v in self.T) / len(self.T) for k in range(dim)] if self.T else [0.0] * dim
            s_mean = [sum(v[k] for v in self.S) / len(self.S) for k in range(dim)] if self.S else [0.0] * dim
            self.a = [_dot(v, t_mean) for v in self.S]
            self.b = [_dot(v, s_mean) for v in self.T]
        self._pref: dict[int, tuple[int, list[float]]] = {}  # row i: (first column, prefix sums of s_i . t_j)
        self._self: dict[tuple[int, int, int], float] = {}
        self._groups: dict[tuple[int, int, int], tuple[float, float]] = {}

    def floor(self) -> float:
        """The least the term can be: ``sim`` is a cosine (at most 1) less the mean of two cosines (at least
        -1 each), so at most 2."""
        return min(self.w * (self.tau - 2.0), self.w * (self.tau + 2.0))

    def _cross(self, i: int, j0: int, dj: int) -> float:
        """``s_i . (t_j0 + ... + t_j0+dj-1)`` from prefix sums along row i, computed a row segment at a
        time around where the DP asks (its band)."""
        r = self._pref.get(i)
        if r is not None:
            k = j0 - r[0]
            if k >= 0 and k + dj < len(r[1]):
                return r[1][k + dj] - r[1][k]
        a = max(0, j0 - 32)  # the band is about 2 * window wide and moves forward: 128 columns hold it
        b = min(len(self.T), j0 + dj + 96)
        if self.np is not None:
            row = self.np.concatenate(([0.0], self.np.cumsum(self.T[a:b] @ self.S[i], dtype=self.np.float64))).tolist()
        else:
            s = self.S[i]
            row = [0.0]
            for t in self.T[a:b]:
                row.append(row[-1] + _dot(s, t))
        self._pref[i] = (a, row)
        return row[j0 + dj - a] - row[j0 - a]

    def dot(self, i: int, j: int) -> float:
        """``s_i . t_j``."""
        return self._cross(i, j, 1)

    def _pair(self, side: int, i: int, k: int) -> float:
        key = (side, i, k)
        v = self._self.get(key)
        if v is None:
            M = self.S if side == 0 else self.T
            v = float(M[i] @ M[k]) if self.np is not None else _dot(M[i], M[k])
            self._self[key] = v
        return v

    def _group(self, side: int, first: int, k: int) -> tuple[float, float]:
        """Norm of the sum of sentences ``first..first+k-1`` of one side, and its mean cosine to the other text."""
        key = (side, first, k)
        g = self._groups.get(key)
        if g is None:
            ids = range(first, first + k)
            n2 = float(k)
            for x in ids:
                for y in range(x + 1, first + k):
                    n2 += 2.0 * self._pair(side, x, y)
            n = math.sqrt(max(n2, 1e-9))
            hub = self.a if side == 0 else self.b
            g = (n, sum(hub[x] for x in ids) / n)
            self._groups[key] = g
        return g

    def sim(self, src: Sequence[int], tgt: Sequence[int]) -> float:
        """Margin-corrected cosine of the summed vectors of sentences ``src`` and ``tgt`` (any indices)."""
        cross = 0.0
        for i in src:
            for j in tgt:
                cross += self.dot(i, j)
        ns = float(len(src))
        for x in range(len(src)):
            for y in range(x + 1, len(src)):
                ns += 2.0 * self._pair(0, src[x], src[y])
        nt = float(len(tgt))
        for x in range(len(tgt)):
            for y in range(x + 1, len(tgt)):
                nt += 2.0 * self._pair(1, tgt[x], tgt[y])
        ns = math.sqrt(max(ns, 1e-9))
        nt = math.sqrt(max(nt, 1e-9))
        hub_s = sum(self.a[i] for i in src) / ns
        hub_t = sum(self.b[j] for j in tgt) / nt
        return cross / (ns * nt) - 0.5 * (hub_s + hub_t)

    def span_sim(self, s0: int, s1: int, t0: int, t1: int) -> float:
        """:meth:`sim` of the consecutive sentences ``s0..s1-1`` and ``t0..t1-1`` (:meth:`summed_sim`)."""
        return self.summed_sim(range(s0, s1), range(t0, t1))

    def summed_sim(self, src: Sequence[int], tgt: Sequence[int]) -> float:
        """:meth:`sim` computed from the summed vectors: linear in the number of sentences, for block groups and
        beads of any size (:meth:`sim` keeps every pair's product; a 1,000:1,000 human bead took 17 s)."""
        if not (len(src) and len(tgt)):
            return 0.0
        if self.np is not None:
            rows_s = self.S[src.start:src.stop] if isinstance(src, range) else self.S[list(src)]
            rows_t = self.T[tgt.start:tgt.stop] if isinstance(tgt, range) else self.T[list(tgt)]
            vs = rows_s.sum(axis=0, dtype=self.np.float64)
            vt = rows_t.sum(axis=0, dtype=self.np.float64)
            cross = float(vs @ vt)
            ns = float(self.np.sqrt(vs @ vs))
            nt = float(self.np.sqrt(vt @ vt))
        else:
            dim = len(self.S[src[0]])
            vs = [sum(self.S[i][k] for i in src) for k in range(dim)]
            vt = [sum(self.T[j][k] for j in tgt) for k in range(dim)]
            cross = _dot(vs, vt)
            ns = math.sqrt(_dot(vs, vs))
            nt = math.sqrt(_dot(vt, vt))
        ns = max(ns, math.sqrt(1e-9))
        nt = max(nt, math.sqrt(1e-9))
        hub_s = sum(self.a[i] for i in src) / ns
        hub_t = sum(self.b[j] for j in tgt) / nt
        return cross / (ns * nt) - 0.5 * (hub_s + hub_t)

    def cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """The term for the bead of units ``i0..i0+di-1`` : ``j0..j0+dj-1`` (``sids``/``tids``: their sentences).

        Runs of consecutive sentences (all but those around a fixed deletion) take the fast path: a row of
        prefix sums per source sentence and the norms of each run computed once; the same value as :meth:`sim`.
        """
        i, j = sids[i0], tids[j0]
        if di == 1 and dj == 1:
            return self.w * (self.tau - self._cross(i, j, 1) + 0.5 * (self.a[i] + self.b[j]))
        if sids[i0 + di - 1] - i == di - 1 and tids[j0 + dj - 1] - j == dj - 1:
            ns, hs = self._group(0, i, di)
            nt, ht = self._group(1, j, dj)
            cross = 0.0
            for x in range(i, i + di):
                cross += self._cross(x, j, dj)
            return self.w * (self.tau - cross / (ns * nt) + 0.5 * (hs + ht))
        return self.w * (self.tau - self.sim(sids[i0 : i0 + di], tids[j0 : j0 + dj]))


def overlap_share(gain: float, top_s: float, top_t: float) -> float:
    """The share of a bead's anchor weight that its two sides share: ``2 * gain / (top_s + top_t)``, a Dice
    coefficient over the anchors weighted by their rarity (0 when neither side has any)."""
    tot = top_s + top_t
    return 2.0 * gain / tot if tot > 0 else 0.0


def same_language(src_lang: str, tgt_lang: str) -> bool:
    """Whether two language codes name the same language (``en`` = ``en-GB`` = ``EN``)."""
    def base(code):
        return (code or "").replace("_", "-").split("-")[0].strip().lower()

    return bool(base(src_lang)) and base(src_lang) == base(tgt_lang)


def _dot(u: Sequence[float], v: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(u, v))


def _unit(v: Sequence[float]) -> tuple[float, ...]:
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return tuple(x / n for x in v)


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
        self.src_open = [int(s.rstrip().endswith((";", ":"))) for s in src]
        self.tgt_open = [int(t.rstrip().endswith((";", ":"))) for t in tgt]

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
