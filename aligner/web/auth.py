"""Sign-in for translators: salted password hashes in a users file kept outside the repository.

The users file maps a user name to a password hash, as JSON::

    {"anna": "pbkdf2_sha256$600000$Zk3...$q9X..."}

or as TOML (``anna = "pbkdf2_sha256$600000$..."``), chosen by the file's
extension. A value may also be a table with a ``hash``, an optional display
``name``, a ``role`` and the ``works`` it covers (:mod:`aligner.roles`; an entry
without a role is an admin, as every user was before roles existed)::

    {"vera": {"hash": "pbkdf2_sha256$...", "role": "editor", "works": ["kropotkin-two-letters-to-lenin"]}}
 Its path comes from the plugin configuration
(``plugins: aligner: users_file: ...``) or the environment variable
``ALIGNER_USERS``. :func:`add_user` creates or updates an entry;
:func:`hash_password` makes a hash to paste in by hand.

Signing in sets Datasette's own signed ``ds_actor`` cookie, holding
``{"id": <user>, "aligner": <fingerprint>}``. The fingerprint is a keyed hash
of the user's current password hash and their session generation, so
changing a password, removing a user from the file or signing out takes away
the right to edit at once, even from browsers (or saved cookies) that still
hold the old cookie. Signing out raises the user's generation in the sign-out
record beside the users file (:func:`aligner.state.sessions_file`): every
sign-in of that user made before it ends, on every machine.
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
from .. import roles

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
            users[name] = {"hash": value, "name": name, "role": roles.DEFAULT_ROLE, "works": []}
        elif isinstance(value, dict) and isinstance(value.get("hash") or value.get("password_hash"), str):
            role = value.get("role") or roles.DEFAULT_ROLE
            works = value.get("works") or []
            if role not in roles.ROLES:
                raise ValueError(f"{p}: user {name!r} has an unknown role {role!r} (known: {', '.join(roles.ROLES)})")
            if not isinstance(works, list) or not all(isinstance(w, str) for w in works):
                raise ValueError(f"{p}: user {name!r}: 'works' must be a list of work slugs")
            users[name] = {"hash": value.get("hash") or value["password_hash"], "name": value.get("name") or name,
                           "role": role, "works": works}
        else:
            raise ValueError(f"{p}: user {name!r} has no password hash")
    return users


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or any(c.isspace() or not c.isprintable() for c in name) or len(name) > 64:
        raise ValueError("a user name is 1-64 printable characters without spaces")
    return name


def _load_raw(p: Path) -> dict:
    if p.exists() and p.read_text(encoding="utf-8").strip():
        read_users(p)  # validates
        text = p.read_text(encoding="utf-8")
        return tomllib.loads(text) if _is_toml(p) else json.loads(text)
    return {}


def _save_raw(p: Path, raw: dict) -> None:
    if _is_toml(p):
        import tomli_w

        content = tomli_w.dumps(raw)
    else:
        content = json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    from ..files import atomic_write

    atomic_write(p, content, private=True)


def _with_role(entry, role: str | None, works: list[str] | None) -> dict | str:
    """An entry with a new role and/or works; a plain hash string stays one when nothing is set."""
    if role is None and works is None:
        return entry
    entry = {"hash": entry} if isinstance(entry, str) else dict(entry)
    if role is not None:
        entry["role"] = roles.check_role(role)
    if works is not None:
        entry["works"] = sorted(dict.fromkeys(works))
    return entry


def add_user(path: str | Path, name: str, password: str, *, iterations: int = ITERATIONS,
             role: str | None = None, works: list[str] | None = None) -> str:
    """Add a user to the users file (or change their password); creates the file, readable by its owner only.

    ``role`` and ``works`` (see :mod:`aligner.roles`) are set when given, else kept
    (a new user without them is an admin). Returns the new hash. The file
    keeps its format (JSON, or TOML for a ``.toml`` name) and is replaced
    atomically.
    """
    name = _check_name(name)
    if role is not None:
        roles.check_role(role)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    raw = _load_raw(p)
    new_hash = hash_password(password, iterations=iterations)
    if isinstance(raw.get(name), dict):
        entry = dict(raw[name])
        entry.pop("password_hash", None)
        entry["hash"] = new_hash
        raw[name] = entry
    else:
        raw[name] = new_hash
    raw[name] = _with_role(raw[name], role, works)
    _save_raw(p, raw)
    return new_hash


def set_role(path: str | Path, name: str, *, role: str | None = None, works: list[str] | None = None,
             add_works: list[str] = (), remove_works: list[str] = ()) -> dict:
    """Change a user's role and/or the works they cover; returns their entry as :func:`read_users` reads it."""
    p = Path(path)
    raw = _load_raw(p)
    if name not in raw:
        raise ValueError(f"{p}: no user {name!r}")
    current = read_users(p)[name]["works"]
    if works is None and (add_works or remove_works):
        works = [w for w in [*current, *add_works] if w not in set(remove_works)]
    raw[name] = _with_role(raw[name], role, works)
    _save_raw(p, raw)
    return read_users(p)[name]


# ---------------------------------------------------------------------------
# Used by the Datasette plugin

_cache: dict[str, tuple[tuple, dict]] = {}


def plugin_config(datasette) -> dict:
    return datasette.plugin_config("aligner") or {}


def users_file(datasette) -> Path | None:
    """Where the users file is: plugin config ``users_file``, else ``$ALIGNER_USERS``, else nowhere."""
    path = plugin_config(datasette).get("users_file") or os.environ.get(ENV_USERS)
    return Path(path).expanduser() if path else None


def _cached(path: Path, reader, empty):
    """``reader(path)``, re-read only when the file changes (mtime, size, inode); ``empty`` when unreadable."""
    try:
        st = path.stat()
    except OSError:
        return empty
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _cache.get(str(path))
    if hit and hit[0] == key:
        return hit[1]
    try:
        found = reader(path)
    except (ValueError, OSError):
        found = empty
    _cache[str(path)] = (key, found)
    return found


def users(datasette) -> dict[str, dict]:
    """The configured users, re-read whenever the file changes."""
    path = users_file(datasette)
    return {} if path is None else _cached(path, read_users, {})


def entry_of(datasette, actor: dict | None) -> dict | None:
    """The users-file entry (role, works) of a signed-in translator, else None."""
    if not valid_translator(datasette, actor):
        return None
    return users(datasette).get(str(actor.get("id")))  # type: ignore[union-attr]


# --- signing out: a generation per user, raised on sign-out, part of every cookie's fingerprint ---------

#: Generations raised in this process that could not be written to the sign-out record (read-only folder).
_unsaved_generations: dict[tuple[str, str], int] = {}


def _read_generations(path: Path) -> dict[str, int]:
    data = json.loads(path.read_text("utf-8") or "{}")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a sign-out record")
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def generation(datasette, name: str) -> int:
    """How many times ``name`` has signed out (their cookies from before the last time are void)."""
    path = users_file(datasette)
    if path is None:
        return 0
    record = state.sessions_file(path)
    saved = _cached(record, _read_generations, {}).get(name, 0)
    return max(saved, _unsaved_generations.get((str(record), name), 0))


def revoke_sessions(datasette, name: str) -> bool:
    """End every sign-in of ``name`` (sign-out): raise their generation. Returns whether it was written to
    the sign-out record; if not (a read-only folder), it holds until the server restarts."""
    path = users_file(datasette)
    if path is None:
        return False
    record = state.sessions_file(path)
    new = generation(datasette, name) + 1
    _unsaved_generations[(str(record), name)] = new
    try:
        current = _read_generations(record) if record.exists() else {}
        current[name] = max(new, current.get(name, 0) + 1)
        from ..files import atomic_write

        atomic_write(record, json.dumps(current, indent=1, sort_keys=True) + "\n", private=True)
    except (OSError, ValueError):
        return False
    return True


def fingerprint(datasette, stored_hash: str, gen: int = 0) -> str:
    """A keyed hash of a password hash and a session generation: safe to put in a (signed, readable) cookie."""
    secret = getattr(datasette, "_secret", "") or ""
    message = stored_hash if not gen else f"{stored_hash}|{gen}"
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


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
    name = (name or "").strip()
    return {"id": name, "aligner": fingerprint(datasette, user["hash"], generation(datasette, name))}


def valid_translator(datasette, actor: dict | None) -> bool:
    """Whether ``actor`` signed in through our login and their password has not changed since."""
    if not actor or not isinstance(actor, dict) or "aligner" not in actor:
        return False
    name = str(actor.get("id"))
    entry = users(datasette).get(name)
    if entry is None:
        return False
    return hmac.compare_digest(str(actor["aligner"]), fingerprint(datasette, entry["hash"], generation(datasette, name)))


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
