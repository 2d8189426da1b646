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
