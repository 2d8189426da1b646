"""What the real-browser tests share: where Chromium is, how a server of this plugin is started, how a
translator signs in. (Fixtures are in conftest.py.)"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORK = "kropotkin-two-letters-to-lenin"
CHROMIUM = os.environ.get("ALIGNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
PASSWORD = "correct horse battery"

# Datasette with this plugin registered whether or not the package is installed.
LAUNCH = (
    "import sys; from aligner.web import ensure_registered; ensure_registered(); "
    "from datasette.cli import cli; cli(sys.argv[1:])"
)

if not Path(CHROMIUM).exists():  # pragma: no cover
    if os.environ.get("ALIGNER_REQUIRE_BROWSER"):
        raise RuntimeError(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(page, base: str, user: str = "anna", next_path: str = "/-/works") -> None:
    page.goto(f"{base}/-/aligner-login?next={next_path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_load_state()
    assert "/-/aligner-login" not in page.url, page.content()[:2000]
