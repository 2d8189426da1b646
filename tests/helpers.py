"""Shared test helpers: paths of the shipped texts, database comparison, required-tool handling."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
SHARED = ROOT.parent / "shared"
WORK = "kropotkin-two-letters-to-lenin"
SEED = TEXTS / WORK / "en.txt"


def table_rows(path) -> dict:
    """Every row of every table (except the build time), to compare databases."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    out = {}
    for t in db.table_names():
        if t.startswith("segments_fts") or t == "_sqlite_migrations":
            continue
        rows = [dict(r) for r in db[t].rows]
        if t == "build":
            for r in rows:
                r.pop("built_at", None)
        out[t] = rows
    db.close()
    return out


def not_installed(reason: str):
    """Skip (with the reason) when a schema or tool package is missing; fail instead under ALIGNER_REQUIRE_SCHEMAS=1 (CI)."""
    import os

    if os.environ.get("ALIGNER_REQUIRE_SCHEMAS"):
        pytest.fail(reason)
    pytest.skip(reason)


def shared_file(*parts: str) -> Path:
    """A file of the shared corpus beside the repository (``../shared``): a test that needs one fails without it."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"{path}: missing; the shared corpus must sit beside the repository as ../shared")
    return path


def fill_some_slots(store):
    """A few slots of both versions filled by three translators, one of them changed twice."""
    store.set_slot(WORK, "ru", "2.1", "Два письма Ленину", "confirmed", actor="anna")
    store.set_slot(WORK, "ru", "24.1-24.2", "Неужели не нашлось среди Вас никого, чтобы напомнить ...", actor="anna")
    store.set_slot(WORK, "ru", "25.1", "Неужели никто из Вас не вдумался в то, — что такое заложник.", actor="boris")
    store.set_slot(WORK, "es", "33.1", "Con saludos de camarada,\n«entre comillas» & <b>", actor="carmen")
    store.set_slot(WORK, "ru", "25.1", "Исправлено.", "confirmed", actor="anna")
