"""The record of a work (texts/<work>/): a new work, work.toml edited by the tool without losing a person's
comments, and the command line finding the work from a segment ref."""

import pytest
from click.testing import CliRunner

from aligner.cli import cli
from aligner.errors import InputError
from aligner.record import create_work, load_work, update_version

from .helpers import SEED, WORK, shared_file


def test_update_version_keeps_comments_and_layout(texts):
    path = texts / WORK / "work.toml"
    before = path.read_text("utf-8")
    update_version(texts / WORK, "ru", {"translator": None, "file": "ru.txt", "year": 1923})
    after = path.read_text("utf-8")
    assert after.startswith("# Peter Kropotkin, Two Letters to Lenin (1920).\n# Hand-editable:")
    assert after.replace('file = "ru.txt"\nyear = 1923\n', "") == before
    assert "[versions.es]" in after


def test_add_version_keeps_the_work_toml_comments(texts, db_path):
    r = CliRunner().invoke(cli, ["add-version", WORK, "ru", str(shared_file("texts", "kropotkin-letter2-opening.ru.txt")),
                                 "--role", "original", "-d", str(db_path), "--texts", str(texts)])
    assert r.exit_code == 0, r.output
    toml = (texts / WORK / "work.toml").read_text("utf-8")
    assert "# Hand-editable: every [versions.<key>] is one version of the work." in toml
    assert load_work(texts / WORK).versions["ru"].file == "ru.txt"


def test_new_work_makes_a_folder_that_builds(tmp_path, texts):
    db = tmp_path / "c.db"
    r = CliRunner().invoke(cli, ["new-work", "letters", "--title", "Letters", "--pivot", str(SEED), "--lang", "en",
                                 "--author", "P. K.", "--year", "1920", "-d", str(db), "--texts", str(texts)])
    assert r.exit_code == 0, r.output
    work = load_work(texts / "letters")
    assert (work.title, work.author, work.pivot, work.versions["en"].file) == ("Letters", "P. K.", "en", "en.txt")
    assert (texts / "letters" / "en.txt").read_bytes() == SEED.read_bytes()
    assert (texts / "letters" / "work.toml").read_text("utf-8").startswith("# P. K., Letters (1920).")
    assert "2 work(s)" in r.output


@pytest.mark.parametrize("slug,lang,problem", [
    ("Bad Slug", "en", "lower-case slug"),
    ("letters", "english", "not a language code"),
    (WORK, "en", "exists already"),
])
def test_new_work_refuses_bad_input_and_writes_nothing(texts, slug, lang, problem):
    before = sorted(p.name for p in texts.iterdir())
    with pytest.raises(InputError, match=problem):
        create_work(texts, slug, title="T", lang=lang, pivot_file=SEED)
    assert sorted(p.name for p in texts.iterdir()) == before


def test_the_work_is_found_from_the_segment_ref(texts, tmp_path):
    db = tmp_path / "c.db"
    runner = CliRunner()
    tsv = tmp_path / "mark.tsv"
    tsv.write_text("book\tchapter\tverse\ttext\nMark\t1\t1\tThe beginning of the gospel.\n", "utf-8")
    r = runner.invoke(cli, ["new-work", "mark", "--title", "Mark", "--pivot", str(tsv), "--lang", "en",
                            "-d", str(db), "--texts", str(texts)])
    assert r.exit_code == 0, r.output
    update_version(texts / "mark", "ru", {"language": "ru", "role": "translation"})
    assert runner.invoke(cli, ["build", str(texts), "-d", str(db)]).exit_code == 0
    # Two works now: a ref only the Kropotkin letters have needs no --work, nor one only Mark has.
    r = runner.invoke(cli, ["set", "24.1", "ru", "Неужели нет никого?", "-d", str(db), "--texts", str(texts)])
    assert r.exit_code == 0 and "24.1 ru: draft" in r.output
    r = runner.invoke(cli, ["set", "Mark.1.1.1", "ru", "Начало Евангелия.", "-d", str(db), "--texts", str(texts)])
    assert r.exit_code == 0 and "Mark.1.1.1 ru: draft" in r.output
    r = runner.invoke(cli, ["history", "24.1", "ru", "-d", str(db)])
    assert r.exit_code == 0 and "Неужели нет никого?" in r.output
    r = runner.invoke(cli, ["set", "99.1", "ru", "x", "-d", str(db), "--texts", str(texts)])
    assert r.exit_code == 1 and "no work has a segment '99.1'" in r.output
