"""A cache of rendered citations, sort keys and bibliography entries, so that a record that has
not changed is not rendered again.

citeproc-py spends milliseconds on each entry (a walk of the style's tree per item), and a
catalogue is cited over and over while few of its records change. Each rendering of one item
is kept under what it depends on:

- the style file, the locale files, the citeproc-py version, the modules that correct and
  speed it up, and the Unicode data of Python (collation keys are made from it): the cache
  file's token, so another style, locale or version is another file;
- the item's CSL data (a digest of its canonical JSON, made once per item);
- what of the bibliography's state the rendering reads, which the caller names (the output
  format, the year suffix, the citation number, the disambiguation flags ...).

Only renderings that gave no warning are kept (a warning is given again on every run). One
rendering of an item must not depend on the others rendered before it; for a style where it
may (see :func:`iombib.citeproc_speed.items_independent`) the caller does not cache.

The cache lives beside the record cache (:func:`iombib.cache.directory`), is turned off with it
(``IOMBIB_NO_CACHE=1``), and a missing, corrupt or foreign file is ignored and replaced
atomically. A file keeps the renderings of its last run and, up to :data:`MAX_KEPT` in all,
older ones (of records cited before, or of another catalogue).
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import unicodedata
import warnings
from collections.abc import Callable, Hashable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import citeproc

from iombib import cache

_FORMAT = 1
_SHAPING_MODULES = ("citeproc_fixes", "citeproc_speed", "rendering_cache")
MAX_KEPT = 200_000
"""The most renderings a cache file keeps (those of the last run are always kept)."""


class RenderingCache:
    """The renderings of items in one style and locale, read from the cache file when it is
    turned on (``path`` given), else an empty one that keeps nothing."""

    def __init__(self, path: Path | None = None, token: str = "") -> None:
        self.path = path
        self.token = token
        self._old: dict[Any, Any] = {}
        self._used: dict[Any, Any] = {}
        self._added = False
        self._prints: dict[str, bytes] = {}
        if path is not None:
            try:
                data = marshal.loads(path.read_bytes())
            except (OSError, EOFError, ValueError, TypeError):
                data = None
            if isinstance(data, dict) and data.get("token") == token:
                self._old = data["renderings"]

    @classmethod
    def for_style(cls, style: Path, locale: str) -> RenderingCache:
        """The cache of a style file rendered with a CSL locale (``en-US`` ...), or an empty
        one when caching is turned off."""
        root = cache.directory()
        if root is None:
            return cls()
        token = _token(style.read_bytes(), locale)
        return cls(root / "citations" / f"{token[:32]}.marshal", token)

    def know(self, items: Sequence[dict[str, Any]]) -> None:
        """Take the CSL data of the items to be rendered, by their keys (lower-cased ids)."""
        if self.path is None:
            return
        for item in items:
            text = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
            self._prints[str(item["id"]).lower()] = hashlib.blake2b(
                text.encode(), digest_size=16).digest()

    def each(self, part: str, keys: Sequence[str], states: Sequence[Hashable],
             render: Callable[[list[int]], list[Any]]) -> list[Any]:
        """What ``part`` (a name for what is rendered) gives for each item key with its state:
        kept ones as they were, the others by ``render`` (given their positions, it renders
        those items in order), kept unless it warned. Results must be marshal-able."""
        found: list[Any] = [None] * len(keys)
        missing: list[int] = []
        lookups: list[Any] = []
        for n, (key, state) in enumerate(zip(keys, states, strict=True)):
            lookup = (self._prints.get(key), part, state)
            lookups.append(lookup)
            if lookup[0] is not None and lookup in self._used:
                found[n] = self._used[lookup]
            elif lookup[0] is not None and lookup in self._old:
                found[n] = self._used[lookup] = self._old[lookup]
            else:
                missing.append(n)
        if not missing:
            return found
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            done = render(missing)
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
        for n, value in zip(missing, done, strict=True):
            found[n] = value
            if not caught and lookups[n][0] is not None:
                self._used[lookups[n]] = value
                self._added = True
        return found

    def save(self) -> None:
        """Write the file back atomically when anything was added; failures only cost
        speed."""
        if self.path is None or not self._added:
            return
        kept = dict(self._used)
        for lookup, value in self._old.items():
            if len(kept) >= MAX_KEPT:
                break
            kept.setdefault(lookup, value)
        cache.write_marshal(self.path, {"token": self.token, "renderings": kept})
        self._added = False


@functools.cache
def _code() -> bytes:
    """What of the code shapes a rendering: citeproc-py's version, iombib's modules and the
    Unicode version of the collation."""
    package = Path(__file__).resolve().parent
    parts = [f"{_FORMAT}:citeproc-py={metadata.version('citeproc-py')}:"
             f"unicode={unicodedata.unidata_version}".encode()]
    parts += [(package / f"{name}.py").read_bytes() for name in _SHAPING_MODULES]
    return b"\0".join(parts)


def _token(style: bytes, locale: str) -> str:
    digest = hashlib.sha256(_code())
    digest.update(style)
    for name in sorted({locale, "en-US"}):  # citeproc-py falls back on en-US terms
        with_locale = Path(citeproc.LOCALES_PATH) / f"locales-{name}.xml"
        digest.update(name.encode())
        digest.update(with_locale.read_bytes() if with_locale.is_file() else b"")
    return digest.hexdigest()
