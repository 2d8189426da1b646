"""Building the corpus from texts/: signature, bad input, the nothing-lost check, re-segmentation."""

import pytest
import sqlite_utils

from aligner.errors import AlignerError, InputError
from aligner.corpus import Store, build

from .helpers import WORK, fill_some_slots, table_rows


def test_build_has_one_work_three_versions_and_empty_slots(db_path):
    db = sqlite_utils.Database(db_path)
    assert db["works"].count == 1
    assert [r["key"] for r in db["versions"].rows_where(order_by="position")] == ["en", "ru", "es"]
    n_en = db.execute("select count(*) from segments where version = ?", [f"{WORK}/en"]).fetchone()[0]
    assert n_en == 76
    for key in ("ru", "es"):
        rows = db.execute(
            "select s.ref, a.status from segments s join alignment_pivots ap on ap.segment = s.id"
            " join alignments a on a.id = ap.alignment where a.version = ?", [f"{WORK}/{key}"]).fetchall()
        assert len(rows) == n_en and {st for _, st in rows} == {"empty"}
        assert len({ref for ref, _ in rows}) == n_en


def test_second_build_changes_nothing(db_path, texts):
    before = table_rows(db_path)
    build(texts, db_path)
    assert table_rows(db_path) == before


def test_build_signature_is_recorded(db_path):
    row = next(sqlite_utils.Database(db_path)["build"].rows)
    assert row["signature"].startswith("aligner:") and "seg:" in row["signature"]
    assert row["segmenter"]


@pytest.mark.parametrize(
    "mutate,problem",
    [
        (lambda w: (w / "en.txt").unlink(), "no such file"),
        (lambda w: (w / "en.txt").write_bytes(b""), "file is empty"),
        (lambda w: (w / "en.txt").write_bytes(b"text\x00\x01binary"), "binary file"),
        (lambda w: (w / "en.txt").write_bytes("Привет".encode("cp1251")), "not valid UTF-8"),
        (lambda w: (w / "work.toml").write_text("title = \n", "utf-8"), "malformed TOML"),
        (lambda w: (w / "work.toml").write_text((w / "work.toml").read_text().replace("year = 1920", 'year = "1920"'), "utf-8"), "'year' must be an integer"),
        (lambda w: (w / "work.toml").write_text((w / "work.toml").read_text().replace('role = "pivot"', 'role = "boss"'), "utf-8"), "'role' must be one of"),
    ],
)
def test_bad_input_leaves_the_database_as_it_was(db_path, texts, mutate, problem):
    before = table_rows(db_path)
    mutate(texts / WORK)
    with pytest.raises(InputError) as e:
        build(texts, db_path)
    msg = str(e.value)
    assert problem in msg and "\n" not in msg and str(texts / WORK) in msg
    assert table_rows(db_path) == before


def test_bom_and_crlf_build_the_same_segments(db_path, texts, tmp_path):
    before = table_rows(db_path)["segments"]
    f = texts / WORK / "en.txt"
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes().replace(b"\n", b"\r\n"))
    other = tmp_path / "crlf.db"
    build(texts, other)
    after = table_rows(other)["segments"]
    strip = lambda rows: [(r["ref"], r["kind"], r["text"], r["hash"]) for r in rows]
    assert strip(after) == strip(before)


def test_build_refuses_to_lose_undumped_revisions(store, texts, db_path):
    store.set_slot(WORK, "ru", "24.1", "не сохранено", actor="anna")
    with pytest.raises(AlignerError, match="aligner dump"):
        build(texts, db_path)
    store.dump()
    build(texts, db_path)


def test_resegmentation_keeps_unchanged_slots_and_flags_changed_ones(store, texts, tmp_path):
    fill_some_slots(store)
    store.dump()
    en = texts / WORK / "en.txt"
    text = en.read_text()
    # A typo fixed in 25.1's paragraph is not touched; 24.1 (filled, as part of 24.1-24.2) changes.
    text = text.replace("Is there really no one around you", "Is there truly no one around you")
    # A new paragraph before letter 2's text shifts every later block number by one.
    text = text.replace("Respected Vladimir Illich,\n", "Respected Vladimir Illich,\nA new opening paragraph.\n\n")
    en.write_text(text)
    rebuilt = tmp_path / "rebuilt.db"
    report = build(texts, rebuilt)
    s = Store(rebuilt, texts)
    slots = {x.address: x for x in s.slots(WORK, "ru")}
    # 25.1 moved to 26.1 with its sentence unchanged: still attached, not stale.
    assert slots["26.1"].text == "Исправлено." and not slots["26.1"].stale
    # 24.1-24.2 moved to 25.1-25.2, and its first sentence changed: kept and flagged stale.
    assert slots["25.1-25.2"].text.startswith("Неужели не нашлось") and slots["25.1-25.2"].stale
    assert slots["2.1"].text == "Два письма Ленину" and not slots["2.1"].stale
    assert report.stale == 1
    # Nothing lost: every filled slot and every revision survived.
    assert sum(1 for x in slots.values() if x.status != "empty") == 3
    assert len(s.history(WORK, None, "ru")) == 4


def test_sentence_removed_from_pivot_keeps_its_slot_flagged(store, texts, tmp_path):
    store.set_slot(WORK, "ru", "11.1", "Вот это.", actor="anna")
    store.dump()
    en = texts / WORK / "en.txt"
    en.write_text(en.read_text().replace("I will add only that whole categories of other Soviet employees can be found in the same desperate condition.\n\n", ""))
    rebuilt = tmp_path / "rebuilt.db"
    build(texts, rebuilt)
    s = Store(rebuilt, texts)
    stale = [x for x in s.slots(WORK, "ru") if x.stale]
    assert [x.text for x in stale] == ["Вот это."]


def test_worker_processes_build_the_same_database(shipped_texts, tmp_path, build_workers):
    """Works read ahead in worker processes (a large corpus's default) give the database one process gives."""
    import shutil

    # More works than workers, so read-ahead, hand-over and order all happen.
    for n in range(3):
        shutil.copytree(shipped_texts / "mark", shipped_texts / f"mark-copy-{n}")
    serial, parallel = tmp_path / "serial.db", tmp_path / "parallel.db"
    build(shipped_texts, serial, jobs=0)
    build(shipped_texts, parallel, jobs=2)
    assert build_workers == [2]
    assert table_rows(parallel) == table_rows(serial)


def test_an_error_in_a_worker_is_the_same_one_line_error(shipped_texts, tmp_path, build_workers):
    import shutil

    shutil.copytree(shipped_texts / "mark", shipped_texts / "mark-copy")
    (shipped_texts / "mark-copy" / "en-web.tsv").write_bytes(b"text\x00\x01binary")
    with pytest.raises(InputError) as e:
        build(shipped_texts, tmp_path / "corpus.db", jobs=2)
    msg = str(e.value)
    assert "binary file" in msg and "\n" not in msg and str(shipped_texts / "mark-copy" / "en-web.tsv") in msg
    assert build_workers == [2]
    assert not (tmp_path / "corpus.db").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build")] == []


def test_input_errors_survive_pickling():
    import pickle

    e = InputError("texts/w/ru.txt", "not valid UTF-8", line=3, unit="7")
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and (back.path, back.problem, back.line, back.unit) == ("texts/w/ru.txt", "not valid UTF-8", 3, "7")


def _history_line(**rec) -> str:
    import json

    base = {"slot": "22.1", "segments": ["22.1"], "at": "2024-01-01T00:00:00Z", "by": "anna", "via": "cli",
            "old_status": "empty", "old_text": "", "new_status": "draft", "new_text": "x"}
    return json.dumps({**base, **rec}, ensure_ascii=False) + "\n"


def _revisions(db_path):
    db = sqlite_utils.Database(db_path)
    return [(r["id"], r["version"].rsplit("/", 1)[1], r["seq"], r["new_text"], r["reverts"])
            for r in db.query("select * from revisions order by id")]


def test_revisions_from_files_keep_their_ids_numbered_in_id_order_with_their_reverts(texts, tmp_path):
    # Today's files: every line has its id; lines need not be in order; a revert of a revision no file holds
    # keeps its text but not the link.
    (texts / WORK / "ru.history.jsonl").write_text(
        _history_line(id=7, new_text="c", reverts=5) + _history_line(id=5, new_text="a")
        + _history_line(id=9, new_text="d", reverts=99), "utf-8")
    (texts / WORK / "es.history.jsonl").write_text(_history_line(id=6, new_text="b"), "utf-8")
    db = tmp_path / "ids.db"
    build(texts, db)
    assert _revisions(db) == [(5, "ru", 1, "a", None), (6, "es", 1, "b", None), (7, "ru", 2, "c", 5),
                              (9, "ru", 3, "d", None)]
    segs = sqlite_utils.Database(db).execute(
        "select rs.revision, s.ref from revision_segments rs join segments s on s.id = rs.segment"
        " order by rs.revision").fetchall()
    assert segs == [(5, "22.1"), (6, "22.1"), (7, "22.1"), (9, "22.1")]


def test_older_history_files_get_ids_after_every_given_id(texts, tmp_path):
    # An older file numbers its revisions per version ("rev", reverts by rev); beside a file with ids, its
    # revisions come after the largest id, in time order, and its revert points to the right revision.
    (texts / WORK / "ru.history.jsonl").write_text(
        _history_line(rev=1, new_text="a", at="2024-01-02T00:00:00Z")
        + _history_line(rev=2, new_text="b", at="2024-01-03T00:00:00Z", reverts=1), "utf-8")
    (texts / WORK / "es.history.jsonl").write_text(_history_line(id=40, new_text="c"), "utf-8")
    db = tmp_path / "old.db"
    build(texts, db)
    assert _revisions(db) == [(40, "es", 1, "c", None), (41, "ru", 1, "a", None), (42, "ru", 2, "b", 41)]


def test_a_revision_id_used_twice_is_refused(texts, tmp_path):
    (texts / WORK / "ru.history.jsonl").write_text(_history_line(id=3), "utf-8")
    (texts / WORK / "es.history.jsonl").write_text(_history_line(id=3), "utf-8")
    with pytest.raises(InputError, match="revision id 3 is used twice"):
        build(texts, tmp_path / "twice.db")
    assert not (tmp_path / "twice.db").exists()


def _two_works(texts):
    """The seed work and a copy of it under another name: enough works for the build's worker processes."""
    import shutil

    shutil.copytree(texts / WORK, texts / f"{WORK}-copy")
    return texts / WORK, texts / f"{WORK}-copy"


def test_workers_give_the_revisions_one_process_gives_both_file_formats(texts, tmp_path, build_workers):
    # Each work built apart, then copied in: ids given in the files stay; older files (per-version "rev") are
    # numbered after the largest id over all works, in time order, their reverts pointing right.
    a, b = _two_works(texts)
    (a / "ru.history.jsonl").write_text(
        _history_line(rev=1, new_text="a", at="2024-01-02T00:00:00Z")
        + _history_line(rev=2, new_text="b", at="2024-01-03T00:00:00Z", reverts=1), "utf-8")
    (a / "es.history.jsonl").write_text(_history_line(id=40, new_text="c"), "utf-8")
    (b / "ru.history.jsonl").write_text(_history_line(id=52, new_text="e", reverts=50)
                                        + _history_line(id=50, new_text="d"), "utf-8")
    (b / "es.history.jsonl").write_text(_history_line(rev=1, new_text="f", at="2024-01-01T00:00:00Z"), "utf-8")
    serial, parallel = tmp_path / "serial.db", tmp_path / "parallel.db"
    build(texts, serial, jobs=0)
    build(texts, parallel, jobs=2)
    assert build_workers == [2]
    assert table_rows(parallel) == table_rows(serial)
    assert [(i, v, t, r) for i, v, _, t, r in _revisions(parallel)] == [
        (40, "es", "c", None), (50, "ru", "d", None), (52, "ru", "e", 50),
        (53, "es", "f", None), (54, "ru", "a", None), (55, "ru", "b", 54)]
    # every revision keeps its sentence, in its own work
    rows = sqlite_utils.Database(parallel).execute(
        "select r.id, r.work, s.ref, s.version from revision_segments rs join revisions r on r.id = rs.revision"
        " join segments s on s.id = rs.segment order by r.id").fetchall()
    assert [(i, ref, version.split("/")[0] == work) for i, work, ref, version in rows] == [
        (i, "22.1", True) for i in (40, 50, 52, 53, 54, 55)]


@pytest.mark.parametrize("jobs", [0, 2])
def test_a_revision_id_used_in_two_works_is_refused_naming_the_second(texts, tmp_path, jobs, build_workers):
    a, b = _two_works(texts)
    (a / "ru.history.jsonl").write_text(_history_line(id=3), "utf-8")
    (b / "es.history.jsonl").write_text(_history_line(id=4) + _history_line(id=3), "utf-8")
    with pytest.raises(InputError) as e:
        build(texts, tmp_path / "twice.db", jobs=jobs)
    assert str(e.value) == f"{b / 'es.history.jsonl'}:2: revision id 3 is used twice"
    assert build_workers == ([2] if jobs else [])
    assert not (tmp_path / "twice.db").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build")] == []


def test_a_large_corpus_is_built_by_workers_unless_other_threads_run(texts, tmp_path, monkeypatch, build_workers):
    import importlib
    import threading

    building = importlib.import_module("aligner.corpus.build")
    _two_works(texts)
    build(texts, tmp_path / "small.db")
    assert build_workers == []  # a small corpus: starting workers costs more than they save
    monkeypatch.setattr(building, "PARALLEL_FROM_BYTES", 1)
    build(texts, tmp_path / "large.db")
    assert build_workers == [2]  # one per core, at most one per work
    assert table_rows(tmp_path / "large.db") == table_rows(tmp_path / "small.db")
    monkeypatch.setattr(building, "_other_threads", lambda: threading.active_count() > 1)  # the real test again
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        build(texts, tmp_path / "threads.db", jobs=2)  # a fork would copy the other thread's locks
    finally:
        release.set()
        other.join()
    assert build_workers == [2]
    assert table_rows(tmp_path / "threads.db") == table_rows(tmp_path / "small.db")
