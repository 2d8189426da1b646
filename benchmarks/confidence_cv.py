#!/usr/bin/env python3
"""Candidates for the bead-score model (``aligner/align/confidence.py``), cross-validated without Text+Berg test.

    python benchmarks/confidence_cv.py   # about 3 minutes on 2 cores

Data (nothing else is read: not Text+Berg test0-6, not the held-out Bible books):

* Text+Berg dev, strict gold (right = the identical bead is in the gold), cut into 5 folds of consecutive
  beads (it is one document);
* the Bible tuning books Mark, Gen, Ps, Matt, Rom, KJV against WEB, Reina-Valera 1909 and the Synodal,
  aligned without verse numbers; one fold per book (all three versions of it), so a book is never scored
  by a model that saw it. Two labellings: *lax* = the bead lies inside one verse on both sides (how
  ``align.py --confidence`` scores the Bible), *strict* = :func:`verse_labels` (as strict as verse gold
  allows: a 1:1 bead that leaves out a sentence of a verse whose other side is one sentence is wrong).

Each row is one candidate: the observations (the model's, plus extra ones computed here), the data it is
fitted on and the weight of a Bible bead (a dev bead weighs 1). Its dev figures pool the out-of-fold scores
of the five dev folds (each fitted on the other four folds and, with Bible data, on every Bible book); its
Bible figures pool the scores of each left-out book (fitted on the other books and on all of dev), with the
lax labels of the benchmark table. The fit is a weighted logistic regression by Newton's method with
L2 0.1 on the standardised weights, as ``align.py --fit-confidence`` fits the model (by gradient descent).
"""

from __future__ import annotations

import math
import operator
import sys

import align as A
from aligner.align.blocks import _partial_mode, _search
from aligner.align.confidence import FEATURES, FIXED, bead_features, probability
from aligner.align.cost import Side
from aligner.align.evaluate import as_pairs
from aligner.align.options import resolve_options


def _owners(gold) -> tuple[list, dict, dict]:
    """The gold pairs, and the gold pair each source and each target sentence belongs to."""
    gold = as_pairs(gold)
    owner_s, owner_t = {}, {}
    for k, (gs, gt) in enumerate(gold):
        owner_s.update((i, k) for i in gs)
        owner_t.update((j, k) for j in gt)
    return gold, owner_s, owner_t


def verse_labels(beads, gold) -> list:
    """Strict labels against verse gold (None = unknown: part of a verse with 2+ sentences on each side)."""
    gold, owner_s, owner_t = _owners(gold)
    out = []
    for b, owners in _bead_owners(beads, owner_s, owner_t):
        if owners is None:
            out.append(None)
            continue
        if len(owners) != 1 or -1 in owners:
            out.append(0)
            continue
        gs, gt = gold[owners.pop()]
        if tuple(b.src) == tuple(gs) and tuple(b.tgt) == tuple(gt):
            out.append(1)
        elif (len(gs) == 1 and len(b.tgt) < len(gt)) or (len(gt) == 1 and len(b.src) < len(gs)):
            out.append(0)
        else:
            out.append(None)
    return out


def lax_labels(beads, gold) -> list:
    """Lax labels against verse gold: right when the bead lies inside one verse on both sides."""
    _, owner_s, owner_t = _owners(gold)
    return [None if owners is None else int(len(owners) == 1 and -1 not in owners)
            for _, owners in _bead_owners(beads, owner_s, owner_t)]


def _bead_owners(beads, owner_s, owner_t):
    """Each bead with the verses its sentences belong to (-1: none), or None for a bead with an empty side."""
    for b in beads:
        if not (b.src and b.tgt):
            yield b, None
        else:
            yield b, {owner_s.get(i, -1) for i in b.src} | {owner_t.get(j, -1) for j in b.tgt}


def candidates(beads, problem, model) -> list:
    """Extra observations of each bead with both sides (None for the others)."""
    S = Side(problem.src_lens, problem.src_feats, problem.src_junk, [])
    T = Side(problem.tgt_lens, problem.tgt_feats, problem.tgt_junk, [])
    prior = {(a, b): c for a, b, c in model.types}
    temp = model.opts["temperature"]
    sl, tl = problem.src_lens, problem.tgt_lens

    def cost(s, t):
        if (len(s), len(t)) not in prior or (s and s[-1] - s[0] + 1 != len(s)) or (t and t[-1] - t[0] + 1 != len(t)):
            return None
        return model.cost(S, T, s[0] if s else 0, len(s), t[0] if t else 0, len(t), prior[(len(s), len(t))])

    n = len(beads)
    out = []
    for k, b in enumerate(beads):
        if not (b.src and b.tgt):
            out.append(None)
            continue
        l1, l2 = sum(sl[i] for i in b.src), sum(tl[j] for j in b.tgt)
        length = model.length_cost(l1, l2)
        own = cost(b.src, b.tgt)
        split = merge = -20.0
        one_side = 0.0
        for y in (k - 1, k + 1):
            if not 0 <= y < n:
                continue
            nb = beads[y]
            a1, a2 = sum(sl[i] for i in nb.src), sum(tl[j] for j in nb.tgt)
            if nb.src and nb.tgt:  # the bead with one side of a neighbouring bead (a 1:1 that is half a 2:1)
                one_side = max(one_side, length - model.length_cost(l1 + a1, l2), length - model.length_cost(l1, l2 + a2))
            first, second = (nb, b) if y < k else (b, nb)
            c_nb, c_m = cost(nb.src, nb.tgt), cost(tuple(first.src) + tuple(second.src), tuple(first.tgt) + tuple(second.tgt))
            if own is not None and c_nb is not None and c_m is not None:
                merge = max(merge, (own + c_nb - c_m) / temp)
        if own is not None:
            for cs in range(len(b.src) + 1):
                for ct in range(len(b.tgt) + 1):
                    c1, c2 = cost(b.src[:cs], b.tgt[:ct]), cost(b.src[cs:], b.tgt[ct:])
                    if (cs or ct) and (cs < len(b.src) or ct < len(b.tgt)) and c1 is not None and c2 is not None:
                        split = max(split, (own - c1 - c2) / temp)
        mean = (l1 / len(b.src) + l2 / len(b.tgt)) / 2
        beside = [sl[i] for i in (b.src[0] - 1, b.src[-1] + 1) if 0 <= i < len(sl)]
        beside += [tl[j] for j in (b.tgt[0] - 1, b.tgt[-1] + 1) if 0 <= j < len(tl)]
        shortest = min([sl[i] for i in b.src] + [tl[j] for j in b.tgt])
        out.append({"split gap": max(-20.0, min(20.0, split)), "merge gap": max(-20.0, min(20.0, merge)),
                    "one side of a neighbour": min(one_side, 20.0),
                    "short sentence inside": math.log(max(1, shortest) / mean),
                    "short sentence beside": math.log(max(1, min(beside)) / mean) if beside else 0.0})
    return out


def observe(src, tgt, lang_s, lang_t, opts):
    free = _partial_mode(src, tgt, False, opts)
    beads, problem, model, groups = _search(src, tgt, lang_s, lang_t, opts, [], free,
                                            lambda p, m: [(0, len(src), 0, len(tgt), free)])
    obs = bead_features(beads, problem, model, None, None, frozenset(), [g[:4] for g in groups])
    extra = candidates(beads, problem, model)
    rows = []
    for b, x, e in zip(beads, obs, extra):
        if x is None:
            rows.append(None)
            continue
        e = dict(e)
        e["log shared, unmatched"] = (math.log1p(x[3]), math.log1p(x[4]))
        e["log(1 - posterior)"] = math.log(1.0 - x[1] + 1e-3)
        e["posterior squared"] = x[1] ** 2
        rows.append((x, e))
    return beads, rows


def collect():
    opts = resolve_options({})
    src, tgt, gold = A.load_text_berg("dev")
    beads, rows = observe(src, tgt, "de", "fr", opts)
    exact = set(as_pairs(gold))
    dev = [(r, int((b.src, b.tgt) in exact)) for b, r in zip(beads, rows) if r is not None]
    bible = []  # (version, book, row, lax, strict)
    split = A.get_splitter()[0]
    kjv = A.load_bible(A.BIBLE / "en-kjv.tsv", A.TUNING)
    for label, other, lang in A.VERSIONS:
        ov = A.load_bible(A.BIBLE / other, A.TUNING)
        for book in A.TUNING:
            fs, ft, _, _, gold = A.bible_book(kjv[book], ov[book], "en", lang, split)
            beads, rows = observe(fs, ft, "en", lang, opts)
            for r, lax, strict in zip(rows, lax_labels(beads, gold), verse_labels(beads, gold)):
                if r is not None:
                    bible.append((label, book, r, lax, strict))
            print(f"  {label} {book}: {len(beads)} beads", file=sys.stderr, flush=True)
    return dev, bible


def vector(row, extra):
    x, e = row
    v = list(x)
    for name in extra:
        v.extend(e[name] if isinstance(e[name], tuple) else (e[name],))
    return v


def fit(X, Y, W, fixed, l2=0.1, iters=50):
    """Weighted logistic regression, Newton's method on standardised observations; raw coefficients."""
    d = len(X[0])
    free = [k for k in range(d) if k not in fixed]
    sw = sum(W)
    mu = [0.0] + [sum(w * x[k] for x, w in zip(X, W)) / sw for k in range(1, d)]
    sd = [1.0] + [max(1e-6, (sum(w * (x[k] - mu[k]) ** 2 for x, w in zip(X, W)) / sw) ** 0.5) for k in range(1, d)]
    cols = {k: [(x[k] - mu[k]) / sd[k] for x in X] for k in free}
    offset = [sum(c * x[k] for k, c in fixed.items()) for x in X]
    w = {k: 0.0 for k in free}
    for _ in range(iters):
        z = list(offset)
        for k in free:
            if w[k]:
                z = [a + w[k] * b for a, b in zip(z, cols[k])]
        p = [1 / (1 + math.exp(-max(-30.0, min(30.0, v)))) for v in z]
        r = [q * (pp - y) for pp, y, q in zip(p, Y, W)]
        h = [q * pp * (1 - pp) for pp, q in zip(p, W)]
        g = [sum(map(operator.mul, r, cols[k])) / sw + (l2 * w[k] if k else 0.0) for k in free]
        H = [[0.0] * len(free) for _ in free]
        for a, ka in enumerate(free):
            ha = list(map(operator.mul, h, cols[ka]))
            for b in range(a, len(free)):
                H[a][b] = H[b][a] = sum(map(operator.mul, ha, cols[free[b]])) / sw
            if ka:
                H[a][a] += l2
        step = solve(H, g)
        for a, k in enumerate(free):
            w[k] -= step[a]
        if max(abs(s) for s in step) < 1e-9:
            break
    raw = [w[k] / sd[k] if k in w else 0.0 for k in range(d)]
    raw[0] = w[0] - sum(w[k] * mu[k] / sd[k] for k in free if k)
    for k, c in fixed.items():
        raw[k] = c
    return raw


def solve(H, g):
    n = len(g)
    M = [row[:] + [g[i]] for i, row in enumerate(H)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c]:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def figures(scores, labels):
    if not labels:
        return "–"
    held, wrong = A.lowest_hold(scores, labels)
    ll = -sum(math.log(max(1e-9, s if y else 1 - s)) for s, y in zip(scores, labels)) / len(labels)
    return f"{A.auc(scores, labels):.3f} / {held}/{wrong} / {ll:.3f}"


def cross_validate(dev, bible, extra, labels, weight):
    """(dev cell, {version: Bible cell}) of one candidate; labels = None (dev only), 'lax' or 'strict'."""
    fixed = {FEATURES.index(n): c for n, c in FIXED.items()}
    Xd = [vector(r, extra) for r, _ in dev]
    Yd = [y for _, y in dev]
    folds = [min(4, 5 * k // len(dev)) for k in range(len(dev))]
    col = 3 if labels == "lax" else 4
    train_b = [(vector(r, extra), row[col], row[1]) for row in bible for r in (row[2],) if labels and row[col] is not None]
    sd = [0.0] * len(dev)
    for f in range(5):
        X = [x for x, k in zip(Xd, folds) if k != f] + [x for x, _, _ in train_b]
        Y = [y for y, k in zip(Yd, folds) if k != f] + [y for _, y, _ in train_b]
        W = [1.0] * (len(X) - len(train_b)) + [weight] * len(train_b)
        c = fit(X, Y, W, fixed)
        for i, k in enumerate(folds):
            if k == f:
                sd[i] = probability(Xd[i], c)
    Xb = [vector(row[2], extra) for row in bible]
    sb = [0.0] * len(bible)
    for book in A.TUNING:
        train = [(x, y) for x, y, bk in train_b if bk != book]
        X = Xd + [x for x, _ in train]
        W = [1.0] * len(Xd) + [weight] * len(train)
        c = fit(X, Yd + [y for _, y in train], W, fixed)
        for i, row in enumerate(bible):
            if row[1] == book:
                sb[i] = probability(Xb[i], c)
    per = {}
    for label, _, _ in A.VERSIONS:
        idx = [i for i, row in enumerate(bible) if row[0] == label]
        per[label] = figures([sb[i] for i in idx], [bible[i][3] for i in idx])
    return figures(sd, Yd), per


CANDIDATES = [
    # (extra observations, Bible labels (None = dev only), weight of a Bible bead)
    ([], None, 0), ([], "lax", 0.05), ([], "lax", 0.2), ([], "lax", 1.0),
    ([], "strict", 0.05), ([], "strict", 0.2), ([], "strict", 1.0),
    (["split gap"], None, 0), (["split gap"], "lax", 0.05), (["split gap"], "strict", 0.2),
]
for name in ("merge gap", "one side of a neighbour", "short sentence inside", "short sentence beside",
             "log shared, unmatched", "log(1 - posterior)", "posterior squared"):
    CANDIDATES += [([name], None, 0), ([name], "strict", 0.2)]


def main():
    dev, bible = collect()
    rows = []
    for extra, labels, weight in CANDIDATES:
        d, per = cross_validate(dev, bible, extra, labels, weight)
        data = "dev" if labels is None else f"dev + Bible {labels} x {weight}"
        rows.append([" + ".join(extra) or "(the model's)", data, d] + [per[v] for v, _, _ in A.VERSIONS])
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    wrong = {"lax": {}, "strict": {}}
    for row in bible:
        for lab, col in (("lax", 3), ("strict", 4)):
            wrong[lab][row[0]] = wrong[lab].get(row[0], 0) + (row[col] == 0)
    print(f"Text+Berg dev: {len(dev)} beads with both sides, {sum(1 for _, y in dev if not y)} wrong; Bible tuning "
          "books, wrong (lax / strict): " + ", ".join(f"{v} {wrong['lax'][v]}/{wrong['strict'][v]}" for v, _, _ in A.VERSIONS)
          + f"; strict labels known for {sum(1 for r in bible if r[4] is not None)} of {len(bible)} Bible beads")
    print("cells: AUC / lowest hold / log loss (out-of-fold scores)")
    print(A.render(["extra observations", "fitted on", "dev (5 folds)"] + [f"{v} (book left out)" for v, _, _ in A.VERSIONS], rows))


if __name__ == "__main__":
    main()
