"""Where private state lives (aligner.state): never beside the database, never under texts/."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from aligner import state
from aligner.cli import cli


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("ALIGNER_USERS", "ALIGNER_SECRET_FILE", "DATASETTE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "aligner"


def test_the_secret_is_made_once_in_the_config_folder_readable_by_its_owner(config):
    first = state.stable_secret()
    assert state.secret_file() == config / "secret" and state.stable_secret() == first and len(first) == 64
    assert stat.S_IMODE(os.stat(config / "secret").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o700


def test_environment_overrides(config, tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNER_SECRET_FILE", str(tmp_path / "s"))
    monkeypatch.setenv("ALIGNER_USERS", str(tmp_path / "u.toml"))
    assert state.secret_file() == tmp_path / "s" and state.users_file() == tmp_path / "u.toml"
    assert state.sessions_file(state.users_file()) == tmp_path / "u.sessions.json"


def test_serve_keeps_the_secret_out_of_the_database_folder(config, db_path, monkeypatch):
    seen = {}

    def fake_execve(exe, args, env):
        seen.update(env=env, args=args)

    monkeypatch.setattr(os, "execve", fake_execve)
    r = CliRunner().invoke(cli, ["serve", str(db_path)])
    assert r.exit_code == 0, r.output
    assert seen["env"]["DATASETTE_SECRET"] == (config / "secret").read_text()
    assert seen["env"]["ALIGNER_USERS"] == str(config / "users.json")
    assert not (db_path.parent / ".datasette-secret").exists()
    monkeypatch.setenv("DATASETTE_SECRET", "given")
    CliRunner().invoke(cli, ["serve", str(db_path)])
    assert seen["env"]["DATASETTE_SECRET"] == "given"
