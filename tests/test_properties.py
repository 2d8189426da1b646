"""Properties that must hold for any input (hypothesis, derandomized: the same examples every run).

* Segmentation never loses or invents text: the segments, in order, with the
  whitespace between them, are the input; offsets are ordered and
  ``text == source[start:end]``.
* The text-file record is exact: whatever Unicode a translator types into a
  slot, dump -> build -> dump gives the same bytes.
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.text.segment import segment_text
from aligner.corpus import Store, build

SETTINGS = settings(derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Characters that stress the structure pass and the sentence splitters: sentence ends, abbreviations,
# brackets and quotes of several traditions, dashes, ellipses, digits, Cyrillic (with ё and pre-reform
# letters), accents, line ends and unusual spaces.
PIECES = st.sampled_from(
    list("abcxyzABCXYZ абвгдеёжзАБВЁЖЯѣі ñéüÑÉ 0123456789 .,;:!?…()[]{}\"'«»„“”‘’—–-/*•")
    + ["\n", "\n\n", "\n \n", "\t", "\u00a0", "\u2009", "\u2028", "  ", ". ", "? ", "! ", "... ", "Mr. ", "т. е. ",
       "1920 г. ", "Dear Sir,\n", "P. Kropotkin\n", "Dmitrov, 4 March 1920\n", "With greetings,\n", "[salary] ",
       " – ", "Vol. 2 ", "No. ", "Ч. II. ", "«Да.» ", "(sic.) "]
)
TEXT = st.lists(PIECES, max_size=80).map("".join)
FREE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


def _check_tiling(source: str, segments) -> None:
    pos = 0
    for s in segments:
        assert s.text, "empty segment"
        assert s.start >= pos and s.end > s.start
        assert source[s.start:s.end] == s.text
        assert source[pos:s.start].strip() == "", f"text lost between segments: {source[pos:s.start]!r}"
        assert s.text == s.text.strip()
        pos = s.end
    assert source[pos:].strip() == "", f"text lost at the end: {source[pos:]!r}"
    # Put together again: segments in order plus the skipped whitespace equal the input.
    rebuilt, pos = [], 0
    for s in segments:
        rebuilt += [source[pos:s.start], s.text]
        pos = s.end
    assert "".join(rebuilt) + source[pos:] == source
    if source.strip():
        assert segments, "text with content gave no segments"


@pytest.mark.parametrize("lang", ["en", "ru", "es"])
@settings(SETTINGS, max_examples=1000)
@given(text=st.one_of(TEXT, FREE_TEXT))
def test_segmentation_never_loses_or_invents_text(lang, text):
    doc = segment_text(text, lang)
    _check_tiling(text, doc.segments)
    refs = [s.ref for s in doc.segments]
    assert len(refs) == len(set(refs))
    keys = [(s.block, s.sentence) for s in doc.segments]
    assert keys == sorted(keys)


@settings(SETTINGS, max_examples=300)
@given(text=TEXT)
def test_prose_mode_never_loses_or_invents_text(text):
    _check_tiling(text, segment_text(text, "en", structure_pass=False).segments)


# ---------------------------------------------------------------------------
# dump -> build -> dump

SMALL_WORK = "tiny"
EN = (
    "A Tiny Work\n\nDmitrov, 4 March 1920\n\nDear Comrade,\n\n"
    "The first sentence is here. The second one follows it. A third closes the paragraph.\n\n"
    "Another paragraph begins. It has two sentences.\n\nWith greetings,\n\nP. Kropotkin\n"
)
TOML = (
    'title = "A Tiny Work"\nauthor = "P. Kropotkin"\npivot = "en"\n\n'
    '[versions.en]\nlanguage = "en"\nrole = "pivot"\nfile = "en.txt"\n\n'
    '[versions.ru]\nlanguage = "ru"\nrole = "original"\n\n'
    '[versions.he]\nlanguage = "he"\nrole = "translation"\n'
)

# What translators type: anything, with the characters that break naive escaping or line-based formats.
SLOT_TEXT = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
        st.sampled_from(["\n", "\r\n", "\t", '"', "'", "<", ">", "&", "&amp;", "\\", "\\n", "😀", "👩🏽‍🔬", "e\u0301",
                         "\u200f", "\u202e", "\u200b", "\ufeff", "\u2028", "\x00", "\x1f", "ё", "שלום", "مرحبا",
                         " ", "}", "{\"slot\": 1}"]),
    ),
    min_size=0, max_size=8,
).map("".join)
ACTOR = st.one_of(st.sampled_from(["anna", "Борис", "carmen o'neil"]), st.text(min_size=1, max_size=10))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny")
    wdir = base / "texts" / SMALL_WORK
    wdir.mkdir(parents=True)
    (wdir / "en.txt").write_text(EN, "utf-8")
    (wdir / "work.toml").write_text(TOML, "utf-8")
    build(base / "texts", base / "corpus.db")
    refs = [s.address for s in Store(base / "corpus.db").slots(SMALL_WORK, "ru")]
    return base, refs


@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_dump_build_dump_is_byte_identical_for_any_text(tiny, tmp_path_factory, data):
    base, refs = tiny
    work = tmp_path_factory.mktemp("case")
    shutil.copytree(base / "texts", work / "texts")
    shutil.copy(base / "corpus.db", work / "corpus.db")
    store = Store(work / "corpus.db", work / "texts")
    for _ in range(data.draw(st.integers(1, 5), label="edits")):
        key = data.draw(st.sampled_from(["ru", "he"]), label="version")
        i = data.draw(st.integers(0, len(refs) - 1), label="first")
        j = data.draw(st.integers(i, min(i + 2, len(refs) - 1)), label="last")
        address = refs[i] if i == j else f"{refs[i]}-{refs[j]}"
        text = data.draw(SLOT_TEXT, label="text")
        status = data.draw(st.sampled_from(["draft", "confirmed"]), label="status")
        store.set_slot(SMALL_WORK, key, address, text, status if text.strip() else "empty",
                       actor=data.draw(ACTOR, label="actor"), channel=data.draw(st.sampled_from(["cli", "web"])))
    store.dump()
    files = sorted((work / "texts" / SMALL_WORK).glob("*.jsonl"))
    first = {f.name: f.read_bytes() for f in files}
    rebuilt = work / "rebuilt.db"
    build(work / "texts", rebuilt)
    again = work / "again"
    shutil.copytree(work / "texts", again)
    Store(rebuilt, again).dump()
    assert {f.name: f.read_bytes() for f in sorted((again / SMALL_WORK).glob("*.jsonl"))} == first
    # And the database holds the same slots as before the round trip (who emptied a slot is in the history,
    # not in the slot: empty slots are not dumped).
    def state(st):
        return [(s.version, s.address, s.text, s.status, s.actor if s.status != "empty" else None)
                for k in ("ru", "he") for s in st.slots(SMALL_WORK, k)]

    assert state(Store(rebuilt, again)) == state(store)
