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
