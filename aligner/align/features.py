"""What the aligner sees in a sentence: anchors that need no model download.

Numbers (digits, Roman numerals, month names in en/ru/es/de/fr/it), shared
words and names (4-letter prefixes after lowercasing and stripping diacritics,
as YASA and hunalign without a dictionary do; for a Cyrillic-Latin pair
capitalised words are compared as consonant skeletons of their iuliia
transliteration, so ``Кропоткин`` meets ``Kropotkin`` and ``Ленину`` meets
``Lenin``), punctuation that tends to survive translation (``? ! « » " ( ) :``),
and a small translation lexicon learnt from the texts themselves (word pairs
that co-occur in the confident 1:1 beads of a first pass, one partner per
word, as hunalign's ``-realign``).

Everything here is a pure function of the text: turning anchors into costs is
:mod:`aligner.align.cost`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache


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


def script(texts: Sequence[str]) -> str:
    sample = "".join(texts[:2000])
    cyr = len(_CYR_RE.findall(sample))
    lat = len(_LATIN_RE.findall(sample))
    return "cyrl" if cyr > lat else "latn"


_LETTER_RE = re.compile(r"[^\W\d_]")


def is_junk(text: str) -> bool:
    """A "sentence" with fewer than three letters: OCR debris, a rule, a lone page number."""
    return len(_LETTER_RE.findall(text)) < 3


def raw_features(text: str, lang: str, cross_script: bool) -> Counter:
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


def words_for_lexicon(text: str) -> set[str]:
    return {_norm_word(t) for t in _TOKEN_RE.findall(text) if not t[0].isdigit() and len(t) >= 3}


def learn_lexicon(src, tgt, beads: Sequence, opts: dict) -> dict[str, set[str]]:
    """Word pairs that co-occur in the confident 1:1 beads (Dice association).

    ``beads`` are the first pass's beads (anything with ``src``, ``tgt`` and ``score``).
    """
    pairs = [(b.src[0], b.tgt[0]) for b in beads if len(b.src) == 1 and len(b.tgt) == 1 and b.score >= 0.5]
    if len(pairs) < 10:
        return {}
    fs: Counter = Counter()
    ft: Counter = Counter()
    tws = []
    with_word: dict[str, list[int]] = {}  # source word -> the pairs it is in
    for k, (i, j) in enumerate(pairs):
        ws = words_for_lexicon(src[i])
        wt = words_for_lexicon(tgt[j])
        fs.update(ws)
        ft.update(wt)
        tws.append(wt)
        for a in ws:
            x = with_word.get(a)
            if x is None:
                with_word[a] = [k]
            else:
                x.append(k)
    mc, md = opts["lexicon_min_count"], opts["lexicon_min_dice"]
    cands = []
    # co-occurrence counts one source word at a time (a long text has millions of word pairs)
    for a, ks in with_word.items():
        if len(ks) < mc:
            continue
        co: Counter = Counter()
        for k in ks:
            co.update(tws[k])
        for b, c in co.items():
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
