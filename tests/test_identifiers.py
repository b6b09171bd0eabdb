"""Tests for iombib.identifiers: seed identifiers, printed errors and check-digit properties."""

from __future__ import annotations

import pytest
import stdnum.ean
import stdnum.isbn
import stdnum.issn
from hypothesis import assume, given
from hypothesis import strategies as st

from iombib.identifiers import (
    ISBN_CHECKSUM_CODES,
    IdentifierProblem,
    check_doi,
    check_isbn,
    check_issn,
    hyphenate_isbn,
    isbn10_to_13,
    isbn13_to_10,
    isbn_check_digit_10,
    isbn_check_digit_13,
    isbn_key,
    issn_check_digit,
    normalize_isbn,
)

SEED_ISBNS = [
    "978-92-9068-768-9", "978-92-9068-730-6", "978-92-9068-578-4", "978-92-9068-520-3",
    "978-92-9068-752-8", "978-92-9068-744-3", "978-92-9068-721-4", "978-92-1-058234-6",
    "978-92-9068-590-6", "978-92-9068-591-3", "978-92-9068-592-0", "978-9968-542-64-7",
    "978-92-9068-709-2", "978-92-9068-710-8", "978-92-9068-711-5", "978-92-9068-619-4",
    "978-92-9068-620-0", "978-92-9068-621-7", "978-92-9068-552-4", "978-92-9068-238-7",
]
SEED_ISSNS = ["2415-1653", "1561-5502", "2223-5248"]
CHECK_CHARS = "0123456789X"


def codes(problems: list[IdentifierProblem]) -> list[str]:
    return [p.code for p in problems]


def has_checksum_problem(value: str) -> bool:
    return any(p.code in ISBN_CHECKSUM_CODES for p in check_isbn(value))


# --- strategies (check digits come from python-stdnum, an independent oracle) -------------------

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def valid_isbn13(draw: st.DrawFn, prefixes: tuple[str, ...] = ("978", "979")) -> str:
    first12 = draw(st.sampled_from(prefixes)) + draw(
        st.text(alphabet="0123456789", min_size=9, max_size=9))
    return first12 + stdnum.ean.calc_check_digit(first12)


@st.composite
def valid_isbn10(draw: st.DrawFn) -> str:
    first9 = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    [value] = [first9 + c for c in CHECK_CHARS if stdnum.isbn.is_valid(first9 + c)]
    return value


@st.composite
def valid_issn(draw: st.DrawFn) -> str:
    first7 = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    [value] = [first7 + c for c in CHECK_CHARS if stdnum.issn.is_valid(first7 + c)]
    return value


def registered(value: str) -> bool:
    _, group, registrant, item, _ = stdnum.isbn.split(value)
    return bool(group and registrant and item)


# --- seeds --------------------------------------------------------------------------------------


@pytest.mark.parametrize("isbn", SEED_ISBNS)
def test_seed_isbns_are_valid_and_hyphenated_as_registered(isbn: str) -> None:
    assert check_isbn(isbn) == []
    assert hyphenate_isbn(isbn) == isbn


@pytest.mark.parametrize("issn", SEED_ISSNS)
def test_seed_issns_are_valid(issn: str) -> None:
    assert check_issn(issn) == []


# --- printed bad values -------------------------------------------------------------------------


def test_world_migration_report_2003_isbn_is_978_prefix_error() -> None:
    # The last ten digits, 92-9068-144-6, are a valid ISBN-10: 978 was put in front of it
    # without recomputing the check digit.
    [problem] = check_isbn("978-9290-6814-46")
    assert problem.code == "ISBN_978_PREFIX_ERROR"
    assert problem.suggestion == "978-92-9068-144-1"
    assert "978-9290-6814-46" in problem.message
    assert "92-9068-144-6" in problem.message


def test_wrong_hyphenation_is_reported_with_registered_form() -> None:
    [problem] = check_isbn("978-9290-68-590-6")
    assert problem.code == "ISBN_HYPHENATION"
    assert problem.suggestion == "978-92-9068-590-6"
    assert "978-9290-68-590-6" in problem.message


# --- check_isbn ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "suggestion"),
    [
        ("978-92-9068-144-2", "ISBN_CHECKSUM", "978-92-9068-144-1"),
        ("978929068144X", "ISBN_CHECKSUM", "978-92-9068-144-1"),
        ("92-9068-144-7", "ISBN_CHECKSUM", "92-9068-144-6"),
        ("929068144X", "ISBN_CHECKSUM", "92-9068-144-6"),
        ("978-92-9068-108-X", "ISBN_978_PREFIX_ERROR", "978-92-9068-108-3"),
        ("9789290685906", "ISBN_HYPHENATION", "978-92-9068-590-6"),
        ("978 92 9068 590 6", "ISBN_HYPHENATION", "978-92-9068-590-6"),
        ("978-92-9068-590-6 ", "ISBN_HYPHENATION", "978-92-9068-590-6"),
        ("978--92-9068-590-6", "ISBN_HYPHENATION", "978-92-9068-590-6"),
        ("9290681446", "ISBN_HYPHENATION", "92-9068-144-6"),
        ("ISBN 978-92-9068-590-6", "ISBN_CHARACTERS", "978-92-9068-590-6"),
        ("ISBN-13: 978-92-9068-590-6", "ISBN_CHARACTERS", "978-92-9068-590-6"),
        ("978\u201392\u20139068\u2013590\u20136", "ISBN_CHARACTERS", "978-92-9068-590-6"),
        ("92-9068-108-x", "ISBN_CHARACTERS", "92-9068-108-X"),
        ("978-92-9068-59O-6", "ISBN_CHARACTERS", None),
        ("92-906X-108-1", "ISBN_CHARACTERS", None),
        ("978-92-9068-590", "ISBN_LENGTH", None),
        ("", "ISBN_LENGTH", None),
    ],
)
def test_check_isbn_problems(value: str, code: str, suggestion: str | None) -> None:
    [problem] = check_isbn(value)
    assert (problem.code, problem.suggestion) == (code, suggestion)
    assert repr(value) in problem.message


def test_valid_isbn10_hyphenated_is_accepted() -> None:
    assert check_isbn("92-9068-144-6") == []
    assert check_isbn("92-9068-108-X") == []


def test_unknown_range_is_reported_without_suggestion() -> None:
    # 979-2 is not an allocated registration group.
    [problem] = check_isbn("9792000000005")
    assert (problem.code, problem.suggestion) == ("ISBN_UNKNOWN_RANGE", None)
    assert codes(check_isbn("979-2-00-000000-5")) == ["ISBN_UNKNOWN_RANGE"]


def test_non_bookland_prefix_is_unknown_range() -> None:
    assert codes(check_isbn("977-2415-16500-1")) == ["ISBN_UNKNOWN_RANGE"]


def test_checksum_and_unknown_range_are_both_reported() -> None:
    problems = check_isbn("9792000000006")
    assert codes(problems) == ["ISBN_CHECKSUM", "ISBN_UNKNOWN_RANGE"]
    assert problems[0].suggestion == "9792000000005"


# --- conversions and helpers --------------------------------------------------------------------


def test_check_digits() -> None:
    assert isbn_check_digit_13("978929068144") == "1"
    assert isbn_check_digit_10("929068144") == "6"
    assert isbn_check_digit_10("929068108") == "X"
    assert issn_check_digit("2415165") == "3"
    assert issn_check_digit("1234567") == "9"


@pytest.mark.parametrize(
    ("func", "arg"),
    [
        (isbn_check_digit_13, "97892906814"),
        (isbn_check_digit_13, "97892906814a"),
        (isbn_check_digit_10, "92906814"),
        (isbn_check_digit_10, "92906814\u0663"),
        (issn_check_digit, "241516"),
    ],
)
def test_check_digit_rejects_bad_input(func, arg: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        func(arg)


def test_conversions() -> None:
    assert isbn10_to_13("92-9068-144-6") == "978-92-9068-144-1"
    assert isbn10_to_13("929068108X") == "978-92-9068-108-3"
    assert isbn13_to_10("978-92-9068-144-1") == "92-9068-144-6"
    assert isbn13_to_10("9789290681083") == "92-9068-108-X"
    assert isbn13_to_10("979-10-00-00000-8") is None
    assert normalize_isbn(" 978-92-9068-590-6 ") == "9789290685906"
    assert normalize_isbn("92-9068-108-x") == "929068108X"
    assert hyphenate_isbn("9789290685906") == "978-92-9068-590-6"
    assert hyphenate_isbn("929068108X") == "92-9068-108-X"


@pytest.mark.parametrize(
    ("func", "arg", "match"),
    [
        (isbn10_to_13, "978-92-9068-144-1", "not an ISBN-10"),
        (isbn10_to_13, "92-9068-144-7", "wrong check digit"),
        (isbn13_to_10, "92-9068-144-6", "not an ISBN-13"),
        (isbn13_to_10, "978-92-9068-144-6", "wrong check digit"),
        (isbn13_to_10, "9770000000003", "978 or 979"),
        (hyphenate_isbn, "9792000000005", "no registered range"),
        (hyphenate_isbn, "978-92-9068-144-6", "wrong check digit"),
        (normalize_isbn, "978-92-9068-14", "has 11 digits"),
        (normalize_isbn, "ISBN 978-92-9068-144-1", "characters"),
        (normalize_isbn, "978929068144X", "ends in X"),
    ],
)
def test_conversions_reject_bad_input(func, arg: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        func(arg)


# --- ISSN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2415-1654", [("ISSN_CHECKSUM", "2415-1653")]),
        ("24151653", [("ISSN_FORMAT", "2415-1653")]),
        ("2415 1653", [("ISSN_FORMAT", "2415-1653")]),
        ("ISSN 2415-1653", [("ISSN_FORMAT", "2415-1653")]),
        ("2415\u20131653", [("ISSN_FORMAT", "2415-1653")]),
        ("1234-567x", [("ISSN_FORMAT", "1234-5679"), ("ISSN_CHECKSUM", "1234-5679")]),
        ("0000-006x", [("ISSN_FORMAT", "0000-006X")]),
        ("24151654", [("ISSN_FORMAT", "2415-1653"), ("ISSN_CHECKSUM", "2415-1653")]),
        ("2415-165", [("ISSN_FORMAT", None)]),
        ("2415-16533", [("ISSN_FORMAT", None)]),
        ("241X-1653", [("ISSN_FORMAT", None)]),
        ("", [("ISSN_FORMAT", None)]),
    ],
)
def test_check_issn_problems(value: str, expected: list[tuple[str, str | None]]) -> None:
    problems = check_issn(value)
    assert [(p.code, p.suggestion) for p in problems] == expected
    assert all(repr(value) in p.message for p in problems)


def test_issn_with_x_check_digit_is_valid() -> None:
    assert issn_check_digit("0000006") == "X"
    assert check_issn("0000-006X") == []


# --- DOI ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doi",
    ["10.1000/182", "10.18356/9789213585054", "10.1000.10/abc(def)-g;h", "10.1002/(SICI)1099",
     "10.1000/é"],
)
def test_valid_dois(doi: str) -> None:
    assert check_doi(doi) == []


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("https://doi.org/10.1000/182", "10.1000/182"),
        ("http://dx.doi.org/10.1000/182", "10.1000/182"),
        ("HTTPS://DOI.ORG/10.1000/182", "10.1000/182"),
        ("https://doi.org/10.1000/a%2Fb%20", None),
        ("https://doi.org/10.1000/a%2Fb", "10.1000/a/b"),
        ("doi:10.1000/182", "10.1000/182"),
        ("DOI: 10.1000/182", "10.1000/182"),
        (" 10.1000/182", "10.1000/182"),
        ("10.1000/", None),
        ("10./182", None),
        ("10.1000.", None),
        ("11.1000/182", None),
        ("10.10a0/182", None),
        ("10.1000/18 2", None),
        ("10.1000/18\t2", None),
        ("10.1000/18\x002", None),
        ("", None),
    ],
)
def test_check_doi_problems(value: str, suggestion: str | None) -> None:
    [problem] = check_doi(value)
    assert (problem.code, problem.suggestion) == ("DOI_SYNTAX", suggestion)
    assert repr(value) in problem.message


# --- properties ---------------------------------------------------------------------------------


def _expected_isbn13_code(mutated: str) -> str:
    return ("ISBN_978_PREFIX_ERROR"
            if mutated.startswith("978") and stdnum.isbn.is_valid(mutated[3:])
            else "ISBN_CHECKSUM")


@given(valid_isbn13())
def test_isbn13_every_single_digit_substitution_is_detected(isbn: str) -> None:
    assert not has_checksum_problem(isbn)
    for i in range(13):
        for d in "0123456789":
            if d == isbn[i]:
                continue
            mutated = isbn[:i] + d + isbn[i + 1:]
            problem = check_isbn(mutated)[0]
            assert problem.code == _expected_isbn13_code(mutated)
            fixed = mutated[:12] + stdnum.ean.calc_check_digit(mutated[:12])
            assert problem.suggestion is not None
            assert normalize_isbn(problem.suggestion) == fixed


@given(valid_isbn10())
def test_isbn10_every_single_digit_substitution_is_detected(isbn: str) -> None:
    assert not has_checksum_problem(isbn)
    for i in range(10):
        for d in CHECK_CHARS if i == 9 else "0123456789":
            if d == isbn[i]:
                continue
            mutated = isbn[:i] + d + isbn[i + 1:]
            problem = check_isbn(mutated)[0]
            assert problem.code == "ISBN_CHECKSUM"
            [fixed] = [mutated[:9] + c for c in CHECK_CHARS
                       if stdnum.isbn.is_valid(mutated[:9] + c)]
            assert problem.suggestion is not None
            assert normalize_isbn(problem.suggestion) == fixed


@given(valid_issn())
def test_issn_every_single_digit_substitution_is_detected(issn: str) -> None:
    assert check_issn(f"{issn[:4]}-{issn[4:]}") == []
    for i in range(8):
        for d in CHECK_CHARS if i == 7 else "0123456789":
            if d == issn[i]:
                continue
            mutated = issn[:i] + d + issn[i + 1:]
            [fixed] = [mutated[:7] + c for c in CHECK_CHARS
                       if stdnum.issn.is_valid(mutated[:7] + c)]
            problems = check_issn(f"{mutated[:4]}-{mutated[4:]}")
            assert [(p.code, p.suggestion) for p in problems] == [
                ("ISSN_CHECKSUM", f"{fixed[:4]}-{fixed[4:]}")]


@given(valid_isbn13())
def test_isbn13_adjacent_transposition_detected_iff_difference_is_not_5(isbn: str) -> None:
    for i in range(12):
        a, b = isbn[i], isbn[i + 1]
        if a == b:
            continue
        swapped = isbn[:i] + b + a + isbn[i + 2:]
        assert has_checksum_problem(swapped) == (abs(int(a) - int(b)) != 5)


def test_isbn13_transposition_with_difference_5_is_undetected_example() -> None:
    # Swapping the adjacent 0 and 5 of 978-92-1-058234-6 leaves the mod-10 sum unchanged.
    # The result is another valid, correctly hyphenated ISBN, so nothing can be reported.
    assert check_isbn("978-92-1-058234-6") == []
    assert check_isbn("978-92-1-508234-6") == []


@given(valid_isbn10())
def test_isbn10_every_adjacent_transposition_is_detected(isbn: str) -> None:
    for i in range(9):
        a, b = isbn[i], isbn[i + 1]
        if a == b or "X" in (a, b):
            continue
        swapped = isbn[:i] + b + a + isbn[i + 2:]
        assert codes(check_isbn(swapped))[0] == "ISBN_CHECKSUM"


@given(valid_issn())
def test_issn_every_adjacent_transposition_is_detected(issn: str) -> None:
    for i in range(7):
        a, b = issn[i], issn[i + 1]
        if a == b or "X" in (a, b):
            continue
        swapped = issn[:i] + b + a + issn[i + 2:]
        assert codes(check_issn(f"{swapped[:4]}-{swapped[4:]}")) == ["ISSN_CHECKSUM"]


@given(valid_isbn13(prefixes=("978",)))
def test_isbn_13_to_10_to_13_round_trip(isbn: str) -> None:
    isbn10 = isbn13_to_10(isbn)
    assert isbn10 is not None
    assert normalize_isbn(isbn10) == stdnum.isbn.compact(stdnum.isbn.to_isbn10(isbn))
    assert normalize_isbn(isbn10_to_13(isbn10)) == isbn


@given(valid_isbn10())
def test_isbn_10_to_13_to_10_round_trip(isbn: str) -> None:
    isbn13 = isbn10_to_13(isbn)
    assert normalize_isbn(isbn13) == stdnum.isbn.to_isbn13(isbn)
    isbn10 = isbn13_to_10(isbn13)
    assert isbn10 is not None
    assert normalize_isbn(isbn10) == isbn


@given(valid_isbn13(prefixes=("979",)))
def test_979_isbns_have_no_isbn10(isbn: str) -> None:
    assert isbn13_to_10(isbn) is None


@given(st.one_of(valid_isbn13(), valid_isbn10()), st.data())
def test_hyphenate_isbn_is_idempotent_and_canonical(isbn: str, data: st.DataObject) -> None:
    assume(registered(isbn))
    hyphenated = hyphenate_isbn(isbn)
    assert hyphenate_isbn(hyphenated) == hyphenated
    assert hyphenated == stdnum.isbn.format(isbn)
    assert normalize_isbn(hyphenated) == isbn
    assert check_isbn(hyphenated) == []
    # Any other placement of hyphens is a hyphenation problem pointing at the registered form.
    cuts = data.draw(st.sets(st.integers(1, len(isbn) - 1), max_size=5))
    rehyphenated = "-".join(isbn[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), None],
                                                         strict=True))
    expected = [] if rehyphenated == hyphenated else [("ISBN_HYPHENATION", hyphenated)]
    assert [(p.code, p.suggestion) for p in check_isbn(rehyphenated)] == expected


@given(st.one_of(valid_isbn13(), valid_isbn10()))
def test_unregistered_isbns_report_unknown_range_only(isbn: str) -> None:
    assume(not registered(isbn))
    assert codes(check_isbn(isbn)) == ["ISBN_UNKNOWN_RANGE"]
    with pytest.raises(ValueError, match="no registered range"):
        hyphenate_isbn(isbn)


@given(st.text(max_size=20))
def test_check_functions_never_raise(value: str) -> None:
    for check in (check_isbn, check_issn, check_doi):
        for problem in check(value):
            assert problem.code.isupper()
            assert repr(value) in problem.message


def test_isbn_key_makes_both_forms_of_one_book_equal() -> None:
    assert isbn_key("92-9068-590-5") == "9789290685906"
    assert isbn_key("978-92-9068-590-6") == "9789290685906"
    assert isbn_key("978 92 9068 590 6") == "9789290685906"
    assert isbn_key("92-9068-59") is None
