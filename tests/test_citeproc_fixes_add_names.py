"""Names added to tell citations apart (``disambiguate-add-names``) in iombib.citeproc_fixes,
and the names left out of a sort key by et-al abbreviation, on minimal styles: each case's
expected citations and bibliography are citeproc-js's (compared too when node and tests/js
are there, required with IOMBIB_REQUIRE_TOOLS=1), and each fails without
:func:`iombib.citeproc_fixes.disambiguate_add_names` or, for the order, without the et-al
part of ``sort_names_as_citeproc_js``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_citeproc_fixes_givenname import _parsed, assert_rendered, item, person, style_xml

from iombib import citeproc_fixes

YEAR = '<date variable="issued"><date-part name="year"/></date>'
CITED = ('<group delimiter=" "><names variable="author"><name form="short" and="text"/>'
         f'</names><group>{YEAR}<text variable="year-suffix"/></group></group>')
ADD_NAMES = ('et-al-min="3" et-al-use-first="1" disambiguate-add-names="true" '
             'disambiguate-add-year-suffix="true"')
TITLE = '<text variable="title"/>'
NAMES = '<names variable="author"><name and="text"/></names>'
ABBREVIATED = '<bibliography et-al-min="3" et-al-use-first="1">'
BY_NAME = ('<sort><key macro="author"/><key variable="title"/></sort>')
AUTHOR = '<macro name="author"><names variable="author"><name/></names></macro>'

SMITH, JONES, LEE, BROWN, GREEN = (person("Smith", "John"), person("Jones", "Kate"),
                                   person("Lee", "Mary"), person("Brown", "Lee"),
                                   person("Green", "Ann"))

THREE = [item("a", 2020, author=[SMITH, JONES, BROWN]),
         item("b", 2020, author=[SMITH, LEE, BROWN]),
         item("c", 2021, author=[SMITH, GREEN, BROWN])]
THREE_CITED = ["(Smith, Jones, et al. 2020)", "(Smith, Lee, et al. 2020)",
               "(Smith et al. 2021)"]
GIVEN = ' disambiguate-add-givenname="true"'

CASES: dict[str, tuple[list[dict[str, Any]], str, str, str, str, list[str], list[str]]] = {
    # id: (items, bibliography element, bibliography layout, sort, macros, citations, entries)
    "the second name tells them apart": (
        [item("a", 2020, author=[SMITH, JONES, BROWN]),
         item("b", 2020, author=[SMITH, LEE, BROWN])], "", TITLE, "", "",
        ["(Smith, Jones, et al. 2020)", "(Smith, Lee, et al. 2020)"], ["A", "B"]),
    "only the last name tells them apart": (
        [item("a", 2020, author=[SMITH, JONES, BROWN]),
         item("b", 2020, author=[SMITH, JONES, GREEN])], "", TITLE, "", "",
        ["(Smith, Jones, and Brown 2020)", "(Smith, Jones, and Green 2020)"], ["A", "B"]),
    "names that tell nothing apart are not added": (
        [item("a", 2020, author=[SMITH, JONES, BROWN]),
         item("b", 2020, author=[SMITH, JONES, BROWN]),
         item("c", 2020, author=[SMITH, LEE, BROWN])], "", TITLE, "", "",
        ["(Smith, Jones, et al. 2020a)", "(Smith, Jones, et al. 2020b)",
         "(Smith, Lee, et al. 2020)"], ["A", "B", "C"]),
    "the bibliography does not show the names added": (
        THREE, ABBREVIATED, NAMES, "", "", THREE_CITED, ["John Smith et al."] * 3),
    "unless given names are added too" + GIVEN: (
        THREE, ABBREVIATED, NAMES, "", "", THREE_CITED,
        ["John Smith, Kate Jones, et al.", "John Smith, Mary Lee, et al.",
         "John Smith et al."]),
    "a sort key leaves out the names et-al leaves out": (
        [item("b", 2019, author=[SMITH]), item("a", 2020, author=[SMITH, JONES, BROWN])],
        ABBREVIATED, TITLE, BY_NAME, AUTHOR,
        ["(Smith 2019)", "(Smith et al. 2020)"], ["A", "B"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_added_names(tmp_path: Path, case: str) -> None:
    items, opening, bibliography, sort, macros, cited, entries = CASES[case]
    options = ADD_NAMES + (GIVEN if case.endswith(GIVEN) else "")
    xml = style_xml(CITED, bibliography, options, sort, macros)
    if opening:
        xml = xml.replace("<bibliography>", opening)
    assert_rendered(tmp_path, xml, items, cited, entries)


def test_rendering_cache_keeps_added_names_apart(tmp_path: Path) -> None:
    """A citation kept by the rendering cache is not reused once the citation it was told
    apart from is gone (and the other way round): the names added are part of its state."""
    xml = style_xml(CITED, TITLE, ADD_NAMES)
    parsed = _parsed(tmp_path, xml)
    both = [item("a", 2020, author=[SMITH, JONES, BROWN]),
            item("b", 2020, author=[SMITH, LEE, BROWN])]
    for run in range(2):
        apart = citeproc_fixes.render(parsed, both, "text").in_text[0][1]
        alone = citeproc_fixes.render(parsed, both[:1], "text").in_text[0][1]
        assert (run, apart, alone) == (run, "(Smith, Jones, et al. 2020)", "(Smith et al. 2020)")
