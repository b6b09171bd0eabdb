"""Exporting records to a format and reading them back: the library API over the registry.

Records in memory are exported by :func:`export` and :func:`write`. Record files are exported by
:func:`prepare`, which streams: worker processes read the files (from the parsed-record cache
when unchanged) twice, shard by shard (see :mod:`iombib.cache`), first to check them and survey
them for the writer, keeping only small facts of each record for the catalogue rules and the
writer's catalogue-wide state (unique citation keys), then to render them; no process holds
the whole catalogue or the whole output.

>>> import iombib
>>> catalogue = iombib.load("records")                              # doctest: +SKIP
>>> print(iombib.export(catalogue, "bibtex", language="fr"))       # doctest: +SKIP
>>> records, diagnostics, new_orgs = iombib.read(text, "ris")       # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import io
import marshal
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

from iombib import cache, formats, records
from iombib.diagnostics import Diagnostic, IombibError
from iombib.formats import ExportOptions, Writer
from iombib.importing import ImportContext
from iombib.model import Organization, Record
from iombib.records import Catalogue, Shard, paused_gc
from iombib.validate import Facts, catalogue_findings, facts_of, sort_diagnostics, validate_record

_PARALLEL_THRESHOLD = 5000
_CHUNK = 2000


def selection(records: Catalogue | Iterable[Record],
              organizations: dict[str, Organization] | None = None
              ) -> tuple[Sequence[Record], dict[str, Organization]]:
    """The records as a sequence and the authority file that spells their corporate bodies:
    ``organizations`` if given, else a :class:`Catalogue`'s own, else none."""
    if isinstance(records, Catalogue):
        return records.records, records.organizations if organizations is None else organizations
    sequence = records if isinstance(records, Sequence) else list(records)
    return sequence, organizations or {}


def _options(records: Catalogue | Iterable[Record], organizations: dict[str, Organization] | None,
             language: str | None, ascii: bool) -> tuple[Sequence[Record], ExportOptions]:
    sequence, orgs = selection(records, organizations)
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


@dataclass
class Prepared:
    """Record files read and checked for an export, ready to be written (see :func:`prepare`)."""

    writer: Writer
    diagnostics: list[Diagnostic]
    """Every problem, as :func:`iombib.validate.check` reports them."""
    facts: list[Facts]
    """The catalogue rules' facts of each record read, in file order."""
    organizations: dict[str, Organization]
    shards: list[Shard]
    stamps: list[bytes]
    """A digest of the files' stamps when they were checked, per shard."""
    jobs: int | None

    def write(self, stream: TextIO) -> None:
        """Write every record read, in file order, entry by entry. Raises
        :class:`IombibError` if a file changed since it was checked."""
        global _WRITER
        writer = self.writer
        _WRITER = writer  # inherited by the forked workers
        try:
            stream.write(writer.header())
            written = False
            with paused_gc():
                # Files checked a moment ago come from the cache: rendering a small catalogue
                # in this process costs less than starting workers.
                results = records.map_shards(_render_shard, self.shards, self.jobs,
                                             _PARALLEL_THRESHOLD)
                for shard, expected, (stamps, texts) in zip(self.shards, self.stamps, results,
                                                            strict=True):
                    if stamps != expected:
                        raise IombibError(f"record files in {shard.folder or '.'} changed "
                                          "during the export; export again")
                    for text in texts:
                        if written:
                            stream.write(writer.separator)
                        stream.write(text)
                        written = True
            stream.write(writer.footer())
        finally:
            _WRITER = None


def prepare(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], format_name: str,
            *, language: str | None = None, ascii: bool = False,
            jobs: int | None = None) -> Prepared:
    """Read and check record files for an export to a format without holding their records
    (``jobs`` worker processes, default: all cores for large catalogues); then
    ``prepared.write(stream)`` unless ``prepared.diagnostics`` hold errors.

    >>> prepared = prepare("records", "ris")                        # doctest: +SKIP
    >>> if not any(d.is_error for d in prepared.diagnostics):       # doctest: +SKIP
    ...     prepared.write(sys.stdout)
    """
    module = formats.get(format_name)
    catalogue, shards = records.plan(paths)
    options = ExportOptions(organizations=catalogue.organizations, language=language, ascii=ascii)
    survey = functools.partial(_survey_shard, kind=module.Writer, options=options)
    diagnostics = catalogue.diagnostics
    every: list[Facts] = []
    surveys: list[Any] = []
    stamps: list[bytes] = []
    with paused_gc():
        for shard_stamps, facts, shard_surveys, problems in records.map_shards(survey, shards,
                                                                               jobs):
            stamps.append(shard_stamps)
            every.extend(facts)
            surveys.extend(shard_surveys)
            diagnostics.extend(problems)
        diagnostics.extend(catalogue_findings(every, catalogue.organizations,
                                              catalogue.authority_found))
        writer = module.Writer([], options, surveys)
    return Prepared(writer, sort_diagnostics(diagnostics), every,
                    catalogue.organizations, shards, stamps, jobs)


def _digest(entries: list[tuple[str, cache.Entry]]) -> bytes:
    return hashlib.blake2b(marshal.dumps([data[0] for _, data in entries])).digest()


def _survey_shard(shard: Shard, kind: type[Writer], options: ExportOptions
                  ) -> tuple[bytes, list[Facts], list[Any], list[Diagnostic]]:
    """A worker's first look at a shard: stamps, facts, surveys and diagnostics."""
    entries = records.read_shard(shard, validate_record, cached=True)
    facts: list[Facts] = []
    surveys: list[Any] = []
    diagnostics: list[Diagnostic] = []
    for path, data in entries:
        record, problems = cache.restore(data, path)
        diagnostics.extend(problems)
        if record is not None:
            facts.append(facts_of(record))
            surveys.append(kind.survey(record, options))
    return _digest(entries), facts, surveys, diagnostics


# The writer of the export in progress, inherited by forked workers.
_WRITER: Writer | None = None


def _render_shard(shard: Shard) -> tuple[bytes, list[str]]:
    """A worker's second look at a shard: stamps and the text of each entry (not joined:
    large strings would make the C allocator grow the heap of the process that writes)."""
    assert _WRITER is not None
    entries = records.read_shard(shard, validate_record, cached=True)
    texts = []
    for path, data in entries:
        record, _ = cache.restore(data, path)
        if record is not None:
            texts.append(_WRITER.entry(record))
    return _digest(entries), texts


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
