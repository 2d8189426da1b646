"""The history page (aligner.web.history)."""

from __future__ import annotations

import re

import pytest

from .helpers import WORK, datasette, get

pytestmark = pytest.mark.asyncio


async def test_history_page(edited_db):
    ds = datasette(edited_db)
    t = (await get(ds, f"/-/history/{WORK}")).text
    assert "2 changes" in t and "anna" in t and "via cli" in t
    t = (await get(ds, f"/-/history/{WORK}?key=ru&ref=24.2")).text
    assert "1 change " in t
    data = (await get(ds, f"/-/history/{WORK}.json?key=es")).json()
    assert data["total"] == 0


async def test_a_huge_page_number_is_clamped(edited_db):
    ds = datasette(edited_db)
    data = (await get(ds, f"/-/history/{WORK}.json?page=" + "9" * 30)).json()  # was an OverflowError: 500
    assert data["total"] == 2 and data["revisions"] == []
    await get(ds, f"/-/history/{WORK}?page=" + "9" * 25)


async def test_the_number_shown_is_the_id_revert_takes(db_path, texts):
    from click.testing import CliRunner

    from aligner.cli import cli
    from aligner.corpus import Store

    from .helpers import fill_some_slots

    store = Store(db_path, texts)
    fill_some_slots(store)  # ru has revisions 1-3 and 5, es has 4 (its first: seq 1)
    t = (await get(datasette(db_path), f"/-/history/{WORK}?key=es")).text
    shown = re.findall(r'<td class="num"><a href="#rev-(\d+)"[^>]*>(\d+)</a></td>', t)
    assert len(shown) == 1 and shown[0][0] == shown[0][1]
    number = int(shown[0][1])
    assert number != 1  # the version's own sequence number would be 1
    r = CliRunner().invoke(cli, ["revert", str(number), "--as", "anna", "-d", str(db_path), "--texts", str(texts)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert Store(db_path).slot(WORK, "es", "33.1").status == "empty"
    assert Store(db_path).slot(WORK, "ru", "25.1").text == "Исправлено."
