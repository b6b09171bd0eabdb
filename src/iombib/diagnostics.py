"""Diagnostics: problems found in records, returned as data and never raised.

Every code is documented in :data:`CODES`, the one place that lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a diagnostic is: errors fail validation, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


CODES: dict[str, tuple[Severity, str]] = {
    # Reading files
    "FILE_UNREADABLE": (Severity.ERROR, "The file or directory cannot be read."),
    "FILE_ENCODING": (Severity.ERROR, "The file is not valid UTF-8."),
    "FILE_EMPTY": (Severity.ERROR, "The file holds no record."),
    "YAML_SYNTAX": (Severity.ERROR, "The file is not well-formed YAML."),
    "NO_RECORDS": (Severity.ERROR, "No record files were found where records were expected."),
    "ORG_AUTHORITY_MISSING": (Severity.WARNING,
                              "No organizations.yaml beside the records: references unchecked."),
    # Structure, driven by the field table
    "WRONG_TYPE": (Severity.ERROR, "A value has the wrong type (text, number, list, mapping)."),
    "UNKNOWN_FIELD": (Severity.ERROR, "A key is not a field of the record format."),
    "DUPLICATE_KEY": (Severity.ERROR, "A key appears twice in the same mapping."),
    "MISSING_FIELD": (Severity.ERROR, "A field required for this record type is missing."),
    "SOURCE_INCOMPLETE": (Severity.WARNING,
                          "A required field is missing because the source lacks it."),
    "INVALID_VALUE": (Severity.ERROR, "A value is not one of the allowed values or forms."),
    # Identity and references
    "ID_FORMAT": (Severity.ERROR, "The id is not a lowercase slug."),
    "ID_FILENAME": (Severity.ERROR, "The id differs from the file name."),
    "DUPLICATE_ID": (Severity.ERROR, "Two records have the same id."),
    "UNKNOWN_ORG": (Severity.ERROR, "An organization key is not in the authority file."),
    "UNKNOWN_RELATION_TARGET": (Severity.ERROR, "A relation points to no record."),
    "SELF_RELATION": (Severity.ERROR, "A record is related to itself."),
    "CREATOR_KIND": (Severity.ERROR,
                     "A creator must be either a person (family) or an organization (org)."),
    # Identifiers
    "ISBN_CHARACTERS": (Severity.ERROR, "An ISBN holds characters other than digits, - and X."),
    "ISBN_LENGTH": (Severity.ERROR, "An ISBN does not have 10 or 13 digits."),
    "ISBN_CHECKSUM": (Severity.ERROR, "An ISBN's check digit is wrong."),
    "ISBN_978_PREFIX_ERROR": (Severity.ERROR,
                              "978 was put before an ISBN-10 without recomputing the check digit."),
    "ISBN_HYPHENATION": (Severity.WARNING, "An ISBN is not hyphenated as registered."),
    "ISBN_UNKNOWN_RANGE": (Severity.WARNING, "An ISBN falls in no registered range."),
    "DUPLICATE_ISBN": (Severity.ERROR, "The same ISBN is on two records or editions."),
    "EISBN_EQUALS_PRINT": (Severity.ERROR, "An e-ISBN equals a print ISBN of the same work."),
    "ISSN_FORMAT": (Severity.ERROR, "An ISSN is not of the form NNNN-NNNC."),
    "ISSN_CHECKSUM": (Severity.ERROR, "An ISSN's check digit is wrong."),
    "SERIES_ISSN_CONFLICT": (Severity.ERROR, "One series carries two different ISSNs."),
    "DOI_SYNTAX": (Severity.ERROR, "A DOI is not of the form 10.prefix/suffix."),
    "URL_SYNTAX": (Severity.ERROR, "A URL is not an absolute http(s) URL."),
    "URL_KIND": (Severity.WARNING, "A URL's kind disagrees with where it leads."),
    # Codes and values
    "LANGUAGE_CODE": (Severity.ERROR, "A language is not an ISO 639 code."),
    "COUNTRY_CODE": (Severity.ERROR, "A country is not an ISO 3166-1 alpha-2 code."),
    "CURRENCY_CODE": (Severity.ERROR, "A currency is not an ISO 4217 code."),
    "DATE_FORMAT": (Severity.ERROR, "A date is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY/YYYY."),
    "DATE_IMPLAUSIBLE": (Severity.ERROR, "A date is outside what is plausible for the catalogue."),
    "NUMBER_RANGE": (Severity.ERROR, "A number is out of range (a page count must be positive)."),
    "DUPLICATE_EDITION": (Severity.ERROR, "Two editions of a record have the same language."),
    "EMPTY_VALUE": (Severity.ERROR, "A text field is empty or only whitespace."),
    "WHITESPACE": (Severity.WARNING, "A single-line field has stray or doubled whitespace."),
    # Importing other formats
    "IMPORT_SYNTAX": (Severity.ERROR, "The input is not well-formed in its format; the entry is "
                      "skipped."),
    "IMPORT_UNMAPPED": (Severity.WARNING, "A field of the input has no place in the record format; "
                        "it is kept in the record's notes."),
    "IMPORT_VALUE": (Severity.WARNING, "A value of the input could not be read as its field needs; "
                     "it is kept in the record's notes."),
    "IMPORT_INCOMPLETE": (Severity.WARNING, "The input lacks a field the record format requires; "
                          "the field is listed in provenance.incomplete."),
    "IMPORT_NEW_ORG": (Severity.WARNING, "A corporate name is not in the authority file; a new "
                       "entry is proposed for it."),
    # Citing
    "CITE_WARNING": (Severity.WARNING, "The CSL processor reported a problem rendering a record "
                     "in the style; the citation may be incomplete."),
}
"""Every diagnostic code with its severity and what it means."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a diagnostic points: 1-based line and column."""

    path: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: stable code, severity, message, and where it is.

    >>> d = Diagnostic("ISSN_CHECKSUM", "bad ISSN", field="series.issn")
    >>> d.severity
    <Severity.ERROR: 'error'>
    """

    code: str
    message: str
    record_id: str | None = None
    field: str | None = None
    location: Location = Location()
    suggestion: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code][0])

    @property
    def is_error(self) -> bool:
        """True for an error-level diagnostic."""
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """Compiler-style text: ``path:line:col: severity CODE message [field] (fix: ...)``."""
        text = f"{self.location}: {self.severity} {self.code} {self.message}"
        if self.field:
            text += f" [{self.field}]"
        if self.suggestion is not None:
            text += f" (suggested fix: {self.suggestion})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with a stable key order."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "record_id": self.record_id,
            "field": self.field,
            "path": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "suggestion": self.suggestion,
        }


class IombibError(Exception):
    """Root of the exceptions iombib raises, only for misuse of its API."""
