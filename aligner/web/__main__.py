"""``python -m aligner.web db/corpus.db``: Datasette with the plugin, whether the package is installed or not."""

from . import main

main()
