"""Translators' round trips through the command line: a day's work, two translators, bad files."""

import csv
import json

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from aligner.cli import cli

from .helpers import WORK, not_installed, table_rows


@pytest.fixture
def run(texts, db_path):
    runner = CliRunner()

    def invoke(*args, ok=True):
        r = runner.invoke(cli, [str(a) for a in args] + ["-d", str(db_path)], catch_exceptions=False)
        if ok:
            assert r.exit_code == 0, r.output
        return r

    return invoke


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fp:
        return list(csv.DictReader(fp))


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fp:
        w = csv.DictWriter(fp, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def row(rows, segment):
    return next(r for r in rows if r["segment"].lstrip("'") == segment)


@pytest.mark.asyncio
async def test_a_translators_day(run, texts, db_path, tmp_path):
    from translate.storage import tmx as tt_tmx, xliff as tt_xliff

    out = tmp_path / "ru.csv"
    run("export", WORK, "--lang", "ru", "--format", "csv", "-o", out)
    rows = read_rows(out)
    assert len(rows) == 76 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    # Three rows filled: a title, a 2:1 alignment over 24.1-24.2, a confirmed sentence.
    row(rows, "2.1")["text"] = "Два письма Ленину"
    r24 = row(rows, "24.1")
    r24["segment"] = "'24.1-24.2"
    r24["text"] = "Неужели не нашлось среди Вас никого, чтобы напомнить, что такие меры недостойны людей?"
    r25 = row(rows, "25.1")
    r25["text"] = "Неужели никто из Вас не вдумался в то, — что такое заложник."
    r25["status"] = "confirmed"
    write_rows(out, rows)
    r = run("import", out, "--texts", texts, "--as", "anna")
    assert "3 applied, 73 unchanged, 0 conflicts, 0 unmatched" in r.output
    status = {x["version"]: x for x in json.loads(run("status", "--json").output)}
    assert (status["ru"]["draft"], status["ru"]["confirmed"], status["ru"]["empty"]) == (2, 1, 72)
    # Statuses and history are visible in Datasette.
    ds = Datasette([str(db_path)])
    data = (await ds.client.get("/corpus/alignments.json?_facet=status&version=" + WORK + "/ru")).json()
    facets = {x["value"]: x["count"] for x in data["facet_results"]["status"]["results"]}
    assert facets == {"empty": 72, "draft": 2, "confirmed": 1}
    hist = (await ds.client.get("/corpus/revisions.json?_shape=array&channel=csv")).json()
    assert len(hist) == 3 and {h["actor"] for h in hist} == {"anna"}
    # Revert the title.
    title_rev = next(h["id"] for h in hist if h["address"] == "2.1")
    run("revert", title_rev, "--texts", texts, "--as", "anna")
    assert json.loads(run("history", "2.1", "ru", "--json").output)[-1]["new_status"] == "empty"
    # TMX and XLIFF, read by an independent reader.
    run("export", WORK, "--lang", "ru", "-o", tmp_path / "ru.tmx")
    run("export", WORK, "--lang", "ru", "-o", tmp_path / "ru.xlf")
    tm = tt_tmx.tmxfile.parsefile(str(tmp_path / "ru.tmx"))
    units = [u for u in tm.units]
    assert len(units) == 2 and {u.target for u in units} == {r24["text"], r25["text"]}
    xf = tt_xliff.xlifffile.parsefile(str(tmp_path / "ru.xlf"))
    by_id = {u.getid().split("\x04")[-1]: u for u in xf.units}
    assert len(by_id) == 75 and by_id["24.1-24.2"].target == r24["text"]
    assert by_id["24.1-24.2"].source.startswith("Is there really no one around you")
    # An XLIFF edited elsewhere (a CAT tool wrote a translation into 26.1 and confirmed 24.1-24.2).
    unit = by_id["26.1"]
    unit.target = "Надеюсь, мне не скажут, что и люди у власти живут нелегко."
    unit.markfuzzy(False)
    unit.marktranslated()
    (tmp_path / "edited.xlf").write_bytes(bytes(xf))
    r = run("import", tmp_path / "edited.xlf", "--texts", texts, "--as", "boris")
    assert "1 applied" in r.output and "0 conflicts" in r.output
    slot = json.loads(run("history", "26.1", "ru", "--json").output)[-1]
    assert slot["new_text"].startswith("Надеюсь") and slot["channel"] == "xliff" and slot["actor"] == "boris"
    # And everything is in the text-file record.
    assert "Надеюсь" in (texts / WORK / "ru.slots.jsonl").read_text("utf-8")


def test_two_translators_same_slot_conflict_loses_nothing(run, texts, tmp_path):
    a, b = tmp_path / "anna.csv", tmp_path / "boris.csv"
    run("export", WORK, "--lang", "ru", "-o", a)
    run("export", WORK, "--lang", "ru", "-o", b)
    rows = read_rows(a)
    row(rows, "7.1")["text"] = "Несколько служащих (Анна)"
    write_rows(a, rows)
    rows = read_rows(b)
    row(rows, "7.1")["text"] = "Несколько служащих (Борис)"
    row(rows, "7.2")["text"] = "Так как вопрос касается (Борис)"
    write_rows(b, rows)
    run("import", a, "--texts", texts, "--as", "anna")
    r = run("import", b, "--texts", texts, "--as", "boris", ok=False)
    assert r.exit_code == 3
    assert "1 applied" in r.output and "1 conflicts" in r.output and "Анна" in r.output and "Борис" in r.output
    hist = json.loads(run("history", "7.1", "ru", "--json").output)
    assert [h["new_text"] for h in hist] == ["Несколько служащих (Анна)"]
    # Boris's text is not lost: the conflict report names it, and --force applies it as a new revision.
    r = run("import", b, "--texts", texts, "--as", "boris", "--force", ok=False)
    hist = json.loads(run("history", "7.1", "ru", "--json").output)
    assert [h["new_text"] for h in hist] == ["Несколько служащих (Анна)", "Несколько служащих (Борис)"]


BAD_CSV = {
    "empty.csv": (b"", "empty"),
    "columns.csv": ("\ufeffid,words\r\n1,x\r\n".encode(), "column"),
    "status.csv": ("\ufeffsegment,text,status\r\n'7.1,x,final\r\n".encode(), "status"),
    "cells.csv": ("\ufeffsegment,text,status\r\n'7.1,x,draft,extra\r\n".encode(), "cells.csv:2: row has 4 cells"),
    "binary.csv": (b"segment\x00text", "binary"),
    "latin1.csv": ("segment,text,status\r\n'7.1,caf\xe9,draft\r\n".encode("latin-1"), "UTF-8"),
    "otherwork.csv": ("\ufeffsegment,text,status,work\r\n'7.1,x,draft,some-other-work\r\n".encode(), "some-other-work"),
}


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_bad_csv_is_one_line_error_and_database_unchanged(run, texts, db_path, tmp_path, name):
    data, needle = BAD_CSV[name]
    p = tmp_path / name
    p.write_bytes(data)
    before = table_rows(db_path)
    r = run("import", p, "--texts", texts, "--lang", "ru", ok=False)
    assert r.exit_code == 1, r.output
    assert str(p) in r.output and needle.lower() in r.output.lower() and r.output.count("\n") == 1, r.output
    assert table_rows(db_path) == before


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("broken.tmx", b"<tmx version='1.4'><header/><body><tu>", "malformed XML"),
        ("empty.xlf", b"", "empty"),
        ("notxliff.xlf", b"<?xml version='1.0'?><html/>", "not an XLIFF file"),
        ("bomb.xlf", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;'>]><xliff>&b;</xliff>", "entit"),
    ],
)
def test_bad_xml_is_one_line_error_and_database_unchanged(run, texts, db_path, tmp_path, name, content, needle):
    p = tmp_path / name
    p.write_bytes(content)
    before = table_rows(db_path)
    r = run("import", p, "--texts", texts, "--lang", "ru", ok=False)
    assert r.exit_code == 1 and str(p) in r.output and needle.lower() in r.output.lower(), r.output
    assert r.output.count("\n") == 1
    assert table_rows(db_path) == before


def test_unknown_segment_in_a_file_is_listed_and_nothing_half_applied(run, texts, db_path, tmp_path):
    p = tmp_path / "ru.csv"
    run("export", WORK, "--lang", "ru", "-o", p)
    rows = read_rows(p)
    row(rows, "7.1")["text"] = "Несколько служащих"
    rows.append({**rows[0], "segment": "'99.9", "english": "nothing like this", "text": "x", "token": ""})
    write_rows(p, rows)
    r = run("import", p, "--texts", texts, ok=False)
    assert r.exit_code == 3 and "1 unmatched" in r.output and "99.9" in r.output


def test_unknown_language_is_refused(run, texts, db_path, tmp_path):
    p = tmp_path / "ru.csv"
    run("export", WORK, "--lang", "ru", "-o", p)
    before = table_rows(db_path)
    r = run("import", p, "--texts", texts, "--lang", "fr", ok=False)
    assert r.exit_code == 1 and "fr" in r.output
    assert table_rows(db_path) == before


def test_tei_export_is_valid(run, texts, db_path, tmp_path, store):
    from aligner.formats.validate import tei_schema, validate_tei

    store.set_slot(WORK, "ru", "24.1-24.2", "Неужели <не> нашлось & «никого»?", actor="anna")
    out = tmp_path / "work.tei.xml"
    run("export", WORK, "--format", "tei", "-o", out)
    text = out.read_text("utf-8")
    assert '<link type="2-1" subtype="draft" target="#en_24.1 #en_24.2 #ru_t24.1-24.2"' in text
    assert "&lt;не&gt; нашлось &amp;" in text
    if tei_schema() is None or not __import__("shutil").which("jing"):
        not_installed("TEI validation needs jing and tei_all.rng")
    assert validate_tei(out) == []
    broken = tmp_path / "broken.tei.xml"
    broken.write_text(text.replace("<opener>", "<opener><bogus/>", 1), "utf-8")
    assert any("bogus" in e for e in validate_tei(broken))


def test_html_export_is_standalone_and_escaped(run, texts, db_path, tmp_path, store):
    store.set_slot(WORK, "es", "2.1", "<script>alert(1)</script> \u202eDos cartas", actor="ana")
    out = tmp_path / "work.html"
    run("export", WORK, "--format", "html", "--lang", "es", "-o", out)
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="s-24.1"' in html and "Dos cartas a Lenin" in html
    assert 'href="/' not in html and "<link" not in html  # nothing that needs the server
