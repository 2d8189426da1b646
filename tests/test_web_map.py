"""The alignment map (aligner.web.map): beads linked to their sentences, low and stale ones marked."""

from __future__ import annotations

import pytest

from .helpers import WORK, get

pytestmark = pytest.mark.asyncio


async def test_map_links_beads_to_sentences(ds):
    t = (await get(ds, f"/-/map/{WORK}/ru")).text
    assert '<svg class="align-map"' in t
    assert f'<a href="/-/read/{WORK}?with=ru#s-24.1">' in t
    assert "map-gap" in t
    data = (await get(ds, f"/-/map/{WORK}/ru.json")).json()
    assert len(data["beads"]) == 2
    await get(ds, f"/-/map/{WORK}/en", status=404)
    await get(ds, f"/-/map/{WORK}/xx", status=404)
