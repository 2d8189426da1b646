"""Building the corpus, filling slots, history, revert, and the text-file record."""


import pytest
import sqlite_utils

from aligner.errors import AlignerError, ConflictError, InputError, UnknownError
from aligner.corpus import Store, build

from .helpers import WORK, table_rows


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


def test_set_fills_a_slot_with_provenance(store):
    rid = store.set_slot(WORK, "ru", "25.1", "Неужели никто из Вас не вдумался в то, — что такое заложник.", "confirmed", actor="anna")
    s = store.slot(WORK, "ru", "25.1")
    assert (s.status, s.actor, s.method) == ("confirmed", "anna", "cli") and rid == 1
    assert s.text.startswith("Неужели никто")


def test_a_range_makes_one_two_to_one_alignment(store):
    store.set_slot(WORK, "ru", "24.1-24.2", "Неужели не нашлось среди Вас никого ...", actor="anna")
    slots = {s.address: s for s in store.slots(WORK, "ru")}
    assert "24.1" not in slots and "24.2" not in slots
    assert slots["24.1-24.2"].pivot_refs == ["24.1", "24.2"]
    n = store.db.execute(
        "select count(*) from alignment_pivots ap join alignments a on a.id = ap.alignment where a.address = '24.1-24.2' and a.version = ?",
        [f"{WORK}/ru"]).fetchone()[0]
    assert n == 2


def test_short_range_form(store):
    store.set_slot(WORK, "ru", "24.1-2", "Одно предложение.", actor="anna")
    assert store.slot(WORK, "ru", "24.1-24.2").text == "Одно предложение."


def test_clearing_a_range_gives_back_one_empty_slot_per_sentence(store):
    store.set_slot(WORK, "ru", "24.1-24.2", "x", actor="anna")
    store.set_slot(WORK, "ru", "24.1-24.2", "", "empty", actor="anna")
    addresses = [s.address for s in store.slots(WORK, "ru") if s.address.startswith("24.")]
    assert addresses == ["24.1", "24.2"]


def test_unknown_ids_are_refused(store):
    with pytest.raises(UnknownError, match="unknown segment '99.9'"):
        store.set_slot(WORK, "ru", "99.9", "x")
    with pytest.raises(UnknownError, match="unknown version 'fr'"):
        store.set_slot(WORK, "fr", "24.1", "x")
    with pytest.raises(UnknownError, match="unknown work"):
        store.set_slot("nope", "ru", "24.1", "x")
    with pytest.raises(AlignerError, match="invalid status"):
        store.set_slot(WORK, "ru", "24.1", "x", "final")


def test_history_records_old_and_new(store):
    store.set_slot(WORK, "ru", "24.1", "первый", actor="anna")
    store.set_slot(WORK, "ru", "24.1", "второй", "confirmed", actor="boris")
    h = store.history(WORK, "24.1", "ru")
    assert [(r["actor"], r["old_text"], r["new_text"], r["new_status"]) for r in h] == [
        ("anna", "", "первый", "draft"),
        ("boris", "первый", "второй", "confirmed"),
    ]


def test_revert_restores_as_a_new_revision(store):
    store.set_slot(WORK, "ru", "24.1", "первый", actor="anna")
    r2 = store.set_slot(WORK, "ru", "24.1", "испорчено", actor="boris")
    r3 = store.revert(r2, actor="anna")
    assert store.slot(WORK, "ru", "24.1").text == "первый"
    h = store.history(WORK, "24.1", "ru")
    assert len(h) == 3 and h[-1]["reverts"] == r2 and h[-1]["id"] == r3 and h[-1]["channel"] == "revert"


def test_revert_unknown_revision(store):
    with pytest.raises(UnknownError, match="unknown revision 42"):
        store.revert(42)


def test_stale_token_is_a_conflict_and_writes_nothing(store):
    token = store.slot(WORK, "ru", "24.1").token
    store.set_slot(WORK, "ru", "24.1", "anna's", actor="anna")
    with pytest.raises(ConflictError) as e:
        store.set_slot(WORK, "ru", "24.1", "boris's", actor="boris", token=token)
    assert e.value.current_text == "anna's"
    assert store.slot(WORK, "ru", "24.1").text == "anna's"
    assert len(store.history(WORK, "24.1", "ru")) == 1


def test_status_counts(store):
    store.set_slot(WORK, "ru", "24.1-24.2", "x", actor="a")
    store.set_slot(WORK, "es", "5.1", "Dmitrov, 4 de marzo de 1920", "confirmed", actor="a")
    counts = {r["version"]: r for r in store.status_counts()}
    assert counts["ru"]["draft"] == 1 and counts["ru"]["empty"] == 74 and counts["ru"]["total"] == 75
    assert counts["es"]["confirmed"] == 1 and counts["es"]["empty"] == 75


def _fill(store):
    store.set_slot(WORK, "ru", "2.1", "Два письма Ленину", "confirmed", actor="anna")
    store.set_slot(WORK, "ru", "24.1-24.2", "Неужели не нашлось среди Вас никого, чтобы напомнить ...", actor="anna")
    store.set_slot(WORK, "ru", "25.1", "Неужели никто из Вас не вдумался в то, — что такое заложник.", actor="boris")
    store.set_slot(WORK, "es", "33.1", "Con saludos de camarada,\n«entre comillas» & <b>", actor="carmen")
    store.set_slot(WORK, "ru", "25.1", "Исправлено.", "confirmed", actor="anna")


def test_dump_build_dump_is_byte_identical(store, texts, db_path, tmp_path):
    _fill(store)
    store.dump()
    files = sorted((texts / WORK).glob("*.jsonl"))
    assert [f.name for f in files] == ["es.history.jsonl", "es.slots.jsonl", "ru.history.jsonl", "ru.slots.jsonl"]
    first = {f.name: f.read_bytes() for f in files}
    before = table_rows(db_path)
    rebuilt = tmp_path / "rebuilt.db"
    build(texts, rebuilt)
    Store(rebuilt, texts).dump()
    assert {f.name: f.read_bytes() for f in sorted((texts / WORK).glob("*.jsonl"))} == first
    after = table_rows(rebuilt)
    for t in ("works", "versions", "segments", "alignments", "alignment_pivots", "alignment_targets", "revisions", "revision_segments"):
        key = lambda r: tuple(sorted((k, str(v)) for k, v in r.items() if k not in ("id", "alignment", "segment", "revision")))
        assert sorted(map(key, after[t])) == sorted(map(key, before[t])), t


def test_one_change_is_a_few_lines_of_diff(store, texts):
    _fill(store)
    store.dump()
    before = (texts / WORK / "ru.slots.jsonl").read_text().splitlines()
    store.set_slot(WORK, "ru", "2.1", "Два письма В. И. Ленину", "confirmed", actor="anna")
    store.dump()
    after = (texts / WORK / "ru.slots.jsonl").read_text().splitlines()
    changed = [a for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1


def test_build_refuses_to_lose_undumped_revisions(store, texts, db_path):
    store.set_slot(WORK, "ru", "24.1", "не сохранено", actor="anna")
    with pytest.raises(AlignerError, match="aligner dump"):
        build(texts, db_path)
    store.dump()
    build(texts, db_path)


def test_resegmentation_keeps_unchanged_slots_and_flags_changed_ones(store, texts, tmp_path):
    _fill(store)
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
