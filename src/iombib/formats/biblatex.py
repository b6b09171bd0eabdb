"""BibLaTeX: the BibTeX module run in its BibLaTeX dialect, for biblatex with biber.

Same table, names, escaping and keys as :mod:`iombib.formats.bibtex`; what differs is in
:data:`iombib.formats.bibtex.BIBLATEX`: entry types of biblatex's data model (``@report``,
``@periodical`` ...), ``date`` with ranges instead of ``year``/``month``, ``location``,
``journaltitle``, ``subtitle`` as a field of its own, and URLs and DOIs written verbatim (biber
reads them so). A field the chosen entry type's data model lacks goes in a sentence of ``note``
that the reader parses back, so ``biber --validate-datamodel`` reports nothing.
"""

from __future__ import annotations

from iombib.formats import bibtex
from iombib.importing import ImportContext
from iombib.model import Record

NAME = "biblatex"
SUFFIXES = (".biblatex.bib",)
DESCRIPTION = "BibLaTeX for biblatex with biber (date ranges, subtitle, langid, roles)"

LOSSES = dict(bibtex.LOSSES)
"""The same losses as BibTeX: the dialects carry the same record fields."""


class Writer(bibtex.Writer):
    """Writes records as BibLaTeX entries."""

    dialect = bibtex.BIBLATEX

    def verbatim(self, value: str, doi: bool) -> str:
        """URLs and DOIs as they are: biber reads them verbatim (valid URLs hold no braces)."""
        return value


def read(text: str, context: ImportContext) -> list[Record]:
    """Parse BibLaTeX into records."""
    return bibtex.read_dialect(text, context, bibtex.BIBLATEX)
