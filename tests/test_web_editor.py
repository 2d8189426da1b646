"""The row editor on the reading page (aligner.web.editor): each operation through the one POST endpoint."""

from __future__ import annotations

import re

import pytest

from aligner.corpus import Store, queries

from .helpers import WORK, csrf, datasette, misalign, post, signed_in
from .test_corpus_links import row_of, rows

READ = f"/-/read/{WORK}?part=2&with=ru"
OP = f"/-/op/{WORK}/ru"
JSON = {"Accept": "application/json"}
RU_TITLE = "О заложниках: Письмо В. И. Ленину"

pytestmark = pytest.mark.asyncio


@pytest.fixture
def site(ru_store, users, texts):
    """The seed with its Russian opening (auto-aligned), a Datasette that dumps to ``texts``, anna signed in."""
    ds = datasette(queries.database_file(ru_store.db.conn), users=users, texts=texts)
    return ds, ru_store


async def page_and_cookies(ds):
    tok, cookies = await csrf(ds, READ, signed_in(ds, "anna"))
    page = (await ds.client.get(READ, cookies=cookies)).text
    return page, tok, cookies


def token_of(page: str, row: str) -> str:
    return re.search(rf'data-token="(\w+)" data-status="\w+"\s+data-row="{re.escape(row)}"', page).group(1)


async def op(ds, page, tok, cookies, name, row, *, json=True, **fields):
    data = {"op": name, "row": row, "token": token_of(page, row), "csrftoken": tok, "next": READ, **fields}
    return await post(ds, OP, data, cookies, headers=JSON if json else {})


def fresh(store) -> Store:
    return Store(queries.database_file(store.db.conn))


async def test_every_row_has_the_operations_for_a_translator_only(site):
    ds, _ = site
    anonymous = (await ds.client.get(READ)).text
    assert "form class=\"ops\"" not in anonymous and "editor.js" not in anonymous
    page, _, _ = await page_and_cookies(ds)
    assert "editor.js" in page and 'class="editor-bar"' in page
    forms = re.findall(r'<form class="ops" method="post" action="([^"]+)">\s*<input[^>]*><input type="hidden" '
                       r'name="row" value="([^"]+)">', page)
    assert {a for a, _ in forms} == {OP}
    # 24.1-24.2 is one row; the title, which the English lacks, is a leftover row of its own after 21.1
    assert [r for _, r in forms][:6] == ["21.1", "ru:1.1", "22.1", "23.1", "24.1", "25.1"]
    for name in ("confirm", "confirm-through", "move-up", "move-down", "shift-up", "shift-down", "merge", "detach"):
        assert f'value="{name}"' in page
    assert 'name="op" value="undo"' in page


async def test_confirm_answers_with_the_rows_re_rendered(site):
    ds, store = site
    page, tok, cookies = await page_and_cookies(ds)
    r = await op(ds, page, tok, cookies, "confirm", "22.1")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ok"] and data["focus"] == "22.1" and data["revision"]
    assert re.search(r'st-confirmed"[^>]*\s+lang="ru"[^>]*[^<]*data-row="22.1"', data["html"].replace("\n", " "))
    assert row_of(fresh(store), "22.1") == (["22.1"], ["2.1"], "confirmed")
    rev = fresh(store).revision(data["revision"])
    assert (rev["actor"], rev["channel"], rev["op"]) == ("anna", "web", "status")


async def test_a_row_changed_since_the_page_loaded_is_refused_with_its_state(site):
    ds, store = site
    page, tok, cookies = await page_and_cookies(ds)
    store.move(WORK, "ru", "22.1", "down", actor="boris")  # someone else, meanwhile
    before = rows(fresh(store))
    r = await op(ds, page, tok, cookies, "confirm", "22.1")
    assert r.status_code == 409
    data = r.json()
    assert data["conflict"] and "changed since" in data["error"]
    assert rows(fresh(store)) == before
    # The answer shows the row as it is now: 22.1 empty, 23.1 holding both sentences.
    now = data["html"]
    assert re.search(r'data-row="22\.1" data-n="1" data-m="0"', now)
    assert re.search(r'data-row="23\.1" data-n="1" data-m="2"', now)


async def test_without_javascript_the_form_posts_and_comes_back_to_the_row(site):
    ds, store = site
    page, tok, cookies = await page_and_cookies(ds)
    r = await op(ds, page, tok, cookies, "merge", "22.1", json=False)
    assert r.status_code == 302
    assert r.headers["location"] == READ + "#s-22.1"
    assert row_of(fresh(store), "22.1") == (["22.1", "23.1"], ["2.1", "3.1"], "draft")
    back = (await ds.client.get(READ, cookies={**cookies, **r.cookies})).text
    assert "Merged 22.1." in back


async def test_move_shift_split_detach_attach_and_undo(site, texts):
    ds, store = site
    page, tok, cookies = await page_and_cookies(ds)
    before = rows(fresh(store))

    async def do(name, row, **fields):
        nonlocal page
        r = await op(ds, page, tok, cookies, name, row, **fields)
        assert r.status_code == 200, r.text
        page = r.json()["html"]
        return r.json()

    await do("move-down", "22.1")
    assert row_of(fresh(store), "23.1") == (["23.1"], ["2.1", "3.1"], "draft")
    await do("split", "23.1")  # one pivot sentence: the last Russian one becomes a leftover row
    assert row_of(fresh(store), "23.1") == (["23.1"], ["2.1"], "draft")
    assert ([], ["3.1"], "draft") in rows(fresh(store)) and 'data-row="ru:3.1"' in page
    await do("move-up", "23.1")
    assert row_of(fresh(store), "22.1") == (["22.1"], ["2.1"], "draft")
    data = await do("attach-up", "ru:3.1", above="23.1")
    assert data["focus"] == "23.1" and row_of(fresh(store), "23.1") == (["23.1"], ["3.1"], "draft")
    await do("shift-down", "22.1")
    assert [row_of(fresh(store), r)[1] for r in ("22.1", "23.1", "25.1", "25.2")] == [[], ["2.1"], ["4.1"], ["5.1"]]
    await do("shift-up", "23.1")
    assert [row_of(fresh(store), r)[1] for r in ("22.1", "23.1", "25.1", "25.2")] == [["2.1"], ["3.1"], ["5.1"], []]
    # The title (the English has none) is a leftover row on the page; detach a sentence to make one more.
    assert ([], ["1.1"], "auto") in rows(fresh(store))
    assert RU_TITLE in page and 'data-row="ru:1.1"' in page
    await do("detach", "25.1")
    assert ([], ["5.1"], "auto") in rows(fresh(store)) and 'data-row="ru:5.1"' in page
    data = await do("attach-down", "ru:1.1", below=re.search(
        r'name="row" value="ru:1\.1">.*?name="below" value="([^"]+)"', page, re.S).group(1))
    assert data["focus"] == "22.1"
    assert row_of(fresh(store), "22.1") == (["22.1"], ["1.1", "2.1"], "draft")
    # Undo: one action, the translator's own last change, then the one before.
    undo = {"op": "undo", "csrftoken": tok, "next": READ}
    r = await post(ds, OP, undo, cookies, headers=JSON)
    assert r.status_code == 200 and r.json()["ok"]
    assert ([], ["1.1"], "auto") in rows(fresh(store))
    for _ in range(7):
        r = await post(ds, OP, undo, cookies, headers=JSON)
        assert r.status_code == 200, r.text
    assert sorted(rows(fresh(store))) == sorted(before)
    r = await post(ds, OP, undo, cookies, headers=JSON)
    assert r.status_code == 400 and "Nothing of yours to undo" in r.json()["error"]
    # Every operation reaches the text record: written in the write thread right after each answer.
    await ds.get_database().execute_write_fn(lambda conn: None)  # the writes queued before it are done
    history = (texts / WORK / "ru.history.jsonl").read_text("utf-8")
    assert history.count('"via": "web"') == 8 and history.count('"via": "revert"') == 8


async def test_confirm_through_and_attach_from_a_pivot_row(site):
    ds, store = site
    store.set_slot(WORK, "ru", "21.1", "", actor="boris")  # the title becomes a leftover after 21.1
    page, tok, cookies = await page_and_cookies(ds)
    assert re.search(r'name="row" value="21\.1">.*?name="target" value="ru:1\.1"', page, re.S)
    r = await op(ds, page, tok, cookies, "attach", "21.1", target="ru:1.1")
    assert r.status_code == 200, r.text
    assert row_of(fresh(store), "21.1") == (["21.1"], ["1.1"], "draft")
    page = r.json()["html"]
    r = await op(ds, page, tok, cookies, "confirm-through", "24.1")
    assert r.status_code == 200
    got = {tuple(p): s for p, t, s in rows(fresh(store)) if t}
    assert got[("21.1",)] == got[("22.1",)] == got[("24.1", "24.2")] == "confirmed"
    assert got[("25.1",)] == "auto"


async def test_refusals(site):
    ds, store = site
    page, tok, cookies = await page_and_cookies(ds)
    before = rows(fresh(store))
    # Not signed in: refused, even with a CSRF token.
    r = await post(ds, OP, {"op": "confirm", "row": "22.1", "token": token_of(page, "22.1"), "csrftoken": tok},
                   {"ds_csrftoken": cookies["ds_csrftoken"]}, headers=JSON)
    assert r.status_code == 403
    # Signed in but without the CSRF token.
    r = await ds.client.post(OP, data={"op": "confirm", "row": "22.1", "token": token_of(page, "22.1")},
                             cookies=cookies, headers=JSON)
    assert r.status_code == 403
    # An operation that cannot be done says why.
    r = await op(ds, page, tok, cookies, "split", "22.1")  # one sentence on each side
    assert r.status_code == 400 and "cannot be split" in r.json()["error"]
    r = await op(ds, page, tok, cookies, "sideways", "22.1")
    assert r.status_code == 400 and "Unknown operation" in r.json()["error"]
    assert (await ds.client.get(OP, cookies=cookies)).status_code == 405
    assert rows(fresh(store)) == before


async def test_confirm_up_to_here_confirms_the_part_shown(site):
    ds, store = site
    store.link(WORK, "ru", "20.1", "1.1", status="auto", actor="boris")  # a row of part 1, the letter before
    page, tok, cookies = await page_and_cookies(ds)  # part 2
    r = await op(ds, page, tok, cookies, "confirm-through", "23.1")
    assert r.status_code == 200
    got = {tuple(p): s for p, t, s in rows(fresh(store)) if t}
    assert got[("22.1",)] == got[("23.1",)] == "confirmed"
    assert got[("20.1",)] == "auto" and got[("24.1", "24.2")] == "auto"


async def test_an_editor_role_may_move_but_not_confirm_or_touch_a_confirmed_row(site, users):
    from aligner.web import auth

    ds, store = site
    auth.add_user(users, "vera", "a third secret", iterations=1000, role="editor", works=[WORK])
    tok, cookies = await csrf(ds, READ, signed_in(ds, "vera"))
    page = (await ds.client.get(READ, cookies=cookies)).text
    r = await op(ds, page, tok, cookies, "confirm", "23.1")
    assert r.status_code == 403 and "supervisor" in r.json()["error"]
    assert row_of(fresh(store), "23.1")[2] == "auto"
    r = await op(ds, page, tok, cookies, "move-down", "23.1")
    assert r.status_code == 200, r.text
    store.set_status(WORK, "ru", "25.1", "confirmed", actor="anna")  # a supervisor's decision
    page = (await ds.client.get(READ, cookies=cookies)).text
    r = await op(ds, page, tok, cookies, "move-up", "25.1")
    assert r.status_code == 403 and "confirmed" in r.json()["error"]
    assert row_of(fresh(store), "25.1") == (["25.1"], ["5.1"], "confirmed")


async def test_align_again_from_a_row_is_one_revision_and_undoes(site):
    ds, store = site
    right = rows(fresh(store))
    misalign(store)
    wrong = rows(fresh(store))
    assert row_of(fresh(store), "25.1")[1] == [] and wrong != right
    page, tok, cookies = await page_and_cookies(ds)
    assert 'value="realign"' in page and 'data-keys="r"' in page
    # From a row of the first letter (part 1 on its page): as far as the end of that part, no further.
    part1 = READ.replace("part=2", "part=1")
    first = (await ds.client.get(part1, cookies=cookies)).text
    row1 = re.search(r'name="row" value="([^"]+)">', first).group(1)
    r = await post(ds, OP, {"op": "realign", "row": row1, "token": token_of(first, row1), "csrftoken": tok,
                            "next": part1}, cookies, headers=JSON)
    assert r.status_code == 200, r.text
    assert rows(fresh(store)) == wrong
    r = await op(ds, page, tok, cookies, "realign", "22.1")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ok"] and data["focus"] == "22.1" and data["message"].startswith("Aligned again")
    assert row_of(fresh(store), "25.1") == (["25.1"], ["5.1"], "auto")
    assert sorted(rows(fresh(store))) == sorted(right)
    rev = fresh(store).revision(data["revision"])
    assert (rev["actor"], rev["channel"], rev["op"]) == ("anna", "web", "align")
    # Nothing left to change: no revision, and the page says so.
    r = await op(ds, data["html"], tok, cookies, "realign", "22.1")
    assert r.status_code == 200 and r.json()["revision"] is None and "Nothing to change" in r.json()["message"]
    # Undo is one action, as for any operation.
    r = await post(ds, OP, {"op": "undo", "csrftoken": tok, "next": READ}, cookies, headers=JSON)
    assert r.status_code == 200 and r.json()["ok"]
    assert sorted(rows(fresh(store))) == sorted(wrong)
