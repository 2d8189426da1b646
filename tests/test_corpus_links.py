"""Links, not copies: the alignment editor's operations on the seed with its Russian opening."""

import json

import pytest

from aligner.corpus import Store, build
from aligner.errors import AlignerError

from .helpers import WORK, misalign


def rows(store, key="ru"):
    """The version's rows in order as (pivot refs, target refs, status)."""
    v = store.version(WORK, key)
    out = []
    for link in store._links(v["id"]):
        segs = store._segment_rows(link["pivots"] + link["targets"])
        out.append(([segs[p]["ref"] for p in link["pivots"]], [segs[t]["ref"] for t in link["targets"]],
                    link["status"]))
    return out


def row_of(store, pivot_ref, key="ru"):
    return next(r for r in rows(store, key) if pivot_ref in r[0])


def target_uses(store, key="ru"):
    """How many rows hold each of the version's segments, and how many typed segments there are."""
    v = store.version(WORK, key)
    uses = dict(store.db.execute(
        "select s.ref, count(at.alignment) from segments s left join alignment_targets at on at.segment = s.id"
        " where s.version = ? group by s.id", [v["id"]]).fetchall())
    typed = store.db.execute("select count(*) from segments where version = ? and typed = 1", [v["id"]]).fetchone()[0]
    return uses, typed


def dumped(store, name):
    store.dump()
    path = store.texts_dir / WORK / name
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_confirming_with_the_same_text_links_and_never_copies(ru_store):
    assert row_of(ru_store, "22.1") == (["22.1"], ["2.1"], "auto")
    ru_store.set_slot(WORK, "ru", "22.1", "Владимир Ильич!", "confirmed", actor="anna")
    assert row_of(ru_store, "22.1") == (["22.1"], ["2.1"], "confirmed")
    uses, typed = target_uses(ru_store)
    assert typed == 0 and set(uses.values()) == {1}
    records = dumped(ru_store, "ru.slots.jsonl")
    # The only unaligned sentence is the title, which the English does not have: 2.1 is not orphaned.
    assert [r["targets"][0][0] for r in records if r.get("via") == "unaligned"] == ["1.1"]
    assert [[t[0] for t in r["targets"]] for r in records if r["slot"] == "22.1"] == [["2.1"]]


def test_confirming_every_auto_link_leaves_nothing_unaligned_or_duplicated(ru_store):
    rid = ru_store.confirm_through(WORK, "ru", actor="anna")
    assert rid is not None
    uses, typed = target_uses(ru_store)
    assert typed == 0 and set(uses.values()) == {1} and len(uses) == 5
    assert [r[2] for r in rows(ru_store) if r[1]] == ["confirmed"] * len([r for r in rows(ru_store) if r[1]])
    records = dumped(ru_store, "ru.slots.jsonl")
    assert all("targets" in r for r in records) and {r["status"] for r in records} == {"confirmed"}
    # the title, which the English does not have, is confirmed as a row of its own
    assert [r["targets"][0][0] for r in records if r["slot"] is None] == ["1.1"]


def test_status_only_set_keeps_the_link(ru_store):
    rid = ru_store.set_status(WORK, "ru", "23.1", "confirmed", actor="anna")
    assert row_of(ru_store, "23.1") == (["23.1"], ["3.1"], "confirmed")
    assert ru_store.revision(rid)["op"] == "status"
    assert ru_store.set_status(WORK, "ru", "23.1", "confirmed", actor="anna") is None


def test_a_cleared_slot_stays_cleared_through_align(ru_store):
    assert row_of(ru_store, "23.1")[1] == ["3.1"]
    ru_store.set_slot(WORK, "ru", "23.1", "", actor="anna")
    assert row_of(ru_store, "23.1") == (["23.1"], [], "empty")
    assert ([], ["3.1"], "auto") in rows(ru_store)  # the sentence stays, as a leftover row
    report = ru_store.realign(WORK, "ru")
    assert row_of(ru_store, "23.1") == (["23.1"], [], "empty")
    assert report.kept == 1
    # and through a rebuild from the dumped record
    ru_store.dump()
    rebuilt = ru_store.texts_dir.parent / "rebuilt.db"
    build(ru_store.texts_dir, rebuilt)
    assert row_of(Store(rebuilt, ru_store.texts_dir), "23.1") == (["23.1"], [], "empty")


def test_link_moves_sentences_between_rows_and_keeps_the_rest(ru_store):
    ru_store.link(WORK, "ru", "24.1", "4.1", actor="anna")
    assert row_of(ru_store, "24.1") == (["24.1"], ["4.1"], "confirmed")
    assert row_of(ru_store, "24.2") == (["24.2"], [], "empty")
    ru_store.link(WORK, "ru", "24.2", None, actor="anna")  # confirmed: no counterpart
    assert row_of(ru_store, "24.2") == (["24.2"], [], "confirmed")
    ru_store.link(WORK, "ru", None, "1.1", actor="anna")  # the title, not in the English: a confirmed 0:1 row
    assert ([], ["1.1"], "confirmed") in rows(ru_store)
    assert row_of(ru_store, "21.1") == (["21.1"], [], "empty")


def test_move_down_and_up(ru_store):
    ru_store.merge(WORK, "ru", "22.1", actor="anna")
    assert row_of(ru_store, "22.1") == (["22.1", "23.1"], ["2.1", "3.1"], "draft")
    ru_store.split(WORK, "ru", "22.1", actor="anna")
    assert row_of(ru_store, "22.1") == (["22.1"], ["2.1"], "draft")
    assert row_of(ru_store, "23.1") == (["23.1"], ["3.1"], "draft")
    ru_store.move(WORK, "ru", "22.1", "down", actor="anna")
    assert row_of(ru_store, "22.1") == (["22.1"], [], "empty")
    assert row_of(ru_store, "23.1") == (["23.1"], ["2.1", "3.1"], "draft")
    ru_store.move(WORK, "ru", "23.1", "up", actor="anna")
    assert row_of(ru_store, "22.1") == (["22.1"], ["2.1"], "draft")
    assert row_of(ru_store, "23.1") == (["23.1"], ["3.1"], "draft")


def test_shift_down_opens_a_gap_and_up_closes_it(ru_store):
    before = rows(ru_store)
    ru_store.shift(WORK, "ru", "22.1", "down", actor="anna")
    assert row_of(ru_store, "22.1")[1] == []
    assert row_of(ru_store, "23.1")[1] == ["2.1"]
    assert row_of(ru_store, "24.1")[1] == ["3.1"]
    ru_store.shift(WORK, "ru", "23.1", "up", actor="anna")
    assert row_of(ru_store, "22.1")[1] == ["2.1"]
    assert row_of(ru_store, "23.1")[1] == ["3.1"]
    assert [r[:2] for r in rows(ru_store)] == [r[:2] for r in before]


def test_attach_and_detach_a_leftover(ru_store):
    ru_store.detach(WORK, "ru", "1.1", actor="anna")
    assert ([], ["1.1"], "auto") in rows(ru_store)
    ru_store.attach(WORK, "ru", "1.1", "20.1", actor="anna")
    assert row_of(ru_store, "20.1") == (["20.1"], ["1.1"], "draft")
    assert not [r for r in rows(ru_store) if not r[0]]


def test_correcting_a_sentence_keeps_its_link_and_survives_a_rebuild(ru_store):
    rid = ru_store.correct(WORK, "ru", "2.1", "Владимир Ильич !", actor="anna")
    assert ru_store.slot(WORK, "ru", "22.1").text == "Владимир Ильич !"
    records = dumped(ru_store, "ru.slots.jsonl")
    assert [r["edits"] for r in records if r["slot"] == "22.1"] == [{"2.1": "Владимир Ильич !"}]
    rebuilt = ru_store.texts_dir.parent / "rebuilt.db"
    build(ru_store.texts_dir, rebuilt)
    again = Store(rebuilt, ru_store.texts_dir)
    assert again.slot(WORK, "ru", "22.1").text == "Владимир Ильич !"
    again.revert(rid, actor="anna")
    assert again.slot(WORK, "ru", "22.1").text == "Владимир Ильич!"


@pytest.mark.parametrize("op", [
    lambda s: s.move(WORK, "ru", "24.1", "down"),
    lambda s: s.shift(WORK, "ru", "22.1", "down"),
    lambda s: s.merge(WORK, "ru", "21.1"),
    lambda s: s.split(WORK, "ru", "24.1"),
    lambda s: s.link(WORK, "ru", "25.1", "4.1-5.1"),
    lambda s: s.detach(WORK, "ru", "3.1"),
    lambda s: s.set_slot(WORK, "ru", "23.1", "Другой текст.", "draft"),
    lambda s: s.set_slot(WORK, "ru", "23.1", ""),
    lambda s: s.confirm_through(WORK, "ru", "24.1"),
], ids=["move", "shift", "merge", "split", "link", "detach", "set-text", "clear", "confirm"])
def test_every_operation_reverts_to_the_links_before_it(ru_store, op):
    before = rows(ru_store)
    rid = op(ru_store)
    assert rid is not None and rows(ru_store) != before
    ru_store.revert(rid, actor="anna")
    assert sorted(rows(ru_store)) == sorted(before)
    uses, typed = target_uses(ru_store)
    assert typed == 0 and set(uses.values()) == {1}


def test_impossible_operations_say_why(ru_store):
    with pytest.raises(AlignerError, match="no segment to move"):
        ru_store.move(WORK, "ru", "1.1", "down")
    ru_store.link(WORK, "ru", "1.1", "1.1")
    with pytest.raises(AlignerError, match="first row"):
        ru_store.move(WORK, "ru", "1.1", "up")
    with pytest.raises(AlignerError, match="cannot be split"):
        ru_store.split(WORK, "ru", "22.1")
    with pytest.raises(AlignerError, match="up or down"):
        ru_store.shift(WORK, "ru", "22.1", "sideways")


def test_history_ids_are_the_same_in_the_database_and_the_dump(ru_store):
    a = ru_store.set_status(WORK, "ru", "22.1", "confirmed", actor="anna")
    b = ru_store.set_slot(WORK, "es", "22.1", "¡Vladimir Ilich!", actor="anna")
    c = ru_store.move(WORK, "ru", "24.1", "down", actor="anna")
    ru_store.dump()
    ids = [json.loads(line)["id"] for key in ("ru", "es")
           for line in (ru_store.texts_dir / WORK / f"{key}.history.jsonl").read_text().splitlines()]
    assert sorted(ids) == [a, b, c]
    assert [h["id"] for h in ru_store.history(WORK)] == [a, b, c]
    rebuilt = ru_store.texts_dir.parent / "rebuilt.db"
    build(ru_store.texts_dir, rebuilt)
    assert [h["id"] for h in Store(rebuilt, ru_store.texts_dir).history(WORK)] == [a, b, c]


def test_old_typed_copies_of_unlinked_sentences_become_links_on_build(ru_store):
    ru_store.dump()
    path = ru_store.texts_dir / WORK / "ru.slots.jsonl"
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    # What an earlier version wrote after a confirmation: the sentence unaligned, a typed copy in the slot.
    old = []
    for r in records:
        if r["slot"] == "22.1":
            old.append({"slot": None, "pivot": [], "status": "auto", "targets": r["targets"], "text": r["text"],
                        "via": "unaligned", "after": "21.1"})
            old.append({"slot": "22.1", "pivot": r["pivot"], "status": "confirmed", "text": r["text"], "via": "cli",
                        "by": "anna"})
        else:
            old.append(r)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in old), "utf-8")
    rebuilt = ru_store.texts_dir.parent / "rebuilt.db"
    build(ru_store.texts_dir, rebuilt)
    again = Store(rebuilt, ru_store.texts_dir)
    assert row_of(again, "22.1") == (["22.1"], ["2.1"], "confirmed")
    uses, typed = target_uses(again)
    assert typed == 0 and set(uses.values()) == {1}


def test_undoing_an_attach_puts_the_leftover_back_in_its_place(ru_store):
    def leftover_position(store):
        """Where the leftover row holding ru 3.1 stands (the title, which the English lacks, is one too)."""
        v = store.version(WORK, "ru")
        return [l["position"] for l in store._links(v["id"])
                if not l["pivots"] and [s["ref"] for s in store._segment_rows(l["targets"]).values()] == ["3.1"]]

    ru_store.detach(WORK, "ru", "3.1", actor="anna")
    place = leftover_position(ru_store)
    assert place == [48.5]  # after 22.1, the row holding the sentence before it
    rid = ru_store.attach(WORK, "ru", "3.1", "22.1", actor="anna")
    assert leftover_position(ru_store) == []
    ru_store.revert(rid, actor="anna")
    assert leftover_position(ru_store) == place


def test_a_shift_stops_where_the_displacement_is_made_up_for(ru_store):
    # Down: the first empty row below takes what is pushed into it; the rows after it stay.
    ru_store.attach(WORK, "ru", "1.1", "21.1", actor="anna")  # the title on the dateline's row, to push it down
    ru_store.detach(WORK, "ru", "3.1", actor="anna")  # 23.1 is empty now
    ru_store.shift(WORK, "ru", "21.1", "down", actor="anna")
    assert [row_of(ru_store, r)[1] for r in ("21.1", "22.1", "23.1", "24.1", "25.1")] == \
        [[], ["1.1"], ["2.1"], ["4.1"], ["5.1"]]
    # Up: the first row below holding two sentences gives its first one to the row above and keeps the rest.
    ru_store.move(WORK, "ru", "25.1", "up", actor="anna")  # 24.1-24.2 holds 4.1 and 5.1
    ru_store.shift(WORK, "ru", "22.1", "up", actor="anna")
    assert [row_of(ru_store, r)[1] for r in ("21.1", "22.1", "23.1", "24.1", "25.1")] == \
        [["1.1"], ["2.1"], ["4.1"], ["5.1"], []]


def test_a_shift_with_no_gap_below_stops_at_the_end_of_the_part_and_shift_up_undoes_it(tmp_path):
    from .helpers import make_shifted_book, web_rows

    db, texts = make_shifted_book(tmp_path)  # chapter 1: every verse in its own row, no gap
    store = Store(db, texts)
    before = web_rows(db)
    store.shift("mark", "web", "Mark.1.38.1", "down", actor="anna")
    after = web_rows(db)
    assert [after[f"Mark.1.{v}.1"][0] for v in (38, 39, 40)] == [[], ["Mark.1.38.1"], ["Mark.1.39.1", "Mark.1.40.1"]]
    assert after["Mark.2.1.1"] == before["Mark.2.1.1"]  # the next chapter is another part: untouched
    store.shift("mark", "web", "Mark.1.39.1", "up", actor="anna")
    assert {r: t for r, (t, _) in web_rows(db).items()} == {r: t for r, (t, _) in before.items()}


def test_typed_copies_of_a_recurring_sentence_each_become_a_link_in_one_build(tmp_path):
    # An earlier version's dump: two slots confirmed with the same text (a closing that recurs), each a typed
    # copy, the version's two sentences with that text left unaligned. One build links both, in turn.
    wdir = tmp_path / "texts" / "letters"
    wdir.mkdir(parents=True)
    (wdir / "work.toml").write_text(
        'title = "Letters"\npivot = "en"\n[versions.en]\nlanguage = "en"\nrole = "pivot"\nfile = "en.txt"\n'
        '[versions.ru]\nlanguage = "ru"\nrole = "translation"\nfile = "ru.txt"\n', "utf-8")
    (wdir / "en.txt").write_text("It rains today.\n\nGreetings.\n\nIt snows today.\n\nGreetings.\n", "utf-8")
    (wdir / "ru.txt").write_text("Сегодня дождь.\n\nПривет.\n\nСегодня снег.\n\nПривет.\n", "utf-8")
    db = tmp_path / "first.db"
    build(tmp_path / "texts", db, embeddings=False)
    store = Store(db, tmp_path / "texts")
    en = {r[0]: r[1] for r in store.db.execute(
        "select ref, hash from segments where version = 'letters/en' order by position").fetchall()}
    ru = {r[0]: r[1] for r in store.db.execute(
        "select ref, hash from segments where version = 'letters/ru' order by position").fetchall()}
    assert list(en) == list(ru) == ["1.1", "2.1", "3.1", "4.1"]
    records = []
    for ref in en:
        if ref in ("2.1", "4.1"):
            before = str(int(ref[0]) - 1) + ".1"
            records.append({"slot": None, "pivot": [], "status": "auto", "after": before,
                            "targets": [[ref, ru[ref]]], "text": "Привет.", "via": "unaligned"})
            records.append({"slot": ref, "pivot": [[ref, en[ref]]], "status": "confirmed", "text": "Привет.",
                            "via": "cli", "by": "anna"})
        else:
            records.append({"slot": ref, "pivot": [[ref, en[ref]]], "status": "auto", "targets": [[ref, ru[ref]]],
                            "text": "", "score": 0.9, "via": "aligner"})
    (wdir / "ru.slots.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    rebuilt = tmp_path / "rebuilt.db"
    build(tmp_path / "texts", rebuilt, embeddings=False)
    again = Store(rebuilt, tmp_path / "texts")
    linked = {ref: (targets, status) for ref, targets, status in (
        (r[0], r[1], r[2]) for r in again.db.execute(
            "select p.ref, group_concat(t.ref), a.status from alignments a"
            " join alignment_pivots ap on ap.alignment = a.id join segments p on p.id = ap.segment"
            " left join alignment_targets at on at.alignment = a.id left join segments t on t.id = at.segment"
            " where a.version = 'letters/ru' group by a.id").fetchall())}
    assert linked["2.1"] == ("2.1", "confirmed") and linked["4.1"] == ("4.1", "confirmed")
    assert again.db.execute("select count(*) from segments where version = 'letters/ru' and typed = 1").fetchone()[0] == 0


# -- re-aligning: one revision, like any link operation ---------------------------------------------------

def provenance(store, key="ru"):
    """The version's rows with everything a row holds: refs, status, place, who made it, when, its score (and
    how, for a row with text: an empty row nobody decided is not in the record, whatever method it had)."""
    v = store.version(WORK, key)
    out = []
    for link in store._links(v["id"]):
        segs = store._segment_rows(link["pivots"] + link["targets"])
        out.append(([segs[p]["ref"] for p in link["pivots"]], [segs[t]["ref"] for t in link["targets"]],
                    link["status"], link["position"], link["method"] if link["targets"] else None, link["actor"],
                    link["at"], link["score"]))
    return sorted(out)


def spoiled(store):
    """ru 3.1 taken out of row 23.1 by anna: the aligner would put it back."""
    store.detach(WORK, "ru", "3.1", actor="anna")
    assert row_of(store, "23.1") == (["23.1"], [], "empty")


def test_a_realign_is_one_revision_with_who_when_and_channel(ru_store, monkeypatch):
    spoiled(ru_store)
    monkeypatch.setenv("ALIGNER_NOW", "2030-01-02T03:04:05Z")
    report = ru_store.realign(WORK, "ru", actor="boris", channel="cli")
    assert row_of(ru_store, "23.1") == (["23.1"], ["3.1"], "auto")
    rev = ru_store.revision(report.revision)
    assert (rev["op"], rev["actor"], rev["channel"], rev["at"]) == ("align", "boris", "cli", "2030-01-02T03:04:05Z")
    assert [h["id"] for h in ru_store.history(WORK, "23.1", "ru")][-1] == report.revision
    assert len(ru_store.history(WORK, None, "ru")) == 2  # the detach, then the re-alignment
    # The row the aligner made is the aligner's (to align again), not boris's: the revision says who asked.
    (link,) = [l for l in ru_store._links(ru_store.version(WORK, "ru")["id"]) if l["address"] == "23.1"]
    assert (link["method"], link["actor"], link["at"]) == ("aligner", None, None) and link["score"] is not None


def test_reverting_a_realign_restores_the_automatic_rows_before_it(ru_store):
    spoiled(ru_store)
    before, slots = provenance(ru_store), dumped(ru_store, "ru.slots.jsonl")
    rid = ru_store.realign(WORK, "ru", actor="boris").revision
    assert provenance(ru_store) != before
    ru_store.revert(rid, actor="anna")
    assert provenance(ru_store) == before and dumped(ru_store, "ru.slots.jsonl") == slots
    # The empty row put back is nobody's decision: the aligner may fill it again, as a new revision.
    again = ru_store.realign(WORK, "ru", actor="boris")
    assert again.revision is not None and row_of(ru_store, "23.1") == (["23.1"], ["3.1"], "auto")


def test_a_realign_that_changes_nothing_records_nothing(ru_store):
    ru_store.dump()
    files = {p.name: p.read_bytes() for p in (ru_store.texts_dir / WORK).iterdir()}
    rows_before = provenance(ru_store)
    report = ru_store.realign(WORK, "ru", actor="boris")
    assert report.revision is None and report.changed == 0
    assert ru_store.history(WORK, None, "ru") == [] and provenance(ru_store) == rows_before
    ru_store.dump()
    assert {p.name: p.read_bytes() for p in (ru_store.texts_dir / WORK).iterdir()} == files


def test_a_realign_survives_dump_and_build_and_reverts_after_it(ru_store):
    spoiled(ru_store)
    before = provenance(ru_store)
    rid = ru_store.realign(WORK, "ru", actor="boris").revision
    ru_store.dump()
    (line,) = [r for r in dumped(ru_store, "ru.history.jsonl") if r["id"] == rid]
    assert (line["op"], line["by"], line["via"]) == ("align", "boris", "cli")
    rebuilt = ru_store.texts_dir.parent / "rebuilt.db"
    build(ru_store.texts_dir, rebuilt)
    again = Store(rebuilt, ru_store.texts_dir)
    assert again.revision(rid) == ru_store.revision(rid)
    assert provenance(again) == provenance(ru_store)
    again.revert(rid, actor="anna")
    assert provenance(again) == before


def test_a_realign_from_a_row_aligns_only_the_rows_from_there(ru_store, monkeypatch):
    from aligner.corpus import store as store_module

    right = sorted(rows(ru_store))
    misalign(ru_store)
    asked = []
    real = store_module.align_version

    def spy(p_segs, p_ids, t_segs, t_ids, *args, **kwargs):
        asked.append(([s.ref for s in p_segs], [s.ref for s in t_segs]))
        return real(p_segs, p_ids, t_segs, t_ids, *args, **kwargs)

    monkeypatch.setattr(store_module, "align_version", spy)
    report = ru_store.realign(WORK, "ru", start="24.1", actor="boris")
    # The rows before 24.1 bound the problem: their pivot sentences and the Russian ones they hold stay out of it.
    (pivots, targets), = asked
    assert pivots[:3] == ["24.1", "24.2", "25.1"] and "23.1" not in pivots
    assert targets[0] == "4.1" and not {"1.1", "2.1", "3.1"} & set(targets)
    assert report.revision is not None and sorted(rows(ru_store)) == right
    # Up to a row: the rows after it bound it the same way.
    asked.clear()
    ru_store.realign(WORK, "ru", start="22.1", end="24.1", actor="boris")
    (pivots, targets), = asked
    assert pivots == ["22.1", "23.1", "24.1", "24.2"] and targets == ["2.1", "3.1", "4.1"]


def test_a_realign_aligns_without_the_writers_lock_and_aligns_again_what_changed_meanwhile(ru_store, monkeypatch):
    # A long version takes the aligner seconds to minutes: other writers (an editor, another command) go on
    # meanwhile, and the rows replaced are those the aligner saw under the lock.
    import threading

    from aligner.corpus import store as store_module
    from aligner.corpus.lock import writer_lock

    misalign(ru_store)
    real = store_module.align_version
    calls = []

    def aligner_while_someone_edits(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            wrote = []

            def editor():  # another writer, in another thread: it gets the lock while the aligner runs
                with writer_lock(ru_store.path, wait=1):
                    other = store_module.Store(ru_store.path, ru_store.texts_dir)
                    other.set_slot(WORK, "ru", "24.1", "Вот это.", "confirmed", actor="anna")
                    other.db.close()
                    wrote.append(True)

            t = threading.Thread(target=editor)
            t.start()
            t.join()
            assert wrote == [True]
        return real(*args, **kwargs)

    monkeypatch.setattr(store_module, "align_version", aligner_while_someone_edits)
    report = ru_store.realign(WORK, "ru", actor="boris")
    assert len(calls) == 2  # the range changed while it aligned: aligned again under the lock
    assert row_of(ru_store, "24.1")[2] == "confirmed"  # the edit made meanwhile stays as the person made it
    assert report.revision is not None
    calls.clear()
    ru_store.realign(WORK, "ru", actor="boris")
    assert len(calls) == 1  # nothing changed meanwhile: aligned once
