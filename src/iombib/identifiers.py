"""Validation and conversion of ISBN, ISSN and DOI values.

All functions are pure. Registration-group and registrant ranges for ISBN hyphenation come from
python-stdnum (``stdnum.isbn``), never from hand-written tables.

``check_*`` functions return a list of :class:`IdentifierProblem`; an empty list means the value is
acceptable as stored in the catalogue. Whenever a problem carries a ``suggestion``, that suggestion
is a fully valid, well-formed value (applying any one suggestion fixes every problem reported).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from stdnum import ean as _ean
from stdnum import isbn as _isbn
from stdnum import issn as _issn

__all__ = [
    "ISBN_CHECKSUM_CODES",
    "IdentifierProblem",
    "check_doi",
    "check_isbn",
    "check_issn",
    "hyphenate_isbn",
    "isbn10_to_13",
    "isbn13_to_10",
    "isbn_check_digit_10",
    "isbn_check_digit_13",
    "isbn_key",
    "issn_check_digit",
    "normalize_isbn",
]


@dataclass(frozen=True, slots=True)
class IdentifierProblem:
    """One problem found in an identifier value.

    ``code`` is stable (e.g. ``ISBN_CHECKSUM``); ``message`` is a sentence naming the value;
    ``suggestion`` is the corrected value when one can be computed.
    """

    code: str
    message: str
    suggestion: str | None = None


ISBN_CHECKSUM_CODES = frozenset({"ISBN_CHECKSUM", "ISBN_978_PREFIX_ERROR"})
"""Codes meaning the ISBN's check digit does not match its other digits."""

_ISBN_ALLOWED = re.compile(r"[0-9\- ]*[0-9X]?")
_ISBN_LABEL = re.compile(r"^\s*ISBN(?:-?1[03])?\s*:?\s*", re.IGNORECASE)
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})
_ISSN_FORM = re.compile(r"[0-9]{4}-[0-9]{3}[0-9X]")
_ISSN_LABEL = re.compile(r"^\s*ISSN\s*:?\s*", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]*")
_DOI = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/(?P<suffix>.+)", re.DOTALL)
_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^doi:\s*", re.IGNORECASE)


# --- check digits -------------------------------------------------------------------------------


def _require_digits(value: str, length: int, what: str) -> None:
    if len(value) != length or not _DIGITS.fullmatch(value):
        raise ValueError(f"{what} must be exactly {length} ASCII digits, got {value!r}")


def isbn_check_digit_13(first12: str) -> str:
    """Return the ISBN-13 (EAN-13) check digit for the first 12 digits."""
    _require_digits(first12, 12, "ISBN-13 without its check digit")
    return _ean.calc_check_digit(first12)


def isbn_check_digit_10(first9: str) -> str:
    """Return the ISBN-10 check digit (``0``-``9`` or ``X``) for the first 9 digits."""
    _require_digits(first9, 9, "ISBN-10 without its check digit")
    check = sum((i + 1) * int(d) for i, d in enumerate(first9)) % 11
    return "X" if check == 10 else str(check)


def issn_check_digit(first7: str) -> str:
    """Return the ISSN check digit (``0``-``9`` or ``X``) for the first 7 digits."""
    _require_digits(first7, 7, "ISSN without its check digit")
    return _issn.calc_check_digit(first7)


# --- ISBN helpers -------------------------------------------------------------------------------


def _compact(value: str) -> str:
    return value.replace("-", "").replace(" ", "")


def _isbn_checksum_ok(digits: str) -> bool:
    """True when the compact 10- or 13-character ISBN has the right check digit."""
    if len(digits) == 10:
        return isbn_check_digit_10(digits[:9]) == digits[9]
    return isbn_check_digit_13(digits[:12]) == digits[12]


def _registered_hyphenation(digits: str) -> str | None:
    """Hyphenate a compact ISBN as registered, or None when its prefix is in no known range."""
    if len(digits) == 13 and digits[:3] not in ("978", "979"):
        return None
    prefix, group, registrant, item, check = _isbn.split(digits)
    if not (group and registrant and item):
        return None
    return "-".join(part for part in (prefix, group, registrant, item, check) if part)


def _best_form(digits: str) -> str:
    """The registered hyphenation when known, else the compact digits."""
    return _registered_hyphenation(digits) or digits


def _valid_compact_isbn(value: str) -> str:
    """Normalize ``value`` and require a correct check digit; raise ValueError otherwise."""
    digits = normalize_isbn(value)
    if not _isbn_checksum_ok(digits):
        raise ValueError(f"ISBN {value!r} has a wrong check digit")
    return digits


# --- ISBN public API ----------------------------------------------------------------------------


def normalize_isbn(value: str) -> str:
    """Return the compact form of an ISBN (digits and a final ``X``, no separators).

    Only characters and length are checked, not the check digit. A lowercase final ``x`` is
    upper-cased. Raises ValueError for other characters or a length other than 10 or 13.
    """
    digits = _compact(value.strip()).upper()
    if not _ISBN_ALLOWED.fullmatch(digits):
        raise ValueError(f"ISBN {value!r} contains characters other than digits, hyphens, "
                         "spaces and a final X")
    if len(digits) not in (10, 13):
        raise ValueError(f"ISBN {value!r} has {len(digits)} digits; an ISBN has 10 or 13")
    if len(digits) == 13 and digits.endswith("X"):
        raise ValueError(f"ISBN {value!r} ends in X, which only an ISBN-10 can")
    return digits


def isbn_valid(value: str) -> bool:
    """True for an ISBN-10 or ISBN-13 (any hyphenation) with a right check digit.

    >>> isbn_valid("978-92-9068-709-2"), isbn_valid("9789290687093"), isbn_valid("92-9068")
    (True, False, False)
    """
    try:
        return _isbn_checksum_ok(normalize_isbn(value))
    except ValueError:
        return False


def isbn_key(value: str) -> str | None:
    """The compact ISBN-13 an ISBN stands for (an ISBN-10 gets 978 and a recomputed check
    digit), so that both forms of one book compare equal; None for a malformed value.

    >>> isbn_key("92-9068-590-5") == isbn_key("978-92-9068-590-6") == "9789290685906"
    True
    """
    try:
        digits = normalize_isbn(value)
    except ValueError:
        return None
    if len(digits) == 10:
        first12 = "978" + digits[:9]
        return first12 + isbn_check_digit_13(first12)
    return digits


def hyphenate_isbn(value: str) -> str:
    """Return the ISBN-10 or ISBN-13 hyphenated as registered (``978-92-9068-590-6``).

    Raises ValueError when the value is not a valid ISBN or its prefix is in no registered range.
    """
    digits = _valid_compact_isbn(value)
    hyphenated = _registered_hyphenation(digits)
    if hyphenated is None:
        raise ValueError(f"ISBN {value!r} is in no registered range and cannot be hyphenated")
    return hyphenated


def isbn10_to_13(value: str) -> str:
    """Convert a valid ISBN-10 to ISBN-13 (978 prefix, recomputed check digit).

    The result is hyphenated as registered, or compact when the range is unknown.
    Raises ValueError when the value is not a valid ISBN-10.
    """
    digits = _valid_compact_isbn(value)
    if len(digits) != 10:
        raise ValueError(f"ISBN {value!r} is not an ISBN-10")
    first12 = "978" + digits[:9]
    return _best_form(first12 + isbn_check_digit_13(first12))


def isbn13_to_10(value: str) -> str | None:
    """Convert a valid 978 ISBN-13 to ISBN-10; return None for 979 ISBNs (no ISBN-10 exists).

    The result is hyphenated as registered, or compact when the range is unknown.
    Raises ValueError when the value is not a valid ISBN-13.
    """
    digits = _valid_compact_isbn(value)
    if len(digits) != 13:
        raise ValueError(f"ISBN {value!r} is not an ISBN-13")
    if digits.startswith("979"):
        return None
    if not digits.startswith("978"):
        raise ValueError(f"ISBN {value!r} does not start with 978 or 979")
    first9 = digits[3:12]
    return _best_form(first9 + isbn_check_digit_10(first9))


def _salvage_isbn(value: str) -> str | None:
    """A hyphenated valid ISBN recovered from a value with stray characters, if possible."""
    cleaned = _ISBN_LABEL.sub("", value).translate(_DASHES).strip()
    try:
        return hyphenate_isbn(cleaned)
    except ValueError:
        return None


def check_isbn(value: str) -> list[IdentifierProblem]:
    """Check an ISBN-10 or ISBN-13 as stored in the catalogue (hyphenated as registered).

    Codes: ISBN_CHARACTERS, ISBN_LENGTH, ISBN_CHECKSUM, ISBN_978_PREFIX_ERROR (978 put in front
    of an ISBN-10 without recomputing the check digit), ISBN_UNKNOWN_RANGE (warning: prefix in
    no registered range) and ISBN_HYPHENATION (valid, but not hyphenated as registered).
    """
    digits = _compact(value)
    if not _ISBN_ALLOWED.fullmatch(digits):
        return [IdentifierProblem(
            "ISBN_CHARACTERS",
            f"ISBN {value!r} may contain only digits, hyphens, spaces and a final X.",
            _salvage_isbn(value))]
    if len(digits) not in (10, 13):
        return [IdentifierProblem(
            "ISBN_LENGTH",
            f"ISBN {value!r} has {len(digits)} digits; an ISBN has 10 or 13.")]

    problems: list[IdentifierProblem] = []
    if not _isbn_checksum_ok(digits):
        if len(digits) == 10:
            fixed = digits[:9] + isbn_check_digit_10(digits[:9])
        else:
            fixed = digits[:12] + isbn_check_digit_13(digits[:12])
        suggestion = _best_form(fixed)
        old10 = digits[3:]
        if (len(digits) == 13 and digits.startswith("978")
                and isbn_check_digit_10(old10[:9]) == old10[9]):
            problems.append(IdentifierProblem(
                "ISBN_978_PREFIX_ERROR",
                f"ISBN {value!r} is the ISBN-10 {_best_form(old10)} with 978 put in front "
                f"without recomputing the check digit; the ISBN-13 is {suggestion}.",
                suggestion))
        else:
            problems.append(IdentifierProblem(
                "ISBN_CHECKSUM",
                f"ISBN {value!r} has check digit {digits[-1]}, but the other digits give "
                f"{fixed[-1]} ({suggestion}).",
                suggestion))
        digits = fixed

    hyphenated = _registered_hyphenation(digits)
    if hyphenated is None:
        reason = ("does not start with 978 or 979" if len(digits) == 13
                  and digits[:3] not in ("978", "979") else "has an unassigned group or registrant")
        problems.append(IdentifierProblem(
            "ISBN_UNKNOWN_RANGE",
            f"ISBN {value!r} is in no registered ISBN range ({reason}), "
            "so its hyphenation cannot be checked."))
    elif not problems and value != hyphenated:
        problems.append(IdentifierProblem(
            "ISBN_HYPHENATION",
            f"ISBN {value!r} is not hyphenated as registered; it should read {hyphenated}.",
            hyphenated))
    return problems


# --- ISSN ---------------------------------------------------------------------------------------


def check_issn(value: str) -> list[IdentifierProblem]:
    """Check an ISSN of the form ``NNNN-NNNC`` (C a digit or X, mod 11).

    Codes: ISSN_FORMAT (wrong form; suggestion when it can be recovered) and ISSN_CHECKSUM.
    """
    well_formed = bool(_ISSN_FORM.fullmatch(value))
    if well_formed:
        candidate = value
    else:
        compact = _compact(_ISSN_LABEL.sub("", value).translate(_DASHES).strip()).upper()
        if not re.fullmatch(r"[0-9]{7}[0-9X]", compact):
            return [IdentifierProblem(
                "ISSN_FORMAT",
                f"ISSN {value!r} is not of the form NNNN-NNNC (eight characters, the last a "
                "digit or X, with a hyphen after the fourth).")]
        candidate = f"{compact[:4]}-{compact[4:]}"

    problems: list[IdentifierProblem] = []
    check = issn_check_digit(candidate[:4] + candidate[5:8])
    fixed = candidate[:8] + check
    if not well_formed:
        problems.append(IdentifierProblem(
            "ISSN_FORMAT",
            f"ISSN {value!r} is not written in the form NNNN-NNNC ({candidate}).",
            fixed))
    if check != candidate[8]:
        problems.append(IdentifierProblem(
            "ISSN_CHECKSUM",
            f"ISSN {value!r} has check digit {candidate[8]}, but the other digits give "
            f"{check} ({fixed}).",
            fixed))
    return problems


# --- DOI ----------------------------------------------------------------------------------------


def _doi_syntax_ok(doi: str) -> bool:
    match = _DOI.fullmatch(doi)
    if match is None:
        return False
    suffix = match.group("suffix")
    return suffix.isprintable() and not any(c.isspace() for c in suffix)


def check_doi(value: str) -> list[IdentifierProblem]:
    """Check a bare DOI: ``10.`` + registrant code + ``/`` + suffix.

    The registrant code is digits with optional dot-separated subdivisions; the suffix is
    non-empty printable text without whitespace. A DOI given as a URL (``https://doi.org/10...``)
    or with a ``doi:`` prefix is a DOI_SYNTAX problem suggesting the bare DOI.
    """
    if _doi_syntax_ok(value):
        return []
    bare = value.strip()
    if _DOI_URL.match(bare):  # a URL path is percent-encoded
        bare = unquote(_DOI_URL.sub("", bare))
    bare = _DOI_PREFIX.sub("", bare)
    if _doi_syntax_ok(bare):
        return [IdentifierProblem(
            "DOI_SYNTAX",
            f"DOI {value!r} should be stored as the bare DOI {bare}.",
            bare)]
    return [IdentifierProblem(
        "DOI_SYNTAX",
        f"DOI {value!r} is not of the form 10.<registrant>/<suffix> (registrant digits with "
        "optional dot-separated parts; suffix non-empty, printable, without spaces).")]
