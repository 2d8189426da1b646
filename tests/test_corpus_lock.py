"""No acknowledged edit is lost while builds, imports, command-line writes and web saves run at once.

Four processes share one corpus: a builder (``aligner build`` again and again), an importer (``add-version``
replacing a whole text, which rebuilds), a translator at the command line (``aligner set``), and the web
editor's save path (a Store on one long-lived connection, as a running server holds it, saving and dumping
under the writers' lock). Every change a writer was told succeeded (a revision id) must afterwards be in the
database and in ``texts/``, with its text. The longer form is ``benchmarks/lock.py``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import traceback

import pytest

from .helpers import WORK, shared_file

ROUNDS = int(os.environ.get("ALIGNER_LOCK_ROUNDS", "12"))
ROWS = {"cli": ["5.1", "6.1", "7.1", "24.1"], "web": ["8.1", "9.1", "10.1", "24.1"]}


def _writer(name: str, db: str, texts: str, es_file: str, barrier, out) -> None:
    os.environ["ALIGNER_USER"] = name
    acked, errors = [], []
    try:
        from click.testing import CliRunner

        from aligner.cli import cli
        from aligner.corpus import Store, add_version, build

        store = Store(db, texts) if name == "web" else None  # one connection for the whole run, like a server
        runner = CliRunner()
        barrier.wait(timeout=60)
        for i in range(ROUNDS):
            try:
                if name == "builder":
                    build(texts, db)
                elif name == "importer":
                    add_version(texts, WORK, "es", es_file, replace=True, db_path=db)
                elif name == "cli":
                    address = ROWS[name][i % len(ROWS[name])]
                    text = f"cli {i} правка"
                    r = runner.invoke(cli, ["set", address, "ru", text, "-d", db, "--texts", texts])
                    if r.exit_code != 0:
                        raise RuntimeError(r.output)
                    acked.append((int(r.output.rsplit("revision ", 1)[1].rstrip(")\n")), text))
                else:
                    address = ROWS[name][i % len(ROWS[name])]
                    text = f"web {i} правка"
                    with store.writing():
                        rid = store.set_slot(WORK, "ru", address, text, actor=name, channel="web")
                        store.dump(texts, work=WORK, key="ru")
                    acked.append((rid, text))
            except Exception:
                errors.append(traceback.format_exc())
    except BaseException:
        errors.append(traceback.format_exc())
    out.put((name, acked, errors))


def test_builds_imports_cli_and_web_saves_at_once_lose_nothing(db_path, texts, tmp_path):
    from aligner.corpus import Store

    es_file = tmp_path / "es.txt"
    es_file.write_text("Dmitrov, 21 de diciembre de 1920.\n\nEstimado Vladimir Ilich:\n\nNo hay nadie.\n", "utf-8")
    ctx = mp.get_context("spawn")
    names = ["builder", "importer", "cli", "web"]
    barrier = ctx.Barrier(len(names))
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(n, str(db_path), str(texts), str(es_file), barrier, out))
             for n in names]
    for p in procs:
        p.start()
    results = {name: (acked, errors) for name, acked, errors in (out.get(timeout=300) for _ in procs)}
    for p in procs:
        p.join(timeout=60)
    errors = [e for _, errs in results.values() for e in errs]
    assert not errors, errors[0]
    acked = [a for name in ("cli", "web") for a in results[name][0]]
    assert len(acked) == 2 * ROUNDS

    store = Store(db_path, texts)
    in_db = {r["id"]: r["new_text"] for r in store.history(WORK, None, "ru")}
    path = texts / WORK / "ru.history.jsonl"
    in_files = {r["id"]: r["new_text"] for r in map(json.loads, path.read_text("utf-8").splitlines())}
    for rid, text in acked:
        assert in_db.get(rid) == text, f"revision {rid} ({text}) missing from the database"
        assert in_files.get(rid) == text, f"revision {rid} ({text}) missing from {path}"
    assert in_db == in_files


@pytest.mark.asyncio
async def test_a_running_server_shows_a_rebuilt_corpus_and_writes_into_it(db_path, texts):
    from aligner.corpus import Store, add_version

    from .helpers import datasette, get

    ds = datasette(db_path, texts=texts)
    page = await get(ds, f"/-/read/{WORK}?with=ru")
    assert "Владимир Ильич" not in page.text
    # Imported while the server runs: the same server shows it at once, no restart, no 404 in between.
    add_version(texts, WORK, "ru", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), role="original",
                db_path=db_path)
    page = await get(ds, f"/-/read/{WORK}?with=ru")
    assert "Владимир Ильич!" in page.text
    # And a write through the server's own connection lands in the file every other writer uses.
    db = ds.get_database()

    def save(conn):
        import sqlite_utils

        store = Store(sqlite_utils.Database(conn), texts)
        with store.writing():
            return store.set_slot(WORK, "ru", "23.1", "Сохранено сервером.", actor="anna", channel="web")

    rid = await db.execute_write_fn(save)
    assert Store(db_path, texts).revision(rid)["new_text"] == "Сохранено сервером."
