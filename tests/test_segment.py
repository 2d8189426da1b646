"""The structure pass and the segments the seed text must give (the hard cases by name)."""


import pytest

from aligner.errors import InputError
from aligner.text.segment import decode_text, read_text, segment_text, segment_tsv

from .helpers import SEED, shared_file


@pytest.fixture(scope="module")
def seed_doc():
    return segment_text(read_text(SEED), "en", title="Two letters to Lenin", author="Peter Kropotkin")


def texts_of(doc, ref_prefix=None):
    return [s.text for s in doc.segments if ref_prefix is None or s.ref.startswith(ref_prefix)]


def find(doc, fragment):
    hits = [s for s in doc.segments if fragment in s.text]
    assert len(hits) == 1, (fragment, [h.text for h in hits])
    return hits[0]


def test_front_matter_kinds(seed_doc):
    kinds = [(s.ref, s.kind, s.text) for s in seed_doc.segments[:4]]
    assert kinds == [
        ("1.1", "byline", "Peter Kropotkin. 1920"),
        ("2.1", "title", "Two letters to Lenin"),
        ("3.1", "source", "Source: The Anarchist Library;"),
        ("4.1", "source", "Transcription\\Markup: by Zdravko Saveski, 2021."),
    ]


def test_two_letters_are_two_divisions(seed_doc):
    datelines = [s for s in seed_doc.segments if s.kind == "dateline"]
    assert [(s.division, s.text) for s in datelines] == [
        (1, "Dmitrov, 4 March 1920"),
        (2, "Dmitrov (Moscow province)\n21 December, 1920"),
    ]
    assert {s.division for s in seed_doc.segments if s.kind == "paragraph"} == {1, 2}


def test_dateline_over_two_lines_is_one_block(seed_doc):
    d = find(seed_doc, "Moscow province")
    assert d.kind == "dateline" and d.text.endswith("21 December, 1920") and d.sentence == 1


def test_salutations_closing_and_signatures(seed_doc):
    by_kind = {}
    for s in seed_doc.segments:
        by_kind.setdefault(s.kind, []).append(s.text)
    assert by_kind["salutation"] == ["Esteemed Vladimir Ilich,", "Respected Vladimir Illich,"]
    assert by_kind["closing"] == ["With comradely greetings,"]
    assert by_kind["signature"] == ["P. Kropotkin", "P. Kropotkin"]


def test_bracket_after_semicolon_stays_in_sentence(seed_doc):
    s = find(seed_doc, "[salary]")
    assert s.text == "It is impossible even to buy a bushel of potatoes with this [salary]; I know this from personal experience."


def test_editorial_bracket_does_not_split(seed_doc):
    s = find(seed_doc, "SRs [Social Revolutionary party members]")
    assert s.text.startswith("An announcement has been placed") and s.text.endswith('"mercilessly exterminate" these hostages.')


def test_bracket_opening_a_sentence_starts_it(seed_doc):
    s = find(seed_doc, "[You must know]")
    assert s.text.startswith("[You must know] that precisely these acts")
    prev = seed_doc.segments[seed_doc.segments.index(s) - 1]
    assert prev.text.endswith("so close to primitive terror?")


def test_spaced_en_dash_never_splits(seed_doc):
    s = find(seed_doc, "Since [the price] of flour")
    assert "– if you manage to get any –" in s.text and s.text.endswith("five pounds of wheat.")


def test_ellipsis_inside_quote_ends_the_sentence(seed_doc):
    s = find(seed_doc, "Wait awhile")
    assert s.text == 'But is this not the same thing as leading a man to the scaffold each morning and taking him back, saying: "Wait awhile, not today..."'


def test_ellipsis_at_paragraph_end(seed_doc):
    s = find(seed_doc, "spring seed")
    assert s.text == "Consider the supply of firewood, or that of last season's spring seed..." and s.sentence == 1


def test_quoted_sentence_is_its_own_sentence(seed_doc):
    s = find(seed_doc, "If you kill one of ours")
    assert s.text == '"If you kill one of ours, we will kill one of yours."'
    block = [x.text for x in seed_doc.segments if x.block == s.block]
    assert block == [
        "It is possible that no one has explained what a hostage really is?",
        "A hostage is imprisoned not as punishment for some crime.",
        "He is held in order to blackmail the enemy with his death.",
        '"If you kill one of ours, we will kill one of yours."',
        'But is this not the same thing as leading a man to the scaffold each morning and taking him back, saying: "Wait awhile, not today..."',
    ]


def test_period_inside_closing_quote(seed_doc):
    s = find(seed_doc, "occupational hazard")
    assert s.text.endswith('as an "occupational hazard."')


def test_initials_do_not_split(seed_doc):
    assert "P. Kropotkin" in texts_of(seed_doc)


def test_dates_do_not_split(seed_doc):
    s = find(seed_doc, "15 August 1918")
    assert s.text.startswith("Meanwhile, along with such prices") and s.text.endswith("for two months already.")


def test_readme_reference_24_is_the_two_sentences_one_russian_sentence_renders(seed_doc):
    refs = {s.ref: s.text for s in seed_doc.segments}
    assert refs["24.1"].startswith("Is there really no one around you")
    assert refs["24.2"].startswith("Whoever holds dear the future of communism")


def test_sentence_counts(seed_doc):
    assert len(seed_doc.segments) == 76
    assert len({s.block for s in seed_doc.segments}) == 35


def test_offsets_reproduce_the_text(seed_doc):
    text = read_text(SEED)
    last = 0
    for s in seed_doc.segments:
        assert text[s.start:s.end] == s.text
        assert s.start >= last and text[last:s.start].strip() == ""
        last = s.end
    assert text[last:].strip() == ""


def test_bom_and_crlf_give_the_same_segments(seed_doc):
    raw = SEED.read_bytes()
    messy = b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
    doc = segment_text(decode_text(messy), "en", title="Two letters to Lenin", author="Peter Kropotkin")
    assert [s.as_dict() for s in doc.segments] == [s.as_dict() for s in seed_doc.segments]


def test_no_structure_treats_input_as_prose():
    doc = segment_text("Dear Sir,\nIt rains. It pours.\n\nP. Kropotkin", "en", structure_pass=False)
    assert {s.kind for s in doc.segments} == {"paragraph"}
    assert [(s.block, s.text) for s in doc.segments] == [
        (1, "Dear Sir,\nIt rains."), (1, "It pours."), (2, "P. Kropotkin")
    ]


def test_russian_opening_structure():
    text = read_text(shared_file("texts", "kropotkin-letter2-opening.ru.txt"))
    doc = segment_text(text, "ru")
    kinds = [s.kind for s in doc.segments]
    assert kinds[0] == "title" and kinds[1] == "salutation" and set(kinds[2:]) == {"paragraph"}
    assert doc.segments[0].text == "О заложниках: Письмо В. И. Ленину"


def test_tsv_rows_become_keyed_verse_blocks():
    text = "book\tchapter\tverse\ttext\nGen\t1\t1\tIn the beginning. God made it.\nGen\t1\t2\tAnd so.\nExod\t2\t1\tLater.\n"
    doc = segment_tsv(text, "en")
    assert [s.ref for s in doc.segments] == ["Gen.1.1.1", "Gen.1.1.2", "Gen.1.2.1", "Exod.2.1.1"]
    assert [s.division for s in doc.segments] == [1, 1, 1, 2]
    assert all(text[s.start:s.end] == s.text for s in doc.segments)


@pytest.mark.parametrize(
    "data,problem",
    [
        (b"", "file is empty"),
        (b"  \n\n ", "file is empty"),
        (b"abc\x00def", "binary file"),
        (b"good text \xff\xfe bad", "not valid UTF-8"),
    ],
)
def test_bad_bytes_give_one_line_errors(tmp_path, data, problem):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(InputError) as e:
        read_text(p)
    assert problem in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "nope.txt")


def test_tsv_with_wrong_header_is_rejected():
    with pytest.raises(InputError, match="expected the header"):
        segment_tsv("a\tb\nx\ty\n", "en", path="x.tsv")
