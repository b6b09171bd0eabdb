"""Given-name disambiguation (``disambiguate-add-givenname``) in iombib.citeproc_fixes, on
minimal styles: each case's expected citations and bibliography are citeproc-js's (compared
too when node and tests/js are there, required with IOMBIB_REQUIRE_TOOLS=1), and each fails
without :func:`iombib.citeproc_fixes.disambiguate_given_names` and ``expand_given_names``
(each case also shows a name left alone, where that is the point)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from consumers import (
    JS_DIR,
    citeproc_js_render,
    csl_locale_path,
    require_citeproc_js,
    tools_required,
)

from iombib import citeproc_fixes, styles

CSL = "http://purl.org/net/xbiblio/csl"


def style_xml(citation: str, bibliography: str, options: str, sort: str = "",
              macros: str = "") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<style xmlns="{CSL}" class="in-text" version="1.0">
  <info><title>Minimal</title><id>minimal</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  {macros}
  <citation {options}><layout prefix="(" suffix=")" delimiter="; ">{citation}</layout></citation>
  <bibliography>{sort}<layout>{bibliography}</layout></bibliography>
</style>
"""


def person(family: str, given: str) -> dict[str, str]:
    return {"family": family, "given": given}


def item(key: str, year: int, **names: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": key, "type": "report", "title": key.upper(),
            "issued": {"date-parts": [[year]]}, **names}


def rule(name: str, more: str = "") -> str:
    return f'disambiguate-add-givenname="true" givenname-disambiguation-rule="{name}" {more}'


YEAR = '<date variable="issued"><date-part name="year"/></date>'
SHORT = ('<group delimiter=" "><names variable="author"><name form="short" and="text"/></names>'
         f"{YEAR}</group>")
INITIALS = SHORT.replace('form="short"', 'form="short" initialize-with=". "')
SUFFIXED = INITIALS.replace("</date>", '</date><text variable="year-suffix" prefix=" "/>')
TITLE = '<text variable="title"/>'
BIB_INITIALS = '<names variable="author"><name initialize-with=". "/></names>'
EDITOR = ('<macro name="editor"><names variable="editor"/></macro><macro name="chapter-editor">'
          '<choose><if type="chapter"><names variable="editor"/></if></choose></macro>')

JOHN_JANE = [item("a", 2016, author=[person("Doe", "John")]),
             item("b", 2017, author=[person("Doe", "Jane")])]
JOHN_ALAN = [item("a", 2016, author=[person("Doe", "John")]),
             item("b", 2017, author=[person("Doe", "Alan")])]
SAME_YEAR = [item("a", 2017, author=[person("Doe", "John")]),
             item("b", 2017, author=[person("Doe", "Jane")]),
             item("c", 2017, author=[person("Doe", "Alan")]),
             item("d", 2016, author=[person("Doe", "Zed")])]
CO_AUTHORS = [item("a", 2017, author=[person("Doe", "John"), person("Roe", "Ann")]),
              item("b", 2017, author=[person("Doe", "John"), person("Roe", "Bob")])]
EDITED = [item("a", 2016, author=[person("Doe", "John")]),
          item("b", 2017, author=[person("Roe", "Ann")], editor=[person("Doe", "Jane")])]

CASES: dict[str, tuple[list[dict[str, Any]], str, str, str, str, str, list[str], list[str]]] = {
    # id: (items, citation, bibliography, options, sort, macros, citations, bibliography)
    "global, given names differ": (
        JOHN_JANE, INITIALS, BIB_INITIALS, rule("primary-name"), "", "",
        ["(John Doe 2016)", "(Jane Doe 2017)"], ["John Doe", "Jane Doe"]),
    "global, initials differ": (
        JOHN_ALAN, INITIALS, BIB_INITIALS, rule("all-names"), "", "",
        ["(J. Doe 2016)", "(A. Doe 2017)"], ["J. Doe", "A. Doe"]),
    "global, no initialize-with": (
        JOHN_ALAN, SHORT, BIB_INITIALS, rule("all-names"), "", "",
        ["(John Doe 2016)", "(Alan Doe 2017)"], ["J. Doe", "A. Doe"]),
    "with initials, given names differ": (
        [*JOHN_JANE, item("c", 2018, author=[person("Doe", "Alan")])], INITIALS, BIB_INITIALS,
        rule("primary-name-with-initials"), "", "",
        ["(J. Doe 2016)", "(J. Doe 2017)", "(A. Doe 2018)"], ["J. Doe", "J. Doe", "A. Doe"]),
    "with initials, no initialize-with": (
        JOHN_ALAN, SHORT, TITLE, rule("all-names-with-initials"), "", "",
        ["(J Doe 2016)", "(A Doe 2017)"], ["A", "B"]),
    "all names, second name": (
        [item("a", 2016, author=[person("Roe", "Ann"), person("Doe", "John")]),
         JOHN_JANE[1]], SHORT, TITLE, rule("all-names"), "", "",
        ["(Roe and John Doe 2016)", "(Jane Doe 2017)"], ["A", "B"]),
    "primary name, second name": (
        [item("a", 2016, author=[person("Roe", "Ann"), person("Doe", "John")]),
         JOHN_JANE[1], item("c", 2018, author=[person("Doe", "John")])], SHORT, TITLE,
        rule("primary-name"), "", "",
        ["(Roe and Doe 2016)", "(Jane Doe 2017)", "(John Doe 2018)"], ["A", "B", "C"]),
    "editor registered by a sort key": (
        EDITED, SHORT, TITLE, rule("primary-name"), '<sort><key macro="editor"/></sort>', EDITOR,
        ["(John Doe 2016)", "(Roe 2017)"], ["B", "A"]),
    "editor not rendered by a sort key": (
        [*EDITED, item("c", 2017, author=[person("Poe", "Al")], editor=[person("Roe", "Bob")])
         | {"type": "chapter"}], SHORT, TITLE, rule("primary-name"),
        '<sort><key macro="chapter-editor"/></sort>', EDITOR,
        ["(Doe 2016)", "(Ann Roe 2017)", "(Poe 2017)"], ["C", "A", "B"]),
    "editor not rendered": (
        [*EDITED, item("c", 2018, author=[person("Poe", "Al")]),
         item("d", 2019, author=[person("Poe", "Ed")])], SHORT,
        f'{TITLE}<names variable="editor" prefix=", "/>', rule("primary-name"), "", "",
        ["(Doe 2016)", "(Roe 2017)", "(Al Poe 2018)", "(Ed Poe 2019)"],
        ["A", "B, Jane Doe", "C", "D"]),
    "by-cite": (
        SAME_YEAR, SUFFIXED, BIB_INITIALS,
        rule("by-cite", 'disambiguate-add-names="true" disambiguate-add-year-suffix="true"'),
        "", "", ["(John Doe 2017)", "(Jane Doe 2017)", "(A. Doe 2017)", "(Doe 2016)"],
        ["John Doe", "Jane Doe", "A. Doe", "Z. Doe"]),
    "by-cite, a later name": (
        CO_AUTHORS, SUFFIXED, '<names variable="author"><name initialize-with=". "/></names>',
        rule("by-cite", 'disambiguate-add-names="true" disambiguate-add-year-suffix="true"'),
        "", "", ["(Doe and A. Roe 2017)", "(Doe and B. Roe 2017)"],
        ["J. Doe, A. Roe", "J. Doe, B. Roe"]),
    "by-cite, first names only without add-names": (
        [*CO_AUTHORS, item("c", 2017, author=[person("Poe", "Al"), person("Roe", "Ann")]),
         item("d", 2017, author=[person("Poe", "Ed"), person("Roe", "Ann")])], SUFFIXED, TITLE,
        rule("by-cite", 'disambiguate-add-year-suffix="true"'), "", "",
        ["(Doe and Roe 2017 a)", "(Doe and Roe 2017 b)", "(A. Poe and Roe 2017)",
         "(E. Poe and Roe 2017)"], ["A", "B", "C", "D"]),
    "by-cite, bibliography by nameset": (
        [item("a", 2017, author=[person("Doe", "John")], editor=[person("Roe", "Ann")]),
         item("b", 2017, author=[person("Doe", "Jane")], editor=[person("Roe", "Bob")])],
        SHORT, '<group delimiter="; "><names variable="editor"><name initialize-with=". "/>'
               '</names><names variable="author"><name initialize-with=". "/></names></group>',
        rule("by-cite"), "", "", ["(John Doe 2017)", "(Jane Doe 2017)"],
        ["Ann Roe; J. Doe", "Bob Roe; J. Doe"]),
    "by-cite, an item's own names in the bibliography": (
        [item("a", 2016, author=[person("Doe", "John"), person("Doe", "Jane")]),
         item("b", 2017, author=[person("Roe", "Ann")], editor=[person("Roe", "Alan")])],
        SHORT, '<names variable="author"><name initialize-with=". "/></names>'
               '<names variable="editor" prefix="; "><name initialize-with=". "/></names>',
        rule("by-cite"), "", "", ["(Doe and Doe 2016)", "(Roe 2017)"],
        ["John Doe, Jane Doe", "A. Roe; Alan Roe"]),
    "before the disambiguate condition": (
        [*SAME_YEAR[:2], item("c", 2017, author=[person("Roe", "Al")]),
         item("d", 2017, author=[person("Roe", "Al")])],
        '<group delimiter=" "><names variable="author"><name form="short"/></names>'
        f'{YEAR}<choose><if disambiguate="true"><text variable="title"/></if></choose></group>',
        TITLE, rule("primary-name"), "", "",
        ["(John Doe 2017)", "(Jane Doe 2017)", "(Roe 2017 C)", "(Roe 2017 D)"],
        ["A", "B", "C", "D"]),
}


def _parsed(tmp_path: Path, xml: str) -> citeproc_fixes.ParsedStyle:
    path = tmp_path / "minimal.csl"
    path.write_text(xml, encoding="utf-8")
    return citeproc_fixes.parse(path, "en-US")


def _citeproc_js_available() -> bool:
    """Whether citeproc-js can be run; under IOMBIB_REQUIRE_TOOLS=1 a missing one fails."""
    if tools_required():
        require_citeproc_js()
    return shutil.which("node") is not None and (
        JS_DIR / "node_modules" / "citeproc" / "package.json").is_file()


def assert_rendered(tmp_path: Path, xml: str, items: list[dict[str, Any]], cited: list[str],
                    entries: list[str]) -> None:
    """iombib renders ``items`` in the style ``xml`` as one citation each (``cited``) and the
    bibliography ``entries``, and so does citeproc-js where it can be run."""
    rendered = citeproc_fixes.render(_parsed(tmp_path, xml), items, "text")
    assert [text for _, text in rendered.in_text] == cited
    assert [text for _, text in rendered.bibliography] == entries
    if _citeproc_js_available():
        locale = csl_locale_path("en-US").read_text(encoding="utf-8")
        result = citeproc_js_render(items, xml, locale,
                                    citations=[[{"id": i["id"]}] for i in items])
        assert not result["errors"]
        assert (result["citations"], result["bibliography"]) == (cited, entries)


@pytest.mark.parametrize("case", list(CASES))
def test_given_names(tmp_path: Path, case: str) -> None:
    items, citation, bibliography, options, sort, macros, cited, entries = CASES[case]
    assert_rendered(tmp_path, style_xml(citation, bibliography, options, sort, macros), items,
                    cited, entries)


def test_only_with_the_option(tmp_path: Path) -> None:
    for options, expected in ((rule("all-names"), ["(J. Doe 2016)", "(A. Doe 2017)"]),
                              ('givenname-disambiguation-rule="all-names"',
                               ["(Doe 2016)", "(Doe 2017)"])):
        parsed = _parsed(tmp_path, style_xml(INITIALS, BIB_INITIALS, options))
        rendered = citeproc_fixes.render(parsed, JOHN_ALAN, "text")
        assert [text for _, text in rendered.in_text] == expected


CHICAGO_ITEMS = [
    {"id": "migration-policy-practice-6-3", "type": "report",
     "title": "Migration Policy Practice: Special issue on Afghan displacement",
     "editor": [person("McAuliffe", "Marie")], "publisher": "International Organization for "
     "Migration", "publisher-place": "Geneva", "issued": {"date-parts": [[2016]]},
     "language": "en"},
    {"id": "supporting-communities", "type": "chapter",
     "title": "Supporting Communities Under Migration Pressure",
     "author": [person("Mbaye", "L.M.")],
     "editor": [person("McAuliffe", "M."), person("Klein Solomon", "M.")],
     "container-title": "Ideas to Inform International Cooperation on Safe, Orderly and "
     "Regular Migration", "publisher": "International Organization for Migration",
     "publisher-place": "Geneva", "issued": {"date-parts": [[2017]]}, "language": "en"}]


@pytest.mark.parametrize("output", ["text", "html"])
def test_chicago_editor_as_author(output: str) -> None:
    """The catalogue's case: Chicago (``primary-name``) names Marie McAuliffe in full, for the
    other M. McAuliffe, an editor its ``source-bib`` sort key renders; her entry is as it
    was."""
    parsed = citeproc_fixes.parse(styles.find("chicago-author-date").path, "en-US")
    rendered = citeproc_fixes.render(parsed, CHICAGO_ITEMS, output)
    assert [text for _, text in rendered.in_text] == ["(Marie McAuliffe 2016)", "(Mbaye 2017)"]
    entries = dict(rendered.bibliography)
    assert entries["migration-policy-practice-6-3"].startswith("McAuliffe, Marie, ed. 2016.")
    assert "edited by M. McAuliffe and M. Klein Solomon" in entries["supporting-communities"]


def test_name_keys() -> None:
    keys = citeproc_fixes._name_keys
    assert keys({"family": "McAuliffe", "given": "M."}, False) == ("McAuliffe", "M.", "M")
    assert keys({"family": "McAuliffe", "given": "Marie"}, False) == ("McAuliffe", "M.", "Marie")
    assert keys({"family": "Mbaye", "given": "L.M."}, False) == ("Mbaye", "L.M.", "L M")
    assert keys({"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de"},
                True) == ("Gaulle de", "C.", "Charles")
    assert keys({"literal": "IOM"}, False) is None


def test_rendering_cache_keeps_given_names_apart() -> None:
    """A rendering kept by the rendering cache is not reused once the names that expanded it
    are gone (and the other way round): the expansion is part of the state it is kept under."""
    parsed = citeproc_fixes.parse(styles.find("chicago-author-date").path, "en-US")
    alone = CHICAGO_ITEMS[:1]
    for run in range(2):
        both = citeproc_fixes.render(parsed, CHICAGO_ITEMS, "html").in_text[0][1]
        one = citeproc_fixes.render(parsed, alone, "html").in_text[0][1]
        assert (run, both, one) == (run, "(Marie McAuliffe 2016)", "(McAuliffe 2016)")
