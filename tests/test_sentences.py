"""Behaviour of aligner.text.sentences: the seed's hard cases, pySBD's English Golden Rules, Russian cases,
language fallbacks and the span invariants."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.text import sentences
from aligner.text.sentences import split_sentences, splitter_signature

from .helpers import SEED, shared_file

HERE = Path(__file__).parent
GOLDEN_RULES = json.loads((HERE / "data" / "golden_rules_en.json").read_text(encoding="utf-8"))["rules"]
RU_CASES = json.loads((HERE / "data" / "ru_sentences.json").read_text(encoding="utf-8"))["cases"]
SEED_GOLD = HERE.parent / "benchmarks" / "data" / "seed_gold.en.tsv"

#: Golden Rules this splitter is known to fail, by number, with the reason. Empty: all 48 pass.
KNOWN_FAILING_RULES: dict[int, str] = {}


def sents(text: str, lang: str = "en") -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, lang)]


# --- the seed's hard cases (Kropotkin, Two letters to Lenin) -------------------------------------------


def test_bracket_after_semicolon_stays_in_sentence():
    text = (
        "You know, of course, that to live in the Dmitrov district on the salary received by these employees is "
        "absolutely impossible. It is impossible even to buy a bushel of potatoes with this [salary]; I know this "
        "from personal experience. In exchange they ask for soap and salt, of which there is none."
    )
    assert sents(text)[1] == (
        "It is impossible even to buy a bushel of potatoes with this [salary]; I know this from personal experience."
    )
    assert len(sents(text)) == 3


def test_bracketed_gloss_after_acronym_does_not_split():
    text = (
        "An announcement has been placed in Izvestiia and in Pravda which makes known the decision of the Soviet "
        "government to seize as hostages SRs [Social Revolutionary party members] from the [Boris] Savinkov and "
        "[Viktor] Chernov groups, White Guards of the nationalist and tactical center, and [Pyotr] Wrangel "
        "officers; and, in case of an [assassination] attempt on the leaders of the soviets, to \"mercilessly "
        'exterminate" these hostages.'
    )
    assert sents(text) == [text]


def test_opening_bracket_after_boundary_starts_next_sentence():
    text = (
        "And that therefore you must in no case stain your work by acts so close to primitive terror? [You must "
        "know] that precisely these acts performed by revolutionaries in the past make the new communist "
        "endeavors so difficult."
    )
    first, second = sents(text)
    assert first.endswith("primitive terror?")
    assert second.startswith("[You must know] that precisely")


def test_spaced_en_dashes_never_split():
    text = (
        "Since [the price] of flour has gone up – if you manage to get any – it is impossible to buy eight pounds "
        "of grain and five pounds of wheat. Living in a great centre – in Moscow – it is impossible to know the "
        "true condition of the country."
    )
    assert len(sents(text)) == 2
    assert all(" – " in s for s in sents(text))


def test_ellipsis_at_paragraph_end_is_one_sentence():
    text = "Consider the supply of firewood, or that of last season's spring seed..."
    assert sents(text) == [text]


def test_ellipsis_inside_quote_ends_sentence_with_the_quote():
    text = (
        "But is this not the same thing as leading a man to the scaffold each morning and taking him back, "
        'saying: "Wait awhile, not today..." And don\'t your comrades understand this.'
    )
    assert sents(text) == [
        "But is this not the same thing as leading a man to the scaffold each morning and taking him back, "
        'saying: "Wait awhile, not today..."',
        "And don't your comrades understand this.",
    ]


def test_quoted_sentence_between_sentences_is_whole():
    text = (
        'He is held in order to blackmail the enemy with his death. "If you kill one of ours, we will kill one of '
        'yours." But is this not the same thing as leading a man to the scaffold?'
    )
    assert sents(text) == [
        "He is held in order to blackmail the enemy with his death.",
        '"If you kill one of ours, we will kill one of yours."',
        "But is this not the same thing as leading a man to the scaffold?",
    ]


def test_period_inside_closing_quote_ends_sentence():
    text = (
        "Nowadays even among kings there are those who regard the possibility of assassination as an "
        '"occupational hazard." And revolutionaries assume the responsibility.'
    )
    assert sents(text)[0].endswith('as an "occupational hazard."')
    assert len(sents(text)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "With comradely greetings, P. Kropotkin wrote to him.",
        "Letter to V. I. Lenin from P. A. Kropotkin, written in Dmitrov.",
    ],
)
def test_initials_do_not_split(text):
    assert sents(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "He wrote from Dmitrov, 4 March 1920 and again in 1920.",
        "The second letter is dated 21 December, 1920 in the Moscow province.",
        "According to the decree of the 15 August 1918: eight pounds of wheat to an employee.",
    ],
)
def test_dates_do_not_split(text):
    assert sents(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith met Dr. Jones at St. Paul's church with Gen. Lee.",
        "Some fruit, i.e. apples, e.g. the red ones, were sold.",
        "Bring apples, pears, etc. to the party.",
        "See cf. the appendix, pp. 12-14 of the report.",
        "It is printed in No. 5 of the journal, Vol. 2 of the series.",
        "See Ch. II and Vol. IV of the collected works.",
    ],
)
def test_common_abbreviations_do_not_split(text):
    assert sents(text) == [text]


def test_abbreviation_before_number_at_sentence_end_still_splits():
    assert sents("See Vol. 2. It is good.") == ["See Vol. 2.", "It is good."]


def test_no_as_a_word_ends_a_sentence():
    assert sents("It is in No. 5 of the journal. No. I will not go.") == [
        "It is in No. 5 of the journal.",
        "No.",
        "I will not go.",
    ]


def test_question_exclamation_run_before_I_splits():
    assert sents("Why?! I do not know.") == ["Why?!", "I do not know."]
    assert sents("Really!! I mean it.") == ["Really!!", "I mean it."]


def test_leading_ellipsis_joins_its_sentence():
    assert sents("...and then he left. It was over.") == ["...and then he left.", "It was over."]


def test_numbered_items_in_running_text_do_not_split():
    text = "There are two reasons: 1. the cost and 2. the time."
    assert sents(text) == [text]


def test_seed_paragraphs_match_the_hand_gold():
    lines_of_gold = SEED_GOLD.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines_of_gold if line and line[0].isdigit()]
    gold: dict[int, list[str]] = {}
    for _paragraph, line_no, _n, text in rows:
        gold.setdefault(int(line_no), []).append(text)
    assert len(gold) == 24 and sum(map(len, gold.values())) == 65
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for line_no, expected in gold.items():
        paragraph = lines[line_no - 1]
        assert " ".join(expected) == paragraph
        assert sents(paragraph) == expected


# --- pySBD's English Golden Rules ----------------------------------------------------------------------


def _golden_params():
    for rule in GOLDEN_RULES:
        marks = []
        if rule["n"] in KNOWN_FAILING_RULES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILING_RULES[rule["n"]]))
        yield pytest.param(rule["text"], rule["expected"], id=f"rule{rule['n']:02d}", marks=marks)


def test_golden_rules_file_is_complete():
    assert [r["n"] for r in GOLDEN_RULES] == list(range(1, 49))


@pytest.mark.parametrize("text,expected", list(_golden_params()))
def test_english_golden_rule(text, expected):
    assert [s.strip() for s in sents(text)] == expected


# --- Russian ---------------------------------------------------------------------------------------------


def test_russian_cases_cover_the_brief():
    assert len(RU_CASES) >= 25
    assert sum(c["note"].startswith("real:") for c in RU_CASES) >= 5


@pytest.mark.parametrize("case", RU_CASES, ids=[c["id"] for c in RU_CASES])
def test_russian_case(case):
    assert sents(case["text"], "ru") == case["expected"]


def test_russian_real_opening_paragraphs_are_one_sentence_each():
    seed = shared_file("texts", "kropotkin-letter2-opening.ru.txt")
    for line in seed.read_text(encoding="utf-8").splitlines():
        if line.strip():
            assert sents(line, "ru") == [line]


def test_russian_year_abbreviation_before_a_name_continues():
    assert sents("В 1920 г. Кропоткин жил в Дмитрове.", "ru") == ["В 1920 г. Кропоткин жил в Дмитрове."]


def test_russian_year_abbreviation_before_pre_reform_function_word_splits():
    assert sents("Это было въ 1923 г. Онъ молчалъ.", "ru") == ["Это было въ 1923 г.", "Онъ молчалъ."]


# --- languages -------------------------------------------------------------------------------------------


def test_regional_code_falls_back_to_base_language():
    assert splitter_signature("pt-BR")["backend_lang"] == "pt"
    assert splitter_signature("en-GB")["rule_set"] == "en"
    assert splitter_signature("ru_RU")["splitter"] == "razdel+rules"
    text = "O Sr. Silva chegou. Ele saiu."
    assert sents(text, "pt-BR") == sents(text, "pt") == ["O Sr. Silva chegou.", "Ele saiu."]


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("de", "Das ist z. B. ein Test. Er geht nach Hause.", ["Das ist z. B. ein Test.", "Er geht nach Hause."]),
        ("fr", "M. Dupont est arrivé. Il est parti.", ["M. Dupont est arrivé.", "Il est parti."]),
        ("es", "¿Dónde está? No lo sé.", ["¿Dónde está?", "No lo sé."]),
        ("zz-Latn", "One sentence here. Another one there.", ["One sentence here.", "Another one there."]),
    ],
)
def test_other_languages_split(lang, text, expected):
    assert sents(text, lang) == expected


def test_unknown_language_uses_generic_rules():
    sig = splitter_signature("zz")
    assert sig["rule_set"] == "generic" and sig["backend_lang"] == "zz"
    assert sents("Short one. Another one.", "zz") == ["Short one.", "Another one."]


def test_signature_names_backend_versions_and_rules():
    sig = splitter_signature()
    assert sig["splitter"] == "sentencex+rules"
    assert sig["sentencex"][0].isdigit()
    assert sig["rules"] == sentences.RULES_VERSION


# --- blocks and whitespace -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\u00a0\u2028 "])
def test_empty_or_whitespace_gives_no_sentences(text):
    assert split_sentences(text) == []
    assert split_sentences(text, "ru") == []


def test_spans_are_stripped_offsets_into_the_text():
    text = "  Hello there.   General Kenobi!  \n"
    assert split_sentences(text) == [(2, 14), (17, 32)]


def test_single_newline_is_plain_whitespace():
    text = "Esteemed Vladimir Ilich,\nSeveral employees have come to me."
    assert sents(text) == [text]


@pytest.mark.parametrize("lang", ["en", "ru", "de"])
def test_blank_line_always_ends_a_sentence(lang):
    assert sents("Esteemed Vladimir Ilich,\n\nSeveral employees have come to me.", lang) == [
        "Esteemed Vladimir Ilich,",
        "Several employees have come to me.",
    ]
    assert sents("It ended.\n \nand then it began.", lang) == ["It ended.", "and then it began."]


def test_punctuation_only_text_is_one_sentence():
    assert sents("...") == ["..."]
    assert sents("* * *") == ["* * *"]


def test_non_ascii_space_before_period_does_not_crash():
    # sentencex 1.0.32 panics on "A\u00a0." unless it is given ASCII spaces; offsets stay the caller's.
    text = "See A\u00a0. Then\u2009B\u00a0. It ends."
    spans = split_sentences(text)
    assert text[spans[-1][0] : spans[-1][1]] == "It ends."
    assert spans[0][0] == 0


def test_backend_panic_falls_back_to_razdel(monkeypatch):
    panic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    def boom(lang, text):
        raise panic("boom")

    monkeypatch.setattr(sentences.sentencex, "segment", boom)
    assert sents("One sentence. Two sentences.") == ["One sentence.", "Two sentences."]


# --- invariants for any text -----------------------------------------------------------------------------

BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
ALPHABET = "aAbBzZIi \n\t.?!…;:,\"'“”‘’«»()[]—–-•⁃0129ёЁгтдVNo\u00a0\u2028\u3000。"
TOKENS = ["Mr.", "Vol.", "No.", "1.", "2.", "a.", "b.", "г.", "1920", "т. д.", ". . .", "...", "?!", "I", "The",
          "Он", "В", "\n\n", "e.g.", "U.S.", "⁃9.", "• 10.", "[x]", '"', "«", "»"]
TEXTS = st.one_of(
    st.text(alphabet=ALPHABET, max_size=80),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(alphabet=ALPHABET, max_size=4)), max_size=20).map(" ".join),
    st.text(max_size=60),
)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(["en", "ru", "de", "pt-BR", "zz"]))
def test_spans_tile_the_text_without_loss(text, lang):
    spans = split_sentences(text, lang)
    pos = 0
    for start, end in spans:
        assert pos <= start < end <= len(text)
        assert text[pos:start].strip() == ""  # only whitespace between sentences
        piece = text[start:end]
        assert piece == piece.strip()
        assert BLANK_LINE.search(piece) is None  # a blank line always ends a sentence
        pos = end
    assert text[pos:].strip() == ""
    assert bool(spans) == bool(text.strip())
