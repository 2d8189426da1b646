"""The command line: each command through click's CliRunner, errors as one line and a non-zero exit."""

import json

import pytest
from click.testing import CliRunner

from aligner.cli import cli

from .helpers import SEED, WORK, table_rows


@pytest.fixture
def run(texts, db_path):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def test_segment_prints_refs_and_kinds():
    r = CliRunner().invoke(cli, ["segment", str(SEED)])
    assert r.exit_code == 0
    assert "    24.1  paragraph  Is there really no one around you" in r.output
    assert "     5.1  dateline   Dmitrov, 4 March 1920" in r.output


def test_segment_json_contract():
    r = CliRunner().invoke(cli, ["segment", str(SEED), "--json"])
    rows = json.loads(r.output)
    text = SEED.read_text("utf-8")
    assert set(rows[0]) == {"block", "kind", "sentence", "text", "start", "end"}
    assert rows[0]["block"] == 1 and rows[0]["sentence"] == 1
    assert all(text[x["start"]:x["end"]] == x["text"] for x in rows)
    blocks = [x["block"] for x in rows]
    assert blocks == sorted(blocks)
    for prev, cur in zip(rows, rows[1:]):
        assert cur["sentence"] == (prev["sentence"] + 1 if cur["block"] == prev["block"] else 1)


def test_segment_reads_stdin_and_no_structure():
    r = CliRunner().invoke(cli, ["segment", "-", "--no-structure", "--json"], input="Dear Sir,\n\nOne. Two.")
    assert [(x["kind"], x["text"]) for x in json.loads(r.output)] == [
        ("paragraph", "Dear Sir,"), ("paragraph", "One."), ("paragraph", "Two.")]


def test_segment_bad_file_is_one_line(tmp_path):
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\x00\x01")
    r = CliRunner().invoke(cli, ["segment", str(p)])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "binary file" in r.output and str(p) in r.output


def test_build_reports_counts(texts, tmp_path):
    r = CliRunner().invoke(cli, ["build", str(texts), "-d", str(tmp_path / "x.db")])
    assert r.exit_code == 0, r.output
    assert "1 work(s), 3 versions, 76 segments, 152 alignments" in r.output


def test_build_bad_metadata_keeps_database(texts, db_path):
    before = table_rows(db_path)
    (texts / WORK / "work.toml").write_text("title = [", "utf-8")
    r = CliRunner().invoke(cli, ["build", str(texts), "-d", str(db_path)])
    assert r.exit_code == 1 and "malformed TOML" in r.output and "work.toml" in r.output
    assert table_rows(db_path) == before


def test_set_status_history_revert_round(run, texts, db_path):
    r = run("set", "24.1-24.2", "ru", "Неужели не нашлось никого?", "--as", "anna", "-d", db_path, "--texts", texts)
    assert r.exit_code == 0 and "revision 1" in r.output
    r = run("set", "24.1-2", "ru", "Исправлено.", "--status", "confirmed", "--as", "boris", "-d", db_path, "--texts", texts)
    assert "confirmed (revision 2)" in r.output
    r = run("status", "--json", "-d", db_path)
    ru = next(x for x in json.loads(r.output) if x["version"] == "ru")
    assert ru["confirmed"] == 1 and ru["empty"] == 74
    r = run("history", "24.2", "ru", "-d", db_path)
    assert "#1" in r.output and "#2" in r.output and "boris via cli" in r.output
    r = run("revert", "2", "--as", "anna", "-d", db_path, "--texts", texts)
    assert "as revision 3" in r.output
    r = run("history", "24.1", "--json", "-d", db_path)
    rows = json.loads(r.output)
    assert rows[-1]["reverts"] == 2 and rows[-1]["new_text"] == "Неужели не нашлось никого?"
    # Each write went to the text-file record at once.
    lines = (texts / WORK / "ru.history.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 3


def test_set_clear(run, texts, db_path):
    run("set", "7.1", "es", "Varios empleados.", "-d", db_path, "--texts", texts)
    r = run("set", "7.1", "es", "--clear", "-d", db_path, "--texts", texts)
    assert "empty" in r.output
    r = run("status", "--csv", "-d", db_path)
    assert r.output.splitlines()[0].startswith("work,version,language,empty")


def test_set_errors_are_one_line(run, texts, db_path):
    for args, msg in [
        (("set", "99.1", "ru", "x"), "unknown segment '99.1'"),
        (("set", "24.1", "fr", "x"), "unknown version 'fr'"),
        (("set", "24.1", "en", "x"), "is the pivot"),
    ]:
        r = run(*args, "-d", db_path, "--texts", texts)
        assert r.exit_code == 1 and msg in r.output and r.output.count("\n") == 1, r.output


def test_set_with_stale_token_is_refused(run, texts, db_path, store):
    token = store.slot(WORK, "ru", "24.1").token
    run("set", "24.1", "ru", "first", "-d", db_path, "--texts", texts)
    r = run("set", "24.1", "ru", "second", "--token", token, "-d", db_path, "--texts", texts)
    assert r.exit_code == 1 and "changed since" in r.output and "first" in r.output


def test_dump_command(run, texts, db_path, store):
    store.set_slot(WORK, "ru", "2.1", "Два письма", actor="anna")
    r = run("dump", "-d", db_path, "--texts", texts)
    assert "wrote 2 file(s)" in r.output
    assert '"text": "Два письма"' in (texts / WORK / "ru.slots.jsonl").read_text("utf-8")


def test_missing_database_is_explained(tmp_path):
    r = CliRunner().invoke(cli, ["status", "-d", str(tmp_path / "none.db")])
    assert r.exit_code == 1 and "aligner build" in r.output


def test_user_add_stores_a_hash_not_the_password(tmp_path):
    users = tmp_path / "users.json"
    r = CliRunner().invoke(cli, ["user", "add", "anna", "--users-file", str(users)], input="s3cret\ns3cret\n")
    assert r.exit_code == 0, r.output
    data = json.loads(users.read_text())
    assert list(data) == ["anna"] and "s3cret" not in users.read_text() and data["anna"].startswith("pbkdf2_sha256$")
    from aligner.web.auth import verify_password

    assert verify_password("s3cret", data["anna"]) and not verify_password("wrong", data["anna"])


ESC_TEXT = "Evil \x1b]0;pwned\x07 text \x1b[2J\u202e"


def test_history_and_set_show_control_characters_escaped(run, store, db_path, texts):
    store.set_slot(WORK, "ru", "25.1", ESC_TEXT, "draft", actor="mallory\x1b[31m\nforged line")
    r = run("history", "25.1", "ru", "-d", db_path)
    assert r.exit_code == 0
    assert "\x1b" not in r.output and "\u202e" not in r.output and "\x07" not in r.output
    assert "Evil \\x1b]0;pwned\\x07 text \\x1b[2J\\u202e" in r.output
    assert "mallory\\x1b[31m\\x0aforged line via cli" in r.output
    # JSON stays data: the characters are there, escaped by JSON itself.
    data = json.loads(run("history", "25.1", "ru", "--json", "-d", db_path).output)
    assert data[-1]["new_text"] == ESC_TEXT
    # A refused set echoes the slot's current text: escaped, on one line.
    r = CliRunner().invoke(cli, ["set", "25.1", "ru", "mine", "--token", "0" * 16, "-d", str(db_path),
                                 "--texts", str(texts)])
    assert r.exit_code != 0 and "\x1b" not in r.output and "\\x1b]0;pwned" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_errors_show_control_characters_escaped(db_path):
    r = CliRunner().invoke(cli, ["history", "1.1", "ru", "--work", "no\x1b]0;x\x07such", "-d", str(db_path)])
    assert r.exit_code != 0 and "\x1b" not in r.output and "no\\x1b]0;x\\x07such" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_user_roles_from_the_command_line(tmp_path):
    path = tmp_path / "users.json"
    runner = CliRunner()
    r = runner.invoke(cli, ["user", "add", "vera", "--password", "pw", "--role", "editor", "--work", WORK,
                            "--users-file", path])
    assert r.exit_code == 0 and f"vera: editor ({WORK})" in r.output
    r = runner.invoke(cli, ["user", "add", "old", "--password", "pw", "--users-file", path])
    assert "old: admin (every work)" in r.output
    r = runner.invoke(cli, ["user", "set", "vera", "--role", "supervisor", "--all-works", "--users-file", path])
    assert r.exit_code == 0 and "vera: supervisor (every work)" in r.output
    r = runner.invoke(cli, ["user", "set", "vera", "--role", "editor", "--add-work", "w2", "--users-file", path])
    assert "vera: editor (w2)" in r.output
    r = runner.invoke(cli, ["user", "list", "--users-file", path])
    assert r.output.splitlines() == ["old: admin (every work)", "vera: editor (w2)"]
    r = runner.invoke(cli, ["user", "set", "nobody", "--role", "editor", "--users-file", path])
    assert r.exit_code != 0 and "no user 'nobody'" in r.output
    r = runner.invoke(cli, ["user", "add", "x\x1b[2J", "--password", "pw", "--users-file", path])
    assert r.exit_code != 0 and "printable" in r.output and "\x1b" not in r.output


def test_status_of_an_unknown_work_is_an_error(db_path):
    """It printed an empty table and exited 0."""
    r = CliRunner().invoke(cli, ["status", "--work", "nosuch", "-d", str(db_path)])
    assert r.exit_code == 1 and "unknown work 'nosuch'" in r.output, r.output


def test_an_export_into_a_missing_folder_names_the_file_asked_for(db_path, tmp_path):
    """The error named the temporary file beside it (/nonexistent/dir/.z.csv.h2tnp5oa.tmp)."""
    out = tmp_path / "missing" / "z.csv"
    r = CliRunner().invoke(cli, ["export", WORK, "--lang", "ru", "-o", str(out), "-d", str(db_path)])
    assert r.exit_code == 1 and f"cannot write {out}: No such file or directory" in r.output, r.output
    assert ".tmp" not in r.output and not out.parent.exists()
