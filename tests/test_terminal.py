"""Text for a terminal (aligner.terminal): control characters shown, never obeyed."""

from aligner.terminal import clean


def test_escape_sequences_are_shown_not_obeyed():
    osc = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
    assert clean(osc) == "\\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07"
    assert clean("\x1b[2J\x1b[1A") == "\\x1b[2J\\x1b[1A"
    assert clean("a\x9bb\x85c\x7f") == "a\\x9bb\\x85c\\x7f"  # C1 CSI, NEL, DEL
    assert clean("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert clean("line\r") == "line\\x0d"


def test_ordinary_text_is_kept():
    text = "Дорогой Владимир Ильич!\n\t«entre comillas» — 😀 ё"
    assert clean(text) == text
    assert clean(text, one_line=True) == text.replace("\n", "\\x0a").replace("\t", "\\x09")
    assert clean(clean("\x1b")) == clean("\x1b")
