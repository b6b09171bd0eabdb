"""iombib.citeproc_speed changes no output: the catalogue rendered with and without it, in
several styles and output formats, serially and by two processes, is the same byte for byte."""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from pathlib import Path

import pytest

import iombib
from iombib import citeproc_fixes, citeproc_speed, styles
from iombib.cite import Citations, cite, items

ROOT = Path(__file__).resolve().parent.parent

# Author-date (with year suffixes), numeric, note, and author-page styles.
STYLES = ("apa", "chicago-author-date", "iom", "ieee", "modern-language-association",
          "harvard-cite-them-right", "chicago-notes-bibliography", "nature")


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    """The catalogue and a copy of some records under another id: works twice, so that
    citations need disambiguating and sorting meets ties."""
    loaded = iombib.load(ROOT / "records")
    copies = [dataclasses.replace(r, id=f"{r.id}-copy") for r in loaded.records[::4]]
    return iombib.Catalogue(records=[*loaded.records, *copies],
                            organizations=loaded.organizations)


@pytest.fixture(autouse=True)
def rendered_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rendering here is made, none read from the rendering cache."""
    monkeypatch.setenv("IOMBIB_NO_CACHE", "1")


_PLAIN: dict[tuple[str, str], Citations] = {}


def _plain(catalogue: iombib.Catalogue, style: str, output: str,
           monkeypatch: pytest.MonkeyPatch) -> Citations:
    """The citations without the speed-ups (once per style and format)."""
    if (style, output) not in _PLAIN:
        with monkeypatch.context() as patch:
            patch.setattr(citeproc_speed, "enabled", contextlib.nullcontext)
            _PLAIN[style, output] = cite(catalogue, style=style, format=output)
    return _PLAIN[style, output]


@pytest.mark.parametrize("parallel", [False, True], ids=["one-process", "two-processes"])
@pytest.mark.parametrize(("style", "output"), [
    *((s, "text") for s in STYLES), ("apa", "html"), ("apa", "markdown"),
    ("chicago-author-date", "html"), ("ieee", "html")])
def test_output_is_identical(catalogue: iombib.Catalogue, style: str, output: str,
                             parallel: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _plain(catalogue, style, output, monkeypatch)
    if parallel:
        monkeypatch.setattr(citeproc_speed, "PARALLEL_MIN", 2)
        monkeypatch.setattr(citeproc_speed, "CHUNK", 3)  # both processes take many chunks
        monkeypatch.setattr(citeproc_speed, "_cores", lambda: 2)
    found = cite(catalogue, style=style, format=output)
    assert len(found.entries) == len(catalogue.records) or style == "ieee"
    assert found == expected


def test_the_speedups_are_on_and_off_again(catalogue: iombib.Catalogue) -> None:
    """enabled() patches citeproc-py, and leaves it as it was; the memos are emptied."""
    from citeproc import frontend, model
    before = model.CitationStylesElement.__dict__["xpath_search"]
    with citeproc_speed.enabled() as patched:
        assert patched
        assert model.CitationStylesElement.__dict__["xpath_search"] is not before
        with citeproc_speed.enabled():  # re-entrant
            pass
        assert model.CitationStylesElement.__dict__["xpath_search"] is not before
        parsed = citeproc_fixes.parse(styles.find("apa").path, "en-US")
        rendered = citeproc_fixes.render(parsed, items(catalogue.records[:3]), "text")
        assert len(rendered.bibliography) == 3
        assert any(citeproc_speed._memos)
    assert model.CitationStylesElement.__dict__["xpath_search"] is before
    assert frontend.CitationStylesBibliography.__dict__["bibliography"].__module__ == \
        "citeproc.frontend"
    assert not any(citeproc_speed._memos)


def test_warnings_of_the_second_process_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning citeproc-py gives while a forked process renders reaches the caller, once."""
    from citeproc import model
    monkeypatch.setattr(citeproc_speed, "PARALLEL_MIN", 2)
    monkeypatch.setattr(citeproc_speed, "_cores", lambda: 2)
    original = model.Layout.render_bibliography

    def warning(self: model.Layout, citation_items: list) -> list:
        for item in citation_items:
            warnings.warn(f"rendering {item.key}", UserWarning, stacklevel=1)
        return original(self, citation_items)

    monkeypatch.setattr(model.Layout, "render_bibliography", warning)
    records = [{"id": f"r{i}", "type": "book", "title": f"Title {i}"} for i in range(4)]
    parsed = citeproc_fixes.parse(styles.find("apa").path, "en-US")
    with warnings.catch_warnings(record=True) as caught, citeproc_speed.enabled():
        warnings.simplefilter("always")
        rendered = citeproc_fixes.render(parsed, records, "text")
    assert len(rendered.bibliography) == 4
    assert sorted(str(w.message) for w in caught) == [f"rendering r{i}" for i in range(4)]


@pytest.mark.parametrize("change", [
    lambda k: k.insert(0, "z"), lambda k: k.remove("b"), lambda k: k.__setitem__(1, "a"),
    lambda k: k.extend(["a", "q"]), lambda k: k.append("b"), lambda k: k.sort(),
    lambda k: k.reverse(), lambda k: k.pop(0), lambda k: k.__delitem__(slice(0, 2))])
def test_keys_answer_as_a_list_does(change: object) -> None:
    keys, plain = citeproc_speed._Keys(["c", "b", "a", "b"]), ["c", "b", "a", "b"]
    assert keys.index("b") == plain.index("b") and "a" in keys
    change(keys)  # type: ignore[operator]
    change(plain)  # type: ignore[operator]
    assert list(keys) == plain
    for key in ("a", "b", "c", "q", "z"):
        assert (key in keys) == (key in plain)
        if key in plain:
            assert keys.index(key) == plain.index(key)


@pytest.mark.parametrize(("style", "independent"), [
    ("apa", True), ("chicago-author-date", True), ("ieee", False),
    ("modern-language-association", False)])
def test_styles_whose_dates_leak_are_rendered_in_one_process(style: str,
                                                            independent: bool) -> None:
    """IEEE and MLA override the date-parts of a localized date differently in different
    places, which citeproc-py lets leak from one rendering into the next."""
    parsed = citeproc_fixes.parse(styles.find(style).path, "en-US")
    with citeproc_speed.enabled():
        assert citeproc_speed.items_independent(parsed.style.root) is independent


def test_a_failed_second_process_is_replaced_by_this_one(catalogue: iombib.Catalogue,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """When the forked process cannot send its half back, this process renders it."""
    import pickle
    import types
    expected = _plain(catalogue, "apa", "text", monkeypatch)

    def broken(*args: object, **kwargs: object) -> None:
        raise pickle.PicklingError("cannot send")

    monkeypatch.setattr(citeproc_speed, "pickle", types.SimpleNamespace(
        dump=broken, loads=pickle.loads, HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL))
    monkeypatch.setattr(citeproc_speed, "PARALLEL_MIN", 2)
    monkeypatch.setattr(citeproc_speed, "_cores", lambda: 2)
    assert cite(catalogue, style="apa", format="text") == expected


def test_a_correction_made_after_import_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch of citeproc-py made after this module was imported (as iombib.citeproc_fixes
    may be) is what the speed-ups call: here a sort key that puts "b" before "a"."""
    from citeproc import model
    monkeypatch.setattr(model.Key, "sort_keys",
                        lambda self, items, context: ["1" if i.key == "b" else "2"
                                                      for i in items])
    records = [{"id": key, "type": "book", "title": key.upper()} for key in ("a", "b")]
    parsed = citeproc_fixes.parse(styles.find("apa").path, "en-US")
    with citeproc_speed.enabled():
        rendered = citeproc_fixes.render(parsed, records, "text")
    assert [key for key, _ in rendered.bibliography] == ["b", "a"]


_BRANCHES = [f'<if {test}{match}><text value="x"/></if>'
             for test in ('type="book"', 'type="book report"', 'type="book book"', 'type=""',
                          'variable="title"', 'variable="title editor"',
                          'variable="editor locator"', 'is-numeric="volume"',
                          'type="book" variable="editor"', 'type="book report" variable="title"',
                          'type="" variable="title"')
             for match in ("", ' match="any"', ' match="all"', ' match="none"')]


def test_branch_testers_decide_as_if_render_does(tmp_path: Path) -> None:
    """Each branch's tester takes a branch exactly when citeproc-py's own If.render (without
    the speed-ups) does, for items of the tested type and not, with and without the tested
    variables."""
    from citeproc import model
    from citeproc.source.json import CiteProcJSON
    chooses = "".join(f"<choose>{branch}</choose>" for branch in _BRANCHES)
    style = tmp_path / "branches.csl"
    style.write_text(
        '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
        '<info><title>Branches</title><id>branches</id><updated>2026-12-07T00:00:00Z</updated>'
        f'</info><citation><layout>{chooses}</layout></citation></style>', encoding="utf-8")
    parsed = citeproc_fixes.parse(style, "en-US")
    records = [{"id": "a", "type": "book", "title": "T", "volume": "3"},
               {"id": "b", "type": "report", "editor": [{"family": "E"}]},
               {"id": "c", "type": "article", "title": "T", "editor": [{"family": "E"}]}]
    _, citations = citeproc_fixes._registered(parsed, CiteProcJSON(records), ["a", "b", "c"],
                                              "text")
    branches = [e for e in parsed.style.root.iter() if isinstance(e, model.If)]
    assert len(branches) == len(_BRANCHES)
    decided = set()
    for branch in branches:
        for citation in citations:
            item = citation.cites[0]
            try:
                model.If.render(branch, item)
                taken = True
            except model.ConditionFailed:
                taken = False
            with citeproc_speed.enabled():
                test = citeproc_speed.tester(branch)
                assert test is not None
                assert test(item, None) is taken, (branch.attrib, item.key)
            decided.add(taken)
    assert decided == {True, False}
    assert citeproc_speed.tester(branches[0]) is None  # without the speed-ups


def test_two_processes_share_the_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chunk is done once, by this process or the forked one, and the results come back
    in the items' order."""
    import os
    import time
    monkeypatch.setattr(citeproc_speed, "_cores", lambda: 2)
    parent = os.getpid()

    def work(part: list[int]) -> list[tuple[int, int]]:
        time.sleep(0.005)  # long enough for the forked process to start taking chunks
        return [(x, os.getpid()) for x in part]

    with citeproc_speed.enabled():
        root = citeproc_fixes.parse(styles.find("apa").path, "en-US").style.root
        done = citeproc_speed._in_two(work, list(range(2000)), root)
    assert [x for x, _ in done] == list(range(2000))
    assert {pid for _, pid in done} - {parent}, "the forked process took no chunk"


@pytest.mark.parametrize("style", STYLES)
def test_what_renders_nothing_renders_nothing(catalogue: iombib.Catalogue, style: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``cs:group`` and ``cs:choose`` that the speed-ups would skip for an item (the item
    has none of the variables it needs one of), rendered in full instead, renders nothing:
    for the entries, sort keys and in-text citations of the catalogue. Enough of them are
    skipped for the test to mean something."""
    from citeproc import model, source
    predicts = citeproc_speed._nothing_for
    checked: list[str] = []
    monkeypatch.setattr(citeproc_speed, "_nothing_for", lambda key, reference, item: False)
    monkeypatch.setattr(citeproc_speed, "PARALLEL_MIN", 10**9)  # checked in this process

    def checking(render: object) -> object:
        def checked_render(self: object, item: object, *args: object, **kwargs: object) -> object:
            reference = item.reference  # type: ignore[attr-defined]
            empty = predicts((self, reference.get("type")), reference, item)
            try:
                text = render(self, item, *args, **kwargs)  # type: ignore[operator]
            except source.VariableError:
                text = None
                raise
            finally:
                if empty:
                    assert not text, (self.tag, self.sourceline, item.key)  # type: ignore[attr-defined]
                    checked.append(item.key)  # type: ignore[attr-defined]
            return text
        return checked_render

    with citeproc_speed.enabled():
        originals = {cls: cls.__dict__["render"] for cls in (model.Group, model.Choose)}
        try:
            for cls, render in originals.items():
                cls.render = checking(render)
            cite(catalogue, style=style, format="text")
        finally:
            for cls, render in originals.items():
                cls.render = render
    assert len(checked) > len(catalogue.records)


def test_a_locator_is_what_the_locator_group_needs(tmp_path: Path) -> None:
    """A group of a locator's label and value renders for a cited item with a locator, the
    same with and without the speed-ups, and is skipped for one without."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, Locator, formatter
    from citeproc.source.json import CiteProcJSON
    style = tmp_path / "locators.csl"
    style.write_text(
        '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
        '<info><title>Locators</title><id>locators</id><updated>2026-12-07T00:00:00Z</updated>'
        '</info><citation><layout delimiter="; "><text variable="title"/>'
        '<group delimiter=" " prefix=", "><choose><if locator="page"/>'
        '<else-if is-numeric="locator"><label form="short" variable="locator"/></else-if>'
        '<else><label variable="locator"/></else></choose><text variable="locator"/></group>'
        '</layout></citation></style>', encoding="utf-8")
    parsed = citeproc_fixes.parse(style, "en-US")
    source = CiteProcJSON([{"id": "a", "type": "book", "title": "T"}])

    def rendered() -> tuple[list[str], list[bool]]:
        bibliography = CitationStylesBibliography(parsed.style, source, formatter.plain)
        cites = [CitationItem("a"), CitationItem("a", locator=Locator("page", "12")),
                 CitationItem("a", locator=Locator("chapter", "3"))]
        citations = [Citation([cite]) for cite in cites]
        for citation in citations:
            bibliography.register(citation)
        group = next(e for e in parsed.style.root.iter() if e.tag.endswith("}group"))
        texts = [str(bibliography.cite(citation, lambda item: None)) for citation in citations]
        return texts, [citeproc_speed.renders_nothing(group, cite) for cite in cites]

    plain, _ = rendered()
    with citeproc_speed.enabled():
        fast, skipped = rendered()
    assert plain == ["T", "T, 12", "T, chapter 3"]  # is-numeric reads no locator here
    assert fast == plain
    assert skipped == [True, False, False]
