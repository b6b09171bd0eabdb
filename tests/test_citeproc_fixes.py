"""Each correction of citeproc-py in iombib.citeproc_fixes, on a minimal style and items that
show the bug (every test fails without its fix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iombib import citeproc_fixes

CSL = "http://purl.org/net/xbiblio/csl"


def style(tmp_path: Path, citation: str, bibliography: str, options: str = "",
          sort: str = '<sort><key variable="title"/></sort>', locale: str = "en-US"
          ) -> citeproc_fixes.ParsedStyle:
    """A style with the given citation and bibliography layouts, parsed for ``locale``."""
    path = tmp_path / "minimal.csl"
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<style xmlns="{CSL}" class="in-text" version="1.0">
  <info><title>Minimal</title><id>minimal</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation {options}><layout prefix="(" suffix=")">{citation}</layout></citation>
  <bibliography>{sort}<layout>{bibliography}</layout></bibliography>
</style>
""", encoding="utf-8")
    return citeproc_fixes.parse(path, locale)


def item(key: str, title: str, year: int | None = 2017, author: str = "IOM",
         **more: Any) -> dict[str, Any]:
    found = {"id": key, "type": "report", "title": title, "author": [{"literal": author}]}
    if year is not None:
        found["issued"] = {"date-parts": [[year]]}
    return found | more


AUTHOR_YEAR = ('<group delimiter=", "><names variable="author"/>'
               '<group><date variable="issued"><date-part name="year"/></date>'
               '<text variable="year-suffix"/></group></group>')


def test_year_suffixes_in_bibliography_order(tmp_path: Path) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>',
                   'disambiguate-add-year-suffix="true"')
    rendered = citeproc_fixes.render(parsed, [
        item("z", "Zebra"), item("a", "Ant"), item("m", "Mole"), item("o", "Other", 2016),
        item("w", "Who", author="WHO")], "text")
    assert dict(rendered.in_text) == {"z": "(IOM, 2017c)", "a": "(IOM, 2017a)",
                                      "m": "(IOM, 2017b)", "o": "(IOM, 2016)", "w": "(WHO, 2017)"}
    assert rendered.bibliography == [
        ("a", "IOM, 2017a. Ant"), ("m", "IOM, 2017b. Mole"), ("o", "IOM, 2016. Other"),
        ("w", "WHO, 2017. Who"), ("z", "IOM, 2017c. Zebra")]


def test_sort_keys_are_plain_text(tmp_path: Path) -> None:
    """In HTML a book's italic title sorts by its text, not by its ``<i>`` markup."""
    parsed = style(tmp_path, AUTHOR_YEAR, '<text macro="title"/>',
                   sort='<sort><key macro="title"/></sort>')
    macro = ('<macro name="title"><choose><if type="book"><text variable="title" '
             'font-style="italic"/></if><else><text variable="title"/></else></choose></macro>')
    parsed.path.write_text(parsed.path.read_text().replace("<citation", macro + "<citation"))
    parsed = citeproc_fixes.parse(parsed.path, "en-US")
    given = [item("z", "Zebra", type="book"), item("a", "Apple")]
    for output in ("text", "html"):
        assert [k for k, _ in citeproc_fixes.render(parsed, given, output).bibliography] == \
            ["a", "z"]


def test_sort_keys_with_year_suffixes(tmp_path: Path) -> None:
    """A sort key that prints the year suffix is rendered again once the suffixes are given:
    IOM's 2017a and 2017b then sort before WHO's 2017, whose key is empty (before the
    suffixes, the three keys were all empty and the title, descending, ordered them)."""
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>',
                   'disambiguate-add-year-suffix="true"',
                   sort='<sort><key macro="suffix"/><key variable="title" sort="descending"/>'
                        "</sort>")
    macro = '<macro name="suffix"><text variable="year-suffix"/></macro>'
    parsed.path.write_text(parsed.path.read_text().replace("<citation", macro + "<citation"))
    parsed = citeproc_fixes.parse(parsed.path, "en-US")
    given = [item("z", "Zebra"), item("a", "Ant"), item("m", "Mole", author="WHO")]
    assert citeproc_fixes.render(parsed, given, "text").bibliography == [
        ("z", "IOM, 2017a. Zebra"), ("a", "IOM, 2017b. Ant"), ("m", "WHO, 2017. Mole")]


def test_sort_keys_order_as_the_bibliography_sort(tmp_path: Path) -> None:
    """SortKeys renders a key only for the items the keys before it leave tied, and orders as
    the style's sort of all keys does: ties, empty keys, numbers against text, a descending
    key."""
    import random

    from citeproc.source.json import CiteProcJSON

    parsed = style(tmp_path, AUTHOR_YEAR, '<text variable="title"/>',
                   sort='<sort><key variable="author"/><key variable="volume"/>'
                        '<key variable="issued" sort="descending"/><key variable="title"/>'
                        "</sort>")
    chance = random.Random(7)
    given = []
    for n in range(60):
        extra: dict[str, Any] = {"volume": chance.choice(["2", "10", "007", "7", "x", None])}
        given.append(item(f"i{n}", chance.choice(["b", "A", "c", "a"]),
                          chance.choice([2017, 2016, None]), chance.choice(["IOM", "WHO"]),
                          **{k: v for k, v in extra.items() if v is not None}))
    bibliography, _ = citeproc_fixes._registered(
        parsed, CiteProcJSON(given), [i["id"] for i in given], "text")
    expected = [i.key for i in parsed.style.sort_bibliography(list(bibliography.items))]
    assert citeproc_fixes.SortKeys(parsed, list(bibliography.items)).order() == expected


def test_year_suffix_only_when_the_style_asks(tmp_path: Path) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR)
    given = [item("a", "Ant", **{"year-suffix": "q"}), item("b", "Bee")]
    assert [t for _, t in citeproc_fixes.render(parsed, given, "text").in_text] == [
        "(IOM, 2017)", "(IOM, 2017)"]


def test_year_suffix_letters() -> None:
    assert [citeproc_fixes.year_suffix(n) for n in (1, 2, 26, 27, 28, 52, 53)] == [
        "a", "b", "z", "aa", "ab", "az", "ba"]


@pytest.mark.parametrize(("branch", "expected"), [
    ('<if disambiguate="true"><text variable="title" prefix=", "/></if>',
     ["(IOM, Ant)", "(IOM, Bee)", "(WHO)"]),
    ('<if disambiguate="true" match="none"><text value=" alone"/></if>',
     ["(IOM)", "(IOM)", "(WHO alone)"]),
    ('<if disambiguate="true" type="book" match="any"><text variable="title" prefix=", "/>'
     "</if>", ["(IOM, Ant)", "(IOM, Bee)", "(WHO, Who)"]),
    ('<if disambiguate="true" type="report"><text variable="title" prefix=", "/></if>',
     ["(IOM, Ant)", "(IOM, Bee)", "(WHO)"]),
    ('<if type="chapter"/><else-if disambiguate="true"><text variable="title" prefix=", "/>'
     '</else-if><else><text value=", else"/></else>', ["(IOM, Ant)", "(IOM, Bee)", "(WHO, else)"]),
])
def test_disambiguate_condition(tmp_path: Path, branch: str, expected: list[str]) -> None:
    parsed = style(tmp_path, f'<names variable="author"/><choose>{branch}</choose>',
                   '<text variable="title"/>')
    given = [item("a", "Ant"), item("b", "Bee"), item("w", "Who", author="WHO", type="book")]
    assert [t for _, t in citeproc_fixes.render(parsed, given, "text").in_text] == expected


def test_disambiguate_condition_renders_again_only_the_citations_that_test_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Of an ambiguous group, only the citations whose rendering came to the test are
    rendered again once flagged: the reports, not the book (one call each, and one more for
    the two reports)."""
    parsed = style(tmp_path, '<names variable="author"/><choose><if type="report"><choose>'
                   '<if disambiguate="true"><text variable="title" prefix=", "/></if></choose>'
                   "</if></choose>", '<text variable="title"/>')
    given = [item("a", "Ant"), item("b", "Bee"), item("c", "Cat", type="book")]
    rendered_keys: list[str] = []
    render_citation = parsed.style.render_citation

    def counting(citation: Any, *args: Any) -> Any:
        rendered_keys.append(citation.cites[0].key)
        return render_citation(citation, *args)

    monkeypatch.setattr(parsed.style, "render_citation", counting)
    in_text = [t for _, t in citeproc_fixes.render(parsed, given, "text").in_text]
    assert in_text == ["(IOM, Ant)", "(IOM, Bee)", "(IOM)"]
    assert sorted(rendered_keys) == ["a", "a", "b", "b", "c"]


@pytest.mark.parametrize(("output", "expected"), [
    ("text", ["[1] IOM. Ant.", "[2] IOM. Bee."]),
    ("html", ['\n    <div class="csl-left-margin">[1]</div><div class="csl-right-inline">IOM. Ant.'
              '</div>\n  ',
              '\n    <div class="csl-left-margin">[2]</div><div class="csl-right-inline">IOM. '
              'Bee.</div>\n  ']),
])
def test_second_field_align(tmp_path: Path, output: str, expected: list[str]) -> None:
    parsed = style(tmp_path, '<text variable="citation-number"/>',
                   '<text variable="citation-number" prefix="[" suffix="]"/>'
                   '<names variable="author" suffix=". "/><text variable="title" suffix="."/>',
                   sort="")
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<bibliography>", '<bibliography second-field-align="flush">'), encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    rendered = citeproc_fixes.render(parsed, [item("a", "Ant"), item("b", "Bee")], output)
    assert [text for _, text in rendered.bibliography] == expected


def test_subsequent_author_substitute(tmp_path: Path) -> None:
    parsed = style(tmp_path, '<names variable="author"/>',
                   '<names variable="author" suffix=". "><substitute><text value="Anon"/>'
                   '</substitute></names><text variable="title"/>')
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<bibliography>", '<bibliography subsequent-author-substitute="———">'),
        encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    given = [item("a", "Ant"), item("b", "Bee"), item("c", "Cat", author="WHO"),
             item("d", "Dog"), {"id": "e", "type": "report", "title": "Eel"}]
    rendered = citeproc_fixes.render(parsed, given, "text")
    assert [text for _, text in rendered.bibliography] == [
        "IOM. Ant", "———. Bee", "WHO. Cat", "IOM. Dog", "Anon. Eel"]


@pytest.mark.parametrize(("locale", "in_text", "entry"), [
    ("en-US", "(“Ant,” IOM)", "“Ant.” IOM. “What?” IOM."),
    ("en-GB", "(‘Ant’, IOM)", "‘Ant’. IOM. ‘What?’. IOM."),
])
def test_punctuation_in_quote(tmp_path: Path, locale: str, in_text: str, entry: str) -> None:
    parsed = style(tmp_path, '<group delimiter=", "><text variable="title" quotes="true"/>'
                             '<names variable="author"/></group>',
                   '<text variable="title" quotes="true" suffix=". "/><names variable="author"'
                   ' suffix=". "/><text variable="title-short" quotes="true" suffix="."/>'
                   '<text variable="publisher" prefix=" " suffix="."/>', locale=locale)
    given = [item("a", "Ant", **{"title-short": "What?", "publisher": "IOM"})]
    rendered = citeproc_fixes.render(parsed, given, "text")
    assert (rendered.in_text[0][1], rendered.bibliography[0][1]) == (in_text, entry)


@pytest.mark.parametrize(("output", "expected"), [
    ("html", "<i>A &#38; &#60;B&#62;</i>. http://x?a=1&#38;b=2"),
    ("text", "A & <B>. http://x?a=1&b=2"),
    ("markdown", r"*A & \<B\>*. http://x?a=1&b=2"),
])
def test_variables_are_escaped(tmp_path: Path, output: str, expected: str) -> None:
    parsed = style(tmp_path, '<text variable="title"/>',
                   '<text variable="title" font-style="italic" suffix=". "/>'
                   '<text variable="URL"/>')
    rendered = citeproc_fixes.render(parsed, [item("a", "A & <B>", URL="http://x?a=1&b=2")],
                                     output)
    assert rendered.bibliography == [("a", expected)]


@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
def test_labels_in_title_case(tmp_path: Path, locale: str) -> None:
    parsed = style(tmp_path, '<names variable="author"/>',
                   '<names variable="editor"><name/><label prefix=" (" suffix=")" '
                   'text-case="title"/></names>', locale=locale)
    given = [item("a", "Ant", language="fr",
                  editor=[{"family": "Roe", "given": "Ann"}, {"family": "Doe", "given": "Jo"}])]
    entry = citeproc_fixes.render(parsed, given, "text").bibliography[0][1]
    assert entry.endswith("(Editors)" if locale == "en-US" else "(Éditeurs)")


@pytest.mark.parametrize(("initialize", "expected"), [
    ("false", "Kirk, James T."), ("true", "Kirk, J. T.")])
@pytest.mark.parametrize("given", ["James T", "James T."])
def test_initialize_false_keeps_given_names(tmp_path: Path, initialize: str, expected: str,
                                            given: str) -> None:
    parsed = style(tmp_path, '<names variable="author"/>',
                   f'<names variable="author"><name initialize="{initialize}" '
                   'name-as-sort-order="all"/></names>')
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace(
        'version="1.0">', 'version="1.0" initialize-with=". ">', 1), encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    items = [item("a", "Ant") | {"author": [{"family": "Kirk", "given": given}]}]
    assert citeproc_fixes.render(parsed, items, "text").bibliography[0][1] == expected


def test_substituted_names_are_not_repeated(tmp_path: Path) -> None:
    parsed = style(tmp_path, '<names variable="author"/>',
                   '<names variable="author" suffix=". "><substitute><names variable="editor"/>'
                   '</substitute></names><text variable="title"/>'
                   '<names variable="editor translator" prefix=". By "/>')
    editor = [{"family": "Roe", "given": "Ann"}]
    translator = [{"family": "Poe", "given": "Ed"}]
    given = [item("a", "Ant", editor=editor),
             {"id": "b", "type": "report", "title": "Bee", "editor": editor},
             {"id": "c", "type": "report", "title": "Cat", "editor": editor,
              "translator": translator}]
    assert [t for _, t in citeproc_fixes.render(parsed, given, "text").bibliography] == [
        "IOM. Ant. By Ann Roe", "Ann Roe. Bee", "Ann Roe. Cat. By Ed Poe"]


def test_localized_date_keeps_its_delimiter(tmp_path: Path) -> None:
    parsed = style(tmp_path, '<date variable="issued" form="text" date-parts="year-month"/>',
                   '<date variable="issued" form="text" date-parts="year-month"/>')
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<citation", '<locale><date form="text" delimiter=" "><date-part name="year"/>'
        '<date-part name="month" form="short" strip-periods="true"/></date></locale><citation'),
        encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    given = [item("a", "Ant") | {"issued": {"date-parts": [[2015, 12]]}}]
    assert citeproc_fixes.render(parsed, given, "text").bibliography == [("a", "2015 Dec")]


@pytest.mark.parametrize(("pages", "expected"), [("220", "220 pages"), ("1", "1 page")])
def test_number_of_pages_label(tmp_path: Path, pages: str, expected: str) -> None:
    parsed = style(tmp_path, '<text variable="title"/>',
                   '<group delimiter=" "><text variable="number-of-pages"/>'
                   '<label variable="number-of-pages"/></group>')
    given = [item("a", "Ant", **{"number-of-pages": pages})]
    assert citeproc_fixes.render(parsed, given, "text").bibliography == [("a", expected)]


def test_html_superscripts() -> None:
    assert citeproc_fixes.FORMATTERS["html"].preformat("nᵒ 11 & 2ª") == (
        "n<sup>o</sup> 11 &#38; 2<sup>a</sup>")


@pytest.mark.parametrize(("title", "expected"), [
    ("towards the 2013 high-level dialogue", "Towards the 2013 High-Level Dialogue"),
    ("communicating effectively about migration: a study through time",
     "Communicating Effectively about Migration: A Study through Time"),
    ("lives lost during migration / migrations et faits religieux",
     "Lives Lost during Migration / Migrations et Faits Religieux"),
    ("plan b and a coup d'état", "Plan b and a Coup d'état"),
    ("what the <span class=\"nocase\">iPhone user</span> looks at",
     "What the iPhone user Looks At")])
@pytest.mark.parametrize("output", ["text", "html"])
def test_title_case_as_citeproc_js(tmp_path: Path, output: str, title: str,
                                   expected: str) -> None:
    parsed = style(tmp_path, '<text variable="title"/>',
                   '<text variable="title" text-case="title"/>')
    given = [item("a", title, language="en"), item("b", title, language="fr")]
    assert dict(citeproc_fixes.render(parsed, given, output).bibliography) == {
        "a": expected,
        "b": title.replace('<span class="nocase">', "").replace("</span>", "")}


def test_title_case_engine_keeps_segments() -> None:
    assert citeproc_fixes.js_title_case([("re-", False), ("traffic", True), ("-king of", False)]
                                        ) == ["Re-", "traffic", "-King Of"]


@pytest.mark.parametrize(("authors", "inherited", "expected"), [
    (["IOM", "Swiss Red Cross"], "", "IOM and Swiss Red Cross"),
    (["IOM", "UNHCR", "WHO"], "", "IOM, UNHCR, and WHO"),
    (["IOM", "Swiss Red Cross"], 'delimiter-precedes-last="always"', "IOM, and Swiss Red Cross"),
    (["IOM", "UNHCR", "WHO"], 'delimiter-precedes-last="never"', "IOM, UNHCR and WHO"),
    ([{"family": "Roe", "given": "Ann"}, {"family": "Doe", "given": "Jo"}], "",
     "Ann Roe, and Jo Doe"),
    ([{"family": "Roe", "given": "Ann"}, "IOM"], "", "Ann Roe and IOM")])
def test_institutions_joined_as_citeproc_js(tmp_path: Path, authors: list[Any], inherited: str,
                                            expected: str) -> None:
    parsed = style(tmp_path, '<text variable="title"/>',
                   '<names variable="author"><name and="text" delimiter-precedes-last="always"/>'
                   '</names>')
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<bibliography>", f"<bibliography {inherited}>"), encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    given = [item("a", "Ant") | {"author": [
        {"literal": a} if isinstance(a, str) else a for a in authors]}]
    assert citeproc_fixes.render(parsed, given, "text").bibliography == [("a", expected)]


NAMES_MACRO = ('<macro name="names"><names variable="author"><name and="text"/></names></macro>'
               '<macro name="by"><text macro="names"/></macro>'
               '<macro name="year"><choose><if variable="issued"><date variable="issued">'
               '<date-part name="year"/></date></if><else><text value="n.d."/></else></choose>'
               '<text variable="title"/></macro>')


@pytest.mark.parametrize(("keys", "given", "expected"), [
    ('<key variable="title"/>',  # collation: accents, case, punctuation, numbers, spaces
     [item("z", "Zebra"), item("e", "Émigrés"), item("s", "Migrant Smuggling"),
      item("m", "Migrants and Hosts"), item("t", "Item 10"), item("n", "Item 9"),
      item("d", "item-8")],
     ["e", "n", "t", "d", "s", "m", "z"]),
    ('<key macro="by"/>',  # names of a sort key joined without "and"
     [item("r", "R", author="IOM"), item("s", "S") | {"author": [
         {"literal": "IOM"}, {"literal": "Swiss Red Cross"}]},
      item("g", "G", author="IOM. Global Centre"), item("t", "T", author="IOM. Tirana")],
     ["r", "g", "s", "t"]),
    ('<key macro="year"/>',  # a date macro sorts by the date alone, a missing one last
     [item("n", "A", None), item("r", "B") | {"issued": {"date-parts": [[2009], [2010]]}},
      item("b", "C", 2009), item("c", "D", 2010)],
     ["b", "r", "c", "n"])])
def test_sort_as_citeproc_js(tmp_path: Path, keys: str, given: list[dict[str, Any]],
                             expected: list[str]) -> None:
    parsed = style(tmp_path, '<text variable="title"/>', '<text variable="title"/>',
                   sort=f"<sort>{keys}</sort>")
    path = parsed.path
    path.write_text(path.read_text(encoding="utf-8").replace("<citation", NAMES_MACRO
                                                             + "<citation"), encoding="utf-8")
    parsed = citeproc_fixes.parse(path, "en-US")
    for output in ("text", "html"):
        rendered = citeproc_fixes.render(parsed, given, output)
        assert [key for key, _ in rendered.bibliography] == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["ñ", "n", "o"]), ("es", ["n", "ñ", "o"])])
def test_collation_key(language: str, expected: list[str]) -> None:
    words = {"ñ": "ñu", "n": "nz", "o": "oa"}
    assert sorted(words, key=lambda w: citeproc_fixes.collation_key(words[w], language)) == expected


def test_names_in_a_substitute_choose_inherit(tmp_path: Path) -> None:
    names = ('<names variable="author"><name name-as-sort-order="first" initialize="false"/>'
             '<label form="short" prefix=", "/><substitute><choose><if type="standard"/><else>'
             '<names variable="editor"/></else></choose></substitute></names>')
    parsed = style(tmp_path, '<text variable="title"/>',
                   f'<group delimiter=". ">{names}<text variable="title"/>'
                   '<names variable="editor" prefix="Edited by "/></group>',
                   options='initialize-with=". "')
    given = [item("a", "Ant") | {"author": [], "editor": [{"family": "Roe", "given": "Ann"}]}]
    given[0].pop("author")
    assert citeproc_fixes.render(parsed, given, "text").bibliography == [
        ("a", "Roe, Ann, ed. Ant")]


_KEY_VALUES = [None, citeproc_fixes._UNRENDERED, ((1,),), ((1,), (2,)), ((2,),), ((1, 3),)]


def _ranked_by_comparing(rows: list[list[Any]], descending: list[bool]) -> list[int]:
    """The order _ranked gives, by comparing two rows key by key as its docstring says."""
    import functools

    def compare(a: int, b: int) -> int:
        for k, down in enumerate(descending):
            x, y = (None if v is citeproc_fixes._UNRENDERED else v for v in (rows[a][k],
                                                                         rows[b][k]))
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1  # missing last, also when descending
            return (1 if x < y else -1) if down else (-1 if x < y else 1)
        return a - b  # ties in their order
    return sorted(range(len(rows)), key=functools.cmp_to_key(compare))


def test_ranked_orders_as_comparing_key_by_key() -> None:
    """The sorts of _ranked (per descending key, per run of ascending keys) give the order of
    comparing the keys one by one, for random rows and mixes of directions."""
    import random
    chance = random.Random(7)
    for _ in range(300):
        width = chance.randint(1, 4)
        descending = [chance.random() < 0.4 for _ in range(width)]
        rows = [[chance.choice(_KEY_VALUES) for _ in range(width)]
                for _ in range(chance.randint(0, 12))]
        assert citeproc_fixes._ranked(rows, descending) == _ranked_by_comparing(rows,
                                                                                 descending)
