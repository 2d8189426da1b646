"""Fixtures: a private texts folder, a database built from it, a store over both; for the web pages, a
database with two slots filled and a users file."""

import shutil
from pathlib import Path

import pytest

from .helpers import RU_24, RU_25, TEXTS, WORK, add_translator, seed_texts


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch):
    monkeypatch.setenv("ALIGNER_USER", "tester")
    monkeypatch.delenv("ALIGNER_DB", raising=False)
    monkeypatch.delenv("ALIGNER_TEXTS", raising=False)
    # The same results whether or not the embeddings extra is installed; its tests switch it on themselves.
    monkeypatch.setenv("ALIGNER_EMBEDDINGS", "0")


@pytest.fixture
def texts(tmp_path) -> Path:
    """The seed (:func:`helpers.seed_texts`): the shipped Kropotkin work before any version has text."""
    return seed_texts(tmp_path / "texts")


@pytest.fixture
def shipped_texts(tmp_path) -> Path:
    """A private copy of everything the project ships in texts/, translators' work included."""
    dest = tmp_path / "shipped"
    shutil.copytree(TEXTS, dest)
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


@pytest.fixture
def edited_db(db_path, texts) -> Path:
    """The built database with two ru slots filled by anna: 24.1-24.2 (draft, n:m) and 25.1 (confirmed)."""
    from aligner.corpus import Store

    store = Store(db_path, texts)
    store.set_slot(WORK, "ru", "24.1-24.2", RU_24, "draft", actor="anna")
    store.set_slot(WORK, "ru", "25.1", RU_25, "confirmed", actor="anna")
    return db_path


@pytest.fixture
def users(tmp_path) -> Path:
    """A users file with two translators, anna and boris."""
    path = tmp_path / "secrets" / "users.json"
    add_translator(path, "anna")
    add_translator(path, "boris", "another secret")
    return path


@pytest.fixture
def ds(edited_db):
    """Datasette with the plugin over ``edited_db``, nobody signed in."""
    from .helpers import datasette

    return datasette(edited_db)


@pytest.fixture
def ru_store(texts, tmp_path):
    """The seed with the Russian opening of letter 2 imported and aligned automatically."""
    from aligner.corpus import Store, add_version, build

    from .helpers import WORK, shared_file

    path = tmp_path / "corpus.db"
    build(texts, path)
    add_version(texts, WORK, "ru", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), role="original",
                db_path=path)
    return Store(path, texts)


@pytest.fixture
def build_workers(monkeypatch) -> list[int]:
    """Builds in this test may use worker processes (the pytest process runs other threads after some tests,
    which makes a build keep to one process); the list records the ``jobs`` of every build that used them."""
    import importlib

    building = importlib.import_module("aligner.corpus.build")  # the module (the package's `build` is the function)
    used: list[int] = []
    real = building.build_shards

    def spy(works, folder, jobs):
        used.append(jobs)
        return real(works, folder, jobs)

    monkeypatch.setattr(building, "build_shards", spy)
    monkeypatch.setattr(building, "_other_threads", lambda: False)
    return used
