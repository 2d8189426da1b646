"""Fixtures: a private texts folder, a database built from it, a store over both."""

import shutil
from pathlib import Path

import pytest

from .helpers import TEXTS


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
    from aligner.corpus import build

    path = tmp_path / "corpus.db"
    build(texts, path)
    return path


@pytest.fixture
def store(db_path, texts):
    from aligner.corpus import Store

    return Store(db_path, texts)
