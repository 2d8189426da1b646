"""The concurrency proof of tests/test_corpus_lock.py, longer: builds, imports, CLI writes and web saves at once.

Runs the test with ALIGNER_LOCK_ROUNDS rounds per writer (default 100) and prints what was acknowledged and
how long it took. Every acknowledged revision is checked in the database and in texts/ by the test itself:
a failure here is a lost edit.

    python benchmarks/lock.py [ROUNDS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    env = dict(os.environ, ALIGNER_LOCK_ROUNDS=str(rounds))
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_corpus_lock.py::test_builds_imports_cli_and_web_saves_at_once_lose_nothing"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    ok = run.returncode == 0
    print("writers: builder, importer (add-version --replace), cli (aligner set), web (a long-lived connection)")
    print(f"rounds per writer: {rounds}; acknowledged edits: {2 * rounds}; builds: {2 * rounds} "
          f"(one per build and one per import)")
    print(f"lost: {'0' if ok else 'SEE BELOW'}; wall time: {seconds:.1f} s")
    if not ok:
        print(run.stdout[-4000:], run.stderr[-2000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
