"""The users file and password hashes (aligner.web.auth)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from aligner.web import auth


def test_hash_password_is_salted_and_verifies():
    a, b = auth.hash_password("secret", iterations=1000), auth.hash_password("secret", iterations=1000)
    assert a != b and a.startswith("pbkdf2_sha256$1000$")
    assert auth.verify_password("secret", a) and not auth.verify_password("Secret", a)
    assert not auth.verify_password("secret", "garbage") and not auth.verify_password("secret", "md5$1$x$y")
    assert auth.hash_password("pw").startswith(f"pbkdf2_sha256${auth.ITERATIONS}$")
    with pytest.raises(ValueError):
        auth.hash_password("")


@pytest.mark.parametrize("name", ["users.json", "users.toml"])
def test_add_user_creates_a_private_file_and_keeps_others(tmp_path, name):
    path = tmp_path / name
    auth.add_user(path, "anna", "one", iterations=1000)
    auth.add_user(path, "boris", "two", iterations=1000)
    auth.add_user(path, "anna", "three", iterations=1000)
    users = auth.read_users(path)
    assert set(users) == {"anna", "boris"}
    assert auth.verify_password("three", users["anna"]["hash"]) and auth.verify_password("two", users["boris"]["hash"])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text("utf-8")
    assert "three" not in text and ("anna = " in text if name.endswith(".toml") else '"anna": ' in text)
    with pytest.raises(ValueError):
        auth.add_user(path, "with space", "x")


def test_read_users_accepts_tables_and_rejects_junk(tmp_path):
    path = tmp_path / "u.json"
    path.write_text(json.dumps({"anna": {"hash": auth.hash_password("x", iterations=1000), "name": "Anna K."}}))
    assert auth.read_users(path)["anna"]["name"] == "Anna K."
    path.write_text("[1, 2]")
    with pytest.raises(ValueError):
        auth.read_users(path)
    path.write_text('{"anna": 5}')
    with pytest.raises(ValueError):
        auth.read_users(path)
    assert auth.read_users(tmp_path / "missing.json") == {}
