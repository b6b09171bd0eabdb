"""The registry of formats: every format is one module with the same names.

A format module defines ``NAME``, ``SUFFIXES``, ``DESCRIPTION``, a ``Writer`` class (made once
per export from the whole record sequence, so it can do catalogue-wide work such as unique
citation keys, then asked for a ``header()``, one ``entry(record)`` per record joined by
``separator``, and a ``footer()``) and, when it can be read, ``read(text, context)``. A writer
whose catalogue-wide work needs something of every record takes it from ``survey(record,
options)``; an export that streams its records makes the writer from the surveys alone.

>>> from iombib import formats
>>> formats.names()
['biblatex', 'bibtex', 'csljson', 'marcxml', 'ris']
>>> formats.get("bibtx")
Traceback (most recent call last):
...
iombib.diagnostics.IombibError: unknown format 'bibtx' (did you mean 'bibtex'?); formats: ...
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from iombib.diagnostics import IombibError
from iombib.model import Organization, Record
from iombib.rendition import Rendition, resolve


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What every writer is given besides the records."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    """The authority file, to spell corporate bodies."""
    language: str | None = None
    """ISO 639-1 code of the language edition to export (None: each record's primary one)."""
    ascii: bool = False
    """Write ASCII only, escaping other characters as the format allows (BibTeX: LaTeX)."""


class Writer(Protocol):
    """What a format module's ``Writer(records, options, surveys=None)`` provides; given
    ``surveys`` (one ``survey(record, options)`` per record) it does not look at ``records``."""

    separator: str

    @staticmethod
    def survey(record: Record, options: ExportOptions) -> Any:
        """What the writer must know of each record before writing any."""

    def header(self) -> str:
        """Text before the first entry."""

    def entry(self, record: Record) -> str:
        """One record's text."""

    def footer(self) -> str:
        """Text after the last entry."""


class BaseWriter:
    """A writer with no header or footer that renders each record's chosen edition."""

    separator = ""

    def __init__(self, records: Sequence[Record], options: ExportOptions,
                 surveys: Sequence[Any] | None = None) -> None:
        self.options = options

    @staticmethod
    def survey(record: Record, options: ExportOptions) -> Any:
        """What the writer must know of each record before writing any (nothing)."""
        return None

    def header(self) -> str:
        """Text before the first entry (none)."""
        return ""

    def footer(self) -> str:
        """Text after the last entry (none)."""
        return ""

    def rendition(self, record: Record) -> Rendition:
        """The record as the edition the options ask for."""
        return resolve(record, self.options.organizations, self.options.language)

    def entry(self, record: Record) -> str:
        """One record's text, rendered from its chosen edition."""
        return self.render(self.rendition(record))

    def render(self, rendition: Rendition) -> str:
        """One edition's text (formats override this)."""
        raise NotImplementedError


_MODULES = {
    "biblatex": "iombib.formats.biblatex",
    "bibtex": "iombib.formats.bibtex",
    "csljson": "iombib.formats.csljson",
    "marcxml": "iombib.formats.marcxml",
    "ris": "iombib.formats.ris",
}
_ALIASES = {"csl-json": "csljson", "csl": "csljson", "json": "csljson", "marc": "marcxml",
            "xml": "marcxml", "bib": "bibtex"}


def names() -> list[str]:
    """The names of all registered formats, sorted."""
    return sorted(_MODULES)


def get(name: str) -> ModuleType:
    """The module of a format by name or alias; an unknown name raises with suggestions."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _MODULES:
        close = difflib.get_close_matches(key, [*_MODULES, *_ALIASES], n=1)
        hint = f" (did you mean '{_ALIASES.get(close[0], close[0])}'?)" if close else ""
        raise IombibError(f"unknown format '{name}'{hint}; formats: {', '.join(names())}")
    return importlib.import_module(_MODULES[key])


def for_path(path: str) -> ModuleType | None:
    """The format whose suffixes match a file name, if any (``refs.ris`` -> ris)."""
    lowered = path.lower()
    matches = [(suffix, name) for name in _MODULES for suffix in get(name).SUFFIXES
               if lowered.endswith(suffix)]
    if not matches:
        return None
    # The longest suffix wins (".csl.json" over ".json"); bibtex before biblatex for ".bib".
    matches.sort(key=lambda m: (-len(m[0]), m[1] != "bibtex"))
    return get(matches[0][1])


def readable(name: str) -> bool:
    """True when the format can be read back into records."""
    return hasattr(get(name), "read")


def losses_table() -> str:
    """A Markdown table, per readable format, of the record fields it cannot carry and where
    they go instead (each module's ``LOSSES``); docs/formats.md holds it."""
    rows = ["| format | record field | what happens to it |", "|---|---|---|"]
    for name in names():
        module = get(name)
        for path, fate in sorted(getattr(module, "LOSSES", {}).items()):
            rows.append(f"| {name} | `{path}` | {fate.replace('|', '/')} |")
    return "\n".join(rows) + "\n"
