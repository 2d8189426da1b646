"""Shared test helpers: paths of the shipped texts, database comparison, required-tool handling."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
SHARED = ROOT.parent / "shared"
WORK = "kropotkin-two-letters-to-lenin"
SEED = TEXTS / WORK / "en.txt"


def table_rows(path) -> dict:
    """Every row of every table (except the build time), to compare databases."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    out = {}
    for t in db.table_names():
        if t.startswith("segments_fts") or t == "_sqlite_migrations":
            continue
        rows = [dict(r) for r in db[t].rows]
        if t == "build":
            for r in rows:
                r.pop("built_at", None)
        out[t] = rows
    db.close()
    return out


def not_installed(reason: str):
    """Skip (with the reason) when a schema or tool package is missing; fail instead under ALIGNER_REQUIRE_SCHEMAS=1 (CI)."""
    import os

    if os.environ.get("ALIGNER_REQUIRE_SCHEMAS"):
        pytest.fail(reason)
    pytest.skip(reason)


# --------------------------------------------------------------------------
# small parallel texts for the aligner's tests (tests/test_align_*.py)

EN = [
    "The expedition left the village early in the morning.",
    "For three days the porters carried the loads up the valley.",
    "On the fourth day a storm forced everybody back to the tents.",
    "When the weather cleared, two climbers set out for the ridge.",
    "They reached the summit late in the afternoon and came down safely.",
    "The whole party returned home a month later.",
]
DE = [
    "Die Expedition verliess das Dorf frueh am Morgen.",
    "Drei Tage lang trugen die Traeger die Lasten das Tal hinauf.",
    "Am vierten Tag zwang ein Sturm alle zurueck in die Zelte.",
    "Als das Wetter aufklarte, brachen zwei Bergsteiger zum Grat auf.",
    "Sie erreichten den Gipfel spaet am Nachmittag und kamen sicher herunter.",
    "Die ganze Gruppe kehrte einen Monat spaeter nach Hause zurueck.",
]


NAMES = ["Amstutz", "Brunner", "Casparis", "Dufour", "Egger", "Fankhauser", "Gurtner", "Hofer", "Imboden",
         "Jossi", "Kaufmann", "Lauber", "Moser", "Nydegger", "Oberli", "Perren", "Rubi", "Steuri", "Theiler",
         "Urfer", "Vogt", "Wyss", "Zurbriggen", "Aufdenblatten", "Biner"]


def long_text():
    en = [f"In {1900 + 3 * k} {NAMES[k]} led the party to camp {k + 2} below the ridge." for k in range(25)]
    de = [f"Im Jahr {1900 + 3 * k} fuehrte {NAMES[k]} die Gruppe zum Lager {k + 2} unter dem Grat." for k in range(25)]
    return en, de


def pairs(beads):
    return [(b.src, b.tgt) for b in beads]


def check_cover(beads, n, m):
    """Every index once, in order: the invariant of every result."""
    src = [i for b in beads for i in b.src]
    tgt = [j for b in beads for j in b.tgt]
    assert src == list(range(n))
    assert tgt == list(range(m))
    for b in beads:
        assert b.src or b.tgt
        assert 0.0 <= b.score <= 1.0
        assert list(b.src) == list(range(b.src[0], b.src[0] + len(b.src))) if b.src else True
        assert list(b.tgt) == list(range(b.tgt[0], b.tgt[0] + len(b.tgt))) if b.tgt else True


def model_and_sides(src, tgt, src_lang="en", tgt_lang="de", **options):
    """The cost model and both sides of a sentence-level problem, as the aligner builds them."""
    from aligner.align.cost import Model, Problem, Side, estimate_ratio
    from aligner.align.options import resolve_options

    opts = resolve_options(options)
    problem = Problem(src, tgt, src_lang, tgt_lang, opts)
    model = Model(opts, estimate_ratio(problem, opts, False), problem.weights)
    S = Side(problem.src_lens, problem.src_feats, problem.src_junk, list(range(len(src) + 1)))
    T = Side(problem.tgt_lens, problem.tgt_feats, problem.tgt_junk, list(range(len(tgt) + 1)))
    return model, S, T
