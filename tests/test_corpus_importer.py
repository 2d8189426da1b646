"""Importing whole texts: add-version, automatic alignment around human work, re-align, --replace."""

import json

import pytest
from click.testing import CliRunner

from aligner.cli import cli
from aligner.corpus import Store

from .helpers import ROOT, WORK, table_rows

ES = ROOT / "tests" / "data" / "kropotkin-letter2-excerpt.es.txt"


@pytest.fixture
def run(texts, db_path):
    def invoke(*args, ok=True):
        r = CliRunner().invoke(cli, [str(a) for a in args] + ["-d", str(db_path), "--texts", str(texts)],
                               catch_exceptions=False)
        if ok:
            assert r.exit_code == 0, r.output
        return r

    return invoke


def auto_slots(db_path, key="es"):
    s = Store(db_path)
    return [x for x in s.slots(WORK, key) if x.status == "auto"]


def test_add_version_copies_declares_segments_and_aligns(run, texts, db_path):
    r = run("add-version", WORK, "es", ES, "--translator", "Prueba", "--year", 2024)
    assert "auto" in r.output
    assert (texts / WORK / "es.txt").read_bytes() == ES.read_bytes()
    toml = (texts / WORK / "work.toml").read_text("utf-8")
    assert 'file = "es.txt"' in toml and 'translator = "Prueba"' in toml
    slots = {x.address: x for x in auto_slots(db_path)}
    assert slots, "the aligner proposed nothing"
    # Structure first: the excerpt is letter 2's opening, so nothing lands in letter 1 (blocks 5-20).
    assert all(int(a.split(".")[0]) >= 21 for a in slots), sorted(slots)
    assert slots["21.1"].text.startswith("Dmitrov (provincia de Moscú)")
    assert slots["22.1"].text == "Respetado Vladimir Ilich:"
    assert slots["23.1"].text.startswith("En Izvestiia y en Pravda")
    assert all(0.0 <= x.score <= 1.0 for x in slots.values())
    # Auto alignments are dumped to text like any other work.
    lines = [json.loads(l) for l in (texts / WORK / "es.slots.jsonl").read_text("utf-8").splitlines()]
    assert {l["status"] for l in lines} == {"auto"} and all("targets" in l for l in lines)


def test_auto_alignments_show_in_the_readable_view(run, texts, db_path):
    run("add-version", WORK, "es", ES)
    import sqlite3

    rows = sqlite3.connect(db_path).execute(
        "select segment, es, es_status from parallel where segment = '22.1'").fetchall()
    assert rows == [("22.1", "Respetado Vladimir Ilich:", "auto")]


def test_human_alignments_survive_align_and_replace(run, texts, db_path, tmp_path):
    run("set", "25.1", "es", "¿Acaso nadie les ha explicado lo que es un rehén?", "--status", "confirmed", "--as", "ana")
    run("add-version", WORK, "es", ES)
    store = Store(db_path, texts)
    assert store.slot(WORK, "es", "25.1").text == "¿Acaso nadie les ha explicado lo que es un rehén?"
    assert store.slot(WORK, "es", "25.1").status == "confirmed"
    r = run("align", WORK, "es")
    assert "made by people kept" in r.output
    assert Store(db_path).slot(WORK, "es", "25.1").status == "confirmed"
    # Re-import a changed text: the human slot stays, automatic ones are redone.
    changed = tmp_path / "es2.txt"
    changed.write_text(ES.read_text("utf-8").replace("Respetado Vladimir Ilich:", "Estimado Vladimir Ilich:"), "utf-8")
    r = run("add-version", WORK, "es", changed, ok=False)
    assert r.exit_code == 1 and "--replace" in r.output
    run("add-version", WORK, "es", changed, "--replace")
    store = Store(db_path, texts)
    assert store.slot(WORK, "es", "25.1").status == "confirmed"
    assert store.slot(WORK, "es", "22.1").text == "Estimado Vladimir Ilich:"
    assert len(store.history(WORK, None, "es")) == 1


def test_human_link_to_a_sentence_that_disappears_is_flagged_stale(run, texts, db_path, tmp_path):
    run("add-version", WORK, "es", ES)
    store = Store(db_path, texts)
    store.set_slot(WORK, "es", "22.1", "Respetado Vladimir Ilich:", "confirmed", actor="ana")
    store.dump()
    # A human-confirmed slot with typed text survives a replace even if the text file changes completely.
    other = tmp_path / "other.txt"
    other.write_text("Otra cosa.\n\nNada que ver con la carta.\n", "utf-8")
    run("add-version", WORK, "es", other, "--replace")
    assert Store(db_path).slot(WORK, "es", "22.1").status == "confirmed"


@pytest.mark.parametrize(
    "args,needle",
    [
        (("add-version", WORK, "xx_1", ES), "not a language code"),
        (("add-version", "no-such-work", "es", ES), "unknown work"),
        (("add-version", WORK, "en", ES), "pivot"),
    ],
)
def test_add_version_bad_arguments(run, texts, db_path, args, needle):
    before = table_rows(db_path)
    toml = (texts / WORK / "work.toml").read_bytes()
    r = run(*args, ok=False)
    assert r.exit_code == 1 and needle in r.output and r.output.count("\n") == 1, r.output
    assert table_rows(db_path) == before and (texts / WORK / "work.toml").read_bytes() == toml


@pytest.mark.parametrize(
    "content,needle",
    [(b"\x00\x01\x02", "binary"), (b"", "empty"), (b"caf\xe9", "UTF-8"), (b"...\n\n!!!\n", None)],
)
def test_add_version_bad_files_leave_everything_as_it_was(run, texts, db_path, tmp_path, content, needle):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    before = table_rows(db_path)
    files = {f.name: f.read_bytes() for f in (texts / WORK).iterdir()}
    r = run("add-version", WORK, "es", p, ok=False)
    if needle is None:  # punctuation only: it is text, segments exist; accept either outcome but nothing half-written
        if r.exit_code == 0:
            return
    else:
        assert r.exit_code == 1 and needle in r.output and str(p) in r.output, r.output
    assert table_rows(db_path) == before
    assert {f.name: f.read_bytes() for f in (texts / WORK).iterdir()} == files


def test_align_files_ladder_and_tsv(tmp_path):
    src = tmp_path / "a.txt"
    tgt = tmp_path / "b.txt"
    src.write_text("One sentence here.\nTwo here, longer than one.\nThree is 3.\n", "utf-8")
    tgt.write_text("Una frase aquí.\nDos aquí, más larga que una.\nTres es 3.\n", "utf-8")
    r = CliRunner().invoke(cli, ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--presegmented"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ["[0]:[0]", "[1]:[1]", "[2]:[2]"]
    r = CliRunner().invoke(cli, ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--presegmented", "--format", "tsv"])
    first = r.output.splitlines()[0].split("\t")
    assert first[:2] == ["One sentence here.", "Una frase aquí."] and 0 <= float(first[2]) <= 1


def test_align_files_with_model1_learns_it_from_the_texts(tmp_path, monkeypatch):
    from aligner.align import blocks

    learnt = []
    real = blocks.Model1Term

    def spy(*args, **kwargs):
        learnt.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(blocks, "Model1Term", spy)
    src, tgt = tmp_path / "a.txt", tmp_path / "b.txt"
    src.write_text("".join(f"The house number {i} is red and old.\n" for i in range(12)), "utf-8")
    tgt.write_text("".join(f"La casa número {i} es roja y vieja.\n" for i in range(12)), "utf-8")
    args = ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--presegmented"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert learnt == [True]  # the default without embeddings (switched off in the tests)
    assert r.output.splitlines() == [f"[{i}]:[{i}]" for i in range(12)]
    r = CliRunner().invoke(cli, [*args, "--model1"])
    assert r.exit_code == 0, r.output
    assert learnt == [True, True] and r.output.splitlines() == [f"[{i}]:[{i}]" for i in range(12)]


def test_add_version_warns_when_much_stays_unaligned(run):
    # The Spanish excerpt covers the opening of letter 2 only: most pivot sentences keep empty slots.
    r = run("add-version", WORK, "es", ES)
    assert f"warning: {WORK}/es: " in r.output
    assert "pivot sentences" in r.output and "left unaligned" in r.output
    assert "sentences of the version" not in r.output  # every Spanish sentence found its place


def test_a_plain_version_aligns_with_a_keyed_pivot(tmp_path):
    from aligner.corpus import add_version

    from .helpers import BOOKS, make_bible, verse_text

    db, texts = make_bible(tmp_path, verses=10)
    # The translation as a reader has it: no verse numbers, one paragraph a chapter.
    chapters = [" ".join(verse_text(b, c, v, variant=1) for v in range(1, 11))
                for b, n in BOOKS for c in range(1, n + 1)]
    plain = tmp_path / "web.txt"
    plain.write_text("\n\n".join(chapters) + "\n", encoding="utf-8")
    report = add_version(texts, "bible", "en", plain, key="web", db_path=db)
    counts = next(r for r in Store(db).status_counts("bible") if r["version"] == "web")
    pivots = sum(n for _, n in BOOKS) * 10
    assert counts["auto"] >= 0.95 * pivots, counts
    assert report.notes == []  # nothing left over: no warning
    slot = Store(db).slot("bible", "web", f"{BOOKS[0][0]}.2.3.1")
    assert slot.text == verse_text(BOOKS[0][0], 2, 3, variant=1)


def test_align_files_tsv_writes_one_bead_a_line_and_reads_keyed_verses(tmp_path):
    """A sentence's own line break (a two-line dateline) broke the bead over two lines; a keyed .tsv was read
    as plain text, its header aligned as a sentence."""
    src, tgt = tmp_path / "a.txt", tmp_path / "b.txt"
    src.write_text("Dmitrov (Moscow province)\n21 December, 1920\n\nDear Vladimir Ilyich!\n", "utf-8")
    tgt.write_text("Dmitrov (provincia de Moscú)\n21 de diciembre de 1920\n\nRespetado Vladimir Ilich:\n", "utf-8")
    r = CliRunner().invoke(cli, ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--format", "tsv"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 2 and all(len(x.split("\t")) == 3 for x in lines), lines
    assert lines[0].startswith("Dmitrov (Moscow province) 21 December, 1920\tDmitrov (provincia de Moscú) 21 de")
    head = "book\tchapter\tverse\ttext\n"
    src, tgt = tmp_path / "a.tsv", tmp_path / "b.tsv"
    src.write_text(head + "Mark\t1\t1\tThe beginning of the gospel.\nMark\t1\t2\tAs it is written.\n", "utf-8")
    tgt.write_text(head + "Mark\t1\t1\tPrincipio del evangelio.\nMark\t1\t2\tComo está escrito.\n", "utf-8")
    r = CliRunner().invoke(cli, ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--format", "tsv"])
    assert r.exit_code == 0, r.output
    assert [x.split("\t")[:2] for x in r.output.splitlines()] == [
        ["The beginning of the gospel.", "Principio del evangelio."], ["As it is written.", "Como está escrito."]]
