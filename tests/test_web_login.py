"""Signing translators in and out (aligner.web.login) and what a sign-in is worth after a password change."""

from __future__ import annotations

import pytest

from .helpers import WORK, add_translator, csrf, datasette, post, signed_in

READ = f"/-/read/{WORK}?part=2&with=ru"
EDIT = f"/-/edit/{WORK}/ru/24.1"


@pytest.fixture
def ds(db_path, users, texts):
    return datasette(db_path, users=users, texts=texts)


@pytest.mark.asyncio
async def test_login_page_signs_in_and_out(ds, db_path):
    tok, cookies = await csrf(ds, "/-/aligner-login?next=" + READ.replace("&", "%26").replace("?", "%3F"), {})
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "wrong", "csrftoken": tok}, cookies)
    assert r.status_code == 401 and "Wrong user name or password" in r.text and "ds_actor" not in r.cookies
    r = await post(ds, "/-/aligner-login", {"username": "nobody", "password": "x", "csrftoken": tok}, cookies)
    assert r.status_code == 401
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok,
                                            "next": READ}, cookies)
    assert r.status_code == 302 and r.headers["location"] == READ
    assert "httponly" in r.headers["set-cookie"].lower()
    actor_cookie = r.cookies["ds_actor"]
    signed = {**cookies, "ds_actor": actor_cookie}
    page = (await ds.client.get(READ, cookies=signed)).text
    assert "edit-link" in page and "anna" in page
    # Off-site "next" is ignored.
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok,
                                            "next": "//evil.example/"}, cookies)
    assert r.headers["location"] == "/-/works"
    # Without the CSRF token: refused.
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse"}, {})
    assert r.status_code == 403
    # Sign out.
    r = await ds.client.get("/-/aligner-logout", cookies=signed)
    assert r.status_code == 200 and "Sign out" in r.text
    r = await post(ds, "/-/aligner-logout", {"csrftoken": tok}, signed)
    assert r.status_code == 302 and 'ds_actor=""' in r.headers["set-cookie"]


@pytest.mark.asyncio
async def test_password_change_or_removal_revokes_editing(ds, users):
    cookies = signed_in(ds, "anna")
    assert "edit-link" in (await ds.client.get(READ, cookies=cookies)).text
    add_translator(users, "anna", "a new password")
    r = await ds.client.get(READ, cookies=cookies)
    assert r.status_code == 200 and "edit-link" not in r.text
    assert (await ds.client.get(EDIT, cookies=cookies)).status_code == 403


@pytest.mark.asyncio
async def test_users_file_from_environment(db_path, tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    add_translator(path, "vera", "pw")
    monkeypatch.setenv("ALIGNER_USERS", str(path))
    ds = datasette(db_path)
    assert "edit-link" in (await ds.client.get(READ, cookies=signed_in(ds, "vera"))).text
    monkeypatch.delenv("ALIGNER_USERS")
    ds = datasette(db_path)
    r = await ds.client.get("/-/aligner-login")
    assert "Sign-in is not set up" in r.text


@pytest.mark.asyncio
async def test_immutable_database_has_no_editing(db_path, users):
    ds = datasette(db_path, users=users, immutable=True)
    cookies = signed_in(ds, "anna")
    r = await ds.client.get(READ, cookies=cookies)
    assert r.status_code == 200 and "edit-link" not in r.text


TAB_NEXT = "/\t/127.0.0.1:18432/"


@pytest.mark.asyncio
@pytest.mark.parametrize("next_value", [TAB_NEXT, "/\r/x", "/\\evil.example/"])
async def test_login_and_logout_never_leave_the_site(ds, next_value):
    from urllib.parse import quote

    tok, cookies = await csrf(ds, "/-/aligner-login?next=" + quote(next_value, safe=""), {})
    page = (await ds.client.get("/-/aligner-login?next=" + quote(next_value, safe=""), cookies=cookies)).text
    assert 'name="next" value="/-/works"' in page
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok,
                                            "next": next_value}, cookies)
    assert r.status_code == 302 and r.headers["location"] == "/-/works"
    signed = {**cookies, "ds_actor": r.cookies["ds_actor"]}
    r = await post(ds, "/-/aligner-logout", {"csrftoken": tok, "next": next_value}, signed)
    assert r.status_code == 302 and r.headers["location"] == "/-/works"


@pytest.mark.asyncio
async def test_a_cross_site_logout_form_changes_nothing(ds):
    # A page elsewhere auto-submits a form: SameSite=Lax keeps the cookies home, so it arrives with none.
    r = await ds.client.post("/-/aligner-logout", data={"next": "/-/works"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    cookies = signed_in(ds, "anna")
    r = await ds.client.post("/-/aligner-logout", data={}, cookies=cookies)  # no token at all
    assert r.status_code == 403
    assert "edit-link" in (await ds.client.get(READ, cookies=cookies)).text


@pytest.mark.asyncio
async def test_logout_ends_the_session_on_the_server(ds, users):
    saved = signed_in(ds, "anna")
    other_browser = signed_in(ds, "anna")
    boris = signed_in(ds, "boris")
    tok, cookies = await csrf(ds, "/-/aligner-logout", saved)
    r = await post(ds, "/-/aligner-logout", {"csrftoken": tok}, cookies)
    assert r.status_code == 302
    # A copy of the cookie taken before signing out no longer edits, anywhere.
    for jar in (saved, other_browser):
        assert "edit-link" not in (await ds.client.get(READ, cookies=jar)).text
        assert (await ds.client.get(EDIT, cookies=jar)).status_code == 403
    assert "edit-link" in (await ds.client.get(READ, cookies=boris)).text
    # The sign-out is recorded beside the users file, so a restarted server keeps it.
    from aligner import state
    from aligner.web import auth

    assert state.sessions_file(users).exists()
    auth._unsaved_generations.clear()  # what a restart forgets
    assert (await ds.client.get(EDIT, cookies=saved)).status_code == 403
    # Signing in again works.
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    r = await post(ds, "/-/aligner-login", {"username": "anna", "password": "correct horse", "csrftoken": tok}, cookies)
    assert "edit-link" in (await ds.client.get(READ, cookies={**cookies, "ds_actor": r.cookies["ds_actor"]})).text


@pytest.mark.asyncio
async def test_datasettes_own_logout_ends_the_session_too(ds):
    saved = signed_in(ds, "anna")
    page = (await ds.client.get(READ, cookies=saved)).text
    assert 'action="/-/logout"' in page  # Datasette's menu offers it
    tok, cookies = await csrf(ds, READ, saved)
    r = await post(ds, "/-/logout", {"csrftoken": tok}, cookies)
    assert r.status_code == 302
    assert (await ds.client.get(EDIT, cookies=saved)).status_code == 403


def test_a_cr_in_next_does_not_make_the_real_server_drop_the_connection(db_path, users, texts):
    """Under uvicorn (not the in-process client): a CR that reached the Location header made h11 refuse
    the response and drop the connection."""
    import asyncio
    import http.client
    import re
    import threading
    from urllib.parse import urlencode

    import uvicorn

    ds = datasette(db_path, users=users, texts=texts)
    server = uvicorn.Server(uvicorn.Config(ds.app(), host="127.0.0.1", port=0, log_level="error", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.request("GET", "/-/aligner-login?next=/%0D/x")
        r = conn.getresponse()
        page = r.read().decode()
        cookie = r.getheader("set-cookie").split(";")[0]
        tok = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
        next_value = re.search(r'name="next" value="([^"]*)"', page).group(1)
        body = urlencode({"username": "anna", "password": "correct horse", "csrftoken": tok, "next": next_value})
        conn.request("POST", "/-/aligner-login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        r = conn.getresponse()  # http.client.RemoteDisconnected here when the server drops it
        r.read()
        assert r.status == 302 and r.getheader("location") == "/-/works"
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
