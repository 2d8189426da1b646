"""The corpus the project ships: the Russian opening checked by hand, the Gospel of Mark in four versions."""

import json

import pytest

from aligner.corpus import Store, build

from .helpers import WORK, datasette, get


@pytest.fixture
def shipped_db(shipped_texts, tmp_path):
    path = tmp_path / "shipped.db"
    build(shipped_texts, path)
    return path


def test_the_russian_opening_is_linked_by_hand_with_the_title_as_its_own_row(shipped_db, shipped_texts):
    store = Store(shipped_db, shipped_texts)
    slots = {s.address: s for s in store.slots(WORK, "ru", include_unaligned=True)}
    assert slots["22.1"].text == "Владимир Ильич!" and slots["22.1"].status == "confirmed"
    assert slots["24.1-24.2"].text.startswith("Неужели не нашлось среди Вас никого")
    assert slots["21.1"].text == "" and slots["21.1"].status == "confirmed"  # the dateline: no Russian
    (title,) = [s for s in store.slots(WORK, "ru", include_unaligned=True) if not s.address]
    assert title.text == "О заложниках: Письмо В. И. Ленину" and title.status == "confirmed"
    typed = store.db.execute("select count(*) from segments where typed = 1").fetchone()[0]
    assert typed == 0


def test_dump_of_the_shipped_corpus_is_what_ships(shipped_db, shipped_texts):
    before = {p: p.read_bytes() for p in shipped_texts.rglob("*.jsonl")}
    Store(shipped_db, shipped_texts).dump()
    assert {p: p.read_bytes() for p in shipped_texts.rglob("*.jsonl")} == before


@pytest.mark.asyncio
async def test_readers_see_the_russian_beside_the_english(shipped_db):
    ds = datasette(shipped_db)
    page = (await get(ds, f"/-/read/{WORK}?with=ru&part=2")).text
    assert "Respected Vladimir Illich," in page and "Владимир Ильич!" in page
    data = json.loads((await get(ds, f"/-/read/{WORK}.json?with=ru&part=2")).text)
    assert "Владимир Ильич!" in json.dumps(data, ensure_ascii=False)


@pytest.mark.asyncio
async def test_two_english_versions_of_mark_compare_word_by_word(shipped_db):
    ds = datasette(shipped_db)
    page = (await get(ds, "/-/compare/mark?a=en-kjv&b=en-web&part=1")).text
    assert "The beginning of the <del>gospel</del> of Jesus Christ, the Son of God" in page
    assert "The beginning of the <ins>Good News</ins> of Jesus Christ, the Son of God" in page
