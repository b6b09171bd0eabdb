"""Hypothesis strategies for valid records, shaped like the catalogue but with hostile text."""

from __future__ import annotations

from hypothesis import strategies as st

from iombib.identifiers import hyphenate_isbn, isbn_check_digit_13, issn_check_digit
from iombib.model import (
    Creator,
    Edition,
    Isbn,
    Organization,
    Price,
    Provenance,
    Record,
    Series,
    Url,
)

ORGANIZATIONS = {
    "iom": Organization(key="iom", name={"en": "International Organization for Migration",
                                         "fr": "Organisation internationale pour les migrations",
                                         "es": "Organización Internacional para las Migraciones"},
                        acronym={"en": "IOM", "fr": "OIM", "es": "OIM"}, place="Geneva"),
    "unhcr-r-d": Organization(key="unhcr-r-d", name={"en": "Research & Development Office"}),
}
"""A small authority file the generated records refer to (one name with an ampersand)."""

# Letters with accents and the characters LaTeX, XML and RIS treat specially.
_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "éèêëàâçñüöäøåÉÇÑß’“”–—&%$#_{}~^\\<>\"'()[]:;,.!?/")
_WORD = st.text(alphabet=_ALPHABET, min_size=1, max_size=12)


def _phrase(max_words: int = 8) -> st.SearchStrategy[str]:
    return st.lists(_WORD, min_size=1, max_size=max_words).map(" ".join)


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçñüöø", min_size=2, max_size=10).map(
    str.capitalize)


@st.composite
def _isbn(draw: st.DrawFn) -> str:
    while True:
        first12 = "97892" + "".join(draw(st.sampled_from("0123456789")) for _ in range(7))
        try:
            return hyphenate_isbn(first12 + isbn_check_digit_13(first12))
        except ValueError:
            continue


@st.composite
def _issn(draw: st.DrawFn) -> str:
    first7 = "".join(draw(st.sampled_from("0123456789")) for _ in range(7))
    return f"{first7[:4]}-{first7[4:]}{issn_check_digit(first7)}"


_PERSON = st.builds(
    Creator, family=_NAME, given=st.one_of(st.none(), _NAME, st.just("A.M.")),
    particle=st.one_of(st.none(), st.sampled_from(["van", "de", "von"])),
    role=st.sampled_from(["author", "author", "editor", "translator"]))
_ORG = st.builds(Creator, org=st.sampled_from(sorted(ORGANIZATIONS)),
                 subdivision=st.one_of(st.none(), _phrase(4)))
_ISSUED = st.one_of(
    st.integers(1990, 2030).map(str),
    st.tuples(st.integers(1990, 2030), st.integers(1, 12)).map(lambda p: f"{p[0]}-{p[1]:02d}"),
    st.integers(1990, 2029).map(lambda y: f"{y}/{y + 1}"))
_URL = st.builds(Url, url=st.from_regex(r"https://publications\.iom\.int/[a-z0-9-]{1,20}(\.pdf)?",
                                        fullmatch=True),
                 kind=st.sampled_from(["pdf", "landing"]))


@st.composite
def records(draw: st.DrawFn) -> Record:
    """A valid record of any type, with editions, series, identifiers and hostile text."""
    record_type = draw(st.sampled_from(["book", "report", "conference-report", "manual",
                                        "brief", "working-paper", "chapter", "serial-issue"]))
    languages = draw(st.lists(st.sampled_from(["en", "fr", "es"]), min_size=1, max_size=2,
                              unique=True))
    other = [code for code in ("en", "fr", "es", "de") if code not in languages]
    edition_languages = draw(st.lists(st.sampled_from(other), max_size=2, unique=True))
    editions = [Edition(language=code, title=draw(st.one_of(st.none(), _phrase())),
                        isbn=[Isbn(value=draw(_isbn()))]) for code in edition_languages]
    series = draw(st.one_of(
        st.none(), st.builds(Series, title=_phrase(4), issn=st.one_of(st.none(), _issn()),
                             number=st.one_of(st.none(), st.integers(1, 60).map(str)))))
    if record_type == "serial-issue" and series is None:
        series = Series(title=draw(_phrase(4)), volume="VI", number="2")
    return Record(
        id=draw(st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6}){0,3}", fullmatch=True)),
        type=record_type,
        # A title never ends with the colon that separates it from its subtitle: classic
        # BibTeX's joined "0: 0" could not tell ("0:", "0") from ("0", "0").
        title=draw(_phrase().filter(lambda t: not t.endswith(":"))),
        subtitle=draw(st.one_of(st.none(), _phrase())),
        creators=draw(st.lists(st.one_of(_PERSON, _ORG), max_size=4)),
        container_title=draw(_phrase()) if record_type == "chapter" else None,
        issued=draw(_ISSUED),
        series=series,
        pages=draw(st.one_of(st.none(), st.integers(1, 900))),
        languages=languages,
        isbn=draw(st.lists(_isbn().map(lambda v: Isbn(value=v)), max_size=2,
                           unique_by=lambda i: i.value)),
        urls=draw(st.lists(_URL, max_size=2, unique_by=lambda u: u.url)),
        editions=editions,
        price=draw(st.one_of(st.none(), st.builds(Price, amount=st.integers(1, 90),
                                                  currency=st.just("USD")))),
        abstract=draw(st.one_of(st.none(), st.lists(_phrase(30), min_size=1, max_size=2).map(
            "\n\n".join))),
        keywords=draw(st.lists(_phrase(2), max_size=3, unique=True)),
        countries=draw(st.lists(st.sampled_from(["CH", "TR", "MX", "IQ"]), max_size=2,
                                unique=True)),
        provenance=Provenance(sources=["generated"]),
    )
