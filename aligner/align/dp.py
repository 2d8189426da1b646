"""The search: a banded dynamic programme over beads, coarse to fine, and the beads' posteriors.

Search is coarse to fine, as in Vecalign and FastDTW: long texts are aligned
first with consecutive sentences merged in pairs (recursively), the coarse path
is projected back and widened by a window, and the exact DP runs only inside
that band. If the best path touches the band's edge the window is doubled and
the pass repeated. Memory and time therefore grow linearly with the length of
the texts.

Every bead's ``score`` is its posterior probability under the model
(forward-backward with the costs read as negative log probabilities, in a
narrow band around the best path), so 1.0 means "no other alignment of this
stretch is nearly as good".

This module knows paths as ``(i0, di, j0, dj)`` tuples over :class:`Side` units;
turning them into sentence beads is :mod:`aligner.align.blocks`' job.
"""

from __future__ import annotations

import math
from array import array

from .cost import Model, Side, indel_costs, overlap_share


_INF = float("inf")
#: in the posteriors, a bead whose weight is below e^-_NEGLIGIBLE of another's into the same cell is left out
_NEGLIGIBLE = 40.0
#: the cost (over the temperature) of a bead left out: its weight is 0, as a float with no infinities to subtract
_PRUNED = 1e30
#: a term not computed (Model1Term.bound written out in _dp and posteriors)
_NAN = array("d", [math.nan])


def _pair_bound(E, lo, XA, XB, CSA, CSB, i: int, j: int, di: int, dj: int, bound, Sids, Tids) -> float:
    """A lower bound of the Model 1 term of the bead ending at ``(i, j)`` (``di`` x ``dj``, larger than 1:1), for
    the search and the posteriors alike: the 1:1 terms inside it (``E``, kept per row of the band), plus the
    extras of the term for a group (``XA``/``XB`` with the column sums ``CSA``/``CSB``); the term's own
    :meth:`bound` when a pair lies outside the band or there are no extras."""
    pj = j - dj
    lb = 0.0 if XA is not None else _NAN[0]  # NaN: the term's own bound (no extras)
    for r in range(i - di + 1, i + 1 if XA is not None else i - di + 1):
        er = E[r]
        k = j - lo[r]
        if k < dj - 1 or k >= len(er):
            lb = _NAN[0]
            break
        lb += sum(er[k - dj + 1 : k + 1])
    if lb != lb:
        return bound(Sids, i - di, di, Tids, pj, dj)
    if di > 1:
        lb += XA[di][i - di] * (CSA[j] - CSA[pj])
    if dj > 1:
        lb += XB[dj][pj] * (CSB[i] - CSB[i - di])
    return lb - (1e-9 * abs(lb) + 1e-6)


def _term(model: Model, S: Side, T: Side):
    """The embedding (or Model 1) term of :meth:`Model.cost` as :func:`_dp` and :func:`posteriors` read it:
    ``(emb, lows, bound, lowS, lowT, XA, XB, CSA, CSB)``.

    ``emb`` is the term's cost (None on sides whose units are not sentences: coarse passes, blocks). A term
    with lower bounds (the Model 1 term: ``lows`` per sentence, ``bound`` per bead) is computed only for the
    beads that can still win with them; ``lowS``/``lowT`` are the bounds per sentence summed over the units
    before i / j, and ``XA``.. ``CSB`` what merging may gain (:meth:`Model1Term.extras`; None for a term
    without extras, a sum of terms, which gives its bound by ``bound``).
    """
    emb = model.emb.cost if model.emb is not None and S.ids is not None and T.ids is not None else None
    lows = bound = lowS = lowT = XA = XB = CSA = CSB = None
    if emb is not None and hasattr(model.emb, "lower_bounds"):
        lows = model.emb.lower_bounds()
        bound = model.emb.bound
    if lows is not None:
        lowS = [0.0]
        for u in S.ids:
            lowS.append(lowS[-1] + lows[0][u])
        lowT = [0.0]
        for u in T.ids:
            lowT.append(lowT[-1] + lows[1][u])
        if hasattr(model.emb, "extras"):
            sizes = [(di, dj) for di, dj, _ in model.types if di and dj]
            XA, XB, CSA, CSB = model.emb.extras(S.ids, T.ids, {di for di, _ in sizes}, {dj for _, dj in sizes})
    return emb, lows, bound, lowS, lowT, XA, XB, CSA, CSB


def _open_flags(model: Model, S: Side, T: Side):
    """``(cost_open_end, source flags, target flags)``; the flags are None where the cost is off or the sides
    have none (coarse passes, blocks), so that no bead pays it there."""
    po = model.open_cost
    if po and S.open is not None and T.open is not None:
        return po, S.open, T.open
    return po, None, None


def _dp(model: Model, S: Side, T: Side, lo: list[int], hi: list[int], free: tuple,
        coarse: bool = False):
    """Viterbi over the band ``lo[i] <= j <= hi[i]``; returns (path, touched_edge).

    ``path`` is a list of (i0, di, j0, dj) beads in order. The bead cost is
    :meth:`Model.cost`, written out here for speed, with a bound that skips
    the anchor comparison when it cannot make the bead the best. What depends
    only on the row (the source block, its length, the predecessor row) or
    only on the column (the target block) is looked up once, not per bead.
    """
    n, m = len(S), len(T)
    types = model.coarse_types if coarse else model.types
    skip = model.opts["skip_cost"]
    fsl, fst, ftl, ftt = free
    ratio, var = model.ratio, model.var
    inv_ratio = 1.0 / ratio
    del_s = indel_costs(model, S, True)
    ins_t = indel_costs(model, T, False)
    Scum, Tcum = S.cum, T.cum
    block = model.block
    weights = model.weights
    erfc, log, sqrt = math.erfc, math.log, math.sqrt
    sqrt_pi = math.sqrt(math.pi)
    inv_sqrt2 = 1.0 / math.sqrt(2.0)
    match_types = [(t, di, dj, prior) for t, (di, dj, prior) in enumerate(types) if di and dj]
    po, So, To = _open_flags(model, S, T)
    Sat, Tat = S.atoms, T.atoms
    # the embedding term (Model.cost has it too), with its bounds (_term)
    emb, lows, bound, lowS, lowT, XA, XB, CSA, CSB = _term(model, S, T)
    Sids, Tids = S.ids, T.ids
    if lows is not None:
        # Model1Term.bound written out (_pair_bound): the terms of the 1:1 beads inside a bead (E: per row, over
        # its band; NaN where not computed) plus what merging may gain
        E: list = [None] * (n + 1)
    # the overlap term of a same-language pair (Model.cost has it too)
    ovl, tau_ovl = model.overlap, model.tau_overlap
    t10 = next(t for t, (di, dj, _) in enumerate(types) if di == 1 and dj == 0)
    t01 = next(t for t, (di, dj, _) in enumerate(types) if di == 0 and dj == 1)
    # the target block (features, penalty, largest gain) of a bead ending at column j, per width dj,
    # looked up once per column instead of once per bead; None where the bead would merge atoms
    def tblock(dj, j):
        if Tat is not None and dj > 1 and Tat[j] > Tat[j - dj]:
            return None
        return block(T, j - dj, dj)

    columns = _Columns({dj for _, _, dj, _ in match_types}, m, tblock)
    tcols = columns.cols
    D: list[list[float]] = []
    B: list[list[int]] = []
    for i in range(n + 1):
        a, b = lo[i], hi[i]
        columns.row(a, b)
        row = [_INF] * (b - a + 1)
        back = [-1] * (b - a + 1)
        if lows is not None:
            erow = E[i] = _NAN * (b - a + 1)
            if i > 4:
                E[i - 5] = None
        prow = D[i - 1] if i else None
        plo = lo[i - 1] if i else 0
        phi = hi[i - 1] if i else -1
        # what a match type ending in this row needs from the row alone (source block, length)
        specs = []
        for t, di, dj, prior in match_types:
            pi = i - di
            if pi < 0 or (Sat is not None and di > 1 and Sat[i] > Sat[pi]):
                continue
            fs, ps, gs = block(S, pi, di)
            specs.append((t, di, dj, prior, D[pi], lo[pi], hi[pi], Scum[i] - Scum[pi], fs, ps, gs, tcols[dj]))
        osi = So[i - 1] if So is not None and i else 0
        for j in range(a, b + 1):
            if i == 0 and j == 0:
                row[0] = 0.0
                continue
            otj = To[j - 1] if To is not None and j else 0
            best = _INF
            arg = -1
            # 1:0 (source sentence i-1 left out)
            if i and plo <= j <= phi:
                prev = prow[j - plo]
                if prev < _INF:
                    c = prev + (skip if (j == 0 and fsl) or (j == m and fst) else del_s[i - 1] + po * osi)
                    if c < best:
                        best, arg = c, t10
            # 0:1 (target sentence j-1 left out)
            if j > a:
                prev = row[j - 1 - a]
                if prev < _INF:
                    c = prev + (skip if (i == 0 and ftl) or (i == n and ftt) else ins_t[j - 1] + po * otj)
                    if c < best:
                        best, arg = c, t01
            for t, di, dj, prior0, drow, pa, pb, l1, fs, ps, gs, tcol in specs:
                prior = prior0 + po if osi != otj else prior0
                pj = j - dj
                if pj < pa or pj > pb:
                    continue
                prev = drow[pj - pa]
                if prev == _INF:
                    continue
                tb = tcol[j]
                if tb is None:
                    continue
                l2 = Tcum[j] - Tcum[pj]
                edge = di == 1 and ((fst and j == m) or (fsl and pj == 0)) and l1 * ratio > l2
                ft, pt, gt = tb
                pen = pt if edge else ps + pt  # an edge unit's uncovered part has no counterpart
                gain = gs if gs < gt else gt
                # the embedding term (it may be negative) is in the bound; the length term is >= 0 and float
                # addition is monotone, so a bead that cannot win without it would be skipped below as well:
                # skip it before the erfc and the log
                if lows is None:
                    e = emb(Sids, i - di, di, Tids, pj, dj) if emb is not None else 0.0
                    lb = e
                else:  # a lower bound of the term now, the term itself only if the bead can still win
                    e = None
                    lb = (lowS[i] - lowS[i - di]) + (lowT[j] - lowT[pj]) - 1e-6
                if ovl:
                    # the overlap term is at least what sharing every anchor of the smaller side would leave
                    lbo = ovl * (tau_ovl - overlap_share(gain, gs, gt))
                    lb += lbo
                if prev + prior + pen + lb - gain >= best:
                    continue
                x1 = l2 * inv_ratio if edge else l1  # partial: the target may begin/end inside this source unit
                mean = (x1 + l2 * inv_ratio) * 0.5
                x = abs(l2 - x1 * ratio) / sqrt(var * (mean if mean > 1.0 else 1.0))
                p = erfc(x * inv_sqrt2)
                if p > 1e-300:
                    c = prev + prior - log(p)
                else:
                    z = x * inv_sqrt2
                    c = prev + prior + z * z + log(z * sqrt_pi)
                c += pen
                if e is None:
                    if c + lb - gain >= best:
                        continue
                    if di > 1 or dj > 1:  # a closer bound from the bead's sentence pairs
                        lb = _pair_bound(E, lo, XA, XB, CSA, CSB, i, j, di, dj, bound, Sids, Tids)
                        if ovl:
                            lb += lbo
                        if c + lb - gain >= best:
                            continue
                        e = emb(Sids, i - di, di, Tids, pj, dj)
                    else:
                        e = erow[j - a] = emb(Sids, i - 1, 1, Tids, pj, 1)
                    lb = e + lbo if ovl else e
                if ovl:
                    if c + lb - gain >= best:
                        continue
                    g = 0.0
                    if fs and ft:
                        shared = fs.keys() & ft.keys()
                        if shared:
                            for fid in shared:
                                u = fs[fid]
                                v = ft[fid]
                                g += (u if u < v else v) * weights[fid][0]
                            c -= g
                    if emb is not None:
                        c += e
                    c += ovl * (tau_ovl - overlap_share(g, gs, gt))
                    if c < best:
                        best, arg = c, t
                    continue
                if emb is not None:
                    c += e
                if c - gain >= best:
                    continue
                if fs and ft:
                    shared = fs.keys() & ft.keys()
                    for fid in shared:
                        u = fs[fid]
                        v = ft[fid]
                        c -= (u if u < v else v) * weights[fid][0]
                if c < best:
                    best, arg = c, t
            row[j - a] = best
            back[j - a] = arg
        D.append(row)
        B.append(back)
    # trace back
    path = []
    i, j = n, m
    touched = False
    while i > 0 or j > 0:
        a = lo[i]
        if (j == lo[i] and j > 0 and i > 0 and lo[i] > 0) or (j == hi[i] and j < m and hi[i] < m):
            touched = True
        t = B[i][j - a]
        if t < 0:
            raise RuntimeError("alignment band has no path")  # pragma: no cover
        di, dj, _ = types[t]
        path.append((i - di, di, j - dj, dj))
        i, j = i - di, j - dj
    path.reverse()
    return path, touched


def posteriors(model: Model, S: Side, T: Side, lo, hi, path, free: tuple) -> list[float]:
    """Posterior probability of each bead of ``path`` (forward-backward in the band ``lo``..``hi``).

    The costs are read as negative log probabilities (divided by the
    ``temperature``); ``A[i][j]`` is the log of the summed probability of every
    path (0, 0) -> (i, j) inside the band and ``Bk[i][j]`` that of every path
    (i, j) -> (n, m), so a bead's posterior is ``A[start] - cost + Bk[end] - log Z``.

    This ran over every bead of the band twice (forward and backward), each
    time through :meth:`Model.cost`, and was more than half of the aligner's
    time. Each bead's cost is now computed once, in the forward pass, written
    out like :func:`_dp` does (the same operations in the same order as
    :meth:`Model.cost`, so the same floats), and kept in a flat array per row
    for the backward pass and the path. The source blocks of a row and the
    target blocks of a column are looked up once, not per bead. The sums are
    the same log-sum-exp, in the same order, so the result is what the
    straightforward version gives (``tests/test_align_dp.py`` checks it against
    every path of small problems).
    """
    n, m = len(S), len(T)
    types = model.types
    K = len(types)
    temp = model.opts["temperature"]
    skip = model.opts["skip_cost"]
    fsl, fst, ftl, ftt = free
    ratio, var = model.ratio, model.var
    length_cost = model.length_cost
    weights = model.weights
    block = model.block
    # the embedding term of Model.cost, as in _dp; with lower bounds (the Model 1 term), a bead larger than 1:1
    # whose weight cannot reach e^-_NEGLIGIBLE of that of a bead already found into the same cell is left out
    # (its cost is not computed; _PRUNED in W): every path through it weighs less than e^-_NEGLIGIBLE of the
    # paths through that cell, so the posteriors change by less than the number of such beads times e^-_NEGLIGIBLE
    emb, lows, bound, lowS, lowT, XA, XB, CSA, CSB = _term(model, S, T)
    Sids, Tids = S.ids, T.ids
    if lows is not None:
        cut = _NEGLIGIBLE * temp
        E: list = [None] * (n + 1)  # Model1Term.bound written out, as in _dp
    ovl, tau_ovl = model.overlap, model.tau_overlap
    po, So, To = _open_flags(model, S, T)
    del_s = indel_costs(model, S, True)
    ins_t = indel_costs(model, T, False)
    Scum, Tcum = S.cum, T.cum
    erfc, log, sqrt, exp = math.erfc, math.log, math.sqrt, math.exp
    sqrt2 = math.sqrt(2.0)
    sqrt_pi = math.sqrt(math.pi)
    NEG = -_INF
    for di, dj, _ in types:
        if (di == 0 or dj == 0) and di + dj != 1:  # pragma: no cover - Model has no such types
            raise ValueError(f"bead type {di}:{dj} is not supported")
    # target blocks (features, unmatched penalty) of the bead ending at column j, per width dj
    columns = _Columns({dj for _, dj, _ in types if dj}, m, lambda dj, j: block(T, j - dj, dj))
    tblocks = columns.cols

    # forward, computing (and keeping) every bead's cost / temp once: W[i][(j - lo[i]) * K + t]
    # is that of the bead of type t ending at (i, j)
    A: list[list[float]] = []
    W: list[array] = []
    for i in range(n + 1):
        a, b = lo[i], hi[i]
        columns.row(a, b)
        width = b - a + 1
        row = [NEG] * width
        wrow = array("d", bytes(8 * width * K))
        if lows is not None:
            erow = E[i] = _NAN * width
            if i > 4:
                E[i - 5] = None
        specs = []  # the bead types that can end in this row, with what depends on the row only
        for t, (di, dj, prior) in enumerate(types):
            pi = i - di
            if pi < 0:
                continue
            if di == 0:
                specs.append((t, di, dj, prior, row, a, b, 0, None, 0.0, None, None))
                continue
            fs = ps = gs = None
            if dj:
                fs, ps, gs = block(S, pi, di)
            specs.append((t, di, dj, prior, A[pi], lo[pi], hi[pi], Scum[i] - Scum[pi], fs, ps, gs,
                          tblocks.get(dj)))
        osi = So[i - 1] if So is not None and i else 0
        for j in range(a, b + 1):
            if i == 0 and j == 0:
                row[0] = 0.0
                continue
            otj = To[j - 1] if To is not None and j else 0
            base = (j - a) * K
            vals = []
            for t, di, dj, prior0, prow, plo, phi, l1, fs, ps, gs, tcol in specs:
                pj = j - dj
                if pj < plo or pj > phi:
                    continue
                prior = prior0 + po if osi != otj else prior0
                if dj == 0:  # 1:0
                    c = skip if (j == 0 and fsl) or (j == m and fst) else del_s[i - 1] + po * osi
                elif di == 0:  # 0:1
                    c = skip if (i == 0 and ftl) or (i == n and ftt) else ins_t[j - 1] + po * otj
                else:  # Model.cost, written out
                    l2 = Tcum[j] - Tcum[pj]
                    edge = di == 1 and ((j == m and fst) or (pj == 0 and fsl)) and l1 * ratio > l2
                    if edge:
                        x1 = l2 / ratio
                    else:
                        x1 = l1
                    if x1 == 0 or l2 == 0:
                        c = prior + length_cost(x1, l2)
                    else:
                        mean = (x1 + l2 / ratio) / 2.0
                        x = abs((l2 - x1 * ratio) / sqrt(var * (mean if mean > 1.0 else 1.0)))
                        p = erfc(x / sqrt2)
                        if p > 1e-300:
                            c = prior + -log(p)
                        else:
                            z = x / sqrt2
                            c = prior + (z * z + log(z * sqrt_pi))
                    ft, pt, gt = tcol[j]
                    pss = 0.0 if edge else ps
                    gain = 0.0
                    if fs and ft:
                        shared = fs.keys() & ft.keys()
                        if shared:
                            for fid in shared:
                                u = fs[fid]
                                v = ft[fid]
                                gain += (u if u < v else v) * weights[fid][0]
                            c += pss + pt - gain
                        else:
                            c += pss + pt
                    else:
                        c += pss + pt
                    if ovl:
                        c += ovl * (tau_ovl - overlap_share(gain, gs, gt))
                    if emb is not None:
                        if lows is None:
                            c += emb(Sids, i - di, di, Tids, pj, dj)
                        elif di == 1 and dj == 1:
                            e = erow[j - a] = emb(Sids, i - 1, 1, Tids, pj, 1)
                            c += e
                        else:
                            prev = prow[pj - plo]
                            if prev == NEG:
                                wrow[base + t] = _PRUNED
                                continue
                            if vals:
                                top = (max(vals) - prev) * temp - cut  # the bead is negligible if c + its term > -top
                                if c + (lowS[i] - lowS[i - di]) + (lowT[j] - lowT[pj]) > -top:
                                    wrow[base + t] = _PRUNED
                                    continue
                                lb = _pair_bound(E, lo, XA, XB, CSA, CSB, i, j, di, dj, bound, Sids, Tids)
                                if c + lb > -top:
                                    wrow[base + t] = _PRUNED
                                    continue
                            c += emb(Sids, i - di, di, Tids, pj, dj)
                cw = c / temp
                wrow[base + t] = cw
                prev = prow[pj - plo]
                if prev != NEG:
                    vals.append(prev - cw)
            if vals:
                if len(vals) == 1:
                    row[j - a] = vals[0]
                else:
                    mx = max(vals)
                    row[j - a] = mx + log(sum([exp(v - mx) for v in vals]))
        A.append(row)
        W.append(wrow)

    # backward: Bk[i][j] = log sum over paths (i,j)->(n,m), with the costs kept above
    Bk: list[list[float]] = [[]] * (n + 1)
    for i in range(n, -1, -1):
        a, b = lo[i], hi[i]
        row = [NEG] * (b - a + 1)
        specs = []
        for t, (di, dj, _) in enumerate(types):
            ni = i + di
            if ni > n:
                continue
            if di == 0:
                specs.append((t, dj, row, a, b, W[i]))
            else:
                specs.append((t, dj, Bk[ni], lo[ni], hi[ni], W[ni]))
        for j in range(b, a - 1, -1):
            if i == n and j == m:
                row[j - a] = 0.0
                continue
            vals = []
            for t, dj, nrow, nlo, nhi, wn in specs:
                nj = j + dj
                if nj < nlo or nj > nhi:
                    continue
                nxt = nrow[nj - nlo]
                if nxt == NEG:
                    continue
                vals.append(nxt - wn[(nj - nlo) * K + t])
            if vals:
                if len(vals) == 1:
                    row[j - a] = vals[0]
                else:
                    mx = max(vals)
                    row[j - a] = mx + log(sum([exp(v - mx) for v in vals]))
        Bk[i] = row
    logz = A[n][m - lo[n]]
    type_of = {}
    for t, (di, dj, _) in enumerate(types):
        type_of.setdefault((di, dj), t)
    out = []
    for pi, di, pj, dj in path:
        i, j = pi + di, pj + dj
        cw = W[i][(j - lo[i]) * K + type_of[di, dj]]
        lp = A[pi][pj - lo[pi]] - cw + Bk[i][j - lo[i]] - logz
        out.append(min(1.0, max(0.0, math.exp(min(0.0, lp)))))
    return out


class _Columns:
    """The blocks of the target units a bead ending at column j covers, per width: made for the columns of the
    band's current row and dropped once the band has passed them (its ``lo`` does not decrease), so a long
    text never holds them all at once (:meth:`Model.block` keeps those of single units only)."""

    __slots__ = ("cols", "make", "low")

    def __init__(self, widths, m: int, make):
        self.cols = {dj: [_UNSET] * (m + 1) for dj in widths}
        self.make = make  # make(dj, j): the block of the units j - dj .. j - 1 (None: no bead ends there)
        self.low = 0

    def row(self, a: int, b: int) -> None:
        """Make the columns ``a..b`` (from ``dj`` on: no bead of width dj ends before it); forget those before a."""
        if a > self.low:
            gone = [_UNSET] * (a - self.low)
            for col in self.cols.values():
                col[self.low : a] = gone
            self.low = a
        make = self.make
        for dj, col in self.cols.items():
            for j in range(a if a > dj else dj, b + 1):
                if col[j] is _UNSET:
                    col[j] = make(dj, j)


#: a column not made yet (:class:`_Columns`)
_UNSET = object()


def _full_band(n: int, m: int) -> tuple[list[int], list[int]]:
    return [0] * (n + 1), [m] * (n + 1)


def _project(path, S: Side, T: Side, Sc: Side, Tc: Side, window: int):
    """Band in S x T around a path found on the coarsened sides Sc x Tc."""
    n, m = len(S), len(T)
    # fine index of coarse boundary: Sc.starts are fine indices at the level of S
    # (coarse sides were built from S/T, so starts map coarse -> fine units)
    lo = [m + 1] * (n + 1)
    hi = [-1] * (n + 1)
    for ci, cdi, cj, cdj in path:
        i0, i1 = Sc.starts[ci], Sc.starts[ci + cdi]
        j0, j1 = Tc.starts[cj], Tc.starts[cj + cdj]
        for i in range(i0, i1 + 1):
            if j0 < lo[i]:
                lo[i] = j0
            if j1 > hi[i]:
                hi[i] = j1
    return _widen(lo, hi, n, m, window)


def path_band(path, n: int, m: int, window: int):
    """Band of half-width ``window`` around a fine path."""
    lo = [m + 1] * (n + 1)
    hi = [-1] * (n + 1)
    for i0, di, j0, dj in path:
        for i in range(i0, i0 + di + 1):
            lo[i] = min(lo[i], j0)
            hi[i] = max(hi[i], j0 + dj)
    return _widen(lo, hi, n, m, window)


def _widen(lo, hi, n, m, window):
    nlo = [0] * (n + 1)
    nhi = [0] * (n + 1)
    # sliding min/max over rows i-window..i+window (simple O(n*w); w is small)
    for i in range(n + 1):
        a = max(0, i - window)
        b = min(n, i + window)
        nlo[i] = max(0, min(lo[a : b + 1]) - window)
        nhi[i] = min(m, max(hi[a : b + 1]) + window)
    nlo[0] = 0
    nhi[n] = m
    for i in range(n - 1, -1, -1):  # lo non-decreasing
        if nlo[i] > nlo[i + 1]:
            nlo[i] = nlo[i + 1]
    for i in range(1, n + 1):  # hi non-decreasing
        if nhi[i] < nhi[i - 1]:
            nhi[i] = nhi[i - 1]
    for i in range(n + 1):
        if nhi[i] < nlo[i]:
            nhi[i] = nlo[i]
    return nlo, nhi


def solve(model: Model, S: Side, T: Side, free: tuple, depth: int = 0,
           guide=None):
    """Best path over S x T, coarse to fine; returns (path, lo, hi).

    ``guide`` is a path over S x T found earlier (e.g. before the lexicon was
    learnt): when given, it replaces the coarse passes.
    """
    n, m = len(S), len(T)
    opts = model.opts
    coarse = depth > 0
    window = opts["window"]
    if guide is None and ((n + 1) * (m + 1) <= opts["full_dp_cells"] or n <= 2 or m <= 2 or depth > 30):
        lo, hi = _full_band(n, m)
        path, _ = _dp(model, S, T, lo, hi, free, coarse)
        return path, lo, hi
    if guide is not None:
        def band(w):
            return path_band(guide, n, m, w)
    else:
        # coarsen the longer side(s): both when comparable, else only the longer
        cs = _relative(S.coarsen() if n >= m / 2 else _identity_coarse(S), S)
        ct = _relative(T.coarsen() if m >= n / 2 else _identity_coarse(T), T)
        cpath, _, _ = solve(model, cs, ct, free, depth + 1)

        def band(w):
            return _project(cpath, S, T, cs, ct, w)
    for _attempt in range(4):
        lo, hi = band(window)
        path, touched = _dp(model, S, T, lo, hi, free, coarse)
        if not touched or (lo == [0] * (n + 1) and hi == [m] * (n + 1)):
            break
        window *= 2
    return path, lo, hi


def _identity_coarse(side: Side) -> Side:
    return Side(list(side.lens), list(side.feats), list(side.junk), list(side.starts))


def _relative(coarse: Side, fine: Side) -> Side:
    """A copy of ``coarse`` whose ``starts`` index the units of ``fine``."""
    pos = {s: k for k, s in enumerate(fine.starts)}
    out = Side(coarse.lens, coarse.feats, coarse.junk, [pos[s] for s in coarse.starts])
    return out
