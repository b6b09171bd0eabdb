"""MARCXML: leader and 008, the field table, names and roles, ISBNs, titles, series, editions,
reading other systems' MARC, broken inputs, golden files, round trips, and the real consumers:
the MARC 21 slim schema (lxml), pymarc and yaz-marcdump."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from casebook import (
    GOLDEN_CASES,
    assert_golden,
    assert_invalid_input_diagnostics,
    golden_text,
    invalid_cases,
)
from consumers import missing, yaz_roundtrip
from hypothesis import HealthCheck, given, settings
from strategies import ORGANIZATIONS, records

import iombib
from iombib import fields
from iombib.formats import marcxml
from iombib.model import Creator, Edition, Isbn, Price, Provenance, Record, Relation, Series, Url
from iombib.rendition import resolve

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "reference" / "MARC21slim.xsd"


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


@pytest.fixture(scope="module")
def schema() -> Any:
    from lxml import etree

    if not SCHEMA.is_file():
        missing(f"the MARC 21 slim schema is not at {SCHEMA}")
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def record(**values: Any) -> Record:
    base: dict[str, Any] = {"id": "x", "type": "report", "title": "Title", "issued": "2015",
                            "languages": ["en"], "provenance": Provenance(sources=["s"])}
    return Record(**{**base, **values})


def marc(rec: Record, language: str | None = None) -> tuple[str, dict[str, str], list]:
    """Leader, control fields by tag, and data fields (tag, ind1, ind2, subfields)."""
    leader, controls, data = marcxml.marc_fields(resolve(rec, ORGANIZATIONS, language))
    return leader, dict(controls), data


def datafields(rec: Record, tag: str, language: str | None = None) -> list[tuple]:
    return [(i1 + i2, subs) for t, i1, i2, subs in marc(rec, language)[2] if t == tag]


def read_one(text: str) -> tuple[Record, list]:
    imported = iombib.read(text, "marcxml", organizations=ORGANIZATIONS, source="in.xml")
    assert len(imported.records) == 1
    return imported.records[0], imported.diagnostics


def round_trip(rec: Record) -> Record:
    back, diagnostics = read_one(iombib.export([rec], "marcxml", organizations=ORGANIZATIONS))
    assert [d.format() for d in diagnostics] == []
    return back


def comparable(rec: Record) -> dict[str, Any]:
    data = fields.dump(rec)
    data.pop("provenance", None)
    return data


# --------------------------------------------------------------------------- leader and 008

@pytest.mark.parametrize(("record_type", "level"), [
    ("book", "m"), ("report", "m"), ("serial-issue", "m"), ("chapter", "a"), ("article", "a")])
def test_leader_is_24_characters_language_material_unicode_abbreviated(record_type: str,
                                                                       level: str) -> None:
    leader = marc(record(type=record_type, container_title="C"))[0]
    assert len(leader) == 24
    assert (leader[5], leader[6], leader[7], leader[9]) == ("n", "a", level, "a")
    assert (leader[17], leader[18], leader[20:]) == ("3", "c", "4500")


@pytest.mark.parametrize(("issued", "dates"), [
    ("2015", "s2015    "), ("2016-08", "e201608uu"), ("2016-08-15", "e20160815"),
    ("2009/2010", "m20092010")])
def test_008_date_type_and_dates(issued: str, dates: str) -> None:
    fixed = marc(record(issued=issued))[1]["008"]
    assert len(fixed) == 40 and fixed[6:15] == dates
    assert round_trip(record(issued=issued)).issued == issued


def test_008_place_form_government_language_and_source() -> None:
    online = record(place="Geneva", urls=[Url(url="https://x.org/a.pdf", kind="pdf")])
    fixed = marc(online)[1]["008"]
    assert (fixed[15:18], fixed[23], fixed[24:28], fixed[28]) == ("sz ", "o", "t   ", "i")
    assert (fixed[35:38], fixed[39]) == ("eng", "d")
    printed = marc(record(place="New York", isbn=[Isbn(value="978-92-9068-709-2")],
                          languages=["fr", "en"], publisher="unhcr"))[1]["008"]
    assert (printed[15:18], printed[23], printed[28], printed[35:38]) == ("nyu", " ", "|", "mul")


# --------------------------------------------------------------------------- names and roles

def test_first_author_is_the_main_entry_the_others_added_entries_with_relators() -> None:
    rec = record(creators=[Creator(family="McAuliffe", given="Marie"),
                           Creator(org="iom", subdivision="Migration Research Division"),
                           Creator(family="Klein Solomon", given="Michele", role="editor",
                                   role_label="Conveners")])
    assert datafields(rec, "100") == [("1 ", [("a", "McAuliffe, Marie"), ("e", "author"),
                                              ("4", "aut")])]
    assert datafields(rec, "710") == [("2 ", [
        ("a", "International Organization for Migration"), ("b", "Migration Research Division"),
        ("e", "author"), ("4", "aut")])]
    assert datafields(rec, "700") == [("1 ", [("a", "Klein Solomon, Michele"),
                                              ("e", "Conveners"), ("4", "edt")])]
    assert round_trip(rec).creators == rec.creators


def test_creator_order_comes_back_although_marc_files_persons_before_organizations() -> None:
    rec = record(creators=[Creator(family="Aa"), Creator(org="iom"), Creator(family="Bb")])
    tags = [t for t, *_ in marc(rec)[2] if t in ("100", "700", "710")]
    assert tags == ["100", "700", "710"]
    assert round_trip(rec).creators == rec.creators


def test_an_organization_first_is_the_110_main_entry_and_245_ind1_says_so() -> None:
    rec = record(creators=[Creator(org="iom")])
    assert datafields(rec, "110")[0][1][0] == ("a", "International Organization for Migration")
    assert datafields(rec, "245")[0][0] == "10"
    assert datafields(record(creators=[]), "245")[0][0] == "00"


# --------------------------------------------------------------------------- ISBNs, ISSN, price

def test_each_isbn_its_own_020_with_medium_language_and_the_price_on_the_first() -> None:
    rec = record(isbn=[Isbn(value="978-92-9068-709-2"),
                       Isbn(value="978-92-9068-710-8", medium="electronic")],
                 price=Price(amount=60, currency="USD"), editions=[
                     Edition(language="fr", isbn=[Isbn(value="978-92-9068-711-5")])])
    assert datafields(rec, "020") == [
        ("  ", [("a", "9789290687092"), ("q", "print"), ("q", "English"), ("c", "USD 60")]),
        ("  ", [("a", "9789290687108"), ("q", "electronic"), ("q", "English")])]
    assert datafields(rec, "775") == [("0 ", [("e", "fre"), ("z", "9789290687115")])]
    back = round_trip(rec)
    assert (back.isbn, back.price, back.editions) == (rec.isbn, rec.price, rec.editions)


def test_the_french_edition_has_its_own_isbn_and_links_the_english_one() -> None:
    rec = record(title="World", isbn=[Isbn(value="978-92-9068-709-2")], editions=[
        Edition(language="fr", title="Monde", isbn=[Isbn(value="978-92-9068-710-8")])])
    assert datafields(rec, "020", "fr")[0][1][:3] == [("a", "9789290687108"), ("q", "print"),
                                                     ("q", "French")]
    assert datafields(rec, "775", "fr") == [("0 ", [("e", "eng"), ("t", "World"),
                                                    ("z", "9789290687092")])]
    assert marc(rec, "fr")[1]["008"][35:38] == "fre"


def test_series_is_490_and_830_with_issn_and_numbering() -> None:
    rec = record(series=Series(title="Migration Research Series", number="17",
                               issn="1607-338X"))
    subs = [("a", "Migration Research Series"), ("x", "1607-338X"), ("v", "no. 17")]
    assert datafields(rec, "490") == [("1 ", subs)]
    assert datafields(rec, "830") == [(" 0", subs)]
    assert round_trip(rec).series == rec.series


def test_a_serial_issue_carries_the_serials_issn_in_022() -> None:
    rec = record(type="serial-issue", series=Series(title="Migration Policy Practice",
                                                    issn="2223-5248", volume="7", issue="1"))
    assert datafields(rec, "022") == [("  ", [("a", "2223-5248")])]
    assert round_trip(rec).series == rec.series


# --------------------------------------------------------------------------- titles

@pytest.mark.parametrize(("title", "language", "indicator"), [
    ("The Future of Migration", "en", "4"), ("A Guide", "en", "2"), ("Les migrants", "fr", "4"),
    ("L'État", "fr", "2"), ("Las migraciones", "es", "4"), ("Theory", "en", "0"),
    ("La migración", "en", "0")])
def test_245_second_indicator_skips_a_leading_article_of_the_titles_language(
        title: str, language: str, indicator: str) -> None:
    assert marcxml.nonfiling(title, language) == indicator


def test_245_has_title_subtitle_volume_and_statement_of_responsibility() -> None:
    rec = record(title="Fatal Journeys", subtitle="Tracking Lives Lost", volume="3",
                 creators=[Creator(org="iom")])
    assert datafields(rec, "245") == [("10", [
        ("a", "Fatal Journeys"), ("b", "Tracking Lives Lost"), ("n", "3"),
        ("c", "International Organization for Migration")])]


# --------------------------------------------------------------------------- the rest

def test_abstract_paragraphs_countries_urls_relations_and_local_fields_come_back() -> None:
    rec = record(abstract="One.\n\nTwo.", countries=["TN", "LY"], regions=["Sahel"],
                 urls=[Url(url="https://x.org/a.pdf", kind="pdf"),
                       Url(url="https://x.org/page")],
                 relations=[Relation(type="continues", target="older-report")],
                 availability=["pdf", "softcover"], category="Migration and Health",
                 keywords=["health"], notes=["A note."], symbol="MC/INF/1", doi="10.1/x")
    assert [s for _, s in datafields(rec, "520")] == [[("a", "One.")], [("a", "Two.")]]
    assert [s[0][1] for _, s in datafields(rec, "651")] == ["Tunisia", "Libya", "Sahel"]
    assert datafields(rec, "856") == [
        ("40", [("u", "https://x.org/a.pdf"), ("q", "application/pdf"), ("y", "PDF")]),
        ("42", [("u", "https://x.org/page"), ("y", "Publication page")])]
    assert datafields(rec, "780") == [("00", [("w", "older-report")])]
    assert datafields(rec, "024") == [("7 ", [("a", "10.1/x"), ("2", "doi")])]
    assert comparable(round_trip(rec)) == comparable(rec)


def test_xml_special_and_forbidden_characters_are_escaped() -> None:
    rec = record(title='R&D <"migration">\x01')
    text = iombib.export([rec], "marcxml")
    assert "R&amp;D &lt;&quot;migration&quot;&gt;\ufffd" in text


def test_output_is_deterministic(catalogue: iombib.Catalogue) -> None:
    first = iombib.export(catalogue, "marcxml")
    assert first == iombib.export(catalogue, "marcxml", jobs=2)


# --------------------------------------------------------------------------- other systems' MARC

LOC_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">
<marc:record>
  <marc:leader>01142cam  2200301 a 4500</marc:leader>
  <marc:controlfield tag="001">92005291</marc:controlfield>
  <marc:controlfield tag="008">920219s1993    caua   j      000 0 eng  </marc:controlfield>
  <marc:datafield tag="020" ind1=" " ind2=" ">
    <marc:subfield code="a">0152038655 :</marc:subfield>
    <marc:subfield code="c">$15.95</marc:subfield>
  </marc:datafield>
  <marc:datafield tag="100" ind1="1" ind2=" ">
    <marc:subfield code="a">Sandburg, Carl,</marc:subfield>
  </marc:datafield>
  <marc:datafield tag="245" ind1="1" ind2="0">
    <marc:subfield code="a">Arithmetic /</marc:subfield>
  </marc:datafield>
  <marc:datafield tag="260" ind1=" " ind2=" ">
    <marc:subfield code="a">Geneva :</marc:subfield>
    <marc:subfield code="b">International Organization for Migration,</marc:subfield>
    <marc:subfield code="c">c1993.</marc:subfield>
  </marc:datafield>
  <marc:datafield tag="650" ind1=" " ind2="0">
    <marc:subfield code="a">Arithmetic</marc:subfield>
  </marc:datafield>
</marc:record>
</marc:collection>
"""


def test_reads_isbd_punctuated_marc_of_other_systems_and_keeps_the_rest_in_notes() -> None:
    rec, diagnostics = read_one(LOC_STYLE)
    assert (rec.id, rec.type, rec.title, rec.issued, rec.place, rec.publisher) == (
        "92005291", "book", "Arithmetic", "1993", "Geneva", "iom")
    assert rec.creators == [Creator(family="Sandburg", given="Carl")]
    assert (rec.isbn, rec.price) == ([Isbn(value="0-15-203865-5")],
                                     Price(amount=15.95, currency="USD"))
    assert rec.languages == ["en"] and rec.notes == ["MARC 650: $a Arithmetic"]
    assert [(d.code, d.location.line) for d in diagnostics] == [("IMPORT_UNMAPPED", 22)]


@pytest.mark.parametrize("case", invalid_cases("marcxml"))
def test_invalid_input(case: str) -> None:
    assert_invalid_input_diagnostics(case, "marcxml", "input.xml")


# --------------------------------------------------------------------------- golden files

@pytest.mark.parametrize(("case", "language"), GOLDEN_CASES)
def test_golden(case: str, language: str | None, catalogue: iombib.Catalogue) -> None:
    """Compared byte for byte; IOMBIB_REGENERATE=1 rewrites them (and examples/marcxml).
    What was checked by reading them: tests/golden/README.marcxml.md."""
    assert_golden(golden_text(catalogue, "marcxml", case, language), case, language,
                  "marcxml", "marcxml")


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("language", [None, "fr"])
def test_every_catalogue_record_survives(catalogue: iombib.Catalogue,
                                         language: str | None) -> None:
    """The primary edition comes back equal; the French edition reads back to a record that
    writes the same MARCXML again."""
    for rec in catalogue:
        text = iombib.export([rec], "marcxml", organizations=catalogue.organizations,
                             language=language)
        imported = iombib.read(text, "marcxml", organizations=catalogue.organizations)
        assert [d.format() for d in imported.diagnostics] == [], rec.id
        if language is None:
            assert comparable(imported.records[0]) == comparable(rec), rec.id
        else:
            again = iombib.export(imported.records, "marcxml",
                                  organizations=catalogue.organizations)
            assert again == text, rec.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records())
def test_generated_records_survive_and_are_schema_valid(rec: Record, schema: Any) -> None:
    from lxml import etree

    text = iombib.export([rec], "marcxml", organizations=ORGANIZATIONS)
    assert schema.validate(etree.fromstring(text.encode("utf-8"))), schema.error_log
    assert comparable(round_trip(rec)) == comparable(rec)


# --------------------------------------------------------------------------- consumers

@pytest.mark.parametrize("language", [None, "fr"])
def test_the_catalogue_is_valid_against_the_marc21_slim_schema(
        catalogue: iombib.Catalogue, schema: Any, language: str | None) -> None:
    from lxml import etree

    text = iombib.export(catalogue, "marcxml", language=language)
    document = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    assert len(document) == len(catalogue.records)


def expected_fields(rec: Record, organizations: dict) -> list[tuple]:
    leader, controls, data = marcxml.marc_fields(resolve(rec, organizations))
    return [("LDR", leader), *controls,
            *((tag, i1 + i2, [list(s) for s in subs]) for tag, i1, i2, subs in data)]


def pymarc_fields(parsed: Any) -> list[tuple]:
    out: list[tuple] = [("LDR", str(parsed.leader))]
    for field in parsed.fields:
        if field.is_control_field():
            out.append((field.tag, field.data))
        else:
            out.append((field.tag, "".join(field.indicators),
                        [[s.code, s.value] for s in field.subfields]))
    return out


def test_pymarc_reads_every_record_with_the_same_fields(catalogue: iombib.Catalogue,
                                                        tmp_path: Path) -> None:
    try:
        import pymarc
    except ImportError:
        missing("pymarc is not installed (pip install pymarc)")
    path = tmp_path / "catalogue.marcxml"
    path.write_text(iombib.export(catalogue, "marcxml"), encoding="utf-8")
    parsed = pymarc.parse_xml_to_array(str(path))
    assert len(parsed) == len(catalogue.records)
    for rec, got in zip(catalogue, parsed, strict=True):
        assert pymarc_fields(got) == expected_fields(rec, catalogue.organizations), rec.id


def test_yaz_marcdump_converts_to_iso2709_and_back_with_every_field(
        catalogue: iombib.Catalogue, tmp_path: Path) -> None:
    try:
        import pymarc
    except ImportError:
        missing("pymarc is not installed (pip install pymarc)")
    path = tmp_path / "catalogue.marcxml"
    path.write_text(iombib.export(catalogue, "marcxml"), encoding="utf-8")
    result = yaz_roundtrip(path)
    assert result.returncode == 0, result.stderr
    assert result.records == len(catalogue.records), result.stderr
    back = tmp_path / "back.marcxml"
    back.write_text(result.marcxml, encoding="utf-8")
    for rec, got in zip(catalogue, pymarc.parse_xml_to_array(str(back)), strict=True):
        fields_back = pymarc_fields(got)
        expected = expected_fields(rec, catalogue.organizations)
        # ISO 2709 has real record lengths and base addresses: the leader is recomputed.
        assert fields_back[1:] == expected[1:], rec.id
        assert fields_back[0][1][5:12] + fields_back[0][1][17:] == \
            expected[0][1][5:12] + expected[0][1][17:], rec.id
