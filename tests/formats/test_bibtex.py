"""BibTeX and BibLaTeX: entry types, names, escaping, keys, notes, reading other tools' files,
broken inputs, golden files, round trips, and the real consumers (bibtexparser, pybtex,
bibtex with plain and plainnat, biber's data model and a biblatex build)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bibtexparser
import pytest
from casebook import (
    GOLDEN_CASES,
    assert_golden,
    assert_invalid_input_diagnostics,
    golden_text,
    invalid_cases,
    invalid_input,
)
from consumers import biber_validate, missing, run_biblatex, run_latex_bibtex
from hypothesis import HealthCheck, given, settings
from strategies import ORGANIZATIONS, records

import iombib
from iombib import fields
from iombib.formats import ExportOptions, biblatex, bibtex
from iombib.model import Creator, Edition, Isbn, Provenance, Record, Series, Url

DIALECTS = ["bibtex", "biblatex"]
EXTENSION = {"bibtex": "bib", "biblatex": "biblatex.bib"}


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


def record(**values: Any) -> Record:
    base: dict[str, Any] = {"id": "x", "type": "report", "title": "Title", "issued": "2015",
                            "languages": ["en"], "creators": [Creator(org="iom")],
                            "provenance": Provenance(sources=["s"])}
    return Record(**{**base, **values})


def entry(rec: Record, name: str = "bibtex", **options: Any) -> tuple[str, dict[str, str]]:
    """The entry type and fields (as written, unparsed) of one record."""
    text = iombib.export([rec], name, organizations=ORGANIZATIONS, **options)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, text
    (parsed,) = library.entries
    return parsed.entry_type, {f.key: f.value for f in parsed.fields}


def read_one(text: str, name: str = "bibtex") -> tuple[Record, list]:
    imported = iombib.read(text, name, organizations=ORGANIZATIONS, source="in.bib")
    assert len(imported.records) == 1
    return imported.records[0], imported.diagnostics


def comparable(rec: Record) -> dict[str, Any]:
    """As tests/test_roundtrip.py compares: no provenance, no field listed in LOSSES."""
    data = fields.dump(rec)
    data.pop("provenance", None)
    for path in bibtex.LOSSES:
        head, _, rest = path.partition(".")
        if not rest:
            data.pop(head, None)
            continue
        value = data.get(head)
        for item in value if isinstance(value, list) else []:
            item.pop(rest, None)
    return data


def back(rec: Record, name: str = "bibtex", **options: Any) -> Record:
    text = iombib.export([rec], name, organizations=ORGANIZATIONS, **options)
    found, diagnostics = read_one(text, name)
    assert [d.format() for d in diagnostics] == [], text
    return found


# --------------------------------------------------------------------------- entry types

@pytest.mark.parametrize(("record_type", "classic", "latex"), [
    ("book", "book", "book"), ("report", "techreport", "report"),
    ("brief", "techreport", "report"), ("fact-sheet", "techreport", "report"),
    ("working-paper", "techreport", "report"), ("conference-report", "proceedings", "proceedings"),
    ("manual", "manual", "manual"), ("brochure", "booklet", "booklet")])
def test_each_record_type_has_its_entry_type_and_comes_back(record_type: str, classic: str,
                                                            latex: str) -> None:
    # biblatex's @proceedings has no author: a conference report with authors is a @book there.
    creators = [Creator(org="iom", role="organizer")] if record_type == "conference-report" \
        else [Creator(org="iom")]
    rec = record(type=record_type, creators=creators)
    assert entry(rec, "bibtex")[0] == classic
    assert entry(rec, "biblatex")[0] == latex
    assert back(rec, "bibtex").type == record_type
    assert back(rec, "biblatex").type == record_type


def test_an_authored_conference_report_is_a_biblatex_book() -> None:
    rec = record(type="conference-report")
    assert entry(rec, "biblatex")[0] == "book"
    assert entry(rec, "biblatex")[1]["entrysubtype"] == "conference-report"


def test_report_types_print_their_type_word_instead_of_technical_report() -> None:
    assert entry(record(type="working-paper"))[1]["type"] == "Working paper"
    assert entry(record(type="report"), "biblatex")[1]["type"] == "Report"


def test_chapter_and_article_carry_their_container() -> None:
    chapter = record(type="chapter", container_title="Ideas", page_range="12-34",
                     creators=[Creator(family="Doe", given="Jane"),
                               Creator(family="Roe", given="Rob", role="editor")])
    kind, found = entry(chapter)
    assert (kind, found["booktitle"], found["pages"]) == ("incollection", "Ideas", "12--34")
    assert entry(chapter, "biblatex")[0] == "incollection"
    article = record(type="article", container_title="Migration Policy Practice",
                     creators=[Creator(family="Doe", given="Jane")])
    assert entry(article)[1]["journal"] == "Migration {Policy} {Practice}"
    assert entry(article, "biblatex")[1]["journaltitle"] == "Migration {Policy} {Practice}"
    assert back(chapter).page_range == "12-34"


def test_a_report_with_isbn_and_series_is_a_biblatex_book_with_entrysubtype() -> None:
    # biblatex's @report has no isbn or series field (biber --validate-datamodel says so).
    rec = record(isbn=[Isbn(value="978-92-9068-709-2")], series=Series(title="WMR"))
    kind, found = entry(rec, "biblatex")
    assert (kind, found["entrysubtype"], found["isbn"]) == ("book", "report", "978-92-9068-709-2")
    assert "type" not in found
    assert entry(rec, "bibtex")[0] == "techreport"


def test_plain_bst_conflicts_fall_back_to_misc_with_a_sort_key() -> None:
    # plain.bst warns on a @book with both volume and number, and sorts by key without author.
    rec = record(type="serial-issue", creators=[Creator(family="McAuliffe", given="Marie",
                                                        role="editor")],
                 series=Series(title="Migration Policy Practice", volume="VI", number="3"))
    kind, found = entry(rec)
    assert (kind, found["entrysubtype"], found["key"]) == ("misc", "serial-issue", "McAuliffe")
    assert back(rec).series == rec.series


def test_biblatex_fields_outside_the_data_model_go_to_note_and_come_back() -> None:
    rec = record(type="serial-issue", creators=[Creator(family="Doe", given="Jane",
                                                        role="editor")],
                 series=Series(title="MPP", issn="2223-5248", volume="VI", number="2",
                               issue="April–May 2016"))
    kind, found = entry(rec, "biblatex")
    assert kind == "periodical"
    assert found["issn"] == "2223-5248" and found["issue"] == "April–May 2016"
    assert "Volume: VI" in found["note"]  # biblatex's volume is an integer
    assert "Publisher: International Organization for Migration" in found["note"]
    assert back(rec, "biblatex").series == rec.series


# --------------------------------------------------------------------------- names

def test_corporate_authors_are_double_braced_with_their_subdivision() -> None:
    rec = record(creators=[Creator(org="iom", subdivision="Global Migration Data Analysis "
                                                         "Centre")])
    assert entry(rec)[1]["author"] == ("{International Organization for Migration. Global "
                                       "Migration Data Analysis Centre}")
    assert back(rec).creators == rec.creators


def test_corporate_names_in_the_edition_language_read_back_to_the_key() -> None:
    rec = record(editions=[Edition(language="fr", title="Rapport")])
    assert entry(rec, language="fr")[1]["author"] == \
        "{Organisation internationale pour les migrations}"
    assert back(rec, language="fr").creators == [Creator(org="iom")]


@pytest.mark.parametrize(("creator", "written"), [
    (Creator(family="Berg", given="Jan", particle="van der", suffix="Jr."),
     "van der Berg, Jr., Jan"),
    (Creator(family="Müller", given="Ana María"), "Müller, Ana María"),
    (Creator(family="de Souza", given="Ana"), "{de Souza}, Ana"),
    (Creator(family="Berg", particle="von"), "von Berg"),
    (Creator(family="de Souza"), "{de Souza},"),
    (Creator(family="Zimmerman", given="C."), "Zimmerman, C."),
])
def test_person_names_are_von_last_jr_first_and_read_back(creator: Creator, written: str) -> None:
    rec = record(creators=[creator])
    assert entry(rec)[1]["author"] == written
    assert back(rec).creators == [creator]
    assert back(rec, ascii=True).creators == [creator]


def test_bibtex_first_von_last_form_of_other_tools_is_read() -> None:
    text = "@book{k, author = {Jan van der Berg and Ana Maria Buller}, title = {T}, year = 2001}"
    rec, _ = read_one(text)
    assert rec.creators == [Creator(family="Berg", given="Jan", particle="van der"),
                            Creator(family="Buller", given="Ana Maria")]


def test_roles_have_their_biblatex_fields_and_interleaving_is_kept() -> None:
    rec = record(creators=[Creator(org="iom", role="organizer"),
                           Creator(family="Doe", given="Jane"),
                           Creator(family="Roe", given="Rob", role="editor",
                                   role_label="Conveners"),
                           Creator(family="Poe", given="Ed", role="translator"),
                           Creator(family="Loe", given="Al", role="contributor",
                                   role_label="Updated by"),
                           Creator(org="iom", role="funder")])
    found = entry(rec, "biblatex")[1]
    assert (found["editortype"], found["translator"]) == ("Conveners", "Poe, Ed")
    assert [found[f"editor{x}type"] for x in "abc"] == ["organizer", "Updated by", "funder"]
    assert found["usera"] == "editora author editor translator editorb editorc"
    assert back(rec, "biblatex").creators == rec.creators
    assert back(rec, "bibtex").creators == rec.creators


# --------------------------------------------------------------------------- text

def test_special_characters_are_escaped_and_braces_stay_balanced() -> None:
    text = r"R&D 100% $5 #1 a_b {x} ~ ^ \ "
    escaped = bibtex.escape(text)
    assert escaped == (r"R\&D 100\% \$5 \#1 a\_b \textbraceleft{}x\textbraceright{} "
                       r"\textasciitilde{} \textasciicircum{} \textbackslash{} ")
    assert bibtex.decode(escaped) == text


def test_ligatures_of_the_text_are_kept_apart() -> None:
    assert bibtex.escape("a--b ''q'' <<g>> ,,") == "a-{}-b '{}'q'{}' <{}<g>{}> ,{},"
    assert bibtex.decode("a-{}-b -- --- ``q''") == "a--b – — “q”"


@pytest.mark.parametrize(("text", "ascii"), [
    ("État", r"{\'E}tat"), ("ça", r"{\c{c}}a"), ("niño", r"ni{\~n}o"), ("über", r'{\"u}ber'),
    ("Ísland", r"{\'I}sland"), ("naïve", r'na{\"\i}ve'), ("Straße", r"Stra{\ss}e"),
    ("2009–2010", "2009--2010"), ("a — b", "a --- b"), ("“q”", "``q''"),
    ("it’s", r"it\textquoteright{}s"), ("«x»", r"\guillemotleft{}x\guillemotright{}"),
    ("a\u00a0b", "a~b"), ("…", r"\ldots{}")])
def test_ascii_output_is_latex_encoded_and_decodes_back(text: str, ascii: str) -> None:
    assert bibtex.escape(text, ascii=True) == ascii
    assert bibtex.decode(ascii) == text


def test_titles_protect_capitalised_words_but_not_the_first() -> None:
    rec = record(title="World Migration Report 2015", subtitle="IOM and the Mediterranean")
    found = entry(rec, "biblatex")[1]
    assert found["title"] == "World {Migration} {Report} 2015"
    assert found["subtitle"] == "{IOM} and the {Mediterranean}"
    assert entry(record(title="UNHCR, IOM: a survey"))[1]["title"] == "{UNHCR}, {IOM}: a survey"
    # Classic styles print no subtitle: the title carries it, and it is read back apart.
    assert entry(rec)[1]["title"] == ("World {Migration} {Report} 2015: {IOM} and the "
                                      "{Mediterranean}")
    assert (back(rec).title, back(rec).subtitle) == (rec.title, rec.subtitle)


def test_urls_are_raw_except_what_breaks_classic_bibtex() -> None:
    rec = record(urls=[Url(url="https://x.org/a_b~c%20d#e")])
    assert entry(rec, "biblatex")[1]["url"] == "https://x.org/a_b~c%20d#e"
    assert entry(rec, "bibtex")[1]["url"] == r"https://x.org/a_b~c\%20d\#e"
    assert back(rec).urls == rec.urls and back(rec, "biblatex").urls == rec.urls
    doi = record(doi="10.1000/a_b%c#d")
    assert entry(doi, "bibtex")[1]["doi"] == r"10.1000/a\_b\%c\#d"  # plainnat prints it as text
    assert entry(doi, "biblatex")[1]["doi"] == "10.1000/a_b%c#d"
    assert back(doi).doi == doi.doi == back(doi, "biblatex").doi


def test_abstract_paragraphs_and_keywords_with_commas_come_back() -> None:
    rec = record(abstract="First & one.\n\nSecond 50%.", keywords=["migration, labour", "IOM"])
    assert entry(rec)[1]["keywords"] == "{migration, labour}, IOM"
    found = back(rec)
    assert (found.abstract, found.keywords) == (rec.abstract, rec.keywords)


# --------------------------------------------------------------------------- dates, ISBNs

@pytest.mark.parametrize(("issued", "classic", "latex"), [
    ("2015", {"year": "2015"}, {"date": "2015"}),
    ("2016-08", {"year": "2016", "month": "aug", "date": "2016-08"}, {"date": "2016-08"}),
    ("2016-08-15", {"year": "2016", "month": "aug", "date": "2016-08-15"},
     {"date": "2016-08-15"}),
    ("2009/2010", {"year": "2009--2010", "date": "2009/2010"}, {"date": "2009/2010"}),
    (None, {"year": "n.d."}, {"date": "XXXX"})])
def test_dates_and_ranges(issued: str | None, classic: dict, latex: dict) -> None:
    rec = record(issued=issued, provenance=Provenance(sources=["s"], incomplete=["issued"]))
    found = entry(rec)[1]
    assert {k: found[k] for k in ("year", "month", "date") if k in found} == classic
    assert {k: v for k, v in entry(rec, "biblatex")[1].items() if k in ("date", "year")} == latex
    assert back(rec).issued == issued and back(rec, "biblatex").issued == issued


def test_one_isbn_in_isbn_all_of_them_and_other_editions_in_note() -> None:
    rec = record(isbn=[Isbn(value="978-92-9068-709-2", medium="electronic"),
                       Isbn(value="978-92-9068-710-8", note="softcover")],
                 editions=[Edition(language="fr", isbn=[Isbn(value="978-92-9068-711-5")]),
                           Edition(language="es", title="Informe")])
    found = entry(rec)[1]
    assert found["isbn"] == "978-92-9068-710-8"  # this edition's print ISBN
    assert found["note"].split("\n\n") == [
        "ISBN 978-92-9068-709-2 (electronic); ISBN 978-92-9068-710-8 (print, softcover)",
        "French edition: ISBN 978-92-9068-711-5 (print)", "Spanish edition"]
    again = back(rec)
    assert (again.isbn, [(e.language, e.isbn) for e in again.editions]) == (
        rec.isbn, [("fr", rec.editions[0].isbn), ("es", [])])


def test_the_french_edition_keeps_the_primary_isbn_in_note() -> None:
    rec = record(isbn=[Isbn(value="978-92-9068-709-2")],
                 editions=[Edition(language="fr", isbn=[Isbn(value="978-92-9068-710-8")])])
    found = entry(rec, language="fr")[1]
    assert (found["isbn"], found["langid"]) == ("978-92-9068-710-8", "french")
    assert found["note"] == "English edition: ISBN 978-92-9068-709-2 (print)"


def test_notes_stay_notes_and_incomplete_fields_are_declared() -> None:
    rec = record(notes=["Cover text: “No: 01/2009”.", "Disclaimer: views of the authors."],
                 languages=[], provenance=Provenance(sources=["s"], incomplete=["languages"]))
    found = back(rec)
    assert found.notes == rec.notes
    assert found.provenance is not None and found.provenance.incomplete == ["languages"]


# --------------------------------------------------------------------------- keys

def test_citation_keys_are_readable_stable_and_unique_in_record_id_order() -> None:
    def rec(record_id: str, title: str) -> Record:
        return record(id=record_id, title=title)
    recs = [rec("b-second", "The World Report"), rec("a-first", "World Report"),
            rec("c", "État de la migration"),
            record(id="d", title="Labour", creators=[Creator(family="Müller", given="A.")])]
    writer = bibtex.Writer(recs, ExportOptions(organizations=ORGANIZATIONS))
    assert writer.keys == {"a-first": "iom2015worlda", "b-second": "iom2015worldb",
                           "c": "iom2015etat", "d": "muller2015labour"}
    assert bibtex.Writer(list(reversed(recs)), ExportOptions(organizations=ORGANIZATIONS)
                         ).keys == writer.keys


def test_the_record_id_is_kept_in_ids_and_restored(catalogue: iombib.Catalogue) -> None:
    text = iombib.export(catalogue, "biblatex")
    imported = iombib.read(text, "biblatex", organizations=catalogue.organizations)
    assert [r.id for r in imported.records] == [r.id for r in catalogue]
    keys = [e.key for e in bibtexparser.parse_string(text).entries]
    assert len(set(keys)) == len(keys) == len(catalogue.records)


def test_output_is_deterministic(catalogue: iombib.Catalogue) -> None:
    for name in DIALECTS:
        assert iombib.export(catalogue, name) == iombib.export(catalogue, name)


# --------------------------------------------------------------------------- reading

def test_reads_jabref_style_bibtex_with_macros_and_latex() -> None:
    text = """@string{iom = "International Organization for Migration"}
@TechReport{smith2010,
  author    = {Smith, John and {IOM}},
  title     = {{M}igration in the {Caf\\'e}},
  institution = iom,
  address   = {Gen{\\`e}ve},
  year      = 2010,
  month     = mar,
  language  = {French},
  number    = {17},
  series    = {Migration Research Series},
}"""
    rec, diagnostics = read_one(text)
    assert diagnostics == []
    assert (rec.title, rec.place, rec.issued, rec.languages) == (
        "Migration in the Café", "Genève", "2010-03", ["fr"])
    assert rec.creators == [Creator(family="Smith", given="John"), Creator(org="iom")]
    assert rec.series == Series(title="Migration Research Series", number="17")


@pytest.mark.parametrize("case", invalid_cases("bibtex"))
def test_invalid_input(case: str) -> None:
    assert_invalid_input_diagnostics(case, "bibtex", "input.bib")


def test_invalid_inputs_keep_what_they_could_not_map() -> None:
    text = invalid_input("bibtex-unknown-fields", "input.bib")
    rec, _ = read_one(text)
    assert rec.notes == ["type: Almanac", "owner: jane", "timestamp: 2020-01-31"]
    skipped = iombib.read(invalid_input("bibtex-malformed-entry", "input.bib"), "bibtex",
                          organizations=ORGANIZATIONS)
    assert [r.title for r in skipped.records] == ["Still Read"]


# --------------------------------------------------------------------------- golden files

@pytest.mark.parametrize(("case", "language"), GOLDEN_CASES)
@pytest.mark.parametrize("name", DIALECTS)
def test_golden(name: str, case: str, language: str | None, catalogue: iombib.Catalogue) -> None:
    """Compared byte for byte; IOMBIB_REGENERATE=1 rewrites them (and examples/). Checked by
    reading: corporate author double-braced, capitals protected, the French and Spanish ISBNs
    in note, the French export carrying the French ISBN, URL and corporate name."""
    assert_golden(golden_text(catalogue, name, case, language), case, language, name,
                  EXTENSION[name])


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", DIALECTS)
@pytest.mark.parametrize("ascii", [False, True])
def test_every_catalogue_record_survives(name: str, ascii: bool,
                                         catalogue: iombib.Catalogue) -> None:
    for rec in catalogue:
        text = iombib.export([rec], name, organizations=catalogue.organizations, ascii=ascii)
        imported = iombib.read(text, name, organizations=catalogue.organizations)
        assert [d.format() for d in imported.diagnostics] == [], rec.id
        assert comparable(imported.records[0]) == comparable(rec), rec.id


def test_losses_are_the_same_for_both_dialects() -> None:
    assert biblatex.LOSSES == bibtex.LOSSES


@pytest.mark.parametrize("name", DIALECTS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records())
def test_generated_records_survive(name: str, rec: Record) -> None:
    for ascii in (False, True):
        assert comparable(back(rec, name, ascii=ascii)) == comparable(rec)


# --------------------------------------------------------------------------- consumers

@pytest.fixture(scope="module")
def outputs(catalogue: iombib.Catalogue) -> dict[tuple[str, bool], str]:
    return {(name, ascii): iombib.export(catalogue, name, ascii=ascii)
            for name in DIALECTS for ascii in (False, True)}


def test_bibtexparser_and_pybtex_read_every_entry(outputs: dict, catalogue) -> None:
    try:
        from pybtex.database import parse_string
    except ImportError:
        missing("pybtex is not installed")
    for text in outputs.values():
        library = bibtexparser.parse_string(text)
        assert library.failed_blocks == [] and len(library.entries) == len(catalogue.records)
        assert len(parse_string(text, "bibtex").entries) == len(catalogue.records)


def test_ascii_output_is_ascii(outputs: dict) -> None:
    assert outputs[("bibtex", True)].isascii() and outputs[("biblatex", True)].isascii()


def _document(keys: list[str], style: str) -> str:
    natbib = "\\usepackage{natbib}\n" if style == "plainnat" else ""
    return ("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
            "\\usepackage{lmodern}\n\\usepackage{textcomp}\n\\usepackage{url}\n" + natbib
            + "\\begin{document}\n"
            + "".join(f"\\cite{{{key}}}\n" for key in keys)
            + f"\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n\\end{{document}}\n")


@pytest.mark.parametrize("style", ["plain", "plainnat"])
@pytest.mark.parametrize("ascii", [False, True])
def test_the_whole_catalogue_compiles_with_bibtex_without_warnings(
        style: str, ascii: bool, outputs: dict, tmp_path: Path) -> None:
    text = outputs[("bibtex", ascii)]
    keys = [e.key for e in bibtexparser.parse_string(text).entries]
    result = run_latex_bibtex(_document(keys, style), text, tmp_path, style)  # type: ignore
    assert all(rc in (0,) for rc in result.returncodes.values()), result.summary()
    assert result.bib_warnings == [] and result.bib_errors == [], result.summary()
    assert result.undefined_citations == []
    assert len(result.bbl.split("\\bibitem")) - 1 == len(keys)


@pytest.mark.parametrize("ascii", [False, True])
def test_biber_validates_the_biblatex_output(ascii: bool, outputs: dict, tmp_path: Path) -> None:
    path = tmp_path / "refs.biblatex.bib"
    path.write_text(outputs[("biblatex", ascii)], encoding="utf-8")
    result = biber_validate(path)
    assert (result.returncode, result.messages) == (0, [])


def test_a_biblatex_document_citing_every_entry_compiles(outputs: dict, tmp_path: Path) -> None:
    text = outputs[("biblatex", False)]
    keys = [e.key for e in bibtexparser.parse_string(text).entries]
    tex = ("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
           "\\usepackage[backend=biber,style=authoryear]{biblatex}\n"
           "\\addbibresource{refs.bib}\n\\begin{document}\n"
           + "".join(f"\\cite{{{key}}}\n" for key in keys)
           + "\\printbibliography\n\\end{document}\n")
    result = run_biblatex(tex, text, tmp_path)
    assert all(rc == 0 for rc in result.returncodes.values()), result.summary()
    assert result.bib_warnings == [] and result.bib_errors == [], result.summary()
    assert result.undefined_citations == []

