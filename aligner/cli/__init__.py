"""The command line: parse, call one library method, print. No SQL and no file-format knowledge here.

:mod:`.main` holds the group and the corpus commands (build, serve, set, import, export ...);
:mod:`.links` the alignment editor's commands (link, confirm, move, shift, merge, split, attach, detach, correct).
"""

from . import links  # noqa: F401 - registers the editor's commands on the group
from .main import cli

__all__ = ["cli"]
