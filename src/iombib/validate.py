"""Validation rules. Each rule is a small function returning findings; nothing is raised.

Record rules look at one record and run in the worker processes that load files; catalogue rules
look across records (duplicate ids and ISBNs, series ISSNs, references). :func:`validate` runs
both over loaded records; :func:`check` loads and validates paths in one pass.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pycountry

from iombib import fields, identifiers, records
from iombib.diagnostics import Diagnostic, Severity
from iombib.model import Organization, Record
from iombib.records import Catalogue


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found, before it is placed in a file."""

    code: str
    message: str
    field: str | None = None
    suggestion: str | None = None


RecordRule = Callable[[Record], Iterable[Finding]]

_FIRST_YEAR = 1900
_SINGLE_LINE = frozenset({"title", "subtitle", "short_title", "container_title", "family", "given",
                          "subdivision", "place", "edition"})


def _walk(obj: Any, path: str = "") -> Iterator[tuple[fields.FieldSpec, Any, str]]:
    """Every field value set in a model object, with its spec and field path."""
    for key, spec in fields.table(type(obj)).items():
        value = getattr(obj, key)
        field_path = f"{path}.{key}" if path else key
        if value is None:
            continue
        if spec.kind == "list":
            for index, item in enumerate(value):
                item_path = f"{field_path}[{index}]"
                if dataclasses.is_dataclass(item):
                    yield from _walk(item, item_path)
                else:
                    assert spec.item is not None
                    yield spec.item, item, item_path
        elif spec.kind == "struct":
            yield from _walk(value, field_path)
        else:
            yield spec, value, field_path


# --------------------------------------------------------------------------- record rules

def required_fields(record: Record) -> Iterator[Finding]:
    """Fields required for the record's type; a gap the source explains is only a warning."""
    incomplete = set(record.provenance.incomplete) if record.provenance else set()
    for key, spec in fields.table(Record).items():
        if not spec.required_for(record.type) or key in record.rejected:
            continue
        value = getattr(record, key)
        if value is None or value == [] or value == "":
            if key in incomplete and key not in fields.NEVER_INCOMPLETE:
                yield Finding("SOURCE_INCOMPLETE", f"'{key}' is missing: the source does not give "
                              "it (provenance.incomplete)", key)
            else:
                needed = "every record" if spec.required is True else f"a {record.type}"
                yield Finding("MISSING_FIELD", f"'{key}' is required for {needed}", key)


def identity(record: Record) -> Iterator[Finding]:
    """The id is a slug equal to the file name."""
    if record.id is None:
        return
    if not re.fullmatch(fields.table(Record)["id"].pattern or "", record.id):
        slug = re.sub(r"[^a-z0-9]+", "-", record.id.lower()).strip("-")
        yield Finding("ID_FORMAT", f"id '{record.id}' is not a lowercase slug of a-z, 0-9 and -",
                      "id", slug or None)
    if record.source is not None:
        name = os.path.basename(record.source)
        stem = name.rsplit(".", 1)[0]
        if stem != record.id:
            yield Finding("ID_FILENAME", f"id '{record.id}' differs from the file name "
                          f"'{name}'", "id", stem)


def field_values(record: Record) -> Iterator[Finding]:
    """Table-driven checks on every value: patterns, minimums, empty and untidy text."""
    for spec, value, path in _walk(record):
        if isinstance(value, str):
            if not value.strip():
                yield Finding("EMPTY_VALUE", f"'{spec.key}' is empty", path)
                continue
            if spec.key in _SINGLE_LINE and (value != value.strip() or "  " in value
                                             or "\n" in value):
                tidy = " ".join(value.split())
                yield Finding("WHITESPACE", f"'{spec.key}' has stray whitespace", path, tidy)
            if spec.pattern and path != "id" and not re.fullmatch(spec.pattern, value):
                yield Finding("INVALID_VALUE", f"'{value}' is not a valid {spec.key}: "
                              f"lowercase letters, digits and hyphens", path)
        elif spec.minimum is not None and isinstance(value, int | float) and value < spec.minimum:
            yield Finding("NUMBER_RANGE", f"{spec.key} must be at least {spec.minimum}, "
                          f"found {value}", path)
    if record.price is not None and record.price.amount is not None and record.price.amount <= 0:
        yield Finding("NUMBER_RANGE", f"a price must be positive, found {record.price.amount}",
                      "price.amount")


def creators(record: Record) -> Iterator[Finding]:
    """Each creator is either a person with a family name or an organization."""
    for index, creator in enumerate(record.creators):
        path = f"creators[{index}]"
        person = creator.family is not None or creator.given is not None
        if person and creator.org is not None:
            yield Finding("CREATOR_KIND", "a creator cannot be both a person and an organization",
                          path)
        elif not person and creator.org is None:
            yield Finding("CREATOR_KIND", "a creator needs a family name or an org key", path)
        elif person and creator.family is None:
            yield Finding("CREATOR_KIND", "a person needs a family name (given names alone "
                          "cannot be sorted or cited)", f"{path}.given")
        if creator.subdivision is not None and creator.org is None:
            yield Finding("CREATOR_KIND", "a subdivision belongs to an organization (org)",
                          f"{path}.subdivision")


def isbns(record: Record) -> Iterator[Finding]:
    """ISBN check digits, forms, hyphenation; an e-ISBN may not repeat a print ISBN."""
    seen: dict[str, tuple[str, str]] = {}
    for path, isbn in _isbn_paths(record):
        for problem in identifiers.check_isbn(isbn.value):
            yield Finding(problem.code, problem.message, f"{path}.value", problem.suggestion)
        key = identifiers.isbn_key(isbn.value)
        if key is None:
            continue
        if key in seen:
            first, medium = seen[key]
            code = "EISBN_EQUALS_PRINT" if isbn.medium != medium else "DUPLICATE_ISBN"
            yield Finding(code, f"ISBN {isbn.value} is also given at {first}", f"{path}.value")
        else:
            seen[key] = (path, isbn.medium)


def _isbn_paths(record: Record) -> Iterator[tuple[str, Any]]:
    for index, isbn in enumerate(record.isbn):
        yield f"isbn[{index}]", isbn
    for e_index, edition in enumerate(record.editions):
        for index, isbn in enumerate(edition.isbn):
            yield f"editions[{e_index}].isbn[{index}]", isbn


def serial_numbers(record: Record) -> Iterator[Finding]:
    """ISSN and DOI forms and check digits."""
    if record.series is not None and record.series.issn is not None:
        for problem in identifiers.check_issn(record.series.issn):
            yield Finding(problem.code, problem.message, "series.issn", problem.suggestion)
    if record.doi is not None:
        for problem in identifiers.check_doi(record.doi):
            yield Finding(problem.code, problem.message, "doi", problem.suggestion)


def urls(record: Record) -> Iterator[Finding]:
    """URLs are absolute http(s) URLs whose kind fits where they lead."""
    url_lists = [("urls", record.urls)] + [
        (f"editions[{i}].urls", e.urls) for i, e in enumerate(record.editions)]
    for base, items in url_lists:
        for index, url in enumerate(items):
            path = f"{base}[{index}].url"
            problem = url_problem(url.url)
            if problem:
                yield Finding("URL_SYNTAX", f"'{url.url}' {problem}", path)
            elif url.kind == "landing" and urlsplit(url.url).path.lower().endswith(".pdf"):
                yield Finding("URL_KIND", "this URL leads to a PDF file: its kind should be pdf",
                              f"{base}[{index}].kind", "pdf")


def url_problem(url: str) -> str | None:
    """Why a URL is not an absolute http(s) URL, or None if it is one."""
    if any(c.isspace() for c in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return f"is not a well-formed URL ({error})"
    if parts.scheme not in ("http", "https"):
        return "is not an http or https URL"
    if not parts.hostname or "." not in parts.hostname:
        return "has no valid host name"
    return None


def codes(record: Record) -> Iterator[Finding]:
    """Languages (ISO 639), countries (ISO 3166-1) and currency (ISO 4217)."""
    language_fields = [(f"languages[{i}]", code) for i, code in enumerate(record.languages)]
    language_fields.append(("title_language", record.title_language))
    for i, edition in enumerate(record.editions):
        language_fields.append((f"editions[{i}].language", edition.language))
        language_fields += [(f"editions[{i}].urls[{j}].language", u.language)
                            for j, u in enumerate(edition.urls)]
    language_fields += [(f"urls[{j}].language", u.language) for j, u in enumerate(record.urls)]
    for path, code in language_fields:
        if code is not None and (code != code.lower() or language(code) is None):
            guess = code.lower() if language(code.lower()) else language_from_name(code)
            yield Finding("LANGUAGE_CODE", f"'{code}' is not an ISO 639 language code (lowercase "
                          "letters, such as en)", path, guess)
    for i, code in enumerate(record.countries):
        if code != code.upper() or pycountry.countries.get(alpha_2=code) is None:
            guess = code.upper() if pycountry.countries.get(alpha_2=code.upper()) else \
                country_from_name(code)
            yield Finding("COUNTRY_CODE", f"'{code}' is not an ISO 3166-1 alpha-2 country code "
                          "(two capital letters, such as CH)", f"countries[{i}]", guess)
    price = record.price
    if price is not None and (price.currency != price.currency.upper()
                              or pycountry.currencies.get(alpha_3=price.currency) is None):
        guess = price.currency.upper() if pycountry.currencies.get(
            alpha_3=price.currency.upper()) else None
        yield Finding("CURRENCY_CODE", f"'{price.currency}' is not an ISO 4217 currency code "
                      "(three capital letters, such as USD)", "price.currency", guess)


def editions(record: Record) -> Iterator[Finding]:
    """Each language edition has its own language, other than the primary edition's."""
    seen = {record.languages[0]} if len(record.languages) == 1 else set()
    for i, edition in enumerate(record.editions):
        if edition.language in seen:
            yield Finding("DUPLICATE_EDITION", f"a second edition in '{edition.language}'",
                          f"editions[{i}].language")
        seen.add(edition.language)


def dates(record: Record) -> Iterator[Finding]:
    """Dates are well formed and plausible; a range runs forwards."""
    items = [("issued", record.issued)] + [
        (f"editions[{i}].issued", e.issued) for i, e in enumerate(record.editions)]
    for path, value in items:
        if value is not None:
            problem = date_problem(value)
            if problem:
                yield Finding(problem[0], problem[1], path)


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_problem(value: str) -> tuple[str, str] | None:
    """Why a date is malformed or implausible, as (code, message), or None."""
    latest = datetime.date.today().year + 1
    parts = value.split("/")
    if len(parts) > 2 or not all(_DATE.fullmatch(p) for p in parts):
        return "DATE_FORMAT", f"'{value}' is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY/YYYY"
    bounds = []
    for part in parts:
        year, month, day = (int(g) if g else None for g in _DATE.fullmatch(part).groups())  # type: ignore[union-attr]
        try:
            datetime.date(year, month or 1, day or 1)  # type: ignore[arg-type]
        except ValueError as error:
            return "DATE_FORMAT", f"'{value}' is not a real date ({error})"
        if not _FIRST_YEAR <= year <= latest:  # type: ignore[operator]
            return "DATE_IMPLAUSIBLE", f"year {year} is outside {_FIRST_YEAR}-{latest}"
        bounds.append(part)
    if len(bounds) == 2 and bounds[0] >= bounds[1]:
        return "DATE_IMPLAUSIBLE", f"the range '{value}' does not run forwards"
    return None


RECORD_RULES: tuple[RecordRule, ...] = (
    required_fields, identity, field_values, creators, isbns, serial_numbers, urls, codes,
    editions, dates,
)
"""The rules run on each record, in order."""


def validate_record(record: Record) -> list[Diagnostic]:
    """Run every record rule on one record, locating each finding in its file."""
    return [_place(record, finding) for rule in RECORD_RULES for finding in rule(record)]


def _place(record: Record | Facts, finding: Finding) -> Diagnostic:
    return Diagnostic(finding.code, finding.message, record.id, finding.field,
                      records.locate(record.source, finding.field), finding.suggestion)


# --------------------------------------------------------------------------- catalogue rules

class Facts(NamedTuple):
    """What the catalogue rules read of a record: small enough to keep for every record of a
    large catalogue while the records themselves stream past (see :func:`facts_of`)."""

    id: str | None
    source: str | None
    isbns: tuple[tuple[str, str, str], ...]
    """(field path, ISBN as written, comparison key) of every well-formed ISBN."""
    series: tuple[str, str] | None
    """(title, ISSN) of a series that has both."""
    org_refs: tuple[tuple[str, str], ...]
    """(field path, organization key) of every organization reference."""
    relations: tuple[str, ...]
    """The target id of every relation."""


def facts_of(record: Record) -> Facts:
    """The facts of a record that the catalogue rules need; repeated text is interned."""
    intern = sys.intern
    isbns = []
    for path, isbn in _isbn_paths(record):
        key = identifiers.isbn_key(isbn.value)
        if key is not None:
            isbns.append((intern(path), isbn.value, key))
    series = record.series
    return Facts(record.id, record.source, tuple(isbns),
                 (intern(series.title), intern(series.issn))
                 if series is not None and series.issn and series.title else None,
                 tuple((intern(path), intern(key)) for path, key in _org_refs(record)),
                 tuple(relation.target for relation in record.relations))


def catalogue_rules(catalogue: Catalogue) -> list[Diagnostic]:
    """Rules across records: ids, ISBNs, series ISSNs, organization and relation references."""
    return catalogue_findings([facts_of(r) for r in catalogue.records], catalogue.organizations,
                              catalogue.authority_found)


def catalogue_findings(every: Sequence[Facts], organizations: dict[str, Organization],
                       authority_found: bool) -> list[Diagnostic]:
    """The catalogue rules over the :class:`Facts` of every record, in catalogue order."""
    found: list[Diagnostic] = []
    by_id: dict[str, Facts] = {}
    isbn_owner: dict[str, Facts] = {}
    issn_by_series: dict[str, tuple[str, Facts]] = {}
    for record in every:
        if record.id in by_id:
            other = by_id[record.id].source
            found.append(_place(record, Finding("DUPLICATE_ID", f"id '{record.id}' is also used "
                                                f"by {other}", "id")))
        elif record.id is not None:
            by_id[record.id] = record
        for path, value, key in record.isbns:
            owner = isbn_owner.setdefault(key, record)
            if owner is not record:
                found.append(_place(record, Finding(
                    "DUPLICATE_ISBN", f"ISBN {value} is also on record '{owner.id}'",
                    f"{path}.value")))
        if record.series is not None:
            title, issn = record.series
            name = " ".join(title.casefold().split())
            first = issn_by_series.setdefault(name, (issn, record))
            if first[0] != issn:
                found.append(_place(record, Finding(
                    "SERIES_ISSN_CONFLICT", f"series '{title}' has ISSN {issn} here "
                    f"but {first[0]} on record '{first[1].id}'", "series.issn")))
    for record in every:
        found.extend(_place(record, f) for f in _references(record, by_id, organizations,
                                                             authority_found))
    if not authority_found and any(r.org_refs for r in every):
        found.append(Diagnostic("ORG_AUTHORITY_MISSING", "no organizations.yaml was found beside "
                                "the records, so organization keys were not checked"))
    return found


def _org_refs(record: Record) -> Iterator[tuple[str, str]]:
    if record.publisher is not None:
        yield "publisher", record.publisher
    for index, creator in enumerate(record.creators):
        if creator.org is not None:
            yield f"creators[{index}].org", creator.org


def _references(record: Facts, by_id: dict[str, Facts], organizations: dict[str, Organization],
                authority_found: bool) -> Iterator[Finding]:
    if authority_found:
        for path, key in record.org_refs:
            if key not in organizations:
                close = _closest(key, organizations)
                hint = f"; did you mean '{close}'?" if close else ""
                yield Finding("UNKNOWN_ORG", f"organization '{key}' is not in the authority file"
                              f"{hint}", path, close)
    for index, target in enumerate(record.relations):
        path = f"relations[{index}].target"
        if target == record.id:
            yield Finding("SELF_RELATION", "a record cannot be related to itself", path)
        elif target not in by_id and not _sibling_exists(record, target):
            close = _closest(target, (i for i in by_id if i != record.id))
            hint = f"; did you mean '{close}'?" if close else ""
            yield Finding("UNKNOWN_RELATION_TARGET", f"no record has the id '{target}'"
                          f"{hint}", path, close)


def _sibling_exists(record: Record | Facts, record_id: str) -> bool:
    """Whether the record's directory holds a file for that id (when validating one file)."""
    if record.source is None:
        return False
    name = f"{record_id}.yaml"
    return name != records.ORGANIZATIONS_FILE and os.path.isfile(
        os.path.join(os.path.dirname(record.source), name))


def _closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


# --------------------------------------------------------------------------- entry points

def validate(catalogue: Catalogue | Iterable[Record]) -> list[Diagnostic]:
    """All diagnostics for loaded records: load problems, record rules and catalogue rules.

    >>> from iombib import load
    >>> [d.format() for d in validate(load("records")) if d.is_error]  # doctest: +SKIP
    []
    """
    if not isinstance(catalogue, Catalogue):
        catalogue = Catalogue(records=list(catalogue))
    found = list(catalogue.diagnostics)
    for record in catalogue.records:
        found.extend(validate_record(record))
    found.extend(catalogue_rules(catalogue))
    return sort_diagnostics(found)


def check(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = "records", *,
          jobs: int | None = None, cached: bool = True) -> tuple[Catalogue, list[Diagnostic]]:
    """Load and validate in one pass, running record rules in the loading workers; files
    unchanged since the last check come from the cache (see :mod:`iombib.cache`)."""
    catalogue = records.load(paths, jobs=jobs, per_record=validate_record, cached=cached)
    with records.paused_gc():
        found = catalogue.diagnostics + catalogue_rules(catalogue)
    return catalogue, sort_diagnostics(found)


def sort_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in file, line and column order (stable for the rest)."""
    def key(d: Diagnostic) -> tuple[str, int, int]:
        loc = d.location
        return (loc.path or "", loc.line or 0, loc.column or 0)
    return sorted(diagnostics, key=key)


def summary(diagnostics: Iterable[Diagnostic]) -> dict[Severity, int]:
    """Count of diagnostics per severity."""
    counts: dict[Severity, int] = defaultdict(int)
    for d in diagnostics:
        assert d.severity is not None
        counts[d.severity] += 1
    return dict(counts)


# --------------------------------------------------------------------------- code tables

def language(code: str) -> Any:
    """The ISO 639 language for a 2- or 3-letter code, or None."""
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code) or \
            pycountry.languages.get(bibliographic=code)
    return None


_LANGUAGE_NAMES = {
    "english": "en", "anglais": "en", "inglés": "en", "ingles": "en",
    "french": "fr", "français": "fr", "francais": "fr", "francés": "fr", "frances": "fr",
    "spanish": "es", "español": "es", "espanol": "es", "espagnol": "es",
    "german": "de", "deutsch": "de", "allemand": "de", "alemán": "de",
    "italian": "it", "italiano": "it", "italien": "it",
    "albanian": "sq", "arabic": "ar", "arabe": "ar", "árabe": "ar",
    "portuguese": "pt", "português": "pt", "russian": "ru", "russe": "ru", "ruso": "ru",
}


def language_from_name(name: str) -> str | None:
    """The ISO 639-1 code for a language name in English, French or Spanish ("Français")."""
    key = name.strip().casefold()
    if key in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[key]
    found = pycountry.languages.get(name=name.strip().title())
    return getattr(found, "alpha_2", None) if found else None


def country_from_name(name: str) -> str | None:
    """The alpha-2 code for a country name, if there is exactly one."""
    try:
        found = pycountry.countries.lookup(name)
    except LookupError:
        return None
    return found.alpha_2
