"""Provenance: who made a change and when, recorded with every alignment and revision.

``ALIGNER_NOW`` and ``ALIGNER_USER`` pin both (tests, reproducible dumps).
"""

from __future__ import annotations

import getpass
import os
import subprocess
from datetime import datetime, timezone


def now() -> str:
    """UTC time in ISO 8601 to the second; ``ALIGNER_NOW`` pins it (tests, reproducible dumps)."""
    return os.environ.get("ALIGNER_NOW") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_actor() -> str:
    """Who is editing: ``ALIGNER_USER``, else git's user.name, else the login name."""
    user = os.environ.get("ALIGNER_USER")
    if user:
        return user
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"
