"""The cache of rendered citations, sort keys and entries (iombib.rendering_cache): a cached
rendering is the one a fresh rendering gives, whatever changed in between, and an unchanged
item is not rendered again."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from citeproc import model
from test_citeproc_fixes import AUTHOR_YEAR, item, style

from iombib import citeproc_fixes, citeproc_speed
from iombib.rendering_cache import RenderingCache

NUMBERED = ('<text variable="citation-number" prefix="[" suffix="] "/>' + AUTHOR_YEAR
            + '<text variable="title" prefix=". "/>')
SUFFIXES = 'disambiguate-add-year-suffix="true"'


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("IOMBIB_CACHE_DIR", str(folder))
    monkeypatch.delenv("IOMBIB_NO_CACHE", raising=False)
    return folder


class Renderings:
    """Counts the items citeproc-py renders (citations, sort keys, entries)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for cls, name in ((model.Layout, "render_citation"),
                          (model.Layout, "render_bibliography"), (model.Key, "sort_keys")):
            monkeypatch.setattr(cls, name, self._counting(getattr(cls, name)))

    def _counting(self, method: Any) -> Any:
        def counted(element: Any, items: Any, *args: Any) -> Any:
            self.count += len(items) if isinstance(items, list) else 1
            return method(element, items, *args)
        return counted


def rendered(parsed: citeproc_fixes.ParsedStyle, items: list[dict[str, Any]], output: str = "text"
             ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with citeproc_speed.enabled():
        done = citeproc_fixes.render(parsed, items, output)
    return done.bibliography, done.in_text


def test_unchanged_items_are_not_rendered_again(tmp_path: Path, cache_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>',
                   SUFFIXES)
    given = [item("a", "Ant"), item("b", "Bee"), item("w", "Who", author="WHO")]
    first = rendered(parsed, given, "html")
    assert first[1] == [("a", "(IOM, 2017a)"), ("b", "(IOM, 2017b)"), ("w", "(WHO, 2017)")]
    renderings = Renderings(monkeypatch)
    assert rendered(parsed, given, "html") == first
    assert renderings.count == 0
    edited = [given[0], item("b", "Bee, revised"), given[2]]
    rendered(parsed, edited, "html")
    assert renderings.count > 0
    renderings.count = 0
    rendered(parsed, edited, "html")
    assert renderings.count == 0


def test_an_edit_renders_only_its_item(tmp_path: Path, cache_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>')
    given = [item(f"i{n}", f"Title {n}", year=2000 + n) for n in range(8)]
    rendered(parsed, given)
    renderings = Renderings(monkeypatch)
    given[3] = item("i3", "Title 3, revised", year=2003)
    bibliography, _ = rendered(parsed, given)
    assert ("i3", "IOM, 2003. Title 3, revised") in bibliography
    assert renderings.count == 3  # its citation, its sort key and its entry


@pytest.mark.parametrize("citation", [AUTHOR_YEAR, AUTHOR_YEAR + '<choose><if disambiguate="true">'
                                      '<text variable="title" prefix=", "/></if></choose>'])
@pytest.mark.parametrize("bibliography", [AUTHOR_YEAR + '<text variable="title" prefix=". "/>',
                                          NUMBERED, "substitute"])
def test_cached_renderings_follow_every_change(tmp_path: Path, cache_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               citation: str, bibliography: str) -> None:
    """Edits that change other items' year suffixes, disambiguation, citation numbers and
    order: each rendering with the cache is the fresh one."""
    if bibliography == "substitute":
        parsed = style(tmp_path, citation, '<names variable="author" suffix=". "/>'
                       '<text variable="title"/>', SUFFIXES)
        parsed.path.write_text(parsed.path.read_text(encoding="utf-8").replace(
            "<bibliography>", '<bibliography subsequent-author-substitute="---">'),
            encoding="utf-8")
        parsed = citeproc_fixes.parse(parsed.path, "en-US")
    else:
        parsed = style(tmp_path, citation, bibliography, SUFFIXES)
    steps = [
        [item("a", "Ant"), item("w", "Who", author="WHO")],
        [item("a", "Ant"), item("b", "Bee"), item("w", "Who", author="WHO")],
        [item("b", "Bee"), item("a", "Ant"), item("c", "Cat", year=2016)],
        [item("c", "Cat", year=2017), item("b", "Bee"), item("a", "Aardvark")],
        [item("a", "Aardvark"), item("w", "Who", author="WHO"), item("c", "Cat", year=2017)],
        [item("a", "Ant")],
        [item("b", "Bee"), item("w", "Who", author="WHO")],
        [item("a", "Ant", year=2015), item("b", "Bee")],
    ]
    for given in steps:
        cached = rendered(parsed, given, "html")
        monkeypatch.setenv("IOMBIB_NO_CACHE", "1")
        assert cached == rendered(parsed, given, "html"), given
        monkeypatch.delenv("IOMBIB_NO_CACHE")


def test_another_style_file_is_another_cache(tmp_path: Path, cache_dir: Path) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR)
    before = RenderingCache.for_style(parsed.path, "en-US").path
    assert before is not None and before != RenderingCache.for_style(parsed.path, "fr-FR").path
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>')
    assert RenderingCache.for_style(parsed.path, "en-US").path != before


def test_corrupt_cache_file_is_ignored_and_replaced(tmp_path: Path, cache_dir: Path) -> None:
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR + '<text variable="title" prefix=". "/>')
    given = [item("a", "Ant"), item("b", "Bee")]
    first = rendered(parsed, given)
    path = RenderingCache.for_style(parsed.path, "en-US").path
    assert path is not None and path.is_file()
    path.write_bytes(b"\x00not marshal")
    assert rendered(parsed, given) == first
    assert path.read_bytes() != b"\x00not marshal"


def test_a_rendering_that_warns_is_not_kept(tmp_path: Path, cache_dir: Path) -> None:
    cache = RenderingCache(tmp_path / "c.marshal", "token")
    cache.know([{"id": "a", "title": "Ant"}])
    calls = []

    def render(missing: list[int]) -> list[str]:
        calls.append(missing)
        warnings.warn("odd", UserWarning, stacklevel=1)
        return ["text"]

    for _ in range(2):
        with pytest.warns(UserWarning, match="odd"):
            assert cache.each("entry", ["a"], [()], render) == ["text"]
    assert calls == [[0], [0]]


def test_turned_off_it_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOMBIB_NO_CACHE", "1")
    parsed = style(tmp_path, AUTHOR_YEAR, AUTHOR_YEAR)
    assert RenderingCache.for_style(parsed.path, "en-US").path is None
