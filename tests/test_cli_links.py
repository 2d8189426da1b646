"""The alignment editor's commands, as a translator types them (issue: links, not copies)."""

import json

import pytest
from click.testing import CliRunner

from aligner.cli import cli

from .helpers import WORK, shared_file


@pytest.fixture
def run(texts, tmp_path):
    """A CliRunner over a private texts copy and database: the seed plus the Russian opening of letter 2."""
    db = tmp_path / "corpus.db"
    runner = CliRunner()

    def invoke(*args, ok=True):
        r = runner.invoke(cli, [str(a) for a in args] + ["-d", str(db), "--texts", str(texts)])
        if ok:
            assert r.exit_code == 0, r.output
        return r

    r = runner.invoke(cli, ["build", str(texts), "-d", str(db)])
    assert r.exit_code == 0, r.output
    invoke("add-version", WORK, "ru", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), "--role", "original")
    invoke.texts = texts
    invoke.db = db
    invoke.slots = lambda: [json.loads(x) for x in (texts / WORK / "ru.slots.jsonl").read_text("utf-8").splitlines()]
    invoke.history = lambda: [json.loads(x) for x in (texts / WORK / "ru.history.jsonl").read_text("utf-8").splitlines()]
    return invoke


def test_set_confirmed_with_the_shown_text_keeps_the_imported_sentence_linked(run):
    run("set", "22.1", "ru", "Владимир Ильич!", "--status", "confirmed")
    slots = run.slots()
    # only the title (no English counterpart) is unaligned; 2.1 is not left behind as an orphan
    assert [s["targets"][0][0] for s in slots if s.get("via") == "unaligned"] == ["1.1"]
    (row,) = [s for s in slots if s["slot"] == "22.1"]
    assert row["status"] == "confirmed" and [t[0] for t in row["targets"]] == ["2.1"]


def test_set_without_text_confirms_the_link(run):
    r = run("set", "23.1", "ru", "--status", "confirmed")
    assert "23.1 ru: confirmed (revision 1)" in r.output
    (row,) = [s for s in run.slots() if s["slot"] == "23.1"]
    assert row["status"] == "confirmed" and [t[0] for t in row["targets"]] == ["3.1"]


def test_a_clear_survives_align_and_is_counted(run):
    run("set", "23.1", "ru", "--clear")
    r = run("align", WORK, "ru")
    assert "1 made by people kept" in r.output
    (row,) = [s for s in run.slots() if s["slot"] == "23.1"]
    assert row["status"] == "empty" and "targets" not in row and row["by"] == "tester"
    assert sorted(s["targets"][0][0] for s in run.slots() if s["slot"] is None) == ["1.1", "3.1"]


def test_link_confirm_and_revert_through_the_command_line(run):
    r = run("link", WORK, "ru", "24.1", "4.1")
    rid = int(r.output.split("revision ")[1].split(";")[0])
    assert [s["status"] for s in run.slots() if s["slot"] == "24.1"] == ["confirmed"]
    run("confirm", WORK, "ru", "--through", "25.1")
    assert {s["status"] for s in run.slots() if s.get("targets") and s["slot"]} == {"confirmed"}
    run("revert", rid)
    assert [s["slot"] for s in run.slots() if s["slot"] and s["slot"].startswith("24.")] == ["24.1-24.2"]
    ids = [h["id"] for h in run.history()]
    assert ids == sorted(ids) and ids[0] == rid


@pytest.mark.parametrize("args,expect", [
    (("move", WORK, "ru", "24.1", "down"), ("25.1", ["4.1", "5.1"])),
    (("shift", WORK, "ru", "24.1", "down"), ("25.1", ["4.1"])),
    (("merge", WORK, "ru", "24.1"), ("24.1-25.1", ["4.1", "5.1"])),
    (("attach", WORK, "ru", "1.1", "20.1"), ("20.1", ["1.1"])),
])
def test_editing_commands_change_links(run, args, expect):
    run(*args)
    slot, targets = expect
    (row,) = [s for s in run.slots() if s["slot"] == slot]
    assert [t[0] for t in row["targets"]] == targets


def test_split_detach_and_correct(run):
    run("split", WORK, "ru", "24.1", "--pivot-at", "24.2")
    split = {s["slot"]: (s["status"], [t[0] for t in s.get("targets", [])]) for s in run.slots()
             if s["slot"] in ("24.1", "24.2")}
    assert split == {"24.1": ("draft", ["4.1"]), "24.2": ("empty", [])}
    run("detach", WORK, "ru", "4.1")
    assert sorted(s["targets"][0][0] for s in run.slots() if s["slot"] is None and s.get("targets")) == ["1.1", "4.1"]
    run("correct", WORK, "ru", "5.1", "Неужели никто из Вас не вдумался!")
    (row,) = [s for s in run.slots() if s["slot"] == "25.1"]
    assert row["edits"] == {"5.1": "Неужели никто из Вас не вдумался!"}


def test_bad_editing_commands_are_one_line_errors(run):
    r = run("move", WORK, "ru", "99.9", "up", ok=False)
    assert r.exit_code == 1 and "unknown segment '99.9'" in r.output and len(r.output.strip().splitlines()) == 1
    r = run("attach", WORK, "ru", "9.9", "20.1", ok=False)
    assert r.exit_code == 1 and "unknown segment '9.9' of ru" in r.output


def test_align_is_a_revision_in_the_history_and_reverts(run, tmp_path):
    run("detach", WORK, "ru", "3.1")
    slots = run.slots()
    r = run("align", WORK, "ru", "--as", "boris")
    rid = int(r.output.split("revision ")[1].split(";")[0])
    assert f"undo with: aligner revert {rid}" in r.output
    (row,) = [s for s in run.slots() if s["slot"] == "23.1"]
    assert [t[0] for t in row["targets"]] == ["3.1"] and row["status"] == "auto"
    last = run.history()[-1]
    assert (last["id"], last["op"], last["by"], last["via"]) == (rid, "align", "boris", "cli")
    shown = CliRunner().invoke(cli, ["history", "23.1", "ru", "-d", str(tmp_path / "corpus.db")]).output
    assert f"#{rid} " in shown and "boris via cli (align)" in shown
    r = run("align", WORK, "ru")
    assert "nothing changed" in r.output and run.history()[-1]["id"] == rid
    run("revert", rid, "--as", "anna")
    assert run.slots() == slots


#: A Spanish excerpt of letter 2: its dateline, salutation, first paragraphs and three of the five sentences of
#: the fourth (English 21.1-25.3).
ES_EXCERPT = """Dmitrov (provincia de Moscú), 21 de diciembre de 1920

Respetado Vladimir Ilich:

Se ha publicado un anuncio en Izvestia y en Pravda que da a conocer la decisión del gobierno soviético de tomar como rehenes a miembros de los grupos de Sávinkov y Chernov.

¿De verdad no hay nadie a su alrededor que recuerde a sus camaradas que tales medidas son un regreso a la peor época de la Edad Media? Quien aprecie el futuro del comunismo no puede emprender tales medidas.

¿Es posible que nadie haya explicado lo que es realmente un rehén? Un rehén no es encarcelado como castigo por algún crimen. Se le retiene para chantajear al enemigo con su muerte.
"""


def test_a_text_imported_beside_rows_people_typed_aligns_around_them(run, tmp_path):
    """The rows a translator typed are anchors of the structure pass too: the sentences after them meet the
    English after them (they were left unaligned at the end of the work, 3 of 8 sentences)."""
    run("set", "22.1", "es", "Respetado Vladimir Ilich:")
    run("set", "23.1", "es", "Se ha publicado un anuncio en Izvestia y en Pravda que da a conocer la decisión del "
                             "gobierno soviético de tomar como rehenes a miembros de los grupos de Sávinkov y Chernov.")
    run("set", "24.1-2", "es", "¿De verdad no hay nadie a su alrededor que recuerde a sus camaradas que tales medidas "
                               "son un regreso a la peor época de la Edad Media? Quien aprecie el futuro del comunismo "
                               "no puede emprender tales medidas.")
    f = tmp_path / "es.txt"
    f.write_text(ES_EXCERPT, encoding="utf-8")
    r = run("add-version", WORK, "es", f)
    assert "4 auto, 3 by people" in r.output and "sentences of the version" not in r.output, r.output
    rows = [json.loads(x) for x in (run.texts / WORK / "es.slots.jsonl").read_text("utf-8").splitlines()]
    by_slot = {s["slot"]: [t[0] for t in s.get("targets", [])] for s in rows}
    assert by_slot["21.1"] == ["1.1"] and by_slot["22.1"] == ["2.1"] and by_slot["24.1-24.2"] == ["4.1", "4.2"]
    assert [by_slot.get(a) for a in ("25.1", "25.2", "25.3")] == [["5.1"], ["5.2"], ["5.3"]]
    assert not [s for s in rows if s["slot"] is None]


def test_changing_a_rows_typed_text_makes_the_row_the_new_translators(run):
    """Who, when and how of a row follow its last change: a second translator's correction is theirs, in the
    database and in the text record (the row kept the first translator's name)."""
    run("set", "30.1", "ru", "Первый текст", "--as", "bob")
    run("set", "30.1", "ru", "Новый текст", "--as", "anna")
    row = next(s for s in run.slots() if s["slot"] == "30.1")
    assert (row["text"], row["by"], row["via"]) == ("Новый текст", "anna", "cli")


def test_shifting_down_and_back_up_leaves_the_confirmed_row_above_confirmed(run):
    """A row the shift passes through without changing keeps its status (it went from confirmed to draft)."""
    run("set", "25.1", "ru", "--status", "confirmed")
    before = {s["slot"]: (s["text"], s["status"]) for s in run.slots() if s["slot"]}
    run("shift", WORK, "ru", "25.2", "down")
    run("shift", WORK, "ru", "25.2", "up")
    after = {s["slot"]: (s["text"], s["status"]) for s in run.slots() if s["slot"]}
    assert after["25.1"] == before["25.1"] and before["25.1"][1] == "confirmed"
    assert after == before


def test_a_range_that_is_not_a_row_is_refused_and_changes_nothing(run):
    """26.1-27.2 is no row: merging it merged the row of 26.1 with the next one."""
    before = run.slots()
    r = run("merge", WORK, "ru", "26.1-27.2", ok=False)
    assert r.exit_code == 1 and "no row 26.1-27.2 in ru: 26.1 is in row 26.1" in r.output, r.output
    assert run.slots() == before


def test_sentences_a_new_text_leaves_unaligned_stand_beside_their_text_and_stay_there(run, tmp_path):
    """Rows typed before a whole text is imported take its sentences' places; those sentences stay unaligned,
    placed after the row of the sentence before them (they went after the work's last sentence, and a
    re-alignment from a later row then moved them back: 7 changed)."""
    run("set", "22.1", "es", "Respetado Vladimir Ilich…")
    run("set", "24.1-2", "es", "¿De verdad no hay nadie…")
    f = tmp_path / "es.txt"
    f.write_text(ES_EXCERPT, encoding="utf-8")
    run("add-version", WORK, "es", f)
    path = run.texts / WORK / "es.slots.jsonl"
    leftovers = [s for s in map(json.loads, path.read_text("utf-8").splitlines()) if s["slot"] is None]
    # 3.1-4.2 met 23.1, which nobody typed (the excerpt's 3.1 is short); each other sentence follows the row
    # of the linked one before it
    assert {s["targets"][0][0]: s["after"] for s in leftovers} == {
        "2.1": "21.1", "5.1": "23.1", "5.2": "23.1", "5.3": "23.1"}
    before = path.read_text("utf-8")
    r = run("align", WORK, "es", "--from", "25.2")
    assert "nothing changed" in r.output and path.read_text("utf-8") == before


def test_a_change_is_refused_while_its_history_file_is_broken_and_nothing_is_committed(run):
    """The change went into the database and then its dump stopped on the broken line (the database ahead of
    texts/, with a hint that blamed the disk)."""
    run("set", "30.1", "ru", "Первый текст")
    hist = run.texts / WORK / "ru.history.jsonl"
    good = hist.read_text("utf-8")
    hist.write_text(good.replace("{", "{{", 1), "utf-8")
    slots = run.slots()
    r = run("set", "30.1", "ru", "Новый текст", ok=False)
    assert r.exit_code == 1 and "ru.history.jsonl:1: malformed JSON" in r.output, r.output
    assert "committed" not in r.output and run.slots() == slots
    hist.write_text(good, "utf-8")
    run("set", "30.1", "ru", "Новый текст")
    assert next(s for s in run.slots() if s["slot"] == "30.1")["text"] == "Новый текст"
    assert [h["new_text"] for h in run.history()][-2:] == ["Первый текст", "Новый текст"]


def test_a_row_whose_pivot_sentences_have_a_gap_is_named_by_its_address(run):
    """After 25.2 was taken out of row 25.1-25.3, the row kept that address, and naming it by it was refused
    ("no row 25.1-25.3 in ru: 25.1 is in row 25.1-25.3")."""
    run("merge", WORK, "ru", "25.1")
    run("merge", WORK, "ru", "25.1")
    run("link", WORK, "ru", "25.2", "-")
    assert "25.1-25.3" in {s["slot"] for s in run.slots()}
    r = run("split", WORK, "ru", "25.1-25.3")
    assert r.exit_code == 0 and "25.1-25.3" not in {s["slot"] for s in run.slots()}, r.output


def test_history_shows_how_a_link_operation_moved_the_rows(run):
    """A merge changes no text, and the history showed the same line before and after it."""
    run("merge", WORK, "ru", "25.1")
    r = CliRunner().invoke(cli, ["history", "25.1", "ru", "-d", str(run.db)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    k = next(i for i, x in enumerate(lines) if "(merge)" in x)
    assert lines[k + 1].startswith("    - 25.1 = ") and " | 25.2 = " in lines[k + 1]
    assert lines[k + 2].startswith("    + 25.1-25.2 = ") and "[draft]" in lines[k + 2]


def test_a_typo_corrected_in_an_automatic_row_leaves_the_row_the_aligners(run):
    """The correction is the person's (its revision says so); the link stays the aligner's to align again."""
    row = next(s for s in run.slots() if s["status"] == "auto" and s.get("pivot") and s.get("targets"))
    ref = row["targets"][0][0]
    run("correct", WORK, "ru", ref, "Исправленный текст.", "--as", "anna")
    after = next(s for s in run.slots() if s["slot"] == row["slot"])
    assert after["status"] == "auto" and after["via"] == "aligner" and "by" not in after
    assert after["edits"] == {ref: "Исправленный текст."}
    assert run.history()[-1]["by"] == "anna"
