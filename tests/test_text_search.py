"""Search that finds what readers type: inflected Russian forms and surnames, ё/е, pre-reform letters,
accents, phrases and prefixes, in the plugin's search and in Datasette's own table search."""

import json
import re

import pytest

from aligner.corpus import build
from aligner.text.search import normalize_for_search, normalize_query, russian_keys

from .helpers import WORK, datasette, get, shared_file


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    from .helpers import TEXTS

    path = tmp_path_factory.mktemp("search") / "corpus.db"
    build(TEXTS, path)
    return path


def fts_hits(db_path, query: str) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(db_path)
    rows = conn.execute("select s.text from segments_fts f join segments s on s.rowid = f.rowid"
                        " where segments_fts match ?", [normalize_query(query)]).fetchall()
    conn.close()
    return [r[0] for r in rows]


def test_surname_finds_its_inflected_form(shipped):
    assert any("Савинкова" in t for t in fts_hits(shipped, "Савинков"))
    assert any("Чернова" in t for t in fts_hits(shipped, "Чернов"))


@pytest.mark.parametrize("query,needle", [
    ("заложником", "заложников"),      # inflection
    ("ещё одежде", "еще"),              # ё folded (the Synodal text is printed without ё), words ANDed
    ("Ѳома", "Фому"),                   # pre-reform letters folded, then inflection
    ("corazon", "corazón"),             # Spanish accents
    ('"взять в заложники"', "взять в заложники"),  # a phrase as written
    ("залож*", "заложников"),            # a prefix
])
def test_forms_readers_type(shipped, query, needle):
    hits = fts_hits(shipped, query)
    assert any(needle in t for t in hits), (query, normalize_query(query))


def test_every_word_of_the_russian_opening_is_found_by_another_form_of_it(shipped):
    """Held out: the query is a form of the word that the text does not use."""
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer()
    text = shared_file("texts", "kropotkin-letter2-opening.ru.txt").read_text("utf-8")
    tried, missed = 0, []
    for line in text.splitlines():
        for word in set(re.findall(r"[А-Яа-яЁё]+", line)):
            forms = {f.word for f in morph.parse(word.lower())[0].lexeme} - {word.lower()}
            if not forms:
                continue
            other = sorted(forms)[0]
            tried += 1
            if not any(line[:40] in t for t in fts_hits(shipped, other)):
                missed.append((word, other))
    assert tried > 60
    assert not missed, missed


def test_the_index_keeps_keys_not_noise():
    col = normalize_for_search("эсеров из группы Савинкова", "ru")
    assert col.startswith("эсеров из группы Савинкова ") and "савинков" in col.split()
    assert normalize_for_search("Mi corazón late.", "es") == "Mi corazón late. corazon lat"
    assert normalize_for_search("Is there really no one?", "en") == "Is there really no one?"
    assert len(russian_keys("Савинков")) <= 8


@pytest.mark.asyncio
async def test_datasettes_table_search_normalises_the_query(shipped):
    ds = datasette(shipped)
    r = await get(ds, "/corpus/segments.json?_search=заложником&_shape=array")
    texts = [row["text"] for row in json.loads(r.text)]
    assert texts and all("залож" in t.lower() for t in texts)
    r = await get(ds, "/corpus/segments.json?_search=corazon&_shape=array")
    assert any("corazón" in row["text"] for row in json.loads(r.text))


@pytest.mark.asyncio
async def test_plugin_search_finds_the_surname(shipped):
    ds = datasette(shipped)
    page = (await get(ds, f"/-/search/{WORK}?q=Савинков")).text
    assert "Савинкова" in page
