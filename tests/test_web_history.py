"""The history page (aligner.web.history)."""

from __future__ import annotations

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
