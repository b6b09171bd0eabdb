"""Exporting records to a format and reading them back: the library API over the registry.

>>> import iombib
>>> catalogue = iombib.load("records")                              # doctest: +SKIP
>>> print(iombib.export(catalogue, "bibtex", language="fr"))       # doctest: +SKIP
>>> records, diagnostics, new_orgs = iombib.read(text, "ris")       # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple, TextIO

from iombib import formats
from iombib.diagnostics import Diagnostic, IombibError
from iombib.formats import ExportOptions, Writer
from iombib.importing import ImportContext
from iombib.model import Organization, Record
from iombib.records import Catalogue, paused_gc

_PARALLEL_THRESHOLD = 5000
_CHUNK = 2000


def _options(records: Catalogue | Iterable[Record], organizations: dict[str, Organization] | None,
             language: str | None, ascii: bool) -> tuple[Sequence[Record], ExportOptions]:
    if isinstance(records, Catalogue):
        orgs = records.organizations if organizations is None else organizations
        sequence: Sequence[Record] = records.records
    else:
        orgs = organizations or {}
        sequence = records if isinstance(records, Sequence) else list(records)
    return sequence, ExportOptions(organizations=orgs, language=language, ascii=ascii)


def write(records: Catalogue | Iterable[Record], format_name: str, stream: TextIO, *,
          organizations: dict[str, Organization] | None = None, language: str | None = None,
          ascii: bool = False, jobs: int | None = None) -> None:
    """Write records in a format to a text stream, entry by entry (the output is never held
    whole). Large exports render in ``jobs`` worker processes (default: all cores)."""
    module = formats.get(format_name)
    sequence, options = _options(records, organizations, language, ascii)
    with paused_gc():
        writer: Writer = module.Writer(sequence, options)
        stream.write(writer.header())
        for index, text in enumerate(_entries(writer, sequence, jobs)):
            if index:
                stream.write(writer.separator)
            stream.write(text)
        stream.write(writer.footer())


def export(records: Catalogue | Iterable[Record], format_name: str, *,
           organizations: dict[str, Organization] | None = None, language: str | None = None,
           ascii: bool = False, jobs: int | None = 1) -> str:
    """Records in a format, as text.

    ``records`` is a :class:`Catalogue` (its authority file spells corporate bodies) or records
    with ``organizations`` given; ``language`` picks the language edition of multilingual works.
    """
    buffer = io.StringIO()
    write(records, format_name, buffer, organizations=organizations, language=language,
          ascii=ascii, jobs=jobs)
    return buffer.getvalue()


# The writer and records of the export in progress, inherited by forked workers.
_WORK: tuple[Writer, Sequence[Record]] | None = None


def _render_range(bounds: tuple[int, int]) -> list[str]:
    assert _WORK is not None
    writer, sequence = _WORK
    return [writer.entry(sequence[i]) for i in range(*bounds)]


def _entries(writer: Writer, sequence: Sequence[Record], jobs: int | None) -> Iterator[str]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(sequence) < _PARALLEL_THRESHOLD or os.name != "posix":
        for record in sequence:
            yield writer.entry(record)
        return
    import multiprocessing  # only large exports pay its import

    global _WORK
    _WORK = (writer, sequence)
    try:
        bounds = [(i, min(i + _CHUNK, len(sequence))) for i in range(0, len(sequence), _CHUNK)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # imap keeps order and holds only the chunks not yet written.
            for chunk in pool.imap(_render_range, bounds):
                yield from chunk
    finally:
        _WORK = None


class Imported(NamedTuple):
    """What reading another format gives: records, problems, and proposed authority entries."""

    records: list[Record]
    diagnostics: list[Diagnostic]
    new_organizations: dict[str, Organization]


def read(text: str, format_name: str, *, organizations: dict[str, Organization] | None = None,
         source: str | None = None) -> Imported:
    """Read text in a format into records; nothing unmapped is dropped without a diagnostic.

    Corporate names are mapped onto the keys of ``organizations`` (the authority file);
    ``source`` names the input in diagnostics and in each record's provenance.
    """
    module = formats.get(format_name)
    if not hasattr(module, "read"):
        raise IombibError(f"format '{module.NAME}' cannot be read")
    context = ImportContext(format_name=module.NAME, source=source,
                            organizations=dict(organizations or {}))
    records = module.read(text, context)
    return Imported(records, context.diagnostics, context.new_organizations)
