"""IBM Model 1 learnt from the text pair itself, as a lexical term of the realign pass (Moore 2002).

Opt-in (option ``m1``, off by default): still slower than the default (Text+Berg test0-6 in 3.6 s instead
of 1.5-1.8; benchmarks/README.md, "IBM Model 1"). :meth:`Model1Term.cost` is the fast form (sums per
sentence pair and per sentence given a group of the other side's, memoised) with lower bounds that let the
search skip beads; :meth:`Model1Term.plain_cost` the definition, bead by bead.

After the first pass, Model 1 (with NULL, a few EM iterations, both directions) is trained on its
confident 1:1 beads (at most ``m1_max_beads``, a fixed sample beyond). Words are lowercased with the
diacritics stripped (:func:`aligner.align.features._norm_word`), digits left out (numbers are anchors
already), optionally cut to a prefix; a word seen fewer than ``m1_min_count`` times in the training beads
is ignored on both sides (neither generated nor generating). A bead's term is

    -w_m1 * 1/2 * (sum over the target words f of log(1 - lambda + lambda * P(f | S) / P(f))
                   + the same for the source words given the target),

``P(f | S) = (t(f | NULL) + sum over the source words e of t(f | e)) / (|S| + 1)`` (Model 1), ``P(f)``
the word's unigram probability in its text: the log-likelihood ratio of the bead against its words being
left out, with Model 1 interpolated with the unigram (weight ``m1_lambda``), so a word no source word
explains costs at most ``-log(1 - lambda)``; without that floor one unexplained word cost up to 30 and
the search merged neighbouring beads to explain it. A merged bead does not gain by merging: its words
are divided over ``|S| + 1`` source words, and the extra sentence's words must be explained too.

The term is handed to :class:`aligner.align.cost.Model` where the embedding term goes (the same
``cost(sids, i0, di, tids, j0, dj)``), so it is not used together with embeddings.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Sequence

from .features import _TOKEN_RE, _norm_word

NULL = 0
_ONES = 1 << 17  # at most this many sums of one sentence given a group are kept, per direction


def m1_words(text: str, prefix: int = 0) -> list[str]:
    """The words Model 1 reads: letters only, lowercased, diacritics stripped, cut to ``prefix`` (0 = whole)."""
    out = []
    for t in _TOKEN_RE.findall(text):
        if t[0].isdigit():
            continue
        w = _norm_word(t)
        out.append(w[:prefix] if prefix else w)
    return out


def train(pairs: Sequence[tuple[Counter, Counter]], iters: int) -> dict[int, dict[int, float]]:
    """Model 1 ``t(f | e)`` from sentence pairs of word ids (``e`` = 0 is NULL): ``{f: {e: t}}``.

    EM from uniform translation probabilities; entries below 1e-4 are dropped at the end.
    """
    # one id per pair (e, f) seen together, keyed e * nf + f (ints, not tuples: long texts have millions);
    # each bead as, per target word, its count and the flat lists of its pairs' ids and source counts
    nf = 1 + max((f for _, fs in pairs for f in fs), default=0)
    pid: dict[int, int] = {}
    e_of = array("i")
    beads = []
    for es, fs in pairs:
        es = dict(es)
        es[NULL] = 1
        ce_list = list(es.values())
        rows = []
        for f, cf in fs.items():
            ps = []
            for e in es:
                k = e * nf + f
                p = pid.get(k)
                if p is None:
                    p = pid[k] = len(e_of)
                    e_of.append(e)
                ps.append(p)
            rows.append((cf, ps))
        beads.append((ce_list, rows))
    size = max(e_of) + 1 if e_of else 1
    nfe = [0] * size
    for e in e_of:
        nfe[e] += 1
    t = array("d", (1.0 / nfe[e] for e in e_of))
    for _ in range(iters):
        c = array("d", bytes(8 * len(t)))
        for ces, rows in beads:
            for cf, ps in rows:
                d = 0.0
                for p, ce in zip(ps, ces):
                    d += ce * t[p]
                if d <= 0:
                    continue
                k = cf / d
                for p, ce in zip(ps, ces):
                    c[p] += k * ce * t[p]
        tot = [0.0] * size
        for p, x in enumerate(c):
            tot[e_of[p]] += x
        t = array("d", (x / tot[e_of[p]] if tot[e_of[p]] > 0 else 0.0 for p, x in enumerate(c)))
    del beads
    table: dict[int, dict[int, float]] = {}
    for k, p in pid.items():
        if t[p] > 1e-4:
            e, f = divmod(k, nf)
            table.setdefault(f, {})[e] = t[p]
    return table


def _ids(words: list[str], vocab: dict[str, int]) -> Counter:
    c: Counter = Counter()
    for w in words:
        k = vocab.get(w)
        if k is not None:
            c[k] += 1
    return c


class Model1Term:
    """The Model 1 term of a bead's cost (see the module's docstring), with the interface of the embedding
    term: :meth:`cost` of the units ``i0..i0+di-1`` : ``j0..j0+dj-1`` whose sentences are ``sids``/``tids``."""

    def __init__(self, src: Sequence[str], tgt: Sequence[str], beads: Sequence, opts: dict):
        prefix = opts["m1_prefix"]
        self.w = opts["w_m1"]
        self.lam = opts["m1_lambda"]
        sw = [m1_words(s, prefix) for s in src]
        tw = [m1_words(t, prefix) for t in tgt]
        ones = [(b.src[0], b.tgt[0]) for b in beads
                if len(b.src) == 1 and len(b.tgt) == 1 and b.score >= opts["m1_min_score"]]
        cap = opts["m1_max_beads"]
        if len(ones) > cap:
            ones = sorted(random.Random(0).sample(ones, cap))
        fs: Counter = Counter()
        ft: Counter = Counter()
        for i, j in ones:
            fs.update(sw[i])
            ft.update(tw[j])
        mc = opts["m1_min_count"]
        vs = {w: k for k, w in enumerate(sorted(w for w, c in fs.items() if c >= mc), start=1)}
        vt = {w: k for k, w in enumerate(sorted(w for w, c in ft.items() if c >= mc), start=1)}
        self.S = [_ids(x, vs) for x in sw]
        self.T = [_ids(x, vt) for x in tw]
        self.Sn = [sum(c.values()) for c in self.S]
        self.Tn = [sum(c.values()) for c in self.T]
        pairs = [(self.S[i], self.T[j]) for i, j in ones]
        iters = opts["m1_iters"]
        self.st = train(pairs, iters)  # t(f | e): {f: {e: p}}
        self.ts = train([(b, a) for a, b in pairs], iters)  # t(e | f)
        self.ps = _unigram(self.S, len(vs) + 2)  # word id -> its probability in its text (add one)
        self.pt = _unigram(self.T, len(vt) + 2)
        # the fast form (:meth:`cost`): per side, each sentence's distinct words with their counts, Model 1's
        # NULL probability and unigram probability; the per-word sums of a pair of sentences and the sum of
        # logs of one sentence given a group of the other side's sentences, each computed once
        self._lows = None
        self._a = _Side(self.S, self.Sn, self.T, self.st, self.pt, self.lam)  # target words given the source
        self._b = _Side(self.T, self.Tn, self.S, self.ts, self.ps, self.lam)  # source words given the target

    def lower_bounds(self) -> tuple[list[float], list[float]] | None:
        """Per source and per target sentence, a lower bound of its share of any bead's term (None if
        ``w_m1`` < 0): a bead's term is at least the sum of its sentences' bounds, so the search
        (:func:`aligner.align.dp._dp`) computes the term only for the beads that can still win with it.

        The bound of a sentence is ``-w_m1 / 2`` times the largest sum of its words' log ratios that any group
        of the other side's sentences could give (:meth:`_Side.upper`).
        """
        if self.w < 0:
            return None
        if self._lows is None:
            k = -self.w * 0.5
            self._lows = ([k * x for x in self._b.upper()], [k * x for x in self._a.upper()])
        return self._lows

    def bound(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """A lower bound of :meth:`cost` from the bead's sentence pairs (for beads larger than 1:1).

        For a word f of one side and a group g of the other side's sentences, ``P(f | g)`` is at most
        ``rho * max over i in g of P(f | i)``, ``rho = 1 + (|g| - 1) / (1 + |g|'s words)`` (a mediant), so
        its log ratio is at most ``log rho + log(1 - lambda) + sum over i of (its ratio given i - log(1 - lambda))``
        (every log ratio is at least ``log(1 - lambda)``): the sums given single sentences, computed once.
        """
        g = tuple(sids[i0 : i0 + di])
        h = tuple(tids[j0 : j0 + dj])
        return -self.w * 0.5 * (self._a.upper_group(g, h) + self._b.upper_group(h, g))

    def _side(self, A, An, B, table, prob, a_ids, b_ids) -> float:
        """Sum over the words f of B's sentences of log(1 - lambda + lambda * P(f | A's sentences) / P(f)).

        The plain computation (the definition); :meth:`cost` uses the fast form, which gives the same sum up
        to the order of the float additions (``tests/test_align_model1.py`` compares them).
        """
        La = 0
        merged: Counter = Counter()
        for k in a_ids:
            La += An[k]
            merged.update(A[k])
        lam = self.lam
        scale = lam / (La + 1)
        rest = 1.0 - lam
        tot = 0.0
        for k in b_ids:
            for f, cf in B[k].items():
                probs = table.get(f)
                x = 0.0
                if probs:
                    x = probs.get(NULL, 0.0)
                    if len(probs) < len(merged):
                        for e, p in probs.items():
                            ce = merged.get(e)
                            if ce:
                                x += ce * p
                    else:
                        for e, ce in merged.items():
                            p = probs.get(e)
                            if p:
                                x += ce * p
                tot += cf * math.log(rest + scale * x / prob[f])
        return tot

    def plain_cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """The term computed from its definition, bead by bead (for the tests; :meth:`cost` is the fast form)."""
        s_ids = tuple(sids[i0 : i0 + di])
        t_ids = tuple(tids[j0 : j0 + dj])
        a = self._side(self.S, self.Sn, self.T, self.st, self.pt, s_ids, t_ids)
        b = self._side(self.T, self.Tn, self.S, self.ts, self.ps, t_ids, s_ids)
        return -self.w * 0.5 * (a + b)

    def cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """The term of the bead ``sids[i0:i0+di]`` : ``tids[j0:j0+dj]``: the sums of its sentences given the
        other side's group (:meth:`_Side.one`), each computed once."""
        g = (sids[i0],) if di == 1 else tuple(sids[i0 : i0 + di])
        h = (tids[j0],) if dj == 1 else tuple(tids[j0 : j0 + dj])
        return -self.w * 0.5 * (self._a.total(g, h) + self._b.total(h, g))


class _Side:
    """One direction of the term in its fast form: the words of B's sentences given groups of A's sentences.

    For a sentence ``k`` of B and a group ``g`` of A's sentences the sum of ``cf * log(1 - lambda + lambda
    * P(f | g) / P(f))`` over the words f of ``k`` is computed once (:meth:`one`), from the per-word sums
    ``sum over the words e of A's sentence i of count(e) * t(f | e)``, computed once per pair ``(i, k)``
    (:meth:`pair`); a bead adds the sums of its sentences of B. Many beads share a pair and a group: a
    sentence of B is in up to ``max_side`` beads of each type at each row of the band.
    """

    def __init__(self, A, An, B, table, prob, lam):
        self.A, self.An, self.table, self.lam = A, An, table, lam
        self.rest = 1.0 - lam
        self.logrest = math.log(self.rest) if self.rest > 0 else -math.inf
        # per sentence of B: its distinct words with Model 1's translation table row, counts, NULL
        # probability and unigram probability
        self.words = []
        for c in B:
            fs = [f for f in c]
            self.words.append((
                [table.get(f) or {} for f in fs],
                [c[f] for f in fs],
                [(table.get(f) or {}).get(NULL, 0.0) for f in fs],
                [prob[f] for f in fs],
                fs,
            ))
        self.size = [sum(w[1]) for w in self.words]  # words per sentence of B
        self._pairs = _Memo(1 << 15)
        self.ones: dict[tuple, float] = {}  # (group, k) -> one(group, k); emptied beyond _ONES entries
        # the table by generating word: e -> [(f, t(f | e))], for the sums of one sentence of A (:meth:`sums`)
        by_e: dict[int, list] = {}
        for f, probs in table.items():
            for e, p in probs.items():
                if e != NULL:
                    by_e.setdefault(e, []).append((f, p))
        self.by_e = by_e
        self._sums = _Memo(64)  # the search needs those of the sentences of about one band's width

    def sums(self, i: int) -> dict[int, float]:
        """``sum over the words e of A's sentence i of count(e) * t(f | e)`` for every word f it can generate."""
        d = self._sums.get(i)
        if d is None:
            d = {}
            get = d.get
            by_e = self.by_e
            for e, ce in self.A[i].items():
                for f, p in by_e.get(e, ()):
                    d[f] = get(f, 0.0) + ce * p
            self._sums.put(i, d)
        return d

    def pair(self, i: int, k: int) -> list[float]:
        """``sum over e of count(e) * t(f | e)`` for each word f of B's sentence k, over A's sentence i."""
        key = (i, k)
        y = self._pairs.get(key)
        if y is None:
            get = self.sums(i).get
            y = [get(f, 0.0) for f in self.words[k][4]]
            self._pairs.put(key, y)
        return y

    def one(self, g: tuple, k: int) -> float:
        """The sum over the words of B's sentence k given the group g of A's sentences."""
        key = (g, k)
        v = self.ones.get(key)
        if v is None:
            _, counts, nulls, probs, _ = self.words[k]
            La = 0
            for i in g:
                La += self.An[i]
            scale = self.lam / (La + 1)
            rest = self.rest
            log = math.log
            if len(g) == 1:
                xs = self.pair(g[0], k)
                v = 0.0
                for cf, x0, x, pf in zip(counts, nulls, xs, probs):
                    v += cf * log(rest + scale * (x0 + x) / pf)
            elif len(g) == 2:
                y0 = self.pair(g[0], k)
                y1 = self.pair(g[1], k)
                v = 0.0
                for cf, x0, a, b, pf in zip(counts, nulls, y0, y1, probs):
                    v += cf * log(rest + scale * (x0 + a + b) / pf)
            else:
                ys = [self.pair(i, k) for i in g]
                v = 0.0
                for n, (cf, x0, pf) in enumerate(zip(counts, nulls, probs)):
                    x = x0
                    for y in ys:
                        x += y[n]
                    v += cf * log(rest + scale * x / pf)
            if len(self.ones) >= _ONES:
                self.ones.clear()
            self.ones[key] = v
        return v

    def total(self, g: tuple, ks: tuple) -> float:
        """The sum of :meth:`one` over the sentences ``ks`` of B given the group g (the cache looked up here
        first: this is the search's innermost call)."""
        ones = self.ones
        tot = 0.0
        for k in ks:
            v = ones.get((g, k))
            if v is None:
                v = self.one(g, k)
            tot += v
        return tot

    def upper_group(self, g: tuple, ks: tuple) -> float:
        """An upper bound of the sum of :meth:`one` over the sentences ``ks`` of B given the group g."""
        ones = self.ones
        if len(g) == 1:
            tot = self.total(g, ks)
            return tot + 1e-9 * abs(tot) + 1e-9
        La = 0
        for i in g:
            La += self.An[i]
        extra = math.log(1.0 + (len(g) - 1) / (La + 1)) - (len(g) - 1) * self.logrest
        tot = 0.0
        for k in ks:
            tot += self.size[k] * extra
            for i in g:
                key = ((i,), k)
                v = ones.get(key)
                if v is None:
                    v = self.one((i,), k)
                tot += v
        return tot + 1e-9 * abs(tot) + 1e-6

    def upper(self) -> list[float]:
        """Per sentence of B, an upper bound of :meth:`one` over every group of A's sentences.

        ``P(f | g)`` sums to at most 1 over the distinct words f (every ``t(. | e)`` is a distribution), so
        the sum of ``cf * log(1 - lambda + lambda * P_f / P(f))`` is at most its largest value under
        ``sum P_f <= 1``, ``P_f >= 0`` (a concave maximum, found by water-filling:
        ``P_f = max(0, cf / nu - a_f)`` with ``a_f = (1 - lambda) * P(f) / lambda``).
        """
        lam, rest, log = self.lam, self.rest, math.log
        out = []
        mass = 1.0 + 1e-6  # the float sums of the trained tables may pass 1 by a rounding error
        for _, counts, _, probs, _ in self.words:
            if not counts or lam <= 0:
                out.append(sum(cf * log(rest) for cf in counts) if rest > 0 else 0.0)
                continue
            a = [rest * pf / lam for pf in probs]
            order = sorted(range(len(counts)), key=lambda n: -counts[n] / a[n] if a[n] > 0 else -math.inf)
            sc = sa = 0.0
            nu = 0.0
            for m, n in enumerate(order):
                if a[n] <= 0:  # lambda = 1: unbounded below; no useful bound
                    nu = 0.0
                    break
                sc += counts[n]
                sa += a[n]
                nu = sc / (mass + sa)
                nxt = order[m + 1] if m + 1 < len(order) else None
                if nxt is None or counts[nxt] / a[nxt] <= nu:
                    break
            if nu <= 0:
                out.append(math.inf)
                continue
            v = 0.0
            for cf, an, pf in zip(counts, a, probs):
                p = cf / nu - an
                if p < 0:
                    p = 0.0
                v += cf * log(rest + lam * p / pf)
            out.append(v + 1e-9 * abs(v) + 1e-9)
        return out


class _Memo:
    """A memo of bounded size: two generations of at most ``size`` entries each; an entry found in the
    older one moves to the newer, so the entries in use stay (the search sweeps the texts in order)."""

    __slots__ = ("size", "new", "old")

    def __init__(self, size: int):
        self.size = size
        self.new: dict = {}
        self.old: dict = {}

    def get(self, key):
        v = self.new.get(key)
        if v is None:
            v = self.old.get(key)
            if v is not None:
                self.put(key, v)
        return v

    def put(self, key, v) -> None:
        if len(self.new) >= self.size:
            self.old = self.new
            self.new = {}
        self.new[key] = v


def _unigram(side: Sequence[Counter], size: int) -> dict[int, float]:
    """Add-one unigram probabilities of the word ids of a text (``size``: the vocabulary, with room for NULL)."""
    u: Counter = Counter()
    for c in side:
        u.update(c)
    n = sum(u.values()) + size
    return {w: (c + 1) / n for w, c in u.items()}
