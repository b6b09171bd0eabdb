"""Driving citeproc-py, and the corrections that make its output match citeproc-js.

citeproc-py renders CSL, but it differs from citeproc-js (the reference CSL processor, used by
Zotero and Mendeley) in many places. Each difference is corrected here once, in the data handed
to citeproc-py or around its rendering, never by editing the output of one style. Every
correction names the citeproc-py version it was written against (:data:`CITEPROC_PY`); on another
version :func:`parse` warns, since a correction may then be wrong or unneeded.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import citeproc
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from iombib.diagnostics import IombibError

CITEPROC_PY = "0.11.1"
"""The citeproc-py version the corrections were written and tested against."""


@dataclass
class ParsedStyle:
    """A style parsed once with one locale, reused by every rendering in the process."""

    path: Path
    locale: str
    style: CitationStylesStyle


@dataclass
class Rendered:
    """The bibliography (in the style's order) and the in-text citations (in the items' order)
    as (id, text) pairs, with the problems met as (id, message)."""

    bibliography: list[tuple[str, str]] = field(default_factory=list)
    in_text: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def locales() -> list[str]:
    """The CSL locales citeproc-py ships (``en-US``, ``fr-FR`` ...)."""
    return sorted(p.name[len("locales-"):-len(".xml")]
                  for p in Path(citeproc.LOCALES_PATH).glob("locales-*.xml"))


def parse(path: Path, locale: str) -> ParsedStyle:
    """Parse a style file with a locale (``en-US``, ``fr-FR`` ...)."""
    version = metadata.version("citeproc-py")
    if version != CITEPROC_PY:
        warnings.warn(f"citeproc-py {version} is installed; iombib's corrections of it were "
                      f"written for {CITEPROC_PY}", stacklevel=2)
    known = locales()
    locale = citeproc.PRIMARY_DIALECTS.get(locale, locale)  # "fr" is fr-FR
    if locale not in known:
        close = difflib.get_close_matches(locale, known, n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise IombibError(f"unknown locale '{locale}'{hint}")
    try:
        style = CitationStylesStyle(str(path), locale=locale, validate=False)
    except ValueError as problem:
        raise IombibError(f"{path}: {problem}") from None
    except Exception as problem:  # lxml and citeproc-py raise many kinds on a broken style
        raise IombibError(f"{path}: not a usable CSL style: {problem}") from None
    return ParsedStyle(path=path, locale=locale, style=style)


# --------------------------------------------------------------------------- corrections

CSL_1_0_2_NAMES = (
    "chair", "compiler", "contributor", "curator", "director", "editor-translator",
    "executive-producer", "guest", "host", "narrator", "organizer", "performer", "producer",
    "reviewed-author", "script-writer", "series-creator")
"""Name variables of CSL 1.0.2 that citeproc-py 0.11.1 does not know."""


def teach_csl_1_0_2_names() -> None:
    """Fix: citeproc-py 0.11.1 knows only the name variables of CSL 1.0, so it reads a CSL 1.0.2
    name variable (``organizer``, ``contributor``, ``chair`` ...) as a string, and a style that
    names it (APA does) fails with ``AttributeError: 'String' object has no attribute
    'parts'``. Its variable tables are extended in place, once: they are module-level lists
    that the JSON reader and the renderer share."""
    for variable in (v.replace("-", "_") for v in CSL_1_0_2_NAMES):
        if variable not in citeproc.NAMES:
            citeproc.NAMES.append(variable)
            citeproc.VARIABLES.append(variable)


teach_csl_1_0_2_names()


def _known_variables(item: dict[str, Any]) -> dict[str, Any]:
    """The item without the keys that are no variable of CSL 1.0.2 (``part`` of CSL-JSON): no
    style can print them, and citeproc-py warns about each."""
    return {k: v for k, v in item.items()
            if k in ("id", "type") or k.replace("-", "_") in citeproc.VARIABLES}


# --------------------------------------------------------------------------- output formats

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def _wrapper(before: str, after: str) -> type[str]:
    class Wrapped(str):
        def __new__(cls, text: str) -> Wrapped:
            return super().__new__(cls, f"{before}{text}{after}")
    return Wrapped


_MARKDOWN = SimpleNamespace(
    preformat=_markdown_escape, Italic=_wrapper("*", "*"), Oblique=_wrapper("*", "*"),
    Bold=_wrapper("**", "**"), Light=str, Underline=str, SmallCaps=str,
    Superscript=_wrapper("<sup>", "</sup>"), Subscript=_wrapper("<sub>", "</sub>"))

FORMATTERS: dict[str, Any] = {
    "text": formatter.plain, "html": formatter.html, "markdown": _MARKDOWN}
"""The citeproc-py formatter of each output format."""


# --------------------------------------------------------------------------- rendering


def render(parsed: ParsedStyle, items: list[dict[str, Any]], output: str) -> Rendered:
    """Render CSL items as a bibliography and as one in-text citation each."""
    result = Rendered()
    original = {str(item["id"]).lower(): str(item["id"]) for item in items}
    source = CiteProcJSON([_known_variables(item) for item in items])
    bibliography = CitationStylesBibliography(parsed.style, source, FORMATTERS[output])
    citations = [Citation([CitationItem(str(item["id"]))]) for item in items]
    for citation in citations:
        bibliography.register(citation)

    def unknown(item: CitationItem) -> None:
        result.problems.append((original.get(item.key, item.key), "no such item"))

    for citation, item in zip(citations, items, strict=True):
        result.in_text.append((str(item["id"]), str(bibliography.cite(citation, unknown))))
    if parsed.style.has_bibliography():
        bibliography.sort()
        for key, text in zip(bibliography.keys, bibliography.bibliography(), strict=True):
            result.bibliography.append((original.get(key, key), str(text)))
    return result

