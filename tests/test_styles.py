"""iombib's own CSL styles (src/iombib/styles/*.csl): valid against the CSL 1.0.2 schema, and the
IOM house style renders catalogue records by IOM's rules (docs/iom-style.md) in citeproc-py and
citeproc-js, in English, French and Spanish."""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from consumers import citeproc_js_render, csl_locale_path, missing
from lxml import etree

import iombib
from iombib import styles
from iombib.cite import items

ROOT = Path(__file__).resolve().parents[1]
STYLES = Path(iombib.__file__).resolve().parent / "styles"
IOM = STYLES / "iom.csl"
CSL_SCHEMA = ROOT.parent / "shared" / "reference" / "csl-schema" / "csl.rnc"


# --------------------------------------------------------------------------- schema


@cache
def _relaxng() -> etree.RelaxNG:
    try:
        import rnc2rng
    except ImportError:
        missing("rnc2rng not installed: pip install -e '.[test]'")
    if not CSL_SCHEMA.is_file():
        missing(f"the CSL schema is not at {CSL_SCHEMA}")
    rng = rnc2rng.dumps(rnc2rng.load(str(CSL_SCHEMA)))
    return etree.RelaxNG(etree.fromstring(rng.encode("utf-8")))


def _invalid(xml: bytes) -> str | None:
    """The schema's complaint about a style, or None when it is valid."""
    schema = _relaxng()
    if schema.validate(etree.fromstring(xml)):
        return None
    return str(schema.error_log)


def test_iombib_ships_the_iom_style() -> None:
    assert IOM in sorted(STYLES.glob("*.csl"))


@pytest.mark.parametrize("path", sorted(STYLES.glob("*.csl")), ids=lambda p: p.name)
def test_style_is_valid_csl(path: Path) -> None:
    assert _invalid(path.read_bytes()) is None


@pytest.mark.parametrize("before, after", [
    ('<text variable="publisher"/>', '<text variable="publisher-acronym"/>'),
    ('<text term="available at"', '<text term="available-at"'),
    ('match="any"', 'match="some"'),
], ids=["unknown-variable", "unknown-term", "unknown-match"])
def test_schema_rejects_a_broken_style(before: str, after: str) -> None:
    """The validation can fail: the IOM style with one mistake is rejected."""
    text = IOM.read_text(encoding="utf-8")
    assert before in text
    assert _invalid(text.replace(before, after, 1).encode("utf-8")) is not None


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load(ROOT / "records")


def cited(catalogue: iombib.Catalogue, ids: list[str] | None = None,
          language: str | None = None) -> list[dict[str, Any]]:
    """CSL items of records as iombib hands them to the IOM style (corporate bodies by
    acronym: iombib.cite.BY_ACRONYM)."""
    records = catalogue.records if ids is None else [catalogue.get(i) for i in ids]
    return items(records, organizations=catalogue.organizations, language=language,
                 style=styles.find("iom"))


# --------------------------------------------------------------------------- rendering


def render_py(items: list[dict[str, Any]], locale: str = "en-GB", output: str = "plain",
              cites: list[list[str]] = ()) -> tuple[list[str], list[str]]:
    """citeproc-py, straight through the style: (citations, sorted bibliography)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "unsupported: part" and the like
        style = CitationStylesStyle(str(IOM), locale=locale, validate=False)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items),
                                                  getattr(formatter, output))
        citations = [Citation([CitationItem(key) for key in keys]) for keys in cites]
        for citation in citations:
            bibliography.register(citation)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        bibliography.sort()
        texts = [str(bibliography.cite(c, lambda item: None)) for c in citations]
        return texts, [str(entry) for entry in bibliography.bibliography()]


def render_js(items: list[dict[str, Any]], locale: str = "en-GB", output: str = "text",
              cites: list[list[str]] = ()) -> tuple[list[str], list[str]]:
    """citeproc-js (tests/js): (citations, bibliography)."""
    result = citeproc_js_render(items, IOM.read_text(encoding="utf-8"),
                                csl_locale_path(locale).read_text(encoding="utf-8"), output,
                                [[{"id": key} for key in keys] for keys in cites])
    assert result["returncode"] == 0, result["errors"]
    assert not result["warnings"], result["warnings"]
    return result["citations"], result["bibliography"]


def entry(bibliography: list[str], start: str) -> str:
    found = [e for e in bibliography if e.startswith(start)]
    assert len(found) == 1, (start, bibliography)
    return found[0]


MBAYE = "supporting-communities-under-migration-pressure"
MANUAL = "human-trafficking-and-exploitation-manual-for-teachers"


def test_chapter_as_ioms_suggested_citation(catalogue: iombib.Catalogue) -> None:
    """Seed 002's citation, with "Geneva: IOM" and the locale's editor label for the printed
    "(Conveners)" that CSL has no variable for."""
    _, bibliography = render_py(cited(catalogue, [MBAYE]))
    assert bibliography == [
        "Mbaye, L.M. (2017) ‘Supporting Communities Under Migration Pressure: The Role of "
        "Opportunities, Information and Resilience to Shocks’ in McAuliffe, M. and M. Klein "
        "Solomon (eds) (2017) Ideas to Inform International Cooperation on Safe, Orderly and "
        "Regular Migration, Geneva: IOM."]


def test_only_the_first_author_is_inverted(catalogue: iombib.Catalogue) -> None:
    citations, bibliography = render_py(cited(catalogue, [MANUAL]), cites=[[MANUAL]])
    assert bibliography[0].startswith(
        "Petrosyan, S., H. Khachatryan, R. Muradyan, S. Khachatryan and K. Nahapetyan (2017) ")
    assert ", 3rd edition, Geneva: IOM." in bibliography[0]
    assert citations == ["(Petrosyan et al., 2017)"]


def test_whole_works_in_italics_parts_in_quotes(catalogue: iombib.Catalogue) -> None:
    _, bibliography = render_py(cited(catalogue, [MBAYE, MANUAL]), output="html")
    chapter, manual = bibliography
    assert "(2017) <i>Human Trafficking and Exploitation Manual for Teachers</i>, " in manual
    assert "(2017) ‘Supporting Communities Under Migration Pressure" in chapter
    assert "<i>Supporting" not in chapter
    assert "(2017) <i>Ideas to Inform International Cooperation" in chapter


def test_iom_as_author_and_publisher(catalogue: iombib.Catalogue) -> None:
    report = "world-migration-report-2018"
    citations, bibliography = render_py(cited(catalogue, [report]), cites=[[report]])
    assert citations == ["(IOM, 2018)"]
    assert bibliography == [
        "IOM (2018) World Migration Report 2018, World Migration Report, Geneva: IOM."]


def test_series_number_pages_url(catalogue: iombib.Catalogue) -> None:
    ids = ["assessment-of-principal-regional-consultative-processes-on-migration",
           "assessment-rights-migrant-workers-albania"]
    items = cited(catalogue, ids)
    items[1]["accessed"] = {"date-parts": [[2017, 7, 5]]}
    _, bibliography = render_py(items)
    assert bibliography == [
        "IOM (n.d.) An Assessment of Principal Regional Consultative Processes on Migration, "
        "Migration Research Series No. 38, Geneva: IOM.",
        "IOM Tirana (2016) Assessment on the Protection of the Rights of Migrant Workers in "
        "Albania, Geneva: IOM, 59 pp. Available at https://publications.iom.int/books/"
        "assessment-protection-rights-migrant-workers-albania (accessed 5 July 2017)"]


def test_doi_instead_of_url() -> None:
    item = {"id": "a", "type": "article-journal", "title": "Return and Reintegration",
            "author": [{"family": "Koch", "given": "Anne"}],
            "container-title": "International Migration", "volume": "55", "issue": "2",
            "page": "5-19", "issued": {"date-parts": [[2017]]},
            "DOI": "10.1111/imig.12345", "URL": "https://example.org/a"}
    _, bibliography = render_py([item])
    assert bibliography == ["Koch, A. (2017) ‘Return and Reintegration’, International "
                            "Migration, 55(2): 5–19. https://doi.org/10.1111/imig.12345"]


@pytest.mark.parametrize("locale, expected", [
    ("fr-FR", ["S. Khachatryan et K. Nahapetyan (2017)", "3ᵉ édition",
               "«\xa0Supporting Communities", " in McAuliffe, M. et M. Klein Solomon (éd.)",
               "59 p. Disponible sur https://", "(consulté le 5 juillet 2017)"]),
    ("es-ES", ["S. Khachatryan y K. Nahapetyan (2017)", "3.ª edición",
               "«Supporting Communities", " en McAuliffe, M. y M. Klein Solomon (eds.)",
               "59 pp. Disponible en https://", "(accedido 5 de julio de 2017)"]),
])
def test_locale_terms(catalogue: iombib.Catalogue, locale: str, expected: list[str]) -> None:
    items = cited(catalogue, [MANUAL, MBAYE, "assessment-rights-migrant-workers-albania"])
    items[2]["accessed"] = {"date-parts": [[2017, 7, 5]]}
    text = "\n".join(render_py(items, locale=locale)[1])
    for phrase in expected:
        assert phrase in text
    for english in ("S. Khachatryan and", "M. and M.", "edition", "Available at", "accessed",
                    "‘"):
        assert english not in text


def test_french_edition_cites_oim(catalogue: iombib.Catalogue) -> None:
    record = "etude-impact-socioeconomique-libyens-tunisie"
    citations, bibliography = render_py(cited(catalogue, [record]), "fr-FR", cites=[[record]])
    assert citations == ["(OIM Tunisie et ONM, 2016)"]
    assert bibliography[0].startswith("OIM Tunisie et ONM (2016) Étude qualitative")
    assert ", Geneva: OIM, 148 p." in bibliography[0]


def test_year_suffix_given_to_citeproc_py(catalogue: iombib.Catalogue) -> None:
    """citeproc-py does not disambiguate: a year-suffix in the data prints after the year, in
    the text and in the bibliography, and not after the year of the work a part is in."""
    parts = ["fatal-journeys-3-part-1", "fatal-journeys-3-part-2", MBAYE]
    items = cited(catalogue, parts)
    for item, suffix in zip(items, "abc", strict=True):
        item["year-suffix"] = suffix
    citations, bibliography = render_py(items, cites=[parts[:2], [MBAYE]])
    assert citations == ["(IOM, 2017a; IOM, 2017b)", "(Mbaye, 2017c)"]
    assert entry(bibliography, "IOM (2017a) Fatal Journeys Volume 3 Part 1")
    assert entry(bibliography, "IOM (2017b) Fatal Journeys Volume 3 Part 2")
    assert "Mbaye, L.M. (2017c) " in entry(bibliography, "Mbaye")
    assert "(eds) (2017) Ideas" in entry(bibliography, "Mbaye")


def _names_key(names: str) -> str:
    """The style's sort key of printed names: the names joined by spaces, in any case."""
    return re.sub(r",? and |, ", " ", names).lower()


def test_bibliography_sorted_by_author_then_year(catalogue: iombib.Catalogue) -> None:
    _, bibliography = render_py(cited(catalogue))
    assert len(bibliography) == len(catalogue.records)
    heads = [re.match(r"(.*?) \((\d{4}|n\.d\.)", e).groups() for e in bibliography]
    authors = [author for author, _ in heads]
    assert authors == sorted(authors, key=_names_key)
    iom_years = [year for author, year in heads if author == "IOM"]
    assert iom_years == sorted(iom_years) and len(set(iom_years)) > 5


# --------------------------------------------------------------------------- citeproc-js


def test_citeproc_js_adds_year_suffixes(catalogue: iombib.Catalogue) -> None:
    ids = ["fatal-journeys-3-part-1", "fatal-journeys-3-part-2",
           "voluntary-return-and-reintegration-community-based-approaches", MBAYE]
    citations, bibliography = render_js(cited(catalogue, ids), cites=[ids[:2], [ids[2]], [MBAYE]])
    assert citations == ["(IOM, 2017a, 2017b)", "(IOM, 2017c)", "(Mbaye, 2017)"]
    assert [e[:11] for e in bibliography] == ["IOM (2017a)", "IOM (2017b)", "IOM (2017c)",
                                              "Mbaye, L.M."]


def _comparable(text: str) -> str:
    """An entry without year suffix, HTML entry wrapper, escapes (citeproc-py escapes nothing:
    see iombib.citeproc_fixes) and superscripts (citeproc-js writes ᵉ and º as <sup>e</sup>
    and <sup>o</sup>)."""
    text = re.sub(r'^<div class="csl-entry">(.*)</div>$', r"\1", text)
    text = re.sub(r"<sup>(.*?)</sup>", r"\1", html.unescape(text))
    text = "".join(unicodedata.normalize("NFKC", c)
                   if unicodedata.decomposition(c).startswith("<super>") else c for c in text)
    return re.sub(r"(?<=[\d.])-?[a-z]\)", ")", text)


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "es-ES"])
def test_both_engines_agree_on_the_catalogue(catalogue: iombib.Catalogue, locale: str) -> None:
    """The whole catalogue renders alike in citeproc-js and citeproc-py, year suffixes aside
    (citeproc-py assigns none), in text and in HTML."""
    items = cited(catalogue)
    for output, py_output in (("text", "plain"), ("html", "html")):
        _, js = render_js(items, locale, output)
        _, py = render_py(items, locale, py_output)
        assert [_comparable(e) for e in js] == [_comparable(e) for e in py]
