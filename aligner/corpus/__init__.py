"""The corpus database: its schema, the build from texts/, the store of slots and history, and the one read layer.

* :mod:`.schema`: tables, migrations, views, search, connections.
* :mod:`.build`: a fresh database from ``texts/``, swapped in whole.
* :mod:`.store`: :class:`Store`, every change a person makes (with history) and the dump back to text.
* :mod:`.importer`: a whole text added as a version of a work.
* :mod:`.autoalign`: a version's segments through the automatic aligner.
"""

from .build import DEFAULT_TEXTS, BuildReport, build
from .importer import add_version
from .schema import DEFAULT_DB, connect, version_id
from .store import ImportReport, Store

__all__ = ["DEFAULT_DB", "DEFAULT_TEXTS", "BuildReport", "ImportReport", "Store", "add_version", "build", "connect",
           "version_id"]
