"""Sign-in for translators: salted password hashes in a users file kept outside the repository.

The users file maps a user name to a password hash, as JSON::

    {"anna": "pbkdf2_sha256$600000$Zk3...$q9X..."}

or as TOML (``anna = "pbkdf2_sha256$600000$..."``), chosen by the file's
extension. A value may also be a table with a ``hash`` (and an optional
display ``name``). Its path comes from the plugin configuration
(``plugins: aligner: users_file: ...``) or the environment variable
``ALIGNER_USERS``. :func:`add_user` creates or updates an entry;
:func:`hash_password` makes a hash to paste in by hand.

Signing in sets Datasette's own signed ``ds_actor`` cookie, holding
``{"id": <user>, "aligner": <fingerprint>}``. The fingerprint is a keyed hash
of the user's current password hash, so changing a password or removing a
user from the file takes away the right to edit at once, even from browsers
that are still signed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import tomllib
from pathlib import Path

from .. import state

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000
#: How long a sign-in lasts unless the plugin configuration says otherwise.
LOGIN_DAYS = 30
ENV_USERS = state.ENV_USERS


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    """A salted PBKDF2-SHA256 hash: ``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
    if not isinstance(password, str) or not password:
        raise ValueError("a password cannot be empty")
    salt = salt or secrets.token_urlsafe(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"{ALGORITHM}${iterations}${salt}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password` (constant-time compare)."""
    try:
        algorithm, iterations, salt, expected = stored.split("$", 3)
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), int(iterations))
        return hmac.compare_digest(digest, _unb64(expected))
    except (ValueError, AttributeError, UnicodeEncodeError):
        return False


def _dummy_hash(iterations: int = ITERATIONS) -> str:
    """A hash nobody's password matches, checked when the user name is unknown so
    that a wrong name takes as long as a wrong password."""
    return f"{ALGORITHM}${iterations}$aligner-dummy-salt$AAAA"


def _is_toml(path: Path) -> bool:
    return path.suffix.lower() == ".toml"


def read_users(path: str | Path) -> dict[str, dict]:
    """The users in a users file: ``{name: {"hash": ..., "name": display name}}``. A missing file has none."""
    p = Path(path)
    if not p.exists():
        return {}
    raw = p.read_text(encoding="utf-8")
    if not raw.strip():
        return {}
    try:
        data = tomllib.loads(raw) if _is_toml(p) else json.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{p}: not a valid users file ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{p}: a users file maps user names to password hashes")
    users = {}
    for name, value in data.items():
        if isinstance(value, str):
            users[name] = {"hash": value, "name": name}
        elif isinstance(value, dict) and isinstance(value.get("hash") or value.get("password_hash"), str):
            users[name] = {"hash": value.get("hash") or value["password_hash"], "name": value.get("name") or name}
        else:
            raise ValueError(f"{p}: user {name!r} has no password hash")
    return users


def add_user(path: str | Path, name: str, password: str, *, iterations: int = ITERATIONS) -> str:
    """Add a user to the users file (or change their password); creates the file, readable by its owner only.

    Returns the new hash. The file keeps its format (JSON, or TOML for a
    ``.toml`` name) and is replaced atomically.
    """
    name = (name or "").strip()
    if not name or any(c.isspace() for c in name) or len(name) > 64:
        raise ValueError("a user name is 1-64 characters without spaces")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    raw: dict = {}
    if p.exists() and p.read_text(encoding="utf-8").strip():
        read_users(p)  # validates
        text = p.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if _is_toml(p) else json.loads(text)
    new_hash = hash_password(password, iterations=iterations)
    if isinstance(raw.get(name), dict):
        entry = dict(raw[name])
        entry.pop("password_hash", None)
        entry["hash"] = new_hash
        raw[name] = entry
    else:
        raw[name] = new_hash
    if _is_toml(p):
        import tomli_w

        content = tomli_w.dumps(raw)
    else:
        content = json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    from ..files import atomic_write

    atomic_write(p, content, private=True)
    return new_hash


# ---------------------------------------------------------------------------
# Used by the Datasette plugin

_cache: dict[str, tuple[tuple, dict]] = {}


def plugin_config(datasette) -> dict:
    return datasette.plugin_config("aligner") or {}


def users_file(datasette) -> Path | None:
    """Where the users file is: plugin config ``users_file``, else ``$ALIGNER_USERS``, else nowhere."""
    path = plugin_config(datasette).get("users_file") or os.environ.get(ENV_USERS)
    return Path(path).expanduser() if path else None


def users(datasette) -> dict[str, dict]:
    """The configured users, re-read whenever the file changes."""
    path = users_file(datasette)
    if path is None:
        return {}
    try:
        st = path.stat()
    except OSError:
        return {}
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _cache.get(str(path))
    if hit and hit[0] == key:
        return hit[1]
    try:
        found = read_users(path)
    except (ValueError, OSError):
        found = {}
    _cache[str(path)] = (key, found)
    return found


def fingerprint(datasette, stored_hash: str) -> str:
    """A keyed hash of a password hash: safe to put in a (signed, readable) cookie."""
    secret = getattr(datasette, "_secret", "") or ""
    return hmac.new(secret.encode("utf-8"), stored_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def authenticate(datasette, name: str, password: str) -> dict | None:
    """The actor for a correct user name and password, else None."""
    known = users(datasette)
    user = known.get((name or "").strip())
    if user is None:
        some = next(iter(known.values()), None)
        iterations = ITERATIONS
        if some:
            try:
                iterations = int(some["hash"].split("$")[1])
            except (IndexError, ValueError):
                pass
        verify_password(password or "", _dummy_hash(iterations))
        return None
    if not verify_password(password or "", user["hash"]):
        return None
    return {"id": (name or "").strip(), "aligner": fingerprint(datasette, user["hash"])}


def valid_translator(datasette, actor: dict | None) -> bool:
    """Whether ``actor`` signed in through our login and their password has not changed since."""
    if not actor or not isinstance(actor, dict) or "aligner" not in actor:
        return False
    user = users(datasette).get(str(actor.get("id")))
    if user is None:
        return False
    return hmac.compare_digest(str(actor["aligner"]), fingerprint(datasette, user["hash"]))


def actor_cookie(datasette, actor: dict, *, days: float | None = None) -> str:
    """The signed ``ds_actor`` cookie value for ``actor``, expiring after ``days``."""
    from datasette.utils import baseconv

    if days is None:
        days = float(plugin_config(datasette).get("login_days") or LOGIN_DAYS)
    expires = baseconv.base62.encode(int(time.time() + days * 86400))
    return datasette.sign({"a": actor, "e": expires}, "actor")


def actor_from_cookie(datasette, request) -> dict | None:
    """Our actor from the ``ds_actor`` cookie, if it is a valid translator's sign-in."""
    value = request.cookies.get("ds_actor")
    if not value:
        return None
    try:
        decoded = datasette.unsign(value, "actor")
    except Exception:
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("a"), dict):
        return None
    if decoded.get("e"):
        from datasette.utils import baseconv

        try:
            if time.time() > int(baseconv.base62.decode(decoded["e"])):
                return None
        except (ValueError, TypeError):
            return None
    actor = decoded["a"]
    if not valid_translator(datasette, actor):
        return None
    return {**actor, "translator": True}
