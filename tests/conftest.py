import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
WORK = "kropotkin-two-letters-to-lenin"
SEED = TEXTS / WORK / "en.txt"


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch):
    monkeypatch.setenv("ALIGNER_USER", "tester")
    monkeypatch.delenv("ALIGNER_DB", raising=False)
    monkeypatch.delenv("ALIGNER_TEXTS", raising=False)


@pytest.fixture
def texts(tmp_path) -> Path:
    """A private copy of the shipped texts folder."""
    dest = tmp_path / "texts"
    shutil.copytree(TEXTS, dest, ignore=shutil.ignore_patterns("*.slots.jsonl", "*.history.jsonl"))
    return dest


@pytest.fixture
def db_path(texts, tmp_path) -> Path:
    """A corpus database built from the private texts copy."""
    from aligner.store import build

    path = tmp_path / "corpus.db"
    build(texts, path)
    return path


@pytest.fixture
def store(db_path, texts):
    from aligner.store import Store

    return Store(db_path, texts)


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
