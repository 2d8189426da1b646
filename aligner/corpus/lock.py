"""One lock shared by every writer of a corpus: builds, imports, the command line and the web editor.

A change is acknowledged only once it is both in the database and in ``texts/`` (the dump). A build reads
``texts/`` and replaces the database's content, so a change made between the two would be lost; holding
this lock for a change *and* its dump, and for a whole build, puts every writer in one queue. The lock is
an advisory ``flock`` on ``<database>.lock`` beside the database, so it works across processes (a running
server and the command line), and it is re-entrant within a process (an import that runs a build).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import AlignerError

#: How long a writer waits for another (a build of a large corpus can take minutes).
WAIT_SECONDS = float(os.environ.get("ALIGNER_LOCK_WAIT", "600"))

_held: dict[str, tuple[threading.RLock, list]] = {}
_guard = threading.Lock()


def lock_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


@contextmanager
def writer_lock(db_path: str | Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the corpus's writer lock (re-entrant in a process); give up after ``wait`` seconds with an error."""
    key = str(Path(db_path).resolve())
    with _guard:
        local, state = _held.setdefault(key, (threading.RLock(), [None, 0]))
    wait = WAIT_SECONDS if wait is None else wait
    if not local.acquire(timeout=wait):
        raise AlignerError(f"{db_path}: another writer has held the corpus for {wait:.0f} s; try again")
    try:
        if state[1] == 0:
            path = lock_path(db_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise AlignerError(f"{db_path}: another writer (a build or an import?) has held the corpus "
                                           f"for {wait:.0f} s; try again") from None
                    time.sleep(0.02)
            state[0] = fd
        state[1] += 1
        try:
            yield
        finally:
            state[1] -= 1
            if state[1] == 0:
                fd, state[0] = state[0], None
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
    finally:
        local.release()
