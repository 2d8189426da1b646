"""Three writers on one database file at once: no "database is locked", no lost update.

* a translator's script calling ``Store.set_slot`` (channel cli),
* a translator at the command line: ``aligner set ... --token`` (the CLI, run in its own process),
* the browser's save: ``Store.set_slot(..., channel="web", token=...)``,

each on slots of its own and on slots all three fight over, every change made
with the token of the copy it was based on. Afterwards every attempt must be
accounted for: applied (its revision is in the history, with the text and the
token's state as its old state) or reported as a conflict (the slot really had
changed since that copy was made); nothing else, and nothing applied twice.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
import traceback

import pytest

from aligner.model import slot_token

from .helpers import WORK

ROUNDS = 40
SHARED = ["24.1", "25.1", "26.1"]
OWN = {"script": ["5.1", "6.1", "7.1"], "cli": ["8.1", "9.1", "10.1"], "web": ["11.1", "12.1", "13.1"]}


def _worker(name: str, db: str, texts: str, barrier, out) -> None:
    """One writer: ROUNDS times, read a slot (its token), change it, record what happened."""
    os.environ["ALIGNER_USER"] = name
    try:
        from aligner.errors import ConflictError
        from aligner.corpus import Store

        rng = random.Random(name)
        log = []
        store = Store(db, texts)
        if name == "cli":
            from click.testing import CliRunner

            from aligner.cli import cli

            runner = CliRunner()
        barrier.wait(timeout=60)
        for i in range(ROUNDS):
            address = rng.choice(SHARED if rng.random() < 0.6 else OWN[name])
            seen = store.slot(WORK, "ru", address)
            time.sleep(rng.random() * 0.01)  # the translator reads before typing: others may write meanwhile
            text = f"{name} {i}: «правка» <{address}> & ещё"
            status = rng.choice(["draft", "confirmed"])
            entry = {"who": name, "address": address, "text": text, "status": status, "token": seen.token,
                     "seen_text": seen.text, "seen_status": seen.status}
            if name == "cli":
                r = runner.invoke(cli, ["set", address, "ru", text, "--status", status, "--token", seen.token,
                                        "--as", name, "-d", db, "--texts", texts, "--no-dump"])
                if r.exit_code == 0:
                    entry["result"] = "applied"
                    entry["rid"] = int(r.output.rsplit("revision ", 1)[1].rstrip(")\n"))
                elif "was changed since your copy was made" in r.output:
                    entry["result"] = "conflict"
                else:
                    entry["result"] = "error"
                    entry["error"] = r.output + repr(r.exception)
            else:
                try:
                    rid = store.set_slot(WORK, "ru", address, text, status, actor=name,
                                         channel="web" if name == "web" else "cli", token=seen.token)
                    entry["result"] = "applied"
                    entry["rid"] = rid
                except ConflictError:
                    entry["result"] = "conflict"
            log.append(entry)
        out.put((name, log))
    except BaseException:
        out.put((name, [{"result": "error", "error": traceback.format_exc()}]))


@pytest.fixture
def fresh_db(db_path):
    # A database straight from build (not yet in WAL mode): the writers race to switch it, too.
    return db_path


def test_three_writers_lose_nothing(fresh_db, texts):
    from aligner.corpus import Store

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(3)
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(n, str(fresh_db), str(texts), barrier, out)) for n in OWN]
    for p in procs:
        p.start()
    logs = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    attempts = [e for log in logs.values() for e in log]
    errors = [e["error"] for e in attempts if e["result"] == "error"]
    assert not errors, errors[0]
    applied = [e for e in attempts if e["result"] == "applied"]
    conflicts = [e for e in attempts if e["result"] == "conflict"]
    assert len(attempts) == 3 * ROUNDS
    assert applied and conflicts, "the test should make the writers collide"
    print(f"{len(applied)} applied, {len(conflicts)} conflicts")

    store = Store(fresh_db, texts)
    history = {r["id"]: r for r in store.history(WORK, None, "ru")}
    # Every applied change is one revision with its text, by its writer, based on the state its token named.
    rids = [e["rid"] for e in applied]
    assert len(set(rids)) == len(rids) == len(history)
    for e in applied:
        r = history[e["rid"]]
        assert (r["address"], r["new_text"], r["new_status"], r["actor"]) == (e["address"], e["text"], e["status"], e["who"])
        assert slot_token(e["address"], r["old_text"], r["old_status"]) == e["token"], "applied over a change it never saw"
    # Per slot, the revisions form one chain (each starts from the one before) ending in the final state.
    for address in SHARED + [a for own in OWN.values() for a in own]:
        chain = [r for r in history.values() if r["address"] == address]
        prev_text, prev_status = "", "empty"
        for r in chain:
            assert (r["old_text"], r["old_status"]) == (prev_text, prev_status), f"lost update on {address}"
            prev_text, prev_status = r["new_text"], r["new_status"]
        final = store.slot(WORK, "ru", address)
        assert (final.text, final.status) == (prev_text, prev_status)
        # A conflict was real: the state its token named had been replaced before the attempt wrote.
        states = {slot_token(address, "", "empty"): -1}
        for r in chain:
            states.setdefault(slot_token(address, r["new_text"], r["new_status"]), r["id"])
        for e in conflicts:
            if e["address"] == address:
                assert e["token"] in states
                assert any(r["id"] > states[e["token"]] for r in chain), "a conflict with no change behind it"


def test_a_stale_copy_does_not_undo_a_clear(store):
    from aligner.errors import ConflictError

    store.set_slot(WORK, "ru", "24.1", "первый вариант", actor="anna")
    token = store.slot(WORK, "ru", "24.1").token  # boris's browser shows this
    store.set_slot(WORK, "ru", "24.1", "", "empty", actor="anna")  # anna clears the slot: the text was wrong
    with pytest.raises(ConflictError):
        store.set_slot(WORK, "ru", "24.1", "исправленный первый вариант", actor="boris", channel="web", token=token)
