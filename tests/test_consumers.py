"""Smoke tests of tests/consumers.py: each external consumer, fed tiny hand-written input."""

from __future__ import annotations

import re

import pytest
from consumers import (
    bib_keys,
    biber_validate,
    citeproc_js_render,
    csl_locale_path,
    csl_style_path,
    require_tool,
    run_biblatex,
    run_latex_bibtex,
    yaz_roundtrip,
)
from lxml import etree

BIBTEX = r"""@techreport{wmr2000,
  author      = {{International Organization for Migration}},
  title       = {World Migration Report 2000},
  institution = {International Organization for Migration},
  address     = {Gen{\`e}ve},
  year        = {2000},
}
"""

BIBLATEX = r"""@report{wmr2000,
  author      = {{International Organization for Migration}},
  title       = {World Migration Report 2000},
  institution = {International Organization for Migration},
  location    = {Genève},
  date        = {2000},
  type        = {report},
}
"""

MARC = "{http://www.loc.gov/MARC21/slim}"
MARCXML = """<?xml version="1.0" encoding="UTF-8"?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
  <record>
    <leader>00000nam a2200000 i 4500</leader>
    <controlfield tag="001">wmr-2000</controlfield>
    <controlfield tag="008">000101s2000    sz            000 0 eng d</controlfield>
    <datafield tag="110" ind1="2" ind2=" ">
      <subfield code="a">International Organization for Migration.</subfield>
    </datafield>
    <datafield tag="245" ind1="1" ind2="0">
      <subfield code="a">World migration report 2000 /</subfield>
      <subfield code="c">Organisation internationale pour les migrations, Genève.</subfield>
    </datafield>
  </record>
</collection>
"""

CSL_ITEM = {
    "id": "wmr2000",
    "type": "report",
    "title": "World Migration Report 2000",
    "author": [{"literal": "International Organization for Migration"}],
    "publisher": "International Organization for Migration",
    "publisher-place": "Geneva",
    "issued": {"date-parts": [[2000]]},
}


# --------------------------------------------------------------------------- skip or fail


def test_require_tool_returns_absolute_path():
    path = require_tool("python3")
    assert path.startswith("/") and path.endswith("python3")


@pytest.mark.parametrize(("env", "outcome"), [("", pytest.skip.Exception),
                                              ("1", pytest.fail.Exception)])
def test_require_tool_missing_skips_or_fails(monkeypatch, env, outcome):
    monkeypatch.setenv("IOMBIB_REQUIRE_TOOLS", env)
    with pytest.raises(outcome, match="no-such-tool-xyz not installed"):
        require_tool("no-such-tool-xyz")


def test_missing_style_skips_or_fails(monkeypatch):
    monkeypatch.setenv("IOMBIB_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="no-such-style"):
        csl_style_path("no-such-style")


def test_bib_keys():
    assert bib_keys('@string{iom = "IOM"}\n' + BIBTEX + "@book{b2,\n}") == ["wmr2000", "b2"]


# --------------------------------------------------------------------------- BibTeX


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_bibtex_clean_entry_compiles_without_warnings(tmp_path, style):
    result = run_latex_bibtex(None, BIBTEX, tmp_path, style)
    assert result.returncodes == {"pdflatex-1": 0, "bibtex": 0, "pdflatex-2": 0, "pdflatex-3": 0}
    assert f"The style file: {style}.bst" in result.blg
    assert result.ok, result.summary()
    assert result.warnings == [] and result.undefined_citations == []
    assert "\\newblock World migration report 2000." in result.bbl  # title lower-cased by the .bst
    assert "Gen{\\`e}ve" in result.bbl
    if style == "plainnat":
        assert "\\bibitem[{International Organization for Migration}(2000)]{wmr2000}" in result.bbl
    else:
        assert "\\bibitem{wmr2000}" in result.bbl
    assert result.pdf is not None and result.pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_bibtex_warnings_and_undefined_citations_are_reported(tmp_path, style):
    bib = BIBTEX + "@book{notitle,\n  author = {Doe, Jane},\n  year = {2000},\n}\n"
    natbib = "\\usepackage{natbib}\n" if style == "plainnat" else ""
    tex = ("\\documentclass{article}\n" + natbib + "\\begin{document}\n"
           "\\cite{wmr2000} \\cite{notitle} \\cite{missing}\n\\bibliography{refs}\n"
           "\\end{document}\n")
    result = run_latex_bibtex(tex, bib, tmp_path, style)
    assert not result.ok
    assert "empty title in notitle" in result.bib_warnings
    assert 'I didn\'t find a database entry for "missing"' in result.bib_warnings
    assert result.undefined_citations == ["missing"]
    assert any("There were undefined" in w for w in result.latex_warnings)


def test_bibtex_syntax_error_is_reported(tmp_path):
    result = run_latex_bibtex(None, BIBTEX + "@book{broken,\n  title = {T\n", tmp_path)
    assert result.bib_errors, result.blg
    assert not result.ok


# --------------------------------------------------------------------------- biblatex / Biber


def test_biblatex_clean_entry_compiles_without_warnings(tmp_path):
    result = run_biblatex(None, BIBLATEX, tmp_path)
    assert result.returncodes == {"pdflatex-1": 0, "biber": 0, "pdflatex-2": 0, "pdflatex-3": 0}
    assert result.ok, result.summary()
    assert "\\entry{wmr2000}{report}{}" in result.bbl
    assert "{World Migration Report 2000}" in result.bbl


def test_biblatex_reports_datamodel_problems_and_undefined_citations(tmp_path):
    bib = BIBLATEX + "@book{notitle, author = {Doe, Jane}, date = {2000}, foofield = {x}}\n"
    tex = ("\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
           "\\addbibresource{refs.bib}\n\\begin{document}\n"
           "\\cite{wmr2000} \\cite{notitle} \\cite{missing}\n\\printbibliography\n"
           "\\end{document}\n")
    result = run_biblatex(tex, bib, tmp_path)
    warnings = "\n".join(result.bib_warnings)
    assert "Field 'foofield' invalid in data model" in warnings
    assert "Entry 'notitle' (refs.bib): Missing mandatory field 'title'" in warnings
    assert "I didn't find a database entry for 'missing'" in warnings
    assert result.undefined_citations == ["missing"]


def test_biber_validate_clean_file(tmp_path):
    path = tmp_path / "ok.bib"
    path.write_text(BIBLATEX, encoding="utf-8")
    result = biber_validate(path)
    assert result == (0, [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.bib"]  # no output next to it


def test_biber_validate_reports_unknown_type_and_field(tmp_path):
    path = tmp_path / "bad.bib"
    path.write_text(BIBLATEX + "@bogustype{x1, author = {Doe, Jane}, title = {T}, date = {2000}}\n"
                    "@book{x2, author = {Doe, Jane}, title = {T}, date = {2000}, foofield = {z}}\n",
                    encoding="utf-8")
    returncode, messages = biber_validate(path)
    assert returncode == 0
    assert "WARN - Datamodel: Entry 'x1' (bad.bib): Invalid entry type 'bogustype'" \
        " - defaulting to 'misc'" in [m.replace(str(tmp_path) + "/", "") for m in messages]
    assert any("Entry 'x2'" in w and "Field 'foofield' invalid" in w
               for w in biber_validate(path).warnings)
    assert not any("wmr2000" in m for m in messages)


def test_biber_validate_reports_syntax_error(tmp_path):
    path = tmp_path / "broken.bib"
    path.write_text(BIBLATEX + "@book{x3,\n  title = {T\n", encoding="utf-8")
    result = biber_validate(path)
    assert result.returncode == 2
    assert any("syntax error" in e for e in result.errors), result.messages


# --------------------------------------------------------------------------- yaz


def test_yaz_roundtrip_of_a_minimal_record(tmp_path):
    path = tmp_path / "record.xml"
    path.write_text(MARCXML, encoding="utf-8")
    result = yaz_roundtrip(path)
    assert result.returncode == 0, result.stderr
    assert result.records == 1
    assert re.fullmatch(r"(records read: 1\n){2}", result.stderr)
    iso = result.iso2709
    assert int(iso[:5]) == len(iso)  # leader/00-04: record length
    assert iso[9:10] == b"a"  # leader/09: UCS/Unicode
    assert "Genève".encode() in iso
    back = etree.fromstring(result.marcxml.encode("utf-8"))
    leader = back.findtext(f"{MARC}record/{MARC}leader")
    assert leader == iso[:24].decode("ascii")
    assert leader[5:12] == "nam a22" and leader[17:] == " i 4500"
    assert int(leader[12:17]) == 24 + 4 * 12 + 1  # base address: leader + 4 directory entries + FT
    assert back.findtext(f"{MARC}record/{MARC}controlfield[@tag='001']") == "wmr-2000"
    assert back.findtext(f"{MARC}record/{MARC}datafield[@tag='245']/{MARC}subfield[@code='c']") \
        == "Organisation internationale pour les migrations, Genève."


def test_yaz_roundtrip_of_malformed_xml_yields_no_record(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(MARCXML.replace("</record>", ""), encoding="utf-8")
    result = yaz_roundtrip(path)
    assert result.records == 0 and result.iso2709 == b""


# --------------------------------------------------------------------------- citeproc-js


def _apa():
    return (csl_style_path("apa").read_text(encoding="utf-8"),
            csl_locale_path("en-US").read_text(encoding="utf-8"))


def test_csl_paths_come_from_installed_packages():
    assert csl_style_path("apa").name == "apa.csl"
    assert "site-packages" in str(csl_style_path("apa")) or "dist-packages" in str(
        csl_style_path("apa"))
    assert csl_locale_path("fr-FR").name == "locales-fr-FR.xml"


def test_citeproc_js_renders_one_item_in_apa():
    style, locale = _apa()
    result = citeproc_js_render([CSL_ITEM], style, locale, citations=[[{"id": "wmr2000"}]])
    assert result["returncode"] == 0, result
    assert result["errors"] == [] and result["warnings"] == []
    assert result["bibliography"] == [
        "International Organization for Migration. (2000). World Migration Report 2000."
        " International Organization for Migration."
    ]
    assert result["entry_ids"] == [["wmr2000"]]
    assert result["citations"] == ["(International Organization for Migration, 2000)"]


def test_citeproc_js_html_output():
    style, locale = _apa()
    result = citeproc_js_render([CSL_ITEM], style, locale, "html")
    assert result["bibliography"][0].startswith('<div class="csl-entry">')
    assert "<i>World Migration Report 2000</i>" in result["bibliography"][0]


def test_citeproc_js_reports_a_broken_style():
    _, locale = _apa()
    result = citeproc_js_render([CSL_ITEM], "<style>not csl", locale)
    assert result["returncode"] == 1
    assert result["errors"] and result["bibliography"] == []
