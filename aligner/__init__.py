"""aligner: segment, align, edit and publish parallel editions of texts.

The Python API, usable without the command line::

    import aligner

    doc = aligner.segment_text(open("en.txt").read(), "en")      # blocks and sentences
    aligner.build("texts", "db/corpus.db")                        # the corpus database
    store = aligner.Store("db/corpus.db", "texts")
    store.set_slot("kropotkin-two-letters-to-lenin", "ru", "24.1-24.2", "Неужели ...", actor="anna")
    store.dump()                                                  # translators' work back to text
    beads = aligner.align_sentences(["One.", "Two."], ["Uno.", "Dos."], "en", "es")
"""

from .align import Bead, Block, align_blocks, align_sentences, evaluate_multiple
from .errors import AlignerError, ConflictError, InputError, UnknownError
from .model import STATUSES, ApplyReport, Edit, Slot
from .corpus import Store, add_version, build, connect
from .text.segment import Document, Segment, segment_file, segment_text, segment_tsv
from .text.sentences import split_sentences

__all__ = [
    "AlignerError", "ApplyReport", "Bead", "Block", "ConflictError", "Document", "Edit", "InputError", "STATUSES",
    "Segment", "Slot", "Store", "UnknownError", "add_version", "align_blocks", "align_sentences", "build",
    "connect", "evaluate_multiple", "segment_file", "segment_text", "segment_tsv",
    "split_sentences",
]
