"""MARCXML (MARC 21 slim): bibliographic records for library systems (Koha, Alma, any MARC 21
system) and MARC tools (pymarc, yaz-marcdump, MarcEdit).

The output is a ``collection`` of ``record`` elements valid against the Library of Congress
MARC21slim schema, one record per publication, written as strings (no XML library on the write
path, so rendering stays fast), indented, deterministic. Every value is XML-escaped; characters
XML 1.0 forbids (C0 controls other than tab, line feed and carriage return; lone surrogates;
U+FFFE/U+FFFF) are replaced by U+FFFD, and a carriage return is written ``&#13;`` so that it
survives XML line-end normalisation.

Cataloguing choices (``docs/formats/marcxml.md`` says why):

- Leader/17 encoding level ``3`` (abbreviated: transcribed from catalogue listings, not from the
  item in hand), leader/18 ``c`` (ISBD punctuation omitted: every subfield holds the value
  alone, so a title ending in "?" or "." is never confused with added punctuation). Records from
  other systems with ISBD punctuation (leader/18 ``a``, ``i`` or blank) are read with the
  punctuation stripped.
- A serial issue is catalogued as a monograph (leader/07 ``m``) in its series (490/830), chapters
  and articles as component parts (``a``) with a 773 host entry.
- What MARC 21 has no field for is kept in the local field 989 (``$a`` label, ``$b`` value,
  ``$l`` language of the edition it belongs to), which :func:`read` parses back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from iombib import identifiers
from iombib.formats import BaseWriter
from iombib.importing import ImportContext
from iombib.model import Creator, Edition, Isbn, Price, Record, Relation, Series, Url
from iombib.rendition import Rendition, date_parts

NAME = "marcxml"
SUFFIXES = (".marcxml", ".xml")
DESCRIPTION = ("MARC 21 slim XML for library systems (Koha, Alma, any MARC 21 system), pymarc "
               "and yaz-marcdump")

NAMESPACE = "http://www.loc.gov/MARC21/slim"
HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          f'<collection xmlns="{NAMESPACE}" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          f'xsi:schemaLocation="{NAMESPACE} '
          'http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd">\n')
FOOTER = "\n</collection>\n"

LOCAL_TAG = "989"
"""Local field for record fields that MARC 21 has no place for: ``$a`` label, ``$b`` value."""

# --------------------------------------------------------------------------- tables

TYPES: tuple[tuple[str, str, str, str, str | None], ...] = (
    # record type, leader/07, 008/24-27 nature of contents, 008/29 conference, 655 genre term
    ("book", "m", "    ", "0", None),
    ("report", "m", "t   ", "0", "Reports"),
    ("conference-report", "m", "    ", "1", "Conference papers and proceedings"),
    ("serial-issue", "m", "    ", "0", "Serial issues"),
    ("article", "a", "    ", "0", "Articles"),
    ("chapter", "a", "    ", "0", None),
    ("brochure", "m", "    ", "0", "Brochures"),
    ("manual", "m", "f   ", "0", "Handbooks and manuals"),
    ("brief", "m", "    ", "0", "Policy briefs"),
    ("fact-sheet", "m", "    ", "0", "Fact sheets"),
    ("working-paper", "m", "t   ", "0", "Working papers"),
)
"""Record type <-> leader/07, 008 nature of contents and conference code, and a 655 _4 genre
term (source not specified) that tells apart the types MARC codes alone cannot."""

ROLES: tuple[tuple[str, str, str], ...] = (
    # role, MARC relator code ($4), relator term ($e)
    ("author", "aut", "author"),
    ("editor", "edt", "editor"),
    ("compiler", "com", "compiler"),
    ("translator", "trl", "translator"),
    ("contributor", "ctb", "contributor"),
    ("organizer", "orm", "organizer"),
    ("funder", "fnd", "funder"),
)
"""Creator roles and their MARC relator codes and terms (``$4`` and ``$e`` of 1XX/7XX)."""

RELATIONS: tuple[tuple[str, str, str, str, str | None], ...] = (
    # relation type, tag, ind1, ind2, $i relationship information
    ("continues", "780", "0", "0", None),
    ("supersedes", "780", "0", "2", None),
    ("translation-of", "765", "0", " ", None),
    ("part-of", "787", "0", "8", "Part of"),
    ("related", "787", "0", "8", "Related"),
)
"""Relations <-> linking entry fields, the target record id in ``$w``, the note in ``$n``."""

PLACES: dict[str, str] = {
    "Geneva": "sz ", "Genève": "sz ", "Ginebra": "sz ", "New York": "nyu",
    "Washington": "dcu", "Washington, D.C.": "dcu", "Brussels": "be ", "Bruxelles": "be ",
    "Bangkok": "th ", "Cairo": "ua ", "Nairobi": "ke ", "Dakar": "sg ", "Pretoria": "sa ",
    "Vienna": "au ", "Buenos Aires": "ag ", "San José": "cr ", "Panama": "pn ",
    "Panama City": "pn ", "London": "enk", "Paris": "fr ", "Rome": "it ", "Berlin": "gw ",
    "Helsinki": "fi ", "Manila": "ph ", "Canberra": "at ", "Ottawa": "onc", "Madrid": "sp ",
    "Lisbon": "po ", "Tunis": "ti ", "Baghdad": "iq ", "Erbil": "iq ", "Ankara": "tu ",
    "Mexico City": "mx ", "Santiago": "cl ", "Lima": "pe ", "Bogotá": "ck ",
}
"""Place of publication -> MARC country code (008/15-17); any other place is ``xx``."""

ARTICLES: dict[str, tuple[str, ...]] = {
    "en": ("the ", "a ", "an "),
    "fr": ("le ", "la ", "les ", "l'", "l’", "un ", "une "),
    "es": ("el ", "la ", "los ", "las ", "un ", "una "),
}
"""Leading articles skipped in filing (245 second indicator), per title language."""

MARC_LANGUAGES: dict[str, str] = {
    "en": "eng", "fr": "fre", "es": "spa", "ar": "ara", "pt": "por", "ru": "rus", "zh": "chi",
    "de": "ger", "it": "ita", "nl": "dut", "tr": "tur", "fa": "per", "sq": "alb", "el": "gre",
    "hy": "arm", "ka": "geo", "ku": "kur", "uk": "ukr", "sw": "swa", "th": "tha", "vi": "vie",
}
"""ISO 639-1 -> MARC (ISO 639-2/B) codes; others come from pycountry."""


@dataclass(frozen=True, slots=True)
class Row:
    """A record field written as one subfield of a data field (one field per list item)."""

    tag: str
    ind1: str
    ind2: str
    code: str
    path: str
    fixed: tuple[tuple[str, str], ...] = ()
    """Constant subfields written after the value (024's ``$2 doi``)."""


TEXT_FIELDS: tuple[Row, ...] = (
    Row("024", "7", " ", "a", "doi", (("2", "doi"),)),
    Row("088", " ", " ", "a", "symbol"),
    Row("246", "3", "0", "a", "short_title"),
    Row("250", " ", " ", "a", "edition"),
    Row("500", " ", " ", "a", "notes"),
    Row("653", " ", " ", "a", "keywords"),
)
"""Record fields that are one plain subfield; both directions use this table."""


def _text(value: Any) -> str | None:
    return None if value in (None, "", []) else str(value)


def _same(text: str) -> str:
    return text


def _list_text(values: Sequence[str]) -> str | None:
    return ", ".join(values) or None


def _list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


LOCAL_FIELDS: tuple[tuple[str, str, Callable[[Any], str | None], Callable[[str], Any]], ...] = (
    ("Title language", "title_language", _text, _same),
    ("Page range", "page_range", _text, _same),
    ("Category", "category", _text, _same),
    ("Availability", "availability", _list_text, _list),
    ("Not in source", "provenance.incomplete", _list_text, _list),
)
"""Labels of the local field 989 for record fields without a MARC 21 field (page range: only
when there is no 773 host entry to carry it)."""

_EDITION_LABELS = {"Edition subtitle": "subtitle", "Edition short title": "short_title"}
_PARAGRAPHS_LABEL = "Abstract paragraphs"
_EDITION_ISBN_LABEL = "Edition ISBN"

# --------------------------------------------------------------------------- values


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text as XML character data or attribute value; forbidden characters become U+FFFD.

    >>> escape('R&D <"x">')
    'R&amp;D &lt;&quot;x&quot;&gt;'
    """
    if not _SPECIAL.search(text):
        return text
    text = _FORBIDDEN.sub("\ufffd", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;"))


@cache
def marc_language(code: str | None) -> str:
    """The MARC language code of an ISO 639-1 code (``und`` when unknown)."""
    if not code:
        return "und"
    if code in MARC_LANGUAGES:
        return MARC_LANGUAGES[code]
    import pycountry

    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None:
        return code if len(code) == 3 else "und"
    return str(getattr(found, "bibliographic", None) or found.alpha_3)


@cache
def language_name(code: str) -> str:
    """The English name of a language code (the code itself when unknown)."""
    import pycountry

    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    return str(found.name) if found is not None else code


@cache
def country_name(code: str) -> str:
    """The English short name of an ISO 3166 alpha-2 code (the code when unknown)."""
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found is not None else code


@cache
def _country_code(name: str) -> str | None:
    import pycountry

    try:
        found = pycountry.countries.lookup(name)
    except LookupError:
        return None
    return str(found.alpha_2)


def nonfiling(title: str, language: str | None) -> str:
    """The 245 second indicator: how many leading characters filing skips (a leading article).

    >>> nonfiling("The Future of Migration", "en"), nonfiling("L'État", "fr")
    ('4', '2')
    """
    lowered = title.lower()
    for article in ARTICLES.get(language or "en", ()):
        if lowered.startswith(article) and len(title) > len(article):
            return str(len(article))
    return "0"


def _isbn_digits(value: str) -> str:
    try:
        return identifiers.normalize_isbn(value)
    except ValueError:
        return value


def _price_text(price: Price | None) -> str | None:
    if price is None:
        return None
    amount = int(price.amount) if float(price.amount).is_integer() else price.amount
    return f"{price.currency} {amount}"


_PRICE = re.compile(r"^(?:([A-Z]{3}) ?([0-9]+(?:\.[0-9]+)?)|\$ ?([0-9]+(?:\.[0-9]+)?))$")


def _price(text: str) -> Price:
    match = _PRICE.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a currency and an amount")
    currency = match.group(1) or "USD"
    amount = float(match.group(2) or match.group(3))
    return Price(amount=int(amount) if amount.is_integer() else amount, currency=currency)


def _numbering(series: Series) -> str | None:
    """Series numbering for 490/830 ``$v``: ``vol. VI, no. 2, pt. 1, June–September 2016``."""
    parts = [f"{prefix} {value}" for prefix, value in (
        ("vol.", series.volume), ("no.", series.number), ("pt.", series.part)) if value]
    if series.issue:
        parts.append(series.issue)
    return ", ".join(parts) or None


_NUMBERING_PREFIXES = {"vol.": "volume", "no.": "number", "pt.": "part"}


def _series_numbering(text: str) -> dict[str, str]:
    """The inverse of :func:`_numbering`; a bare number (other systems) is the number."""
    found: dict[str, str] = {}
    pieces = text.split(", ")
    while pieces:
        head, _, rest = pieces[0].partition(" ")
        key = _NUMBERING_PREFIXES.get(head.lower())
        if key is None or key in found or not rest:
            break
        found[key] = rest
        pieces.pop(0)
    if pieces:
        rest = ", ".join(pieces)
        if not found and re.fullmatch(r"[0-9]+", rest):
            found["number"] = rest
        else:
            found["issue"] = rest
    return found


def person_name(creator: Creator) -> str:
    """``Family, Given particle`` as MARC 100/700 ``$a`` holds it (suffix goes in ``$c``).

    >>> person_name(Creator(family="Gogh", given="Vincent", particle="van"))
    'Gogh, Vincent van'
    """
    given = " ".join(p for p in (creator.given, creator.particle) if p)
    if creator.family is None:
        return given
    return f"{creator.family}, {given}" if given else creator.family


_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "des", "di", "da", "du", "la",
              "le", "ten", "ter", "zu", "dos", "das", "do", "y", "d'", "al", "el", "bin"}


def _person(text: str, forename: bool) -> Creator:
    if forename and ", " not in text:
        return Creator(given=text)
    family, _, given_part = text.partition(", ")
    words = given_part.split()
    particle: list[str] = []
    while words and words[-1] in _PARTICLES:
        particle.insert(0, words.pop())
    return Creator(family=family, given=" ".join(words) or None,
                   particle=" ".join(particle) or None)


def _statement(names: Sequence[tuple[str, Creator]]) -> str | None:
    """245 ``$c``: the creators in natural order, with any role other than author."""
    parts = []
    for name, creator in names:
        role = creator.role_label or (creator.role if creator.role != "author" else None)
        parts.append(f"{name} ({role})" if role else name)
    return ", ".join(parts) or None


def _statement_order(statement: str, names: Sequence[tuple[str, Creator]]) -> list[int] | None:
    """The order of ``names`` that 245 ``$c`` states (MARC files 1XX/7XX by tag, so persons
    come before organizations there), or None when the statement is not a reordering of them.

    >>> people = [("Aa", Creator(family="Aa")), ("IOM", Creator(org="iom"))]
    >>> _statement_order("IOM, Aa", people)
    [1, 0]
    """
    pieces = [_statement([name]) or "" for name in names]

    def search(at: int, left: list[int]) -> list[int] | None:
        if not left:
            return [] if at == len(statement) else None
        for index in left:
            piece = pieces[index]
            end = at + len(piece)
            if statement.startswith(piece, at) and (
                    end == len(statement) or statement.startswith(", ", end)):
                rest = search(end + 2 if end < len(statement) else end,
                              [i for i in left if i != index])
                if rest is not None:
                    return [index, *rest]
        return None

    return search(0, list(range(len(names))))


# --------------------------------------------------------------------------- writing

Field = tuple[str, str, str, list[tuple[str, str]]]


def _leader(record: Record) -> str:
    level = next((t[1] for t in TYPES if t[0] == record.type), "m")
    return f"00000na{level} a22000003c 4500"


def _online(rendition: Rendition) -> bool:
    """True when the edition is known only online (a PDF or web page, no print ISBN or copy)."""
    record = rendition.record
    printed = any(i.medium == "print" for i in rendition.isbns) or any(
        a in ("softcover", "hardcover", "hardcopy") for a in record.availability)
    return bool(rendition.urls or "pdf" in record.availability) and not printed


def _008(rendition: Rendition, online: bool) -> str:
    record = rendition.record
    parts = date_parts(rendition.issued)
    if len(parts) == 2:
        kind, date1, date2 = "m", f"{parts[0][0]:04d}", f"{parts[1][0]:04d}"
    elif parts and len(parts[0]) > 1:
        day = f"{parts[0][2]:02d}" if len(parts[0]) > 2 else "uu"
        kind, date1, date2 = "e", f"{parts[0][0]:04d}", f"{parts[0][1]:02d}{day}"
    elif parts:
        kind, date1, date2 = "s", f"{parts[0][0]:04d}", "    "
    else:
        kind, date1, date2 = "n", "uuuu", "uuuu"
    place = PLACES.get(record.place or "", "xx ")
    nature, conference = next(((t[2], t[3]) for t in TYPES if t[0] == record.type),
                              ("    ", "0"))
    government = "i" if record.publisher == "iom" else "|"
    languages = rendition.languages
    language = "mul" if len(languages) > 1 else marc_language(rendition.language)
    form = "o" if online else " "
    return (f"      {kind}{date1}{date2}{place}     {form}{nature}{government}{conference}"
            f"0| 0 {language} d")


def _issued_text(issued: str) -> str:
    parts = date_parts(issued)
    if len(parts) == 2:
        return f"{parts[0][0]:04d}-{parts[1][0]:04d}"
    return f"{parts[0][0]:04d}" if parts else issued


def _get(rendition: Rendition, path: str) -> Any:
    if path in ("title", "subtitle", "short_title", "issued", "pages", "languages"):
        return getattr(rendition, path)
    head, _, rest = path.partition(".")
    value = getattr(rendition.record, head)
    return getattr(value, rest) if rest and value is not None else value


def _creator_field(rendition: Rendition, creator: Creator, main: bool) -> tuple[Field, str]:
    code, term = next(((c, t) for r, c, t in ROLES if r == creator.role), ("ctb", "contributor"))
    relator = [("e", creator.role_label or term), ("4", code)]
    if creator.org is not None:
        subs = [("a", rendition.org_name(creator.org))]
        if creator.subdivision:
            subs.append(("b", creator.subdivision))
        return ("110" if main else "710", "2", " ", subs + relator), \
            rendition.creator_name(creator)
    subs = [("a", person_name(creator))]
    if creator.suffix:
        subs.append(("c", creator.suffix))
    ind1 = "1" if creator.family is not None else "0"
    return ("100" if main else "700", ind1, " ", subs + relator), creator.display_name()


def _url_field(url: Url, materials: str | None) -> Field:
    subs: list[tuple[str, str]] = []
    if materials:
        subs.append(("3", materials))
    subs.append(("u", url.url))
    if url.kind == "pdf":
        subs.append(("q", "application/pdf"))
    subs.append(("y", "PDF" if url.kind == "pdf" else "Publication page"))
    return ("856", "4", "0" if url.kind == "pdf" else "2", subs)


def _local(label: str, value: str, language: str | None = None) -> Field:
    subs = [("a", label), ("b", value)]
    if language:
        subs.append(("l", language))
    return (LOCAL_TAG, " ", " ", subs)


def marc_fields(rendition: Rendition) -> tuple[str, list[tuple[str, str]], list[Field]]:
    """The leader, control fields and data fields (tag order) of one edition."""
    record = rendition.record
    online = _online(rendition)
    controls = [("001", record.id), ("008", _008(rendition, online))]
    out: list[Field] = []
    # 020: this edition's ISBNs, the price on the first (or alone).
    price = _price_text(record.price)
    # A work in several languages names the language of each ISBN as well as its medium.
    language_qualifier = [("q", language_name(rendition.language))] \
        if record.editions and rendition.language else []
    for isbn in rendition.isbns:
        subs = [("a", _isbn_digits(isbn.value)), ("q", isbn.medium), *language_qualifier]
        if isbn.note:
            subs.append(("q", isbn.note))
        if price:
            subs.append(("c", price))
            price = None
        out.append(("020", " ", " ", subs))
    if price:
        out.append(("020", " ", " ", [("c", price)]))
    if record.type == "serial-issue" and record.series and record.series.issn:
        out.append(("022", " ", " ", [("a", record.series.issn)]))
    for row in TEXT_FIELDS:
        value = _get(rendition, row.path)
        for item in value if isinstance(value, list) else [value] if value else []:
            out.append((row.tag, row.ind1, row.ind2, [(row.code, item), *row.fixed]))
    if rendition.languages:
        out.append(("041", "0", " ", [("a", marc_language(c)) for c in rendition.languages]))
    if record.countries:
        out.append(("043", " ", " ", [("c", c) for c in record.countries]))
    # Creators: the first is the main entry when it is an author.
    names: list[tuple[str, Creator]] = []
    for index, creator in enumerate(record.creators):
        main = index == 0 and creator.role == "author"
        creator_field, name = _creator_field(rendition, creator, main)
        out.append(creator_field)
        names.append((name, creator))
    has_main = bool(record.creators) and record.creators[0].role == "author"
    if rendition.title:
        subs = [("a", rendition.title)]
        if rendition.subtitle:
            subs.append(("b", rendition.subtitle))
        if record.volume:
            subs.append(("n", record.volume))
        statement = _statement(names)
        if statement:
            subs.append(("c", statement))
        out.append(("245", "1" if has_main else "0",
                    nonfiling(rendition.title, record.title_language or rendition.language),
                    subs))
    imprint = [("a", record.place)] if record.place else []
    imprint.append(("b", rendition.publisher))
    if rendition.issued:
        imprint.append(("c", _issued_text(rendition.issued)))
    out.append(("264", " ", "1", imprint))
    if rendition.pages:
        extent = f"{rendition.pages} page{'s' if rendition.pages != 1 else ''}"
        out.append(("300", " ", " ", [("a", f"1 online resource ({extent})" if online
                                        else extent)]))
    out.append(("336", " ", " ", [("a", "text"), ("b", "txt"), ("2", "rdacontent")]))
    if online:
        out.append(("337", " ", " ", [("a", "computer"), ("b", "c"), ("2", "rdamedia")]))
        out.append(("338", " ", " ", [("a", "online resource"), ("b", "cr"),
                                      ("2", "rdacarrier")]))
    else:
        out.append(("337", " ", " ", [("a", "unmediated"), ("b", "n"), ("2", "rdamedia")]))
        out.append(("338", " ", " ", [("a", "volume"), ("b", "nc"), ("2", "rdacarrier")]))
    series = record.series
    if series:
        numbering = _numbering(series)
        subs = [("a", series.title)]
        if series.issn:
            subs.append(("x", series.issn))
        if numbering:
            subs.append(("v", numbering))
        out.append(("490", "1", " ", subs))
        out.append(("830", " ", "0", subs))
    if record.abstract:
        breaks = "\n\n" in record.abstract
        for paragraph in record.abstract.split("\n\n" if breaks else "\n"):
            out.append(("520", "3", " ", [("a", paragraph)]))
        if breaks:
            out.append(_local(_PARAGRAPHS_LABEL, "blank line"))
    if len(rendition.languages) > 1:
        out.append(("546", " ", " ", [("a", _language_note(rendition.languages))]))
    for code in record.countries:
        out.append(("651", " ", "4", [("a", country_name(code))]))
    for region in record.regions:
        out.append(("651", " ", "4", [("a", region)]))
    genre = next((t[4] for t in TYPES if t[0] == record.type), None)
    if genre:
        out.append(("655", " ", "4", [("a", genre)]))
    if record.container_title:
        subs = [("t", record.container_title)]
        if record.page_range:
            subs.append(("g", f"pages {record.page_range}"))
        out.append(("773", "0", " ", subs))
    editions = rendition.other_editions()
    for edition in editions:
        subs = [("e", marc_language(edition.language))]
        if edition.title:
            subs.append(("t", edition.title))
        if edition.issued:
            subs.append(("d", edition.issued))
        if edition.pages:
            subs.append(("h", f"{edition.pages} pages"))
        subs.extend(("z", _isbn_digits(i.value)) for i in edition.isbn)
        out.append(("775", "0", " ", subs))
    for relation in record.relations:
        tag, ind1, ind2, label = next((t[1], t[2], t[3], t[4]) for t in RELATIONS
                                      if t[0] == relation.type)
        subs = [("i", label)] if label else []
        subs.append(("w", relation.target))
        if relation.note:
            subs.append(("n", relation.note))
        out.append((tag, ind1, ind2, subs))
    language = record.languages[0] if record.languages else None
    for url in record.urls if rendition.is_primary else rendition.urls:
        other = rendition.is_primary and url.language not in (None, language)
        out.append(_url_field(url, language_name(url.language) if other and url.language
                              else None))
    for edition in editions:
        for url in edition.urls:
            out.append(_url_field(url, f"{language_name(edition.language)} edition"))
    for label, path, to_text, _ in LOCAL_FIELDS:
        if path == "page_range" and record.container_title:
            continue
        if path == "provenance.incomplete":
            value = record.provenance.incomplete if record.provenance else []
        else:
            value = _get(rendition, path)
        text = to_text(value)
        if text:
            out.append(_local(label, text))
    for edition in editions:
        for label, attribute in _EDITION_LABELS.items():
            value = getattr(edition, attribute)
            if value:
                out.append(_local(label, value, edition.language))
        for isbn in edition.isbn:
            if isbn.medium != "print" or isbn.note:
                qualifiers = ", ".join(q for q in (isbn.medium, isbn.note) if q)
                out.append(_local(_EDITION_ISBN_LABEL, f"{isbn.value} ({qualifiers})",
                                  edition.language))
    out.sort(key=lambda f: f[0])
    return _leader(record), controls, out


def _language_note(codes: Sequence[str]) -> str:
    names = [language_name(c) for c in codes]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Text in {joined}."


def serialize(leader: str, controls: Sequence[tuple[str, str]], data: Sequence[Field]) -> str:
    """One ``record`` element, indented two spaces inside the collection."""
    out = ["  <record>\n    <leader>", leader, "</leader>\n"]
    for tag, value in controls:
        out.append(f'    <controlfield tag="{tag}">{escape(value)}</controlfield>\n')
    for tag, ind1, ind2, subfields in data:
        out.append(f'    <datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">\n')
        for code, value in subfields:
            out.append(f'      <subfield code="{code}">{escape(value)}</subfield>\n')
        out.append("    </datafield>\n")
    out.append("  </record>")
    return "".join(out)


class Writer(BaseWriter):
    """A MARC 21 slim ``collection``, one ``record`` per publication."""

    separator = "\n"

    def header(self) -> str:
        """The XML declaration and the collection's start tag."""
        return HEADER

    def footer(self) -> str:
        """The collection's end tag."""
        return FOOTER

    def render(self, rendition: Rendition) -> str:
        """One record element."""
        return serialize(*marc_fields(rendition))


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class MarcField:
    """One field of the input: tag, indicators, subfields (code, value) and line."""

    tag: str
    ind1: str
    ind2: str
    subfields: list[tuple[str, str]]
    line: int
    value: str | None = None
    """The text of a control field."""

    def show(self) -> str:
        """The field as ``$a value $b value`` (a control field: its text)."""
        if self.value is not None:
            return self.value
        return " ".join(f"${code} {value}" for code, value in self.subfields)


_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_RECORD_CHUNK = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?record\b[^>]*>.*?</(?:\1:)?record>",
                           re.DOTALL)


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, remove_comments=True, remove_pis=True)


def _local_name(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _records(text: str, context: ImportContext) -> list[tuple[int, Any]]:
    """The record elements of the input with their lines; malformed XML is reported and the
    records that parse on their own are kept."""
    from lxml import etree

    body = _DECLARATION.sub("", text, count=1)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as problem:
        return _salvage(body, problem, context)
    if _local_name(root) == "record":
        return [(root.sourceline or 1, root)]
    found = [(el.sourceline or 1, el) for el in root if _local_name(el) == "record"]
    if _local_name(root) != "collection":
        context.report("IMPORT_SYNTAX", f"the root element is <{_local_name(root)}>, not "
                       "<collection> or <record>", line=root.sourceline)
    return found


def _salvage(body: str, problem: Any, context: ImportContext) -> list[tuple[int, Any]]:
    from lxml import etree

    start = re.search(r"<(?:\w+:)?collection\b[^>]*>", body)
    declarations = " ".join(re.findall(r"xmlns(?::\w+)?=\"[^\"]*\"", start.group(0))) \
        if start else ""
    found: list[tuple[int, Any]] = []
    failed = False
    for match in _RECORD_CHUNK.finditer(body):
        offset = body.count("\n", 0, match.start())
        try:
            wrapper = etree.fromstring(f"<wrap {declarations}>{match.group(0)}</wrap>",
                                       _parser())
        except etree.XMLSyntaxError as inner:
            failed = True
            line = offset + (inner.lineno or 1)
            context.report("IMPORT_SYNTAX", f"malformed XML in the record of line {offset + 1}"
                           f" ({inner.msg}); it is skipped", line=line)
            continue
        record = wrapper[0]
        for element in record.iter():
            if element.sourceline:
                element.sourceline = element.sourceline + offset
        found.append((offset + 1, record))
    if not failed:
        context.report("IMPORT_SYNTAX", f"malformed XML ({problem.msg})",
                       line=problem.lineno or None)
    return found


def _fields(element: Any) -> tuple[str | None, list[MarcField]]:
    leader: str | None = None
    out: list[MarcField] = []
    for child in element:
        name = _local_name(child)
        line = child.sourceline or 0
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            out.append(MarcField(child.get("tag", ""), " ", " ", [], line, child.text or ""))
        elif name == "datafield":
            subs = [(sub.get("code", ""), sub.text or "") for sub in child
                    if _local_name(sub) == "subfield"]
            out.append(MarcField(child.get("tag", ""), child.get("ind1", " "),
                                 child.get("ind2", " "), subs, line))
    return leader, out


def read(text: str, context: ImportContext) -> list[Record]:
    """MARCXML records (iombib's, Koha's, the Library of Congress's ...) back into records;
    every field or subfield with no place goes into the record's notes with a diagnostic."""
    records = []
    for line, element in _records(text, context):
        leader, marc = _fields(element)
        records.append(_Builder(context, leader, marc, line).build())
    return records


_TEXT_ROWS = {row.tag: row for row in TEXT_FIELDS}
_LOCAL_LABELS = {label: (path, from_text) for label, path, _, from_text in LOCAL_FIELDS}
_ROLE_BY_CODE = {code: role for role, code, _ in ROLES}
_ROLE_BY_TERM = {term: role for role, _, term in ROLES}
_TYPE_BY_GENRE = {t[4].casefold(): t[0] for t in TYPES if t[4]}
_DERIVED = {"336", "337", "338"}
"""Fields iombib writes from other fields (content, media and carrier types): read silently."""
_NO_LANGUAGE = {"und", "mul", "zxx", "|||", "   ", "", "xxx"}


def _trim(text: str, isbd: bool) -> str:
    """A value without the ISBD punctuation other systems end it with (``Title :``)."""
    if not isbd:
        return text
    text = re.sub(r"\s*[/:;=,]\s*$", "", text.strip())
    if text.endswith(".") and not re.search(r"(?:\b\w|\.\.)\.$", text):
        text = text[:-1]
    return text.strip()


class _Builder:
    """Collects one record's values from its fields."""

    def __init__(self, context: ImportContext, leader: str | None, marc: list[MarcField],
                 line: int) -> None:
        self.context = context
        self.leader = leader or ""
        self.marc = marc
        self.line = line
        self.isbd = len(self.leader) < 19 or self.leader[18] not in "cn"
        self.values: dict[str, Any] = {}
        self.lists: dict[str, list[Any]] = {}
        self.creators: list[Creator] = []
        self.names: list[tuple[str, Creator]] = []
        self.urls: list[Url] = []
        self.editions: list[Edition] = []
        self.relations: list[Relation] = []
        self.series: dict[str, Any] = {}
        self.paragraphs: list[str] = []
        self.places: list[tuple[str, int]] = []
        self.problems: list[tuple[str, str, int, str | None]] = []
        self.statement: tuple[str, int] | None = None
        self.language_note: tuple[str, int] | None = None
        self.incomplete: list[str] = []
        self.issued_008: str | None = None
        self.fixed = ""

    # -- helpers

    def keep(self, label: str, value: str, line: int, why: str | None = None) -> None:
        """Keep a value in notes: unmapped (why None) or a bad value (why given)."""
        self.problems.append((label, value, line, why))

    def set(self, path: str, value: Any, line: int, label: str) -> None:
        if path in self.values and self.values[path] != value:
            self.keep(label, str(value), line)
            return
        self.values[path] = value

    def clean(self, text: str) -> str:
        return _trim(text, self.isbd)

    def extra(self, marc: MarcField, codes: str) -> None:
        """Report the subfields of a field that are not in ``codes``."""
        for code, value in marc.subfields:
            if code not in codes and value:
                self.keep(f"MARC {marc.tag} ${code}", value, marc.line)

    # -- the record

    def build(self) -> Record:
        for marc in self.marc:
            handler = getattr(self, f"f{marc.tag}", None)
            if handler is not None:
                handler(marc)
            elif marc.tag in _TEXT_ROWS:
                self.text_row(marc, _TEXT_ROWS[marc.tag])
            elif marc.tag in _DERIVED:
                continue
            else:
                self.keep(f"MARC {marc.tag}", marc.show(), marc.line)
        return self.finish()

    def text_row(self, marc: MarcField, row: Row) -> None:
        wanted = dict(row.fixed)
        if any(dict(marc.subfields).get(code) != value for code, value in wanted.items()):
            self.keep(f"MARC {marc.tag}", marc.show(), marc.line)
            return
        for code, value in marc.subfields:
            if code in wanted:
                continue
            if code != row.code or not value:
                self.keep(f"MARC {marc.tag} ${code}", value, marc.line)
                continue
            if row.path == "doi":
                value = re.sub(r"^https?://(?:dx\.)?doi\.org/", "", value.strip())
            elif row.path != "notes" and row.path != "keywords":
                value = self.clean(value)
            if row.path in ("notes", "keywords"):
                self.lists.setdefault(row.path, []).append(
                    self.clean(value) if row.path == "keywords" else value)
            else:
                self.set(row.path, value, marc.line, f"MARC {marc.tag}")

    # -- control fields

    def f001(self, marc: MarcField) -> None:
        self.values["id"] = (marc.value or "").strip()

    def f005(self, marc: MarcField) -> None:
        # The time of the latest transaction in the other system: not a field of the record.
        self.keep("MARC 005 (latest transaction)", marc.show(), marc.line)

    def f008(self, marc: MarcField) -> None:
        value = marc.value or ""
        self.fixed = value
        if len(value) != 40:
            self.keep("MARC 008", value, marc.line, "008 is not 40 characters long")
            return
        kind, date1, date2 = value[6], value[7:11], value[11:15]
        if not date1.isdigit():
            return
        if kind == "m" and date2.isdigit() and date2 > date1:
            self.issued_008 = f"{date1}/{date2}"
        elif kind == "e" and date2[:2].isdigit() and 1 <= int(date2[:2]) <= 12:
            day = date2[2:]
            self.issued_008 = f"{date1}-{date2[:2]}" + (
                f"-{day}" if day.isdigit() and 1 <= int(day) <= 31 else "")
        else:
            self.issued_008 = date1

    # -- identifiers

    def f020(self, marc: MarcField) -> None:
        value: str | None = None
        qualifiers: list[str] = []
        for code, text in marc.subfields:
            if code == "a":
                match = re.match(r"^\s*([0-9Xx-]+)\s*(?:\((.*)\))?", text)
                value = match.group(1) if match else text.strip()
                if match and match.group(2):
                    qualifiers.extend(q.strip() for q in match.group(2).split(";"))
            elif code == "q":
                qualifiers.append(self.clean(text.strip("() ")))
            elif code == "c":
                try:
                    self.set("price", _price(self.clean(text)), marc.line, "MARC 020 $c")
                except ValueError as problem:
                    self.keep("MARC 020 $c", text, marc.line, str(problem))
            else:
                self.keep(f"MARC 020 ${code}", text, marc.line)
        if value is None:
            return
        isbn = self.isbn(value, qualifiers, marc.line, "MARC 020 $a")
        if isbn is not None:
            self.lists.setdefault("isbn", []).append(isbn)

    def isbn(self, value: str, qualifiers: list[str], line: int, label: str) -> Isbn | None:
        try:
            digits = identifiers.normalize_isbn(value)
        except ValueError:
            digits = ""
        if not digits or not identifiers.isbn_valid(digits):
            self.keep(label, value, line, f"'{value}' is not a valid ISBN (length, characters "
                      "or check digit)")
            return None
        hyphenated = value if "-" in value else _hyphenate(digits)
        medium, notes = "print", []
        for qualifier in qualifiers:
            word = qualifier.casefold()
            if word in ("print", "electronic"):
                medium = word
            elif word in ("pdf", "ebook", "e-book", "online", "electronic resource"):
                medium = "electronic"
            elif self.is_language_name(qualifier):
                continue  # the edition's language, which 041 states
            elif qualifier:
                notes.append(qualifier)
        return Isbn(value=hyphenated, medium=medium,  # type: ignore[arg-type]
                    note="; ".join(notes) or None)

    def is_language_name(self, text: str) -> bool:
        """True for a language's English name ("French"), as 020 ``$q`` gives it."""
        code = self.context.language_code(text) if len(text) > 3 else None
        return code is not None and language_name(code).casefold() == text.casefold()

    def f022(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code == "a":
                self.values.setdefault("issn022", (self.clean(text), marc.line))
            else:
                self.keep(f"MARC 022 ${code}", text, marc.line)

    # -- languages and places

    def f041(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code != "a":
                self.keep(f"MARC 041 ${code}", text, marc.line)
                continue
            value = text.strip()
            pieces = [value[i:i + 3] for i in range(0, len(value), 3)] \
                if len(value) > 3 and len(value) % 3 == 0 and value.isalpha() else [value]
            for piece in pieces:
                found = self.context.language_code(piece)
                if found is None:
                    self.keep("MARC 041 $a", piece, marc.line, f"'{piece}' is not a language")
                else:
                    self.lists.setdefault("languages", []).append(found)

    def f043(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code == "c" and re.fullmatch(r"[A-Z]{2}", text.strip()):
                self.lists.setdefault("countries", []).append(text.strip())
            else:
                self.keep(f"MARC 043 ${code}", text, marc.line)

    def f546(self, marc: MarcField) -> None:
        self.language_note = (marc.show(), marc.line)

    def f651(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code == "a":
                self.places.append((self.clean(text), marc.line))
            else:
                self.keep(f"MARC 651 ${code}", text, marc.line)

    # -- names and titles

    def creator(self, marc: MarcField, corporate: bool) -> None:
        name = subdivision = suffix = None
        role, label = None, None
        subdivisions = []
        for code, text in marc.subfields:
            if code == "a":
                name = self.clean(text)
            elif code == "b":
                subdivisions.append(self.clean(text))
            elif code == "c" and not corporate:
                suffix = self.clean(text)
            elif code == "4":
                code_text = text.strip().lower().rsplit("/", 1)[-1]
                if code_text in _ROLE_BY_CODE:
                    role = _ROLE_BY_CODE[code_text]
                else:
                    self.keep(f"MARC {marc.tag} $4", text, marc.line)
            elif code == "e":
                label = self.clean(text)
            else:
                self.keep(f"MARC {marc.tag} ${code}", text, marc.line)
        if not name:
            self.keep(f"MARC {marc.tag}", marc.show(), marc.line, "the name has no $a")
            return
        if role is None and label is not None:
            role = _ROLE_BY_TERM.get(label.casefold().rstrip("."))
            if role is None:
                role = next((r for word, r in (("edit", "editor"), ("compil", "compiler"),
                                               ("transl", "translator")) if word in
                             label.casefold()), "contributor")
        role = role or "author"
        term = next(t for r, _, t in ROLES if r == role)
        role_label = label if label is not None and label.casefold() != term else None
        if corporate:
            subdivision = ". ".join(subdivisions) or None
            key = self.context.org_key(name, line=marc.line, record_id=self.values.get("id"))
            creator = Creator(org=key, subdivision=subdivision)
            shown = f"{name}. {subdivision}" if subdivision else name
        else:
            creator = _person(name, marc.ind1 == "0")
            creator.suffix = suffix
            shown = creator.display_name()
        creator.role = role  # type: ignore[assignment]
        creator.role_label = role_label
        self.creators.append(creator)
        self.names.append((shown, creator))

    def f100(self, marc: MarcField) -> None:
        self.creator(marc, corporate=False)

    def f700(self, marc: MarcField) -> None:
        self.creator(marc, corporate=False)

    def f110(self, marc: MarcField) -> None:
        self.creator(marc, corporate=True)

    def f710(self, marc: MarcField) -> None:
        self.creator(marc, corporate=True)

    def f245(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            path = {"a": "title", "b": "subtitle", "n": "volume"}.get(code)
            if path is not None:
                self.set(path, self.clean(text), marc.line, f"MARC 245 ${code}")
            elif code == "c":
                self.statement = (self.clean(text), marc.line)
            else:
                self.keep(f"MARC 245 ${code}", text, marc.line)

    def f264(self, marc: MarcField) -> None:
        if marc.ind2 not in ("1", " "):
            self.keep(f"MARC {marc.tag}", marc.show(), marc.line)
            return
        for code, text in marc.subfields:
            value = self.clean(text)
            if code == "a":
                self.set("place", value, marc.line, f"MARC {marc.tag} $a")
            elif code == "b":
                key = self.context.org_key(value, line=marc.line,
                                           record_id=self.values.get("id"))
                self.set("publisher", key, marc.line, f"MARC {marc.tag} $b")
            elif code == "c":
                self.values.setdefault("date_text", (value, marc.line))
            else:
                self.keep(f"MARC {marc.tag} ${code}", text, marc.line)

    f260 = f264

    def f300(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            match = re.search(r"(\d+)\s*(?:pages|page|p\.|p\b)", text) if code == "a" else None
            if match:
                self.set("pages", int(match.group(1)), marc.line, "MARC 300 $a")
            elif code == "a" and re.fullmatch(r"\s*1 online resource\s*", text):
                continue
            else:
                self.keep(f"MARC 300 ${code}", text, marc.line)

    # -- series, notes, subjects

    def f490(self, marc: MarcField) -> None:
        self.values.setdefault("series490", marc)

    def f830(self, marc: MarcField) -> None:
        self.values.setdefault("series830", marc)

    def f520(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code == "a":
                self.paragraphs.append(text if not self.isbd else text.strip())
            else:
                self.keep(f"MARC 520 ${code}", text, marc.line)

    def f655(self, marc: MarcField) -> None:
        term = self.clean(dict(marc.subfields).get("a", ""))
        found = _TYPE_BY_GENRE.get(term.casefold())
        if found and "genre_type" not in self.values:
            self.values["genre_type"] = found
        else:
            self.keep("MARC 655", marc.show(), marc.line)

    # -- links

    def f773(self, marc: MarcField) -> None:
        for code, text in marc.subfields:
            if code in ("t", "a") and "container_title" not in self.values:
                self.values["container_title"] = self.clean(text)
            elif code == "g":
                match = re.search(r"(?:pages|p\.)\s*(\S+)\s*$", text)
                if match:
                    self.set("page_range", self.clean(match.group(1)), marc.line, "MARC 773 $g")
                else:
                    self.keep("MARC 773 $g", text, marc.line)
            else:
                self.keep(f"MARC 773 ${code}", text, marc.line)

    def f775(self, marc: MarcField) -> None:
        edition: Edition | None = None
        rest: list[tuple[str, str]] = []
        for code, text in marc.subfields:
            if code == "e":
                language = self.context.language_code(text)
                if language is None:
                    self.keep("MARC 775 $e", text, marc.line, f"'{text}' is not a language")
                    return
                edition = Edition(language=language)
            else:
                rest.append((code, text))
        if edition is None:
            self.keep("MARC 775", marc.show(), marc.line)
            return
        for code, text in rest:
            if code == "t":
                edition.title = self.clean(text)
            elif code == "d" and date_parts(text.strip()):
                edition.issued = text.strip()
            elif code == "h" and (match := re.fullmatch(r"\s*(\d+) pages?\s*", text)):
                edition.pages = int(match.group(1))
            elif code == "z":
                isbn = self.isbn(text.strip(), [], marc.line, "MARC 775 $z")
                if isbn is not None:
                    edition.isbn.append(isbn)
            else:
                self.keep(f"MARC 775 ${code}", text, marc.line)
        self.editions.append(edition)

    def relation(self, marc: MarcField) -> None:
        subs = dict(marc.subfields)
        label = subs.get("i")
        kind = next((t[0] for t in RELATIONS if t[1] == marc.tag
                     and (t[4] == label if t[4] is not None else t[3] == marc.ind2)), None)
        target = subs.get("w", "").strip()
        if kind is None or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", target) or any(
                c not in "iwn" for c, _ in marc.subfields):
            self.keep(f"MARC {marc.tag}", marc.show(), marc.line)
            return
        self.relations.append(Relation(type=kind, target=target,  # type: ignore[arg-type]
                                       note=subs.get("n")))

    f765 = f780 = f787 = relation

    def f856(self, marc: MarcField) -> None:
        subs = dict(marc.subfields)
        url = subs.get("u", "").strip()
        if not url:
            self.keep("MARC 856", marc.show(), marc.line)
            return
        kind = "pdf" if subs.get("q", "").lower() in ("application/pdf", "pdf") else "landing"
        materials = subs.get("3")
        edition_language = language = None
        if materials:
            name, edition_word = re.subn(r" edition$", "", materials.strip())
            code = self.context.language_code(name)
            if code is None:
                self.keep("MARC 856 $3", materials, marc.line)
            elif edition_word:
                edition_language = code
            else:
                language = code
        for code, text in marc.subfields:
            if code not in "u3qy":
                self.keep(f"MARC 856 ${code}", text, marc.line)
        link = Url(url=url, kind=kind, language=language)  # type: ignore[arg-type]
        if edition_language is not None:
            self.values.setdefault("edition_urls", []).append((edition_language, link,
                                                               marc.line))
        else:
            self.urls.append(link)

    def f989(self, marc: MarcField) -> None:
        subs = dict(marc.subfields)
        label, value, language = subs.get("a", ""), subs.get("b", ""), subs.get("l")
        if label in _LOCAL_LABELS and not language:
            path, from_text = _LOCAL_LABELS[label]
            if path == "provenance.incomplete":
                self.incomplete = from_text(value)
            else:
                self.set(path, from_text(value), marc.line, f"MARC 989 {label}")
        elif label == _PARAGRAPHS_LABEL:
            self.values["paragraph_break"] = value == "blank line"
        elif (label in _EDITION_LABELS or label == _EDITION_ISBN_LABEL) and language:
            self.values.setdefault("edition_local", []).append((label, value, language,
                                                                marc.line))
        else:
            self.keep("MARC 989", marc.show(), marc.line)

    # -- finishing

    def record_type(self) -> str:
        if "genre_type" in self.values:
            return str(self.values["genre_type"])
        level = self.leader[7] if len(self.leader) > 7 else "m"
        if level in "abd":
            return "chapter" if "series830" not in self.values else "article"
        if len(self.fixed) == 40 and self.fixed[29] == "1":
            return "conference-report"
        if level == "s":
            return "serial-issue"
        if len(self.fixed) == 40 and "t" in self.fixed[24:28]:
            return "report"
        if len(self.fixed) == 40 and "f" in self.fixed[24:28]:
            return "manual"
        return "book"

    def issued(self) -> str | None:
        if self.issued_008:
            return self.issued_008
        date_text = self.values.get("date_text")
        if date_text is None:
            return None
        match = re.search(r"(\d{4})(?:\s*[-/]\s*(\d{4}))?", date_text[0])
        if not match:
            self.keep("MARC 264 $c", date_text[0], date_text[1], "no year in the date")
            return None
        if match.group(2) and match.group(2) > match.group(1):
            return f"{match.group(1)}/{match.group(2)}"
        return match.group(1)

    def finish_series(self) -> Series | None:
        marc = self.values.pop("series830", None) or self.values.pop("series490", None)
        self.values.pop("series490", None)
        if marc is None:
            return None
        values: dict[str, Any] = {}
        for code, text in marc.subfields:
            if code == "a" and "title" not in values:
                values["title"] = self.clean(text)
            elif code == "x" and "issn" not in values:
                values["issn"] = self.clean(text)
            elif code == "v" and not any(k in values for k in _NUMBERING_PREFIXES.values()):
                values.update(_series_numbering(self.clean(text)))
            else:
                self.keep(f"MARC {marc.tag} ${code}", text, marc.line)
        if not values.get("title"):
            self.keep(f"MARC {marc.tag}", marc.show(), marc.line, "the series has no title")
            return None
        return Series(**values)

    def finish_geography(self, countries: list[str]) -> tuple[list[str], list[str]]:
        unnamed = {country_name(c).casefold(): c for c in countries}
        regions: list[str] = []
        for name, _ in self.places:
            key = name.casefold()
            if key in unnamed:
                del unnamed[key]
            elif not self.lists.get("countries") and (code := _country_code(name)):
                countries.append(code)
            else:
                regions.append(name)
        return countries, regions

    def finish_editions(self) -> None:
        by_language = {e.language: e for e in self.editions}
        for language, link, line in self.values.pop("edition_urls", []):
            edition = by_language.get(language)
            if edition is None:
                self.keep("MARC 856", link.url, line, f"no 775 for the {language} edition")
            else:
                edition.urls.append(link)
        for label, value, language, line in self.values.pop("edition_local", []):
            edition = by_language.get(language)
            if edition is None:
                self.keep(f"MARC 989 {label}", value, line, f"no 775 for the {language} edition")
            elif label == _EDITION_ISBN_LABEL:
                match = re.fullmatch(r"(\S+) \((.*)\)", value)
                target = next((i for i in edition.isbn if match and i.value == match.group(1)),
                              None)
                if match is None or target is None:
                    self.keep(f"MARC 989 {label}", value, line, "no such ISBN in the 775")
                    continue
                head, _, note = match.group(2).partition(", ")
                if head in ("print", "electronic"):
                    target.medium = head  # type: ignore[assignment]
                    target.note = note or None
                else:
                    target.note = match.group(2)
            else:
                setattr(edition, _EDITION_LABELS[label], value)

    def finish(self) -> Record:
        values = self.values
        title = values.get("title")
        issued = self.issued()
        series = self.finish_series()
        issn = values.pop("issn022", None)
        if issn is not None:
            if series is not None and series.issn in (None, issn[0]):
                series.issn = issn[0]
            else:
                self.keep("MARC 022", issn[0], issn[1])
        languages = self.lists.get("languages")
        if languages is None and len(self.fixed) == 40:
            code = self.fixed[35:38]
            found = None if code in _NO_LANGUAGE else self.context.language_code(code)
            languages = [found] if found else []
        languages = languages or []
        countries, regions = self.finish_geography(list(self.lists.get("countries", [])))
        self.finish_editions()
        abstract = None
        if self.paragraphs:
            abstract = ("\n\n" if values.get("paragraph_break") else "\n").join(self.paragraphs)
        if self.statement is not None and self.statement[0] != _statement(self.names):
            order = _statement_order(self.statement[0], self.names)
            if order is not None:
                self.names = [self.names[i] for i in order]
                self.creators = [creator for _, creator in self.names]
        identifier = self.context.record_id(values.get("id"), title or "", issued)
        record = Record(
            id=identifier, type=self.record_type(),  # type: ignore[arg-type]
            title=title, subtitle=values.get("subtitle"),  # type: ignore[arg-type]
            short_title=values.get("short_title"), title_language=values.get("title_language"),
            creators=self.creators, container_title=values.get("container_title"),
            publisher=values.get("publisher", "iom"), place=values.get("place"),
            issued=issued, edition=values.get("edition"),  # type: ignore[arg-type]
            volume=values.get("volume"), series=series, pages=values.get("pages"),
            page_range=values.get("page_range"), languages=languages,
            isbn=self.lists.get("isbn", []), doi=values.get("doi"), symbol=values.get("symbol"),
            urls=self.urls, editions=self.editions,
            availability=values.get("availability", []), price=values.get("price"),
            abstract=abstract, keywords=self.lists.get("keywords", []), countries=countries,
            regions=regions, category=values.get("category"), relations=self.relations,
            notes=list(self.lists.get("notes", [])))
        if self.statement is not None and self.statement[0] != _statement(self.names):
            self.keep("MARC 245 $c (statement of responsibility)", *self.statement)
        if self.language_note is not None and (
                len(languages) < 2 or self.language_note[0] != f"$a {_language_note(languages)}"):
            self.keep("MARC 546", *self.language_note)
        for label, value, line, why in sorted(self.problems, key=lambda p: p[2]):
            if why is None:
                self.context.unmapped(record, label, value, line=line)
            else:
                record.notes.append(f"{label}: {value}")
                self.context.report("IMPORT_VALUE", f"{label}: {why}; kept in notes",
                                    line=line, record_id=identifier, field_name=label)
        missing = [name for name, present in (("title", title), ("issued", issued),
                                              ("languages", languages)) if not present]
        for name in missing:
            if name not in self.incomplete:
                self.context.report("IMPORT_INCOMPLETE", f"the record has no {name}",
                                    line=self.line, record_id=identifier, field_name=name)
        incomplete = list(self.incomplete) + [m for m in missing if m not in self.incomplete]
        record.provenance = self.context.provenance(incomplete=incomplete)
        return record


def _hyphenate(digits: str) -> str:
    try:
        return identifiers.hyphenate_isbn(digits)
    except ValueError:
        return digits


LOSSES: dict[str, str] = {}
"""Record fields MARCXML cannot carry, and where they go instead (docs/formats/marcxml.md)."""

