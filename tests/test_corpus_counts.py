"""The counts behind the facets stay equal to the rows through builds, imports, edits, undo and re-alignment."""

from aligner.corpus import add_version, build
from aligner.corpus.counts import COUNTED, counted_values

from .helpers import WORK, shared_file


def kept(conn) -> dict:
    return {(r[0], r[1], r[2], r[3]): r[4] for r in conn.execute(
        "select tbl, col, version, value, n from facet_counts where n > 0 or col = ''")}


def actual(conn) -> dict:
    out = {}
    for table, columns in COUNTED.items():
        out[(table, "", "", "")] = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        for name, expr in columns.items():
            value = expr.format(row=table)
            for version, v, n in conn.execute(f"select version, {value}, count(*) from [{table}] "
                                              f"where ({value}) is not null group by version, {value}"):
                out[(table, name, version, v)] = n
    return out


def same_status_rows(conn, monkeypatch) -> bool:
    """The work pages' counts from the kept counts equal the ones a scan of the alignments gives."""
    from aligner.corpus import queries

    kept = queries.status_rows(conn)
    with monkeypatch.context() as m:
        m.setattr(queries, "kept_status_rows", lambda *a, **k: None)
        scanned = queries.status_rows(conn)
    return [{k: v or 0 for k, v in r.items()} for r in kept] == [{k: v or 0 for k, v in r.items()} for r in scanned]


def test_a_build_counts_every_faceted_column(shipped_texts, tmp_path):
    import sqlite3

    path = tmp_path / "corpus.db"
    build(shipped_texts, path)
    conn = sqlite3.connect(path)
    assert kept(conn) == actual(conn)
    assert ("alignments", "status", WORK + "/ru", "confirmed") in kept(conn)
    assert ("segments", "kind", "mark/en-kjv", "verse") in kept(conn)


def test_counts_follow_every_kind_of_change(ru_store, texts, monkeypatch):
    conn = ru_store.db.conn
    assert kept(conn) == actual(conn) and same_status_rows(conn, monkeypatch)
    before = dict(counted_values(conn, "alignments", "status", versions=[WORK + "/ru"]))
    ru_store.set_slot(WORK, "ru", "22.1", "Владимир Ильич!", "confirmed", actor="anna")
    ru_store.set_slot(WORK, "ru", "24.1", "Совсем новый текст.", "draft", actor="anna")  # a typed segment
    assert kept(conn) == actual(conn)
    after = dict(counted_values(conn, "alignments", "status", versions=[WORK + "/ru"]))
    assert after["confirmed"] == before.get("confirmed", 0) + 1 and after["draft"] == before.get("draft", 0) + 1
    rev = ru_store.merge(WORK, "ru", "23.1", actor="anna")
    assert kept(conn) == actual(conn)
    ru_store.revert(rev, actor="anna")
    assert kept(conn) == actual(conn)
    ru_store.realign(WORK, "ru", start="23.1")
    assert kept(conn) == actual(conn) and same_status_rows(conn, monkeypatch)
    with conn:  # a machine's change (stale, score), committed
        conn.execute("update alignments set stale = 1, score = 0.2 where id = (select min(id) from alignments"
                     " where status = 'auto' and address is not null and version = ?)", [WORK + "/ru"])
    assert kept(conn) == actual(conn) and same_status_rows(conn, monkeypatch)
    from aligner.corpus import queries

    assert any(r["stale"] and r["low"] for r in queries.status_rows(conn))
    # A version imported into the live database: rows inserted, then re-linked.
    ru_store.dump()
    add_version(texts, WORK, "es", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), role="translation",
                db_path=ru_store.path)
    assert kept(conn) == actual(conn)


def test_counted_values_by_work_and_version(ru_store):
    conn = ru_store.db.conn
    by_work = counted_values(conn, "alignments", "status", works=[WORK])
    total = conn.execute("select count(*) from alignments where work = ?", [WORK]).fetchone()[0]
    assert sum(n for _, n in by_work) == total
    assert [n for _, n in by_work] == sorted((n for _, n in by_work), reverse=True)
    assert counted_values(conn, "alignments", "status", versions=["no/such"]) == []


def test_filled_slots_per_version_come_from_the_counts(ru_store):
    from aligner.corpus.counts import kept_filled

    conn = ru_store.db.conn
    ru_store.set_slot(WORK, "ru", "24.1", "Совсем новый текст.", "draft", actor="anna")
    counted = dict(conn.execute("select version, count(*) from alignments where work = ? and status != 'empty'"
                                " group by version", [WORK]).fetchall())
    assert {k: v for k, v in kept_filled(conn, WORK).items() if v} == counted
    assert counted[WORK + "/ru"] > 0
