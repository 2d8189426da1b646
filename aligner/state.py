"""Where a user's private state lives: the users file, the signing secret, the sign-out record.

None of it may sit in a repository or beside the database: a ``texts/``
folder arrives with anyone's pull request, and a file a build can reach
could end up in a public corpus (a signing secret is enough to forge a
sign-in). So all of it lives in a per-user folder, ``$XDG_CONFIG_HOME/aligner``
(``~/.config/aligner``), readable by its owner only, unless the environment
says otherwise:

* ``ALIGNER_USERS``: the users file (default ``users.json`` there);
* ``ALIGNER_SECRET_FILE``: the signing secret (default ``secret`` there);
  ``DATASETTE_SECRET`` overrides the file altogether;
* the sign-out record (per-user session generations) is kept beside the
  users file (``<users>.sessions.json``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_USERS = "ALIGNER_USERS"
ENV_SECRET_FILE = "ALIGNER_SECRET_FILE"


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/aligner``, else ``~/.config/aligner``."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "aligner"


def users_file() -> Path:
    """Translators' sign-ins: ``$ALIGNER_USERS``, else ``~/.config/aligner/users.json``."""
    env = os.environ.get(ENV_USERS)
    return Path(env).expanduser() if env else config_dir() / "users.json"


def secret_file() -> Path:
    """The signing secret: ``$ALIGNER_SECRET_FILE``, else ``~/.config/aligner/secret``."""
    env = os.environ.get(ENV_SECRET_FILE)
    return Path(env).expanduser() if env else config_dir() / "secret"


def sessions_file(users: Path) -> Path:
    """The sign-out record kept beside a users file: ``users.json`` -> ``users.sessions.json``."""
    return users.with_name(users.stem + ".sessions.json")


def stable_secret(path: Path | None = None) -> str:
    """The signing secret in ``path`` (default :func:`secret_file`), made on first use (mode 0600, folder
    0700) so that sign-ins survive a restart."""
    path = path or secret_file()
    if path.exists():
        return path.read_text("utf-8").strip()
    secret = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fp:
        fp.write(secret)
    return secret
