"""Editing in the browser (aligner.web.edit): permissions, CSRF, conflicts, history, the text-file record."""

from __future__ import annotations

import json
import re

import pytest

from aligner.corpus import Store
from aligner.web.edit import bidi_controls

from .helpers import HOSTILE, WORK, csrf, datasette, post, signed_in

RU = "Неужели нет никого около Вас?"
EDIT = f"/-/edit/{WORK}/ru/24.1"
READ = f"/-/read/{WORK}?part=2&with=ru"


@pytest.fixture
def ds(db_path, users, texts):
    return datasette(db_path, users=users, texts=texts)


# -- anonymous ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_anonymous_sees_no_edit_controls_and_cannot_write(ds, db_path):
    r = await ds.client.get(READ)
    assert "edit-link" not in r.text and "/-/edit/" not in r.text
    r = await ds.client.get(EDIT)
    assert r.status_code == 403 and "Sign in" in r.text
    # No cookies at all: asgi-csrf lets it through, the endpoint refuses.
    token = Store(db_path).slot(WORK, "ru", "24.1").token
    r = await ds.client.post(EDIT, data={"text": "x", "status": "draft", "token": token})
    assert r.status_code == 403
    r = await ds.client.post(EDIT, data={"text": "x", "status": "draft", "token": token},
                             headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["ok"] is False
    # Cookies but no sign-in: CSRF first, then the permission check.
    tok, cookies = await csrf(ds, "/-/aligner-login", {})
    r = await post(ds, EDIT, {"text": "x", "status": "draft", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 403
    assert Store(db_path).slot(WORK, "ru", "24.1").status == "empty"
    assert Store(db_path).history(WORK, key="ru") == []


@pytest.mark.asyncio
async def test_someone_not_in_the_users_file_cannot_edit(ds):
    cookies = {"ds_actor": ds.sign({"a": {"id": "root"}}, "actor")}
    r = await ds.client.get(READ, cookies=cookies)
    assert "edit-link" not in r.text
    r = await ds.client.get(EDIT, cookies=cookies)
    assert r.status_code == 403 and "not as a translator" in r.text


# -- signed in ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_translator_edits_a_slot_through_the_form(ds, db_path, texts):
    cookies = signed_in(ds, "anna")
    r = await ds.client.get(READ, cookies=cookies)
    assert r.status_code == 200 and 'data-editor="1"' in r.text and "aligner.js" in r.text
    assert f'href="/-/edit/{WORK}/ru/24.1?next=' in r.text
    assert "no-store" in r.headers.get("cache-control", "")
    tok, cookies = await csrf(ds, EDIT + "?next=/-/read/" + WORK + "%3Fpart%3D2", cookies)
    form = (await ds.client.get(EDIT, cookies=cookies)).text
    token = re.search(r'name="token" value="(\w+)"', form).group(1)
    assert 'name="csrftoken"' in form and "Is there really no one around you" in form
    r = await post(ds, EDIT, {"text": RU, "status": "draft", "token": token, "csrftoken": tok,
                              "next": f"/-/read/{WORK}?part=2&with=ru"}, cookies)
    assert r.status_code == 302
    assert r.headers["location"] == f"/-/read/{WORK}?part=2&with=ru#s-24.1"
    slot = Store(db_path).slot(WORK, "ru", "24.1")
    assert (slot.text, slot.status, slot.actor) == (RU, "draft", "anna")
    history = Store(db_path).history(WORK, ref="24.1", key="ru")
    assert [(h["actor"], h["channel"], h["new_text"]) for h in history] == [("anna", "web", RU)]
    # The message and the new text on the page we come back to.
    r = await ds.client.get(r.headers["location"].split("#")[0], cookies={**cookies, **r.cookies})
    assert RU in r.text and "Saved ru 24.1 (draft)" in r.text
    # The text-file record was written.
    slots = (texts / WORK / "ru.slots.jsonl").read_text("utf-8")
    hist = [json.loads(line) for line in (texts / WORK / "ru.history.jsonl").read_text("utf-8").splitlines()]
    assert RU in slots and hist[-1]["by"] == "anna" and hist[-1]["via"] == "web"
    # And it shows in the history pages.
    t = (await ds.client.get(f"/-/history/{WORK}?key=ru&ref=24.1")).text
    assert RU in t and "via web" in t
    t = (await ds.client.get(EDIT, cookies=cookies)).text
    assert "History of this slot" in t and RU in t


@pytest.mark.asyncio
async def test_json_save_for_the_inline_editor(ds, db_path):
    cookies = signed_in(ds, "boris")
    tok, cookies = await csrf(ds, READ, cookies)
    page = (await ds.client.get(READ, cookies=cookies)).text
    assert f'data-csrftoken="{tok}"' in page
    token = re.search(r'data-address="24\.1" data-token="(\w+)"', page).group(1)
    r = await post(ds, EDIT, {"text": RU, "status": "confirmed", "token": token, "csrftoken": tok}, cookies,
                   headers={"Accept": "application/json", "X-CSRFToken": tok})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ok"] and data["slot"]["text"] == RU and data["slot"]["status"] == "confirmed"
    assert data["revision"] and data["dumped"]
    # The token it returns is good for the next save; the old one is not.
    r = await post(ds, EDIT + "?_json=1", {"text": RU + "!", "status": "draft", "token": data["slot"]["token"],
                                           "csrftoken": tok}, cookies)
    assert r.status_code == 200 and r.json()["slot"]["text"] == RU + "!"
    r = await post(ds, EDIT + "?_json=1", {"text": "stale", "status": "draft", "token": token, "csrftoken": tok},
                   cookies)
    assert r.status_code == 409
    data = r.json()
    assert data["conflict"] and data["theirs"]["text"] == RU + "!" and data["yours"]["text"] == "stale"
    assert data["theirs"]["actor"] == "boris"
    assert Store(db_path).slot(WORK, "ru", "24.1").text == RU + "!"


@pytest.mark.asyncio
async def test_stale_token_is_a_conflict_showing_both_texts(ds, db_path):
    anna = signed_in(ds, "anna")
    tok, anna = await csrf(ds, EDIT, anna)
    old_token = re.search(r'name="token" value="(\w+)"', (await ds.client.get(EDIT, cookies=anna)).text).group(1)
    # Someone else saves first (through the command line, say).
    Store(db_path).set_slot(WORK, "ru", "24.1", "Их перевод.", "draft", actor="boris", channel="cli")
    r = await post(ds, EDIT, {"text": "Мой перевод.", "status": "confirmed", "token": old_token, "csrftoken": tok}, anna)
    assert r.status_code == 409
    assert "Их перевод." in r.text and "Мой перевод." in r.text and "Save mine anyway" in r.text
    assert "boris" in r.text
    assert Store(db_path).slot(WORK, "ru", "24.1").text == "Их перевод."
    # Saving again from the conflict page is a deliberate overwrite.
    new_token = re.search(r'name="token" value="(\w+)"', r.text).group(1)
    assert new_token != old_token
    r = await post(ds, EDIT, {"text": "Мой перевод.", "status": "confirmed", "token": new_token, "csrftoken": tok}, anna)
    assert r.status_code == 302
    assert Store(db_path).slot(WORK, "ru", "24.1").text == "Мой перевод."


@pytest.mark.asyncio
async def test_csrf_is_enforced(ds, db_path):
    cookies = signed_in(ds, "anna")
    token = Store(db_path).slot(WORK, "ru", "24.1").token
    data = {"text": "x", "status": "draft", "token": token}
    tok, with_csrf = await csrf(ds, EDIT, cookies)
    # Missing token, wrong token, a token from another cookie: all refused by Datasette's asgi-csrf.
    for form, jar in ((data, with_csrf), ({**data, "csrftoken": "wrong"}, with_csrf),
                      ({**data, "csrftoken": tok}, cookies)):
        r = await post(ds, EDIT, form, jar)
        assert r.status_code == 403 and "POST field did not match cookie" in r.text, r.text[:200]
    r = await post(ds, EDIT, {**data, "csrftoken": tok}, {**cookies, "ds_csrftoken": "forged"})
    assert r.status_code == 403
    assert Store(db_path).history(WORK, key="ru") == []


@pytest.mark.asyncio
async def test_bad_input_is_a_400_not_a_write(ds, db_path):
    cookies = signed_in(ds, "anna")
    tok, cookies = await csrf(ds, EDIT, cookies)
    token = Store(db_path).slot(WORK, "ru", "24.1").token
    for form in ({"text": "x", "status": "auto", "token": token}, {"text": "x", "status": "draft"}):
        r = await post(ds, EDIT, {**form, "csrftoken": tok}, cookies)
        assert r.status_code == 400
    r = await post(ds, f"/-/edit/{WORK}/ru/999.9", {"text": "x", "status": "draft", "token": token, "csrftoken": tok},
                   cookies)
    assert r.status_code in (400, 404)
    r = await ds.client.get(f"/-/edit/{WORK}/en/24.1", cookies=cookies)
    assert r.status_code == 404
    assert Store(db_path).history(WORK, key="ru") == []


@pytest.mark.asyncio
async def test_clearing_and_recutting_a_slot(ds, db_path):
    cookies = signed_in(ds, "anna")
    Store(db_path).set_slot(WORK, "ru", "24.1-24.2", RU, "draft", actor="anna")
    # The address of one sentence of a joined slot leads to the slot itself.
    r = await ds.client.get(EDIT, cookies=cookies)
    assert r.status_code == 302 and r.headers["location"] == f"/-/edit/{WORK}/ru/24.1-24.2"
    # Re-cutting: pick a span, edit exactly that.
    r = await ds.client.get(f"/-/edit/{WORK}/ru/24.1-24.2?from=24.1&to=24.1", cookies=cookies)
    assert r.status_code == 302 and r.headers["location"].startswith(f"/-/edit/{WORK}/ru/24.1?span=1")
    tok, cookies = await csrf(ds, f"/-/edit/{WORK}/ru/24.1?span=1", cookies)
    page = (await ds.client.get(f"/-/edit/{WORK}/ru/24.1?span=1", cookies=cookies)).text
    assert "cut differently" in page
    token = re.search(r'name="token" value="(\w+)"', page).group(1)
    r = await post(ds, f"/-/edit/{WORK}/ru/24.1", {"text": "Только первое.", "status": "draft", "token": token,
                                                   "csrftoken": tok}, cookies)
    assert r.status_code == 302
    store = Store(db_path)
    assert store.slot(WORK, "ru", "24.1").text == "Только первое."
    assert store.slot(WORK, "ru", "24.2").status == "empty"
    # Status empty clears the text.
    token = store.slot(WORK, "ru", "24.1").token
    r = await post(ds, EDIT, {"text": "ignored", "status": "empty", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 302 and Store(db_path).slot(WORK, "ru", "24.1").status == "empty"


@pytest.mark.asyncio
async def test_hostile_text_round_trips_escaped(ds, db_path):
    cookies = signed_in(ds, "anna")
    tok, cookies = await csrf(ds, EDIT, cookies)
    token = Store(db_path).slot(WORK, "ru", "24.1").token
    r = await post(ds, EDIT, {"text": HOSTILE, "status": "draft", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 302
    assert Store(db_path).slot(WORK, "ru", "24.1").text == HOSTILE
    for path in (READ, EDIT, f"/-/history/{WORK}"):
        t = (await ds.client.get(path, cookies=cookies)).text
        assert "<script>alert" not in t and "&lt;script&gt;alert(1)&lt;/script&gt;" in t, path
        assert "&#34;quotes&#39;" in t and "\"quotes'" not in t, path
    t = (await ds.client.get(EDIT, cookies=cookies)).text
    assert "invisible direction controls (U+202E, U+202C)" in t
    # A conflict page shows both hostile texts escaped too.
    r = await post(ds, EDIT, {"text": HOSTILE + "2", "status": "draft", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 409 and "<script>alert" not in r.text


def test_bidi_controls_are_named_once_each():
    assert bidi_controls("a\u202eb\u202cc\u202e") == ["U+202E", "U+202C"]
    assert bidi_controls("plain") == [] and bidi_controls(None) == []


@pytest.mark.asyncio
async def test_save_and_cancel_never_leave_the_site(ds, db_path):
    cookies = signed_in(ds, "anna")
    tok, cookies = await csrf(ds, EDIT + "?next=%2F%09%2Fevil.example%2F", cookies)
    form = (await ds.client.get(EDIT + "?next=%2F%09%2Fevil.example%2F", cookies=cookies)).text
    cancel = re.search(r'<a class="cancel" href="([^"]*)"', form).group(1)
    assert cancel == f"/-/read/{WORK}?part=2&amp;with=ru#s-24.1"
    token = re.search(r'name="token" value="(\w+)"', form).group(1)
    r = await post(ds, EDIT, {"text": RU, "status": "draft", "token": token, "csrftoken": tok,
                              "next": "/\t/evil.example/"}, cookies)
    assert r.status_code == 302 and r.headers["location"] == f"/-/read/{WORK}?part=2&with=ru#s-24.1"


@pytest.mark.asyncio
async def test_text_typed_into_an_empty_slot_is_never_dropped(ds, db_path):
    cookies = signed_in(ds, "anna")
    empty = f"/-/edit/{WORK}/ru/2.1"
    tok, cookies = await csrf(ds, empty, cookies)
    form = (await ds.client.get(empty, cookies=cookies)).text
    checked = re.findall(r'name="status" value="(\w+)" checked', form)
    assert checked == ["draft"]
    token = re.search(r'name="token" value="(\w+)"', form).group(1)
    # Even with "empty" still chosen (as the form used to pre-select), the typed text is saved as a draft.
    r = await post(ds, empty, {"text": "Два письма", "status": "empty", "token": token, "csrftoken": tok}, cookies)
    assert r.status_code == 302
    slot = Store(db_path).slot(WORK, "ru", "2.1")
    assert (slot.text, slot.status) == ("Два письма", "draft")
