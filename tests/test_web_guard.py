"""What keeps a hostile visitor out (aligner.web.guard): body limits, security headers, Secure cookies,
sign-in throttling."""

from __future__ import annotations

import logging

import pytest

from aligner.web import guard

from .helpers import WORK, csrf, datasette, post, signed_in

READ = f"/-/read/{WORK}?part=2&with=ru"


@pytest.fixture
def ds(db_path, users, texts):
    return datasette(db_path, users=users, texts=texts)


# -- request bodies ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_large_body_is_refused_with_413_before_it_is_read(ds):
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    big = "x" * (guard.MAX_BODY_BYTES + 1)
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": big, "csrftoken": tok}, cookies)
    assert r.status_code == 413 and "too large" in r.text
    assert "ds_actor" not in r.cookies


@pytest.mark.asyncio
async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(ds):
    sent = 0

    async def chunks():
        nonlocal sent
        for _ in range(64):  # 4 MB offered in 64 KB pieces
            sent += 1
            yield b"password=" + b"x" * 65536

    r = await ds.client.post("/-/aligner-login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert sent <= guard.MAX_BODY_BYTES // 65536 + 2  # it stopped reading at the limit


@pytest.mark.asyncio
async def test_the_limit_is_configurable(db_path, users, texts):
    from datasette.app import Datasette

    from aligner.web import ensure_registered

    ensure_registered()
    ds = Datasette([str(db_path)], metadata={"plugins": {"aligner": {"users_file": str(users), "max_body_bytes": 100}}})
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "x" * 200, "csrftoken": tok}, cookies)
    assert r.status_code == 413


# -- headers and cookies -------------------------------------------------------------


@pytest.mark.asyncio
async def test_security_headers_on_plugin_pages_and_datasette_pages(ds):
    for path in (READ, f"/-/edit/{WORK}/ru/24.1", "/-/aligner-login", "/-/works.json"):
        r = await ds.client.get(path, cookies=signed_in(ds, "anna"))
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'self'" in csp
    r = await ds.client.get("/corpus")  # Datasette's own page: no framing either (its inline scripts stay)
    assert r.headers["x-frame-options"] == "DENY" and r.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "strict-transport-security" not in r.headers


@pytest.mark.asyncio
async def test_secure_cookies_behind_https(db_path, users, monkeypatch):
    monkeypatch.setenv(guard.ENV_SECURE, "1")
    ds = datasette(db_path, users=users)
    r = await ds.client.get("/-/aligner-login")
    assert "; Secure" in r.headers["set-cookie"]  # Datasette's CSRF cookie
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok}, cookies)
    actor = [v for v in r.headers.get_list("set-cookie") if v.startswith("ds_actor=")]
    assert actor and all("; Secure" in v for v in r.headers.get_list("set-cookie"))
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_serve_secure_cookies_option(db_path, monkeypatch):
    import os

    from click.testing import CliRunner

    from aligner.cli import cli

    seen = {}
    monkeypatch.setattr(os, "execve", lambda exe, args, env: seen.update(env=env))
    monkeypatch.setenv("DATASETTE_SECRET", "x")
    assert CliRunner().invoke(cli, ["serve", str(db_path), "--secure-cookies"]).exit_code == 0
    assert seen["env"][guard.ENV_SECURE] == "1"


# -- sign-in throttling --------------------------------------------------------------


@pytest.mark.asyncio
async def test_wrong_passwords_for_one_user_are_throttled_and_logged(ds, caplog):
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    with caplog.at_level(logging.WARNING, logger="aligner.login"):
        for _ in range(guard.USER_FAILURES):
            r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "guess", "csrftoken": tok}, cookies)
            assert r.status_code == 401
    assert sum("failed sign-in for 'anna'" in m for m in caplog.messages) == guard.USER_FAILURES
    # Now even the right password is refused for a while; another user is not affected.
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok}, cookies)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text and "ds_actor" not in r.cookies
    r = await post(ds, "/-/aligner-login", {"username": "boris", "password": "another secret", "csrftoken": tok},
                   cookies)
    assert r.status_code == 302


@pytest.mark.asyncio
async def test_one_client_trying_many_names_is_throttled(ds):
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    for i in range(guard.CLIENT_FAILURES):
        r = await post(ds, "/-/aligner-login", {"username": f"u{i}", "password": "x", "csrftoken": tok}, cookies)
        assert r.status_code == 401
    r = await post(ds, "/-/aligner-login", {"username": "boris", "password": "another secret", "csrftoken": tok},
                   cookies)
    assert r.status_code == 429


def test_throttle_window_and_bounded_memory():
    now = [0.0]
    t = guard.Throttle(3, 60, capacity=100, clock=lambda: now[0])
    for _ in range(3):
        assert t.retry_after("a") == 0
        t.failed("a")
    assert t.retry_after("a") == 60
    now[0] = 30
    assert t.retry_after("a") == 30
    now[0] = 61
    assert t.retry_after("a") == 0
    for i in range(1000):
        t.failed(f"k{i}")
    assert len(t._failures) == 100


@pytest.mark.asyncio
async def test_signing_in_to_ones_own_account_does_not_reset_the_clients_count(ds):
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    for i in range(guard.CLIENT_FAILURES - 1):
        await post(ds, "/-/aligner-login", {"username": f"u{i}", "password": "x", "csrftoken": tok}, cookies)
    r = await post(ds, "/-/aligner-login", {"username": "boris", "password": "another secret", "csrftoken": tok},
                   cookies)
    assert r.status_code == 302
    await post(ds, "/-/aligner-login", {"username": "u", "password": "x", "csrftoken": tok}, cookies)
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok},
                   cookies)
    assert r.status_code == 429

