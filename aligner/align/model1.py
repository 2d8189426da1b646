"""IBM Model 1 learnt from the text pair itself, as a lexical term of the realign pass (Moore 2002).

On by default since aligner version 4 (option ``m1``): it lifts Text+Berg test0-6 from 0.863 to 0.880 strict F1,
and once its training and its sums were made lean enough the 10,000-sentence pair fits the scale goal with it
(24 s and 150 MB against 40 s and 300 MB; benchmarks/README.md, "IBM Model 1"). :meth:`Model1Term.cost` is the
fast form (the sums of each 1:1 pair and of each sentence given a group of the other side's, each computed
once) with lower bounds that let the search skip beads; :meth:`Model1Term.plain_cost` the definition, bead by
bead.

After the first pass, Model 1 (with NULL, a few EM iterations, both directions) is trained on its
confident 1:1 beads (at most ``m1_max_beads`` of them and ``m1_max_pairs`` word pairs, a fixed sample
beyond). Words are lowercased with the diacritics stripped (:func:`aligner.align.features._norm_word`),
digits left out (numbers are anchors already), optionally cut to a prefix; a word seen fewer than
``m1_min_count`` times in the training beads is ignored on both sides (neither generated nor generating).
A bead's term is

    -w_m1 * 1/2 * (sum over the target words f of log(1 - lambda + lambda * P(f | S) / P(f))
                   + the same for the source words given the target),

``P(f | S) = (t(f | NULL) + sum over the source words e of t(f | e)) / (|S| + 1)`` (Model 1), ``P(f)``
the word's unigram probability in its text: the log-likelihood ratio of the bead against its words being
left out, with Model 1 interpolated with the unigram (weight ``m1_lambda``), so a word no source word
explains costs at most ``-log(1 - lambda)``; without that floor one unexplained word cost up to 30 and
the search merged neighbouring beads to explain it. A merged bead does not gain by merging: its words
are divided over ``|S| + 1`` source words, and the extra sentence's words must be explained too.

The term is handed to :class:`aligner.align.cost.Model` where the embedding term goes (the same
``cost(sids, i0, di, tids, j0, dj)``); with embeddings the two are added (:class:`TermSum`, the Model 1 term at
weight ``w_m1_emb``).
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Sequence
from operator import mul

from .features import _TOKEN_RE, _norm_word

NULL = 0
_ZERO = array("d", [0.0])  # times n: n zeros (bytes(8 * n) would be a second copy while it is made)
_ZERO_I = array("i", [0])
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

    EM from uniform translation probabilities; entries below 1e-4 are dropped at the end (:func:`train_both`,
    which trains the other direction on the same pairs too).
    """
    out: dict[int, dict[int, float]] = {}
    for e, row in train_both(pairs, iters)[0].items():
        for f, p in row.items():
            out.setdefault(f, {})[e] = p
    return out


def train_both(pairs: Sequence[tuple[Counter, Counter]], iters: int) -> tuple[dict, dict]:
    """Model 1 both ways from sentence pairs of word ids, by generating word: ``{e: {f: t(f | e)}}`` and
    ``{f: {e: t(e | f)}}`` (NULL = 0 generates too). EM from uniform translation probabilities, ``iters``
    iterations; entries below 1e-4 are dropped at the end.

    Both directions share one numbering of the word pairs seen together (an array of probabilities each):
    per pair (e, f), with e = NULL or f = NULL (not both) for the empty word of either side, numbered in blocks
    by e (one e's pairs consecutive, in the order first seen), so t(f | e) is normalised block by block. The
    blocks are numbered one source word at a time (from where it is in the beads), so only one block's
    numbering is held at once: a long text has millions of pairs.
    """
    # each bead: its words and counts, and the ids of its pairs: for t(f | e) by target word (each row: NULL,
    # then the source words), for t(e | f) by source word (each row: NULL, then the target words)
    st_beads = []
    ts_beads = []
    where: dict[int, list[tuple[int, int]]] = {}  # source word -> (bead, its row in the bead)
    for k, (es, fs) in enumerate(pairs):
        ces = [1] + list(es.values())
        cfs = [1] + list(fs.values())
        st_beads.append((ces, cfs[1:], _ZERO_I * (len(ces) * len(fs)), all(c == 1 for c in ces)))
        ts_beads.append((cfs, ces[1:], _ZERO_I * (len(es) * len(cfs)), all(c == 1 for c in cfs)))
        for r, e in enumerate(es, start=1):
            x = where.get(e)
            if x is None:
                where[e] = [(k, r)]
            else:
                x.append((k, r))
    fls = [list(fs) for _, fs in pairs]
    f_of: list[int] = []  # per pair id, its f (the word ids themselves: no new int objects)
    blocks = []
    d: dict[int, int] = {}  # NULL's block: f -> index in the block, in the order first seen
    for k, fl in enumerate(fls):
        pst, ne = st_beads[k][2], len(st_beads[k][0])
        for c, f in enumerate(fl):
            x = d.get(f)
            if x is None:
                x = d[f] = len(d)
            pst[c * ne] = x
    f_of.extend(d)
    blocks.append((NULL, 0, len(f_of)))
    for e in sorted(where):
        off = len(f_of)
        d = {NULL: 0}
        for k, r in where[e]:
            fl = fls[k]
            pst, ne = st_beads[k][2], len(st_beads[k][0])
            pts = ts_beads[k][2]
            base = (r - 1) * (len(fl) + 1)
            pts[base] = off  # (e, NULL)
            for c, f in enumerate(fl):
                x = d.get(f)
                if x is None:
                    x = d[f] = len(d)
                pst[c * ne + r] = pts[base + 1 + c] = off + x
        f_of.extend(d)
        blocks.append((e, off, len(f_of)))
    del where, fls, d
    size = len(f_of)
    # t(f | e): uniform start (1 / the number of target words seen with e), EM, the entries kept
    def uniform_st():
        t = _ZERO * size
        for e, a, b in blocks:
            k = b - a - (e != NULL)
            if k:
                t[a + (e != NULL) : b] = array("d", [1.0 / k]) * k
        return t

    t = _em(st_beads, uniform_st, iters, lambda t, r: _by_blocks(t, r, blocks))
    del st_beads
    gen_st: dict[int, dict[int, float]] = {}
    for e, a, b in blocks:
        row = {f: x for f, x in zip(f_of[a:b], t[a:b]) if x > 1e-4 and f != NULL}
        if row:
            gen_st[e] = row
    # t(e | f) likewise
    n_f = [0] * (max(f_of) + 1 if size else 1)  # the number of source words seen with f
    for e, a, b in blocks[1:]:
        for f in f_of[a:b]:
            n_f[f] += 1
    inv_n = [1.0 / x if x else 0.0 for x in n_f]

    def uniform_ts():
        t = _ZERO * size  # (NULL, f) is not a pair of this direction
        for _, a, b in blocks[1:]:
            t[a:b] = array("d", map(inv_n.__getitem__, f_of[a:b]))
        return t

    t = _em(ts_beads, uniform_ts, iters, lambda t, r: _by_target(t, r, f_of, len(n_f), blocks))
    del ts_beads
    gen_ts: dict[int, dict[int, float]] = {}
    for e, a, b in blocks[1:]:
        for f, y in zip(f_of[a:b], t[a:b]):
            if y > 1e-4:
                r = gen_ts.get(f)
                if r is None:
                    r = gen_ts[f] = {}
                r[e] = y
    return gen_st, gen_ts


def _em(beads, start, iters, normalise):
    """``iters`` EM iterations of one direction from ``start()``: per bead and generated word f (count cf), with
    its row of pair ids (the generating words e, counts ce), ``d = sum of ce * t``, each pair's count ``cf * ce
    * t / d``; ``normalise(t, r)`` makes the next t of the counts ``t * r``. Only the arrays of one iteration
    are held (the caller holds none)."""
    t = start()
    for _ in range(iters):
        r = _ZERO * len(t)  # per pair, the sum of cf * ce / d over its occurrences
        for ces, cfs, P, ones in beads:
            ne = len(ces)
            tv = list(map(t.__getitem__, P))
            pos = 0
            for cf in cfs:
                end = pos + ne
                if ones:
                    d = sum(tv[pos:end])
                    if d > 0:
                        k = cf / d
                        for p in P[pos:end]:
                            r[p] += k
                else:
                    d = sum(map(mul, ces, tv[pos:end]))
                    if d > 0:
                        k = cf / d
                        for p, ce in zip(P[pos:end], ces):
                            r[p] += k * ce
                pos = end
        t = normalise(t, r)  # the counts are t * r
        del r
    return t


def _by_blocks(t, r, blocks):
    """t(f | e): the counts ``t * r`` normalised per generating word e (a block of pair ids)."""
    out = _ZERO * len(t)
    for _, a, b in blocks:
        c = list(map(mul, t[a:b], r[a:b]))
        s = sum(c)
        out[a:b] = array("d", [x / s for x in c] if s > 0 else c)
    return out


def _by_target(t, r, f_of, n, blocks):
    """t(e | f): the counts ``t * r`` normalised per generating word f (pairs of every block)."""
    tot = [0.0] * n
    for f, x in zip(f_of, map(mul, t, r)):
        tot[f] += x
    inv = [1.0 / x if x > 0 else 0.0 for x in tot]
    out = _ZERO * len(t)
    for _, a, b in blocks:
        out[a:b] = array("d", map(mul, map(mul, t[a:b], r[a:b]), map(inv.__getitem__, f_of[a:b])))
    return out


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
        # and at most m1_max_pairs word pairs (what training's time and memory grow with: long sentences
        # have many), counted before the rare words are left out
        sizes = [(len(set(sw[i])) + 1) * (len(set(tw[j])) + 1) for i, j in ones]
        if sum(sizes) > opts["m1_max_pairs"]:
            keep = []
            tot = 0
            for k in random.Random(1).sample(range(len(ones)), len(ones)):
                if tot + sizes[k] <= opts["m1_max_pairs"]:
                    keep.append(k)
                    tot += sizes[k]
            ones = [ones[k] for k in sorted(keep)]
        fs: Counter = Counter()
        ft: Counter = Counter()
        for i, j in ones:
            fs.update(sw[i])
            ft.update(tw[j])
        mc = opts["m1_min_count"]
        vs = {w: k for k, w in enumerate(sorted(w for w, c in fs.items() if c >= mc), start=1)}
        vt = {w: k for k, w in enumerate(sorted(w for w, c in ft.items() if c >= mc), start=1)}
        S = [_ids(x, vs) for x in sw]
        T = [_ids(x, vt) for x in tw]
        del sw, tw
        self.Sn = [sum(c.values()) for c in S]
        self.Tn = [sum(c.values()) for c in T]
        st, ts = train_both([(S[i], T[j]) for i, j in ones], opts["m1_iters"])  # {e: {f: t(f | e)}}, {f: {e: t(e | f)}}
        ps = _unigram(S, len(vs) + 2)  # word id -> its probability in its text (add one)
        pt = _unigram(T, len(vt) + 2)
        # the fast form (:meth:`cost`): per side, each sentence's distinct words with their counts, Model 1's
        # NULL probability and unigram probability, and the sums of one sentence given a group of the other
        # side's sentences, each computed once
        self._lows = None
        self._a = _Side(self.Sn, T, st, pt, self.lam)  # target words given the source
        self._b = _Side(self.Tn, S, ts, ps, self.lam)  # source words given the target
        self._a.other = self._b.words
        self._b.other = self._a.words
        # per source sentence s: the sums of both directions of each 1:1 pair (s, t), from target sentence
        # _t0[s] on, interleaved (a, b) in an array (NaN: not computed yet); both the search and the
        # posteriors read them (:meth:`single`)
        self._rows: list = [None] * len(src)
        self._t0 = [0] * len(src)
        self._nt = max(1, len(tgt))
        self._ns = max(1, len(src))

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

    def single(self, s: int, t: int) -> tuple[float, float]:
        """The sums of the 1:1 bead of source sentence s and target sentence t: its target words given s
        (:meth:`_Side.one`) and its source words given t, each computed once."""
        row = self._rows[s]
        if row is not None:
            k = 2 * (t - self._t0[s])
            if 0 <= k < len(row):
                a = row[k]
                if a == a:
                    return a, row[k + 1]
        a = self._a.one((s,), t)
        b = self._b.one((t,), s)
        if row is None:
            t0 = t - 8 if t > 8 else 0
            row = self._rows[s] = _NAN * 64
            self._t0[s] = t0
        else:
            t0 = self._t0[s]
        k = 2 * (t - t0)
        if k < 0:  # a row grows at its start too (rarely: the band moves right, row by row)
            more = -k + 16
            row = self._rows[s] = _NAN * more + row
            t0 = self._t0[s] = t0 - more // 2
            k = 2 * (t - t0)
        elif k >= len(row):
            row.extend(_NAN * (k - len(row) + 32))
        row[k] = a
        row[k + 1] = b
        return a, b

    def bound(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """A lower bound of :meth:`cost` from the bead's sentence pairs (for beads larger than 1:1).

        For a word f of one side and a group g of the other side's sentences, ``P(f | g)`` is at most
        ``rho * max over i in g of P(f | i)``, ``rho = 1 + (|g| - 1) / (1 + |g|'s words)`` (a mediant), so
        its log ratio is at most ``log rho + log(1 - lambda) + sum over i of (its ratio given i - log(1 - lambda))``
        (every log ratio is at least ``log(1 - lambda)``): the sums of the bead's 1:1 pairs (:meth:`single`),
        computed once.
        """
        rows, t0s = self._rows, self._t0
        ts = tids[j0 : j0 + dj]
        tot = 0.0
        for s in sids[i0 : i0 + di]:
            for t in ts:
                row = rows[s]
                if row is not None:  # Model1Term.single, written out
                    k = 2 * (t - t0s[s])
                    if 0 <= k < len(row):
                        a = row[k]
                        if a == a:
                            tot += a + row[k + 1]
                            continue
                a, b = self.single(s, t)
                tot += a + b
        if di > 1:
            size = self._a.size
            n = 0
            for t in ts:
                n += size[t]
            tot += self._a.extra(sids, i0, di) * n
        if dj > 1:
            size = self._b.size
            n = 0
            for s in sids[i0 : i0 + di]:
                n += size[s]
            tot += self._b.extra(tids, j0, dj) * n
        return -self.w * 0.5 * (tot + 1e-9 * abs(tot) + 1e-6)

    def extras(self, sids: Sequence[int], tids: Sequence[int], s_sizes, t_sizes) -> tuple:
        """What :meth:`bound` adds to the terms of a bead's 1:1 pairs, per unit, for the search to write it out:
        per group size d > 1 of ``s_sizes``, ``XA[d][u]`` = ``-w_m1 / 2`` times :meth:`_Side.extra` of the
        source units ``u..u+d-1`` (times the target words of the bead); ``XB`` the same of the target units; the
        target words before each target unit (``CSA``) and the source words before each source unit (``CSB``)."""
        k = -self.w * 0.5
        XA = {d: [k * self._a.extra(sids, u, d) for u in range(len(sids) - d + 1)] for d in s_sizes if d > 1}
        XB = {d: [k * self._b.extra(tids, u, d) for u in range(len(tids) - d + 1)] for d in t_sizes if d > 1}
        CSA = [0]
        for t in tids:
            CSA.append(CSA[-1] + self._a.size[t])
        CSB = [0]
        for s in sids:
            CSB.append(CSB[-1] + self._b.size[s])
        return XA, XB, CSA, CSB

    def plain_cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """The term computed from its definition, bead by bead (for the tests; :meth:`cost` is the fast form)."""
        s_ids = tuple(sids[i0 : i0 + di])
        t_ids = tuple(tids[j0 : j0 + dj])
        a = self._a.plain(s_ids, t_ids)
        b = self._b.plain(t_ids, s_ids)
        return -self.w * 0.5 * (a + b)

    def cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        """The term of the bead ``sids[i0:i0+di]`` : ``tids[j0:j0+dj]``: the sums of its sentences given the
        other side's group, each computed once (:meth:`single` for a 1:1 pair, :meth:`_Side.group`)."""
        if not di or not dj:  # not a bead the search scores (the tests ask for it)
            return self.plain_cost(sids, i0, di, tids, j0, dj)
        if di == 1:
            s = sids[i0]
            if dj == 1:
                a, b = self.single(s, tids[j0])
                return -self.w * 0.5 * (a + b)
            h = tuple(tids[j0 : j0 + dj])
            a = 0.0
            for t in h:
                a += self.single(s, t)[0]
            return -self.w * 0.5 * (a + self._b.group(h, s, self._ns))
        g = tuple(sids[i0 : i0 + di])
        if dj == 1:
            t = tids[j0]
            b = 0.0
            for s in g:
                b += self.single(s, t)[1]
            return -self.w * 0.5 * (self._a.group(g, t, self._nt) + b)
        h = tuple(tids[j0 : j0 + dj])
        a = 0.0
        for t in h:
            a += self._a.group(g, t, self._nt)
        b = 0.0
        for s in g:
            b += self._b.group(h, s, self._ns)
        return -self.w * 0.5 * (a + b)


class TermSum:
    """The embedding term and the Model 1 term of a bead's cost added, with their interface. Its bounds, for
    the search to skip beads: per sentence, the Model 1 term's and half the least the embedding term can be
    (a bead has two sentences or more); per bead, the embedding term itself and Model 1's pair bound."""

    def __init__(self, first, second):
        self.first, self.second = first, second
        self._last: tuple = ()  # (bead, first's term) of the last bound: the search asks for the cost next

    def cost(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        last = self._last
        if last and last[0] == i0 and last[1] == di and last[2] == j0 and last[3] == dj and last[4] is sids \
                and last[5] is tids:
            return last[6] + self.second.cost(sids, i0, di, tids, j0, dj)
        return self.first.cost(sids, i0, di, tids, j0, dj) + self.second.cost(sids, i0, di, tids, j0, dj)

    def lower_bounds(self) -> tuple[list[float], list[float]] | None:
        lows = self.second.lower_bounds()
        if lows is None or not hasattr(self.first, "floor"):
            return None
        half = min(0.0, self.first.floor()) * 0.5
        return [x + half for x in lows[0]], [x + half for x in lows[1]]

    def bound(self, sids: Sequence[int], i0: int, di: int, tids: Sequence[int], j0: int, dj: int) -> float:
        e = self.first.cost(sids, i0, di, tids, j0, dj)
        self._last = (i0, di, j0, dj, sids, tids, e)
        return e + self.second.bound(sids, i0, di, tids, j0, dj)


#: a sum not computed yet (:meth:`Model1Term.single`)
_NAN = array("d", [math.nan])


class _Side:
    """One direction of the term in its fast form: the words of B's sentences given groups of A's sentences.

    For a sentence ``k`` of B and a group ``g`` of A's sentences the sum of ``cf * log(1 - lambda + lambda
    * P(f | g) / P(f))`` over the words f of ``k`` (:meth:`one`) reads, for each word, Model 1's sums ``sum
    over the words e of A's sentence i of count(e) * t(f | e)`` of the sentences i of g, computed once per
    sentence i (:meth:`sums`); a bead adds the sums of its sentences of B. Many beads share a sentence and a
    group: a sentence of B is in up to ``max_side`` beads of each type at each row of the band, so those of
    groups are kept (:meth:`group`), those of single sentences by :meth:`Model1Term.single`.
    """

    def __init__(self, An, B, gen, prob, lam):
        self.An, self.lam = An, lam
        self.rest = 1.0 - lam
        self.logrest = math.log(self.rest) if self.rest > 0 else -math.inf
        # Model 1's table by generating word (e -> {f: t(f | e)}; NULL's row apart)
        self.gen = {e: row for e, row in gen.items() if e != NULL}
        self.null = gen.get(NULL, {})
        # per sentence of B: its distinct words with their counts, Model 1's NULL probability and unigram
        # probability
        self.words = []
        null = self.null
        for c in B:
            fs = list(c)
            self.words.append((fs, [c[f] for f in fs], [null.get(f, 0.0) for f in fs], [prob[f] for f in fs]))
        self.size = [sum(w[1]) for w in self.words]  # words per sentence of B
        self.other: list = []  # the words of A's sentences (set by Model1Term)
        self._groups = _Memo(1 << 13)  # (group, k) -> one(group, k), keyed by an int
        self._sums = _Memo(64)  # the search needs those of the sentences of about one band's width

    def sums(self, i: int) -> dict[int, float]:
        """``sum over the words e of A's sentence i of count(e) * t(f | e)`` for every word f it can generate.

        Built from the rows of the table with dict operations (the rows of one sentence's words share few
        words), adding where they do, in the order of the sentence's words."""
        d = self._sums.get(i)
        if d is None:
            d = {}
            gen = self.gen
            es, ces = self.other[i][0], self.other[i][1]
            for e, ce in zip(es, ces):
                row = gen.get(e)
                if row is None:
                    continue
                if ce != 1:
                    row = {f: ce * p for f, p in row.items()}
                common = d.keys() & row.keys()
                if common:
                    old = {f: d[f] for f in common}
                    d.update(row)
                    for f, x in old.items():
                        d[f] = x + row[f]
                else:
                    d.update(row)
            self._sums.put(i, d)
        return d

    def one(self, g: tuple, k: int) -> float:
        """The sum over the words of B's sentence k given the group g of A's sentences."""
        fs, counts, nulls, probs = self.words[k]
        La = 0
        for i in g:
            La += self.An[i]
        scale = self.lam / (La + 1)
        rest = self.rest
        log = math.log
        v = 0.0
        bare = 0  # words nothing explains: log(1 - lambda) each
        if len(g) == 1:
            get = self.sums(g[0]).get
            for f, cf, x0, pf in zip(fs, counts, nulls, probs):
                x = x0 + get(f, 0.0)
                if x:
                    v += cf * log(rest + scale * x / pf)
                else:
                    bare += cf
        elif len(g) == 2:
            get0 = self.sums(g[0]).get
            get1 = self.sums(g[1]).get
            for f, cf, x0, pf in zip(fs, counts, nulls, probs):
                x = x0 + get0(f, 0.0) + get1(f, 0.0)
                if x:
                    v += cf * log(rest + scale * x / pf)
                else:
                    bare += cf
        else:
            gets = [self.sums(i).get for i in g]
            for f, cf, x0, pf in zip(fs, counts, nulls, probs):
                x = x0
                for get in gets:
                    x += get(f, 0.0)
                if x:
                    v += cf * log(rest + scale * x / pf)
                else:
                    bare += cf
        if bare:
            v += bare * self.logrest
        return v

    def group(self, g: tuple, k: int, n: int) -> float:
        """:meth:`one` of a group g of A's sentences (their first sentence and their number are the key: a
        unit's sentences increase), kept while the search sweeps past (``n``: the number of B's sentences)."""
        key = ((g[0] << 3) | len(g)) * n + k
        v = self._groups.get(key)
        if v is None:
            v = self.one(g, k)
            self._groups.put(key, v)
        return v

    def extra(self, ids: Sequence[int], i0: int, di: int) -> float:
        """What a word of B may gain at most from being given the group ``ids[i0:i0+di]`` of A's sentences instead
        of one of them (:meth:`Model1Term.bound`): ``log(1 + (|g| - 1) / (1 + |g|'s words)) - (|g| - 1) *
        log(1 - lambda)``."""
        La = 0
        for i in ids[i0 : i0 + di]:
            La += self.An[i]
        return math.log(1.0 + (di - 1) / (La + 1)) - (di - 1) * self.logrest

    def plain(self, a_ids: tuple, b_ids: tuple) -> float:
        """Sum over the words f of B's sentences of log(1 - lambda + lambda * P(f | A's sentences) / P(f)).

        The plain computation (the definition); :meth:`one` is the fast form, which gives the same sum up to
        the order of the float additions (``tests/test_align_model1.py`` compares them).
        """
        La = 0
        merged: Counter = Counter()
        for k in a_ids:
            La += self.An[k]
            fs, counts = self.other[k][0], self.other[k][1]
            merged.update(dict(zip(fs, counts)))
        lam = self.lam
        scale = lam / (La + 1)
        rest = 1.0 - lam
        tot = 0.0
        for k in b_ids:
            fs, counts, _, probs = self.words[k]
            for f, cf, pf in zip(fs, counts, probs):
                x = self.null.get(f, 0.0)
                for e, ce in merged.items():
                    p = self.gen.get(e, {}).get(f)
                    if p:
                        x += ce * p
                tot += cf * math.log(rest + scale * x / pf)
        return tot

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
        for _, counts, _, probs in self.words:
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
