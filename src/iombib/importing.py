"""What every reader of another format shares: the context records are read into.

A reader turns text into :class:`~iombib.model.Record` objects and reports, through the
:class:`ImportContext`, everything it could not map: nothing of the input is silently dropped.
A value with no place in the record format goes into the record's ``notes`` with a diagnostic;
a corporate name that the authority file lacks gets a proposed new entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from iombib.diagnostics import Diagnostic, Location
from iombib.model import Creator, Organization, Provenance, Record
from iombib.validate import language, language_from_name

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_STOP_WORDS = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "la", "le", "les", "de",
               "des", "du", "el", "los", "las", "y", "et"}


def slugify(text: str, max_words: int = 8) -> str:
    """A lowercase ASCII slug of the first significant words of a text.

    >>> slugify("État de la migration dans le monde 2015")
    'etat-migration-dans-monde-2015'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_text.lower()) if w not in _STOP_WORDS]
    return "-".join(words[:max_words]) or "record"


@dataclass(slots=True)
class ImportContext:
    """The authority file to map names onto, the source name, and the problems found."""

    format_name: str
    source: str | None = None
    """Path or name of the file being read (for locations and provenance)."""
    organizations: dict[str, Organization] = field(default_factory=dict)
    new_organizations: dict[str, Organization] = field(default_factory=dict)
    """Entries proposed for corporate names the authority file lacks."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    taken_ids: set[str] = field(default_factory=set)

    def report(self, code: str, message: str, *, line: int | None = None,
               record_id: str | None = None, field_name: str | None = None) -> None:
        """Add a diagnostic located in the input file."""
        self.diagnostics.append(Diagnostic(code, message, record_id=record_id, field=field_name,
                                           location=Location(self.source, line,
                                                             1 if line else None)))

    def unmapped(self, record: Record, label: str, value: str, *, line: int | None = None) -> None:
        """Keep a value that has no field in the record's notes, and say so."""
        record.notes.append(f"{label}: {value}")
        self.report("IMPORT_UNMAPPED", f"{label} has no field in the record format; kept in "
                    "notes", line=line, record_id=record.id, field_name=label)

    def org_key(self, name: str, *, line: int | None = None,
                record_id: str | None = None) -> str:
        """The authority key of a corporate name or acronym in any language; a new one is
        proposed (and reported) when the authority file lacks it."""
        wanted = name.strip().casefold()
        for pool in (self.organizations, self.new_organizations):
            for key, org in pool.items():
                spellings = [*org.name.values(), *org.acronym.values(), key]
                if any(s.casefold() == wanted for s in spellings):
                    return key
        key = slugify(name, max_words=6)
        while key in self.organizations:
            key += "-new"
        self.new_organizations[key] = Organization(key=key, name={"en": name.strip()})
        self.report("IMPORT_NEW_ORG", f"'{name.strip()}' is not in the authority file; proposed "
                    f"as '{key}'", line=line, record_id=record_id, field_name="creators")
        return key

    def org_match(self, text: str) -> tuple[str, str | None] | None:
        """The authority key and subdivision of a corporate name written ``Name[. Subdivision]``
        in any language (or as an acronym), or None when no known body matches."""
        best: tuple[int, str, str | None] | None = None
        for pool in (self.organizations, self.new_organizations):
            for key, org in pool.items():
                for spelling in {*org.name.values(), *org.acronym.values()}:
                    if text == spelling:
                        return key, None
                    if text.startswith(spelling + ". ") and (best is None or
                                                            len(spelling) > best[0]):
                        best = (len(spelling), key, text[len(spelling) + 2:].strip() or None)
        return (best[1], best[2]) if best else None

    def corporate(self, text: str, *, line: int | None = None,
                  record_id: str | None = None) -> Creator:
        """A corporate creator: a known body (with any subdivision), else a proposed new one."""
        found = self.org_match(text)
        if found is None:
            return Creator(org=self.org_key(text, line=line, record_id=record_id))
        return Creator(org=found[0], subdivision=found[1])

    def language_code(self, value: str) -> str | None:
        """An ISO 639-1 code from a code (``en``, ``eng``, ``fre``) or a name (``Français``)."""
        text = value.strip()
        found = language(text.lower()) if len(text) in (2, 3) else None
        if found is not None and getattr(found, "alpha_2", None):
            return str(found.alpha_2)
        head = re.split(r"[-_]", text)[0]
        if head != text and len(head) == 2 and language(head.lower()) is not None:
            return head.lower()
        return language_from_name(text)

    def record_id(self, candidate: str | None, title: str, issued: str | None) -> str:
        """A unique record id: the input's own id when it is a slug, else one from the title."""
        base = candidate.strip() if candidate and _SLUG.match(candidate.strip()) else None
        if base is None:
            base = slugify(title)
            year = (issued or "")[:4]
            if year and not base.endswith(year):
                base = f"{base}-{year}"
        unique, n = base, 2
        while unique in self.taken_ids:
            unique, n = f"{base}-{n}", n + 1
        self.taken_ids.add(unique)
        return unique

    def provenance(self, incomplete: list[str] | None = None) -> Provenance:
        """Provenance naming the imported file and the format."""
        name = Path(self.source).name if self.source else "<input>"
        return Provenance(sources=[name], incomplete=list(incomplete or []),
                          note=f"Imported from {self.format_name} by iombib.")
