"""A record resolved for one language edition: what every export format writes from.

A record stores its primary edition in its own fields and its other language editions as
:class:`~iombib.model.Edition` overlays. Formats never walk those overlays themselves: they ask
for a :class:`Rendition`, which has the title, ISBNs, URLs, pages and date of the chosen edition,
the ISBNs of the other editions (so a format can keep them), and organization names spelled in
the edition's language from the authority file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iombib.model import Creator, Edition, Isbn, Organization, Record, Url


@dataclass(frozen=True, slots=True)
class EditionIsbn:
    """An ISBN of another language edition of the same work."""

    language: str
    isbn: Isbn


@dataclass(slots=True)
class Rendition:
    """One record as one language edition, with organization names resolved.

    >>> from iombib.model import Record, Edition
    >>> record = Record(id="x", type="report", title="Report", languages=["en"],
    ...                 issued="2010", editions=[Edition(language="fr", title="Rapport")])
    >>> resolve(record, {}, "fr").title
    'Rapport'
    """

    record: Record
    language: str | None
    """ISO 639-1 code of this edition's text (None when the record gives no language)."""
    languages: list[str]
    """All languages of this edition's text (a bilingual edition has two)."""
    title: str
    subtitle: str | None
    short_title: str | None
    issued: str
    pages: int | None
    isbns: list[Isbn]
    urls: list[Url]
    other_isbns: list[EditionIsbn]
    """ISBNs of the other language editions, primary edition included when another is chosen."""
    other_languages: list[str]
    """Languages of the other editions, in record order."""
    organizations: dict[str, Organization] = field(repr=False)

    @property
    def is_primary(self) -> bool:
        """True when this is the record's primary edition."""
        return not self.record.languages or self.language == self.record.languages[0]

    def organization(self, key: str) -> Organization | None:
        """The authority entry for a key, or None when the authority file lacks it."""
        return self.organizations.get(key)

    def org_name(self, key: str) -> str:
        """An organization's name in this edition's language (the key if it is unknown)."""
        org = self.organizations.get(key)
        return org.name_in(self.language) if org else key

    def org_acronym(self, key: str) -> str | None:
        """An organization's acronym in this edition's language."""
        org = self.organizations.get(key)
        return org.acronym_in(self.language) if org else None

    def creator_name(self, creator: Creator, separator: str = ". ") -> str:
        """A creator's name for display: a body with its subdivision, or a person in natural
        order."""
        if creator.org is None:
            return creator.display_name()
        name = self.org_name(creator.org)
        return f"{name}{separator}{creator.subdivision}" if creator.subdivision else name

    @property
    def publisher(self) -> str:
        """The publisher's name in this edition's language."""
        return self.org_name(self.record.publisher)

    def creators(self, *roles: str) -> list[Creator]:
        """The creators with one of these roles, in printed order."""
        return [c for c in self.record.creators if c.role in roles]

    def other_editions(self) -> list[Edition]:
        """The language editions not chosen, the primary one included when another is chosen
        (holding what differs from this edition, its ISBNs and URLs)."""
        record = self.record
        if self.is_primary:
            return list(record.editions)
        primary_language = record.languages[0] if record.languages else None
        primary = Edition(
            language=primary_language or "und",
            title=record.title if record.title != self.title else None,
            subtitle=record.subtitle if record.subtitle != self.subtitle else None,
            short_title=record.short_title if record.short_title != self.short_title else None,
            issued=record.issued if record.issued != self.issued else None,
            pages=record.pages if record.pages != self.pages else None,
            isbn=list(record.isbn),
            urls=[u for u in record.urls if u.language in (None, primary_language)])
        return [primary, *(e for e in record.editions if e.language != self.language)]

    @property
    def full_title(self) -> str:
        """Title and subtitle joined as a citation prints them ("Title: Subtitle")."""
        return join_title(self.title, self.subtitle)


def join_title(title: str, subtitle: str | None) -> str:
    """``Title: Subtitle``, without doubling a colon or question mark the title ends with."""
    if not subtitle:
        return title
    if title.rstrip().endswith((":", "?", "!", ".")):
        return f"{title} {subtitle}"
    return f"{title}: {subtitle}"


def split_title(full: str, title: str) -> tuple[str, str | None] | None:
    """(title, subtitle) when ``full`` is ``title`` joined with a subtitle by
    :func:`join_title`, else None.

    >>> split_title("Report: Migrants and Cities", "Report")
    ('Report', 'Migrants and Cities')
    """
    if not full.startswith(title) or full == title:
        return None
    rest = full[len(title):]
    for sep in (": ", " "):
        if rest.startswith(sep) and join_title(title, rest[len(sep):]) == full:
            return title, rest[len(sep):]
    return None


def resolve(record: Record, organizations: dict[str, Organization],
            language: str | None = None) -> Rendition:
    """The record as its ``language`` edition, or its primary edition when it has none in it."""
    primary_language = record.languages[0] if record.languages else None
    edition = next((e for e in record.editions if e.language == language), None)
    primary_isbns = [EditionIsbn(primary_language or "und", i) for i in record.isbn]
    if edition is None or language == primary_language:
        others = [EditionIsbn(e.language, i) for e in record.editions for i in e.isbn]
        return Rendition(
            record=record, language=primary_language, languages=list(record.languages),
            title=record.title, subtitle=record.subtitle, short_title=record.short_title,
            issued=record.issued, pages=record.pages, isbns=list(record.isbn),
            urls=[u for u in record.urls if u.language in (None, primary_language)],
            other_isbns=others, other_languages=[e.language for e in record.editions],
            organizations=organizations)
    others = primary_isbns + [EditionIsbn(e.language, i) for e in record.editions
                              if e is not edition for i in e.isbn]
    # A URL on the primary edition that names this language is this edition's too.
    urls = list(edition.urls) + [u for u in record.urls if u.language == language]
    titled = edition.title is not None
    return Rendition(
        record=record, language=language, languages=[language],
        title=edition.title or record.title,
        subtitle=edition.subtitle if titled else record.subtitle,
        short_title=edition.short_title if titled else record.short_title,
        issued=edition.issued or record.issued, pages=edition.pages or record.pages,
        isbns=list(edition.isbn), urls=urls, other_isbns=others,
        other_languages=[code for code in [primary_language, *(e.language for e in
                         record.editions if e is not edition)] if code],
        organizations=organizations)


_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def date_parts(issued: str | None) -> list[list[int]]:
    """``issued`` as CSL-style date parts: one part, or two for a range ``YYYY/YYYY``.

    >>> date_parts("2016-08"), date_parts("2009/2010")
    ([[2016, 8]], [[2009], [2010]])
    """
    if not issued:
        return []
    parts = []
    for piece in issued.split("/"):
        match = _DATE.match(piece.strip())
        if not match:
            return []
        parts.append([int(g) for g in match.groups() if g is not None])
    return parts


def year(issued: str | None) -> str | None:
    """The first year of ``issued`` ("2009" for "2009/2010"), or None."""
    parts = date_parts(issued)
    return str(parts[0][0]) if parts else None


def format_date(parts: list[list[int]]) -> str | None:
    """Date parts back to the record's ``issued`` form (the inverse of :func:`date_parts`)."""
    if not parts:
        return None
    return "/".join("-".join(f"{p:04d}" if i == 0 else f"{p:02d}" for i, p in enumerate(part))
                    for part in parts)
