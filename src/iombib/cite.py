"""Formatted citations: a bibliography and in-text citations of records in a CSL style.

The records become CSL items by the same mapping as the CSL-JSON export
(:func:`iombib.formats.csljson.to_csl`) and are rendered by citeproc-py, with the corrections of
:mod:`iombib.citeproc_fixes` that make its output match citeproc-js, the reference CSL processor.

>>> import iombib
>>> catalogue = iombib.load("records")                                    # doctest: +SKIP
>>> result = iombib.cite(catalogue, style="iom", format="html")           # doctest: +SKIP
>>> print(result.bibliography())                                          # doctest: +SKIP
"""

from __future__ import annotations

import functools
import html
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iombib import citeproc_fixes, citeproc_speed, styles
from iombib.convert import selection
from iombib.diagnostics import Diagnostic, IombibError
from iombib.formats import csljson
from iombib.model import Creator, Organization, Record
from iombib.records import Catalogue
from iombib.rendition import Rendition, resolve

FORMATS = ("text", "html", "markdown")
"""The output formats of :func:`cite`."""

LANGUAGE_LOCALES = {"en": "en-US", "fr": "fr-FR", "es": "es-ES"}
"""The locale a record language is cited in when no locale is asked for."""


@dataclass(frozen=True)
class Entry:
    """One formatted citation: the ``id`` of the record it cites and its ``text`` in the output
    format (HTML: escaped, italics as ``<i>``)."""

    id: str
    text: str


@dataclass(frozen=True)
class Citations:
    """What :func:`cite` gives: the ``entries`` of the bibliography in the style's order, the
    ``in_text`` citation of each record in the order given, and ``warnings``."""

    style: styles.Style
    locale: str
    format: str
    entries: list[Entry]
    in_text: list[Entry]
    warnings: list[Diagnostic] = field(default_factory=list)

    def bibliography(self) -> str:
        """The bibliography as one text: an entry per line, or per ``<div class="csl-entry">``
        inside a ``<div class="csl-bib-body">`` in HTML."""
        if self.format == "html":
            inner = "".join(f'  <div class="csl-entry">{e.text}</div>\n' for e in self.entries)
            return f'<div class="csl-bib-body">\n{inner}</div>\n'
        separator = "\n\n" if self.format == "markdown" else "\n"
        return separator.join(e.text for e in self.entries) + "\n" if self.entries else ""

    def page(self) -> str:
        """The bibliography as a whole HTML page (``--format html --standalone``)."""
        language = self.locale.split("-")[0]
        title = html.escape(f"Bibliography ({self.style.title})")
        return ("<!DOCTYPE html>\n"
                f'<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
                f"<title>{title}</title>\n"
                "<style>.csl-entry{margin:0 0 .6em 2em;text-indent:-2em;line-height:1.4}"
                "</style>\n</head>\n<body>\n" + self.bibliography() + "</body>\n</html>\n")


APA_7 = "APA Style 7th edition"
"""The title that the APA 7th edition styles of the CSL repository (apa, apa-no-ampersand ...)
begin with. Their guide omits the publisher when it is the author (APA Publication Manual, 7th
ed., 9.29: "When the author and publisher are the same, omit the publisher"; the 6th edition
printed "Author" instead). CSL cannot compare two variables, so no style can say this and no
CSL processor does it: iombib leaves ``publisher`` out of such items for these styles and for
the dependent styles whose parent is ``apa``."""


def _omits_publisher_as_author(style: styles.Style) -> bool:
    return style.title.startswith(APA_7) or style.parent == "apa"


BY_ACRONYM = ("iom",)
"""iombib's styles that name a corporate body by its acronym (IOM, OIM), as IOM's own
suggested citations do. CSL has no acronym variable and ``form="short"`` does not shorten a
literal name, so for these styles the items carry the acronym (with the subdivision: "IOM
Tirana") as the body's name, as author and as publisher (docs/iom-style.md)."""


def _by_acronym(item: dict[str, Any], rendition: Rendition) -> None:
    for role in csljson.ROLES:
        if role in item:
            item[role] = [_acronym(creator, rendition) or name for creator, name
                          in zip(rendition.creators(role), item[role], strict=True)]
    if "publisher" in item:
        item["publisher"] = rendition.org_acronym(rendition.record.publisher) or item["publisher"]


def _acronym(creator: Creator, rendition: Rendition) -> dict[str, str] | None:
    acronym = rendition.org_acronym(creator.org) if creator.org else None
    if acronym is None:
        return None
    return {"literal": f"{acronym} {creator.subdivision}" if creator.subdivision else acronym}


def items(records: Catalogue | Iterable[Record], *,
          organizations: dict[str, Organization] | None = None,
          language: str | None = None,
          style: styles.Style | None = None) -> list[dict[str, Any]]:
    """The CSL items that :func:`cite` renders: the CSL-JSON export's, without ``custom``, and
    with the data rules of ``style`` (:data:`APA_7`, :data:`BY_ACRONYM`) applied."""
    sequence, orgs = selection(records, organizations)
    drop_publisher = style is not None and _omits_publisher_as_author(style)
    acronyms = style is not None and style.name in BY_ACRONYM and style.path.parent == styles.OWN
    found = []
    for record in sequence:
        rendition = resolve(record, orgs, language)
        item = csljson.to_csl(rendition, custom=False)
        if drop_publisher and item.get("author") == [{"literal": item.get("publisher")}]:
            del item["publisher"]
        if acronyms:
            _by_acronym(item, rendition)
        found.append(item)
    return found


def cite(records: Catalogue | Iterable[Record], style: str | Path = "apa", format: str = "text",
         locale: str | None = None, *, organizations: dict[str, Organization] | None = None,
         language: str | None = None) -> Citations:
    """The bibliography and in-text citations of ``records`` in a CSL ``style`` (a name such as
    ``apa`` or ``iom``, or a path to a ``.csl`` file).

    ``format`` is ``text``, ``html`` or ``markdown``; ``locale`` (``en-US``, ``fr-FR`` ...)
    defaults to the locale of ``language`` (a French edition is cited with French terms),
    else the style's default locale, else en-US;
    ``language`` picks the language edition of multilingual works. Raises
    :class:`IombibError` for an unknown style, format or locale.
    """
    if format not in FORMATS:
        raise IombibError(f"unknown citation format '{format}' (one of {', '.join(FORMATS)})")
    found = styles.find(style)
    chosen = (locale or LANGUAGE_LOCALES.get(language or "") or found.default_locale
              or "en-US")
    csl_items = items(records, organizations=organizations, language=language, style=found)
    mismatch = citeproc_fixes.version_mismatch()
    problems = [Diagnostic("CITE_WARNING", mismatch)] if mismatch else []
    with warnings.catch_warnings(record=True) as caught, citeproc_speed.enabled():
        warnings.simplefilter("always")
        parsed = _parsed(found.path, chosen)
        rendered = citeproc_fixes.render(parsed, csl_items, format)
    for warning in caught:
        problems.append(Diagnostic("CITE_WARNING", str(warning.message)))
    for key, message in rendered.problems:
        problems.append(Diagnostic("CITE_WARNING", message, record_id=key))
    return Citations(style=found, locale=parsed.locale, format=format,
                     entries=[Entry(k, t) for k, t in rendered.bibliography],
                     in_text=[Entry(k, t) for k, t in rendered.in_text], warnings=problems)


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, locale: str) -> citeproc_fixes.ParsedStyle:
    """A style parsed with its locale, once per process."""
    return citeproc_fixes.parse(path, locale)
