"""Roles per work (aligner.roles): admin, supervisor, editor, enforced on the editor's save."""

from __future__ import annotations

import re

import pytest

from aligner.corpus import Store
from aligner import roles
from aligner.web import auth

from .helpers import FAST, RU_25, WORK, csrf, datasette, post, signed_in

EDIT = f"/-/edit/{WORK}/ru/26.1"
CONFIRMED = f"/-/edit/{WORK}/ru/25.1"  # confirmed by anna in the edited_db fixture
READ = f"/-/read/{WORK}?part=2&with=ru"


def test_what_each_role_may_do():
    admin = {"role": "admin", "works": []}
    sup = {"role": "supervisor", "works": []}
    sup_one = {"role": "supervisor", "works": ["a"]}
    ed = {"role": "editor", "works": ["a"]}
    ed_none = {"role": "editor", "works": []}
    for action in roles.ACTIONS:
        assert roles.may(admin, action, "b") and roles.may(sup, action, "b") and roles.may(sup_one, action, "a")
        assert not roles.may(sup_one, action, "b")
    assert roles.may(ed, roles.EDIT, "a") and not roles.may(ed, roles.EDIT, "b")
    assert not roles.may(ed, roles.CONFIRM, "a") and not roles.may(ed, roles.REALIGN, "a")
    assert not any(roles.may(ed_none, a, "a") for a in roles.ACTIONS)
    assert not roles.may(None, roles.EDIT, "a") and not roles.may({"role": "guest"}, roles.EDIT, "a")
    assert roles.refusal(ed, "a", "draft", "auto") is None
    assert "supervisor may confirm" in roles.refusal(ed, "a", "confirmed", "draft")
    assert "confirmed by a supervisor" in roles.refusal(ed, "a", "draft", "confirmed")
    assert "not as a translator who may edit this work" in roles.refusal(ed, "b", "draft", "draft")
    assert roles.refusal(sup, "b", "draft", "confirmed") is None


def test_users_file_keeps_roles_and_old_entries_are_admins(tmp_path):
    path = tmp_path / "users.json"
    auth.add_user(path, "old", "pw", iterations=FAST)
    auth.add_user(path, "vera", "pw", iterations=FAST, role="editor", works=["w2", "w1", "w1"])
    users = auth.read_users(path)
    assert (users["old"]["role"], users["old"]["works"]) == ("admin", [])
    assert (users["vera"]["role"], users["vera"]["works"]) == ("editor", ["w1", "w2"])
    auth.add_user(path, "vera", "new password", iterations=FAST)  # a password change keeps the role
    assert auth.read_users(path)["vera"]["role"] == "editor"
    assert auth.set_role(path, "vera", add_works=["w3"], remove_works=["w1"])["works"] == ["w2", "w3"]
    assert auth.set_role(path, "old", role="supervisor")["role"] == "supervisor"
    with pytest.raises(ValueError, match="role must be one of"):
        auth.set_role(path, "vera", role="root")
    with pytest.raises(ValueError, match="no user"):
        auth.set_role(path, "nobody", role="editor")
    path.write_text('{"x": {"hash": "h", "role": "king"}}')
    with pytest.raises(ValueError, match="unknown role 'king'"):
        auth.read_users(path)


@pytest.fixture
def ds(edited_db, tmp_path, texts):
    path = tmp_path / "roles" / "users.json"
    auth.add_user(path, "ada", "pw", iterations=FAST)  # no role: admin
    auth.add_user(path, "sam", "pw", iterations=FAST, role="supervisor")
    auth.add_user(path, "eve", "pw", iterations=FAST, role="editor", works=[WORK])
    auth.add_user(path, "ole", "pw", iterations=FAST, role="editor", works=["another-work"])
    return datasette(edited_db, users=path, texts=texts)


async def _save(ds, who, url, text, status):
    cookies = signed_in(ds, who)
    tok, cookies = await csrf(ds, url, cookies)
    form = (await ds.client.get(url, cookies=cookies)).text
    token = re.search(r'name="token" value="(\w+)"', form).group(1)
    return await post(ds, url, {"text": text, "status": status, "token": token, "csrftoken": tok}, cookies,
                      headers={"Accept": "application/json"})


@pytest.mark.asyncio
async def test_an_editor_of_another_work_cannot_edit_this_one(ds, edited_db):
    cookies = signed_in(ds, "ole")
    assert "edit-link" not in (await ds.client.get(READ, cookies=cookies)).text
    assert (await ds.client.get(EDIT, cookies=cookies)).status_code == 403
    token = Store(edited_db).slot(WORK, "ru", "26.1").token
    tok, cookies = await csrf(ds, "/-/aligner-login", cookies)
    r = await post(ds, EDIT, {"text": "x", "status": "draft", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 403
    assert Store(edited_db).slot(WORK, "ru", "26.1").text != "x"


@pytest.mark.asyncio
async def test_an_editor_saves_drafts_but_neither_confirms_nor_changes_a_confirmed_slot(ds, edited_db):
    form = (await ds.client.get(EDIT, cookies=signed_in(ds, "eve"))).text
    assert 'value="draft"' in form and 'value="confirmed"' not in form
    r = await _save(ds, "eve", EDIT, "Черновик.", "draft")
    assert r.status_code == 200 and r.json()["slot"]["status"] == "draft"
    r = await _save(ds, "eve", EDIT, "Черновик.", "confirmed")
    assert r.status_code == 403 and "supervisor may confirm" in r.json()["error"]
    r = await _save(ds, "eve", CONFIRMED, "Иначе.", "draft")
    assert r.status_code == 403 and "confirmed by a supervisor" in r.json()["error"]
    slot = Store(edited_db).slot(WORK, "ru", "25.1")
    assert (slot.text, slot.status) == (RU_25, "confirmed")
    assert [h["actor"] for h in Store(edited_db).history(WORK, key="ru", ref="26.1")][-1] == "eve"


@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["sam", "ada"])
async def test_supervisors_and_admins_confirm_and_change_confirmed_slots(ds, edited_db, who):
    form = (await ds.client.get(EDIT, cookies=signed_in(ds, who))).text
    assert 'value="confirmed"' in form
    r = await _save(ds, who, EDIT, "Проверено.", "confirmed")
    assert r.status_code == 200 and r.json()["slot"]["status"] == "confirmed"
    r = await _save(ds, who, CONFIRMED, "Иначе.", "draft")
    assert r.status_code == 200
    assert Store(edited_db).slot(WORK, "ru", "25.1").text == "Иначе."


@pytest.mark.asyncio
async def test_a_change_of_role_takes_effect_at_once(ds):
    path = auth.users_file(ds)
    cookies = signed_in(ds, "eve")
    assert (await ds.client.get(EDIT, cookies=cookies)).status_code == 200
    auth.set_role(path, "eve", works=["another-work"])
    assert (await ds.client.get(EDIT, cookies=cookies)).status_code == 403
