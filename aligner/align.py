"""Automatic sentence alignment: length, anchors and structure, no model download.

The aligner is a dynamic programme over *beads* (1:1, 1:2, 2:1, 1:0, 0:1, 2:2,
1:3, 3:1, 2:3, 3:2, 1:4, 4:1; the larger ones have dearer priors). The cost of a
bead is the sum of

* a prior for its type (Gale & Church 1993: 1:1 is cheap, deletions dear);
* a length term: Gale & Church's ``-log P(delta)`` on character counts, with
  ``delta = (l2 - c*l1) / sqrt(s2 * (l1 + l2/c) / 2)``; ``c`` is estimated from
  the two texts (for a 1:0/0:1 bead: Gale & Church's delta of the one side,
  at half weight, and a "sentence" with fewer than three letters - OCR debris,
  a rule, a page number - is cheap to leave out);
* a lexical term from *anchors* that need no model: numbers (digits, Roman
  numerals, month names in en/ru/es/de/fr/it), shared words and names (4-letter
  prefixes after lowercasing and stripping diacritics, as YASA and hunalign
  without a dictionary do; for a Cyrillic-Latin pair capitalised words are
  compared as consonant skeletons of their iuliia transliteration, so
  ``Кропоткин`` meets ``Kropotkin`` and ``Ленину`` meets ``Lenin``), punctuation
  that tends to survive translation (``? ! « » " ( ) :``), and a small translation
  lexicon learnt from the texts themselves (word pairs that co-occur in the
  confident 1:1 beads of a first pass, one partner per word, as hunalign's
  ``-realign``). An anchor shared by the two sides of a bead lowers its cost by
  a weight times its rarity (``-log`` of the share of sentences containing it);
  an unmatched number or punctuation mark raises it a little.

Search is coarse to fine, as in Vecalign and FastDTW: long texts are aligned
first with consecutive sentences merged in pairs (recursively), the coarse path
is projected back and widened by a window, and the exact DP runs only inside
that band. If the best path touches the band's edge the window is doubled and
the pass repeated. The second (lexicon) pass searches around the first path.
Memory and time therefore grow linearly with the length of the texts.

Every bead gets a ``score``: its posterior probability under the model
(forward-backward with the costs read as negative log probabilities, in a
narrow band around the best path), so 1.0 means "no other alignment of this
stretch is nearly as good"; reviewers sort by it.

``partial`` (semi-global) alignment lets leading and trailing source sentences
go unaligned at almost no cost, and the first/last target bead may cover only
part of a source unit; it switches itself on when one text is more than 2.5
times longer than the other.

The module is free of any database: the store and the command line call
:func:`align_sentences` / :func:`align_blocks` and save the beads.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Bead",
    "Block",
    "align_sentences",
    "align_blocks",
    "signature",
    "DEFAULT_OPTIONS",
]

NAME = "aligner.align"
VERSION = "1"


@dataclass(frozen=True)
class Bead:
    """A minimal group of source sentences aligned to a group of target sentences.

    ``src``/``tgt`` are 0-based indices into the flat sentence lists; either may
    be empty (a 1:0 or 0:1 bead). ``score`` is a confidence in [0, 1].
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float = 1.0

    @property
    def kind(self) -> str:
        return f"{len(self.src)}:{len(self.tgt)}"


@dataclass
class Block:
    """A structural unit (paragraph, dateline, salutation, heading, verse...)."""

    kind: str
    sentences: list[str]
    key: str | None = None
    division: int = 0


# --------------------------------------------------------------------------
# options

DEFAULT_OPTIONS: dict = {
    # priors: cost of each bead type relative to 1:1, about -log(P(type) / P(1:1))
    "cost_1_0": 4.5,  # 1:0 and 0:1
    "cost_2_1": 2.3,  # 2:1 and 1:2
    "cost_2_2": 4.4,
    "cost_3_1": 5.5,  # 3:1 and 1:3
    "cost_big": 5.0,  # 3:2 and 2:3 (4:1 and 1:4 cost one more); None = not allowed
    "max_side": 4,  # largest group on one side: 2, 3 or 4
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
    # structure (align_blocks): a special kind (dateline, salutation...) meeting its own kind
    "w_kind": 3.0,
    "pen_kind": 5.0,
    # search
    "window": 8,  # half-width of the band around the projected coarse path
    "full_dp_cells": 60000,  # below this many cells the whole matrix is searched
    "temperature": 1.0,  # for the posterior bead scores
    "score_window": 3,  # half-width of the band in which bead posteriors are computed
    # partial (semi-global) alignment: cost of skipping one leading/trailing sentence
    "skip_cost": 0.05,
    "auto_partial": True,
    "auto_partial_ratio": 2.5,  # length ratio beyond which partial mode turns on by itself
}


def _options(options: dict) -> dict:
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(f"unknown aligner option(s): {', '.join(sorted(unknown))}")
    opts = dict(DEFAULT_OPTIONS)
    opts.update(options)
    return opts


def signature(**options) -> dict:
    """Name, version and effective options of the aligner, for a build signature."""
    return {"name": NAME, "version": VERSION, "options": _options(options)}


# --------------------------------------------------------------------------
# features


def _strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "þ": "th"})


@lru_cache(maxsize=200_000)
def _norm_word(word: str) -> str:
    return _strip_marks(word.lower().translate(_FOLD))


_CYR_RE = re.compile(r"[\u0400-\u04ff]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


@lru_cache(maxsize=100_000)
def _translit(word: str) -> str:
    """Latin form of a Cyrillic word (iuliia, Wikipedia schema); others unchanged."""
    if not _CYR_RE.search(word):
        return word
    try:
        import iuliia

        return iuliia.WIKIPEDIA.translate(word)
    except Exception:  # pragma: no cover - iuliia is a declared dependency
        return word


_SKEL_SUBS = [
    ("shch", "S"), ("sch", "S"), ("sh", "S"), ("tch", "C"), ("ch", "C"), ("zh", "Z"),
    ("kh", "h"), ("ph", "f"), ("ck", "k"), ("qu", "k"),
    ("x", "ks"), ("w", "v"), ("j", "i"), ("y", "i"),
]


@lru_cache(maxsize=100_000)
def _skeleton(word: str) -> str:
    """Consonant skeleton of a (transliterated) name: ``Kropotkin`` -> ``krptkn``.

    Doubled letters are collapsed first (``Illich`` = ``Ilich``), spelling
    variants of transliteration are unified (``w``/``v``, ``y``/``j``/``i``,
    ``kh``/``h``, ``ph``/``f``, ``c``/``k``), then the vowels after the first letter
    are dropped: ``Lenin``/``Ленину`` -> ``lnn``, ``Soviet``/``Советскою`` -> ``svt...``.
    """
    w = _norm_word(_translit(word))
    w = re.sub(r"[^a-z]", "", w)
    if not w:
        return ""
    w = re.sub(r"(.)\1+", r"\1", w)
    for a, b in _SKEL_SUBS:
        w = w.replace(a, b)
    w = w.replace("c", "k").lower()
    return w[0] + re.sub(r"[aeiouh]", "", w[1:])


_ROMAN_RE = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman_value(tok: str) -> int | None:
    if len(tok) < 2 or not _ROMAN_RE.match(tok):
        return None
    total = 0
    for a, b in zip(tok, tok[1:] + " "):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return total


# month names (lowercased, diacritics stripped): prefix -> month number.
_MONTHS: dict[str, int] = {}
for _k, _names in enumerate(
    [
        "january januar janvier enero январ gennaio",
        "february februar fevrier febrero феврал febbraio",
        "march marz mars marzo март",
        "april avril abril апрел aprile",
        "may mai mayo ма",
        "june juni juin junio июн giugno",
        "july juli juillet julio июл luglio",
        "august aout agosto август",
        "september septembre septiembre setiembre сентябр settembre",
        "october oktober octobre octubre октябр ottobre",
        "november novembre noviembre ноябр",
        "december dezember decembre diciembre декабр dicembre",
    ],
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _k
_RU_MONTH_ENDINGS = ("", "ь", "я", "е", "ем", "ю", "й", "а", "у", "ом")
_CAPITALISED_MONTH_LANGS = {"en", "de"}


def _month(word: str, lang: str) -> int | None:
    w = _norm_word(word)
    if _CYR_RE.match(w):
        # Russian forms: январь/января/январе..., май/мая/мае, март/марта
        for stem, k in _MONTHS.items():
            if _CYR_RE.match(stem) and w.startswith(stem) and w[len(stem):] in _RU_MONTH_ENDINGS:
                if stem == "ма" and w not in ("май", "мая", "мае", "маю", "маем"):
                    continue
                if stem == "март" and w not in ("март", "марта", "марте", "марту", "мартом"):
                    continue
                return k
        return None
    k = _MONTHS.get(w)
    if k is None or w == "ма":
        return None
    if lang in _CAPITALISED_MONTH_LANGS and not word[:1].isupper():
        return None  # "may", "march" as ordinary words
    return k


_TOKEN_RE = re.compile(r"\d+(?:[.,'’\u00a0\u202f ]\d{3})+(?!\d)|\d+|[^\W\d_]+")
_PUNCT_CLASSES = {
    "?": "?", "¿": "?", "!": "!", "¡": "!",
    "«": "q", "»": "q", "“": "q", "”": "q", "„": "q", '"': "q", "‹": "q", "›": "q",
    "(": "(", "[": "(",
    ":": ":",
}


def _script(texts: Sequence[str]) -> str:
    sample = "".join(texts[:2000])
    cyr = len(_CYR_RE.findall(sample))
    lat = len(_LATIN_RE.findall(sample))
    return "cyrl" if cyr > lat else "latn"


_LETTER_RE = re.compile(r"[^\W\d_]")


def _is_junk(text: str) -> bool:
    """A "sentence" with fewer than three letters: OCR debris, a rule, a lone page number."""
    return len(_LETTER_RE.findall(text)) < 3


def _raw_features(text: str, lang: str, cross_script: bool) -> Counter:
    """Anchor features of one sentence (feature string -> count)."""
    feats: Counter = Counter()
    for tok in _TOKEN_RE.findall(text):
        c0 = tok[0]
        if c0.isdigit():
            digits = re.sub(r"\D", "", tok)
            feats["n:" + (digits.lstrip("0") or "0")] += 1
            continue
        rv = _roman_value(tok)
        if rv is not None:
            feats[f"n:{rv}"] += 1
            continue
        mo = _month(tok, lang)
        if mo is not None:
            feats[f"m:{mo}"] += 1
            continue
        if cross_script:
            if c0.isupper() and len(tok) >= 3:
                sk = _skeleton(tok)
                if len(sk) >= 3:
                    feats["s:" + sk[:3]] += 1
        elif len(tok) >= 4:
            feats["w:" + _norm_word(tok)[:4]] += 1
    for ch in text:
        cls = _PUNCT_CLASSES.get(ch)
        if cls is not None:
            feats["p:" + cls] += 1
    return feats


def _words_for_lexicon(text: str) -> set[str]:
    return {_norm_word(t) for t in _TOKEN_RE.findall(text) if not t[0].isdigit() and len(t) >= 3}


# --------------------------------------------------------------------------
# the cost model


class _Side:
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

    def coarsen(self) -> _Side:
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
        return _Side(lens, feats, junk, starts)


class _Model:
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

    def block(self, side: _Side, i: int, k: int) -> tuple[dict, float, float]:
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

    def cost(self, S: _Side, T: _Side, i0: int, di: int, j0: int, dj: int, prior: float,
             edge: bool = False) -> float:
        """Cost of the bead S[i0:i0+di] : T[j0:j0+dj] (``_dp`` has this written out).

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


# --------------------------------------------------------------------------
# banded dynamic programming


_INF = float("inf")


def _indel_costs(model: _Model, side: _Side, is_src: bool) -> list[float]:
    """Cost of a 1:0 (source side) or 0:1 (target side) bead for each unit of ``side``."""
    out = []
    c10, cj = model.types[1][2], model.junk_cost
    for ln, junk in zip(side.lens, side.junk):
        out.append((cj if junk else c10) + (model.length_cost(ln, 0) if is_src else model.length_cost(0, ln)))
    return out


def _dp(model: _Model, S: _Side, T: _Side, lo: list[int], hi: list[int], free: tuple,
        coarse: bool = False):
    """Viterbi over the band ``lo[i] <= j <= hi[i]``; returns (path, touched_edge).

    ``path`` is a list of (i0, di, j0, dj) beads in order. The bead cost is
    :meth:`_Model.cost`, written out here for speed, with a bound that skips
    the anchor comparison when it cannot make the bead the best.
    """
    n, m = len(S), len(T)
    types = model.coarse_types if coarse else model.types
    skip = model.opts["skip_cost"]
    fsl, fst, ftl, ftt = free
    ratio, var = model.ratio, model.var
    inv_ratio = 1.0 / ratio
    del_s = _indel_costs(model, S, True)
    ins_t = _indel_costs(model, T, False)
    Scum, Tcum = S.cum, T.cum
    block = model.block
    weights = model.weights
    erfc, log, sqrt = math.erfc, math.log, math.sqrt
    sqrt_pi = math.sqrt(math.pi)
    inv_sqrt2 = 1.0 / _SQRT2
    match_types = [(t, di, dj, prior) for t, (di, dj, prior) in enumerate(types) if di and dj]
    Sat, Tat = S.atoms, T.atoms
    t10 = next(t for t, (di, dj, _) in enumerate(types) if di == 1 and dj == 0)
    t01 = next(t for t, (di, dj, _) in enumerate(types) if di == 0 and dj == 1)
    D: list[list[float]] = []
    B: list[list[int]] = []
    for i in range(n + 1):
        a, b = lo[i], hi[i]
        row = [_INF] * (b - a + 1)
        back = [-1] * (b - a + 1)
        prow = D[i - 1] if i else None
        plo = lo[i - 1] if i else 0
        phi = hi[i - 1] if i else -1
        for j in range(a, b + 1):
            if i == 0 and j == 0:
                row[0] = 0.0
                continue
            best = _INF
            arg = -1
            # 1:0 (source sentence i-1 left out)
            if i and plo <= j <= phi:
                prev = prow[j - plo]
                if prev < _INF:
                    c = prev + (skip if (j == 0 and fsl) or (j == m and fst) else del_s[i - 1])
                    if c < best:
                        best, arg = c, t10
            # 0:1 (target sentence j-1 left out)
            if j > a:
                prev = row[j - 1 - a]
                if prev < _INF:
                    c = prev + (skip if (i == 0 and ftl) or (i == n and ftt) else ins_t[j - 1])
                    if c < best:
                        best, arg = c, t01
            for t, di, dj, prior in match_types:
                pi = i - di
                pj = j - dj
                if pi < 0 or pj < 0:
                    continue
                pa = lo[pi]
                if pj < pa or pj > hi[pi]:
                    continue
                prev = D[pi][pj - pa]
                if prev == _INF:
                    continue
                if (Sat is not None and di > 1 and Sat[i] > Sat[pi]) or (Tat is not None and dj > 1 and Tat[j] > Tat[pj]):
                    continue
                l1 = Scum[i] - Scum[pi]
                l2 = Tcum[j] - Tcum[pj]
                edge = di == 1 and ((fst and j == m) or (fsl and pj == 0)) and l1 * ratio > l2
                if edge:
                    l1 = l2 * inv_ratio  # partial: the target may begin/end inside this source unit
                mean = (l1 + l2 * inv_ratio) * 0.5
                x = abs(l2 - l1 * ratio) / sqrt(var * (mean if mean > 1.0 else 1.0))
                p = erfc(x * inv_sqrt2)
                if p > 1e-300:
                    c = prev + prior - log(p)
                else:
                    z = x * inv_sqrt2
                    c = prev + prior + z * z + log(z * sqrt_pi)
                fs, ps, gs = block(S, pi, di)
                ft, pt, gt = block(T, pj, dj)
                c += pt if edge else ps + pt  # an edge unit's uncovered part has no counterpart
                if c - (gs if gs < gt else gt) >= best:
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


def _posteriors(model: _Model, S: _Side, T: _Side, lo, hi, path, free: tuple) -> list[float]:
    """Posterior probability of each bead of ``path`` (forward-backward in the band)."""
    n, m = len(S), len(T)
    types = model.types
    temp = model.opts["temperature"]
    skip = model.opts["skip_cost"]
    cost = model.cost

    fsl, fst, ftl, ftt = free

    def bead_cost(pi, di, pj, dj, prior, i, j):
        if di == 1 and dj == 0 and ((j == 0 and fsl) or (j == m and fst)):
            return skip
        if di == 0 and dj == 1 and ((i == 0 and ftl) or (i == n and ftt)):
            return skip
        edge = di == 1 and dj > 0 and ((j == m and fst) or (pj == 0 and fsl))
        return cost(S, T, pi, di, pj, dj, prior, edge)

    def lse(vals):
        mx = max(vals)
        if mx == -_INF:
            return -_INF
        return mx + math.log(sum(math.exp(v - mx) for v in vals))

    # forward: A[i][j] = log sum over paths (0,0)->(i,j) of exp(-cost/temp)
    A: list[list[float]] = []
    for i in range(n + 1):
        a, b = lo[i], hi[i]
        row = [-_INF] * (b - a + 1)
        for j in range(a, b + 1):
            if i == 0 and j == 0:
                row[0] = 0.0
                continue
            vals = []
            for di, dj, prior in types:
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0 or pj < lo[pi] or pj > hi[pi]:
                    continue
                prev = A[pi][pj - lo[pi]] if pi < i else row[pj - a]
                if prev == -_INF:
                    continue
                vals.append(prev - bead_cost(pi, di, pj, dj, prior, i, j) / temp)
            if vals:
                row[j - a] = lse(vals)
        A.append(row)
    # backward: Bk[i][j] = log sum over paths (i,j)->(n,m)
    Bk: list[list[float] | None] = [None] * (n + 1)
    for i in range(n, -1, -1):
        a, b = lo[i], hi[i]
        row = [-_INF] * (b - a + 1)
        for j in range(b, a - 1, -1):
            if i == n and j == m:
                row[j - a] = 0.0
                continue
            vals = []
            for di, dj, prior in types:
                ni, nj = i + di, j + dj
                if ni > n or nj > m or nj < lo[ni] or nj > hi[ni]:
                    continue
                nxt = Bk[ni][nj - lo[ni]] if ni > i else row[nj - a]
                if nxt == -_INF:
                    continue
                vals.append(nxt - bead_cost(i, di, j, dj, prior, ni, nj) / temp)
            if vals:
                row[j - a] = lse(vals)
        Bk[i] = row
    logz = A[n][m - lo[n]]
    out = []
    for pi, di, pj, dj in path:
        prior = next(p for a, b, p in types if a == di and b == dj)
        i, j = pi + di, pj + dj
        lp = A[pi][pj - lo[pi]] - bead_cost(pi, di, pj, dj, prior, i, j) / temp + Bk[i][j - lo[i]] - logz
        out.append(min(1.0, max(0.0, math.exp(min(0.0, lp)))))
    return out


def _full_band(n: int, m: int) -> tuple[list[int], list[int]]:
    return [0] * (n + 1), [m] * (n + 1)


def _project(path, S: _Side, T: _Side, Sc: _Side, Tc: _Side, window: int):
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


def _path_band(path, n: int, m: int, window: int):
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


def _solve(model: _Model, S: _Side, T: _Side, free: tuple, depth: int = 0,
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
            return _path_band(guide, n, m, w)
    else:
        # coarsen the longer side(s): both when comparable, else only the longer
        cs = _relative(S.coarsen() if n >= m / 2 else _identity_coarse(S), S)
        ct = _relative(T.coarsen() if m >= n / 2 else _identity_coarse(T), T)
        cpath, _, _ = _solve(model, cs, ct, free, depth + 1)

        def band(w):
            return _project(cpath, S, T, cs, ct, w)
    for _attempt in range(4):
        lo, hi = band(window)
        path, touched = _dp(model, S, T, lo, hi, free, coarse)
        if not touched or (lo == [0] * (n + 1) and hi == [m] * (n + 1)):
            break
        window *= 2
    return path, lo, hi


def _identity_coarse(side: _Side) -> _Side:
    return _Side(list(side.lens), list(side.feats), list(side.junk), list(side.starts))


def _relative(coarse: _Side, fine: _Side) -> _Side:
    """A copy of ``coarse`` whose ``starts`` index the units of ``fine``."""
    pos = {s: k for k, s in enumerate(fine.starts)}
    out = _Side(coarse.lens, coarse.feats, coarse.junk, [pos[s] for s in coarse.starts])
    return out


# --------------------------------------------------------------------------
# building the problem


class _Problem:
    """Features and weights for a pair of flat sentence lists."""

    def __init__(self, src: Sequence[str], tgt: Sequence[str], src_lang: str, tgt_lang: str, opts: dict,
                 lexicon: dict[str, set[str]] | None = None, base: _Problem | None = None):
        self.opts = opts
        if base is None:
            cross = _script(src) != _script(tgt)
            self.raw_s = [_raw_features(s, src_lang, cross) for s in src]
            self.raw_t = [_raw_features(t, tgt_lang, cross) for t in tgt]
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
        self.src_junk = [_is_junk(s) for s in src]
        self.tgt_junk = [_is_junk(t) for t in tgt]

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
            for w in _words_for_lexicon(text):
                for fid in by_src.get(w, ()):
                    f[fid] += 1
        for text, f in zip(tgt, raw_t):
            for w in _words_for_lexicon(text):
                for fid in by_tgt.get(w, ()):
                    f[fid] += 1


def _estimate_ratio(problem: _Problem, opts: dict, partial: bool) -> float:
    if opts["length_ratio"]:
        return float(opts["length_ratio"])
    if partial:
        return 1.0
    a, b = sum(problem.src_lens), sum(problem.tgt_lens)
    if a == 0 or b == 0:
        return 1.0
    return b / a


def _learn_lexicon(src, tgt, beads: list[Bead], opts: dict) -> dict[str, set[str]]:
    """Word pairs that co-occur in the confident 1:1 beads (Dice association)."""
    pairs = [(b.src[0], b.tgt[0]) for b in beads if len(b.src) == 1 and len(b.tgt) == 1 and b.score >= 0.5]
    if len(pairs) < 10:
        return {}
    fs: Counter = Counter()
    ft: Counter = Counter()
    co: Counter = Counter()
    for i, j in pairs:
        ws = _words_for_lexicon(src[i])
        wt = _words_for_lexicon(tgt[j])
        fs.update(ws)
        ft.update(wt)
        for a in ws:
            for b in wt:
                co[(a, b)] += 1
    mc, md = opts["lexicon_min_count"], opts["lexicon_min_dice"]
    cands = []
    for (a, b), c in co.items():
        if c < mc or a[:4] == b[:4]:
            continue
        dice = 2 * c / (fs[a] + ft[b])
        if dice >= md:
            cands.append((dice, c, a, b))
    # competitive linking: each word keeps only its best partner
    cands.sort(key=lambda x: (-x[0], -x[1], x[2], x[3]))
    used_s: set[str] = set()
    used_t: set[str] = set()
    lex: dict[str, set[str]] = {}
    for dice, c, a, b in cands:
        if a in used_s or b in used_t:
            continue
        used_s.add(a)
        used_t.add(b)
        lex[a] = {b}
    return lex


# --------------------------------------------------------------------------
# public API


def _check_fixed(fixed: Iterable, n: int, m: int) -> list[Bead]:
    out = []
    for b in fixed:
        if not isinstance(b, Bead):
            b = Bead(tuple(b[0]), tuple(b[1]), float(b[2]) if len(b) > 2 else 1.0)
        out.append(Bead(tuple(b.src), tuple(b.tgt), b.score))
    seen_s: set[int] = set()
    seen_t: set[int] = set()
    for b in out:
        for i in b.src:
            if not 0 <= i < n or i in seen_s:
                raise ValueError(f"fixed bead {b.src}:{b.tgt} has a bad or repeated source index {i}")
            seen_s.add(i)
        for j in b.tgt:
            if not 0 <= j < m or j in seen_t:
                raise ValueError(f"fixed bead {b.src}:{b.tgt} has a bad or repeated target index {j}")
            seen_t.add(j)
        if list(b.src) != list(range(b.src[0], b.src[0] + len(b.src))) if b.src else False:
            raise ValueError(f"fixed bead {b.src}:{b.tgt}: source indices are not consecutive")
        if list(b.tgt) != list(range(b.tgt[0], b.tgt[0] + len(b.tgt))) if b.tgt else False:
            raise ValueError(f"fixed bead {b.src}:{b.tgt}: target indices are not consecutive")
    both = sorted((b for b in out if b.src and b.tgt), key=lambda b: b.src[0])
    for a, b in zip(both, both[1:]):
        if b.tgt[0] < a.tgt[-1]:
            raise ValueError(f"fixed beads {a.src}:{a.tgt} and {b.src}:{b.tgt} cross")
    return out


def _align_range(problem: _Problem, model: _Model, s_idx: list[int], t_idx: list[int], free: tuple,
                 guide: list[Bead] | None = None, with_scores: bool = True) -> list[Bead]:
    """Align the given (ordered) source and target sentence indices; beads in flat indices.

    ``free`` = (skip leading source, skip trailing source, skip leading target,
    skip trailing target) for partial alignment. ``guide``: beads of an earlier
    pass over the same sentences, searched around instead of a coarse pass.
    """
    n, m = len(s_idx), len(t_idx)
    if n == 0 or m == 0:
        return [Bead((i,), (), 1.0) for i in s_idx] + [Bead((), (j,), 1.0) for j in t_idx]
    S = _Side([problem.src_lens[k] for k in s_idx], [problem.src_feats[k] for k in s_idx],
              [problem.src_junk[k] for k in s_idx], list(range(n + 1)))
    T = _Side([problem.tgt_lens[k] for k in t_idx], [problem.tgt_feats[k] for k in t_idx],
              [problem.tgt_junk[k] for k in t_idx], list(range(m + 1)))
    gpath = None
    if guide is not None:
        spos = {k: x for x, k in enumerate(s_idx)}
        tpos = {k: x for x, k in enumerate(t_idx)}
        gpath = []
        i = j = 0
        for b in guide:
            ls = [spos[k] for k in b.src if k in spos]
            lt = [tpos[k] for k in b.tgt if k in tpos]
            if ls or lt:
                gpath.append((i, len(ls), j, len(lt)))
                i += len(ls)
                j += len(lt)
        if i != n or j != m:  # pragma: no cover - guide from the same gaps always covers them
            gpath = None
    path, lo, hi = _solve(model, S, T, free, guide=gpath)
    if with_scores:
        # bead scores: forward-backward in a narrow band around the best path
        plo, phi = _path_band(path, n, m, model.opts["score_window"])
        plo = [max(a, b) for a, b in zip(plo, lo)]
        phi = [min(a, b) for a, b in zip(phi, hi)]
        scores = _posteriors(model, S, T, plo, phi, path, free)
    else:
        scores = [1.0] * len(path)
    out = []
    for (i0, di, j0, dj), sc in zip(path, scores):
        out.append(Bead(tuple(s_idx[i0 : i0 + di]), tuple(t_idx[j0 : j0 + dj]), round(sc, 4)))
    return out


def _partial_mode(src, tgt, partial, opts) -> tuple[bool, bool, bool, bool]:
    """Which ends may be skipped cheaply: (src lead, src trail, tgt lead, tgt trail)."""
    if partial:
        return (True, True, False, False)
    if not opts["auto_partial"] or not src or not tgt:
        return (False, False, False, False)
    a = sum(len(s) for s in src) or 1
    b = sum(len(t) for t in tgt) or 1
    r = opts["auto_partial_ratio"]
    fs, ft = a / b > r, b / a > r
    return (fs, fs, ft, ft)


def _order(beads: list[Bead]) -> list[Bead]:
    """Sort beads monotonically: both-sided beads fix the order, one-sided ones slot in."""
    both = [b for b in beads if b.src and b.tgt]
    dels = sorted((b for b in beads if b.src and not b.tgt), key=lambda b: b.src[0])
    ins = sorted((b for b in beads if b.tgt and not b.src), key=lambda b: b.tgt[0])
    both.sort(key=lambda b: b.src[0])
    out: list[Bead] = []
    di = ii = 0
    for b in both:
        while di < len(dels) and dels[di].src[0] < b.src[0]:
            out.append(dels[di])
            di += 1
        while ii < len(ins) and ins[ii].tgt[0] < b.tgt[0]:
            out.append(ins[ii])
            ii += 1
        out.append(b)
    out.extend(dels[di:])
    out.extend(ins[ii:])
    return out


def _align_with_fixed(problem, model, s_range, t_range, fixed_beads, free, guide=None, with_scores=True) -> list[Bead]:
    """Align the source sentences ``s_range`` with the target sentences ``t_range``.

    ``fixed_beads`` (all inside the ranges) are kept and the gaps between them aligned.
    """
    del_s = {i for b in fixed_beads if not b.tgt for i in b.src}
    del_t = {j for b in fixed_beads if not b.src for j in b.tgt}
    anchors = sorted((b for b in fixed_beads if b.src and b.tgt), key=lambda b: b.src[0])
    out: list[Bead] = []
    s_pos, t_pos = s_range[0], t_range[0]
    cuts = [(a.src[0], a.tgt[0], a) for a in anchors] + [(s_range[1], t_range[1], None)]
    for k, (s_end, t_end, anchor) in enumerate(cuts):
        s_idx = [i for i in range(s_pos, s_end) if i not in del_s]
        t_idx = [j for j in range(t_pos, t_end) if j not in del_t]
        first, last = k == 0, anchor is None
        gap_free = (free[0] and first, free[1] and last, free[2] and first, free[3] and last)
        out.extend(_align_range(problem, model, s_idx, t_idx, gap_free, guide, with_scores))
        if anchor is not None:
            out.append(anchor)
            s_pos, t_pos = anchor.src[-1] + 1, anchor.tgt[-1] + 1
    out.extend(b for b in fixed_beads if not (b.src and b.tgt))
    return _order(out)


def _run(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn) -> list[Bead]:
    """Shared driver: features, optional lexicon pass, alignment group by group.

    ``groups_fn(problem, model)`` returns ``[(s0, s1, t0, t1, free), ...]``: consecutive
    ranges of source and target sentences that are aligned separately (one range
    for plain sentence lists, one per aligned block group for structured texts).
    """
    problem = _Problem(src, tgt, src_lang, tgt_lang, opts)
    ratio = _estimate_ratio(problem, opts, any(free))
    model = _Model(opts, ratio, problem.weights)
    groups = groups_fn(problem, model)

    def one_pass(problem, model, guide=None):
        out: list[Bead] = []
        gi = 0  # guide beads are in order, like the groups: sweep once instead of scanning all per group
        for s0, s1, t0, t1, gfree in groups:
            inside = [b for b in fixed_beads if _inside(b, s0, s1, t0, t1)]
            local = None
            if guide is not None:
                while gi < len(guide) and not _inside(guide[gi], s0, s1, t0, t1) and _before(guide[gi], s1, t1):
                    gi += 1
                k = gi
                while k < len(guide) and _inside(guide[k], s0, s1, t0, t1):
                    k += 1
                local, gi = guide[gi:k], k
            out.extend(_align_with_fixed(problem, model, (s0, s1), (t0, t1), inside, gfree, local))
        return _order(out)

    beads = one_pass(problem, model)
    if not opts["lexicon"]:
        return beads
    # learn a lexicon from the confident 1:1 beads, realign around the first path
    lex = _learn_lexicon(src, tgt, beads, opts)
    if any(free) and not opts["length_ratio"]:
        a = sum(problem.src_lens[i] for b in beads if b.src and b.tgt for i in b.src)
        c = sum(problem.tgt_lens[j] for b in beads if b.src and b.tgt for j in b.tgt)
        if a and c:
            ratio = c / a
    if not lex and ratio == model.ratio:
        return beads
    if lex:
        problem = _Problem(src, tgt, src_lang, tgt_lang, opts, lexicon=lex, base=problem)
    model = _Model(opts, ratio, problem.weights)
    return one_pass(problem, model, guide=beads)


def _before(b: Bead, s1: int, t1: int) -> bool:
    """True when a bead lies before the ends of a range (so a later range cannot hold it)."""
    return all(i < s1 for i in b.src) and all(j < t1 for j in b.tgt)


def _inside(b: Bead, s0: int, s1: int, t0: int, t1: int) -> bool:
    return all(s0 <= i < s1 for i in b.src) and all(t0 <= j < t1 for j in b.tgt)


def align_sentences(
    src: Sequence[str],
    tgt: Sequence[str],
    src_lang: str = "en",
    tgt_lang: str = "en",
    *,
    fixed: Iterable[Bead] = (),
    partial: bool = False,
    **options,
) -> list[Bead]:
    """Align two lists of sentences; return monotone beads covering every index once.

    ``fixed`` beads (human decisions) are kept unchanged and only the gaps
    between them are aligned. With ``partial=True`` the target is taken to
    cover only part of the source: leading and trailing source sentences are
    skipped cheaply (1:0 beads) instead of being forced into the alignment.
    Partial mode also turns on by itself when one text is much longer than
    the other (``auto_partial``, ``auto_partial_ratio``; then the longer
    side's ends may be skipped).
    """
    opts = _options(options)
    src, tgt = list(src), list(tgt)
    fixed_beads = _check_fixed(fixed, len(src), len(tgt))
    free = _partial_mode(src, tgt, partial, opts)
    return _run(src, tgt, src_lang, tgt_lang, opts, fixed_beads, free,
                lambda problem, model: [(0, len(src), 0, len(tgt), free)])


# --------------------------------------------------------------------------
# structure: divisions, blocks, keys

#: Kinds that are aligned like running text; every other kind prefers its own kind.
_TEXT_KINDS = {"paragraph", "verse", "text", "sentence", ""}


def _unit_side(problem: _Problem, which: str, ranges: list[tuple[int, int]], kinds: list[str],
               kind_ids: dict[str, int]) -> _Side:
    """A side whose units are groups of sentences (blocks or divisions)."""
    lens_all = problem.src_lens if which == "s" else problem.tgt_lens
    feats_all = problem.src_feats if which == "s" else problem.tgt_feats
    lens, feats, junk = [], [], []
    for (a, b), kind in zip(ranges, kinds):
        c: Counter = Counter()
        for d in feats_all[a:b]:
            c.update(d)
        if kind not in _TEXT_KINDS:
            c[kind_ids[kind]] += 1
        lens.append(sum(lens_all[a:b]))
        feats.append(dict(c))
        junk.append(b == a)
    side = _Side(lens, feats, junk, list(range(len(ranges) + 1)))
    side.atoms = [0]
    for kind in kinds:
        side.atoms.append(side.atoms[-1] + (kind not in _TEXT_KINDS))
    return side


def _unit_path(model: _Model, S: _Side, T: _Side, free: tuple) -> list[tuple[int, int, int, int]]:
    path, _, _ = _solve(model, S, T, free)
    return path


def _key_anchors(src: Sequence[Block], tgt: Sequence[Block]) -> list[tuple[int, int]]:
    """Pairs of blocks with equal keys, the longest monotone chain of them."""
    where = {}
    for j, b in enumerate(tgt):
        if b.key is not None and b.key not in where:
            where[b.key] = j
    pairs = [(i, where[b.key]) for i, b in enumerate(src) if b.key is not None and b.key in where]
    # longest increasing subsequence on the target index (patience sorting)
    import bisect

    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    chain = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        chain.append(pairs[k])
        k = prev[k]
    return chain[::-1]


def _block_groups(src: Sequence[Block], tgt: Sequence[Block], problem: _Problem, model: _Model,
                  free: tuple, opts: dict) -> list[tuple[int, int, int, int, tuple]]:
    """Align divisions, then blocks; return the aligned groups as flat sentence ranges."""
    s_off = [0]
    for b in src:
        s_off.append(s_off[-1] + len(b.sentences))
    t_off = [0]
    for b in tgt:
        t_off.append(t_off[-1] + len(b.sentences))
    kinds = sorted({b.kind for b in list(src) + list(tgt)} - _TEXT_KINDS)
    kind_ids = {}
    weights = dict(model.weights)
    base = max(weights, default=-1) + 1
    for k, kind in enumerate(kinds):
        kind_ids[kind] = base + k
        pen = opts["pen_kind"]
        weights[base + k] = (opts["w_kind"] + 2 * pen, pen)
    bmodel = _Model(opts, model.ratio, weights)
    no_free = (False, False, False, False)

    def align_units(s_units: list[int], t_units: list[int], unit_free: tuple) -> list[tuple[list[int], list[int]]]:
        """Align the given src and tgt blocks (indices), return block beads."""
        if not s_units or not t_units:
            return [([i], []) for i in s_units] + [([], [j]) for j in t_units]
        S = _unit_side(problem, "s", [(s_off[i], s_off[i + 1]) for i in s_units],
                       [src[i].kind for i in s_units], kind_ids)
        T = _unit_side(problem, "t", [(t_off[j], t_off[j + 1]) for j in t_units],
                       [tgt[j].kind for j in t_units], kind_ids)
        path = _unit_path(bmodel, S, T, unit_free)
        return [(s_units[i0 : i0 + di], t_units[j0 : j0 + dj]) for i0, di, j0, dj in path]

    def align_blocks_in(s_units: list[int], t_units: list[int], unit_free: tuple):
        """Blocks in one aligned division group: key anchors first, then the gaps."""
        sset, tset = set(s_units), set(t_units)
        anchors = [(i, j) for i, j in _key_anchors(src, tgt) if i in sset and j in tset]
        out = []
        si = ti = 0
        s_at = {x: n for n, x in enumerate(s_units)}  # units are in order: slice by position, not by scanning
        t_at = {x: n for n, x in enumerate(t_units)}
        for k, (i, j) in enumerate(anchors + [(None, None)]):
            s_gap = s_units[si:] if i is None else s_units[si:s_at[i]]
            t_gap = t_units[ti:] if j is None else t_units[ti:t_at[j]]
            first, last = k == 0, i is None
            gfree = (unit_free[0] and first, unit_free[1] and last, unit_free[2] and first, unit_free[3] and last)
            out.extend(align_units(s_gap, t_gap, gfree))
            if i is None:
                break
            out.append(([i], [j]))
            si = s_at[i] + 1
            ti = t_at[j] + 1
        return out

    # divisions: consecutive blocks with the same division number
    def divisions(blocks):
        groups: list[list[int]] = []
        for k, b in enumerate(blocks):
            if groups and blocks[groups[-1][-1]].division == b.division:
                groups[-1].append(k)
            else:
                groups.append([k])
        return groups

    s_div, t_div = divisions(src), divisions(tgt)
    has_keys = bool(_key_anchors(src, tgt))
    # Divisions first only when both texts have the same number of them: a partial text (one
    # letter of two) is placed better by the block-level alignment, which may skip whole regions.
    if len(s_div) == len(t_div) > 1 and not has_keys:
        S = _unit_side(problem, "s", [(s_off[g[0]], s_off[g[-1] + 1]) for g in s_div], ["paragraph"] * len(s_div), kind_ids)
        T = _unit_side(problem, "t", [(t_off[g[0]], t_off[g[-1] + 1]) for g in t_div], ["paragraph"] * len(t_div), kind_ids)
        div_path = _unit_path(bmodel, S, T, free)
        div_groups = [
            ([x for g in s_div[i0 : i0 + di] for x in g], [x for g in t_div[j0 : j0 + dj] for x in g])
            for i0, di, j0, dj in div_path
        ]
        block_beads = []
        for sg, tg in div_groups:
            if sg and tg:
                block_beads.extend(align_blocks_in(sg, tg, no_free))
            else:
                block_beads.extend(align_units(sg, tg, no_free))
    else:
        block_beads = align_blocks_in(list(range(len(src))), list(range(len(tgt))), free)

    groups = []
    for sb, tb in block_beads:
        s0 = s_off[sb[0]] if sb else None
        s1 = s_off[sb[-1] + 1] if sb else None
        t0 = t_off[tb[0]] if tb else None
        t1 = t_off[tb[-1] + 1] if tb else None
        groups.append([s0, s1, t0, t1])
    # give one-sided groups their position on the other side
    s_pos = t_pos = 0
    for g in groups:
        if g[0] is None:
            g[0] = g[1] = s_pos
        if g[2] is None:
            g[2] = g[3] = t_pos
        s_pos, t_pos = g[1], g[3]
    out = [(a, b, c, d, no_free) for a, b, c, d in groups]
    # partial: the target may start or end inside the first/last block group it shares with the source
    both = [k for k, (a, b, c, d, _) in enumerate(out) if b > a and d > c]
    if both and any(free):
        k0, k1 = both[0], both[-1]
        a, b, c, d, _ = out[k0]
        out[k0] = (a, b, c, d, (free[0], False, free[2], False))
        a, b, c, d, f = out[k1]
        out[k1] = (a, b, c, d, (f[0], free[1], f[2], free[3]))
    return out


def _respect_fixed(groups, fixed_beads: list[Bead]):
    """Merge neighbouring groups whose boundary would cut through a fixed bead."""
    out: list[list] = []
    for g in groups:
        if out:
            s_cut, t_cut = g[0], g[2]
            ok = True
            for b in fixed_beads:
                if not (b.src and b.tgt):
                    continue
                before = b.src[-1] < s_cut and b.tgt[-1] < t_cut
                after = b.src[0] >= s_cut and b.tgt[0] >= t_cut
                if not (before or after):
                    ok = False
                    break
            if not ok:
                prev = out[-1]
                out[-1] = [prev[0], g[1], prev[2], g[3], prev[4]]
                continue
        out.append(list(g))
    return [tuple(g) for g in out]


def align_blocks(
    src: Sequence[Block],
    tgt: Sequence[Block],
    src_lang: str = "en",
    tgt_lang: str = "en",
    *,
    fixed: Iterable[Bead] = (),
    partial: bool = False,
    **options,
) -> list[Bead]:
    """Align two structured texts: divisions, then blocks, then sentences inside block groups.

    * Divisions (letters, chapters) are aligned to divisions first when both
      texts have more than one; blocks are then aligned only inside aligned
      division groups.
    * Blocks with equal ``key`` are hard anchors (verse references); the
      blocks between two anchors are aligned by the same dynamic programme as
      sentences (blocks may merge 2:1 etc.); a block of a special kind
      (dateline, salutation, signature...) prefers a block of its own kind.
    * Sentences are aligned inside each aligned block group. ``fixed`` beads
      are kept; a block-group boundary that would cut through one is dropped.

    Returns beads over the flat sentence indices (the blocks' sentences
    concatenated in order).
    """
    opts = _options(options)
    src, tgt = list(src), list(tgt)
    flat_s = [x for b in src for x in b.sentences]
    flat_t = [x for b in tgt for x in b.sentences]
    fixed_beads = _check_fixed(fixed, len(flat_s), len(flat_t))
    free = _partial_mode(flat_s, flat_t, partial, opts)

    def groups_fn(problem, model):
        return _respect_fixed(_block_groups(src, tgt, problem, model, free, opts), fixed_beads)

    return _run(flat_s, flat_t, src_lang, tgt_lang, opts, fixed_beads, free, groups_fn)
