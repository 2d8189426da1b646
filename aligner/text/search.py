"""Search normalisation: what goes into the full-text index beside each sentence.

SQLite's FTS5 ``unicode61`` tokenizer folds case for every script and, with
``remove_diacritics 2``, Latin accents; its ``porter`` stemmer works for
English only. It does not fold Russian ``ё`` into ``е``, and it knows nothing
of Russian inflection. So every segment gets a ``search`` column: the text
with ``ё`` folded and pre-reform letters modernised, followed by the
dictionary forms (lemmas) of its Russian words from pymorphy3. A query is
normalised the same way (:func:`normalize_query`), so ``заложник`` finds
``заложников`` and ``ещё`` finds ``еще``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёІіѢѣѲѳѴѵ]+(?:-[А-Яа-яЁё]+)*")
_FOLD = str.maketrans({"ё": "е", "Ё": "Е", "ѣ": "е", "Ѣ": "Е", "і": "и", "І": "И", "ѳ": "ф", "Ѳ": "Ф", "ѵ": "и", "Ѵ": "И"})
_HARD_SIGN_END = re.compile(r"(?<=[А-Яа-я])[ъЪ](?=\b|[^А-Яа-я]|$)")


def fold(text: str) -> str:
    """Fold spellings a reader treats as the same letter: ё→е, pre-reform ѣ/і/ѳ/ѵ, final ъ dropped."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    return _HARD_SIGN_END.sub("", text)


@lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy3
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a Russian word (lower case, ё folded), or the word itself."""
    morph = _morph()
    w = word.lower()
    if morph is None:
        return w
    return fold(morph.parse(w)[0].normal_form)


def normalize_for_search(text: str, lang: str) -> str:
    """The ``search`` column for a segment: folded text, then its lemmas (Russian only)."""
    folded = fold(text) if _CYRILLIC_WORD.search(text) else text
    if lang.split("-")[0] not in ("ru", "uk", "be") and not _CYRILLIC_WORD.search(text):
        return folded
    lemmas = [lemma(w) for w in _CYRILLIC_WORD.findall(folded)]
    extra = " ".join(dict.fromkeys(l for l in lemmas if l))
    return f"{folded} {extra}" if extra else folded


def normalize_query(query: str, lang: str | None = None) -> str:
    """Turn what a reader typed into an FTS5 query over the ``search`` column.

    Each word becomes a quoted term (so punctuation cannot break FTS syntax);
    a Russian word is searched as itself OR its lemma, so inflected forms
    meet. Words are ANDed, as search boxes do.
    """
    terms = []
    for word in re.findall(r"\w+", fold(query)):
        if _CYRILLIC_WORD.fullmatch(word):
            forms = dict.fromkeys([word.lower(), lemma(word)])
            terms.append("(" + " OR ".join(f'"{f}"' for f in forms) + ")")
        else:
            terms.append(f'"{word}"')
    return " ".join(terms)
