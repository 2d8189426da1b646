"""Evaluating an alignment against gold (Vecalign's strict/lax measure) and the ladder format."""

import io
import subprocess
import sys

import pytest

from aligner.align import Bead
from aligner.align.evaluate import (
    bead_type,
    evaluate,
    evaluate_multiple,
    format_ladder_line,
    merge_within_gold,
    parse_ladder_line,
    per_type_recall,
    read_ladder,
    write_ladder,
)

KEYS = ("precision_strict", "recall_strict", "f1_strict", "precision_lax", "recall_lax", "f1_lax")

GOLD = [((0,), (0,)), ((1, 2), (1,)), ((), (2,)), ((3,), (3, 4)), ((4,), ())]


def test_gold_against_itself_is_perfect():
    r = evaluate(GOLD, GOLD)
    assert [r[k] for k in KEYS] == [1.0] * 6


def test_two_to_one_predicted_as_one_to_one_plus_deletion():
    gold = [((0, 1), (0,)), ((2,), (1,))]
    pred = [((0,), (0,)), ((1,), ()), ((2,), (1,))]
    r = evaluate(gold, pred)
    # precision: [0]:[0] strict miss / lax hit; [1]:[] miss both; [2]:[1] hit both
    assert r["precision_strict"] == pytest.approx(1 / 3)
    assert r["precision_lax"] == pytest.approx(2 / 3)
    # recall (no 1:0/0:1): [0,1]:[0] strict miss / lax hit; [2]:[1] hit
    assert r["recall_strict"] == pytest.approx(1 / 2)
    assert r["recall_lax"] == pytest.approx(1.0)
    assert r["f1_strict"] == pytest.approx(0.4)
    assert r["f1_lax"] == pytest.approx(0.8)


def test_insertions_count_in_precision_not_recall():
    gold = [((0,), (0,)), ((), (1,))]
    pred = [((0,), (0, 1))]
    r = evaluate(gold, pred)
    assert r["precision_strict"] == 0.0
    assert r["precision_lax"] == 1.0
    assert r["recall_strict"] == 0.0
    assert r["recall_lax"] == 1.0


def test_micro_average_over_documents():
    g1, p1 = [((0,), (0,))], [((0,), (0,))]
    g2 = [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]
    p2 = [((0, 1), (0, 1)), ((2,), (2,))]
    r = evaluate_multiple([g1, g2], [p1, p2])
    # precision: doc1 1/1, doc2 1/2 -> 2/3 (a macro average would give 0.75)
    assert r["precision_strict"] == pytest.approx(2 / 3)
    assert r["recall_strict"] == pytest.approx(2 / 4)
    assert r["counts"]["precision"] == (2, 1, 3, 0)


def test_accepts_beads_and_lists():
    beads = [Bead((0,), (0,), 0.5), Bead((1, 2), (1,), 0.9)]
    r = evaluate([[[0], [0]], [[1, 2], [1]]], beads)
    assert r["f1_strict"] == 1.0


def test_ladder_round_trip():
    assert parse_ladder_line("[3, 4]:[5]") == ((3, 4), (5,), None)
    assert parse_ladder_line("[]:[7]:0.25") == ((), (7,), 0.25)
    assert format_ladder_line((3, 4), (5,)) == "[3, 4]:[5]"
    assert format_ladder_line((), (7,), 0.25) == "[]:[7]:0.250"
    buf = io.StringIO()
    write_ladder([Bead((0,), (0,), 0.5), ((1,), ())], buf, with_score=True)
    assert buf.getvalue() == "[0]:[0]:0.500\n[1]:[]\n"
    assert read_ladder(io.StringIO("# comment\n[0]:[0]:0.5\n\n[1]:[]\n")) == [((0,), (0,)), ((1,), ())]
    with pytest.raises(ValueError):
        parse_ladder_line("0 0")


def test_per_type_recall_counts_all_gold_types():
    pred = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((), (2,)), ((3,), (3, 4)), ((4,), ())]
    rec = per_type_recall([GOLD], [pred])
    assert rec == {"1-1": (1, 1), "2-1": (0, 1), "0-1": (1, 1), "1-2": (1, 1), "1-0": (1, 1)}
    assert bead_type(((1, 2), (1,))) == "2-1"


def test_merge_within_gold_verse():
    gold = [((0, 1), (0, 1, 2)), ((2,), (3,))]
    pred = [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((2,), (3,))]
    merged = merge_within_gold(pred, gold)
    assert merged == [((0, 1), (0, 1, 2)), ((2,), (3,))]
    assert evaluate(gold, merged)["f1_strict"] == 1.0
    # a bead straddling two verses is kept as it is (and is wrong)
    pred2 = [((0,), (0,)), ((1, 2), (1, 2, 3))]
    assert merge_within_gold(pred2, gold) == [((0,), (0,)), ((1, 2), (1, 2, 3))]


def test_command_line(tmp_path, capsys):
    from aligner.align.evaluate import main

    g = tmp_path / "g.ladder"
    t = tmp_path / "t.ladder"
    g.write_text("[0, 1]:[0]\n[2]:[1]\n")
    t.write_text("[0]:[0]:0.9\n[1]:[]\n[2]:[1]\n")
    assert main(["-g", str(g), "-t", str(t)]) == 0
    out = capsys.readouterr().out
    assert "f1          0.400   0.800" in out


def test_runs_as_a_module(tmp_path):
    """The README's ``python -m aligner.align.evaluate`` line."""
    g = tmp_path / "g.ladder"
    g.write_text("[0, 1]:[0]\n[2]:[1]\n")
    r = subprocess.run([sys.executable, "-m", "aligner.align.evaluate", "-g", str(g), "-t", str(g)],
                       capture_output=True, text=True, check=True)
    assert "f1          1.000   1.000" in r.stdout
