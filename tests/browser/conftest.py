"""Real-browser tests: they run in their own pytest process, never inside ``pytest tests``.

Playwright's sync API and pytest-asyncio's event loops do not mix in one
process, so the test files here are only collected when this folder is what
pytest was asked to run (or ``ALIGNER_BROWSER=1`` is set)::

    python -m pytest tests/browser -p no:asyncio

They need the ``playwright`` Python package and a Chromium at
``/usr/bin/chromium`` (or ``$ALIGNER_CHROMIUM``); never ``playwright install``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _asked_for_directly(config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    if not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    if os.environ.get("ALIGNER_BROWSER") == "1" or _asked_for_directly(config):
        return None
    return True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    folder = getattr(config, "_aligner_screenshots", None)
    if folder:
        terminalreporter.write_line(f"screenshots: {folder}")


@pytest.fixture(scope="module")
def shots(request) -> Path:
    """Where screenshots go: ``$ALIGNER_SCREENSHOTS``, else a temporary folder printed at the end of the run."""
    import tempfile

    folder = Path(os.environ.get("ALIGNER_SCREENSHOTS") or tempfile.mkdtemp(prefix="aligner-screens-"))
    folder.mkdir(parents=True, exist_ok=True)
    request.config._aligner_screenshots = folder
    return folder


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright
    from support import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
