"""RIS: the tag table per type, names, ISBNs, dates, line format, reading other tools' RIS, broken
inputs, golden files, round trips, and rispy reading every tag back."""

from __future__ import annotations

from typing import Any

import pytest
from casebook import (
    GOLDEN_CASES,
    assert_golden,
    assert_invalid_input_diagnostics,
    golden_text,
    invalid_cases,
    invalid_input,
)
from consumers import missing
from hypothesis import HealthCheck, given, settings
from strategies import ORGANIZATIONS, records

import iombib
from iombib import fields
from iombib.formats import ris
from iombib.model import Creator, Edition, Isbn, Provenance, Record, Series, Url
from iombib.rendition import resolve


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


def record(**values: Any) -> Record:
    base: dict[str, Any] = {"id": "x", "type": "report", "title": "Title", "issued": "2015",
                            "languages": ["en"], "provenance": Provenance(sources=["s"])}
    return Record(**{**base, **values})


def lines(rec: Record, language: str | None = None) -> list[tuple[str, str]]:
    return ris.tags(resolve(rec, ORGANIZATIONS, language))


def tag_values(rec: Record, tag: str) -> list[str]:
    return [value for t, value in lines(rec) if t == tag]


def note(rec: Record) -> list[str]:
    """The lines of the data note (the last N1)."""
    return tag_values(rec, "N1")[-1].split("\n")


def read_one(text: str, organizations: dict | None = None) -> tuple[Record, list]:
    imported = iombib.read(text, "ris", organizations=organizations or ORGANIZATIONS,
                           source="in.ris")
    assert len(imported.records) == 1
    return imported.records[0], imported.diagnostics


def comparable(rec: Record) -> dict[str, Any]:
    """As tests/test_roundtrip.py compares: no provenance, no field listed in LOSSES."""
    data = fields.dump(rec)
    data.pop("provenance", None)
    for path in ris.LOSSES:
        head, _, rest = path.partition(".")
        value = data.get(head)
        for item in value if isinstance(value, list) else []:
            item.pop(rest, None)
    return data


# --------------------------------------------------------------------------- the type table

@pytest.mark.parametrize(("record_type", "ty", "m3"), [
    ("book", "BOOK", None), ("manual", "BOOK", "Manual"), ("report", "RPRT", None),
    ("brochure", "RPRT", "Brochure"), ("brief", "RPRT", "Brief"),
    ("fact-sheet", "RPRT", "Fact sheet"), ("working-paper", "RPRT", "Working paper"),
    ("conference-report", "CONF", None), ("serial-issue", "JFULL", None),
    ("article", "JOUR", None), ("chapter", "CHAP", None)])
def test_each_record_type_has_its_ris_type_and_comes_back(record_type: str, ty: str,
                                                         m3: str | None) -> None:
    rec = record(type=record_type, series=Series(title="S"), container_title="C")
    assert tag_values(rec, "TY") == [ty]
    assert tag_values(rec, "M3") == ([m3] if m3 else [])
    back, diagnostics = read_one(iombib.export([rec], "ris", organizations=ORGANIZATIONS))
    assert diagnostics == [] and back.type == record_type


def test_a_book_with_only_editors_is_an_edited_book_whose_au_lines_are_editors() -> None:
    rec = record(type="book", creators=[Creator(family="Doe", given="Jane", role="editor")])
    assert lines(rec)[:5] == [("TY", "EDBOOK"), ("ID", "x"), ("TI", "Title"),
                              ("AU", "Doe, Jane"), ("PY", "2015")]
    assert read_one(iombib.export([rec], "ris"))[0].creators[0].role == "editor"


def test_an_edited_manual_is_edbook_with_its_m3_and_comes_back_a_manual() -> None:
    rec = record(type="manual", creators=[Creator(family="Doe", role="editor")])
    assert (tag_values(rec, "TY"), tag_values(rec, "M3")) == (["EDBOOK"], ["Manual"])
    back, diagnostics = read_one(iombib.export([rec], "ris"))
    assert diagnostics == [] and back.type == "manual"


@pytest.mark.parametrize(("record_type", "tag"), [
    ("book", "A3"), ("manual", "A3"), ("report", "ED"), ("brief", "ED"), ("chapter", "A2"),
    ("conference-report", "A2"), ("article", "A2"), ("serial-issue", "A2")])
def test_editors_go_where_zotero_reads_an_editor(record_type: str, tag: str) -> None:
    # Zotero: A2 of BOOK/RPRT is the series editor, A3 of BOOK the editor, ED the editor of any
    # type; A2 is the editor of CHAP, CONF, JOUR and JFULL (read as journalArticle).
    rec = record(type=record_type, container_title="C", series=Series(title="S"), creators=[
        Creator(org="iom"), Creator(family="Doe", given="Jane", role="editor")])
    assert tag_values(rec, tag)[-1] == "Doe, Jane"


def test_roles_without_a_tag_are_notes_in_place_and_come_back() -> None:
    rec = record(creators=[Creator(org="iom"), Creator(org="unhcr-r-d", role="funder"),
                           Creator(family="Asatryan", given="Nune", role="contributor",
                                   role_label="Updated by")])
    assert tag_values(rec, "N1")[:2] == ["Funder: Research & Development Office",
                                         "Contributor (Updated by): Asatryan, Nune"]
    back, diagnostics = read_one(iombib.export([rec], "ris", organizations=ORGANIZATIONS))
    assert diagnostics == [] and back.creators == rec.creators


# --------------------------------------------------------------------------- names

def test_corporate_names_are_one_au_line_without_comma_with_subdivision() -> None:
    rec = record(creators=[Creator(org="iom", subdivision="Regional Office, Dakar")])
    assert tag_values(rec, "AU") == ["International Organization for Migration. Regional Office,"
                                     " Dakar"]
    back, _ = read_one(iombib.export([rec], "ris", organizations=ORGANIZATIONS))
    assert back.creators == rec.creators  # the authority file tells it from a person


@pytest.mark.parametrize(("creator", "written"), [
    (Creator(family="Buller", given="Ana Maria"), "Buller, Ana Maria"),
    (Creator(family="Gogh", given="Vincent", particle="van"), "Gogh, Vincent van"),
    (Creator(family="King", given="Martin Luther", suffix="Jr."), "King, Martin Luther, Jr."),
    (Creator(family="Plato"), "Plato,"),
    (Creator(family="Sá", particle="de"), "Sá, de")])
def test_person_names_are_family_given_suffix_and_read_back(creator: Creator,
                                                            written: str) -> None:
    assert ris.person_name(creator) == written
    back, diagnostics = read_one(iombib.export([record(creators=[creator])], "ris"))
    assert diagnostics == [] and back.creators == [creator]


def test_a_name_without_comma_unknown_to_the_authority_file_is_a_new_organization() -> None:
    text = "TY  - RPRT\r\nTI  - T\r\nAU  - Ministry of Magic\r\nPY  - 2010\r\nER  - \r\n"
    imported = iombib.read(text, "ris", organizations=ORGANIZATIONS)
    assert imported.records[0].creators == [Creator(org="ministry-magic")]
    assert list(imported.new_organizations) == ["ministry-magic"]


# --------------------------------------------------------------------------- ISBNs and numbers

def test_a_book_keeps_all_its_isbns_on_one_sn_line_with_their_qualifiers() -> None:
    rec = record(type="book", isbn=[Isbn(value="978-92-9068-709-2"),
                                    Isbn(value="978-92-9068-710-8", medium="electronic"),
                                    Isbn(value="978-92-9068-711-5", note="softcover")])
    assert tag_values(rec, "SN") == [
        "978-92-9068-709-2; 978-92-9068-710-8 (electronic); 978-92-9068-711-5 (print, softcover)"]
    assert read_one(iombib.export([rec], "ris"))[0].isbn == rec.isbn


def test_a_report_has_its_number_in_sn_and_its_isbn_and_issn_in_the_note() -> None:
    # Zotero's RIS translator maps SN of a report to reportNumber; so does EndNote.
    rec = record(series=Series(title="Migration Research Series", number="17",
                               issn="1607-338X"), isbn=[Isbn(value="978-92-9068-709-2")])
    assert tag_values(rec, "SN") == ["17"]
    assert tag_values(rec, "T2") == ["Migration Research Series"]
    assert note(rec) == ["Series ISSN: 1607-338X", "ISBN: 978-92-9068-709-2"]
    back, diagnostics = read_one(iombib.export([rec], "ris"))
    assert diagnostics == [] and (back.series, back.isbn) == (rec.series, rec.isbn)


def test_other_editions_isbns_urls_and_titles_are_kept_and_read_back() -> None:
    rec = record(isbn=[Isbn(value="978-92-9068-709-2")], editions=[
        Edition(language="fr", title="Titre", pages=112, issued="2016",
                isbn=[Isbn(value="978-92-9068-710-8")],
                urls=[Url(url="https://publications.iom.int/fr.pdf", kind="pdf")]),
        Edition(language="es")])
    assert note(rec)[1:] == ["Other language editions: fr, es", "Edition (fr) title: Titre",
                             "Edition (fr) issued: 2016", "Edition (fr) pages: 112",
                             "Edition (fr) ISBN: 978-92-9068-710-8",
                             "Edition (fr) PDF: https://publications.iom.int/fr.pdf"]
    assert read_one(iombib.export([rec], "ris"))[0].editions == rec.editions


def test_the_french_edition_keeps_the_primary_editions_isbn() -> None:
    rec = record(isbn=[Isbn(value="978-92-9068-709-2")], editions=[
        Edition(language="fr", title="Titre", isbn=[Isbn(value="978-92-9068-710-8")])])
    french = lines(rec, "fr")
    assert ("TI", "Titre") in french and ("LA", "fr") in french
    assert "Edition (en) ISBN: 978-92-9068-709-2" in french[-2][1].split("\n")


def test_page_count_of_whole_works_and_page_range_of_parts() -> None:
    assert tag_values(record(pages=228), "SP") == ["228"]
    chapter = record(type="chapter", container_title="Book", page_range="12–34", pages=23)
    assert (tag_values(chapter, "SP"), tag_values(chapter, "EP")) == (["12"], ["34"])
    assert "Number of pages: 23" in note(chapter)
    back = read_one(iombib.export([chapter], "ris"))[0]
    assert (back.page_range, back.pages) == ("12-34", 23)


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize(("issued", "written"), [
    ("2015", [("PY", "2015")]), ("2016-08", [("PY", "2016"), ("DA", "2016/08//")]),
    ("2016-08-15", [("PY", "2016"), ("DA", "2016/08/15/")]),
    ("2009/2010", [("PY", "2009"), ("DA", "2009///2010")])])
def test_dates_are_py_and_da_and_read_back(issued: str, written: list) -> None:
    rec = record(issued=issued)
    assert [(t, v) for t, v in lines(rec) if t in ("PY", "DA")] == written
    assert read_one(iombib.export([rec], "ris"))[0].issued == issued


# --------------------------------------------------------------------------- line format

def test_line_format_crlf_no_bom_blank_line_between_records_er_last(
        catalogue: iombib.Catalogue) -> None:
    text = iombib.export(catalogue.records[:3], "ris", organizations=catalogue.organizations)
    assert not text.startswith("\ufeff") and text.startswith("TY  - ")
    assert "\n" not in text.replace("\r\n", "")
    blocks = text.split("\r\n\r\n")
    assert len(blocks) == 3 and all(b.rstrip("\r\n").endswith("ER  - ") for b in blocks)
    for block in blocks:
        for line in block.split("\r\n"):
            if line[2:6] == "  - ":
                assert line[:2].isalnum() and line[:2].isupper()


def test_output_is_deterministic(catalogue: iombib.Catalogue) -> None:
    first = iombib.export(catalogue, "ris")
    assert first == iombib.export(catalogue, "ris")
    assert first == iombib.export(catalogue, "ris", jobs=2)


def test_abstract_paragraphs_are_continuation_lines_not_blank_unless_paragraph_breaks() -> None:
    rec = record(abstract="One.\nTwo.\n\nThree.")
    text = iombib.export([rec], "ris")
    assert "AB  - One.\r\nTwo.\r\n\r\nThree.\r\n" in text
    assert read_one(text)[0].abstract == rec.abstract


# --------------------------------------------------------------------------- other tools' RIS

ZOTERO_LIKE = """\ufeff
TY  - JOUR
A1  - Spitz, François
AU  - Furlong, Eileen E. M.
T1  - Transcription factors
JO  - Nature Reviews Genetics
Y1  - 2012///
VL  - 13
IS  - 9
SP  - 613
EP  - 626
SN  - 1471-0056
la  - English
KW  - genetics
N1  - A note that goes on
over two lines
AB  - First paragraph
continues here.
M3  - 10.1038/nrg3207
UR  - https://example.org/a; https://example.org/b
ER  -
"""


def test_reads_zotero_and_endnote_style_ris() -> None:
    rec, diagnostics = read_one(ZOTERO_LIKE.replace("\n", "\r\n"))
    assert diagnostics == []
    assert (rec.type, rec.title, rec.container_title, rec.issued) == (
        "article", "Transcription factors", "Nature Reviews Genetics", "2012")
    assert [(c.family, c.given) for c in rec.creators] == [
        ("Spitz", "François"), ("Furlong", "Eileen E. M.")]
    assert (rec.volume, rec.page_range) == ("13", "613-626")
    assert rec.series == Series(title="Nature Reviews Genetics", number="9", issn="1471-0056")
    assert (rec.languages, rec.keywords, rec.doi) == (["en"], ["genetics"], "10.1038/nrg3207")
    assert rec.notes[0] == "A note that goes on\nover two lines"
    assert rec.abstract == "First paragraph\ncontinues here."
    assert [u.url for u in rec.urls] == ["https://example.org/a", "https://example.org/b"]


def test_a_report_number_without_a_series_title_is_kept_in_notes() -> None:
    rec, diagnostics = read_one("TY  - RPRT\nTI  - R\nPY  - 2001\nLA  - en\nSN  - 17\nER  - \n")
    assert rec.series is None and rec.notes == ["Series number: 17"]
    assert [(d.code, d.location.line) for d in diagnostics] == [("IMPORT_UNMAPPED", 1)]


def test_a_type_of_work_that_did_not_choose_the_record_type_is_kept() -> None:
    # GOVDOC is read as a report: its M3 "Brief" did not make it a brief, so it is not consumed.
    rec, diagnostics = read_one("TY  - GOVDOC\nTI  - R\nPY  - 2001\nLA  - en\nM3  - Brief\n"
                                "ER  - \n")
    assert (rec.type, rec.notes) == ("report", ["M3 (type of work): Brief"])
    assert [(d.code, d.location.line) for d in diagnostics] == [("IMPORT_UNMAPPED", 5)]


def test_french_language_name_and_lf_line_ends() -> None:
    text = "TY  - BOOK\nTI  - Livre\nPY  - 2001\nLA  - Français\nER  - \n"
    rec, diagnostics = read_one(text)
    assert (rec.languages, rec.type, diagnostics) == (["fr"], "book", [])


# --------------------------------------------------------------------------- broken inputs

@pytest.mark.parametrize("case", invalid_cases("ris"))
def test_invalid_input(case: str) -> None:
    assert_invalid_input_diagnostics(case, "ris", "input.ris")


def test_invalid_inputs_keep_what_they_could_not_map() -> None:
    text = invalid_input("ris-unknown-tags", "input.ris")
    rec, _ = read_one(text)
    assert rec.notes == ["Y2 (access date): 2020/01/31", "ZZ: something"]
    skipped = iombib.read(invalid_input("ris-no-er", "input.ris"), "ris")
    assert [r.title for r in skipped.records] == ["Second"]


# --------------------------------------------------------------------------- golden files

@pytest.mark.parametrize(("case", "language"), GOLDEN_CASES)
def test_golden(case: str, language: str | None, catalogue: iombib.Catalogue) -> None:
    """Compared byte for byte; IOMBIB_REGENERATE=1 rewrites them (and examples/ris). Checked by
    reading: corporate author whole, report number not taken by the ISBN, all three ISBNs."""
    assert_golden(golden_text(catalogue, "ris", case, language), case, language,
                  "ris", "ris")


# --------------------------------------------------------------------------- round trips

def test_every_catalogue_record_survives(catalogue: iombib.Catalogue) -> None:
    for rec in catalogue:
        text = iombib.export([rec], "ris", organizations=catalogue.organizations)
        imported = iombib.read(text, "ris", organizations=catalogue.organizations)
        assert [d.format() for d in imported.diagnostics] == [], rec.id
        assert comparable(imported.records[0]) == comparable(rec), rec.id


def test_the_french_edition_reads_back_to_a_record_that_writes_the_same(
        catalogue: iombib.Catalogue) -> None:
    for rec in catalogue:
        text = iombib.export([rec], "ris", organizations=catalogue.organizations, language="fr")
        imported = iombib.read(text, "ris", organizations=catalogue.organizations)
        assert imported.diagnostics == [], rec.id
        again = iombib.export(imported.records, "ris", organizations=catalogue.organizations)
        assert again == text, rec.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records())
def test_generated_records_survive(rec: Record) -> None:
    text = iombib.export([rec], "ris", organizations=ORGANIZATIONS)
    back, diagnostics = read_one(text)
    assert [d.format() for d in diagnostics] == []
    assert comparable(back) == comparable(rec)


# --------------------------------------------------------------------------- rispy


def test_rispy_reads_every_tag_with_its_value(catalogue: iombib.Catalogue) -> None:
    """rispy's default mapping (TAG_KEY_MAPPING): AU/A1-A4, KW, N1, UR are lists (UR split on
    ";"), a continuation line of a list tag is a further item, of another tag is joined with a
    space; tags it does not know (ED, SV) land in ``unknown_tag``."""
    try:
        import rispy
        from rispy.config import LIST_TYPE_TAGS, TAG_KEY_MAPPING
    except ImportError:
        missing("rispy is not installed (pip install rispy)")
    text = iombib.export(catalogue, "ris", organizations=catalogue.organizations)
    parsed = rispy.loads(text)
    assert len(parsed) == len(catalogue.records)
    for rec, entry in zip(catalogue, parsed, strict=True):
        expected: dict[str, Any] = {}
        for tag, value in ris.tags(resolve(rec, catalogue.organizations)):
            if tag == "ER":
                continue
            parts = value.split("\n")
            if tag not in TAG_KEY_MAPPING:
                expected.setdefault("unknown_tag", {}).setdefault(tag, []).append(value)
            elif tag in LIST_TYPE_TAGS:
                expected.setdefault(TAG_KEY_MAPPING[tag], []).extend(parts)
            else:
                key = TAG_KEY_MAPPING[tag]
                assert key not in expected, f"{rec.id}: rispy keeps one {tag} only"
                expected[key] = " ".join(parts)
        got = {k: (dict(v) if k == "unknown_tag" else v) for k, v in entry.items()}
        assert got == expected, rec.id
