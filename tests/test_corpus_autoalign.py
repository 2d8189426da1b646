"""The bridge to the aligner: the warning when much of either side stays unaligned."""

from aligner.corpus.autoalign import unaligned_warning


def test_warns_when_more_than_a_few_percent_stay_unaligned():
    beads = [([1], [10], 0.9), ([2], [11], 0.9), ([3], [], 1.0), ([], [12], 1.0)]
    w = unaligned_warning("work/es", beads, [], 3, 3)
    assert w.startswith("work/es: 1 of 3 pivot sentences (33 %) and 1 of 3 sentences of the version (33 %)")
    assert unaligned_warning("work/es", beads[:2], [([3], [12])], 3, 3) is None
