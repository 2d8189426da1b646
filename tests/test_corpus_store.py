"""The store: filling slots, ranges, history, revert, conflicts, status counts, the dump to text."""

import pytest

from aligner.errors import AlignerError, ConflictError, UnknownError
from aligner.corpus import Store, build

from .helpers import WORK, fill_some_slots, table_rows


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


def test_dump_build_dump_is_byte_identical(store, texts, db_path, tmp_path):
    fill_some_slots(store)
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
    fill_some_slots(store)
    store.dump()
    before = (texts / WORK / "ru.slots.jsonl").read_text().splitlines()
    store.set_slot(WORK, "ru", "2.1", "Два письма В. И. Ленину", "confirmed", actor="anna")
    store.dump()
    after = (texts / WORK / "ru.slots.jsonl").read_text().splitlines()
    changed = [a for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
