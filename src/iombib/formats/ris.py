"""RIS: the tagged format every reference manager imports (Zotero, EndNote, Mendeley, JabRef).

One record is a block of ``XX  - value`` lines from ``TY`` to ``ER``, CRLF line ends (as the RIS
specification and Zotero's own export write them), UTF-8 without a byte-order mark, one blank
line between records, long values never wrapped. What a tag means depends on the reference type:
Zotero's RIS translator and EndNote read ``SN`` of a report as its report number, ``A2`` of a
book as its series editor and ``T2`` of a book or report as its series, so the tables below say,
per RIS type, which tag carries which record field. Fields no tag carries for a type go into
labelled lines of one note (``N1``), which :func:`read` parses back. ``docs/formats/ris.md``
explains every choice.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from iombib import identifiers
from iombib.formats import BaseWriter
from iombib.importing import ImportContext
from iombib.model import (
    Creator,
    Edition,
    Isbn,
    Price,
    Record,
    Relation,
    Series,
    Url,
)
from iombib.rendition import Rendition, date_parts, format_date, join_title, split_title

NAME = "ris"
SUFFIXES = (".ris",)
DESCRIPTION = "RIS tagged records for Zotero, EndNote, Mendeley, JabRef and rispy"

EOL = "\r\n"
"""Line end of the output: CRLF, as the RIS specification and Zotero's export write it."""

# --------------------------------------------------------------------------- record types

_WHOLE = frozenset({"BOOK", "EDBOOK", "RPRT", "CONF", "JFULL"})
"""RIS types of whole publications: SP alone is their page count."""

TYPES: tuple[tuple[str, str, str | None], ...] = (
    # record type, TY, M3 (type of work) that tells record types sharing a TY apart
    ("book", "BOOK", None),
    ("manual", "BOOK", "Manual"),
    ("report", "RPRT", None),
    ("brochure", "RPRT", "Brochure"),
    ("brief", "RPRT", "Brief"),
    ("fact-sheet", "RPRT", "Fact sheet"),
    ("working-paper", "RPRT", "Working paper"),
    ("conference-report", "CONF", None),
    ("serial-issue", "JFULL", None),
    ("article", "JOUR", None),
    ("chapter", "CHAP", None),
)
"""Record type <-> RIS type. A book or manual with editors and no author is written EDBOOK."""

_IMPORT_TYPES = {
    "EDBOOK": "book", "EBOOK": "book", "CLSWK": "book", "SER": "book", "ANCIENT": "book",
    "ECHAP": "chapter", "EJOUR": "article", "MGZN": "article", "NEWS": "article",
    "ABST": "article", "INPR": "article", "CPAPER": "conference-report", "PAMP": "brochure",
    "GOVDOC": "report", "STAND": "report", "GEN": "report", "UNPB": "report", "ELEC": "report",
    "WEB": "report", "MANSCPT": "report",
}
"""Other tools' RIS types read as the nearest record type."""

# --------------------------------------------------------------------------- tag tables

ALL: frozenset[str] = frozenset()
"""Marks a row that holds for every RIS type."""


@dataclass(frozen=True, slots=True)
class Row:
    """One tag of the mapping: the record field it carries for some RIS types."""

    tag: str
    path: str
    types: frozenset[str] = ALL
    write: bool = True
    """False for rows read from other tools only (synonyms, Zotero's degenerate tags)."""

    def holds(self, ty: str) -> bool:
        """True when this row applies to the RIS type ``ty``."""
        return not self.types or ty in self.types


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


CREATOR_TAGS: tuple[Row, ...] = (
    Row("AU", "editor", _types("EDBOOK")),
    Row("AU", "author"),
    Row("A3", "editor", _types("BOOK", "EDBOOK")),
    Row("ED", "editor", _types("RPRT")),
    Row("A2", "editor", _types("CHAP", "CONF", "JOUR", "JFULL", "GEN")),
    Row("A4", "translator"),
    Row("A1", "author", write=False),
    Row("ED", "editor", write=False),
)
"""Creator role per tag and type. Zotero reads A2 of a BOOK or RPRT as series editor and A3 of a
BOOK as editor; EDBOOK's AU lines are its editors (Zotero, EndNote). Other roles go in notes."""

FIELD_TAGS: tuple[Row, ...] = (
    Row("T2", "container_title", _types("CHAP", "JOUR", "CONF")),
    Row("T2", "series.title", _types("BOOK", "EDBOOK", "RPRT", "JFULL")),
    Row("T3", "series.title", _types("CHAP", "JOUR", "CONF")),
    Row("PY", "issued"),
    Row("ET", "edition"),
    Row("VL", "volume", _types("BOOK", "EDBOOK", "RPRT", "CHAP", "CONF", "JOUR")),
    Row("VL", "series.volume", _types("JFULL")),
    Row("IS", "series.number", _types("JFULL", "JOUR")),
    Row("M1", "series.number", _types("BOOK", "EDBOOK")),
    Row("SV", "series.number", _types("CHAP")),
    Row("SP", "pages", _WHOLE),
    Row("SP", "page_range", _types("CHAP", "JOUR")),
    Row("CY", "place"),
    Row("PB", "publisher"),
    Row("SN", "isbn", _types("BOOK", "EDBOOK", "CHAP", "CONF")),
    Row("SN", "series.number", _types("RPRT")),
    Row("SN", "series.issn", _types("JOUR", "JFULL")),
    Row("DO", "doi"),
    Row("LA", "languages"),
    Row("AB", "abstract"),
    Row("KW", "keywords"),
    # Read only: Zotero reads T3 of a book as its series, EndNote writes a report's number in IS.
    Row("T3", "series.title", write=False),
    Row("IS", "series.number", write=False),
    Row("M1", "series.number", _types("RPRT", "CONF"), write=False),
    Row("T2", "container_title", write=False),
)
"""Record field per tag and type, in output order. PY stands for PY and DA, SP for SP and EP."""

SYNONYMS = {"A1": "AU", "T1": "TI", "CT": "TI", "Y1": "PY", "N2": "AB", "JF": "T2", "JO": "T2",
            "JA": "T2", "L2": "UR", "RN": "N1"}
"""Tags other tools write for the same thing (read only; the first value found wins)."""

NOTE_FIELDS: tuple[tuple[str, str], ...] = (
    ("Title proper", "title"),
    ("Container title", "container_title"),
    ("Volume", "volume"),
    ("Series number", "series.number"),
    ("Series volume", "series.volume"),
    ("Series part", "series.part"),
    ("Series issue", "series.issue"),
    ("Series ISSN", "series.issn"),
    ("ISBN", "isbn"),
    ("Number of pages", "pages"),
    ("Page range", "page_range"),
    ("Title language", "title_language"),
    ("Document symbol", "symbol"),
    ("Category", "category"),
    ("Availability", "availability"),
    ("Price", "price"),
    ("Countries", "countries"),
    ("Regions", "regions"),
    ("Not in source", "provenance.incomplete"),
)
"""Labelled lines of the data note: fields that no tag carries for the record's type."""

NOTE_ROLES = ("compiler", "contributor", "organizer", "funder")
"""Roles no RIS tag has: written as a note "Funder: name" at the creator's place."""

UNMAPPED_LABELS = {
    "A2": "A2 (series editor)", "A3": "A3 (series editor)", "Y2": "Y2 (access date)",
    "AD": "AD (author address)", "AN": "AN (accession number)", "CN": "CN (call number)",
    "DB": "DB (database)", "DP": "DP (database provider)", "J2": "J2 (alternate title)",
    "L4": "L4 (figure)", "NV": "NV (number of volumes)", "OP": "OP (original publication)",
    "RP": "RP (reprint)", "SE": "SE (section)", "CA": "CA (caption)", "AV": "AV (archive)",
}
"""How a tag with no field is labelled in the record's notes."""

# --------------------------------------------------------------------------- value codecs


@dataclass(slots=True)
class _Reading:
    """What a value reader needs: the import context, the line, the record being built."""

    context: ImportContext
    line: int
    record_id: str | None = None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _same(text: str, reading: _Reading) -> str:
    return text


def _int(text: str, reading: _Reading) -> int:
    if not re.fullmatch(r"[1-9][0-9]*", text.strip()):
        raise ValueError(f"'{text}' is not a page count")
    return int(text)


def _isbn_text(isbns: Sequence[Isbn]) -> str | None:
    """ISBNs on one line, ``; ``-separated, each with its medium and note when not plain print:
    Zotero and rispy keep only the first SN line, so all ISBNs go on one."""
    parts = []
    for isbn in isbns:
        qualifiers = [isbn.medium, isbn.note] if isbn.note else (
            [isbn.medium] if isbn.medium != "print" else [])
        parts.append(f"{isbn.value} ({', '.join(qualifiers)})" if qualifiers else isbn.value)
    return "; ".join(parts) or None


_ISBN_PART = re.compile(r"^([0-9Xx-]+)(?: \((.*)\))?$")


def _isbn_values(text: str, reading: _Reading) -> list[Isbn]:
    found = []
    for part in (p.strip() for p in text.split(";")):
        match = _ISBN_PART.match(part)
        if not part or not match or not identifiers.isbn_valid(match.group(1)):
            raise ValueError(f"'{part}' is not an ISBN")
        value = match.group(1)
        if "-" not in value:
            with contextlib.suppress(ValueError):
                value = identifiers.hyphenate_isbn(value)
        medium, note = "print", None
        if match.group(2):
            head, _, rest = match.group(2).partition(", ")
            if head in ("print", "electronic"):
                medium, note = head, rest or None
            else:
                note = match.group(2)
        found.append(Isbn(value=value, medium=medium, note=note))  # type: ignore[arg-type]
    return found


def _languages(text: str, reading: _Reading) -> list[str]:
    codes = []
    for part in (p.strip() for p in re.split(r"[;,]", text)):
        code = reading.context.language_code(part) if part else None
        if code is None:
            raise ValueError(f"'{part}' is not a language")
        codes.append(code)
    return codes


def _publisher(text: str, reading: _Reading) -> str:
    return reading.context.org_key(text, line=reading.line, record_id=reading.record_id)


def _price_text(price: Price | None) -> str | None:
    if price is None:
        return None
    amount = int(price.amount) if float(price.amount).is_integer() else price.amount
    return f"{amount} {price.currency}"


def _price(text: str, reading: _Reading) -> Price:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?) ([A-Z]{3})", text.strip())
    if not match:
        raise ValueError(f"'{text}' is not an amount and a currency")
    amount = float(match.group(1))
    return Price(amount=int(amount) if amount.is_integer() else amount, currency=match.group(2))


def _joined(separator: str) -> tuple[Callable[[Any], str | None], Callable[[str, _Reading], Any]]:
    def to_text(values: Sequence[str]) -> str | None:
        return separator.join(values) or None

    def from_text(text: str, reading: _Reading) -> list[str]:
        return [v.strip() for v in text.split(separator.strip()) if v.strip()]

    return to_text, from_text


CODECS: dict[str, tuple[Callable[[Any], str | None], Callable[[str, _Reading], Any]]] = {
    "pages": (_text, _int),
    "isbn": (_isbn_text, _isbn_values),
    "languages": (_joined("; ")[0], _languages),
    "publisher": (_text, _publisher),
    "price": (_price_text, _price),
    "availability": _joined(", "),
    "countries": _joined(", "),
    "regions": _joined("; "),
    "provenance.incomplete": _joined(", "),
}
"""Two-way value conversions of the fields that are not plain text (the rest: as they are)."""


def _codec(path: str) -> tuple[Callable[[Any], str | None], Callable[[str, _Reading], Any]]:
    return CODECS.get(path, (_text, _same))


# --------------------------------------------------------------------------- names


def person_name(creator: Creator) -> str:
    """``Family, Given particle[, Suffix]``; a family name alone keeps its comma (``Family,``) so
    that it is not read as a corporate name.

    >>> person_name(Creator(family="Gogh", given="Vincent", particle="van"))
    'Gogh, Vincent van'
    """
    given = " ".join(p for p in (creator.given, creator.particle) if p)
    if creator.suffix:
        return f"{creator.family}, {given}, {creator.suffix}"
    return f"{creator.family}, {given}" if given else f"{creator.family},"


_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "des", "di", "da", "du", "la",
              "le", "ten", "ter", "zu", "dos", "das", "do", "y", "d'", "al", "el", "bin"}


def _person(text: str) -> Creator:
    family, _, rest = text.partition(",")
    given_part, _, suffix = rest.partition(",")
    words = given_part.split()
    particle: list[str] = []
    while words and words[-1] in _PARTICLES:
        particle.insert(0, words.pop())
    return Creator(family=family.strip(), given=" ".join(words) or None,
                   particle=" ".join(particle) or None, suffix=suffix.strip() or None)


def _creator(text: str, role: str, reading: _Reading) -> Creator:
    """A corporate name known to the authority file, a person ``Family, Given``, or else a new
    corporate name (a name with no comma is corporate, as Zotero reads it)."""
    if "," in text and reading.context.org_match(text) is None:
        creator = _person(text)
    else:
        creator = reading.context.corporate(text, line=reading.line,
                                            record_id=reading.record_id)
    creator.role = role  # type: ignore[assignment]
    return creator


def _creator_tag(role: str, ty: str) -> str | None:
    return next((row.tag for row in CREATOR_TAGS
                 if row.write and row.path == role and row.holds(ty)), None)


def _creator_role(tag: str, ty: str) -> str | None:
    return next((row.path for row in CREATOR_TAGS if row.tag == tag and row.holds(ty)), None)


# --------------------------------------------------------------------------- dates


def _dates(issued: str | None) -> list[tuple[str, str]]:
    """PY (the year) and, when there is more than a year, DA as ``YYYY/MM/DD/other``; a range of
    years keeps its end year in DA's free part (``2009///2010``)."""
    parts = date_parts(issued)
    if not parts:
        return [("PY", issued)] if issued else []
    lines = [("PY", f"{parts[0][0]:04d}")]
    first = parts[0] + [0, 0]
    if len(parts) == 2:
        lines.append(("DA", f"{first[0]:04d}///{parts[1][0]:04d}"))
    elif len(parts[0]) > 1:
        day = f"{first[2]:02d}" if first[2] else ""
        lines.append(("DA", f"{first[0]:04d}/{first[1]:02d}/{day}/"))
    return lines


_RIS_DATE = re.compile(r"^(\d{4})(?:/(\d{0,2})(?:/(\d{0,2})(?:/(.*))?)?)?$")
_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def _date(text: str, reading: _Reading) -> str:
    """``YYYY``, ``YYYY/MM/DD/other`` (other: an end year) or ``YYYY-MM-DD`` to ``issued``."""
    value = text.strip()
    if _ISO_DATE.match(value):
        return value
    match = _RIS_DATE.match(value)
    if not match:
        raise ValueError(f"'{text}' is not a RIS date")
    year, month, day, other = match.groups()
    if other and re.fullmatch(r"\d{4}", other.strip()) and other.strip() > year:
        return f"{year}/{other.strip()}"
    parts = [int(year)]
    if month and int(month):
        parts.append(int(month))
        if day and int(day):
            parts.append(int(day))
    if not 1 <= ([*parts, 1, 1][1]) <= 12 or not 1 <= ([*parts, 1, 1][2]) <= 31:
        raise ValueError(f"'{text}' is not a valid date")
    issued = format_date([parts])
    assert issued is not None
    return issued


# --------------------------------------------------------------------------- writing


def _ty(record: Record) -> tuple[str, str | None]:
    ty, m3 = next(((t, m) for name, t, m in TYPES if name == record.type), ("RPRT", None))
    roles = {c.role for c in record.creators if c.role in ("author", "editor")}
    if ty == "BOOK" and roles == {"editor"}:
        ty = "EDBOOK"
    return ty, m3


def _get(rendition: Rendition, path: str) -> Any:
    """A field's value in the chosen edition."""
    if path in ("title", "subtitle", "short_title", "issued", "pages", "languages"):
        return getattr(rendition, path)
    if path == "isbn":
        return rendition.isbns
    if path == "publisher":
        return rendition.publisher
    head, _, rest = path.partition(".")
    value = getattr(rendition.record, head)
    return getattr(value, rest) if rest and value is not None else value


def _tag_paths(ty: str) -> set[str]:
    return {row.path for row in FIELD_TAGS if row.write and row.holds(ty)}


def _url_label(url: Url) -> str:
    return "PDF" if url.kind == "pdf" else "URL"


def _edition_lines(rendition: Rendition) -> list[str]:
    editions = rendition.other_editions()
    if not editions:
        return []
    lines = ["Other language editions: " + ", ".join(e.language for e in editions)]
    for edition in editions:
        head = f"Edition ({edition.language})"
        for label, value in (("title", edition.title), ("subtitle", edition.subtitle),
                             ("short title", edition.short_title), ("issued", edition.issued),
                             ("pages", _text(edition.pages)),
                             ("ISBN", _isbn_text(edition.isbn))):
            if value:
                lines.append(f"{head} {label}: {value}")
        lines.extend(f"{head} {_url_label(u)}: {u.url}" for u in edition.urls)
    return lines


def _title_lines(rendition: Rendition) -> tuple[list[tuple[str, str]], list[str]]:
    """TI (title and subtitle, as Zotero and EndNote hold them), ST (the short title, else the
    title proper, which is Zotero's own short-title rule), and a "Title proper" note line when
    ST cannot tell where the subtitle starts."""
    title, subtitle, short = rendition.title, rendition.subtitle, rendition.short_title
    full = join_title(title, subtitle)
    tags = [("TI", full)]
    short_tag = short or (title if subtitle else None)
    if short_tag:
        tags.append(("ST", short_tag))
    split = split_title(full, short_tag) if short_tag else None
    notes = [] if split == (title, subtitle) or (split is None and not subtitle) else [
        f"Title proper: {title}"]
    return tags, notes


class Writer(BaseWriter):
    """RIS records separated by a blank line; each record ends with ``ER  - ``."""

    separator = EOL

    def render(self, rendition: Rendition) -> str:
        """One record as RIS lines."""
        return "".join(f"{tag}  - {value.replace(chr(10), EOL)}{EOL}"
                       for tag, value in tags(rendition))


def tags(rendition: Rendition) -> list[tuple[str, str]]:
    """The (tag, value) lines of one edition, TY first and ER last; a value holding line breaks
    (an abstract of several paragraphs) continues on the next lines."""
    record = rendition.record
    ty, m3 = _ty(record)
    out: list[tuple[str, str]] = [("TY", ty), ("ID", record.id)]
    title_tags, data = _title_lines(rendition)
    out.extend(title_tags)
    for creator in record.creators:
        tag = _creator_tag(creator.role, ty)
        name = rendition.creator_name(creator) if creator.org else person_name(creator)
        if tag:
            out.append((tag, name))
        else:
            label = creator.role.capitalize()
            if creator.role_label:
                label += f" ({creator.role_label})"
            out.append(("N1", f"{label}: {name}"))
    written = _tag_paths(ty)
    for row in FIELD_TAGS:
        if not row.write or not row.holds(ty):
            continue
        if row.path == "issued":
            out.extend(_dates(rendition.issued))
            continue
        if row.path == "page_range":
            out.extend(_page_range(record.page_range))
            continue
        value = _get(rendition, row.path)
        if row.path == "keywords":
            out.extend((row.tag, k) for k in value)
            continue
        text = _codec(row.path)[0](value)
        if text:
            out.append((row.tag, text))
        if row.path == "languages" and m3:
            out.append(("M3", m3))
    language = record.languages[0] if record.languages else None
    # In record order: a URL of another language edition kept on the record goes in a note.
    for url in record.urls if rendition.is_primary else rendition.urls:
        if rendition.is_primary and url.language not in (None, language):
            out.append(("N1", f"{_url_label(url)} ({url.language}): {url.url}"))
        else:
            out.append(("L1" if url.kind == "pdf" else "UR", url.url))
    for label, path in NOTE_FIELDS:
        if path in written or path == "title":
            continue
        if path == "provenance.incomplete":
            value = record.provenance.incomplete if record.provenance else []
        else:
            value = _get(rendition, path)
        text = _codec(path)[0](value)
        if text:
            data.append(f"{label}: {text}")
    for relation in record.relations:
        note = f"; {relation.note}" if relation.note else ""
        data.append(f"Relation ({relation.type}): {relation.target}{note}")
    data.extend(_edition_lines(rendition))
    out.extend(("N1", note) for note in record.notes)
    if data:
        out.append(("N1", "\n".join(data)))
    out.append(("ER", ""))
    return out


def _page_range(page_range: str | None) -> list[tuple[str, str]]:
    if not page_range:
        return []
    match = re.fullmatch(r"\s*(\S+?)\s*[-\u2010-\u2015]\s*(\S+)\s*", page_range)
    if match:
        return [("SP", match.group(1)), ("EP", match.group(2))]
    return [("SP", page_range)]


# --------------------------------------------------------------------------- reading

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$|^([A-Za-z][A-Za-z0-9])  -(?: (.*))?$")
_TAG_LIKE = re.compile(r"^[A-Z][A-Z0-9] +-")
_CONTINUE_JOIN = {"AB": "\n", "N2": "\n", "N1": "\n", "RN": "\n"}
"""How continuation lines join: line breaks in abstracts and notes, a space elsewhere (a long
value wrapped as the RIS specification allows)."""


@dataclass(slots=True)
class _Entry:
    """One tag of the input with its value and first line."""

    tag: str
    value: str
    line: int
    lines: list[str] = field(default_factory=list)


def _entries(text: str, context: ImportContext) -> list[tuple[int, list[_Entry]]]:
    """Split the input into records (first line, tag entries), reporting malformed structure."""
    records: list[tuple[int, list[_Entry]]] = []
    current: list[_Entry] | None = None
    start = 0
    outside_reported = skipping = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        match = _TAG_LINE.match(line)
        if skipping:
            tag = (match.group(1) or match.group(3)).upper() if match else None
            if tag not in ("TY", "ER"):
                continue
            skipping = False
            if tag == "ER":
                continue
        if match is None:
            if not line.strip():
                # Zotero writes the blank line of a paragraph break inside AB and N1 as it is.
                if current and current[-1].tag in _CONTINUE_JOIN:
                    current[-1].lines.append("")
                continue
            if current and _TAG_LIKE.match(line):
                context.report("IMPORT_SYNTAX", f"malformed RIS line '{line[:40]}'; the record "
                               f"of line {start} is skipped", line=number)
                current, skipping = None, True
                continue
            if current:
                current[-1].lines.append(line.strip())
            elif not outside_reported:
                context.report("IMPORT_SYNTAX", "text outside a record (no TY line before it)",
                               line=number)
                outside_reported = True
            continue
        tag = (match.group(1) or match.group(3)).upper()
        value = (match.group(2) if match.group(1) else match.group(4)) or ""
        if tag == "TY":
            if current is not None:
                context.report("IMPORT_SYNTAX", f"the record of line {start} has no ER line; "
                               "it is skipped", line=number)
            current, start = [_Entry(tag, value.strip(), number)], number
            outside_reported = False
            continue
        if current is None:
            if not outside_reported:
                context.report("IMPORT_SYNTAX", f"{tag} line outside a record (no TY line "
                               "before it)", line=number)
                outside_reported = True
            continue
        if tag == "ER":
            records.append((start, current))
            current = None
            continue
        current.append(_Entry(tag, value.strip(), number))
    if current is not None:
        context.report("IMPORT_SYNTAX", f"the record of line {start} has no ER line; it is "
                       "skipped", line=start)
    for _, entries in records:
        for entry in entries:
            while entry.lines and not entry.lines[-1]:
                entry.lines.pop()
            if entry.lines:
                joiner = _CONTINUE_JOIN.get(entry.tag, " ")
                entry.value = joiner.join([entry.value, *entry.lines]) if entry.value else \
                    joiner.join(entry.lines)
    return records


def read(text: str, context: ImportContext) -> list[Record]:
    """RIS records (iombib's, Zotero's, EndNote's ...) back into records; every tag with no field
    goes into the record's notes with a diagnostic naming its line."""
    return [record for start, entries in _entries(text, context)
            if (record := _Builder(context, entries, start).build()) is not None]


_NOTE_LABELS = {label: path for label, path in NOTE_FIELDS}
_EDITION_LINE = re.compile(r"^Edition \(([a-z]{2,3})\) (title|subtitle|short title|issued|pages"
                           r"|ISBN|URL|PDF): (.+)$")
_ROLE_LINE = re.compile(r"^(Compiler|Contributor|Organizer|Funder)(?: \((.+)\))?: (.+)$")
_URL_LINE = re.compile(r"^(URL|PDF) \(([a-z]{2,3})\): (\S+)$")
_RELATION_LINE = re.compile(r"^Relation \(([a-z-]+)\): ([a-z0-9]+(?:-[a-z0-9]+)*)(?:; (.+))?$")
_LABEL_LINE = re.compile(r"^([A-Z][A-Za-z ]+): (.+)$")


class _Builder:
    """Collects one record's values from its tags."""

    def __init__(self, context: ImportContext, entries: list[_Entry], start: int) -> None:
        self.context = context
        self.entries = entries
        self.start = start
        self.values: dict[str, Any] = {}
        self.record_type = "report"
        self.series: dict[str, Any] = {}
        self.creators: list[Creator] = []
        self.urls: list[Url] = []
        self.notes: list[str] = []
        self.editions: dict[str, Edition] = {}
        self.relations: list[Relation] = []
        self.keywords: list[str] = []
        self.declared_incomplete: list[str] = []
        self.unmapped: list[tuple[str, str, int, str]] = []
        self.reading = _Reading(context, start)

    # -- helpers

    def _keep(self, label: str, value: str, line: int, code: str = "IMPORT_UNMAPPED",
              why: str = "") -> None:
        self.unmapped.append((label, value, line, code if not why else f"{code}:{why}"))

    def _set(self, path: str, value: Any, line: int, label: str) -> None:
        head, _, rest = path.partition(".")
        target = self.series if head == "series" else self.values
        key = rest if head == "series" else path
        if key in target:
            if target[key] != value:
                self._keep(label, value if isinstance(value, str) else str(value), line)
            return
        target[key] = value

    def _convert(self, path: str, text: str, line: int, label: str) -> None:
        self.reading.line = line
        try:
            value = _codec(path)[1](text, self.reading)
        except ValueError as problem:
            self._keep(label, text, line, "IMPORT_VALUE", str(problem))
            return
        self._set(path, value, line, label)

    # -- the record

    def build(self) -> Record | None:
        given = self.entries[0].value.upper()
        record_type, ty_known = self._record_type("BOOK" if given == "EDBOOK" else given)
        # Other tools' types are read by the tag table of the record type they are read as.
        ty = given if given == "EDBOOK" else next(t for n, t, _ in TYPES if n == record_type)
        self.reading.record_id = next((e.value for e in self.entries if e.tag == "ID"), None)
        self.record_type = record_type
        for entry in self.entries[1:]:
            self._entry(entry, ty)
        return self._finish(record_type, ty, ty_known)

    def _record_type(self, ty: str) -> tuple[str, bool]:
        m3 = next((e.value for e in self.entries if e.tag == "M3"), None)
        for name, t, sub in TYPES:
            if t == ty and sub is not None and m3 == sub:
                return name, True
        for name, t, sub in TYPES:
            if t == ty and sub is None:
                return name, True
        if ty in _IMPORT_TYPES:
            return _IMPORT_TYPES[ty], True
        return "report", False

    def _entry(self, entry: _Entry, ty: str) -> None:
        tag = SYNONYMS.get(entry.tag, entry.tag)
        if entry.tag == "BT":
            tag = "TI" if ty in ("BOOK", "EDBOOK") else "T2"
        value, line = entry.value, entry.line
        if not value:
            return
        label = UNMAPPED_LABELS.get(entry.tag, entry.tag)
        if tag == "ID":
            self.values.setdefault("id", value)
        elif tag == "TI":
            self._set("full_title", value, line, label)
        elif tag == "ST":
            self._set("short_tag", value, line, label)
        elif tag == "M3":
            if any(n == self.record_type and m == value for n, _, m in TYPES):
                return  # the M3 that chose the record type (a brief, a manual ...)
            if re.match(r"^(?:https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", value):
                self._set("doi", re.sub(r"^https?://(?:dx\.)?doi\.org/", "", value), line, label)
            else:
                self._keep("M3 (type of work)", value, line)
        elif (role := _creator_role(tag, ty)) is not None:
            self.reading.line = line
            self.creators.append(_creator(value, role, self.reading))
        elif tag in ("UR", "L1"):
            for url in re.split(r";\s*(?=https?://)", value):
                self.urls.append(Url(url=url.strip(), kind="pdf" if tag == "L1" else "landing"))
        elif tag == "KW":
            self.keywords.extend(k.strip() for k in value.split("\n") if k.strip())
        elif tag == "N1":
            self._note(value, line)
        elif tag in ("PY", "DA"):
            self.reading.line = line
            try:
                issued = _date(value, self.reading)
            except ValueError as problem:
                self._keep(entry.tag, value, line, "IMPORT_VALUE", str(problem))
                return
            self.values.setdefault("dates", []).append((tag, issued, line))
        elif tag in ("SP", "EP"):
            self.values.setdefault(tag, (value, line))
        elif tag == "SN":
            self._serial_number(value, line, ty)
        elif tag == "DO":
            self._set("doi", re.sub(r"^https?://(?:dx\.)?doi\.org/", "", value), line, label)
        elif tag == "AB":
            self._set("abstract", value, line, label)
        else:
            row = next((r for r in FIELD_TAGS if r.tag == tag and r.holds(ty)), None)
            if row is None:
                self._keep(label, value, line)
            else:
                self._convert(row.path, value, line, label)

    def _serial_number(self, value: str, line: int, ty: str) -> None:
        """SN: ISBNs, an ISSN, or (in a report) the report number; other tools' values are
        sorted by their form."""
        row = next((r for r in FIELD_TAGS if r.tag == "SN" and r.holds(ty)), None)
        if row is not None and row.path == "series.number":
            self._set("series.number", value, line, "SN")
            return
        if re.fullmatch(r"\d{4}-?\d{3}[\dXx]", value.strip()):
            issn = value.strip().upper()
            self._set("series.issn", issn if "-" in issn else f"{issn[:4]}-{issn[4:]}", line, "SN")
            return
        self._convert("isbn", value, line, "SN")

    def _note(self, value: str, line: int) -> None:
        lines = value.split("\n")
        if not all(self._data_line(text, line, dry=True) for text in lines):
            self.notes.append(value)
            return
        for text in lines:
            self._data_line(text, line, dry=False)

    def _data_line(self, text: str, line: int, *, dry: bool) -> bool:
        """Apply one labelled line of a data note; with ``dry``, only tell whether it is one."""
        if match := _ROLE_LINE.match(text):
            if not dry:
                self.reading.line = line
                creator = _creator(match.group(3), match.group(1).lower(), self.reading)
                creator.role_label = match.group(2)
                self.creators.append(creator)
            return True
        if match := _URL_LINE.match(text):
            if not dry:
                self.urls.append(Url(url=match.group(3), language=match.group(2),
                                     kind="pdf" if match.group(1) == "PDF" else "landing"))
            return True
        if match := _RELATION_LINE.match(text):
            if not dry:
                self.relations.append(Relation(type=match.group(1), target=match.group(2),  # type: ignore[arg-type]
                                               note=match.group(3)))
            return True
        if text.startswith("Other language editions: "):
            codes = [c.strip() for c in text.split(": ", 1)[1].split(",")]
            if not all(re.fullmatch(r"[a-z]{2,3}", c) for c in codes):
                return False
            if not dry:
                for code in codes:
                    self.editions.setdefault(code, Edition(language=code))
            return True
        if match := _EDITION_LINE.match(text):
            if not dry:
                self._edition(match.group(1), match.group(2), match.group(3), line)
            return True
        match = _LABEL_LINE.match(text)
        if not match or match.group(1) not in _NOTE_LABELS:
            return False
        if not dry:
            path = _NOTE_LABELS[match.group(1)]
            if path == "provenance.incomplete":
                self.declared_incomplete = _joined(", ")[1](match.group(2), self.reading)
            elif path == "title":
                self.values["title_proper"] = match.group(2)
            else:
                self._convert(path, match.group(2), line, match.group(1))
        return True

    def _edition(self, code: str, attribute: str, value: str, line: int) -> None:
        edition = self.editions.setdefault(code, Edition(language=code))
        if attribute in ("URL", "PDF"):
            edition.urls.append(Url(url=value, kind="pdf" if attribute == "PDF" else "landing"))
        elif attribute == "ISBN":
            self.reading.line = line
            try:
                edition.isbn.extend(_isbn_values(value, self.reading))
            except ValueError as problem:
                self._keep(f"Edition ({code}) ISBN", value, line, "IMPORT_VALUE", str(problem))
        elif attribute == "pages":
            try:
                edition.pages = _int(value, self.reading)
            except ValueError as problem:
                self._keep(f"Edition ({code}) pages", value, line, "IMPORT_VALUE", str(problem))
        else:
            setattr(edition, attribute.replace(" ", "_"), value)

    def _pages(self, ty: str) -> None:
        sp, ep = self.values.pop("SP", None), self.values.pop("EP", None)
        if sp is None and ep is None:
            return
        line = (sp or ep)[1]
        whole = ty in _WHOLE or (ty not in ("CHAP", "JOUR") and ep is None)
        if whole and ep is None:
            self._convert("pages", sp[0], line, "SP")
        elif sp and ep:
            self._set("page_range", f"{sp[0]}-{ep[0]}", line, "SP")
        else:
            self._set("page_range", (sp or ep)[0], line, "SP" if sp else "EP")

    def _issued(self) -> str | None:
        dates = self.values.pop("dates", [])
        da = next((d for d in dates if d[0] == "DA"), None)
        py = next((d for d in dates if d[0] == "PY"), None)
        chosen = da if da and (not py or len(da[1]) > len(py[1])) else py or da
        for other in dates:
            if other is not chosen and not chosen[1].startswith(other[1][:4]):
                self._keep(other[0], other[1], other[2], "IMPORT_VALUE",
                           "the dates disagree")
        return chosen[1] if chosen else None

    def _title(self) -> tuple[str | None, str | None, str | None]:
        full, short = self.values.pop("full_title", None), self.values.pop("short_tag", None)
        proper = self.values.pop("title_proper", None)
        if full is None:
            return proper, None, short
        if proper is not None:
            split = split_title(full, proper)
            return proper, split[1] if split else None, short
        split = split_title(full, short) if short else None
        if split:
            return split[0], split[1], None
        return full, None, short

    def _finish(self, record_type: str, ty: str, ty_known: bool) -> Record:
        title, subtitle, short_title = self._title()
        issued = self._issued()
        self._pages(ty)
        values = self.values
        series = None
        if self.series and not self.series.get("title") and ty == "JOUR" and \
                values.get("container_title"):
            # Other tools' JOUR: IS and SN are the journal's, which is the article's serial.
            self.series["title"] = values["container_title"]
        if self.series.get("title"):
            series = Series(**self.series)
        else:
            for key, value in self.series.items():
                self._keep(f"Series {key}", str(value), self.start)
        identifier = self.context.record_id(values.pop("id", None), title or "", issued)
        record = Record(
            id=identifier, type=record_type,  # type: ignore[arg-type]
            title=title, subtitle=subtitle, short_title=short_title,  # type: ignore[arg-type]
            title_language=values.get("title_language"), creators=self.creators,
            container_title=values.get("container_title"),
            publisher=values.get("publisher", "iom"), place=values.get("place"),
            issued=issued, edition=values.get("edition"),  # type: ignore[arg-type]
            volume=values.get("volume"), series=series, pages=values.get("pages"),
            page_range=values.get("page_range"), languages=values.get("languages", []),
            isbn=values.get("isbn", []), doi=values.get("doi"), symbol=values.get("symbol"),
            urls=self.urls, editions=list(self.editions.values()),
            availability=values.get("availability", []), price=values.get("price"),
            abstract=values.get("abstract"), keywords=self.keywords,
            countries=values.get("countries", []), regions=values.get("regions", []),
            category=values.get("category"), relations=self.relations, notes=self.notes)
        if not ty_known:
            self.context.report("IMPORT_VALUE", f"unknown RIS type '{ty}'; read as a report",
                                line=self.start, record_id=identifier, field_name="type")
        for label, value, line, code in sorted(self.unmapped, key=lambda u: u[2]):
            if code == "IMPORT_UNMAPPED":
                self.context.unmapped(record, label, value, line=line)
            else:
                record.notes.append(f"{label}: {value}")
                self.context.report("IMPORT_VALUE", f"{label}: {code.split(':', 1)[1]}; kept in "
                                    "notes", line=line, record_id=identifier, field_name=label)
        missing = [name for name, present in (("title", title), ("issued", issued),
                                              ("languages", record.languages)) if not present]
        for name in missing:
            if name not in self.declared_incomplete:
                self.context.report("IMPORT_INCOMPLETE", f"the record has no {name}",
                                    line=self.start, record_id=identifier, field_name=name)
        incomplete = list(self.declared_incomplete) + [
            m for m in missing if m not in self.declared_incomplete]
        record.provenance = self.context.provenance(incomplete=incomplete)
        return record


LOSSES: dict[str, str] = {
    "creators.role_label": "RIS has no role wording: authors, editors and translators keep "
                           "their role through the tag; the wording of other roles is kept "
                           "(\"Contributor (Updated by): ...\") and read back",
    "urls.language": "a URL's language is implied by the edition it is written with; a URL "
                     "naming the record's own language is written as a plain UR",
}
"""Record fields RIS cannot carry, and where they go instead (see docs/formats/ris.md)."""
