"""CSL-JSON: the type and variable tables, names, dates, ISBNs, custom, the array layout, reading
other tools' items, broken inputs, golden files, round trips, the CSL-JSON schema, citeproc-js
and citeproc-py."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
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
from consumers import citeproc_js_render, csl_locale_path, csl_style_path, missing
from hypothesis import HealthCheck, given, settings
from strategies import ORGANIZATIONS, records

import iombib
from iombib import fields
from iombib.formats import csljson
from iombib.model import Creator, Edition, Isbn, Price, Provenance, Record, Series, Url
from iombib.rendition import resolve

SCHEMA = Path(__file__).parents[2].parent / "shared/reference/csl-schema/csl-data.json"


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


def record(**values: Any) -> Record:
    base: dict[str, Any] = {"id": "x", "type": "report", "title": "Title", "issued": "2015",
                            "languages": ["en"], "provenance": Provenance(sources=["s"])}
    return Record(**{**base, **values})


def item(rec: Record, language: str | None = None) -> dict[str, Any]:
    return csljson.to_csl(resolve(rec, ORGANIZATIONS, language))


def read_one(text: str, organizations: dict | None = None) -> tuple[Record, list]:
    imported = iombib.read(text, "csljson", organizations=organizations or ORGANIZATIONS,
                           source="in.json")
    assert len(imported.records) == 1
    return imported.records[0], imported.diagnostics


def back(rec: Record, language: str | None = None) -> Record:
    text = iombib.export([rec], "csljson", organizations=ORGANIZATIONS, language=language)
    found, diagnostics = read_one(text)
    assert [d.format() for d in diagnostics] == []
    return found


def comparable(rec: Record) -> dict[str, Any]:
    data = fields.dump(rec)
    data.pop("provenance", None)
    return data


def items_of(text: str) -> list[dict[str, Any]]:
    return json.loads(text)


# --------------------------------------------------------------------------- types

@pytest.mark.parametrize(("record_type", "csl_type", "genre"), [
    ("book", "book", None), ("manual", "book", "Manual"), ("report", "report", None),
    ("brief", "report", "Brief"), ("fact-sheet", "report", "Fact sheet"),
    ("working-paper", "report", "Working paper"),
    ("conference-report", "report", "Conference report"), ("serial-issue", "report", None),
    ("brochure", "pamphlet", "Brochure"), ("article", "article-journal", None),
    ("chapter", "chapter", None)])
def test_each_record_type_has_its_csl_type_and_comes_back(record_type: str, csl_type: str,
                                                          genre: str | None) -> None:
    rec = record(type=record_type, series=Series(title="S"), container_title="C")
    found = item(rec)
    assert (found["type"], found.get("genre")) == (csl_type, genre)
    # Only the serial issue needs custom to tell it from a report.
    assert ("type" in found.get("custom", {})) == (record_type == "serial-issue")
    assert back(rec).type == record_type


@pytest.mark.parametrize(("csl_type", "record_type"), [
    ("paper-conference", "chapter"), ("entry-encyclopedia", "chapter"),
    ("article-newspaper", "article"), ("periodical", "serial-issue"), ("collection", "book"),
    ("thesis", "report"), ("webpage", "report"), ("document", "report"),
    ("pamphlet", "brochure")])
def test_other_tools_types_are_read_as_the_nearest_record_type(csl_type: str,
                                                               record_type: str) -> None:
    text = json.dumps([{"id": "a", "type": csl_type, "title": "T", "language": "en",
                        "issued": {"date-parts": [[2001]]}}])
    rec, diagnostics = read_one(text)
    assert (rec.type, diagnostics) == (record_type, [])


# --------------------------------------------------------------------------- names

def test_corporate_names_are_literals_in_the_editions_language_and_come_back() -> None:
    rec = record(creators=[Creator(org="iom", subdivision="Regional Office, Dakar")],
                 editions=[Edition(language="fr", title="Titre")])
    assert item(rec)["author"] == [
        {"literal": "International Organization for Migration. Regional Office, Dakar"}]
    assert item(rec, "fr")["author"] == [
        {"literal": "Organisation internationale pour les migrations. Regional Office, Dakar"}]
    assert item(rec)["publisher"] == "International Organization for Migration"
    assert item(rec, "fr")["publisher"] == "Organisation internationale pour les migrations"
    assert "custom" not in item(rec, "fr") or "creators" not in item(rec, "fr")["custom"]
    assert back(rec).creators == rec.creators
    assert back(rec, "fr").creators == rec.creators


@pytest.mark.parametrize(("creator", "written"), [
    (Creator(family="Buller", given="Ana Maria"), {"family": "Buller", "given": "Ana Maria"}),
    (Creator(family="Gogh", given="Vincent", particle="van"),
     {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"}),
    (Creator(family="King", given="Martin Luther", suffix="Jr."),
     {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    (Creator(family="Plato"), {"family": "Plato"})])
def test_person_names_and_particles_come_back(creator: Creator, written: dict) -> None:
    rec = record(creators=[creator])
    assert item(rec)["author"] == [written] and "custom" not in item(rec)
    assert back(rec).creators == [creator]


def test_a_dropping_particle_of_other_tools_is_the_particle() -> None:
    text = json.dumps([{"id": "a", "type": "book", "title": "T", "language": "en",
                        "issued": {"date-parts": [[2001]]}, "author": [
                            {"family": "Beethoven", "given": "Ludwig",
                             "dropping-particle": "van"}]}])
    rec, diagnostics = read_one(text)
    assert rec.creators == [Creator(family="Beethoven", given="Ludwig", particle="van")]
    assert diagnostics == []


def test_roles_are_name_variables_and_what_they_cannot_say_goes_into_custom() -> None:
    plain = record(creators=[Creator(family="A"), Creator(family="B", role="editor"),
                             Creator(family="D", role="compiler"),
                             Creator(family="C", role="translator"),
                             Creator(family="E", role="contributor"),
                             Creator(org="iom", role="organizer")])
    found = item(plain)
    assert [k for k in found if k in csljson.ROLES] == ["author", "editor", "compiler",
                                                         "translator", "contributor",
                                                         "organizer"]
    assert "custom" not in found  # grouped in role order: the variables say it all
    odd = record(creators=[Creator(family="B", role="editor"), Creator(family="A"),
                           Creator(org="unhcr-r-d", role="funder"),
                           Creator(family="C", role="editor", role_label="Conveners")])
    found = item(odd)
    assert found["editor"] == [{"family": "B"}, {"family": "C"}]
    assert "funder" not in found and found["custom"]["creators"][2] == {
        "org": "unhcr-r-d", "role": "funder"}
    assert back(odd).creators == odd.creators


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize(("issued", "parts"), [
    ("2015", [[2015]]), ("2016-08", [[2016, 8]]), ("2016-08-15", [[2016, 8, 15]]),
    ("2009/2010", [[2009], [2010]])])
def test_dates_are_date_parts_a_range_two_of_them(issued: str, parts: list) -> None:
    rec = record(issued=issued)
    assert item(rec)["issued"] == {"date-parts": parts}
    assert back(rec).issued == issued


@pytest.mark.parametrize(("issued", "read_as"), [
    ({"raw": "2016-08"}, "2016-08"), ({"literal": "2001"}, "2001"), ("2019-05-02", "2019-05-02"),
    ({"date-parts": [["2016", "8"]]}, "2016-08")])
def test_other_tools_dates_raw_literal_edtf_and_string_parts(issued: Any, read_as: str) -> None:
    text = json.dumps([{"id": "a", "type": "report", "title": "T", "language": "en",
                        "issued": issued}])
    rec, diagnostics = read_one(text)
    assert (rec.issued, diagnostics) == (read_as, [])


# --------------------------------------------------------------------------- series, ISBNs

def test_serial_issue_numbering() -> None:
    rec = record(type="serial-issue", title="Migration Policy Practice",
                 series=Series(title="Migration Policy Practice", issn="2223-5248", volume="VI",
                               number="2", issue="April–May 2016"))
    found = item(rec)
    assert (found["collection-title"], found["volume"], found["collection-number"],
            found["issue"], found["ISSN"]) == ("Migration Policy Practice", "VI", "2",
                                               "April–May 2016", "2223-5248")
    assert found["custom"] == {"type": "serial-issue"}
    assert comparable(back(rec)) == comparable(rec)


def test_a_series_volume_is_the_volume_and_a_volume_beside_a_series_is_custom() -> None:
    in_series = record(series=Series(title="Fatal Journeys", volume="3", part="2"))
    assert (item(in_series)["volume"], item(in_series)["part"]) == ("3", "2")
    assert "custom" not in item(in_series)
    both = record(volume="2", series=Series(title="S", volume="3"))
    assert item(both)["volume"] == "2"
    assert item(both)["custom"] == {"volume": "2", "series.volume": "3"}
    assert comparable(back(both)) == comparable(both)


def test_isbn_is_this_editions_print_isbn_and_all_of_them_are_kept() -> None:
    single = record(isbn=[Isbn(value="978-92-9068-709-2")])
    assert item(single)["ISBN"] == "978-92-9068-709-2" and "custom" not in item(single)
    several = record(isbn=[Isbn(value="978-92-9068-710-8", medium="electronic"),
                           Isbn(value="978-92-9068-709-2", note="softcover")])
    found = item(several)
    assert found["ISBN"] == "978-92-9068-709-2"  # print first, as the BibTeX writer picks
    assert found["custom"]["isbn"] == [
        {"value": "978-92-9068-710-8", "medium": "electronic"},
        {"value": "978-92-9068-709-2", "note": "softcover"}]
    assert back(several).isbn == several.isbn


def test_the_french_edition_is_rerooted_and_keeps_the_primary_one() -> None:
    rec = record(title="Report", isbn=[Isbn(value="978-92-9068-709-2")],
                 urls=[Url(url="https://publications.iom.int/en")],
                 editions=[Edition(language="fr", title="Rapport",
                                   isbn=[Isbn(value="978-92-9068-710-8")],
                                   urls=[Url(url="https://publications.iom.int/fr")])])
    found = item(rec, "fr")
    assert (found["title"], found["language"], found["ISBN"], found["URL"]) == (
        "Rapport", "fr", "978-92-9068-710-8", "https://publications.iom.int/fr")
    assert found["custom"]["editions"] == [
        {"language": "en", "title": "Report", "isbn": [{"value": "978-92-9068-709-2"}],
         "urls": [{"url": "https://publications.iom.int/en"}]}]


# --------------------------------------------------------------------------- titles, custom

def test_title_is_joined_with_subtitle_and_title_short_tells_them_apart() -> None:
    rec = record(title="World Migration Report 2015", subtitle="Migrants and Cities")
    found = item(rec)
    assert (found["title"], found["title-short"]) == (
        "World Migration Report 2015: Migrants and Cities", "World Migration Report 2015")
    assert "custom" not in found and back(rec).subtitle == "Migrants and Cities"


def test_an_ambiguous_title_split_goes_into_custom() -> None:
    rec = record(title="Migration", subtitle="A World", short_title="MW")
    found = item(rec)
    assert (found["title"], found["title-short"]) == ("Migration: A World", "MW")
    assert found["custom"] == {"title": "Migration", "subtitle": "A World"}
    assert (back(rec).title, back(rec).subtitle, back(rec).short_title) == (
        "Migration", "A World", "MW")


def test_fields_without_a_variable_are_plain_data_in_custom() -> None:
    rec = record(price=Price(amount=60, currency="USD"), countries=["CH", "TR"],
                 regions=["East Africa"], languages=["en", "fr"], keywords=["a, b", "c"],
                 notes=["one\ntwo"], urls=[Url(url="https://publications.iom.int/x.pdf",
                                               kind="pdf")],
                 provenance=Provenance(sources=["s"], incomplete=["pages"]))
    found = item(rec)
    assert found["language"] == "en" and found["URL"] == "https://publications.iom.int/x.pdf"
    assert found["custom"] == {
        "languages": ["en", "fr"], "urls": [{"url": "https://publications.iom.int/x.pdf",
                                             "kind": "pdf"}],
        "price": {"amount": 60, "currency": "USD"}, "keywords": ["a, b", "c"],
        "countries": ["CH", "TR"], "regions": ["East Africa"], "notes": ["one\ntwo"],
        "provenance.incomplete": ["pages"]}
    found_back = back(rec)
    assert comparable(found_back) == comparable(rec)
    assert found_back.provenance.incomplete == ["pages"]


# --------------------------------------------------------------------------- layout

def test_output_is_one_array_with_an_item_per_record(catalogue: iombib.Catalogue) -> None:
    text = iombib.export(catalogue.records[:3], "csljson", organizations=catalogue.organizations)
    assert text.startswith("[\n  {\n    \"id\": ") and text.endswith("\n  }\n]\n")
    assert [i["id"] for i in items_of(text)] == [r.id for r in catalogue.records[:3]]
    assert "\\u" not in text  # UTF-8, not escapes
    assert items_of(iombib.export([], "csljson")) == []


def test_output_is_deterministic(catalogue: iombib.Catalogue) -> None:
    first = iombib.export(catalogue, "csljson")
    assert first == iombib.export(catalogue, "csljson")
    assert first == iombib.export(catalogue, "csljson", jobs=2)


def test_suffixes_pick_the_format() -> None:
    from iombib import formats
    assert formats.for_path("refs.csl.json") is csljson
    assert formats.for_path("refs.json") is csljson


# --------------------------------------------------------------------------- other tools

ZOTERO_LIKE = """[
  {
    "id": "http://zotero.org/users/1/items/ABCD",
    "type": "article-journal",
    "title": "Transcription factors",
    "container-title": "Nature Reviews Genetics",
    "volume": 13,
    "issue": "9",
    "page": "613-626",
    "ISSN": "1471-0056",
    "DOI": "10.1038/nrg3207",
    "language": "en-US",
    "author": [{"family": "Spitz", "given": "François"},
               {"family": "Furlong", "given": "Eileen E. M."}],
    "issued": {"date-parts": [[2012, 9]]},
    "note": "A note\\nover two lines"
  }
]"""


def test_reads_zotero_style_items() -> None:
    rec, diagnostics = read_one(ZOTERO_LIKE)
    assert diagnostics == []
    assert (rec.id, rec.type, rec.title, rec.container_title, rec.issued) == (
        "transcription-factors-2012", "article", "Transcription factors",
        "Nature Reviews Genetics", "2012-09")
    assert [(c.family, c.given) for c in rec.creators] == [
        ("Spitz", "François"), ("Furlong", "Eileen E. M.")]
    assert (rec.volume, rec.page_range, rec.doi, rec.languages) == (
        "13", "613-626", "10.1038/nrg3207", ["en"])
    assert rec.series == Series(title="Nature Reviews Genetics", issue="9", issn="1471-0056")
    assert rec.notes == ["A note", "over two lines"]
    assert rec.place is None and rec.publisher == "iom"


def test_a_single_item_object_is_read() -> None:
    rec, diagnostics = read_one('{"id": "a", "type": "book", "title": "T", "language": "en",'
                                ' "issued": "2001"}')
    assert (rec.id, rec.type, diagnostics) == ("a", "book", [])


# --------------------------------------------------------------------------- broken inputs

@pytest.mark.parametrize("case", invalid_cases("csljson"))
def test_invalid_input(case: str) -> None:
    assert_invalid_input_diagnostics(case, "csljson", "input.json")


def test_invalid_inputs_keep_what_they_could_not_map() -> None:
    def read_case(case: str) -> iombib.Imported:
        text = invalid_input(case, "input.json")
        return iombib.read(text, "csljson", organizations=ORGANIZATIONS)

    rec = read_case("csljson-bad-values").records[0]
    assert rec.notes[:2] == ['author: {"family": "Doe"}', 'editor: {"given": true}']
    assert "custom.price: cheap" in rec.notes and rec.price is None
    assert rec.provenance.incomplete == ["issued", "languages"]
    assert [r.id for r in read_case("csljson-malformed").records] == ["first"]
    assert [r.id for r in read_case("csljson-not-objects").records] == ["kept"]
    assert read_case("csljson-unknown-variables").records[0].notes[-1] == \
        "custom.zotero-key: ABCD1234"
    assert read_case("csljson-duplicate-key").records[0].title == "Duplicate Key"


@pytest.mark.parametrize("text", ["", "[", "[{}", "[1,]", "{\"id\": }", "[{\"a\": 1} {}]",
                                  "[] []", "null", "\ufeff[]"])
def test_hostile_json_gives_diagnostics_not_tracebacks(text: str) -> None:
    imported = iombib.read(text, "csljson")
    assert all(d.location and d.location.line for d in imported.diagnostics)
    assert bool(imported.diagnostics) == (text != "\ufeff[]")


# --------------------------------------------------------------------------- golden files

@pytest.mark.parametrize(("case", "language"), GOLDEN_CASES)
def test_golden(case: str, language: str | None, catalogue: iombib.Catalogue) -> None:
    """Compared byte for byte; IOMBIB_REGENERATE=1 rewrites them (and examples/csljson). What
    was checked by reading them: tests/golden/README.csljson.md."""
    assert_golden(golden_text(catalogue, "csljson", case, language), case, language,
                  "csljson", "json")


# --------------------------------------------------------------------------- round trips

def test_every_catalogue_record_survives(catalogue: iombib.Catalogue) -> None:
    text = iombib.export(catalogue, "csljson", organizations=catalogue.organizations)
    imported = iombib.read(text, "csljson", organizations=catalogue.organizations)
    assert [d.format() for d in imported.diagnostics] == []
    assert [comparable(r) for r in imported.records] == [comparable(r) for r in catalogue]
    assert csljson.LOSSES.keys() == {"provenance"}


def test_the_french_edition_reads_back_to_a_record_that_writes_the_same(
        catalogue: iombib.Catalogue) -> None:
    for rec in catalogue:
        text = iombib.export([rec], "csljson", organizations=catalogue.organizations,
                             language="fr")
        imported = iombib.read(text, "csljson", organizations=catalogue.organizations)
        assert imported.diagnostics == [], rec.id
        again = iombib.export(imported.records, "csljson",
                              organizations=catalogue.organizations)
        assert again == text, rec.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records())
def test_generated_records_survive(rec: Record) -> None:
    text = iombib.export([rec], "csljson", organizations=ORGANIZATIONS)
    found, diagnostics = read_one(text)
    assert [d.format() for d in diagnostics] == []
    assert comparable(found) == comparable(rec)


# --------------------------------------------------------------------------- consumers

def _catalogue_items(catalogue: iombib.Catalogue, language: str | None = None) -> list[dict]:
    return items_of(iombib.export(catalogue, "csljson", organizations=catalogue.organizations,
                                  language=language))


@pytest.mark.parametrize("language", [None, "fr"])
def test_output_is_valid_against_the_csl_data_schema(catalogue: iombib.Catalogue,
                                                     language: str | None) -> None:
    try:
        import jsonschema
    except ImportError:
        missing("jsonschema is not installed (pip install jsonschema)")
    if not SCHEMA.is_file():
        missing(f"the CSL-JSON schema is not at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    data = _catalogue_items(catalogue, language)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []
    # The schema would let anything through if it were empty: check that it bites.
    assert list(validator.iter_errors([{"id": "x", "type": "no-such-type"}]))


def test_citeproc_js_renders_every_record_with_apa(catalogue: iombib.Catalogue) -> None:
    items = _catalogue_items(catalogue)
    result = citeproc_js_render(items, csl_style_path("apa").read_text(encoding="utf-8"),
                                csl_locale_path("en-US").read_text(encoding="utf-8"))
    assert (result["returncode"], result["errors"], result["warnings"]) == (0, [], [])
    assert len(result["bibliography"]) == len(items)
    by_id = {ids[0]: entry for ids, entry in zip(result["entry_ids"], result["bibliography"],
                                                 strict=True)}
    for rec, csl in zip(catalogue, items, strict=True):
        entry = by_id[rec.id]
        assert csl["title"] in entry, rec.id
        for creator in rec.creators:
            if creator.org and creator.role in ("author", "editor"):
                name = resolve(rec, catalogue.organizations).org_name(creator.org)
                assert name in entry, (rec.id, name)
    wmr = by_id["world-migration-report-2015"]
    # APA: the corporate author whole, the year (with a letter among the 2015 IOM reports), the
    # title with its subtitle, the series in parentheses, the publisher, the URL.
    assert re.fullmatch(r"International Organization for Migration\. \(2015[a-z]\)\. World "
                        r"Migration Report 2015: Migrants and Cities: New Partnerships to Manage "
                        r"Mobility \(World Migration Report\)\. International Organization for "
                        r"Migration\. http://publications\.iom\.int/books/\S+", wmr), wmr


def test_citeproc_py_loads_every_item(catalogue: iombib.Catalogue) -> None:
    try:
        from citeproc import (
            Citation,
            CitationItem,
            CitationStylesBibliography,
            CitationStylesStyle,
            formatter,
        )
        from citeproc.source.json import CiteProcJSON
    except ImportError:
        missing("citeproc-py is not installed (pip install citeproc-py)")
    items = _catalogue_items(catalogue) + _catalogue_items(catalogue, "fr")
    for index, entry in enumerate(items):
        entry["id"] = f"{index}-{entry['id']}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = CiteProcJSON(items)
    # citeproc-py (CSL 1.0.1) only warns that it ignores what it does not know.
    ignored = {name.strip() for w in caught
               for name in str(w.message).split("unsupported: ")[1].split(",")}
    assert ignored <= {"custom", "part", "organizer"}, ignored
    assert [str(key) for key in source] == [entry["id"] for entry in items]
    style = CitationStylesStyle(str(csl_style_path("apa")), validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for entry in items:
        bibliography.register(Citation([CitationItem(entry["id"])]))
    # citeproc-py cannot render literal (corporate) names (name.parts() of a String), so the
    # rendering is citeproc-js's test; here every item must be loaded and registered.
    assert [str(key) for key in bibliography.keys] == [entry["id"] for entry in items]


def test_an_item_without_custom_is_the_item_less_its_custom_block(
        catalogue: iombib.Catalogue) -> None:
    """``custom=False`` (what `cite` asks for) leaves out only the custom block, in every
    language edition of the catalogue."""
    kept = 0
    for rec in catalogue.records:
        for language in [None, *(e.language for e in rec.editions)]:
            rendition = resolve(rec, catalogue.organizations, language)
            whole = csljson.to_csl(rendition)
            kept += "custom" in whole
            whole.pop("custom", None)
            assert csljson.to_csl(rendition, custom=False) == whole
    assert kept, "no item of the catalogue has a custom block"
