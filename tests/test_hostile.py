"""Bad input through the command line: a one-line error, a non-zero exit, and the database as it was.

Inputs are the commands a translator runs on files they were given: ``aligner
segment``, ``aligner build`` and ``aligner add-version`` (and ``aligner
import`` for hostile XML). Small fixtures are in ``tests/data/hostile/``; the
200 MB text is made at test time in a temporary folder and read by a CLI
process whose address space is capped below what reading it would take.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.cli import cli

from .helpers import ROOT, WORK, table_rows

HOSTILE = Path(__file__).parent / "data" / "hostile"
BIG = 200 * 1024 * 1024
#: Address-space cap for the CLI processes that meet the 200 MB file: enough to start (about 150 MB),
#: not enough to hold the file and its decoded text.
AS_LIMIT = 400 * 1024 * 1024


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(*args, input=None):
    r = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    return r.exit_code, r.output, r.exception


def assert_one_line_error(code: int, output: str, *needles: str, exception=None) -> str:
    """Non-zero exit, no traceback, and the error is one line that says what and where."""
    assert code != 0, output
    assert not isinstance(exception, Exception) or isinstance(exception, SystemExit), repr(exception)
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    assert output.rstrip("\n").splitlines()[-1] == errors[0], output
    for n in needles:
        assert n in errors[0], (n, errors[0])
    return errors[0]


@pytest.fixture
def guarded(texts, db_path):
    """The shipped work, built; on teardown the database rows and no stray build files are checked."""
    before = table_rows(db_path)
    texts_before = snapshot(texts)
    yield texts, db_path
    assert table_rows(db_path) == before
    assert not [p.name for p in db_path.parent.glob(".build-*")]
    assert snapshot(texts) == texts_before


def build_args(texts, db):
    return ["build", texts, "-d", db]


# ---------------------------------------------------------------------------
# NUL bytes and invalid UTF-8, as each command's input


@pytest.mark.parametrize("fixture,needles", [
    ("nul_bytes.txt", ["binary file", "NUL"]),
    ("invalid_utf8_middle.txt", ["not valid UTF-8", ":7: ", "0xe9"]),
])
def test_bad_bytes_in_a_text(guarded, fixture, needles):
    texts, db = guarded
    src = HOSTILE / fixture
    code, out, exc = invoke("segment", src)
    assert_one_line_error(code, out, str(src), *needles, exception=exc)
    code, out, exc = invoke("add-version", WORK, "ru", src, "-d", db, "--texts", texts)
    assert_one_line_error(code, out, str(src), *needles, exception=exc)
    # The same bytes as the pivot's own text: build refuses, the old database stays.
    en = texts / WORK / "en.txt"
    good = en.read_bytes()
    en.write_bytes(src.read_bytes())
    try:
        code, out, exc = invoke(*build_args(texts, db))
        assert_one_line_error(code, out, str(en), *needles, exception=exc)
    finally:
        en.write_bytes(good)


def test_empty_and_whitespace_texts(guarded, tmp_path):
    texts, db = guarded
    for content in (b"", b" \n\t\n\r\n"):
        f = tmp_path / "empty.txt"
        f.write_bytes(content)
        for args in (("segment", f), ("add-version", WORK, "ru", f, "-d", db, "--texts", texts)):
            code, out, exc = invoke(*args)
            assert_one_line_error(code, out, str(f), "empty", exception=exc)


# ---------------------------------------------------------------------------
# A 200 MB single-line text: refused by size, quickly, without reading it into memory


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "one-line.txt"
    chunk = b"All work and no play makes Jack a dull boy, " * 24_000  # about 1 MB, no newline
    with open(path, "wb") as fp:
        written = 0
        while written < BIG:
            fp.write(chunk)
            written += len(chunk)
    return path


def run_limited(*args, stdin=None, timeout=60):
    """The CLI in a fresh process with its address space capped at AS_LIMIT; returns (code, output, seconds)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               ALIGNER_USER="tester")

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", "from aligner.cli import cli; cli()", *map(str, args)],
                       stdin=stdin, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, env=env)
    return r.returncode, r.stdout + r.stderr, time.perf_counter() - t


def test_the_cap_would_stop_a_reader_that_reads_it_whole(huge):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", "import sys, aligner.cli; open(sys.argv[1], 'rb').read().decode()", str(huge)],
                       capture_output=True, text=True, timeout=60, env=env,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT)))
    assert r.returncode != 0 and "MemoryError" in r.stderr


def test_huge_text_is_refused_by_size(guarded, huge):
    texts, db = guarded
    code, out, secs = run_limited("segment", huge)
    assert_one_line_error(code, out, str(huge), "too large")
    assert secs < 20
    with open(huge, "rb") as fp:  # from standard input: read up to the limit, then refused
        code, out, secs = run_limited("segment", "-", stdin=fp)
    assert_one_line_error(code, out, "<stdin>", "too large")
    code, out, secs = run_limited("add-version", WORK, "ru", huge, "-d", db, "--texts", texts)
    assert_one_line_error(code, out, str(huge), "too large")
    en = texts / WORK / "en.txt"
    good = en.read_bytes()
    os.replace(huge, en)
    try:
        code, out, secs = run_limited(*build_args(texts, db))
        assert_one_line_error(code, out, str(en), "too large")
        assert secs < 20
    finally:
        os.replace(en, huge)
        en.write_bytes(good)


# ---------------------------------------------------------------------------
# A folder from someone else: symlinks to the signing secret and the users file, FIFOs


def _leak_work(texts: Path, en: str, ru: str) -> Path:
    leak = texts / "leak"
    leak.mkdir()
    (leak / "work.toml").write_text('title = "Leak"\n[versions.en]\nrole = "pivot"\nfile = "en.txt"\n'
                                    '[versions.ru]\nfile = "ru.txt"\n', "utf-8")
    return leak


def test_symlinks_to_the_secret_and_the_users_file_are_refused_by_the_build(guarded, tmp_path, monkeypatch):
    from aligner import state
    from aligner.web.auth import add_user

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ALIGNER_USERS", raising=False)
    monkeypatch.delenv("ALIGNER_SECRET_FILE", raising=False)
    texts, db = guarded
    secret = state.stable_secret()
    add_user(state.users_file(), "anna", "pw", iterations=1000)
    leak = _leak_work(texts, "en.txt", "ru.txt")
    (leak / "en.txt").symlink_to(state.secret_file())
    (leak / "ru.txt").symlink_to(state.users_file())
    code, out, exc = invoke(*build_args(texts, db))
    err = assert_one_line_error(code, out, str(leak / "en.txt"), "symbolic link", exception=exc)
    assert secret not in out
    (leak / "en.txt").unlink()
    (leak / "en.txt").write_text("A harmless pivot sentence.\n", "utf-8")
    code, out, exc = invoke(*build_args(texts, db))
    assert_one_line_error(code, out, str(leak / "ru.txt"), "symbolic link", exception=exc)
    assert "pbkdf2" not in out and err != out
    # The slots and history files of a version are held to the same rule.
    (leak / "ru.txt").unlink()
    (leak / "ru.txt").write_text("Безобидное предложение.\n", "utf-8")
    (leak / "ru.history.jsonl").symlink_to(state.users_file())
    code, out, exc = invoke(*build_args(texts, db))
    assert_one_line_error(code, out, str(leak / "ru.history.jsonl"), "symbolic link", exception=exc)
    shutil.rmtree(leak)


def test_a_fifo_as_a_text_is_refused_without_hanging_the_build(guarded):
    texts, db = guarded
    leak = _leak_work(texts, "en.txt", "ru.txt")
    (leak / "en.txt").write_text("A harmless pivot sentence.\n", "utf-8")
    os.mkfifo(leak / "ru.txt")
    code, out, secs = run_limited(*build_args(texts, db), timeout=60)  # a blocking open waits here for ever
    assert_one_line_error(code, out, str(leak / "ru.txt"), "FIFO")
    shutil.rmtree(leak)


# ---------------------------------------------------------------------------
# work.toml with wrong types


TOML_MUTATIONS = [
    ('year = 1920', 'year = "1920"', "'year' must be an integer, got str"),
    ('year = 1920', 'year = 1920.5', "'year' must be an integer, got float"),
    ('year = 1920', 'year = 1920-03-04', "'year' must be an integer, got date"),
    ('year = 1920', 'year = true', "'year' must be an integer, got bool"),
    ('title = "Two Letters to Lenin"', 'title = 1920', "'title' must be a string, got int"),
    ('title = "Two Letters to Lenin"', 'title = ["Two", "Letters"]', "'title' must be a string, got list"),
    ('pivot = "en"', 'pivot = ["en"]', "'pivot' must be a string"),
    ('role = "pivot"', 'role = true', "'role' must be a string, got bool"),
    ('file = "en.txt"', 'file = 42', "'file' must be a string, got int"),
    ('[versions.ru]\nlanguage = "ru"', '[versions.ru]\nlanguage = { code = "ru" }', "'language' must be a string, got dict"),
    ('[versions.ru]', '[[versions.ru]]', "[versions.ru] must be a table"),
    ('[versions.ru]\nlanguage = "ru"', '[versions.ru]\nlanguage = "ru"\nyear = "1923"', "[versions.ru] 'year' must be an integer"),
    ('title = "Two Letters to Lenin"', 'title = "Two Letters to Lenin"\ntranslator = "x"', "unknown key 'translator'"),
]


@pytest.mark.parametrize("old,new,problem", TOML_MUTATIONS, ids=[m[2].split(",")[0] for m in TOML_MUTATIONS])
def test_metadata_with_wrong_types(guarded, old, new, problem):
    texts, db = guarded
    meta = texts / WORK / "work.toml"
    good = meta.read_text("utf-8")
    assert old in good
    meta.write_text(good.replace(old, new, 1), "utf-8")
    try:
        code, out, exc = invoke(*build_args(texts, db))
        assert_one_line_error(code, out, str(meta), problem, exception=exc)
        code, out, exc = invoke("add-version", WORK, "ru", ROOT / "texts" / WORK / "en.txt",
                                "-d", db, "--texts", texts)
        assert_one_line_error(code, out, str(meta), problem, exception=exc)
    finally:
        meta.write_text(good, "utf-8")


def test_metadata_that_is_not_toml_at_all(guarded):
    texts, db = guarded
    meta = texts / WORK / "work.toml"
    good = meta.read_bytes()
    for bad, problem in ((b"title = \"x\"\nversions = \"en\"\n", "missing [versions.<key>] tables"),
                         (b"\x00\x01\x02", "binary file"), (b"title = \"\xff\"\n", "not valid UTF-8"),
                         (b"[versions.en\n", "malformed TOML")):
        meta.write_bytes(bad)
        code, out, exc = invoke(*build_args(texts, db))
        assert_one_line_error(code, out, str(meta), problem, exception=exc)
    meta.write_bytes(good)


# ---------------------------------------------------------------------------
# Translators' work files (slots and history) that are broken


@pytest.mark.parametrize("fixture,name,needles", [
    ("slots_malformed.jsonl", "ru.slots.jsonl", [":3: malformed JSON"]),
    ("slots_bad_status.jsonl", "ru.slots.jsonl", [":2: invalid status 'final'"]),
    ("history_bad_rev.jsonl", "ru.history.jsonl", [":2: field 'rev' must be int"]),
    ("nul_bytes.txt", "es.slots.jsonl", ["binary file"]),
    ("invalid_utf8_middle.txt", "ru.history.jsonl", ["not valid UTF-8"]),
])
def test_broken_dump_files(guarded, fixture, name, needles):
    texts, db = guarded
    target = texts / WORK / name
    target.write_bytes((HOSTILE / fixture).read_bytes())
    try:
        code, out, exc = invoke(*build_args(texts, db), "--force")
        assert_one_line_error(code, out, name, *needles, exception=exc)
    finally:
        target.unlink()


@pytest.mark.parametrize("line", [
    '["a", "list"]',  # each a second line, after a good one
    '{"slot": "2.1", "pivot": "2.1", "status": "draft", "text": "x"}',
    '{"slot": "2.1", "pivot": [["2.1"]], "status": "draft", "text": "x"}',
    '{"slot": "2.1", "pivot": [["2.1", "0"]], "status": "draft", "targets": "2.1"}',
    '{"slot": null, "pivot": [], "status": "draft"}',
    '{"slot": "2.1", "pivot": [["2.1", "0"]], "status": ["draft"], "text": "x"}',
], ids=["array", "pivot-str", "pivot-pair", "targets-str", "nothing", "status-list"])
def test_dump_lines_of_the_wrong_shape(guarded, line):
    texts, db = guarded
    target = texts / WORK / "ru.slots.jsonl"
    target.write_text('{"slot": "3.1", "pivot": [["3.1", "0"]], "status": "draft", "text": "ok"}\n' + line + "\n", "utf-8")
    try:
        code, out, exc = invoke(*build_args(texts, db), "--force")
        assert_one_line_error(code, out, "ru.slots.jsonl:2:", exception=exc)
    finally:
        target.unlink()


@pytest.mark.parametrize("name,line", [
    ("ru.slots.jsonl", '{"slot": "2.1", "pivot": [["2.1", "0"]], "status": "draft", "text": 5}'),
    ("ru.slots.jsonl", '{"slot": "2.1", "pivot": [["2.1", "0"]], "status": "draft", "text": "x", "by": ["anna"]}'),
    ("ru.slots.jsonl", '{"slot": "2.1", "pivot": [["2.1", "0"]], "status": "draft", "text": "x", "score": "high"}'),
    ("ru.slots.jsonl", '{"slot": null, "pivot": [], "status": "draft", "targets": [["1.1", "0"]], "after": ["2.1"]}'),
    ("ru.history.jsonl", '{"rev": 1, "slot": "2.1", "segments": ["2.1"], "new_status": "draft", "new_text": ["x"]}'),
], ids=["text-int", "by-list", "score-str", "after-list", "new_text-list"])
def test_dump_fields_of_the_wrong_type(texts, db_path, name, line):
    before = table_rows(db_path)
    target = texts / WORK / name
    target.write_text(line + "\n", "utf-8")
    code, out, exc = invoke(*build_args(texts, db_path), "--force")
    assert_one_line_error(code, out, f"{name}:1:", exception=exc)
    assert table_rows(db_path) == before


# ---------------------------------------------------------------------------
# Hostile XML: entity bombs and external entities are refused before anything is expanded or fetched


@pytest.mark.parametrize("fixture", ["import_billion_laughs.xlf", "import_xxe.tmx"])
def test_hostile_xml_is_refused(guarded, fixture):
    texts, db = guarded
    path = HOSTILE / fixture
    t = time.perf_counter()
    if "import" in cli.commands:
        code, out, exc = invoke("import", path, "-d", db, "--texts", texts)
        assert_one_line_error(code, out, str(path), "entit", exception=exc)
    else:  # no import command yet: the readers it will use
        from aligner.errors import InputError
        from aligner.formats.tmx import read_tmx
        from aligner.formats.xliff import read_xliff

        reader = read_tmx if fixture.endswith(".tmx") else read_xliff
        with pytest.raises(InputError) as e:
            reader(path, work=WORK)
        msg = str(e.value)
        assert str(path) in msg and "entit" in msg.lower() and "\n" not in msg
    assert time.perf_counter() - t < 5


# ---------------------------------------------------------------------------
# A disk that cannot be written: one line saying whether anything was committed


def test_a_full_disk_is_one_line_saying_nothing_was_committed(texts, db_path):
    import signal

    before = table_rows(db_path)

    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the cap fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    env = dict(os.environ, PYTHONPATH=str(ROOT), ALIGNER_USER="tester")
    r = subprocess.run([sys.executable, "-c", "from aligner.cli import cli; cli()", "set", "25.1", "ru", "Текст",
                        "-d", str(db_path), "--texts", str(texts)], capture_output=True, text=True, timeout=60,
                       preexec_fn=cap, env=env)
    err = assert_one_line_error(r.returncode, r.stdout + r.stderr, str(db_path), "nothing was committed")
    assert "cannot write the database" in err
    assert table_rows(db_path) == before


def test_text_files_that_cannot_be_written_after_a_commit_say_so(texts, db_path):
    (texts / WORK / "ru.slots.jsonl").mkdir()  # the dump cannot replace a folder
    code, out, exc = invoke("set", "25.1", "ru", "Текст", "-d", db_path, "--texts", texts)
    assert_one_line_error(code, out, "the change is committed to the database", "run 'aligner dump'", exception=exc)
    from aligner.corpus import Store

    assert Store(db_path).slot(WORK, "ru", "25.1").text == "Текст"
