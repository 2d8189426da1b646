"""Sentence splitting for one paragraph-like block of text.

``split_sentences(text, lang)`` returns character spans into ``text``; the structure segmenter
(``aligner.text.segment``) calls it once per block, after it has taken titles, datelines, salutations and
signatures apart. It is not a structure pass: a single newline inside ``text`` is ordinary whitespace
(``"Esteemed Vladimir Ilich,\nSeveral employees ..."`` is one span), while a blank line always ends a
sentence.

Design: a backend proposes cut points; a thin layer of rules written for this project removes or adds
cuts; the pieces between cuts are stripped of whitespace, and a piece with no letter or digit ("...")
joins its neighbour. Because spans are derived from cut points, nothing is lost or invented: the text
between spans is whitespace only.

Backends, chosen by measurement (``python benchmarks/segment.py``; figures in benchmarks/README.md):

* English and every other language except Russian: sentencex (Wikimedia, MIT; Rust core,
  ``segment(lang, text)``; ~30 languages natively plus MediaWiki's fallback chains). Alone it passes 43
  of pySBD's 48 English Golden Rules: it fails the four list cases numbered ``1.``/``a.``/``⁃9.`` and
  the ellipsis-led case (#48). It also splits ``Vol. 2`` and ``Ch. II``, keeps ``Why?! I`` and ``No. I
  will`` together, leaves a leading ``...`` as a sentence of its own, and splits a block-initial ``M.``
  / ``J.`` off in French or Spanish. The rules below fix these (48/48); the seed's hard cases (editorial
  brackets, spaced dashes, quotes, ellipses, initials, dates) are as sentencex has them. The layer costs
  a few microseconds a call: over 100x pySBD's throughput on the benchmark text.
* Russian: razdel (natasha project, MIT), pure Python but a real Russian splitter, with a large list of
  Russian abbreviations (``т. е.``, ``т. д.``, ``и др.``, ``руб.``, ``тов.``, ``стр.``), initials
  (``В. И. Ленину``) and dialogue rules (``— спросил он``). On our 38 Russian cases
  (``tests/data/ru_sentences.json``) razdel alone passes 36, sentencex alone 30 (its short Russian list
  misses ``т. д.``/``гг.``/``руб.`` before a capital; it splits ``т. е.`` and dialogue attributions);
  with these rules razdel passes 38, sentencex 36. The one rule razdel needs: after ``1917 г.`` /
  ``XIX в.`` a capitalised function word (``Через``, ``Он``, ``Въ``) starts a sentence, any other
  capitalised word (``В 1920 г. Кропоткин жил``) continues it. razdel is slower than sentencex (about
  3 million chars/s with the rules) but ample for books.

Language codes are BCP 47 (``_`` accepted): ``en-*`` and ``ru-*`` use their rule sets; any other code
goes to sentencex with the full code if sentencex implements it, else its base language (``pt-BR`` ->
``pt``); codes sentencex does not know go through its own fallback chains (``cs`` -> Slovak) and end in
its default rules. Those languages get the "generic" rule set: only the language-independent rules.

sentencex 1.0.32 panics on a capital letter, a non-ASCII space and a period (``"A\u00a0."``): it is given
a copy with such spaces made ASCII (same offsets), and a panic would fall back to razdel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

import razdel
import sentencex

#: Bump when a rule changes what any text splits into: it is part of the build signature.
RULES_VERSION = "1"

# Languages sentencex implements itself (its language_factory in 1.0.30); a regional code of one of
# these is handed over as its base language. Other codes go through sentencex's own fallback chains.
_SENTENCEX_NATIVE = frozenset(
    "am ar bg bn ca da de el en es fi fr gu hi hy it ja kk kn ml mr my nl pa pl pt ru sk ta te uk".split()
)


@dataclass(frozen=True)
class _Profile:
    rules: str  # "en", "ru" or "generic"
    backend: str  # "sentencex" or "razdel"
    code: str  # the language code handed to the backend


@lru_cache(maxsize=None)
def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - only in odd installs
        return "unknown"


@lru_cache(maxsize=256)
def _profile(lang: str, backend: str | None = None) -> _Profile:
    code = (lang or "").strip().replace("_", "-").lower() or "und"
    base = code.split("-", 1)[0]
    if base == "en":
        return _Profile("en", backend or "sentencex", "en")
    if base == "ru":
        return _Profile("ru", backend or "razdel", "ru")
    sx_code = code if code in _SENTENCEX_NATIVE else base
    return _Profile("generic", backend or "sentencex", sx_code)


def splitter_signature(lang: str = "en") -> dict:
    """What produced the split for ``lang``: backend, its version, and the rules' version."""
    p = _profile(lang)
    return {
        "splitter": f"{p.backend}+rules",
        p.backend: _pkg_version(p.backend),
        "rules": RULES_VERSION,
        "rule_set": p.rules,
        "backend_lang": p.code,
    }


def split_sentences(text: str, lang: str = "en") -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentences of `text`: in order, non-overlapping, each stripped of
    surrounding whitespace (text[start:end] has no leading/trailing whitespace), never empty; the text between
    spans is whitespace only. An all-whitespace text gives []."""
    return _split(text, _profile(lang))


def _split_with_backend(text: str, lang: str, backend: str) -> list[tuple[int, int]]:
    """Like split_sentences with another backend under the same rules; for the benchmark's comparison."""
    return _split(text, _profile(lang, backend))


# ---------------------------------------------------------------------------
# Backends: cut points (offsets where one sentence's text ends and the next
# begins; whitespace on either side is stripped later).


# Whitespace outside ASCII (no-break space, thin space, U+2028 ...). sentencex 1.0.32 panics on an uppercase
# letter + such a space + "." ("A\u00a0."), so the backend gets a copy with each one replaced by one ASCII
# character: offsets stay the same, the spans still point into the caller's text.
_NON_ASCII_WS = re.compile(r"[^\S\n\t\r\f\v ]")
_WS_FOR_BACKEND = {"\u2028": "\n", "\u2029": "\n", "\x85": "\n"}


def _backend_text(text: str) -> str:
    if text.isascii() or not _NON_ASCII_WS.search(text):
        return text
    return _NON_ASCII_WS.sub(lambda m: _WS_FOR_BACKEND.get(m.group(), " "), text)


def _cuts_sentencex(text: str, code: str) -> list[int]:
    try:
        segments = sentencex.segment(code, _backend_text(text))
    except BaseException as exc:  # a Rust panic arrives as pyo3_runtime.PanicException (a BaseException)
        if type(exc).__module__ != "pyo3_runtime":
            raise
        return _cuts_razdel(text, code)
    cuts = []
    pos = 0
    for seg in segments:
        if pos and seg:
            cuts.append(pos)
        pos += len(seg)
    if pos != len(text):  # pragma: no cover - segment() has always tiled its input
        return _cuts_razdel(text, code)
    return cuts


def _cuts_razdel(text: str, code: str) -> list[int]:
    return [s.start for s in razdel.sentenize(text)][1:]


_BACKENDS = {"sentencex": _cuts_sentencex, "razdel": _cuts_razdel}

# ---------------------------------------------------------------------------
# Rules. Compiled once, at import.

_NOT_WS = re.compile(r"\S")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_ALNUM = re.compile(r"[^\W_]")

# A numbered or lettered list item opening the block: "1. ", "1) ", "1.) ", "a. ", "• 9. ", "⁃9. ".
_LIST_START = re.compile(r"\s*(?P<bullet>[•⁃‣◦▪]\s*)?(?P<n>\d{1,3}|[a-h])(?P<close>\.\)|\)|\.)(?=\s)")

# English: "compounds. . . . The" -> the period ends the sentence, ". . ." opens the next (Golden Rule 48).
_EN_ELLIPSIS_LED = re.compile(r"[^\W\d_]\.(?=(?:[ \t]\.){3}[ \t]+[\"“‘(\[]?[A-Z])")
_EN_ELLIPSIS_LED_DOTS = re.compile(r"(?:[ \t]\.){3}[ \t]+")
# English: "No." before a capitalised word (not a numeral) is the word "no" ending a sentence; sentencex keeps
# "No. I will not" together because "No." is on its abbreviation list for "No. 5".
_EN_NO_BEFORE_WORD = re.compile(r"(?<![\w.])[Nn]o\.(?=[ \t]+(?![IVXLC]{2,}\b)[\"“‘(\[]?[A-Z])")
# English: sentencex reads "Why?! I ..." like an ellipsis before "I" (a continuation); "?!" ends a sentence.
_EN_QE_BEFORE_I = re.compile(r"[!?]{2,}(?=[ \t]+I[\s'’])")

# Abbreviations that are followed by a number and do not end a sentence there: "Vol. 2", "Ch. II", "No. 5".
_EN_NUMBERED_ABBR = re.compile(
    r"(?:^|[^\w.])(?:vols?|nos?|nr|chs?|chaps?|secs?|sect|arts?|figs?|pp?|paras?|pts?|eds?|nn?|cols?|ser|bks?"
    r"|vv?|op|tab|app|suppl|fols?|mss?|ll?|ex)\.$",
    re.IGNORECASE,
)
_RU_NUMBERED_ABBR = re.compile(
    r"(?:^|[^\w.])(?:стр|с|ст|т|гл|ч|вып|кн|л|рис|табл|прим|прил|разд|п|пп|№)\.$", re.IGNORECASE
)
_NUMBER_HEAD = re.compile(r"(?:\d|[IVXLC]{2,}\b|[ivxlc]+\b)")

# Russian: "1917 г." / "XX в." before a capital ends a sentence only if the next word is a function word
# (razdel never ends a sentence after "г."; "В 1920 г. Кропоткин жил ..." must stay whole).
_RU_YEAR_ABBR = re.compile(r"(?:\d|\b[IVXLC]+)\s*(?:гг?|вв?)\.(?=[ \t\n]+[«\"„(]?[А-ЯЁІѢ])")
_RU_WORD = re.compile(r"[\s«\"„(]*([^\W\d_]+)")
_RU_STARTERS = frozenset(
    """а без благодаря более больше будет был была были было в весь во вот впоследствии впрочем вскоре все всё вся
    вы где да даже для до его ее её ей ему если ещё еще же за затем здесь и из или им именно иначе их к как
    когда кроме кто ко куда ли лишь между меня мне мы на над нам нас наконец не него нее неё недавно нет неужели
    ни никто ничто но о об однако около он она они оно от отсюда перед по под поэтому после потом потому через
    почему при про пока позднее позже разве ранее с сам сама сами само себя сейчас сначала со среди так также
    там тем теперь то тогда того тоже той только том тот ту тут ты у уже хотя что чтобы эта эти это этого этот
    я""".split()
)

_LOWER_HEAD = re.compile(r"[—–-]?\s*[^\W\d_]")


def _split(text: str, p: _Profile) -> list[tuple[int, int]]:
    if not text or text.isspace():
        return []
    cuts = _BACKENDS[p.backend](text, p.code)
    forced: set[int] = set()
    drop: set[int] = set()

    if "\n" in text:  # a blank line always ends a sentence (razdel does not cut there by itself)
        forced.update(m.start() for m in _BLANK_LINE.finditer(text))
    m = _LIST_START.match(text)
    if m:
        _list_items(text, m, forced, drop)
    if p.rules == "en":
        if ". . ." in text:
            for m in _EN_ELLIPSIS_LED.finditer(text):
                cut = m.end()
                forced.add(cut)
                dots = _EN_ELLIPSIS_LED_DOTS.match(text, cut)
                drop.update(range(cut + 1, dots.end() + 1))
        if "?!" in text or "!?" in text or "!!" in text or "??" in text:
            forced.update(m.end() for m in _EN_QE_BEFORE_I.finditer(text))
        if "o." in text:
            forced.update(m.end() for m in _EN_NO_BEFORE_WORD.finditer(text))
    elif p.rules == "ru" and "." in text:
        for m in _RU_YEAR_ABBR.finditer(text):
            w = _RU_WORD.match(text, m.end())
            if w and _ru_norm(w.group(1)) in _RU_STARTERS:
                forced.add(m.end())

    if forced:
        cuts = sorted(set(cuts) | forced)
    kept = [c for c in cuts if c in forced or (c not in drop and _keep_cut(text, c, p.rules))]
    return _spans(text, kept)


def _ru_norm(word: str) -> str:
    """Lowercase, with pre-reform spelling folded: final ъ dropped, ѣ -> е, і -> и."""
    w = word.lower().replace("ѣ", "е").replace("і", "и")
    return w[:-1] if len(w) > 1 and w.endswith("ъ") else w


def _keep_cut(text: str, c: int, rules: str) -> bool:
    """Whether a backend's cut at offset c stands, judged on the words either side."""
    m = _NOT_WS.search(text, c)
    if m is None:
        return True
    h = m.start()
    e = c
    while e > 0 and text[e - 1].isspace():
        e -= 1
    if h - e > 1 and _BLANK_LINE.search(text, e, h):
        return True
    head = text[h]
    # A sentence does not begin with a lowercase word, nor with "— said he" (dialogue attribution).
    if head.islower() or (head in "—–-" and (lm := _LOWER_HEAD.match(text, h)) and lm.group()[-1].islower()):
        return False
    if rules == "generic":
        # An initial ("M. Dupont", "J. García") is not a sentence; sentencex splits it off at a block's start.
        return not (head.isupper() and _is_initial(text, e))
    if not (head.isdigit() or head in "IVXLCivxlc"):
        return True
    tail = text[max(0, e - 12) : e]
    abbr = _EN_NUMBERED_ABBR if rules == "en" else _RU_NUMBERED_ABBR
    return not (abbr.search(tail) and _NUMBER_HEAD.match(text, h))


def _is_initial(text: str, e: int) -> bool:
    """text[:e] ends with a lone capital letter and a period, as in "M." or " J." (not "U.S.")."""
    return (
        e >= 2
        and text[e - 1] == "."
        and text[e - 2].isupper()
        and (e == 2 or not (text[e - 3].isalnum() or text[e - 3] == "."))
    )


def _list_items(text: str, m: re.Match, forced: set[int], drop: set[int]) -> None:
    """A block that opens with a list marker: each following marker in sequence starts a new sentence,
    and no sentence ends right after a marker ("1." alone)."""
    bullet = (m.group("bullet") or "").strip()
    n, close = m.group("n"), m.group("close")
    pos = m.end()
    drop.update(range(m.start("n") + 1, _skip_ws(text, pos) + 1))
    while True:
        n = str(int(n) + 1) if n.isdigit() else chr(ord(n) + 1)
        marker = (re.escape(bullet) + r"\s*" if bullet else "") + re.escape(n + close)
        nxt = re.compile(r"(?<=\s)" + marker + r"(?=\s)").search(text, pos)
        if nxt is None:
            return
        forced.add(nxt.start())
        drop.update(range(nxt.start() + 1, _skip_ws(text, nxt.end()) + 1))
        pos = nxt.end()


def _skip_ws(text: str, i: int) -> int:
    m = _NOT_WS.search(text, i)
    return m.start() if m else len(text)


def _spans(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """Strip each piece between cuts; a piece with no letter or digit ("...", "* * *") joins the sentence
    before it, or the one after it at the start of the text, but never across a blank line."""
    spans: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None  # punctuation-only pieces waiting for the next sentence
    bounds = [0, *cuts, len(text)]
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        s = piece.lstrip()
        if not s:
            continue
        start = a + len(piece) - len(s)
        end = a + len(piece.rstrip())
        if pending is not None and _BLANK_LINE.search(text, pending[1], start):
            spans.append(pending)
            pending = None
        if _ALNUM.search(s) is None:
            if pending is not None:
                pending = (pending[0], end)
            elif spans and not _BLANK_LINE.search(text, spans[-1][1], start):
                spans[-1] = (spans[-1][0], end)
            else:
                pending = (start, end)
            continue
        if pending is not None:
            start, pending = pending[0], None
        spans.append((start, end))
    if pending is not None:
        spans.append(pending)
    return spans
