"""The row editor in a real browser: the canonical corrections of an alignment, each action counted.

A book of Mark (4 chapters of 40 verses, one page) whose WEB-like version an aligner spoiled: a run of 10
verses shifted down by one row in chapter 2 and a merged verse in chapter 3 (``tests.helpers.make_shifted_book``).
Each correction is done with the mouse (a click on a row's button is one action; moving the pointer is not)
and with the keyboard alone (every key counted, the ones that only move the cursor apart), and the links in the
database are checked afterwards. Run with ``python -m pytest tests/browser -p no:asyncio``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from support import LAUNCH, PASSWORD, ROOT, free_port, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")

READ = "/-/read/mark?with=web"


def ref(chapter: int, verse: int) -> str:
    return f"Mark.{chapter}.{verse}.1"


@pytest.fixture
def mark(tmp_path):
    """A fresh spoiled book, a translator, and Datasette serving it (one per test: each test changes it)."""
    sys.path.insert(0, str(ROOT))
    from aligner.web.auth import add_user
    from tests.helpers import make_shifted_book

    db, texts = make_shifted_book(tmp_path)
    users = tmp_path / "private" / "users.json"
    add_user(users, "anna", PASSWORD, iterations=20_000)
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"plugins": {"aligner": {"users_file": str(users), "texts_dir": str(texts)}}}))
    port = free_port()
    env = dict(os.environ, DATASETTE_SECRET="browser-test-secret", PYTHONPATH=str(ROOT))
    log = open(tmp_path / "datasette.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", str(db), "-h", "127.0.0.1", "-p", str(port),
                             "-m", str(metadata)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path))
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("Datasette did not start:\n" + (tmp_path / "datasette.log").read_text())
            time.sleep(0.2)
    yield {"base": base, "db": db}
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture
def page(browser, mark):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    sign_in(pg, mark["base"], "anna", READ.replace("?", "%3F").replace("=", "%3D"))
    assert pg.url.endswith(READ)
    yield pg
    context.close()


def links(mark) -> dict[str, tuple[list[str], str]]:
    from tests.helpers import web_rows

    return web_rows(mark["db"])


def targets(mark, *rows) -> list[list[str]]:
    now = links(mark)
    return [now[r][0] for r in rows]


def wrong(mark) -> list[str]:
    """The rows that do not hold exactly their own verse."""
    return [r for r, (t, _) in links(mark).items() if t != [r]]


def wait_until(page, predicate: str, arg=None, timeout: float = 15.0) -> None:
    """Wait until ``predicate`` (a JavaScript function) is true in the page."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        time.sleep(0.02)


class Counter:
    """Performs and counts a translator's actions; waits for each operation's answer before the next."""

    def __init__(self, page):
        self.page = page
        self.actions = 0
        self.moves = 0  # keys that only move the cursor

    def _settle(self, before: str | None):
        # Polled from here: Playwright's wait_for_function evaluates a string in the page, which the pages'
        # Content-Security-Policy (no eval) rightly refuses.
        wait_until(self.page, "() => document.querySelector('.reading.busy') === null")
        if before is not None:
            wait_until(self.page, "t => document.querySelector('.editor-bar .msg').textContent !== t", before)
        err = self.page.locator(".editor-bar .msg.error")
        assert err.count() == 0, err.inner_text()

    def _message(self) -> str:
        return self.page.locator(".editor-bar .msg").text_content()

    def click(self, row: str, op: str):
        """One click on a row's button (the pointer moves there first, as a hand would: not an action)."""
        cell = self.page.locator(f'.slot[data-key="web"][data-row="{row}"]')
        cell.hover()
        before = self._message()
        cell.locator(f'button[name=op][value="{op}"]').click()
        self.actions += 1
        self._settle(before)

    def click_undo(self):
        before = self._message()
        self.page.locator(".editor-bar button[value=undo]").click()
        self.actions += 1
        self._settle(before)

    def key(self, key: str):
        """One key press that does an operation."""
        before = self._message()
        self.page.keyboard.press(key)
        self.actions += 1
        self._settle(before)

    def move(self, *keys: str):
        for k in keys:
            self.page.keyboard.press(k)
            self.moves += 1

    def goto(self, row: str):
        """``g``, the row's short name, Enter: counted as cursor moves, one per key."""
        self.move("g")
        self.page.keyboard.type(row)
        self.moves += len(row)
        self.move("Enter")

    def current(self) -> str:
        return self.page.locator(".slot.current").get_attribute("data-row")


def test_fix_the_shifted_run_in_one_click(page, mark, shots):
    act = Counter(page)
    assert targets(mark, ref(2, 11), ref(2, 12), ref(2, 21)) == [[], [ref(2, 11)], [ref(2, 20), ref(2, 21)]]
    assert wrong(mark) == [ref(2, v) for v in range(11, 22)] + [ref(3, 5), ref(3, 6)]
    page.locator(f'.slot[data-row="{ref(2, 12)}"]').scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "editor-shifted.png"), full_page=False)
    # The first displaced verse's row: shift the column up; the shift stops at 2.21, the row holding two verses.
    act.click(ref(2, 12), "shift-up")
    assert act.actions == 1
    assert wrong(mark) == [ref(3, 5), ref(3, 6)]  # the merged verse, for another test
    # The neighbouring rows stayed on the page and the cursor on the row acted on.
    assert act.current() == ref(2, 12)
    assert page.locator(f'.slot[data-row="{ref(2, 11)}"]').is_visible()
    assert page.locator(f'.slot[data-row="{ref(2, 13)}"]').is_visible()
    page.screenshot(path=str(shots / "editor-fixed.png"), full_page=False)


def test_fix_the_shifted_run_with_the_keyboard(page, mark):
    act = Counter(page)
    act.move("o")  # next odd row: 2.11, empty
    assert act.current() == ref(2, 11)
    act.move("j")
    act.key("U")
    assert act.actions == 1 and act.moves == 2
    assert wrong(mark) == [ref(3, 5), ref(3, 6)]


def test_align_again_from_a_row_fixes_the_automatic_rows_after_it_in_one_key(page, mark):
    import sqlite3

    # The aligner's own rows of chapter 1 spoiled as a weak alignment leaves them: verse 6 in the row of verse 5.
    conn = sqlite3.connect(mark["db"])
    with conn:
        first, second = (conn.execute(
            "select ap.alignment from alignment_pivots ap join segments s on s.id = ap.segment"
            " join alignments a on a.id = ap.alignment where s.ref = ? and a.version = 'mark/web'", [r]).fetchone()[0]
            for r in (ref(1, 5), ref(1, 6)))
        conn.execute("update alignment_targets set alignment = ? where alignment = ?", [first, second])
    conn.close()
    assert targets(mark, ref(1, 5), ref(1, 6)) == [[ref(1, 5), ref(1, 6)], []]
    page.reload()
    act = Counter(page)
    act.goto("1.1")
    act.key("r")  # the aligner again, from here on, around the rows people decided (the shifted run stays)
    assert act.actions == 1 and "Aligned again" in act._message()
    assert targets(mark, ref(1, 5), ref(1, 6)) == [[ref(1, 5)], [ref(1, 6)]]
    assert wrong(mark) == [ref(2, v) for v in range(11, 22)] + [ref(3, 5), ref(3, 6)]
    act.click_undo()  # one action puts the rows back as they were
    assert targets(mark, ref(1, 5), ref(1, 6)) == [[ref(1, 5), ref(1, 6)], []]


def test_move_merge_split_attach_each_in_two_actions_or_fewer(page, mark, shots):
    act = Counter(page)
    act.click(ref(3, 5), "move-down")  # the merged verse: its second sentence to the empty row below
    assert act.actions == 1
    assert targets(mark, ref(3, 5), ref(3, 6)) == [[ref(3, 5)], [ref(3, 6)]]

    act.actions = 0
    act.click(ref(1, 1), "merge")
    assert act.actions == 1
    assert links(mark)[ref(1, 1)] == ([ref(1, 1), ref(1, 2)], "draft")
    assert ref(1, 2) not in links(mark)  # one row for both pivot verses

    act.actions = 0
    act.click(ref(1, 1), "split")
    assert act.actions == 1
    assert targets(mark, ref(1, 1), ref(1, 2)) == [[ref(1, 1)], [ref(1, 2)]]

    # A sentence out of its row becomes a leftover row on the page; attaching it back is one click.
    act.actions = 0
    act.click(ref(1, 5), "detach")
    leftover = page.locator(f'.slot.leftover[data-row="web:{ref(1, 5)}"]')
    assert leftover.count() == 1 and "verse 5" in leftover.inner_text()
    assert links(mark)[f"web:{ref(1, 5)}"][0] == [ref(1, 5)]
    page.screenshot(path=str(shots / "editor-leftover.png"), full_page=False)
    act.click(f"web:{ref(1, 5)}", "attach-down")  # it stands after 1.4, the row holding the sentence before it
    assert act.actions == 2
    assert targets(mark, ref(1, 5)) == [[ref(1, 5)]] and f"web:{ref(1, 5)}" not in links(mark)


def test_confirm_a_hundred_rows_in_one_click_and_undo_in_one(page, mark):
    act = Counter(page)
    hundredth = ref(3, 20)
    act.click(hundredth, "confirm-through")
    assert act.actions == 1
    now = links(mark)
    order = list(now)
    assert order.index(hundredth) == 99
    assert [now[r][1] for r in order[:100] if now[r][0]] == ["confirmed"] * len([r for r in order[:100] if now[r][0]])
    assert len([r for r in order[:100] if now[r][0]]) >= 98  # only the two empty rows are left as they are
    assert now[ref(3, 21)][1] != "confirmed"
    assert page.locator(".slot.st-confirmed").count() >= 98
    act.actions = 0
    act.click_undo()
    assert act.actions == 1
    assert [r for r in order[:100] if links(mark)[r][1] == "confirmed"] == []


def test_the_keyboard_alone_does_every_operation(page, mark):
    act = Counter(page)
    act.goto("3.5")
    assert act.current() == ref(3, 5)
    act.key("d")  # move the merged verse's second sentence down
    assert targets(mark, ref(3, 5), ref(3, 6)) == [[ref(3, 5)], [ref(3, 6)]]
    act.goto("1.1")
    act.key("m")  # merge
    assert links(mark)[ref(1, 1)][0] == [ref(1, 1), ref(1, 2)]
    act.key("s")  # split
    assert targets(mark, ref(1, 1), ref(1, 2)) == [[ref(1, 1)], [ref(1, 2)]]
    act.goto("1.5")
    act.key("x")  # detach: the sentence is a leftover row, right after 1.4 (which holds the sentence before it)
    act.move("k")
    assert act.current() == f"web:{ref(1, 5)}"
    act.key("a")  # attach it to the row above... (1.4 then holds 1.4 and 1.5)
    assert targets(mark, ref(1, 4)) == [[ref(1, 4), ref(1, 5)]]
    act.key("z")  # ...undone in one key
    assert links(mark)[f"web:{ref(1, 5)}"][0] == [ref(1, 5)]
    act.goto("1.5")
    act.key("a")  # on the emptied row: attach the leftover next to it
    assert targets(mark, ref(1, 5)) == [[ref(1, 5)]]
    act.goto("3.20")
    act.key("C")  # confirm up to here
    assert links(mark)[ref(3, 19)][1] == "confirmed" and links(mark)[ref(3, 21)][1] != "confirmed"
    act.key("c")
    act.move("j")
    act.key("c")
    assert links(mark)[ref(3, 21)][1] == "confirmed"
    act.move("n")  # next unconfirmed
    assert act.current() == ref(3, 22)
    assert act.actions == 10  # one key for each operation: d m s x a z a C c c


def test_jumps_to_the_next_low_confidence_and_unconfirmed_rows(page, mark):
    from tests.helpers import set_alignment

    set_alignment(mark["db"], "mark", "web", ref(4, 2), status="auto", score=0.2)
    page.reload()
    act = Counter(page)
    act.move("l")
    assert act.current() == ref(4, 2)
    act.goto("1.1")
    act.click(ref(1, 1), "confirm-through")  # rows from 1.1 up to here: just this one
    act.move("n")
    assert act.current() == ref(1, 2)  # the next row not yet confirmed


def test_on_a_phone_the_editor_bar_keeps_to_two_lines_and_the_last_row_clears_it(browser, mark):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    pg = context.new_page()
    sign_in(pg, mark["base"], "anna", READ.replace("?", "%3F").replace("=", "%3D"))
    bar = pg.locator(".editor-bar").bounding_box()
    assert bar["height"] < 130, bar  # Undo, the three jumps, Go to: two lines of touch-sized buttons
    assert pg.evaluate("document.documentElement.scrollWidth") == 390
    assert pg.locator(".editor-bar .keys-help").is_hidden()
    assert pg.locator('.editor-bar button[data-jump="low"]').inner_text() == "low"
    pg.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = pg.locator(".parallel .slot[data-row]").last.bounding_box()
    assert last["y"] + last["height"] <= pg.locator(".editor-bar").bounding_box()["y"]
    context.close()
