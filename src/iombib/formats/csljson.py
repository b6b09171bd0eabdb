"""CSL-JSON: the item format of citeproc-js (Zotero, Mendeley), pandoc, citation.js, citeproc-py.

The output is one JSON array of CSL items, one item per record, written entry by entry: ``[``,
the items (each an object indented inside the array) separated by ``,``, then ``]``. Keys come
in a fixed order (the table order below), so the same records give the same bytes.

One table of rows (:data:`ROWS`: CSL variable, record field path, to-CSL, from-CSL) is used both
by :func:`to_csl` and by :func:`read`; titles, names and the type have small two-way functions
beside it. What a CSL variable cannot carry exactly goes into the item's ``custom`` object, which
the CSL-JSON schema allows for data with no variable: after building an item, the writer reads
it back with the same converters the reader uses, and every record field whose value would not
come back (an ambiguous subtitle, creators out of role order, an e-ISBN, other language
editions, the price ...) is written into ``custom`` under its record field path, as plain data
in the form of the record files. :func:`read` lets ``custom`` override the variables.
``docs/formats/csljson.md`` explains every choice.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import functools
import json
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from iombib import fields, identifiers
from iombib.formats import BaseWriter, ExportOptions
from iombib.importing import ImportContext
from iombib.model import Creator, Isbn, Organization, Provenance, Record, Series, Url
from iombib.rendition import Rendition, date_parts, format_date, join_title, split_title
from iombib.validate import date_problem

NAME = "csljson"
SUFFIXES = (".csl.json", ".json")
DESCRIPTION = "CSL-JSON for citeproc-js (Zotero, Mendeley), pandoc, citation.js and citeproc-py"

# --------------------------------------------------------------------------- types

TYPES: tuple[tuple[str, str, str | None], ...] = (
    # record type, CSL type, genre that tells record types sharing a CSL type apart
    ("book", "book", None),
    ("manual", "book", "Manual"),
    ("report", "report", None),
    ("brief", "report", "Brief"),
    ("fact-sheet", "report", "Fact sheet"),
    ("working-paper", "report", "Working paper"),
    ("conference-report", "report", "Conference report"),
    ("serial-issue", "report", None),
    ("brochure", "pamphlet", "Brochure"),
    ("article", "article-journal", None),
    ("chapter", "chapter", None),
)
"""Record type <-> CSL type and genre, both ways. Reading takes the first row that matches, so a
serial issue (written as a report, which styles render well) comes back through ``custom``. The
genre is what APA styles print in brackets ("[Working paper]", "[Brochure]")."""

_IMPORT_TYPES = {
    "article": "article", "article-magazine": "article", "article-newspaper": "article",
    "review": "article", "review-book": "article", "paper-conference": "chapter",
    "entry": "chapter", "entry-dictionary": "chapter", "entry-encyclopedia": "chapter",
    "periodical": "serial-issue", "collection": "book", "classic": "book",
    "pamphlet": "brochure",
}
"""Other tools' CSL types read as the nearest record type."""

CSL_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
})
"""The item types of CSL 1.0.2; those not read as another record type are read as reports."""

ROLES = ("author", "editor", "compiler", "translator", "contributor", "organizer")
"""Record roles that are CSL name variables of the same name, in output order (funder has
none: funders go into ``custom``)."""

# --------------------------------------------------------------------------- readings


@functools.lru_cache(maxsize=1024)
def _language_code(text: str) -> str | None:
    """The reader's language lookup (pycountry), remembered: few spellings recur."""
    return _CODES.language_code(text)


class _Probe:
    """The reader's name and language lookups without side effects, for the writer's check of
    what would come back (mirrors ImportContext.org_key and org_match on an authority file)."""

    def __init__(self, organizations: dict[str, Organization]) -> None:
        self.exact: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        for key, org in organizations.items():
            spellings = {*org.name.values(), *org.acronym.values()}
            for spelling in spellings:
                self.exact.setdefault(spelling, key)
            for spelling in (*spellings, key):
                self.folded.setdefault(spelling.casefold(), key)

    def at(self, var: str) -> None:
        """Where the next value comes from (no lines here)."""

    def org_key(self, name: str) -> str:
        key = self.folded.get(name.strip().casefold())
        if key is None:
            raise ValueError(f"'{name}' is not in the authority file")
        return key

    def corporate(self, text: str) -> Creator:
        if text in self.exact:
            return Creator(org=self.exact[text])
        best: tuple[int, str, str | None] | None = None
        for match in re.finditer(r"\. ", text):
            prefix = text[:match.start()]
            if prefix in self.exact and (best is None or len(prefix) > best[0]):
                best = (len(prefix), self.exact[prefix], text[match.end():].strip() or None)
        if best is None:
            raise ValueError(f"'{text}' is not in the authority file")
        return Creator(org=best[1], subdivision=best[2])

    def language_code(self, text: str) -> str | None:
        return _language_code(text)

    def fail(self, label: str, value: Any, message: str) -> None:
        """A value that does not come back (the writer puts the field into custom)."""

    def extra(self, label: str, value: Any) -> None:
        """A value with no field (none in the writer's own items)."""


_CODES = ImportContext(format_name=NAME)
"""Only for its language lookup, which has no state."""


class _Reader(_Probe):
    """The lookups of one item being read: the import context, the line of each key, and the
    problems found (reported once the record exists)."""

    def __init__(self, context: ImportContext, lines: dict[str, int], start: int,
                 record_id: str | None) -> None:
        self.context, self.lines, self.start, self.record_id = context, lines, start, record_id
        self.line = start
        self.problems: list[tuple[str, str, Any, int, str]] = []

    def at(self, var: str) -> None:
        self.line = self.lines.get(var, self.start)

    def org_key(self, name: str) -> str:
        return self.context.org_key(name, line=self.line, record_id=self.record_id)

    def corporate(self, text: str) -> Creator:
        return self.context.corporate(text, line=self.line, record_id=self.record_id)

    def language_code(self, text: str) -> str | None:
        return self.context.language_code(text)

    def fail(self, label: str, value: Any, message: str) -> None:
        self.problems.append(("IMPORT_VALUE", label, value, self.line, message))

    def extra(self, label: str, value: Any) -> None:
        self.problems.append(("IMPORT_UNMAPPED", label, value, self.line, ""))


Reading = _Probe
"""What the from-CSL converters are given: org_key, corporate, language_code, fail, extra."""

# --------------------------------------------------------------------------- value codecs


def _text(value: Any, rendition: Rendition) -> Any:
    return value if value != "" else None


def _string(value: Any, reading: Reading) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{json.dumps(value, ensure_ascii=False)} is not text")


def _count(value: Any, rendition: Rendition) -> str:
    return str(value)


def _count_back(value: Any, reading: Reading) -> int:
    text = _string(value, reading).strip()
    if not re.fullmatch(r"[1-9][0-9]*", text):
        raise ValueError(f"'{text}' is not a page count")
    return int(text)


def _publisher(key: str, rendition: Rendition) -> str:
    return rendition.org_name(key)


def _publisher_back(value: Any, reading: Reading) -> str:
    return reading.org_key(_string(value, reading))


def _first_language(codes: list[str], rendition: Rendition) -> str | None:
    return codes[0] if codes else None


def _languages_back(value: Any, reading: Reading) -> list[str]:
    codes = []
    for part in (p.strip() for p in re.split(r"[;,]", _string(value, reading))):
        code = reading.language_code(part) if part else None
        if code is None:
            raise ValueError(f"'{part}' is not a language")
        codes.append(code)
    return codes


def _isbn(isbns: list[Isbn], rendition: Rendition) -> str | None:
    """This edition's print ISBN, else its first (as the BibTeX writer picks); all of them and
    their qualifiers go into custom when there is more than one plain print ISBN."""
    chosen = next((i for i in isbns if i.medium == "print"), isbns[0] if isbns else None)
    return chosen.value if chosen else None


def _isbn_back(value: Any, reading: Reading) -> list[Isbn]:
    found = []
    for part in re.split(r"[\s,;]+", _string(value, reading).strip()):
        digits = identifiers.normalize_isbn(part)  # ValueError for a malformed one
        if not identifiers.isbn_valid(digits):
            raise ValueError(f"'{part}' has a wrong check digit")
        if "-" not in part:
            with contextlib.suppress(ValueError):
                part = identifiers.hyphenate_isbn(part)
        found.append(Isbn(value=part))
    return found


def _url(urls: list[Url], rendition: Rendition) -> str | None:
    """The first URL of this edition (a URL naming another language is that edition's)."""
    return next((u.url for u in urls if u.language in (None, rendition.language)), None)


def _url_back(value: Any, reading: Reading) -> list[Url]:
    return [Url(url=_string(value, reading).strip())]


def _joined(separator: str) -> tuple[Callable[[Any, Rendition], Any],
                                     Callable[[Any, Reading], Any]]:
    def to_csl(values: list[str], rendition: Rendition) -> str | None:
        return separator.join(values) or None

    def from_csl(value: Any, reading: Reading) -> list[str]:
        parts = _string(value, reading).split(separator.strip() or separator)
        if separator == "\n":
            return [p.rstrip("\r") for p in parts if p.strip()]
        return [p.strip() for p in parts if p.strip()]

    return to_csl, from_csl


def _date(issued: str, rendition: Rendition) -> dict[str, Any]:
    """``{"date-parts": [[y, m, d]]}``, two date parts for a range of years."""
    parts = date_parts(issued)
    return {"date-parts": parts} if parts else {"literal": issued}


_ISSUED = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?(?:/\d{4}(?:-\d{2}(?:-\d{2})?)?)?$")


def _date_back(value: Any, reading: Reading) -> str:
    """date-parts, or a literal, raw or EDTF string of the record's forms."""
    if isinstance(value, str):
        issued = value.strip()
    elif isinstance(value, dict):
        rest = dict(value)
        parts = rest.pop("date-parts", None)
        text = rest.pop("raw", None) or rest.pop("literal", None)
        rest.pop("raw", None)
        rest.pop("literal", None)
        for key, extra in rest.items():
            reading.extra(f"issued.{key}", extra)
        if parts is not None:
            issued = _from_parts(parts)
        elif isinstance(text, str):
            issued = text.strip()
        else:
            raise ValueError("a date needs date-parts, raw or literal")
    else:
        raise ValueError("a date is an object with date-parts")
    if not _ISSUED.match(issued) or (date_problem(issued) or ("",))[0] == "DATE_FORMAT":
        raise ValueError(f"'{issued}' is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY/YYYY")
    return issued


def _from_parts(parts: Any) -> str:
    if not isinstance(parts, list) or not 1 <= len(parts) <= 2:
        raise ValueError("date-parts must hold one or two dates")
    numbers: list[list[int]] = []
    for part in parts:
        if not isinstance(part, list) or not 1 <= len(part) <= 3:
            raise ValueError("each of date-parts is a list of year, month, day")
        numbers.append([])
        for piece in part:
            if isinstance(piece, bool) or not isinstance(piece, int | str) or \
                    not re.fullmatch(r"\d{1,4}", str(piece).strip()):
                raise ValueError(f"{json.dumps(piece, ensure_ascii=False)} is not a number")
            numbers[-1].append(int(str(piece).strip()))
    if len(numbers) == 2 and numbers[0] == numbers[1]:
        numbers = numbers[:1]
    issued = format_date(numbers)
    assert issued is not None
    return issued


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class Row:
    """One CSL variable and the record field it carries."""

    var: str
    path: str
    to: Callable[[Any, Rendition], Any] = _text
    """Record value (never empty) -> CSL value (None: not written)."""
    back: Callable[[Any, Reading], Any] = _string
    """CSL value -> record value; raises ValueError for an unusable value."""
    alt: str | None = None
    """A second record field: written when ``path`` is empty, read when the item has a
    collection-title (a series' volume)."""


ROWS: tuple[Row, ...] = (
    Row("container-title", "container_title"),
    Row("collection-title", "series.title"),
    Row("collection-number", "series.number"),
    Row("volume", "volume", alt="series.volume"),
    Row("issue", "series.issue"),
    Row("part", "series.part"),
    Row("number", "symbol"),
    Row("edition", "edition"),
    Row("publisher", "publisher", _publisher, _publisher_back),
    Row("publisher-place", "place"),
    Row("issued", "issued", _date, _date_back),
    Row("number-of-pages", "pages", _count, _count_back),
    Row("page", "page_range"),
    Row("language", "languages", _first_language, _languages_back),
    Row("ISBN", "isbn", _isbn, _isbn_back),
    Row("ISSN", "series.issn"),
    Row("DOI", "doi"),
    Row("URL", "urls", _url, _url_back),
    Row("keyword", "keywords", *_joined(", ")),
    Row("abstract", "abstract"),
    Row("note", "notes", *_joined("\n")),
)
"""CSL variable <-> record field, in output order (after id, type, genre, title, title-short
and the names). title is the title with its subtitle, title-short the short title, else the
title proper (the rule Zotero uses); see :func:`_titles`."""

_SYNONYMS = {"shortTitle": "title-short"}
"""Variables other tools write for the same thing (read only)."""


def _specs() -> dict[str, fields.FieldSpec]:
    """Record field path -> its spec, for every path custom can hold, in record order."""
    specs: dict[str, fields.FieldSpec] = {}
    for key, spec in fields.table(Record).items():
        if key == "series":
            specs.update({f"series.{k}": s for k, s in fields.table(Series).items()})
        elif key not in ("id", "provenance"):
            specs[key] = spec
    specs["provenance.incomplete"] = fields.table(Provenance)["incomplete"]
    return specs


CUSTOM: dict[str, fields.FieldSpec] = _specs()
"""The record field paths ``custom`` can hold, in the order it is written."""

_ABSENT = {"publisher": "iom", "place": None}
"""What the reader gives a field when the item has nothing for it (else the field default)."""


def _absent(path: str) -> Any:
    return _ABSENT[path] if path in _ABSENT else CUSTOM[path].default


# --------------------------------------------------------------------------- writing


def _getter(path: str) -> Callable[[Rendition], Any]:
    """How to get a record field's value in the chosen edition (the record re-rooted at that
    edition: its title, ISBNs, URLs and languages, the other editions as editions)."""
    if path in ("title", "subtitle", "short_title", "issued", "pages", "languages"):
        return operator.attrgetter(path)
    special: dict[str, Callable[[Rendition], Any]] = {
        "isbn": operator.attrgetter("isbns"),
        "urls": lambda r: r.record.urls if r.is_primary else r.urls,
        "editions": Rendition.other_editions,
        "provenance.incomplete":
            lambda r: r.record.provenance.incomplete if r.record.provenance else [],
    }
    if path in special:
        return special[path]
    head, _, rest = path.partition(".")
    if rest:
        return lambda r: getattr(s, rest) if (s := getattr(r.record, head)) is not None else None
    return lambda r: getattr(r.record, head)


_GET = {path: _getter(path) for path in CUSTOM}
_CHECKS = tuple((path, _GET[path], _absent(path)) for path in CUSTOM)
"""Per custom path: its getter and what the reader gives when the item has nothing for it."""


def _view(rendition: Rendition, path: str) -> Any:
    """A record field's value in the chosen edition."""
    return _GET[path](rendition)


def _titles(rendition: Rendition) -> dict[str, str]:
    """title: the title with its subtitle (as citations print it); title-short: the short
    title, else the title proper when there is a subtitle."""
    out = {}
    if rendition.title:
        out["title"] = join_title(rendition.title, rendition.subtitle)
    short = rendition.short_title or (rendition.title if rendition.subtitle else None)
    if short:
        out["title-short"] = short
    return out


def _name(creator: Creator, rendition: Rendition) -> dict[str, str] | None:
    if creator.org is not None:
        return {"literal": rendition.creator_name(creator)}
    name = {key: value for key, value in (
        ("family", creator.family), ("given", creator.given),
        ("non-dropping-particle", creator.particle), ("suffix", creator.suffix)) if value}
    return name or None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return fields.dump(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_csl(rendition: Rendition, probe: _Probe | None = None, *,
           custom: bool = True) -> dict[str, Any]:
    """One record edition as a CSL item (a dict ready for ``json.dumps``).

    Persons are ``{family, given, non-dropping-particle, suffix}``, corporate bodies
    ``{"literal": name}`` in the edition's language; ``custom`` holds, under their record field
    paths, the fields that would not come back from the variables (left out, and not worked
    out, when ``custom`` is false: what a citation prints is in the variables). ``probe``
    (built by the writer once) is the authority file lookup; without it one is built from the
    rendition.
    """
    record = rendition.record
    csl_type, genre = next(((t, g) for n, t, g in TYPES if n == record.type), ("report", None))
    item: dict[str, Any] = {"id": record.id, "type": csl_type}
    if genre:
        item["genre"] = genre
    item.update(_titles(rendition))
    for role in ROLES:
        names = [n for c in record.creators if c.role == role
                 if (n := _name(c, rendition)) is not None]
        if names:
            item[role] = names
    for row in ROWS:
        value = _view(rendition, row.path)
        if row.alt and value in (None, "", []):
            value = _view(rendition, row.alt)
        if value in (None, "", []):
            continue
        written = row.to(value, rendition)
        if written not in (None, ""):
            item[row.var] = written
    if not custom:
        return item
    back, _ = interpret(item, probe or _Probe(rendition.organizations), frozenset())
    kept = {path: _plain(value) for path, get, absent in _CHECKS
            if (value := get(rendition)) != back.get(path, absent)}
    if kept:
        item["custom"] = kept
    return item


class Writer(BaseWriter):
    """A JSON array of CSL items, one per record, each indented inside the array."""

    separator = ",\n"

    def __init__(self, records: Sequence[Record], options: ExportOptions,
                 surveys: Sequence[Any] | None = None) -> None:
        super().__init__(records, options, surveys)
        self.probe = _Probe(options.organizations)

    def header(self) -> str:
        """The opening bracket of the array."""
        return "[\n"

    def footer(self) -> str:
        """The closing bracket of the array."""
        return "\n]\n"

    def render(self, rendition: Rendition) -> str:
        """One CSL item inside the array: a line per variable (and per custom field), each
        value compact, so that diagnostics on reading name the variable's line."""
        return layout(to_csl(rendition, self.probe))


_encoder = json.JSONEncoder(ensure_ascii=False)
_encode_string = json.encoder.encode_basestring
"""What the encoder does with a string, without its type dispatch."""


def _dumps(value: Any) -> str:
    """Compact JSON of a value, UTF-8 text (one encoder: json.dumps would make one per call)."""
    return _encode_string(value) if type(value) is str else _encoder.encode(value)


@functools.cache
def _starts(key: str, indent: str) -> str:
    """The start of the line of a variable: indent, key and colon."""
    return f"{indent}{_encode_string(key)}: "


def layout(item: dict[str, Any]) -> str:
    """An item as the writer lays it out, indented by two spaces inside the array."""
    lines = []
    for key, value in item.items():
        if key == "custom" and isinstance(value, dict) and value:
            inner = ",\n".join(_starts(k, "      ") + _dumps(v) for k, v in value.items())
            lines.append(f'    "custom": {{\n{inner}\n    }}')
        else:
            lines.append(_starts(key, "    ") + _dumps(value))
    return "  {\n" + ",\n".join(lines) + "\n  }"


# --------------------------------------------------------------------------- interpreting


def _record_type(item: dict[str, Any], reading: Reading) -> tuple[str, bool]:
    """The record type of an item's type and genre, and whether the genre told it."""
    csl_type, genre = item.get("type"), item.get("genre")
    for name, t, g in TYPES:
        if t == csl_type and g is not None and g == genre:
            return name, True
    for name, t, g in TYPES:
        if t == csl_type and g is None:
            return name, False
    if csl_type in _IMPORT_TYPES:
        return _IMPORT_TYPES[csl_type], False
    if csl_type not in CSL_TYPES:
        reading.at("type")
        reading.fail("type", csl_type, "not a CSL item type; read as a report")
    return "report", False


def _person(name: Any, role: str, reading: Reading) -> Creator:
    if not isinstance(name, dict):
        raise ValueError("a name is an object")
    if "literal" in name:
        creator = reading.corporate(_string(name["literal"], reading))
    else:
        parts = {key: _string(name[key], reading) for key in (
            "family", "given", "suffix", "non-dropping-particle", "dropping-particle")
            if key in name}
        if not parts.get("family") and not parts.get("given"):
            raise ValueError("a name needs a family name, given names or a literal")
        particle = " ".join(p for p in (parts.get("dropping-particle"),
                                        parts.get("non-dropping-particle")) if p)
        creator = Creator(family=parts.get("family"), given=parts.get("given"),
                          particle=particle or None, suffix=parts.get("suffix"))
    for key, value in name.items():
        if key not in ("literal", "family", "given", "suffix", "non-dropping-particle",
                       "dropping-particle", "comma-suffix", "static-ordering", "parse-names") \
                and value not in (None, "", []):
            reading.extra(f"{role}.{key}", value)
    creator.role = role  # type: ignore[assignment]
    return creator


def _creators(item: dict[str, Any], reading: Reading) -> list[Creator]:
    found: list[Creator] = []
    for role in ROLES:
        names = item.get(role)
        if names is None:
            continue
        reading.at(role)
        if not isinstance(names, list):
            reading.fail(role, names, "a name variable is a list of names")
            continue
        for name in names:
            try:
                found.append(_person(name, role, reading))
            except ValueError as problem:
                reading.fail(role, name, str(problem))
    return found


def interpret(item: dict[str, Any], reading: Reading,
              skip: frozenset[str]) -> tuple[dict[str, Any], set[str]]:
    """The record fields a CSL item's variables give (record field path -> value), and the
    variables used. Fields in ``skip`` (given by custom) are not read from the variables."""
    used = {"type", "title", "title-short", "shortTitle", *ROLES}
    values: dict[str, Any] = {}
    record_type, by_genre = _record_type(item, reading)
    if by_genre or item.get("genre") in {g for _, t, g in TYPES if t == item.get("type")}:
        used.add("genre")
    if "type" not in skip:
        values["type"] = record_type
    titles: dict[str, str | None] = {}
    for var in ("title", "title-short", "shortTitle"):
        if var in item:
            reading.at(var)
            try:
                titles.setdefault(_SYNONYMS.get(var, var), _string(item[var], reading))
            except ValueError as problem:
                reading.fail(var, item[var], str(problem))
    full, short = titles.get("title"), titles.get("title-short")
    split = split_title(full, short) if full and short else None
    for path, value in zip(("title", "subtitle", "short_title"),
                           (split[0], split[1], None) if split else (full, None, short),
                           strict=True):
        if path not in skip:
            values[path] = value
    if "creators" not in skip:
        values["creators"] = _creators(item, reading)
    for row in ROWS:
        if row.var not in item:
            continue
        used.add(row.var)
        path = row.alt if row.alt and "collection-title" in item else row.path
        if path in skip:
            continue
        reading.at(row.var)
        try:
            values[path] = row.back(item[row.var], reading)
        except ValueError as problem:
            reading.fail(row.var, item[row.var], str(problem))
    return values, used


# --------------------------------------------------------------------------- custom


def _from_plain(spec: fields.FieldSpec, value: Any, path: str) -> Any:
    """Custom data checked against the field table and built into model values."""
    if value is None:
        if spec.required is True:
            raise ValueError(f"{path} cannot be null")
        return [] if spec.kind == "list" else {} if spec.kind == "dict" else None
    kind = spec.kind
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{path} must be text")
        if spec.choices is not None and value not in spec.choices:
            raise ValueError(f"'{value}' is not an allowed {spec.key}")
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            raise ValueError(f"'{value}' is not a valid {spec.key}")
        return value
    if kind in ("int", "float"):
        allowed = int if kind == "int" else int | float
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise ValueError(f"{path} must be a {'whole ' if kind == 'int' else ''}number")
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"{path} must be at least {spec.minimum}")
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise ValueError(f"{path} must be a list")
        assert spec.item is not None
        items = [_from_plain(spec.item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        if any(i is None for i in items):
            raise ValueError(f"{path} holds a null")
        return items
    if kind == "dict":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"{path} must be an object of texts")
        return dict(value)
    assert spec.struct is not None
    if not isinstance(value, dict):
        raise ValueError(f"{path} must be an object")
    table = fields.table(spec.struct)
    for key in value:
        if key not in table:
            raise ValueError(f"'{key}' is not a field of {spec.struct.__name__}")
    for key, sub in table.items():
        if sub.required is True and value.get(key) is None:
            raise ValueError(f"{path} needs {key}")
    return spec.struct(**{k: _from_plain(table[k], v, f"{path}.{k}") for k, v in value.items()})


def _custom(custom: Any, lines: dict[str, int], reader: _Reader) -> dict[str, Any]:
    """The checked values of an item's custom object (record field path -> value)."""
    reader.at("custom")
    if not isinstance(custom, dict):
        reader.fail("custom", custom, "custom must be an object")
        return {}
    found: dict[str, Any] = {}
    for key, value in custom.items():
        reader.line = lines.get(key, reader.line)
        if key not in CUSTOM:
            reader.extra(f"custom.{key}", value)
            continue
        try:
            found[key] = _from_plain(CUSTOM[key], value, key)
        except ValueError as problem:
            reader.fail(f"custom.{key}", value, str(problem))
            continue
        # Authority keys the file lacks are proposed as new organizations.
        if key == "publisher":
            found[key] = reader.org_key(found[key])
        elif key == "creators":
            for creator in found[key]:
                if creator.org is not None and creator.org not in reader.context.organizations:
                    creator.org = reader.org_key(creator.org)
    return found


# --------------------------------------------------------------------------- reading JSON

_WS = re.compile(r"[ \t\n\r]*")
Member = tuple[Any, int, int]
"""A key's value, the line of the key, and the offset of the value."""


class _Text:
    """The input with line numbers of offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in re.finditer("\n", text)]
        self.decoder = json.JSONDecoder()

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.breaks, pos) + 1

    def skip(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        assert match is not None
        return match.end()

    def error(self, message: str, pos: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, pos)

    def object(self, pos: int) -> tuple[dict[str, Member], list[tuple[str, Member]], int]:
        """The members of the object at ``pos`` (a ``{``) with their lines, keys met again,
        and the offset after it."""
        text, members, again = self.text, {}, []
        pos = self.skip(pos + 1)
        if text.startswith("}", pos):
            return members, again, pos + 1
        while True:
            if not text.startswith('"', pos):
                raise self.error("Expecting property name enclosed in double quotes", pos)
            key, after = self.decoder.raw_decode(text, pos)
            line = self.line(pos)
            pos = self.skip(after)
            if not text.startswith(":", pos):
                raise self.error("Expecting ':' delimiter", pos)
            pos = self.skip(pos + 1)
            value, end = self.decoder.raw_decode(text, pos)
            if key in members:
                again.append((key, (value, line, pos)))
            else:
                members[key] = (value, line, pos)
            pos = self.skip(end)
            if text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif text.startswith("}", pos):
                return members, again, pos + 1
            else:
                raise self.error("Expecting ',' delimiter", pos)


_KINDS = {str: "a string", int: "a number", float: "a number", bool: "true or false",
          list: "an array", type(None): "null"}


def _items(source: _Text, context: ImportContext
           ) -> list[tuple[int, dict[str, Member], list[tuple[str, Member]]]]:
    """The items of the array, each with its first line; malformed JSON is reported at its
    line and ends the reading (the items before it are kept)."""
    text, items = source.text, []
    pos = source.skip(0)
    try:
        if pos == len(text):
            context.report("IMPORT_SYNTAX", "the input is empty; CSL-JSON is an array of items",
                           line=1)
            return []
        if text[pos] == "{":  # one item on its own, as citation.js writes it
            line = source.line(pos)
            members, again, pos = source.object(pos)
            items.append((line, members, again))
        elif text[pos] != "[":
            value, _ = source.decoder.raw_decode(text, pos)
            context.report("IMPORT_SYNTAX", f"the input is {_KINDS.get(type(value), 'JSON')}, "
                           "not an array of CSL items", line=source.line(pos))
            return []
        else:
            pos = source.skip(pos + 1)
            index = 0
            while not text.startswith("]", pos) or index:
                index += 1
                line = source.line(pos)
                if text.startswith("{", pos):
                    members, again, pos = source.object(pos)
                    items.append((line, members, again))
                else:
                    value, pos = source.decoder.raw_decode(text, pos)
                    context.report("IMPORT_SYNTAX", f"item {index} is "
                                   f"{_KINDS.get(type(value), 'JSON')}, not an object; skipped",
                                   line=line)
                pos = source.skip(pos)
                if text.startswith("]", pos):
                    break
                if not text.startswith(",", pos):
                    raise source.error("Expecting ',' delimiter", pos)
                pos = source.skip(pos + 1)
            pos += 1
        pos = source.skip(pos)
        if pos < len(text):
            context.report("IMPORT_SYNTAX", "text after the end of the CSL-JSON; not read",
                           line=source.line(pos))
    except json.JSONDecodeError as error:
        context.report("IMPORT_SYNTAX", f"malformed JSON: {error.msg} (column {error.colno}); "
                       "the items from there on are not read", line=error.lineno)
    return items


def read(text: str, context: ImportContext) -> list[Record]:
    """CSL-JSON items (iombib's, Zotero's, pandoc's, citation.js's ...) back into records; every
    variable with no field goes into the record's notes with a diagnostic naming its line."""
    source = _Text(text.lstrip("\ufeff"))
    return [_record(source, start, members, again, context)
            for start, members, again in _items(source, context)]


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _record(source: _Text, start: int, members: dict[str, Member],
            again: list[tuple[str, Member]], context: ImportContext) -> Record:
    item = {key: member[0] for key, member in members.items()}
    lines = {key: member[1] for key, member in members.items()}
    candidate = item.get("id")
    candidate = str(candidate) if isinstance(candidate, str | int) and \
        not isinstance(candidate, bool) else None
    reader = _Reader(context, lines, start, candidate)
    custom: dict[str, Any] = {}
    if "custom" in members:
        # Parsed once already: walked again only for the lines of its keys.
        inner = source.object(members["custom"][2])[0] if isinstance(item["custom"], dict) \
            else {}
        custom = _custom(item["custom"], {k: m[1] for k, m in inner.items()}, reader)
    values, used = interpret(item, reader, frozenset(custom))
    values.update(custom)
    for key, (value, line, _) in again:
        reader.line = line
        reader.fail(key, value, "the key appears twice in the item; the first is used")
    series = {path[7:]: values.pop(path) for path in list(values) if path.startswith("series.")}
    series = {key: value for key, value in series.items() if value is not None}
    if series and "title" not in series and values.get("type") == "article" and \
            values.get("container_title"):
        series["title"] = values["container_title"]  # other tools' journal numbering
    if series and "title" not in series:
        reader.at("collection-title")
        for key, value in series.items():
            reader.extra(f"series.{key}", value)
        series = {}
    title, issued = values.get("title"), values.get("issued")
    identifier = context.record_id(candidate, title or "", issued)
    declared = values.pop("provenance.incomplete", [])
    arguments = {key: value for key, value in values.items() if key in CUSTOM}
    arguments.setdefault("place", None)
    record = Record(id=identifier, series=Series(**series) if series else None, **arguments)
    record.notes = list(record.notes)
    for key in item:
        if key not in used and key not in ("id", "custom"):
            reader.line = lines[key]
            reader.extra(key, item[key])
    for code, label, value, line, message in sorted(reader.problems, key=lambda p: p[3]):
        if code == "IMPORT_UNMAPPED":
            context.unmapped(record, label, _shown(value), line=line)
        else:
            record.notes.append(f"{label}: {_shown(value)}")
            context.report("IMPORT_VALUE", f"{label}: {message}; kept in notes", line=line,
                           record_id=identifier, field_name=label)
    missing = [name for name, present in (("title", title), ("issued", issued),
                                          ("languages", record.languages)) if not present]
    for name in missing:
        if name not in declared:
            context.report("IMPORT_INCOMPLETE", f"the item has no {name}", line=start,
                           record_id=identifier, field_name=name)
    record.provenance = context.provenance(
        incomplete=list(declared) + [m for m in missing if m not in declared])
    return record


LOSSES: dict[str, str] = {
    "provenance": "not carried: the import writes its own provenance (source file, format); "
                  "only provenance.incomplete comes back, through custom",
}
"""Record fields that do not come back from CSL-JSON (see docs/formats/csljson.md). Everything
else does: what no variable carries exactly is in custom."""
