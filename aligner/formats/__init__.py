"""File formats: one module per format on the shared base, and the registry that picks one.

* :mod:`~aligner.formats.base` - the :class:`~aligner.formats.base.Format`
  interface and the rules every reader shares;
* :mod:`~aligner.formats.registry` - the list of formats, lookup by name, by
  suffix and by content;
* one module per format: :mod:`~aligner.formats.csv`, :mod:`~aligner.formats.xlsx`,
  :mod:`~aligner.formats.tmx`, :mod:`~aligner.formats.xliff` (translators'
  round trips), :mod:`~aligner.formats.tei`, :mod:`~aligner.formats.html`
  (for readers);
* :mod:`~aligner.formats.xmlsafe` (parsing untrusted XML) and
  :mod:`~aligner.formats.validate` (the published schemas).

Reading the bytes of any input file is :mod:`aligner.textio`'s job.
"""
