"""The aligner's options and the signature that records them in a build."""

import pytest

from aligner.align import align_signature


def test_signature():
    sig = align_signature(w_num=2.0)
    assert sig["name"] == "aligner.align" and sig["version"]
    assert sig["options"]["w_num"] == 2.0

    with pytest.raises(TypeError):
        align_signature(no_such_option=1)
