"""Search normalisation: what goes into the full-text index beside each sentence, and what a query becomes.

SQLite's FTS5 ``unicode61`` tokenizer folds case for every script and, with
``remove_diacritics 2``, Latin accents (``corazon`` finds ``corazón``); its
``porter`` stemmer works for English only. It does not fold Russian ``ё`` into
``е`` and knows nothing of Russian or Spanish inflection. So every segment gets
a ``search`` column: the text with ``ё`` folded and pre-reform letters
modernised, followed by the *keys* of its words: for Russian every dictionary
form pymorphy3 proposes (all parses, not only the likeliest: a surname such as
«Савинкова» is also a feminine noun) and the Snowball stem (for words the
dictionary does not know); for the other languages Snowball knows, the stem.
A query is normalised the same way (:func:`normalize_query`): each word
matches itself or any of its keys, so ``заложником`` finds ``заложники`` and
«Савинков» finds «Савинкова». Phrases in double quotes and a prefix with ``*``
work as readers expect from a search box.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёІіѢѣѲѳѴѵ]+(?:-[А-Яа-яЁё]+)*")
_FOLD = str.maketrans({"ё": "е", "Ё": "Е", "ѣ": "е", "Ѣ": "Е", "і": "и", "І": "И", "ѳ": "ф", "Ѳ": "Ф", "ѵ": "и", "Ѵ": "И"})
_TO_FOLD = re.compile("[" + "".join(chr(c) for c in _FOLD) + "ъЪ]")
_HARD_SIGN_END = re.compile(r"(?<=[А-Яа-я])[ъЪ](?=\b|[^А-Яа-я]|$)")
_WORD = re.compile(r"\w+")
#: Languages whose Latin-script words get a Snowball stem as a search key (English has FTS5's porter).
STEMMED = {"es": "spanish", "fr": "french", "de": "german", "it": "italian", "pt": "portuguese"}
#: The most keys a query word may expand to (a bound on the work one search box entry can ask of the index).
MAX_KEYS = 8


def fold(text: str) -> str:
    """Fold spellings a reader treats as the same letter: ё→е, pre-reform ѣ/і/ѳ/ѵ, final ъ dropped."""
    text = unicodedata.normalize("NFC", text)
    # str.translate looks every character up; most sentences have nothing to fold, which one scan tells
    if _TO_FOLD.search(text) is None:
        return text
    return _HARD_SIGN_END.sub("", text.translate(_FOLD))


@lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy3
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=16)
def _stemmer(language: str):
    import snowballstemmer

    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The likeliest dictionary form of a Russian word (lower case, ё folded), or the word itself."""
    morph = _morph()
    w = word.lower()
    if morph is None:
        return w
    return fold(morph.parse(w)[0].normal_form)


@lru_cache(maxsize=400_000)
def russian_keys(word: str) -> tuple[str, ...]:
    """Every dictionary form a Russian word may have, and its stem: the keys it is indexed and searched by."""
    w = fold(word.lower())
    keys = [w]
    morph = _morph()
    if morph is not None:
        keys += [fold(p.normal_form) for p in morph.parse(w)]
    keys.append(_stemmer("russian").stemWord(w))
    return tuple(dict.fromkeys(k for k in keys if k))[:MAX_KEYS]


@lru_cache(maxsize=200_000)
def latin_keys(word: str, lang: str) -> tuple[str, ...]:
    """A word of a Snowball language and its stem."""
    w = word.lower()
    language = STEMMED.get(lang)
    if language is None:
        return (w,)
    return tuple(dict.fromkeys([w, _stemmer(language).stemWord(w)]))


#: The extra keys (beyond the word itself) of each word seen, per language ("ru" for Cyrillic words): a build
#: normalises millions of sentences made of a few tens of thousands of words, so each word is looked up once.
_EXTRA_KEYS: dict[str, dict[str, tuple[str, ...]]] = {}
_MAX_CACHED_WORDS = 400_000


def _extra_keys(words: list[str], lang: str) -> list[str]:
    cache = _EXTRA_KEYS.setdefault(lang, {})
    out: list[str] = []
    for w in words:
        extra = cache.get(w)
        if extra is None:
            extra = russian_keys(w)[1:] if lang == "ru" else latin_keys(w, lang)[1:]
            if len(cache) >= _MAX_CACHED_WORDS:
                cache.clear()  # a bound on memory; the words of the next texts come back at once
            cache[w] = extra
        if extra:
            out += extra
    return out


def normalize_for_search(text: str, lang: str) -> str:
    """The ``search`` column for a segment: folded text, then the search keys of its words."""
    base = lang.split("-")[0]
    cyrillic = _CYRILLIC_WORD.search(text) is not None
    folded = fold(text) if cyrillic else text
    keys: list[str] = _extra_keys(_CYRILLIC_WORD.findall(folded), "ru") if cyrillic else []
    if base in STEMMED:
        words = _WORD.findall(folded)
        if cyrillic:
            words = [w for w in words if not _CYRILLIC_WORD.fullmatch(w)]
        keys += _extra_keys(words, base)
    if not keys:
        return folded
    extra = " ".join(dict.fromkeys(k for k in keys if k))
    return f"{folded} {extra}" if extra else folded


_QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')


def normalize_query(query: str, lang: str | None = None) -> str:
    """Turn what a reader typed into an FTS5 query over the ``text`` and ``search`` columns.

    Words are ANDed, as search boxes do. Each word becomes a quoted term (punctuation cannot break FTS
    syntax) or, for a Russian word, or a word of a stemmed language, an OR of its keys; ``word*`` is a
    prefix; ``"two words"`` a phrase (folded, without keys: a phrase is the words as written).
    """
    terms = []
    for phrase, bare in _QUERY_PART.findall(fold(query)):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                terms.append('"' + " ".join(w.lower() for w in words) + '"')
            continue
        prefix = bare.endswith("*")
        for word in _WORD.findall(bare):
            if prefix and word == _WORD.findall(bare)[-1]:
                terms.append(f'"{word.lower()}"*')
                continue
            if _CYRILLIC_WORD.fullmatch(word):
                keys = russian_keys(word)
            else:
                keys = tuple(dict.fromkeys(k for code in ([lang] if lang in STEMMED else STEMMED)
                                           for k in latin_keys(word, code)))
            terms.append(keys and ("(" + " OR ".join(f'"{k}"' for k in keys) + ")" if len(keys) > 1 else f'"{keys[0]}"'))
    return " AND ".join(t for t in terms if t)
