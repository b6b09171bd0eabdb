"""Driving citeproc-py, and the corrections that make its output match citeproc-js.

citeproc-py renders CSL, but it differs from citeproc-js (the reference CSL processor, used by
Zotero and Mendeley) in many places. Each difference is corrected here once, in the data handed
to citeproc-py or around its rendering, never by editing the output of one style. Every
correction names the citeproc-py version it was written against (:data:`CITEPROC_PY`); on another
version :func:`parse` warns, since a correction may then be wrong or unneeded.
"""

from __future__ import annotations

import copy
import difflib
import functools
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import citeproc
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
    model,
)
from citeproc import string as citeproc_string
from citeproc.source import Name as CslName
from citeproc.source.json import CiteProcJSON

from iombib import citeproc_speed
from iombib.diagnostics import IombibError
from iombib.rendering_cache import RenderingCache

CITEPROC_PY = "0.11.1"
"""The citeproc-py version the corrections were written and tested against."""


@dataclass
class ParsedStyle:
    """A style parsed once with one locale, reused by every rendering in the process."""

    path: Path
    locale: str
    style: CitationStylesStyle


@dataclass
class Rendered:
    """The bibliography (in the style's order) and the in-text citations (in the items' order)
    as (id, text) pairs, with the problems met as (id, message)."""

    bibliography: list[tuple[str, str]] = field(default_factory=list)
    in_text: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def locales() -> list[str]:
    """The CSL locales citeproc-py ships (``en-US``, ``fr-FR`` ...)."""
    return sorted(p.name[len("locales-"):-len(".xml")]
                  for p in Path(citeproc.LOCALES_PATH).glob("locales-*.xml"))


def version_mismatch() -> str | None:
    """The warning that another citeproc-py than :data:`CITEPROC_PY` is installed (the
    corrections may then be wrong or missing), or None."""
    version = metadata.version("citeproc-py")
    if version == CITEPROC_PY:
        return None
    return (f"citeproc-py {version} is installed; iombib's corrections of it were written for "
            f"{CITEPROC_PY}")


def parse(path: Path, locale: str) -> ParsedStyle:
    """Parse a style file with a locale (``en-US``, ``fr-FR`` ...)."""
    known = locales()
    locale = citeproc.PRIMARY_DIALECTS.get(locale, locale)  # "fr" is fr-FR
    if locale not in known:
        close = difflib.get_close_matches(locale, known, n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise IombibError(f"unknown locale '{locale}'{hint}")
    try:
        style = CitationStylesStyle(str(path), locale=locale, validate=False)
    except ValueError as problem:
        raise IombibError(f"{path}: {problem}") from None
    except Exception as problem:  # lxml and citeproc-py raise many kinds on a broken style
        raise IombibError(f"{path}: not a usable CSL style: {problem}") from None
    return ParsedStyle(path=path, locale=locale, style=style)


# --------------------------------------------------------------------------- corrections

CSL_1_0_2_NAMES = (
    "chair", "compiler", "contributor", "curator", "director", "editor-translator",
    "executive-producer", "guest", "host", "narrator", "organizer", "performer", "producer",
    "reviewed-author", "script-writer", "series-creator")
"""Name variables of CSL 1.0.2 that citeproc-py 0.11.1 does not know."""


def teach_csl_1_0_2_names() -> None:
    """Fix: citeproc-py 0.11.1 knows only the name variables of CSL 1.0, so it reads a CSL 1.0.2
    name variable (``organizer``, ``contributor``, ``chair`` ...) as a string, and a style that
    names it (APA does) fails with ``AttributeError: 'String' object has no attribute
    'parts'``. Its variable tables are extended in place, once: they are module-level lists
    that the JSON reader and the renderer share."""
    for variable in (v.replace("-", "_") for v in CSL_1_0_2_NAMES):
        if variable not in citeproc.NAMES:
            citeproc.NAMES.append(variable)
            citeproc.VARIABLES.append(variable)


teach_csl_1_0_2_names()


def _known_variables(item: dict[str, Any]) -> dict[str, Any]:
    """The item without the keys that are no variable of CSL 1.0.2 (``part`` of CSL-JSON): no
    style can print them, and citeproc-py warns about each."""
    return {k: v for k, v in item.items()
            if k in ("id", "type") or k.replace("-", "_") in citeproc.VARIABLES}


# --------------------------------------------------------------------------- output formats

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def _wrapper(before: str, after: str) -> type[str]:
    class Wrapped(str):
        def __new__(cls, text: str) -> Wrapped:
            return super().__new__(cls, f"{before}{text}{after}")
    return Wrapped


_MARKDOWN = SimpleNamespace(
    preformat=_markdown_escape, Italic=_wrapper("*", "*"), Oblique=_wrapper("*", "*"),
    Bold=_wrapper("**", "**"), Light=str, Underline=str, SmallCaps=str,
    Superscript=_wrapper("<sup>", "</sup>"), Subscript=_wrapper("<sub>", "</sub>"))



def _with_margins(base: Any, left_margin: Any, right_inline: Any) -> SimpleNamespace:
    """A citeproc-py formatter with the two displays of :func:`align_second_field`."""
    names = {name: getattr(base, name) for name in dir(base) if not name.startswith("_")}
    return SimpleNamespace(**names, left_margin=left_margin, right_inline=right_inline)


def _text_margin(text: str) -> str:
    return f"{text} "


def _superscripts() -> dict[str, str]:
    """Each superscript character (Unicode ``<super>`` decomposition) and its base text."""
    found = {}
    for block in (range(0xA0, 0x300), range(0x1D00, 0x1DC0), range(0x2070, 0x20A0),
                  range(0x2C7C, 0x2C7E), range(0xA69C, 0xA69E), range(0xA770, 0xA771),
                  range(0xA7F8, 0xA7FA)):
        for code in block:
            decomposition = unicodedata.decomposition(chr(code))
            if decomposition.startswith("<super> "):
                found[chr(code)] = "".join(chr(int(c, 16)) for c in decomposition.split()[1:])
    return found


_SUPERSCRIPTS = _superscripts()
_SUPERSCRIPT = re.compile(f"[{''.join(_SUPERSCRIPTS)}]")


def _html_escape(text: str) -> str:
    """Text for HTML as citeproc-js escapes it: numeric entities for ``&``, ``<`` and ``>``
    (valid in XML too), a no-break space in a run of two spaces, and a superscript character
    as ``<sup>`` markup (French "nᵒ" is "n<sup>o</sup>")."""
    text = str(text).replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
    text = re.sub(r"\s\s", "\u00a0 ", text)
    return _SUPERSCRIPT.sub(lambda m: f"<sup>{_SUPERSCRIPTS[m.group()]}</sup>", text)


def _html_margin(text: str) -> str:
    return f'\n    <div class="csl-left-margin">{text}</div>'


def _html_inline(text: str) -> str:
    return f'<div class="csl-right-inline">{text}</div>\n  '


FORMATTERS: dict[str, Any] = {
    "text": _with_margins(formatter.plain, _text_margin, str),
    "html": SimpleNamespace(**{**vars(_with_margins(formatter.html, _html_margin, _html_inline)),
                               "preformat": _html_escape}),
    "markdown": _with_margins(_MARKDOWN, _text_margin, str)}
"""The citeproc-py formatter of each output format, with the left-margin and right-inline
displays of citeproc-js's formats (text and Markdown as citeproc-js's text) and, for HTML,
citeproc-js's escaping."""


_text_variable = model.Text._variable


def escape_variables() -> None:
    """Fix: citeproc-py 0.11.1 escapes the terms and fixed values of a style for the output
    format but not the values of variables, so a title or URL with ``&`` or ``<`` is broken
    HTML (``?a=1&b=2``) and Markdown with ``*`` or ``_`` is misread. citeproc-js escapes every
    text it prints (``&#38;`` in HTML).

    ``Text._variable`` is wrapped once to pass a variable's text through the formatter's
    ``preformat``, segment by segment so that citeproc-py's case-protected (``nocase``)
    segments stay what they are; numbers (``citation-number``) are left alone."""
    if model.Text._variable is not _text_variable:
        return

    def variable(self: model.Text, item: Any, context: Any) -> Any:
        text = _text_variable(self, item, context)
        if isinstance(text, citeproc_string.MixedString):
            return citeproc_string.MixedString(
                [type(part)(self.preformat(part)) for part in text])
        if isinstance(text, str):
            return type(text)(self.preformat(text))
        return text

    variable.__doc__ = _text_variable.__doc__
    model.Text._variable = variable


escape_variables()


# --------------------------------------------------------------------------- layout

_render_bibliography = model.Layout.render_bibliography
_names_process = model.Names.process


@dataclass
class _Entry:
    """The bibliography entry being rendered: its item's key, how deep in ``cs:names`` the
    rendering is, whether its first names were rendered (:func:`substitute_author`) and how
    many names variables it rendered and, for by-cite given names, the names registered for
    its item so far (:func:`expand_given_names`)."""

    key: str
    substituted: set[str]
    depth: int = 0
    named: bool = False
    capture: bool = False
    namesets: int = 0
    registered: dict[str, dict[str, set[str]]] | None = None


_entry: _Entry | None = None
"""The entry being rendered (citeproc-py renders one entry at a time)."""


class _FirstNames(Exception):
    """The first names of an entry, caught by :func:`first_names`."""

    def __init__(self, text: str | None) -> None:
        super().__init__(text)
        self.text = text


def align_second_field() -> None:
    """Fix: citeproc-py 0.11.1 ignores the bibliography's ``second-field-align`` (IEEE's and
    Vancouver's numbered lists), so the number runs into the entry: ``[1]International
    Organization ...``. citeproc-js puts the output of the layout's first child in a left
    margin and the rest beside it: ``<div class="csl-left-margin">[1]</div><div
    class="csl-right-inline">...</div>`` in HTML, ``[1] International ...`` in text.

    ``Layout.render_bibliography`` is replaced once: with ``second-field-align`` it renders
    the first child and the others apart and joins them with the formatter's ``left_margin``
    and ``right_inline`` displays (:data:`FORMATTERS`); an entry whose first child renders
    nothing is rendered as citeproc-py does. It also tells :func:`substitute_author` which
    entry is being rendered."""
    if model.Layout.render_bibliography is not _render_bibliography:
        return

    def render_bibliography(self: model.Layout, citation_items: list[Any]) -> list[Any]:
        global _entry
        align = bool(self.getparent().get("second-field-align"))
        substituted = getattr(citation_items[0].bibliography, SUBSTITUTED, set()) \
            if citation_items else set()
        output = []
        try:
            for item in citation_items:
                self.repressed = {}
                _entry = _Entry(item.key, substituted)
                text = self.format(self.wrap(_aligned(self, item) if align
                                             else self.render_children(item)))
                if text is not None:
                    output.append(text)
        finally:
            _entry = None
        return output

    render_bibliography.__doc__ = _render_bibliography.__doc__
    model.Layout.render_bibliography = render_bibliography


def _aligned(layout: model.Layout, item: Any) -> Any:
    display = layout.get_formatter()
    first, *rest = layout.getchildren()
    left = _render_child(first, item)
    right = model.join([t for t in (_render_child(c, item) for c in rest) if t is not None], "")
    if left is None:
        return layout.render_children(item)
    return display.left_margin(left) + display.right_inline(right) if right \
        else display.left_margin(left)


def _render_child(child: Any, item: Any) -> Any:
    """What one child of a layout renders for ``item``, as ``Parent.render_children`` asks it
    (None for nothing)."""
    try:
        if isinstance(child, model.Choose):
            return child.render(item, delimiter="")
        return child.render(item)
    except model.VariableError:
        return None


align_second_field()


SUBSTITUTED = "iombib_substituted"
"""The attribute of a bibliography that holds the keys of the entries whose first names
:func:`substitute_author` replaces."""


def substitute_author() -> None:
    """Fix: citeproc-py 0.11.1 ignores the bibliography's ``subsequent-author-substitute``, so
    MLA repeats the author of each of the catalogue's many works by IOM. citeproc-js (CSL's
    default rule ``complete-all``) prints the substitute ("———") instead of the first names of
    an entry when they read exactly as the first names of the entry before it, keeping the
    ``cs:names`` element's affixes.

    ``Names.process`` is wrapped once: the first names rendered (outside another
    ``cs:names``) in an entry that the bibliography's :data:`SUBSTITUTED` set names come out as
    the substitute. :func:`first_names` decides that set before any entry is rendered, so that
    the entries can be rendered in any order or in several processes."""
    if model.Names.process is not _names_process:
        return

    def process(self: model.Names, item: Any, *args: Any, **kwargs: Any) -> Any:
        entry = _entry
        if entry is None or entry.named or entry.key != item.key:
            return _names_process(self, item, *args, **kwargs)
        entry.depth += 1
        try:
            text = _names_process(self, item, *args, **kwargs)
        finally:
            entry.depth -= 1
        if entry.depth or text is None:
            return text
        entry.named = True
        if entry.capture:
            raise _FirstNames(str(text))
        if item.key in entry.substituted:
            substitute = self.get_root().bibliography.get("subsequent-author-substitute")
            return self.preformat(substitute)
        return text

    process.__doc__ = _names_process.__doc__
    model.Names.process = process


substitute_author()


_SUBSTITUTED_VARIABLES = "variables"
"""The key of a layout's ``repressed`` table under which :func:`suppress_substituted` keeps the
variables a ``cs:substitute`` used."""

_add_to_repressed = model.Substitute.add_to_repressed_list


def suppress_substituted() -> None:
    """Fix: citeproc-py 0.11.1 suppresses a variable that ``cs:substitute`` rendered only where
    a ``cs:text`` prints it again, so an editor who stands in for the missing author is named
    twice: "McAuliffe, M. (ed.) (2016) ... Edited by M. McAuliffe." (Harvard, APA, MLA,
    Vancouver). CSL and citeproc-js suppress a substituted variable in the rest of the output,
    ``cs:names`` included.

    ``Substitute.add_to_repressed_list`` is wrapped once to also note each name variable the
    substituting ``cs:names`` has, and ``Names.process`` to leave the noted variables out of
    a later ``cs:names`` (rendering nothing when none remain)."""
    if getattr(model.Names.process, "suppresses", False):
        return
    inner = model.Names.process

    def add_to_repressed_list(self: model.Substitute, child: Any, context: Any) -> None:
        _add_to_repressed(self, child, context)
        if isinstance(child, model.Names):
            noted = context.get_layout().repressed.setdefault(_SUBSTITUTED_VARIABLES, set())
            noted.update(child.get("variable", "").split())

    def process(self: model.Names, item: Any, names_context: Any = None, context: Any = None,
                **kwargs: Any) -> Any:
        noted = _noted(context if context is not None else self)
        variables = self.get("variable", "")
        kept = [v for v in variables.split() if v not in noted]
        if not noted or len(kept) == len(variables.split()):
            return inner(self, item, names_context, context, **kwargs)
        if not kept:
            raise model.VariableError
        self.set("variable", " ".join(kept))
        try:
            return inner(self, item, names_context, context, **kwargs)
        finally:
            self.set("variable", variables)

    process.__doc__ = inner.__doc__
    process.suppresses = True  # type: ignore[attr-defined]
    model.Substitute.add_to_repressed_list = add_to_repressed_list
    model.Names.process = process


def _noted(context: Any) -> set[str]:
    """The variables substituted so far in the layout that ``context`` renders in."""
    try:
        repressed = context.get_layout().repressed
    except (IndexError, AttributeError):  # a names element outside a layout (sort keys)
        return set()
    return repressed.get(_SUBSTITUTED_VARIABLES, set()) if repressed else set()


suppress_substituted()


_SUBSTITUTE_NAMES = "./ancestor::cs:substitute[1]/parent::cs:names[1]"


def inherit_names_in_substitute() -> None:
    """Fix: citeproc-py 0.11.1 gives only the ``cs:names`` that are children of
    ``cs:substitute`` the ``cs:name`` and ``cs:label`` of the names element substituted for,
    so one inside a ``cs:choose`` there (Chicago's editor, tried unless the item is a
    ``standard``) is rendered with a default name and no label, and is not suppressed after:
    "M. McAuliffe. 2016. ... Edited by Marie McAuliffe." CSL gives every ``cs:names`` without
    a ``cs:name`` in ``cs:substitute`` those of the original, and citeproc-js renders it so:
    "McAuliffe, Marie, ed. 2016. ..."

    ``Names.process`` is wrapped once: such a names element is rendered in the context of the
    names element it substitutes for, and the variables it rendered are suppressed in the
    rest of the entry as :func:`suppress_substituted` suppresses those of a direct child."""
    if getattr(model.Names.process, "inherits_in_substitute", False):
        return
    inner = model.Names.process

    def process(self: model.Names, item: Any, names_context: Any = None, context: Any = None,
                **kwargs: Any) -> Any:
        original = None
        if names_context is None and self.name is None:
            found = self.xpath_search(_SUBSTITUTE_NAMES)
            original = found[0] if found else None
        text = inner(self, item, original if original is not None else names_context, context,
                     **kwargs)
        if original is not None and text:
            try:
                repressed = (context if context is not None else self).get_layout().repressed
            except (IndexError, AttributeError):  # outside a layout (sort keys)
                return text
            repressed.setdefault(_SUBSTITUTED_VARIABLES, set()).update(
                v for v in self.get("variable", "").split()
                if v.replace("-", "_") in item.reference)
        return text

    process.__doc__ = inner.__doc__
    process.inherits_in_substitute = True  # type: ignore[attr-defined]
    model.Names.process = process


inherit_names_in_substitute()


def first_names(parsed: ParsedStyle, bibliography: CitationStylesBibliography) -> set[str]:
    """The keys of the sorted ``bibliography``'s entries whose first names repeat those of the
    entry before (:func:`substitute_author`); empty unless the style asks for a substitute with
    the ``complete-all`` rule."""
    global _entry
    element = parsed.style.root.bibliography
    if element is None or not element.get("subsequent-author-substitute") or \
            element.get("subsequent-author-substitute-rule", "complete-all") != "complete-all":
        return set()
    found: set[str] = set()
    previous = None
    layout = element.layout  # held: lxml forgets a proxy's attributes (repressed) without it
    try:
        for item in bibliography.items:
            _entry = _Entry(item.key, set(), capture=True)
            layout.repressed = {}
            try:
                layout.render_children(item)
                names = None
            except _FirstNames as signal:
                names = signal.text
            if names is not None and names == previous:
                found.add(item.key)
            previous = names
    finally:
        _entry = None
    return found


# --------------------------------------------------------------------------- names

_initialize = model.Name.initialize
_GIVEN_WORD = re.compile(r"[^\s.]+\.?")
_INITIAL = re.compile(r"[^\W\d_]\.?")


def keep_given_names() -> None:
    """Fix: citeproc-py 0.11.1 ignores ``initialize="false"`` on ``cs:name``, so Chicago and MLA,
    which inherit an ``initialize-with`` from the style but set ``initialize="false"`` for the
    bibliography, print "Jobe, A." for "Jobe, Alison". In CSL and citeproc-js the given names
    are then kept, and only initials already in them get the ``initialize-with`` mark
    ("James T Kirk" with "." is "James T. Kirk").

    ``Name.initialize`` is wrapped once: with ``initialize="false"`` (on the name element, the
    only place CSL 1.0.2 allows it) a given name is returned with its one-letter words marked
    ("L.M." is "L. M.") and the rest as it is."""
    if model.Name.initialize is not _initialize:
        return

    def initialize(self: model.Name, given: Any, mark: str, context: Any) -> Any:
        if self.get("initialize", "true").lower() != "false":
            return _initialize(self, given, mark, context)
        words = _GIVEN_WORD.findall(str(given))
        return " ".join(f"{word[0]}{mark.rstrip()}" if _INITIAL.fullmatch(word) else word
                        for word in words)

    initialize.__doc__ = _initialize.__doc__
    model.Name.initialize = initialize


keep_given_names()


_name_process = model.Name.process
_NAME_SCOPE = "./ancestor::*[self::cs:citation or self::cs:bibliography][1]"


def join_institutions_as_citeproc_js() -> None:
    """Fix: citeproc-py 0.11.1 puts the delimiter before "and" by the ``delimiter-precedes-last``
    of ``cs:name`` whatever the names are, so APA, Chicago and MLA (``"always"``) join two
    corporate authors "International Organization for Migration, and Swiss Red Cross".
    citeproc-js joins a list whose last name is an institution (a ``literal`` name) with the
    "and" of the ``cs:institution`` it adds after each ``cs:name``: that element takes
    ``and`` and ``delimiter`` from ``cs:name`` but not ``delimiter-precedes-last``, which it
    inherits from the citation, bibliography or style, by default ``contextual`` (a
    delimiter before "and" from three names on): "International Organization for Migration
    and Swiss Red Cross", "A, B, and C".

    ``Name.process`` is wrapped once: for a variable whose last name is literal it is asked
    with that inherited option (handed as a sort option, which ``Name.get_option`` reads
    first). ``after-inverted-name``, which citeproc-py does not know, is left as it is."""
    if model.Name.process is not _name_process:
        return

    def process(self: model.Name, item: Any, variable: str, context: Any = None,
                sort_options: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        names = item.reference.get(variable, [])
        options = sort_options or {}
        if (not names or "literal" not in names[-1] or "delimiter-precedes-last" in options
                or self.get("delimiter-precedes-last") == "after-inverted-name"):
            return _name_process(self, item, variable, context, sort_options, **kwargs)
        scope = (context if context is not None else self).xpath_search(_NAME_SCOPE)[0]
        inherited = scope.get_option("delimiter-precedes-last")
        if inherited == "after-inverted-name":
            inherited = "contextual"  # citeproc-js's institution knows only always and never
        return _name_process(self, item, variable, context,
                             {**options, "delimiter-precedes-last": inherited}, **kwargs)

    process.__doc__ = _name_process.__doc__
    model.Name.process = process


join_institutions_as_citeproc_js()



# --------------------------------------------------------------------------- dates and labels

_render_single_date = model.Date.render_single_date


def join_localized_dates() -> None:
    """Fix: citeproc-py 0.11.1 joins the parts of a localized date (``<date form="text"/>``)
    with the delimiter of the ``cs:date`` that calls it, which CSL does not let carry one, so
    the ``delimiter=" "`` of the localized format is lost: Vancouver's "2015Dec" for
    citeproc-js's "2015 Dec". The localized format's own delimiter joins them.

    ``Date.render_single_date`` is replaced once by the same steps with that delimiter."""
    if model.Date.render_single_date is not _render_single_date:
        return

    def render_single_date(self: model.Date, date: Any, show_parts: Any = None,
                           context: Any = None) -> Any:
        parts = (self.parts(date, show_parts, context) if context != self
                 else self.parts(date, show_parts))
        return self.join(parts) if parts else None

    render_single_date.__doc__ = _render_single_date.__doc__
    model.Date.render_single_date = render_single_date


join_localized_dates()


_is_plural = model.Label._is_plural


def count_pages_for_labels() -> None:
    """Fix: citeproc-py 0.11.1 reads a ``number-of-*`` variable for a label's plural from the
    citation item instead of the item's data, fails, and drops the label: Vancouver's "220."
    for citeproc-js's "220 p.". ``Label._is_plural`` is wrapped once to read the value from
    the item's data (plural when it is a number above 1, or several numbers)."""
    if model.Label._is_plural is not _is_plural:
        return

    def is_plural(self: model.Label, item: Any) -> bool:
        variable = self.get("variable") or ""
        if not variable.startswith("number-of"):
            return _is_plural(self, item)
        try:
            value = str(item.reference[variable.replace("-", "_")])
        except model.VariableError:
            return False
        if value.strip().isdigit():
            return int(value) > 1
        return self.RE_MULTIPLE_NUMBERS.search(value) is not None

    is_plural.__doc__ = _is_plural.__doc__
    model.Label._is_plural = is_plural


count_pages_for_labels()


# --------------------------------------------------------------------------- text case

SKIP_WORDS = (
    "about", "above", "across", "afore", "after", "against", "al", "along", "alongside", "amid",
    "amidst", "among", "amongst", "anenst", "apropos", "apud", "around", "as", "aside",
    "astride", "at", "athwart", "atop", "barring", "before", "behind", "below", "beneath",
    "beside", "besides", "between", "beyond", "but", "by", "circa", "despite", "down", "during",
    "et", "except", "for", "forenenst", "from", "given", "in", "inside", "into", "lest", "like",
    "modulo", "near", "next", "notwithstanding", "of", "off", "on", "onto", "out", "over",
    "per", "plus", "pro", "qua", "sans", "since", "than", "through", " thru", "throughout",
    "thruout", "till", "to", "toward", "towards", "under", "underneath", "until", "unto", "up",
    "upon", "versus", "vs.", "v.", "vs", "v", "via", "vis-à-vis", "with", "within", "without",
    "according to", "ahead of", "apart from", "as for", "as of", "as per", "as regards",
    "aside from", "back to", "because of", "close to", "due to", "except for", "far from",
    "inside of", "instead of", "near to", "next to", "on to", "out from", "out of",
    "outside of", "prior to", "pursuant to", "rather than", "regardless of", "such as",
    "that of", "up to", "where as", "or", "yet", "so", "for", "and", "nor", "a", "an", "the",
    "de", "d'", "von", "van", "c", "ca")
"""citeproc-js's ``CSL.SKIP_WORDS``, the words its title case leaves in lower case (as it has
them, " thru" included; the entries of two words can never match one word)."""

_SKIP_WORD = re.compile(r"(?:(?:[?!:]*\s+|-|^)(?:" + "|".join(SKIP_WORDS)
                        + r")(?=[!?:]*\s+|-|\Z))")
_NOCASE_OPEN, _NOCASE_CLOSE = "\ue000", "\ue001"
"""Stand-ins for ``<span class="nocase">`` and ``</span>`` around citeproc-py's case-protected
segments while :func:`js_title_case` works."""
_CASE_TAG = re.compile(
    "\u2018|\u2019|\u201c|\u201d| \"| '|\"|'|[-\u2013\u2014/.,;?!:]|\\[|\\]|\\(|\\)"
    "|<span\\s+style=\"font-variant:\\s*small-caps;?\"[^>]*>|<span\\s+class=\"no(?:case|decor)\"[^>]*>"
    f"|</span>|</?(?:i|sc|b|sub|sup)>|{_NOCASE_OPEN}|{_NOCASE_CLOSE}")
_WORD_SPACE = re.compile("[\u00a0\u0020\u2000-\u200b\u205f\u3000]+")
_QUOTE_TAG = re.compile("(^(?:\u2018|\u2019|\u201c|\u201d|\"|')|(?: \"| ')$)")
_QUOTES = {" \"": (" '", "\""), " '": (" \"", "'"), "\u2018": ("\u2018", "\u2019"),
           "\u201c": ("\u201c", "\u201d")}
"""Each opening quotation tag and the (opener, closer) pair it expects next."""


def _protecting(tag: str) -> str | None:
    """The closing tag of a tag within which citeproc-js changes no case, or None."""
    if tag == _NOCASE_OPEN:
        return _NOCASE_CLOSE
    if tag.startswith("<span"):
        return "</span>"
    return {"<sc>": "</sc>", "<sub>": "</sub>", "<sup>": "</sup>"}.get(tag)


def _js_length(text: str) -> int:
    """The length of ``text`` in JavaScript (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _TitleCase:
    """The state of citeproc-js's ``_textcaseEngine`` running its ``title`` configuration over
    one text: the text as a list of characters that capitalization replaces one by one, so that
    the characters can be given back to the segments they came from."""

    chars: list[str]
    original: list[str]
    strings: list[tuple[int, int]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    quotes: list[tuple[str, str, int | None]] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    first: bool = True
    after_punctuation: bool = False
    last_word: tuple[int, int] | None = None

    def text(self, span: tuple[int, int]) -> str:
        return "".join(self.chars[span[0]:span[1]])

    def words(self, span: tuple[int, int]) -> list[tuple[int, int]]:
        """The spans of the words of a string, empty ones included (JavaScript's split)."""
        start, end = span
        found, at = [], start
        for match in _WORD_SPACE.finditer("".join(self.original[start:end])):
            found.append((at, start + match.start()))
            at = start + match.end()
        return [*found, (at, end)]

    def capitalize(self, span: tuple[int, int]) -> None:
        """citeproc-js's ``_capitalise``: the first character after any white space in upper
        case, unless it is a Greek letter standing alone."""
        word = self.text(span)
        match = re.match(r"(\s*)(.)(.*)", word)
        if match is None or ("\u0370" <= match.group(2) <= "\u03ff" and not match.group(3)):
            return
        at = span[0] + len(match.group(1))
        self.chars[at] = self.chars[at][0].upper() + self.chars[at][1:]

    def restore(self, index: int) -> None:
        """The first character of string ``index`` as it was given."""
        start, end = self.strings[index]
        if start < end:
            self.chars[start] = self.original[start]

    def capitalize_words(self, index: int, following: str | None) -> None:
        """citeproc-js's title ``capitaliseWords`` over string ``index``."""
        span = self.strings[index]
        if not self.text(span).strip():
            return
        words = self.words(span)
        for number, word_span in enumerate(words):
            word = self.text(word_span)
            if not word:
                continue
            lower = word.lower()
            capitalize = ((_js_length(word) > 1 and not _SKIP_WORD.search(lower))
                          or (number == len(words) - 1 and following == "-")
                          or self.first or self.after_punctuation)
            if capitalize and word == lower:
                self.capitalize(word_span)
            self.after_punctuation = self.first = False
            self.last_word = (index, number)

    def quote(self, tag: str, position: int) -> int | None:
        """citeproc-js's ``quoteFix``: the string whose first character is to be restored
        after a quotation tag (one that closes nothing, or an opener that breaks another)."""
        match = _QUOTE_TAG.search(tag)
        if match is None:
            return None
        tag = match.group(1)
        if tag in ("\u201c", "\u2018", " \"", " '"):
            opener, closer = _QUOTES[tag]
            if not self.quotes or tag == self.quotes[-1][0]:
                self.quotes.append((opener, closer, position))
                return None
            before = self.quotes.pop()[2]
            self.quotes.append((opener, closer, None))  # citeproc-js loses its position
            return before
        if self.quotes and tag == self.quotes[-1][1]:
            self.quotes.pop()
            return None
        return position

    def run(self) -> None:
        """citeproc-js's ``_textcaseEngine`` with the ``title`` configuration."""
        if self.strings and self.text(self.strings[0]).strip():
            # citeproc-js passes the following tag only here, its other calls pass the
            # whole split instead, so only a first string is capitalized before a hyphen
            self.capitalize_words(0, self.tags[0] if self.tags else None)
        for position, tag in enumerate(self.tags):
            given = self.text(self.strings[position + 1])
            closing = _protecting(tag)
            if closing is not None:
                self.protected.append(closing)
            elif self.protected and tag == self.protected[-1]:
                self.protected.pop()
            if tag[-1:] in ("!", "?", ":"):
                self.after_punctuation = True
            if not self.protected:
                self.capitalize_words(position + 1, None)
            elif given.strip():
                self.last_word = None
            restored = self.quote(tag, position)
            if restored is not None:
                self.restore(restored + 1)
                self.last_word = None
            if given.strip():
                self.first = self.after_punctuation = False
        for _, _, position in self.quotes:
            if position is not None:
                self.restore(position + 1)
        if self.last_word is not None:
            index, number = self.last_word
            span = self.words(self.strings[index])[number]
            word = self.text(span)
            if _js_length(word) > 1 and _SKIP_WORD.search(word.lower()):
                self.capitalize(span)

    @classmethod
    def of(cls, text: str) -> _TitleCase:
        """The engine over ``text`` split as citeproc-js's ``tagDoppel`` splits it (an
        apostrophe that starts a word stays in it)."""
        engine = cls(chars=list(text), original=list(text))
        at = 0
        for match in _CASE_TAG.finditer(text):
            engine.strings.append((at, match.start()))
            engine.tags.append(match.group())
            at = match.end()
        engine.strings.append((at, len(text)))
        for position, tag in enumerate(engine.tags):
            start, end = engine.strings[position + 1]
            if tag == "'" and start < end:
                engine.strings[position + 1] = (start - 1, end)
                engine.tags[position] = ""
        return engine


def js_title_case(segments: list[tuple[str, bool]]) -> list[str]:
    """``segments`` (text, case-protected) in citeproc-js's title case, segment by segment
    (:func:`_title_cased`, remembered for the last texts cased: a title is cased for its
    entry and again for a sort key)."""
    return list(_title_cased(tuple(segments)))


@functools.lru_cache(maxsize=1 << 15)
def _title_cased(segments: tuple[tuple[str, bool], ...]) -> tuple[str, ...]:
    """``segments`` (text, case-protected) in citeproc-js's title case, segment by segment.

    Every word that is not one of :data:`SKIP_WORDS` and has more than one character gets a
    capital first letter if it has none anywhere; so does a skip word that is first, follows
    ``:``, ``?`` or ``!``, or ends the text. Words are what lies between white space and the
    tags of citeproc-js's case engine (hyphens, dashes, slashes, punctuation, brackets, quotes
    and markup), so "re-trafficking" is "Re-Trafficking"; no letter is lowered; a
    case-protected segment, small capitals, superscripts and subscripts are left alone, and so
    is a word after an apostrophe or a quotation mark that closes nothing."""
    chars, owners = [], []
    for number, (text, protected) in enumerate(segments):
        marked = f"{_NOCASE_OPEN}{text}{_NOCASE_CLOSE}" if protected else text
        chars.extend(marked)
        owners.extend([number] * len(marked))
    engine = _TitleCase.of("".join(chars))
    engine.run()
    out = [""] * len(segments)
    for char, owner, given in zip(engine.chars, owners, chars, strict=True):
        if given not in (_NOCASE_OPEN, _NOCASE_CLOSE):
            out[owner] += char
    return tuple(out)


_case = model.TextCased.case


def title_case_as_citeproc_js() -> None:
    """Fix: citeproc-py 0.11.1's ``text-case="title"`` capitalizes each word of its own 26
    stop words, splitting words at white space only, and lowers the stop words: "High-level
    Dialogue", "Communicating Effectively About Migration". citeproc-js (the CSL
    specification leaves the details to the processor) capitalizes after hyphens and other
    punctuation, keeps its longer list of prepositions in lower case, never lowers a letter
    and leaves case-protected text alone (:func:`js_title_case`): "High-Level Dialogue",
    "Communicating Effectively about Migration", "Migrations et Faits Religieux".

    ``TextCased.case`` is wrapped once: title case, where citeproc-py applies it (to English
    text; the language compared in lower case, as citeproc-js does), is :func:`js_title_case`
    over the text's segments; every other case is citeproc-py's."""
    if model.TextCased.case is not _case:
        return

    def case(self: Any, text: Any, language: str | None = None) -> Any:
        if self.get("text-case") != "title" or (language or "").lower() != "en":
            return _case(self, text, language)
        parts = list(text) if isinstance(text, citeproc_string.MixedString) else [text]
        cased = js_title_case([(str(part), isinstance(part, citeproc_string.NoCase))
                               for part in parts])
        rebuilt = [part if str(part) == new else
                   type(part)(new) if isinstance(part, citeproc_string.String)
                   else citeproc_string.String(new)
                   for part, new in zip(parts, cased, strict=True)]
        if isinstance(text, citeproc_string.MixedString):
            return citeproc_string.MixedString(rebuilt)
        return rebuilt[0]

    case.__doc__ = _case.__doc__
    model.TextCased.case = case


title_case_as_citeproc_js()

_label_markup = model.Label.markup


def title_case_labels() -> None:
    """Fix: citeproc-py 0.11.1 applies ``text-case="title"`` only to text it knows to be
    English, and a ``cs:label`` passes no language, so APA's name labels stay lower case:
    "(International Institute of Humanitarian Law, organizer)", "(eds.)". A label is a term
    of the style's locale, not text of the item, and citeproc-js title-cases it: "Organizer",
    "Eds." (fr-FR: "Organisateur").

    ``Label.markup`` is replaced once by citeproc-py's own steps (strip periods, case,
    format, affixes) with the case applied as to English text."""
    if model.Label.markup is not _label_markup:
        return

    def markup(self: model.Label, text: Any) -> Any:
        if not text:
            return None
        return self.wrap(self.format(self.case(self.strip_periods(text), "en")))

    markup.__doc__ = _label_markup.__doc__
    model.Label.markup = markup


title_case_labels()


# --------------------------------------------------------------------------- punctuation


class _CloseQuote(citeproc_string.String):
    """A closing quotation mark that a following comma or period moves in front of
    (:func:`put_punctuation_in_quotes`)."""


_quote = model.Quoted.quote
_mixed_add = citeproc_string.MixedString.__add__


def put_punctuation_in_quotes() -> None:
    """Fix: citeproc-py 0.11.1 reads the locale's ``punctuation-in-quote`` option and does
    nothing with it, so en-US output has ``“Title”,`` where citeproc-js (and CSL) puts a
    comma or period that follows a closing quotation mark inside it: ``“Title,”``.

    ``Quoted.quote`` is wrapped once to end a quoted text with a :class:`_CloseQuote` mark when
    the locale asks for it, and ``MixedString.__add__`` (every delimiter, suffix and sibling
    is appended through it) to move a leading ``,`` or ``.`` of what is appended in front of
    that mark; a period after a quoted text that already ends with ``.``, ``?`` or ``!`` is
    dropped, as citeproc-js does."""
    if model.Quoted.quote is not _quote:
        return

    def quote(self: Any, string: Any) -> Any:
        if (self.get("quotes", "false").lower() != "true"
                or self.get_locale_option("punctuation-in-quote").lower() != "true"):
            return _quote(self, string)
        opening = self.get_single_term(name="open-quote")
        closing = self.get_single_term(name="close-quote")
        return opening + string + _CloseQuote(str(closing))

    def add(self: citeproc_string.MixedString, other: Any) -> Any:
        last = list.__getitem__(self, -1) if list.__len__(self) else None
        text = str(other)
        if type(last) is not _CloseQuote or text[:1] not in (",", "."):
            return _mixed_add(self, other)
        head = citeproc_string.MixedString(list.__getitem__(self, slice(None, -1)))
        if text[0] == "." and str(head)[-1:] in ("?", "!"):
            moved = _mixed_add(head, last)  # “What?”. is “What?”
        else:
            moved = _mixed_add(_mixed_add(head, citeproc_string.String(text[0])), last)
        rest = citeproc_string._strip_first_char(other)
        return _mixed_add(moved, rest) if str(rest) else moved

    quote.__doc__ = _quote.__doc__
    add.__doc__ = _mixed_add.__doc__
    model.Quoted.quote = quote
    citeproc_string.MixedString.__add__ = add


put_punctuation_in_quotes()


# --------------------------------------------------------------------------- sorting

_FOLDED = {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "æ": "ae", "œ": "oe", "ß": "ss"}
"""Letters that citeproc-js's collation (ICU, base strength) counts as others, and that no
Unicode decomposition gives."""
_IGNORED = ("Cc", "Cf", "Mn", "Me")
"""The Unicode categories that citeproc-js's collation ignores besides punctuation and spaces
(``ignorePunctuation``): controls and format characters, and accents (base strength)."""
_AFTER = {"ı": "i"}
_AFTER_IN = {"es": {"ñ": "n"}}
"""Letters that sort right after another (in every language, and in one)."""

CollationKey = tuple[tuple[int, ...], ...]


@functools.lru_cache(maxsize=1 << 16)
def collation_key(text: str, language: str = "en") -> CollationKey:
    """A key that orders texts as citeproc-js compares sort keys: lower-cased,
    ``localeCompare`` with ``sensitivity: "base"``, ``ignorePunctuation: true`` and
    ``numeric: true`` (ICU): case, accents, spaces and punctuation count for nothing, a run of
    digits counts as its number, and symbols come before numbers, numbers before letters.
    Dotless ``ı`` is a letter of its own after ``i``, and in Spanish ``ñ`` one after ``n``; no
    other tailoring of a language is made. (Keys repeat, as authors do: they are kept.)"""
    key: list[tuple[int, ...]] = []
    number: list[int] = []
    table = _collation_table(language)
    for whole in unicodedata.normalize("NFC", text.lower()):
        parts = table.get(whole)
        if parts is None:
            parts = table[whole] = _collation_parts(whole, language)
        for part in parts:
            if part.__class__ is int:
                number.append(part)
                continue
            if number:
                key.append((1, int("".join(map(str, number)))))
                number.clear()
            if part:
                key.append(part)
    if number:
        key.append((1, int("".join(map(str, number)))))
    return tuple(key)


@functools.cache
def _collation_table(language: str) -> dict[str, tuple[Any, ...]]:
    """The :func:`_collation_parts` of each character met so far in ``language``."""
    return {}


def _collation_parts(whole: str, language: str) -> tuple[Any, ...]:
    """What a (lower-case, composed) character adds to a collation key: a digit (an ``int``,
    part of a number), an element of the key, or ``()`` for an ignored character (which ends
    a number without adding anything)."""
    after = _AFTER_IN.get(language, {}).get(whole) or _AFTER.get(whole)
    if after:
        return ((2, ord(after), 1),)
    parts: list[Any] = []
    for char in unicodedata.normalize("NFKD", whole).lower():
        digit = unicodedata.digit(char, None)
        category = unicodedata.category(char)
        if digit is not None:
            parts.append(digit)
        elif category[0] in ("P", "Z") or category in _IGNORED:
            parts.append(())
        elif category[0] == "S":
            parts.append((0, ord(char)))
        else:
            parts.extend((2, ord(c), 0) for c in _FOLDED.get(char, char))
    return tuple(parts)


_key_dates: list[str] | None = None
"""The dates rendered so far in the macro sort key being rendered (:func:`sort_dates_as_dates`),
None outside one."""

_sort_keys = model.Key.sort_keys
_date_process = model.Date.process


def sort_dates_as_dates() -> None:
    """Fix: citeproc-py 0.11.1 renders a date in a macro sort key as it prints it, so Harvard's
    ``year-date`` key sorts "2009–2010a" by its text. citeproc-js renders every date of a
    macro sort key as its sortable digits (:func:`date_sort_string`: "120090000120100000")
    and, in a key whose macro itself holds a ``cs:date``, nothing else (not the year suffix,
    not "n.d.": an item without the date gets an empty key, which sorts last).

    ``Key.sort_keys`` is wrapped once to render a macro key item by item with the dates
    noted, and ``Date.process`` to give those sortable digits while a key is rendered."""
    if model.Key.sort_keys is not _sort_keys:
        return

    def sort_keys(self: model.Key, items: list[Any], context: Any) -> list[Any]:
        global _key_dates
        if "macro" not in self.attrib:
            return _sort_keys(self, items, context)
        own_date = bool(self.get_macro(self.get("macro")).xpath_search(".//cs:date"))
        keys = []
        for item in items:
            _key_dates = []
            try:
                [text] = _sort_keys(self, [item], context)
            finally:
                dates, _key_dates = _key_dates, None
            keys.append(("".join(dates) or None) if own_date else text)
        return keys

    def process(self: model.Date, item: Any, variable: str | None = None,
                show_parts: Any = None, context: Any = None, **kwargs: Any) -> Any:
        if _key_dates is None or self.is_locale_date():
            return _date_process(self, item, variable, show_parts, context, **kwargs)
        form = self.get("form")
        parts = (self.get("date-parts", "year-month-day").split("-") if form is not None
                 else [part.get("name") for part in self.iterchildren()])
        value = item.reference[(variable or self.get("variable")).replace("-", "_")]
        text = date_sort_string(value, parts)
        if text:
            _key_dates.append(text)
        return citeproc_string.String(text) if text else None

    sort_keys.__doc__ = _sort_keys.__doc__
    process.__doc__ = _date_process.__doc__
    model.Key.sort_keys = sort_keys
    model.Date.process = process


def date_sort_string(value: Any, parts: list[str]) -> str:
    """A date as citeproc-js sorts it in a macro key (``CSL.dateAsSortKey``): for its start
    and its end, "1" and the year in four digits (a year before the era: "0" and 9999 less
    it), the month and the day in two, zeros where the date or the style's ``parts`` have
    none: 2009-2010 with the year only is "120090000120100000"; "" for a date without a
    year (a literal one)."""
    if isinstance(value, citeproc.source.DateRange):
        begin, end = value.begin, value.get("end")
    else:
        begin, end = value, None
    year = getattr(begin, "get", lambda *_: None)("year")
    if not year:
        return ""
    text = ""
    for date in (begin, end):
        values = [int(date.get(name, 0) or 0) if date is not None and name in parts else 0
                  for name in ("year", "month", "day")]
        year, month, day = values
        text += f"0{9999 - abs(year):04}" if year < 0 else f"1{year:04}"
        text += f"{month:02}{day:02}"
    return text


sort_dates_as_dates()


def _abbreviates(element: model.Name, count: int, context: Any,
                 sort_options: dict[str, Any] | None) -> bool:
    """Whether citeproc-py's ``Name.process`` abbreviates a list of ``count`` names with et-al
    under these options (``et-al-min`` set, and reached by two or more names)."""
    least = element.get_option("et-al-min", context, sort_options)
    return count > 1 and bool(least) and count >= least


def sort_names_as_citeproc_js() -> None:
    """Fix: citeproc-py 0.11.1 renders the names of a macro sort key as it prints them, with
    the "and" term: "International Organization for Migration and Swiss Red Cross" sorts as
    "...Migration and Swiss" (before "...Migration. Global ..."). citeproc-js joins the names
    of a sort key with the name delimiter only ("...Migration, Swiss Red Cross").

    ``Name.process`` is wrapped once to render without ``and`` while a macro sort key is
    rendered (:func:`sort_dates_as_dates` notes when; citeproc-py's own sort options are lost
    at the first ``cs:text`` that calls a macro).

    The names that et-al abbreviation leaves out are left out of the key with their "et al."
    too, as citeproc-js does: MLA sorts "Smith, John, et al." as "Smith, John", so before
    "Smith, John" if its title comes first."""
    if getattr(model.Name.process, "sorts_as_citeproc_js", False):
        return
    inner = model.Name.process

    def process(self: model.Name, item: Any, variable: str, context: Any = None,
                sort_options: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if _key_dates is None:
            return inner(self, item, variable, context, sort_options, **kwargs)
        sort_options = {**(sort_options or {}), "and": None}
        names = item.reference.get(variable, [])
        if (_abbreviates(self, len(names), context, sort_options)
                and self.get_option("form", context, sort_options) != "count"
                and not self.get_option("et-al-use-last", context, sort_options)):
            shown = names[:self.get_option("et-al-use-first", context, sort_options)]
            item, sort_options["et-al-min"] = _Renamed(item, variable, shown), 0
        return inner(self, item, variable, context, sort_options, **kwargs)

    process.__doc__ = inner.__doc__
    process.sorts_as_citeproc_js = True  # type: ignore[attr-defined]
    model.Name.process = process


sort_names_as_citeproc_js()


_MARKUP = re.compile(r"</?[a-z][^>]*>")
_sort = model.Sort.sort


def collate_sort_keys() -> None:
    """Fix: citeproc-py 0.11.1 compares sort keys character by character (lower-cased, or as
    integers), so a space or a full stop decides: "International Organization for Migration,
    Swiss Red Cross" sorts before "International Organization for Migration. Regional
    Office" ("," before "."), and an accented letter after "z". citeproc-js compares them with
    the locale's collation, ignoring case, accents and punctuation (:func:`collation_key`):
    "...Migration Regional Office" before "...Migration Swiss Red Cross".

    ``Sort.sort`` is replaced once by the same multi-key sort (a key that is missing goes
    last; items that tie stay in the order they were registered) comparing keys by the
    collation keys of their text, without the output format's markup (HTML and Markdown
    render sort keys with it)."""
    if model.Sort.sort is not _sort:
        return

    def sort(self: model.Sort, items: list[Any], context: Any) -> list[Any]:
        language = _language(self.get_root())
        markup = self.get_formatter() is not FORMATTERS["text"]
        keys = self.findall("cs:key", self.nsmap)
        columns = [[_comparable(k, language, markup) for k in key.sort_keys(items, context)]
                   for key in keys]
        rows = [[column[n] for column in columns] for n in range(len(items))]
        return [items[n] for n in _ranked(rows, _descending(keys))]

    sort.__doc__ = _sort.__doc__
    model.Sort.sort = sort


def _comparable(key: Any, language: str, markup: bool) -> CollationKey | None:
    """A sort key as :func:`collate_sort_keys` compares it: None for none or an empty one,
    else the collation key of its text as citeproc-js makes it, each space and the end marked
    with its ``sort_sep`` "|" (a symbol, so not ignored: "Migrant Smuggling" sorts before
    "Migrants and"); a number, or a date's digits, is a number in it."""
    text = "" if key is None else str(key)
    if markup:
        text = html.unescape(_MARKUP.sub("", text))
    if not text:
        return None
    return collation_key(text.replace(" ", "|") + "|", language)


def _language(root: Any) -> str:
    """The language of the style's locale (``en``, ``fr``, ``es`` ...)."""
    for locale in getattr(root, "locales", ()):
        lang = locale.get("{http://www.w3.org/XML/1998/namespace}lang")
        if lang:
            return lang.split("-")[0].lower()
    return "en"


collate_sort_keys()


# --------------------------------------------------------------------------- disambiguation

DISAMBIGUATED = "iombib_disambiguated"
"""The attribute of a bibliography that holds the keys of the items whose ``disambiguate``
condition is true (:func:`teach_disambiguate_condition`)."""

CONSULTED = "iombib_consulted"
"""The attribute of a bibliography that, when set, collects the keys of the items whose
rendering came to a ``disambiguate`` test: only those can render otherwise once flagged."""

_choose_render = model.Choose.render


def teach_disambiguate_condition() -> None:
    """Fix: citeproc-py 0.11.1 ignores the ``disambiguate="true"`` test of ``cs:if`` and
    ``cs:else-if`` (a TODO in ``If.render``), so a branch that only that test guards is always
    taken (MLA adds the title to every in-text citation). In CSL and citeproc-js the test is
    true only for an item whose citation stays ambiguous after the other disambiguation steps.

    ``Choose.render`` is replaced, once, by one that decides the ``disambiguate`` test of each
    branch before the branch's own ``render`` tests the rest (``If.render`` is left alone, so
    other patches of it keep working): the test is true for the keys in the bibliography's
    :data:`DISAMBIGUATED` set (filled by :func:`disambiguate`), and combined with the other
    tests by the branch's ``match``: with ``all`` a false test skips the branch, with ``any`` a
    true one takes it, with ``none`` a true one skips it."""
    if model.Choose.render is not _choose_render:
        return

    def render(self: model.Choose, item: Any, context: Any = None, delimiter: str = "",
               **kwargs: Any) -> Any:
        plan = citeproc_speed.branch_plan(self, item)
        if plan is not None:  # no disambiguate test here, and the speed-ups decide
            for branch, test in plan:
                if test(item, context):
                    return branch.render_children(item, context=context, delimiter=delimiter,
                                                  **kwargs)
            return None
        for branch, disambiguates, test in _branches(self):
            verdict = _disambiguate_verdict(branch, item) if disambiguates else None
            if verdict is None and test is not None:
                verdict = test(item, context)
            if verdict is False:
                continue
            if verdict is True:
                return branch.render_children(item, context=context, delimiter=delimiter,
                                              **kwargs)
            try:
                return branch.render(item, context=context, delimiter=delimiter, **kwargs)
            except model.ConditionFailed:
                continue
        return None

    render.__doc__ = _choose_render.__doc__
    model.Choose.render = render


@citeproc_speed.memoized_property
def _branches(choose: model.Choose) -> tuple[tuple[Any, bool, Any], ...]:
    """Each branch of a ``cs:choose``, whether it has a ``disambiguate`` test, and how the
    speed-ups test the rest (:func:`citeproc_speed.tester`; None without them)."""
    return tuple((branch, "disambiguate" in branch.attrib, citeproc_speed.tester(branch))
                 for branch in citeproc_speed.children(choose))


def _disambiguate_verdict(branch: Any, item: Any) -> bool | None:
    """For a branch with a ``disambiguate`` test: True to take it, False to skip it, None when
    its other tests decide."""
    consulted = getattr(item.bibliography, CONSULTED, None)
    if consulted is not None:
        consulted.add(item.key)
    flagged = item.key in getattr(item.bibliography, DISAMBIGUATED, ())
    match = branch.get("match", "all")
    alone = not any(k not in ("disambiguate", "match") for k in branch.attrib)
    if match == "any":
        return True if flagged else (False if alone else None)
    if match == "none":
        return False if flagged else (True if alone else None)
    return (True if alone else None) if flagged else False


teach_disambiguate_condition()


def year_suffix(number: int) -> str:
    """The ``number``-th year suffix (1: ``a`` ... 26: ``z``, 27: ``aa``), as citeproc-js
    writes them."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


@dataclass
class _Draft:
    """A bibliography of the items as handed (no year suffixes), in plain text, every item
    registered by a citation of its own, with each citation as rendered alone."""

    bibliography: CitationStylesBibliography
    citations: list[Citation]
    cited: list[str]
    cache: RenderingCache = field(default_factory=RenderingCache)


# --------------------------------------------------------------------------- given names

GIVEN_NAMES = "iombib_given_names"
"""The attribute of a bibliography that holds its :class:`GivenNames`
(:func:`disambiguate_given_names`)."""

GIVENNAME_RULES = ("all-names", "all-names-with-initials", "primary-name",
                   "primary-name-with-initials", "by-cite")
"""The values of ``givenname-disambiguation-rule`` (CSL 1.0.2; ``by-cite`` is the default)."""


@dataclass
class GivenNames:
    """What given-name disambiguation decided for a bibliography: the style's ``rule``; the
    ``registry`` of the names registered (per family: each initials form, with the given
    names that have it), keyed as citeproc-js keys it, holding only the families met in
    several forms (for the global rules); the keys of the items (``clashing``) that have a
    name of such a family; and the given-name level each item's by-cite disambiguation
    ``requested``, per nameset (the n-th names variable a rendering of the item renders) and
    name position; for ``by-cite``, the ``local`` registry of each item that has names of
    one family in several forms (and is ``clashing``). A level is citeproc-js's: 0 the
    family name alone, 1 with initials, 2 with the given name."""

    rule: str
    demote_never: bool = False
    registry: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    clashing: set[str] = field(default_factory=set)
    requested: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict)
    local: dict[str, dict[str, dict[str, set[str]]]] = field(default_factory=dict)

    def level(self, name: Any, index: int, default: int, requested: int, marked: bool,
              local: dict[str, dict[str, set[str]]] | None = None) -> int:
        """The level a name at ``index`` in its list is rendered at, where the names
        element's own form gives ``default`` (``marked``: it has an ``initialize-with``) and
        by-cite disambiguation ``requested``, as citeproc-js's ``evalname`` and
        ``_givenName`` decide it.

        With ``by-cite``, citeproc-js's registry holds the names by item (``local``, given
        for a bibliography entry: the names its item registered so far), and is asked only
        where the level requested (in the bibliography, the citation's) is below the
        element's own: so never in a citation of short names, but in an entry, which names
        "Doe, John and Doe, Jane" for "Doe, J. and Doe, J."."""
        if self.rule == "by-cite":
            if local is None or requested >= default:
                return max(default, requested)
        elif self.rule.startswith("primary-name") and index:
            return default
        keys = _name_keys(name, self.demote_never)
        forms = (self.registry if local is None else local).get(keys[0]) if keys else None
        if not forms or keys[1] not in forms:
            return max(default, requested)
        if self.rule.endswith("-with-initials"):
            param = 1 if len(forms) > 1 else 0
        else:
            param = 1 if len(forms) > 1 else 0
            if len(forms[keys[1]]) > 1 or (len(forms) > 1 and not marked):
                param = 2
        return max(default, param, requested)

    def state_of(self, key: str, reference: Any) -> tuple[Any, ...] | None:
        """What the renderings of item ``key`` (its data ``reference``) read of this: its
        requested levels and the registry of its names' families (None when nothing of it
        applies to the item)."""
        if key not in self.clashing and key not in self.requested:
            return None
        if self.rule == "by-cite":
            registry = self.local.get(key, {})
        else:
            families = {_family_key(name, self.demote_never)
                        for variable in reference.keys() & _NAME_VARIABLES
                        for name in reference[variable]}
            registry = {family: self.registry[family] for family in families
                        if family in self.registry}
        return (tuple(sorted(self.requested.get(key, {}).items())),
                tuple(sorted((family, tuple(sorted((initials, tuple(sorted(given)))
                                                   for initials, given in forms.items())))
                             for family, forms in registry.items())))


_SPACES = re.compile(r"\s+")
_LOWER_TAIL = re.compile(r"[,!]* ([^,]+)$")
_GIVEN_TOKEN = re.compile(r"[^\s-]+|-")


def _without_periods(text: Any) -> str:
    """citeproc-js's ``strip_periods`` of the name registry: periods as spaces, runs of
    spaces as one, none at the end."""
    return _SPACES.sub(" ", str(text or "").replace(".", " ")).rstrip()


def _name_keys(name: Any, demote_never: bool) -> tuple[str, str, str] | None:
    """A personal name's keys in citeproc-js's name registry (``set_keys``): its family name
    (with its non-dropping particle when the style never demotes it), its given name's
    initials and its given name (a lowercase last part, such as a particle, dropped), without
    periods; None for a literal name or one without a family name. The initials are those
    of the given name's words, a word that begins in lowercase kept whole."""
    family = _family_key(name, demote_never)
    if family is None:
        return None
    given = _without_periods(name.get("given"))
    tail = _LOWER_TAIL.search(given)
    if tail and tail.group(1) == tail.group(1).lower():
        given = given[:tail.start()]
    initials = "".join(
        f" {token}" if token[0].islower() else (token if token == "-" else f"{token[0]}.")
        for token in _GIVEN_TOKEN.findall(given))
    return family, initials, given


def _family_key(name: Any, demote_never: bool) -> str | None:
    """The family key of :func:`_name_keys` (None for a literal name, or without a family)."""
    if "literal" in name or not name.get("family"):
        return None
    family = _without_periods(name["family"])
    particle = name.get("non-dropping-particle")
    return f"{family} {particle}" if demote_never and particle else family


class _Renamed:
    """A citation item whose names of one variable are others (all ``Name.process`` reads of
    an item)."""

    def __init__(self, item: Any, variable: str, names: list[Any]) -> None:
        self.key = item.key
        self.bibliography = item.bibliography
        self.reference = {variable: names}


_observed: dict[str, list[tuple[str, int, int, bool]]] | None = None
"""While :func:`disambiguate_given_names` observes renderings: per item key, the names
variables rendered, in order, each with the number of names shown, its default level and
whether its names element has an ``initialize-with``."""

_observing_keys = False
"""Whether the names of sort keys are observed too (those of the bibliography's sort)."""

_cite_namesets: dict[str, int] = {}
"""How many names variables the citation being rendered rendered so far, per item key."""

_render_citation = model.Layout.render_citation


def expand_given_names() -> None:
    """Fix: citeproc-py 0.11.1 ignores ``disambiguate-add-givenname``, so Chicago cites Marie
    McAuliffe's issue "(McAuliffe 2016)" although the catalogue names another M. McAuliffe,
    where citeproc-js (CSL's step 2 of disambiguation) cites "(Marie McAuliffe 2016)". Which
    names are expanded is decided by :func:`disambiguate_given_names` (a bibliography's
    :class:`GivenNames`); this renders them so.

    ``Name.process`` is wrapped once: outside sort keys (in the citation and, as citeproc-js
    does, in the bibliography), a name whose level (:meth:`GivenNames.level`) is above the one
    the names element gives is rendered with its initials (the element's ``initialize-with``,
    none with a ``*-with-initials`` rule) or its given name, in the long form; the other names
    of the list are rendered as the element renders them. It is done by handing
    citeproc-py's rendering, in the long form without ``initialize-with``, each name as it
    is to be shown (the family name alone, or initials for the given name): its orders,
    particles, delimiters and et-al stay citeproc-py's. ``Layout.render_citation`` is wrapped
    to count, per citation, the names variables rendered (by-cite levels are by nameset)."""
    if getattr(model.Name.process, "expands_given_names", False):
        return
    inner = model.Name.process

    def process(self: model.Name, item: Any, variable: str, context: Any = None,
                sort_options: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        bibliography = getattr(item, "bibliography", None)
        state = getattr(bibliography, GIVEN_NAMES, None)
        added = getattr(bibliography, ADDED_NAMES, {}).get(item.key) \
            if _key_dates is None else None
        if added and _entry is not None and _entry.key == item.key \
                and not _entries_add_names(self.get_root()):
            added = None
        requested = state.requested.get(item.key) \
            if state is not None and _key_dates is None else None
        nameset = _next_nameset(item.key) if requested is not None or added else 0
        if added and nameset in added:
            sort_options = _with_names_added(self, item, variable, context, sort_options,
                                             added[nameset])
        if _observed is not None and (_key_dates is None or _observing_keys):
            _observe(self, item, variable, context, sort_options)
        if state is None or _key_dates is not None:
            return inner(self, item, variable, context, sort_options, **kwargs)
        names = item.reference.get(variable, [])
        if (requested is None and item.key not in state.clashing) or not names:
            return inner(self, item, variable, context, sort_options, **kwargs)
        form = self.get_option("form", context, sort_options)
        if form not in ("long", "short"):
            return inner(self, item, variable, context, sort_options, **kwargs)
        mark = self.get_option("initialize-with", context, sort_options)
        default = 0 if form == "short" else 1 if mark is not None else 2
        local = None
        if item.key in state.local and _entry is not None and _entry.key == item.key:
            if _entry.registered is None:
                _entry.registered = copy.deepcopy(state.local[item.key])
            local = _entry.registered
        levels = []
        for index, name in enumerate(names):
            if local is not None:  # citeproc-js registers each name before it is rendered
                _add_name(local, name, state.demote_never)
            levels.append(state.level(name, index, default, requested.get((nameset, index), 0)
                                      if requested else 0, mark is not None, local))
        if all(level == default for level in levels):
            return inner(self, item, variable, context, sort_options, **kwargs)
        if mark is None and state.rule.endswith("-with-initials"):
            mark = ""
        shown = [_shown(self, name, level, mark, context) for name, level in zip(
            names, levels, strict=True)]
        return inner(self, _Renamed(item, variable, shown), variable, context,
                     {**(sort_options or {}), "form": "long", "initialize-with": None},
                     **kwargs)

    def render_citation(self: model.Layout, citation: Any, callback: Any) -> Any:
        _cite_namesets.clear()
        return _render_citation(self, citation, callback)

    process.__doc__ = inner.__doc__
    process.expands_given_names = True  # type: ignore[attr-defined]
    render_citation.__doc__ = _render_citation.__doc__
    model.Name.process = process
    model.Layout.render_citation = render_citation


ADDED_NAMES = "iombib_added_names"
"""The attribute of a bibliography that holds, per item key, the number of names
:func:`disambiguate_add_names` shows of each of its namesets (the n-th names variable a
rendering of the item renders)."""


@citeproc_speed.memoized_property
def _entries_add_names(root: Any) -> bool:
    """Whether the bibliography entries show the names :func:`disambiguate_add_names` added
    to their citations: as citeproc-js does, only in a style that also adds given names."""
    return str(root.citation.get("disambiguate-add-givenname", "false")).lower() == "true"


def _with_names_added(element: model.Name, item: Any, variable: str, context: Any,
                      sort_options: dict[str, Any] | None, count: int
                      ) -> dict[str, Any] | None:
    """The options with which a names element that abbreviates ``variable`` with et-al shows
    at least ``count`` names (all of them, without "et al.", when that is every name); the
    options as they are for an element that shows them all or counts them."""
    def option(name: str) -> Any:
        return element.get_option(name, context, sort_options)
    names = item.reference.get(variable, [])
    if option("form") == "count" or not _abbreviates(element, len(names), context,
                                                     sort_options):
        return sort_options
    count = max(count, option("et-al-use-first"))
    if count >= len(names):
        return {**(sort_options or {}), "et-al-min": 0}
    return {**(sort_options or {}), "et-al-use-first": count}


def _next_nameset(key: str) -> int:
    """The position of the names variable being rendered among those the rendering of item
    ``key`` (a bibliography entry or a citation) rendered."""
    entry = _entry
    if entry is not None and entry.key == key:
        entry.namesets += 1
        return entry.namesets - 1
    found = _cite_namesets.get(key, 0)
    _cite_namesets[key] = found + 1
    return found


def _shown(element: model.Name, name: Any, level: int, mark: str | None, context: Any) -> Any:
    """A name as :func:`expand_given_names` hands it for the long form without
    ``initialize-with``: at level 0 the family name alone (with its non-dropping particle,
    as the short form joins them), at level 1 with the given name initialized with ``mark``
    (as it is when there is none), else as it is; a literal name as it is."""
    if "literal" in name:
        return name
    if level == 0:
        return CslName(family=" ".join(str(part) for part in (
            name.get("non-dropping-particle"), name.get("family")) if part))
    if level == 1 and mark is not None and name.get("given") is not None:
        return CslName(**{**name, "given": element.initialize(name["given"], mark,
                                                                   context)})
    return name


def _observe(element: model.Name, item: Any, variable: str, context: Any,
             sort_options: dict[str, Any] | None) -> None:
    """Note a names variable rendered for :data:`_observed`: the names it shows (et-al
    counted as citeproc-py counts it) and the level of its names element's form."""
    names = item.reference.get(variable, [])
    def option(name: str) -> Any:
        return element.get_option(name, context, sort_options)
    shown = len(names)
    if _abbreviates(element, shown, context, sort_options):
        shown = option("et-al-use-first")
    form, marked = option("form"), option("initialize-with") is not None
    default = 0 if form == "short" else 1 if marked else 2
    _observed.setdefault(item.key, []).append(  # type: ignore[union-attr]
        (variable, shown, default, marked))


expand_given_names()


def _names_variables(element: Any) -> set[str]:
    """The variables of the ``cs:names`` elements in ``element``, in the macros it calls
    too (and in theirs)."""
    root = element.get_root()
    found: set[str] = set()
    seen: set[str] = set()
    waiting = [element]
    while waiting:
        for node in waiting.pop().iter():
            if not isinstance(node.tag, str):
                continue
            if node.tag.rsplit("}", 1)[-1] == "names":
                found.update(node.get("variable", "").split())
            macro = node.get("macro")
            if macro and macro not in seen:
                seen.add(macro)
                waiting.append(root.get_macro(macro))
    return found


def disambiguate_given_names(parsed: ParsedStyle, draft: _Draft) -> None:
    """Fix: citeproc-py 0.11.1 ignores ``disambiguate-add-givenname`` (CSL's step 2 of
    disambiguation, before the ``disambiguate`` condition and year suffixes). It is done here
    as citeproc-js 2.4 does it, for each ``givenname-disambiguation-rule``:

    - ``all-names``, ``primary-name`` and their ``-with-initials`` kinds are global: a name is
      expanded wherever it is rendered when the registry of the names cited holds its family
      name in another form: to its initials when their initials differ (or to the given name
      when the names element has no ``initialize-with``), to the given name when only the
      given names differ (unless ``-with-initials``: then it stays as it is). The registry
      holds every name of each names variable that an item's citation or one of the
      bibliography's sort keys renders (the first of each list only, for the ``primary-``
      rules); citeproc-js registers them as it renders them, and renders every sort key of
      every item. The other M. McAuliffe, an editor of ``supporting-communities-under-
      migration-pressure``, is registered by Chicago's ``source-bib`` sort key.
    - ``by-cite`` expands only in citations that read alike: step by step, the first name of
      each nameset (each name shown, with ``disambiguate-add-names``) to initials, then to the
      given name, keeping a step only when it tells some of the citations apart, until each
      reads otherwise or the steps are exhausted.

    Like citeproc-js, the bibliography renders the names so expanded too, not its sort keys:
    with the global rules by the same registry; with ``by-cite`` by the citation's levels
    per nameset position (the n-th names variable of the entry takes the n-th of the
    citation's), and, where a names element initializes, by the names of one family that
    the item itself registered before (:meth:`GivenNames.level`). ``draft.cited`` is updated
    for the citations that change; only those are rendered again, and the registry is made
    from the few items with a name whose family is met in several forms (their citations and
    sort keys are rendered to see which of their names are rendered).

    By-cite expands the names shown, with those :func:`disambiguate_add_names` added (which
    runs first). Not done as citeproc-js does: with ``by-cite``, citeproc-js carries the
    level reached and the ``disambiguate`` condition over to the citations it set apart earlier (its
    forward-only ``base`` is shared by the lists it splits a group into), so that one told
    apart by its initials may still print its given name and the disambiguating text, and
    two may stay alike; with a global rule and no ``disambiguate-add-names``, it gives year
    suffixes to all the citations that read alike before given names were added; and it
    registers, with a global rule, the names a bibliography entry renders as it renders
    them (later entries may then expand them). The long-form names of a by-cite citation do
    not raise the levels of the bibliography either (no style of iombib's matrix has
    them)."""
    root = parsed.style.root
    citation = root.citation
    if str(citation.get("disambiguate-add-givenname", "false")).lower() != "true":
        return
    rule = citation.get("givenname-disambiguation-rule", "by-cite")
    state = GivenNames(rule if rule in GIVENNAME_RULES else "by-cite",
                       root.get("demote-non-dropping-particle") == "never")
    cited = (_register if state.rule != "by-cite" else _local)(parsed, draft, state)
    if state.clashing:
        setattr(draft.bibliography, GIVEN_NAMES, state)
        again = [n for n, c in enumerate(draft.citations) if c.cites[0].key in cited]
        for n, text in zip(again, _cite_each(parsed, [draft.citations[n] for n in again],
                                             draft.cache), strict=True):
            draft.cited[n] = text
    if state.rule == "by-cite":
        setattr(draft.bibliography, GIVEN_NAMES, state)
        add_names = str(citation.get("disambiguate-add-names", "false")).lower() == "true"
        _by_cite(parsed, draft, state, add_names)
        if not state.clashing and not state.requested:
            delattr(draft.bibliography, GIVEN_NAMES)


def _register(parsed: ParsedStyle, draft: _Draft, state: GivenNames) -> set[str]:
    """Fill ``state``'s registry (global rules) with the names registered whose family is met
    in several forms, and its ``clashing`` items; return the keys of the items whose
    citations render such a name.

    The families are first found over the names that the style could register (those of the
    variables its citation and bibliography sort keys name); then, for the items with such a
    name only, it is seen which of those variables are rendered (:func:`_rendered`)."""
    primary = state.rule.startswith("primary-name")
    registrable = _registrable(parsed.style.root)[0]
    holders: dict[str, list[tuple[Any, str, Any]]] = {}
    for item in draft.bibliography.items:
        reference = item.reference
        for variable in reference.keys() & registrable:
            for name in reference[variable][:1] if primary else reference[variable]:
                family = _family_key(name, state.demote_never)
                if family is not None and name.get("given"):
                    holders.setdefault(family, []).append((item, variable, name))
    wanted: dict[str, tuple[Any, set[str]]] = {}
    for held in holders.values():
        if len(held) > 1 and len({_name_keys(name, state.demote_never)[1:]  # type: ignore[index]
                                  for _, _, name in held}) > 1:
            for item, variable, _ in held:
                wanted.setdefault(item.key, (item, set()))[1].add(variable)
    rendered, cited = _rendered(parsed, draft, wanted)
    for key, variables in rendered.items():
        reference = wanted[key][0].reference
        for variable in variables:
            for name in reference[variable][:1] if primary else reference[variable]:
                _add_name(state.registry, name, state.demote_never)
    state.registry = _clashes(state.registry)
    if not state.registry:
        return set()
    for item in draft.bibliography.items:
        reference = item.reference
        if any(_family_key(name, state.demote_never) in state.registry
               for variable in reference.keys() & _NAME_VARIABLES
               for name in reference[variable]):
            state.clashing.add(item.key)
    return {key for key, variables in cited.items() if any(
        _family_key(name, state.demote_never) in state.registry
        for variable in variables for name in wanted[key][0].reference.get(variable, ()))}


def _local(parsed: ParsedStyle, draft: _Draft, state: GivenNames) -> set[str]:
    """Fill ``state``'s ``local`` registries (``by-cite``): for each item with names of one
    family in several forms, the names its citation and sort keys register (a bibliography
    entry adds its own as it renders them, :func:`expand_given_names`); such an item is
    ``clashing``. No citation renders otherwise for them (returns no keys)."""
    registrable = _registrable(parsed.style.root)[0]
    wanted: dict[str, tuple[Any, set[str]]] = {}
    for item in draft.bibliography.items:
        reference = item.reference
        names = [name for variable in reference.keys() & _NAME_VARIABLES
                 for name in reference[variable] if name.get("given")]
        if len(names) < 2:
            continue
        families = [_family_key(name, state.demote_never) for name in names]
        if len(set(families)) == len(families):
            continue
        forms: dict[str, dict[str, set[str]]] = {}
        for name in names:
            _add_name(forms, name, state.demote_never)
        families = set(_clashes(forms))
        if families:
            state.clashing.add(item.key)
            wanted[item.key] = (item, {v for v in reference.keys() & registrable if any(
                _family_key(name, state.demote_never) in families for name in reference[v])})
    rendered, _ = _rendered(parsed, draft, wanted)
    for key, (item, _) in wanted.items():
        registry: dict[str, dict[str, set[str]]] = {}
        for variable in rendered.get(key, ()):
            for name in item.reference[variable]:
                _add_name(registry, name, state.demote_never)
        state.local[key] = registry
    return set()


def _add_name(registry: dict[str, dict[str, set[str]]], name: Any, demote_never: bool) -> None:
    """Register a name as citeproc-js's ``addname`` does (a name without initials only by its
    family, which counts no form)."""
    found = _name_keys(name, demote_never)
    if found is not None and found[1]:
        registry.setdefault(found[0], {}).setdefault(found[1], set()).add(found[2])


def _clashes(registry: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, set[str]]]:
    """The families of ``registry`` met in several forms (initials or given names)."""
    return {family: found for family, found in registry.items()
            if len(found) > 1 or any(len(given) > 1 for given in found.values())}


def _registrable(root: Any) -> tuple[set[str], set[str], list[tuple[Any, set[str]]]]:
    """The name variables that the citation or a bibliography sort key of a style may
    render (as citeproc-py's items name them), those that variable sort keys always render,
    and each macro sort key with the name variables it may render."""
    sort = root.bibliography.find("cs:sort", root.nsmap) \
        if root.bibliography is not None else None
    keys = [] if sort is None else sort.findall("cs:key", sort.nsmap)
    always = {(key.get("variable") or "").replace("-", "_") for key in keys} & _NAME_VARIABLES
    keyed = [(key, _underscored(_names_variables(root.get_macro(key.get("macro")))))
             for key in keys if key.get("macro")]
    registrable = _underscored(_names_variables(root.citation.layout)) | always | {
        v for _, found in keyed for v in found}
    return registrable, always, keyed


def _rendered(parsed: ParsedStyle, draft: _Draft, wanted: dict[str, tuple[Any, set[str]]]
              ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For each item of ``wanted`` (by key: the item and some of its name variables), those
    of the variables that its citation or a bibliography sort key renders (citeproc-js
    registers their names), and the name variables its citation renders. The citations are
    rendered (in two processes for many), then, while some variables were not rendered, the
    sort keys that may render them."""
    if not wanted:
        return {}, {}
    root = parsed.style.root
    _, always, keyed = _registrable(root)
    positions = {c.cites[0].key: n for n, c in enumerate(draft.citations)}

    def observe(citations: list[Citation]) -> list[set[str]]:
        return [_underscored(_observed_variables(
            lambda c=c: parsed.style.render_citation(c, [], _no_callback),  # type: ignore[misc]
            c.cites[0].key, keys=False)) for c in citations]

    cited = dict(zip(wanted, citeproc_speed.each(
        observe, [draft.citations[positions[key]] for key in wanted], root), strict=True))
    layout = root.bibliography.layout if root.bibliography is not None else None
    rendered = {}
    for key, (item, variables) in wanted.items():
        found = variables & (always | cited[key])
        for sort_key, sorted_variables in keyed:
            if (variables - found) & sorted_variables:
                found |= variables & _underscored(_observed_variables(
                    lambda k=sort_key, i=item: k.sort_keys([i], layout), key, keys=True))
        rendered[key] = found
    return rendered, cited


_NAME_VARIABLES = frozenset(citeproc.NAMES)
"""citeproc-py's name variables (as its items name them), CSL 1.0.2's included."""


def _underscored(variables: set[str]) -> set[str]:
    """CSL variable names as citeproc-py's items name them (``container_author``)."""
    return {variable.replace("-", "_") for variable in variables}


def _observed_variables(render: Any, key: str, keys: bool) -> set[str]:
    """The names variables of item ``key`` that ``render()`` rendered (in sort keys too when
    ``keys``)."""
    global _observed, _observing_keys
    _observed, _observing_keys = {}, keys
    try:
        render()
        return {variable for variable, *_ in _observed.get(key, ())}
    finally:
        _observed, _observing_keys = None, False


def _by_cite(parsed: ParsedStyle, draft: _Draft, state: GivenNames, add_names: bool) -> None:
    """By-cite given-name disambiguation of the citations that read alike (see
    :func:`disambiguate_given_names`). Only the citations of items with a given name whose
    family name the citation reads are rendered again (a group of IOM's reports of one year
    has none), and only where a step can change them."""
    positions = {c.cites[0].key: n for n, c in enumerate(draft.citations)}
    for group in _alike(draft):
        text = draft.cited[positions[group[0]]].lower()
        named = [key for key in group if any(
            name.get("given") and "literal" not in name and str(name.get("family")).lower()
            in text for reference in (draft.citations[positions[key]].cites[0].reference,)
            for variable in reference.keys() & _NAME_VARIABLES for name in reference[variable])]
        if not named:
            continue
        shapes = _shapes(parsed, draft, named, positions)
        steps = []
        for nameset in range(max(len(shape) for shape in shapes.values())):
            present = [shape[nameset] for shape in shapes.values() if len(shape) > nameset]
            shown = max(count for _, count, _, _ in present)
            low = min(default for _, _, default, _ in present)
            marked = all(mark for *_, mark in present)
            for index in range(shown if add_names else min(shown, 1)):
                for level in range(low + 1, 3):
                    if level == 2 or marked:  # level 1 is 2 without initials to show
                        steps.append((nameset, index, level))
        _resolve(parsed, draft, state, group, steps, shapes, positions)


def _shapes(parsed: ParsedStyle, draft: _Draft, keys: list[str], positions: dict[str, int]
            ) -> dict[str, list[tuple[str, int, int, bool]]]:
    """The names variables the citation of each item of ``keys`` renders (see
    :data:`_observed`), seen by rendering them, unless the draft's cache has them."""
    citations = [draft.citations[positions[key]] for key in keys]

    def render(missing: list[int]) -> list[Any]:
        global _observed
        _observed = {}
        try:
            for n in missing:
                parsed.style.render_citation(citations[n], [], _no_callback)
            return [_observed.get(keys[n], []) for n in missing]
        finally:
            _observed = None
    found = draft.cache.each("names shown", keys, _states([c.cites[0] for c in citations]),
                             render)
    return dict(zip(keys, found, strict=True))


def disambiguate_add_names(parsed: ParsedStyle, draft: _Draft) -> None:
    """Fix: citeproc-py 0.11.1 ignores ``disambiguate-add-names`` (CSL's first step of
    disambiguation), so APA cites "Smith, Jones and Brown (2020)" and "Smith, Lee and Brown
    (2020)" alike, as "(Smith et al., 2020a)" and "(Smith et al., 2020b)", where citeproc-js
    cites "(Smith, Jones, et al., 2020)" and "(Smith, Lee, et al., 2020)".

    For each group of citations that read alike, the names that et-al abbreviation hides are
    added one at a time, nameset by nameset (:func:`_add_names`), to the citations that hide
    some; the first count that tells some of them apart is kept, and those still alike go on
    with more names. A count that tells none apart is taken back. The counts kept are the
    bibliography's :data:`ADDED_NAMES`, which the entries render too where the style also
    adds given names, as citeproc-js does (MLA's entry then names "Smith, John, Kate Jones,
    et al."; :func:`_entries_add_names`)."""
    if str(parsed.style.root.citation.get("disambiguate-add-names", "false")).lower() \
            != "true":
        return
    least = _least_et_al(parsed.style.root)
    if least is None:
        return
    added: dict[str, dict[int, int]] = {}
    setattr(draft.bibliography, ADDED_NAMES, added)
    positions = {c.cites[0].key: n for n, c in enumerate(draft.citations)}
    for group in _alike(draft):
        if not any(len(names) >= least for key in group for variable, names in
                   draft.citations[positions[key]].cites[0].reference.items()
                   if variable in _NAME_VARIABLES):
            continue  # no citation of the group can hide names
        shapes = _shapes(parsed, draft, group, positions)
        totals = {key: [len(draft.citations[positions[key]].cites[0].reference.get(
            variable.replace("-", "_"), ())) for variable, *_ in shape]
            for key, shape in shapes.items()}
        steps = [(nameset, count)
                 for nameset in range(max(len(shape) for shape in shapes.values()))
                 for count in range(
                     min(shape[nameset][1] for shape in shapes.values() if len(shape) > nameset)
                     + 1,
                     max(total[nameset] for total in totals.values() if len(total) > nameset)
                     + 1)]
        _add_names(parsed, draft, added, group, steps, shapes, totals, positions)
    if not added:
        delattr(draft.bibliography, ADDED_NAMES)


@citeproc_speed.memoized_property
def _least_et_al(root: Any) -> int | None:
    """The fewest names that the style abbreviates with et-al anywhere (at least 2), None for a
    style that never does (a bound: which names elements cite is not looked at)."""
    found = [int(value) for element in root.iter() if isinstance(element.tag, str)
             for value in (element.get("et-al-min"),) if value and value.isdigit()
             and int(value) > 0]
    return max(2, min(found)) if found else None


def _add_names(parsed: ParsedStyle, draft: _Draft, added: dict[str, dict[int, int]],
               group: list[str], steps: list[tuple[int, int]],
               shapes: dict[str, list[tuple[str, int, int, bool]]],
               totals: dict[str, list[int]], positions: dict[str, int]) -> None:
    """Try ``steps`` (nameset, names shown) on the citations of ``group``, which read alike
    (:func:`_split`). A step renders again only the citations that hide names there."""
    def take(step: tuple[int, int], keys: list[str]) -> tuple[list[str], Callable[[], None]]:
        nameset, count = step
        changed = [key for key in keys if len(shapes[key]) > nameset
                   and shapes[key][nameset][1] < min(count, totals[key][nameset])]
        before = {key: dict(added.get(key, {})) for key in changed}
        for key in changed:
            added.setdefault(key, {})[nameset] = count

        def undo() -> None:
            for key, counts in before.items():
                if counts:
                    added[key] = counts
                else:
                    added.pop(key, None)
        return changed, undo
    _split(parsed, draft, group, steps, positions, take)


def _split(parsed: ParsedStyle, draft: _Draft, group: list[str], steps: list[Any],
           positions: dict[str, int],
           take: Callable[[Any, list[str]], tuple[list[str], Callable[[], None]]]) -> None:
    """Try ``steps`` in turn on the citations of ``group``, which read alike: ``take`` applies
    a step to the citations of some keys and gives those it can change and how to undo it.
    The first step that tells some apart is kept (``draft.cited`` updated), and the citations
    that still read alike go on with the steps after it; a step that tells none apart is
    undone."""
    for n, step in enumerate(steps):
        changed, undo = take(step, group)
        if not changed:
            undo()
            continue
        texts = dict(zip(changed, _cite_each(parsed, [draft.citations[positions[key]]
                                                      for key in changed], draft.cache),
                         strict=True))
        classes: dict[str, list[str]] = {}
        for key in group:
            classes.setdefault(texts.get(key, draft.cited[positions[key]]), []).append(key)
        if len(classes) > 1:
            for key, text in texts.items():
                draft.cited[positions[key]] = text
            for keys in classes.values():
                if len(keys) > 1:
                    _split(parsed, draft, keys, steps[n + 1:], positions, take)
            return
        undo()


def _resolve(parsed: ParsedStyle, draft: _Draft, state: GivenNames, group: list[str],
             steps: list[tuple[int, int, int]],
             shapes: dict[str, list[tuple[str, int, int, bool]]],
             positions: dict[str, int]) -> None:
    """Try ``steps`` (nameset, name position, level) on the citations of ``group``, which
    read alike (:func:`_split`). A step renders again only the citations that show a given
    name at its position (``shapes``: the names variables each renders)."""
    def take(step: tuple[int, int, int], keys: list[str]
             ) -> tuple[list[str], Callable[[], None]]:
        nameset, index, level = step
        changed = [key for key in keys if _shows_given(
            draft.citations[positions[key]].cites[0].reference, shapes.get(key, ()), nameset,
            index)]
        if not changed:
            return changed, lambda: None
        before = {key: dict(state.requested.get(key, {})) for key in keys}
        for key in keys:
            state.requested.setdefault(key, {})[(nameset, index)] = level

        def undo() -> None:
            for key, requested in before.items():
                if requested:
                    state.requested[key] = requested
                else:
                    state.requested.pop(key, None)
        return changed, undo
    _split(parsed, draft, group, steps, positions, take)


def _shows_given(reference: Any, shape: Any, nameset: int, index: int) -> bool:
    """Whether a citation (its item's ``reference``, the ``shape`` of names variables it
    renders) shows, at ``index`` of its ``nameset``-th names variable, a personal name with
    a given name."""
    if nameset >= len(shape) or index >= shape[nameset][1]:
        return False
    names = reference.get(shape[nameset][0].replace("-", "_"), ())
    return index < len(names) and "literal" not in names[index] and \
        bool(names[index].get("given"))


def disambiguate(parsed: ParsedStyle, draft: _Draft) -> tuple[list[list[str]], set[str]]:
    """Fix: citeproc-py 0.11.1 does no disambiguation, so works by the same authors in the
    same year are cited alike ("IOM, 2017" for all of them). CSL (and citeproc-js) resolves
    citations that render alike, once every item is registered: first by adding the names
    et-al abbreviation hides (:func:`disambiguate_add_names`), then by given names
    (:func:`disambiguate_given_names`, which also expands names that are ambiguous across
    citations), then by the ``disambiguate`` condition, then, with
    ``disambiguate-add-year-suffix``, by a year suffix ("2017a", "2017b") given in the order
    of the bibliography's sort (:func:`year_suffixes`), which the style prints with its
    ``year-suffix`` variable in the citation and in the bibliography.

    From the draft's citations (rendered once without suffixes), this groups the items whose
    citations read the same, marks those groups for the ``disambiguate`` condition when the
    style tests it and renders again those of them whose citation came to the test
    (``draft.cited`` is updated; the others cannot render otherwise). Returns the
    groups of item keys still ambiguous when the style adds year suffixes (else none) and the
    keys for the ``disambiguate`` condition."""
    disambiguate_add_names(parsed, draft)
    disambiguate_given_names(parsed, draft)
    root = parsed.style.root
    add_suffix = str(root.citation.get_option("disambiguate-add-year-suffix")) == "true"
    tests = bool(root.xpath_search("//cs:citation//cs:if[@disambiguate]"
                                   " | //cs:citation//cs:else-if[@disambiguate]"
                                   " | //cs:macro//cs:if[@disambiguate]"
                                   " | //cs:macro//cs:else-if[@disambiguate]"))
    if not add_suffix and not tests:
        return [], set()
    groups = _alike(draft)
    flagged: set[str] = set()
    if tests and groups:
        flagged = {key for group in groups for key in group}
        setattr(draft.bibliography, DISAMBIGUATED, flagged)
        consulted = getattr(draft.bibliography, CONSULTED)
        again = [n for n, c in enumerate(draft.citations)
                 if c.cites[0].key in flagged and c.cites[0].key in consulted]
        for n, text in zip(again, _cite_each(parsed, [draft.citations[n] for n in again],
                                             draft.cache), strict=True):
            draft.cited[n] = text
        groups = _alike(draft)
    return (groups if add_suffix else []), flagged


def year_suffixes(groups: list[list[str]], rank: dict[str, int]) -> dict[str, str]:
    """The year suffix of each item key of the ambiguous ``groups``: ``a``, ``b`` ... in the
    order of the keys' ``rank`` in the bibliography."""
    return {key: year_suffix(n)
            for group in groups for n, key in enumerate(sorted(group, key=rank.__getitem__), 1)}


def _alike(draft: _Draft) -> list[list[str]]:
    """The groups of two or more item keys whose citations (each alone, first position)
    read the same, each in the order of registration."""
    by_text: dict[str, list[str]] = {}
    for citation, text in zip(draft.citations, draft.cited, strict=True):
        by_text.setdefault(text, []).append(citation.cites[0].key)
    return [keys for keys in by_text.values() if len(keys) > 1]


def _registered(parsed: ParsedStyle, source: CiteProcJSON, keys: list[str], output: str
                ) -> tuple[CitationStylesBibliography, list[Citation]]:
    """A bibliography of the items of ``source`` with the items of ``keys`` registered, in that
    order, by a citation each."""
    bibliography = CitationStylesBibliography(parsed.style, source, FORMATTERS[output])
    setattr(bibliography, OUTPUT, output)
    citations = [Citation([CitationItem(key)]) for key in keys]
    for citation in citations:
        bibliography.register(citation)
    return bibliography, citations


def _cite_each(parsed: ParsedStyle, citations: list[Citation],
               cache: RenderingCache | None = None) -> list[str]:
    """Each citation rendered alone (so in first position), in two processes for many, unless
    the ``cache`` has it; the items whose rendering came to a ``disambiguate`` test join their
    bibliography's :data:`CONSULTED` set, if it has one (also from the other process)."""
    def work(part: list[Citation]) -> list[tuple[str, bool]]:
        return [(str(parsed.style.render_citation(c, [], _no_callback)), _consulted(c))
                for c in part]

    def render(missing: list[int]) -> list[Any]:
        return citeproc_speed.each(work, [citations[n] for n in missing], parsed.style.root)
    cited = [citation.cites[0] for citation in citations]
    done = (cache or RenderingCache()).each("citation", [item.key for item in cited],
                                            _states(cited), render)
    for citation, (_, consulted) in zip(citations, done, strict=True):
        if consulted:
            getattr(citation.cites[0].bibliography, CONSULTED).add(citation.cites[0].key)
    return [text for text, _ in done]


def _consulted(citation: Citation) -> bool:
    """Whether the rendering of a citation's item came to a ``disambiguate`` test."""
    item = citation.cites[0]
    return item.key in getattr(item.bibliography, CONSULTED, ())


def _no_callback(item: CitationItem) -> None:
    """Every item cited is registered: nothing to report."""


OUTPUT = "iombib_output"
"""The attribute of a bibliography that names its output format (``text``, ``html`` ...)."""


def _states(items: list[CitationItem]) -> list[tuple[Any, ...]]:
    """What the rendering of each item reads of the state of its bibliography, besides the
    item's data (:class:`RenderingCache` keeps a rendering under it): the output format, the
    year suffix given, the flags of :data:`DISAMBIGUATED` and :data:`SUBSTITUTED`, in a
    style that prints it, the citation number (the item's place in the bibliography's keys),
    what given-name disambiguation decided for it (:meth:`GivenNames.state_of`) and the
    names :func:`disambiguate_add_names` added to it."""
    if not items:
        return []
    bibliography = items[0].bibliography
    given = getattr(bibliography, GIVEN_NAMES, None)
    added = getattr(bibliography, ADDED_NAMES, {})
    flagged = getattr(bibliography, DISAMBIGUATED, set())
    substituted = getattr(bibliography, SUBSTITUTED, set())
    output = getattr(bibliography, OUTPUT, None)
    numbered = _numbered(bibliography.style.root)
    states = []
    for item in items:
        suffix = bibliography.source[item.key].get("year_suffix")
        states.append((output, None if suffix is None else str(suffix), item.key in flagged,
                       item.key in substituted,
                       bibliography.keys.index(item.key) if numbered else None,
                       given.state_of(item.key, item.reference) if given else None,
                       tuple(sorted(added[item.key].items())) if item.key in added else None))
    return states


@citeproc_speed.memoized_property
def _numbered(root: Any) -> bool:
    """Whether a style reads the ``citation-number`` variable anywhere."""
    return any("citation-number" in (element.get("variable") or "").split()
               for element in root.iter())


def _entries(parsed: ParsedStyle, items: list[CitationItem], cache: RenderingCache
             ) -> list[str | None]:
    """The bibliography entry of each item (None for one that renders nothing), in two
    processes for many, unless the ``cache`` has it."""
    def work(part: list[CitationItem]) -> list[str | None]:
        return [next((str(text) for text in parsed.style.render_bibliography([item])), None)
                for item in part]

    def render(missing: list[int]) -> list[Any]:
        return citeproc_speed.each(work, [items[n] for n in missing], parsed.style.root)
    return cache.each("entry", [item.key for item in items], _states(items), render)


# --------------------------------------------------------------------------- bibliography order


class SortKeys:
    """Fix: citeproc-py 0.11.1 renders the bibliography's sort keys in the output format, so in
    HTML its markup takes part in the order (``<i>Zebra</i>`` sorts before ``Apple``: ``<``
    comes before ``a``). citeproc-js sorts on the keys as plain text. Here the keys are
    rendered as plain text (the items of a plain-text bibliography) and compared as
    :func:`collate_sort_keys` compares them.

    A key is rendered only for the items that the keys before it leave tied (Chicago's fifth
    and sixth keys render most of an entry), at most once per item: after year suffixes are
    given, :meth:`again` forgets the keys that read ``year-suffix`` of the items given one."""

    def __init__(self, parsed: ParsedStyle, items: list[CitationItem],
                 cache: RenderingCache | None = None) -> None:
        bibliography = parsed.style.root.bibliography
        self._cache = cache or RenderingCache()
        sort = bibliography.find("cs:sort", bibliography.nsmap)
        self._layout = bibliography.layout
        self._language = _language(parsed.style.root)
        self._keys = [] if sort is None else sort.findall("cs:key", sort.nsmap)
        self._items = items
        self._rows: list[list[Any]] = [[_UNRENDERED] * len(self._keys) for _ in items]

    def again(self, changed: set[str]) -> None:
        """Forget, for the items whose key is in ``changed``, the keys that read the year
        suffix (they are rendered again when the order needs them)."""
        reading = [k for k, key in enumerate(self._keys) if _reads_year_suffix(key)]
        for item, row in zip(self._items, self._rows, strict=True):
            if item.key in changed:
                for k in reading:
                    row[k] = _UNRENDERED

    def order(self) -> list[str]:
        """The item keys in the sort's order (stable: equal items stay in their order)."""
        tied = [list(range(len(self._items)))]
        states = _states(self._items)
        for k in range(len(self._keys)):
            self._render(k, [n for group in tied if len(group) > 1 for n in group
                             if self._rows[n][k] is _UNRENDERED], states)
            split: list[list[int]] = []
            for group in tied:
                if len(group) == 1:
                    split.append(group)
                    continue
                classes: dict[Any, list[int]] = {}
                for n in group:
                    classes.setdefault(self._rows[n][k], []).append(n)
                split += classes.values()
            tied = split
        return [self._items[n].key for n in _ranked(self._rows, _descending(self._keys))]

    def _render(self, k: int, positions: list[int], states: list[tuple[Any, ...]]) -> None:
        """Key ``k`` of the items at ``positions`` (whose :func:`_states` are ``states``),
        rendered and made comparable item by item (a macro's in two processes for many
        items: :func:`citeproc_speed.each`)."""
        if not positions:
            return
        chosen = [self._items[n] for n in positions]
        key = self._keys[k]

        def comparable(part: list[CitationItem]) -> list[Any]:
            return [_comparable(value, self._language, markup=False)
                    for value in key.sort_keys(part, self._layout)]

        def render(missing: list[int]) -> list[Any]:
            part = [chosen[n] for n in missing]
            if "macro" not in key.attrib:  # a variable: quick to read
                return comparable(part)
            return citeproc_speed.each(comparable, part, self._layout.get_root())
        values = self._cache.each(f"key {k}", [item.key for item in chosen],
                                  [states[n] for n in positions], render)
        for n, value in zip(positions, values, strict=True):
            self._rows[n][k] = value


_UNRENDERED = object()
"""A sort key not rendered (yet)."""


def _descending(keys: list[Any]) -> list[bool]:
    """Whether each ``cs:key`` sorts descending."""
    return [key.get("sort", "ascending").lower() == "descending" for key in keys]


def _ranked(rows: list[list[Any]], descending: list[bool]) -> list[int]:
    """The positions of ``rows`` (an item's comparable keys each) in sorted order: key by key,
    a missing key after any other (also for a descending key), ties in their order. A key
    after the first that differs is not compared, so it may be unrendered.

    Stable sorts from the last key to the first, so that the earlier keys decide first: one
    per descending key, one per run of ascending keys (on tuples of them, compared up to the
    first that differs); a key unrendered (taken as missing) is never the one that decides."""
    order = list(range(len(rows)))
    end = len(descending)
    while end:
        start = end - 1
        if descending[start]:
            column = [None if row[start] is _UNRENDERED else row[start] for row in rows]
            order.sort(key=lambda n: (column[n] is not None, column[n] or ()), reverse=True)
        else:
            while start and not descending[start - 1]:
                start -= 1
            ranks = [tuple((value is None or value is _UNRENDERED,
                            () if value is None or value is _UNRENDERED else value)
                           for value in row[start:end]) for row in rows]
            order.sort(key=ranks.__getitem__)
        end = start
    return order


def _reads_year_suffix(key: Any) -> bool:
    """Whether a ``cs:key`` can render the ``year-suffix`` variable (through its macro and the
    macros that macro calls)."""
    if key.get("variable") is not None:
        return key.get("variable") == "year-suffix"
    root = key.get_root()
    seen: set[str] = set()
    waiting = [key.get("macro")]
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        macro = root.get_macro(name)
        for element in macro.iter():
            if "year-suffix" in (element.get("variable") or "").split():
                return True
            if element.get("macro"):
                waiting.append(element.get("macro"))
    return False


# --------------------------------------------------------------------------- rendering


def render(parsed: ParsedStyle, items: list[dict[str, Any]], output: str) -> Rendered:
    """Render CSL items as a bibliography and as one in-text citation each, with every item
    registered first (citations are disambiguated over all of them).

    Each citation, sort key and entry is rendered once: the citations and sort keys in a
    plain-text draft (which decides the disambiguation and the order), the citations again in
    another output format or for an item given a year suffix, then the entries. The items share
    one parsed source, in which an item given a year suffix is replaced by a copy with it."""
    result = Rendered()
    original = {str(item["id"]).lower(): str(item["id"]) for item in items}
    handed = [{k: v for k, v in _known_variables(item).items() if k != "year-suffix"}
              for item in items]
    source = CiteProcJSON(handed)
    keys = [str(item["id"]).lower() for item in handed]
    cache = RenderingCache.for_style(parsed.path, parsed.locale) \
        if citeproc_speed.items_independent(parsed.style.root) else RenderingCache()
    cache.know(handed)
    bibliography, citations = _registered(parsed, source, keys, "text")
    setattr(bibliography, CONSULTED, set())
    draft = _Draft(bibliography, citations, _cite_each(parsed, citations, cache), cache)
    groups, flagged = disambiguate(parsed, draft)
    sort_keys = SortKeys(parsed, draft.bibliography.items, cache) \
        if parsed.style.has_bibliography() else None
    order = sort_keys.order() if sort_keys else list(draft.bibliography.keys)
    suffixes = year_suffixes(groups, {key: n for n, key in enumerate(order)})
    for key, suffix in suffixes.items():
        source[key] = copy.copy(source[key])
        source[key]["year_suffix"] = source.parse_string(suffix)
    if sort_keys and suffixes:
        sort_keys.again(set(suffixes))
        order = sort_keys.order()  # before the output format's bibliography changes the format
    bibliography, citations = _registered(parsed, source, keys, output)
    setattr(bibliography, DISAMBIGUATED, flagged)
    for decided in (GIVEN_NAMES, ADDED_NAMES):
        if hasattr(draft.bibliography, decided):
            setattr(bibliography, decided, getattr(draft.bibliography, decided))
    again = [n for n, key in enumerate(keys) if output != "text" or key in suffixes]
    cited = draft.cited
    for n, text in zip(again, _cite_each(parsed, [citations[n] for n in again], cache),
                       strict=True):
        cited[n] = text
    result.in_text = [(str(item["id"]), text) for item, text in zip(items, cited, strict=True)]
    if sort_keys:
        registered = {item.key: item for item in bibliography.items}
        bibliography.items = [registered[key] for key in order]
        bibliography.keys = type(bibliography.keys)(item.key for item in bibliography.items)
        setattr(bibliography, SUBSTITUTED, first_names(parsed, bibliography))
        for key, text in zip(bibliography.keys, _entries(parsed, bibliography.items, cache),
                             strict=True):
            if text is not None:
                result.bibliography.append((original.get(key, key), text))
    cache.save()
    return result
