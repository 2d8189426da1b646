"""The web pages in a real browser (Chromium through Playwright's sync API) against a real Datasette server.

Run on their own: ``python -m pytest tests/browser -p no:asyncio``. Screenshots
go to ``$ALIGNER_SCREENSHOTS`` (default: a temporary folder, printed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from support import LAUNCH, PASSWORD, ROOT, WORK, free_port, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")

RU_24 = "Неужели нет никого около Вас, чтобы напомнить о заложниках?"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus (the Kropotkin letters + a Bible-shaped sample), a users file, and a running Datasette."""
    sys.path.insert(0, str(ROOT))
    from aligner.web.auth import add_user
    from aligner.corpus import Store, build
    from tests.helpers import fill_bible, make_bible, seed_texts

    tmp = tmp_path_factory.mktemp("site")
    texts = seed_texts(tmp / "texts")
    db = tmp / "corpus.db"
    build(texts, db)
    store = Store(db, texts)
    store.set_slot(WORK, "ru", "24.1-24.2", RU_24, "draft", actor="anna")
    store.set_slot(WORK, "ru", "25.1", "Возможно, никто не объяснил, что такое заложник.", "confirmed", actor="anna")
    store.set_slot(WORK, "es", "24.1", "¿Acaso no hay nadie a su alrededor?", "draft", actor="bob")
    bible, _ = make_bible(tmp / "b")
    fill_bible(bible, [("Gen", 1), ("Gen", 2), ("Gen", 3)])
    users = tmp / "private" / "users.json"
    add_user(users, "anna", PASSWORD, iterations=20_000)
    add_user(users, "boris", PASSWORD, iterations=20_000)
    metadata = tmp / "metadata.json"
    metadata.write_text(json.dumps({"plugins": {"aligner": {"users_file": str(users), "texts_dir": str(texts)}}}))
    port = free_port()
    env = dict(os.environ, DATASETTE_SECRET="browser-test-secret", PYTHONPATH=str(ROOT))
    log = open(tmp / "datasette.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", str(db), str(bible), "-h", "127.0.0.1", "-p", str(port),
         "-m", str(metadata), "--setting", "sql_time_limit_ms", "3000"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp),
    )
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("Datasette did not start:\n" + (tmp / "datasette.log").read_text())
        time.sleep(0.2)
    yield {"base": base, "db": db, "texts": texts}
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
    log.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def slot(page, key: str, address: str):
    return page.locator(f'.slot[data-key="{key}"][data-address="{address}"]')


def test_reading_page_and_switching_versions(page, site, shots):
    base = site["base"]
    page.goto(f"{base}/-/read/{WORK}")
    assert page.locator("h1").inner_text() == "Two Letters to Lenin"
    assert RU_24 in slot(page, "ru", "24.1-24.2").inner_text()
    # Both other versions have some text, so both are shown by default.
    assert "¿Acaso no hay nadie" in slot(page, "es", "24.1").inner_text()
    page.screenshot(path=str(shots / "read-default.png"), full_page=False)


def test_switch_versions_with_the_picker(page, site, shots):
    base = site["base"]
    page.goto(f"{base}/-/read/{WORK}?part=2&with=ru")
    assert slot(page, "es", "24.1").count() == 0
    page.check('input[name=with][value=es]')
    page.click(".picker button[type=submit]")
    page.wait_for_url("**with=es**")
    assert "¿Acaso no hay nadie" in slot(page, "es", "24.1").inner_text()
    # n:m: the ru cell spans both pivot sentences of its band, es has one cell per sentence.
    ru = slot(page, "ru", "24.1-24.2").bounding_box()
    p1 = page.locator("#s-24\\.1").bounding_box()
    p2 = page.locator("#s-24\\.2").bounding_box()
    assert ru["y"] <= p1["y"] + 2 and ru["y"] < p2["y"]
    page.locator("#s-24\\.1").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "read.png"), full_page=False)
    # Phone width: columns stack, each slot labelled with its version.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/-/read/{WORK}?part=2&with=ru,es#s-24.1")
    ru = slot(page, "ru", "24.1-24.2").bounding_box()
    p2 = page.locator("#s-24\\.2").bounding_box()
    assert ru["y"] > p2["y"] and ru["width"] < 390
    page.screenshot(path=str(shots / "read-phone.png"), full_page=False)


def test_search_hit_leads_to_its_sentence(page, site, shots):
    base = site["base"]
    page.goto(f"{base}/-/read/{WORK}")
    page.fill("#nav-q", "заложник")
    page.press("#nav-q", "Enter")
    page.wait_for_url("**/-/search/**")
    hits = page.locator(".hit")
    assert hits.count() == 2
    page.screenshot(path=str(shots / "search.png"), full_page=False)
    page.locator(".hit-ref", has_text="24.1-24.2").click()
    page.wait_for_url("**#s-24.1")
    assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == "s-24.1"
    # In view, and below the sticky column heads.
    box = page.locator("#s-24\\.1").bounding_box()
    head = page.locator(".band.head").bounding_box()
    assert head["y"] + head["height"] <= box["y"] + 1 and box["y"] < 900


def test_compare_page(page, site, shots):
    base = site["base"]
    page.goto(f"{base}/-/compare/bible?a=kjv&b=web&part=2")
    assert page.locator(".cmp-a del").count() > 0 and page.locator(".cmp-b ins").count() > 0
    assert "Gen 2" in page.locator(".page-total").inner_text()
    page.screenshot(path=str(shots / "compare.png"), full_page=False)
    page.goto(f"{base}/-/map/bible/web?part=1")
    assert page.locator("svg.align-map a").count() >= 40
    page.screenshot(path=str(shots / "map.png"), full_page=False)
    page.goto(f"{base}/-/works")
    page.screenshot(path=str(shots / "works.png"), full_page=True)


def test_sign_in_edit_reload_and_history(page, site, shots):
    base = site["base"]
    read = f"/-/read/{WORK}?part=2&with=ru"
    sign_in(page, base, "anna", read.replace("?", "%3F").replace("&", "%26"))
    assert page.url.endswith(read)
    cell = slot(page, "ru", "26.1")
    cell.hover()
    cell.locator(".edit-link").click()
    editor = cell.locator(".inline-editor")
    editor.locator("textarea").fill("И неужели ваши товарищи не понимают этого?")
    editor.locator("select").select_option("confirmed")
    page.screenshot(path=str(shots / "edit-inline.png"), full_page=False)
    editor.locator("button.save").click()
    page.wait_for_selector('.slot[data-key="ru"][data-address="26.1"].st-confirmed')
    assert editor.count() == 0
    assert "И неужели ваши товарищи" in cell.inner_text()
    page.reload()
    assert "И неужели ваши товарищи" in slot(page, "ru", "26.1").inner_text()
    assert "st-confirmed" in slot(page, "ru", "26.1").get_attribute("class")
    page.goto(f"{base}/-/history/{WORK}?key=ru&ref=26.1")
    row = page.locator("tr.rev").first
    assert "И неужели ваши товарищи" in row.inner_text() and "anna" in row.inner_text() and "via web" in row.inner_text()
    # The revisions table of Datasette itself has it too.
    page.goto(f"{base}/corpus/revisions?channel=web")
    assert "И неужели ваши товарищи" in page.content()
    assert "И неужели ваши товарищи" in (site["texts"] / WORK / "ru.slots.jsonl").read_text("utf-8")


def test_stale_save_in_a_second_browser_is_refused(browser, site, shots):
    base = site["base"]
    read = f"/-/read/{WORK}?part=2&with=ru"
    a = browser.new_context(viewport={"width": 1280, "height": 900})
    b = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pa, pb = a.new_page(), b.new_page()
        sign_in(pa, base, "anna")
        sign_in(pb, base, "boris")
        pa.goto(base + read)
        pb.goto(base + read)  # both read the slot as it is now
        for pg, text in ((pa, "Первый вариант Анны."), (pb, "Второй вариант Бориса.")):
            cell = slot(pg, "ru", "27.1")
            cell.hover()
            cell.locator(".edit-link").click()
            cell.locator(".inline-editor textarea").fill(text)
        slot(pa, "ru", "27.1").locator("button.save").click()
        pa.wait_for_selector('.slot[data-address="27.1"] >> text=Первый вариант Анны.')
        cell_b = slot(pb, "ru", "27.1")
        cell_b.locator("button.save").click()
        pb.wait_for_selector('.slot[data-address="27.1"] .inline-editor .both')
        both = cell_b.locator(".both").inner_text()
        assert "Первый вариант Анны." in both and "Второй вариант Бориса." in both
        assert "changed by someone else" in cell_b.locator(".msg").inner_text()
        assert cell_b.locator("button.save").inner_text() == "Save mine anyway"
        pb.screenshot(path=str(shots / "conflict.png"), full_page=False)
        from aligner.corpus import Store

        assert Store(site["db"]).slot(WORK, "ru", "27.1").text == "Первый вариант Анны."
        # Keeping theirs puts their text in the cell; nothing is written.
        cell_b.locator("button.keep").click()
        assert "Первый вариант Анны." in cell_b.inner_text()
    finally:
        a.close()
        b.close()


def test_without_javascript_the_form_page_edits(browser, site):
    base = site["base"]
    ctx = browser.new_context(java_script_enabled=False)
    try:
        pg = ctx.new_page()
        sign_in(pg, base, "anna")
        pg.goto(f"{base}/-/read/{WORK}?part=2&with=ru")
        cell = slot(pg, "ru", "28.1")
        cell.locator(".edit-link").click()
        pg.wait_for_url("**/-/edit/**")
        assert "defending themselves before a court" in pg.locator(".edit-source").inner_text()
        pg.fill("#text", "И революционеры берут на себя защиту перед судом.")
        pg.check("input[name=status][value=draft]")
        pg.click(".edit-form button[type=submit]")
        pg.wait_for_url("**#s-28.1")
        assert "Saved ru 28.1" in pg.content()
        assert "И революционеры" in slot(pg, "ru", "28.1").inner_text()
    finally:
        ctx.close()


PHONE_PAGES = [
    ("works", "/-/works"),
    ("work", f"/-/work/{WORK}"),
    ("read", f"/-/read/{WORK}?with=ru,es&part=2"),
    ("compare", f"/-/compare/{WORK}?a=ru&b=es"),
    ("search", f"/-/search/{WORK}?q=заложник"),
    ("map", f"/-/map/{WORK}/ru"),
    ("history", f"/-/history/{WORK}"),
    ("edit", f"/-/edit/{WORK}/ru/24.1"),
]
#: Controls smaller than a finger: pictures' links (a map's beads) and boxes inside a big enough label aside.
SMALL_CONTROLS = """() => [...document.querySelectorAll('a, button, input, select, summary, textarea')]
  .filter(e => e.offsetParent !== null && !e.closest('svg') && e.type !== 'hidden')
  .filter(e => { const r = e.getBoundingClientRect(); const l = e.closest('label');
                 return r.height < 44 && !(l && l.getBoundingClientRect().height >= 44); })
  .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30))"""


def test_every_page_fits_a_phone_and_every_control_a_finger(browser, site, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, site["base"])
    for name, path in PHONE_PAGES:
        page.goto(site["base"] + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=False)
        assert width <= 390, (name, width)
        assert page.evaluate(SMALL_CONTROLS) == [], name
    context.close()


def test_the_reading_page_prints_as_columns_only(page, site, shots):
    page.goto(f"{site['base']}/-/read/{WORK}?with=ru&part=2")
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['header', 'footer', 'nav', 'form'].map(s => [...document.querySelectorAll(s)]
        .every(e => getComputedStyle(e).display === 'none'))""")
    assert hidden == [True, True, True, True]
    assert page.locator(".parallel").is_visible()
    assert "Respected Vladimir Illich," in page.locator(".parallel").inner_text()
    page.screenshot(path=str(shots / "print-read.png"), full_page=False)


def test_status_bars_sit_inside_their_rows_with_their_counts_under_them(page, site, shots):
    page.goto(f"{site['base']}/-/work/{WORK}")
    boxes = page.evaluate("""() => [...document.querySelectorAll('table.versions tbody tr')]
        .filter(tr => tr.querySelector('svg.status-bar'))
        .map(tr => { const r = tr.getBoundingClientRect(), b = tr.querySelector('svg.status-bar').getBoundingClientRect(),
                           h = tr.querySelector('svg.status-bar + .hint').getBoundingClientRect(),
                           label = tr.querySelector('th').getBoundingClientRect();
                     return [r.top, r.bottom, b.top, b.bottom, h.top, label.top]; })""")
    assert len(boxes) == 2  # ru and es
    for row_top, row_bottom, bar_top, bar_bottom, hint_top, label_top in boxes:
        assert row_top <= bar_top and bar_bottom <= row_bottom
        assert abs(bar_top - label_top) < 16  # level with the version's name
        assert 0 <= hint_top - bar_bottom < 10  # the counts right under their bar
    page.screenshot(path=str(shots / "work-status-bars.png"), full_page=False)
