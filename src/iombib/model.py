"""The canonical record model.

Every class here is a frozen-free dataclass whose fields carry their documentation and rules in
``metadata``; :mod:`iombib.fields` reads these declarations once and drives loading, writing,
unknown-field errors and the JSON Schema from them, so the model is declared in exactly one place.

Field order is the on-disk order used when records are written back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RecordType = Literal[
    "book",
    "report",
    "conference-report",
    "serial-issue",
    "article",
    "chapter",
    "brochure",
    "manual",
    "brief",
    "fact-sheet",
    "working-paper",
]
"""The closed list of publication types (documented in ``docs/record-format.md``)."""

RECORD_TYPE_DOCS: dict[str, str] = {
    "book": "A monograph or edited volume that is not a report (collected essays, compendia).",
    "report": "A research, assessment or evaluation report, including flagship reports.",
    "conference-report": "Proceedings or the report of a conference, round table or dialogue.",
    "serial-issue": "One issue of a serial (journal, bulletin, periodical briefing series).",
    "article": "An article in a serial issue.",
    "chapter": "A chapter or contribution in an edited book.",
    "brochure": "A brochure, leaflet or flyer.",
    "manual": "A manual, handbook, guide, toolkit or guidance note.",
    "brief": "An issue brief or policy brief.",
    "fact-sheet": "A fact sheet.",
    "working-paper": "A numbered paper in a research or working-paper series.",
}

Role = Literal["author", "editor", "compiler", "translator", "contributor", "organizer", "funder"]
"""Roles a creator can have; printed roles such as "Conveners" map onto one (see role_label)."""

ROLE_ALIASES: dict[str, str] = {
    "convener": "editor",
    "conveners": "editor",
    "ed": "editor",
    "eds": "editor",
    "edited by": "editor",
    "updated by": "contributor",
    "compiled by": "compiler",
    "translated by": "translator",
}
"""Printed role words and the role each maps to."""

Medium = Literal["print", "electronic"]
UrlKind = Literal["pdf", "landing"]
Availability = Literal["pdf", "softcover", "hardcover", "hardcopy"]
RelationType = Literal["part-of", "translation-of", "supersedes", "continues", "related"]


def _f(doc: str, default: Any = None, *, required: bool | tuple[str, ...] = False,
       pattern: str | None = None, minimum: int | None = None) -> Any:
    """Declare a model field: its docs and rules live in the dataclass metadata."""
    meta = {"doc": doc, "required": required, "pattern": pattern, "minimum": minimum}
    if isinstance(default, list | dict):
        return field(default_factory=type(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(slots=True)
class Creator:
    """A person (``family``/``given``) or an organization (``org``) with a role.

    >>> Creator(family="McAuliffe", given="Marie", role="editor").display_name()
    'Marie McAuliffe'
    """

    family: str | None = _f("Family name of a person (with any particle that sorts with it).")
    given: str | None = _f("Given names or initials of a person, as printed.")
    particle: str | None = _f("Particle that does not sort with the family name (\"van\", \"de\").")
    suffix: str | None = _f("Name suffix (\"Jr.\").")
    org: str | None = _f("Key of an organization in the authority file (organizations.yaml).",
                         pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    subdivision: str | None = _f("Subordinate unit of the organization, e.g. a centre or office.")
    role: Role = _f("Role of the creator.", "author")
    role_label: str | None = _f("Role as printed when it differs from the role (\"Conveners\").")

    @property
    def is_organization(self) -> bool:
        """True when this creator is a corporate body."""
        return self.org is not None

    def display_name(self) -> str:
        """The name in natural order (persons) or the authority key (organizations)."""
        if self.org is not None:
            return self.org
        parts = [self.given, self.particle, self.family, self.suffix]
        return " ".join(p for p in parts if p)


@dataclass(slots=True)
class Isbn:
    """One ISBN with its qualifiers."""

    value: str = _f("ISBN-13 or ISBN-10, hyphenated as registered.", required=True)
    medium: Medium = _f("print, or electronic for an e-ISBN.", "print")
    note: str | None = _f("Further qualifier as printed (\"softcover\", \"volume 2\").")


@dataclass(slots=True)
class Url:
    """A link to the publication."""

    url: str = _f("Absolute http(s) URL.", required=True)
    kind: UrlKind = _f("pdf for a direct download, landing for a catalogue page.", "landing")
    language: str | None = _f("ISO 639-1 code of the edition it leads to, when not the record's.")


@dataclass(slots=True)
class Series:
    """The series or serial a publication belongs to, and its numbering in it."""

    title: str = _f("Title of the series or serial.", required=True)
    issn: str | None = _f("ISSN of the series or serial (NNNN-NNNC).")
    volume: str | None = _f("Volume within the series (\"3\", \"VI\").")
    number: str | None = _f("Number within the series or volume (\"17\").")
    part: str | None = _f("Part (\"2\").")
    issue: str | None = _f("Issue designation when it is not a number (\"June–September 2016\").")


@dataclass(slots=True)
class Price:
    """A list price."""

    amount: float = _f("Amount, a positive number.", required=True)
    currency: str = _f("ISO 4217 currency code.", required=True)


@dataclass(slots=True)
class Edition:
    """A language edition of the same work: what differs from the record's primary edition.

    Fields left out are inherited from the record, so an edition carries only its language and what
    that edition has of its own (title, ISBNs, URLs).
    """

    language: str = _f("ISO 639-1 code of the edition.", required=True)
    title: str | None = _f("Title of this edition.")
    subtitle: str | None = _f("Subtitle of this edition.")
    short_title: str | None = _f("Short title of this edition.")
    issued: str | None = _f("Date of publication of this edition, when not the record's.")
    pages: int | None = _f("Page count of this edition.", minimum=1)
    isbn: list[Isbn] = _f("ISBNs of this edition.", [])
    urls: list[Url] = _f("URLs of this edition.", [])


@dataclass(slots=True)
class Relation:
    """A typed link to another record of the catalogue."""

    type: RelationType = _f("Kind of relation.", required=True)
    target: str = _f("id of the related record.", required=True,
                     pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    note: str | None = _f("Free-text qualification of the relation.")


@dataclass(slots=True)
class Correction:
    """A departure from the source text, kept so the printed value is never lost."""

    field: str = _f("Field path that was corrected (\"isbn[0].value\").", required=True)
    printed: str = _f("The value as printed in the source.", required=True)
    corrected: str = _f("The value the record carries instead.", required=True)
    reason: str | None = _f("Why it was corrected.")


@dataclass(slots=True)
class Provenance:
    """Where the record came from."""

    sources: list[str] = _f("Source texts the record was transcribed from (file names).", [],
                            required=True)
    corrections: list[Correction] = _f("Corrections made to the source.", [])
    incomplete: list[str] = _f(
        "Fields the source gives only in part or not at all (\"title\", \"issued\"): a missing "
        "required field listed here is a warning, not an error.", [])
    note: str | None = _f("Notes on the transcription (merged duplicates, inferred values).")


@dataclass(slots=True)
class Record:
    """One publication of the catalogue, as stored in ``records/<id>.yaml``.

    ``issued`` is a year (``2010``), a year and month (``2016-08``), a date (``2016-08-15``) or
    a range of years (``2009/2010``).
    """

    id: str = _f("Slug identifying the record; equals the file name without .yaml.",
                 required=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    type: RecordType = _f("Publication type, from the closed list.", required=True)
    title: str = _f("Main title as printed, without subtitle.", required=True)
    subtitle: str | None = _f("Subtitle (other title information).")
    short_title: str | None = _f("Short form of the title for citations.")
    title_language: str | None = _f("ISO 639-1 code of the title when not the first language.")
    creators: list[Creator] = _f("Authors, editors and other contributors, in printed order.", [])
    container_title: str | None = _f("Title of the book or serial a chapter or article is in.",
                                     required=("chapter", "article"))
    publisher: str = _f("Authority key of the publisher.", "iom",
                        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    place: str | None = _f("Place of publication.", "Geneva")
    issued: str = _f("Date of publication: YYYY, YYYY-MM, YYYY-MM-DD or YYYY/YYYY.",
                     required=True)
    edition: str | None = _f("Edition statement (\"3\", \"Special 60th anniversary edition\").")
    volume: str | None = _f("Volume of a multi-volume work outside a series.")
    series: Series | None = _f("Series or serial, with numbering.", required=("serial-issue",))
    pages: int | None = _f("Total number of pages.", minimum=1)
    page_range: str | None = _f("Pages of a chapter or article in its container (\"12-34\").")
    languages: list[str] = _f("ISO 639-1 codes of the text of the primary edition.", [],
                              required=True)
    isbn: list[Isbn] = _f("ISBNs of the primary edition.", [])
    doi: str | None = _f("DOI (10.prefix/suffix).")
    symbol: str | None = _f("IOM document symbol.")
    urls: list[Url] = _f("URLs of the primary edition.", [])
    editions: list[Edition] = _f("Other language editions of the same work.", [])
    availability: list[Availability] = _f("Forms in which it is available.", [])
    price: Price | None = _f("List price.")
    abstract: str | None = _f("Abstract, whole, as published.")
    keywords: list[str] = _f("Subject keywords.", [])
    countries: list[str] = _f("ISO 3166-1 alpha-2 codes of countries covered.", [])
    regions: list[str] = _f("Regions covered, as named by IOM (\"East Africa\", \"Worldwide\").",
                            [])
    category: str | None = _f("IOM catalogue category.")
    relations: list[Relation] = _f("Links to other records.", [])
    notes: list[str] = _f("General notes.", [])
    provenance: Provenance | None = _f("Source texts and corrections.", required=True)
    source: str | None = field(default=None, repr=False, compare=False,
                               metadata={"internal": True})
    """Path of the file the record was loaded from (not part of the record format)."""
    rejected: frozenset[str] = field(default=frozenset(), repr=False, compare=False,
                                     metadata={"internal": True})
    """Fields whose values were rejected when loading (already reported, not to be reported
    again as missing)."""

    def all_isbns(self) -> list[tuple[str | None, Isbn]]:
        """Every ISBN of the work with the language of its edition (None: primary edition)."""
        found: list[tuple[str | None, Isbn]] = [(None, i) for i in self.isbn]
        for edition in self.editions:
            found.extend((edition.language, i) for i in edition.isbn)
        return found


@dataclass(slots=True)
class Organization:
    """A corporate body in the authority file, with its names in English, French and Spanish."""

    key: str = field(default="", metadata={"internal": True})
    """Key records use to refer to it: the mapping key in the authority file."""
    name: dict[str, str] = _f("Name by ISO 639-1 language code; en is required.", required=True)
    acronym: dict[str, str] = _f("Acronym by language code (IOM, OIM).", {})
    place: str | None = _f("Seat of the organization.")
    parent: str | None = _f("Key of the parent body, for a body that is part of another.")
    url: str | None = _f("Official website.")
    source: str | None = field(default=None, repr=False, compare=False,
                               metadata={"internal": True})
    """Path of the authority file the entry was loaded from."""

    def name_in(self, language: str | None = None) -> str:
        """The name in a language, falling back to English."""
        return self.name.get(language or "en") or self.name["en"]

    def acronym_in(self, language: str | None = None) -> str | None:
        """The acronym in a language, falling back to English."""
        return self.acronym.get(language or "en") or self.acronym.get("en")
