"""Speed-ups of citeproc-py that change none of its output.

citeproc-py re-computes, for every item it renders, what depends on the style alone: each macro,
term, layout and locale option is found again by an XPath query over the style, and whether an
element "calls a variable" is re-derived by walking its whole subtree, every time. Its bibliography
keeps the item keys in a list, so registering and citing N items costs O(N^2). And it renders on
one core.

:func:`enabled` patches these hot spots of citeproc-py for the time of one rendering:

- the XPath queries, macro, term and root look-ups and ``calls_variable`` are memoized per
  style element, and the formatting attributes, types and variables an element tests are read
  once (what citeproc-py changes in the tree as it renders, date-part attributes, is left out);
- the tree walk does less per node: ``cs:group`` and ``cs:text`` render in one call each over
  children found once, markup steps that an element's attributes make no-ops are not called,
  each ``cs:choose`` branch is decided by a test made once for it (:func:`tester`), a
  ``cs:names`` whose variables the item lacks fails at once, and a ``cs:group`` or
  ``cs:choose`` is skipped for an item that has none of the variables it needs one of to
  render anything (:func:`renders_nothing`, worked out from the style once per item type);
- the bibliography's key list answers ``in`` and ``index`` from a dictionary, and a citation of
  one item is not sorted;
- the sort keys, in-text citations and entries that :mod:`iombib.citeproc_fixes` renders
  (through :func:`each`) for a large bibliography are rendered by two forked processes, each
  with a copy of the state of the bibliography (registration, and what
  :mod:`iombib.citeproc_fixes` decided, such as year suffixes), which take chunks of items in
  turn. A style whose renderings are not independent of each other in citeproc-py is rendered
  in one;
- the garbage collector leaves alone what existed before (the records, the parsed style: it
  would walk them all again at every full collection) and collects the young objects less
  often (rendering makes millions of short-lived ones, almost none of them in cycles).

Every patch replaces one method of citeproc-py :data:`CITEPROC_PY` with one that returns the
same thing; on another version nothing is patched. A patch that wraps a method calls the method
in place when the speed-ups were enabled, so a correction of :mod:`iombib.citeproc_fixes` in it
is kept whichever module was imported first; ``Group.render``, ``Text.render`` and
``Term.single``/``multiple`` are re-implemented (no correction changes them), and ``cs:if`` is
tested by :func:`tester`, which the correction of ``Choose.render`` asks.
``tests/test_citeproc_speed.py`` renders the catalogue in several styles and output formats
with and without the speed-ups, in one and in two processes, and compares them byte for byte.
The patches are process-wide while enabled, so rendering is not thread-safe then.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import mmap
import multiprocessing
import os
import pickle
import signal
import warnings
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from typing import Any, SupportsIndex

from citeproc import frontend, model, source
from citeproc import string as citeproc_string
from citeproc.source.json import CiteProcJSON

CITEPROC_PY = "0.11.1"
"""The citeproc-py version whose methods are patched (each patch repeats its semantics)."""

PARALLEL_MIN = 400
"""The smallest bibliography whose entries are rendered by two processes: below it, forking
costs more than it saves."""

_MISSING = object()
_memos: list[dict[Any, Any]] = []
"""What each memoized method found, by element and arguments; emptied after each rendering, so
an edited or re-parsed style is never answered from it."""


# --------------------------------------------------------------------------- style look-ups


def _memoized(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` answered once per element and arguments; an IndexError it raises (how
    citeproc-py says "not in the style") is remembered and raised again, as a new exception."""
    memo: dict[Any, Any] = {}
    _memos.append(memo)

    def memoized(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = (self, args, tuple(sorted(kwargs.items()))) if kwargs else (self, args)
        found = memo.get(key, _MISSING)
        if found is _MISSING:
            try:
                found = method(self, *args, **kwargs)
            except IndexError as problem:
                found = _NotFound(problem.args)
            memo[key] = found
        if type(found) is _NotFound:
            raise IndexError(*found.args)
        return found

    memoized.__doc__ = method.__doc__
    memoized.__wrapped__ = method  # type: ignore[attr-defined]
    return memoized


def memoized_property(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A method without arguments that raises nothing, answered once per element (until the
    speed-ups are left: :func:`enabled`)."""
    memo: dict[Any, Any] = {}
    _memos.append(memo)

    def memoized(self: Any) -> Any:
        found = memo.get(self, _MISSING)
        if found is _MISSING:
            found = memo[self] = method(self)
        return found

    memoized.__doc__ = method.__doc__
    memoized.__wrapped__ = method  # type: ignore[attr-defined]
    return memoized


class _NotFound:
    """The IndexError a memoized method answered with."""

    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args


# Methods that depend on the style tree and their arguments only (citeproc-py 0.11.1):
# - CitationStylesElement.xpath_search: every query of citeproc-py is over the style or locale
#   tree (macros, layout, ancestors, terms, dates); the answer is a list that callers only index
#   or test;
# - get_root, get_macro, get_term (style and locale), get_date, get_locale_option: look-ups in
#   that tree (and in the style's locale list, fixed when the style is parsed);
# - calls_variable of Parent and Text: a walk of the element's subtree (and macros);
# - SomewhatObjectifiedElement.__getattr__ (``element.layout``, ``element.sort`` ...): the first
#   child of that name; Names.substitute: the first ``cs:substitute`` child.
_PROPERTIES: list[tuple[type, str]] = [
    (model.CitationStylesElement, "get_root"),
    (model.Parent, "calls_variable"),
    (model.Text, "calls_variable"),
    (model.Names, "substitute"),
]
_PATCHES: list[tuple[type, str]] = [
    (model.SomewhatObjectifiedElement, "__getattr__"),
    (model.CitationStylesElement, "xpath_search"),
    (model.CitationStylesElement, "get_macro"),
    (model.CitationStylesElement, "get_term"),
    (model.CitationStylesElement, "get_date"),
    (model.CitationStylesElement, "get_locale_option"),
    (model.Locale, "get_term"),
]


def _get_formatter(self: model.CitationStylesElement) -> Any:
    """CitationStylesElement.get_formatter, finding the root once instead of twice."""
    root = self.get_root()
    return root.style.formatter if isinstance(root, model.Locale) else root.formatter


def _reference(self: source.CitationItem) -> Any:
    """CitationItem.reference (``self.bibliography.source[self.key]``, where ``bibliography`` is
    ``self.citation.bibliography``), read from the dictionaries without three attribute
    look-ups."""
    try:
        bibliography = dict.__getitem__(dict.__getitem__(self, "citation"), "bibliography")
        key = dict.__getitem__(self, "key")
    except KeyError:
        raise source.VariableError  # noqa: B904 - as citeproc-py raises it
    return bibliography.source[key]


_methods: dict[tuple[type, str], Any] = {}
"""The methods of citeproc-py as they were when the speed-ups were enabled (with the corrections
of :mod:`iombib.citeproc_fixes` in them), which the patches that wrap a method call."""


def _installed(cls: type, name: str) -> Any:
    """The method ``name`` of ``cls`` that was in place when the speed-ups were enabled."""
    return _methods[(cls, name)]


# --------------------------------------------------------------------------- item keys


class _Keys(list):  # type: ignore[type-arg]
    """The bibliography's list of item keys, with ``in`` and ``index`` answered from a
    dictionary of first positions (kept up to date by ``append``, rebuilt after any other
    change)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        super().__init__(keys)
        self._first: dict[str, int] | None = None

    def _positions(self) -> dict[str, int]:
        if self._first is None:
            self._first = {}
            for position, key in enumerate(self):
                self._first.setdefault(key, position)
        return self._first

    def __contains__(self, key: object) -> bool:
        return key in self._positions()

    def index(self, key: Any, *bounds: SupportsIndex) -> int:
        position = self._positions().get(key)
        if position is None or bounds:
            return super().index(key, *bounds)
        return position

    def append(self, key: str) -> None:
        super().append(key)
        if self._first is not None:
            self._first.setdefault(key, len(self) - 1)


def _forgetting(name: str) -> Callable[..., Any]:
    """The list method ``name``, forgetting the positions of :class:`_Keys` first."""
    method = getattr(list, name)

    def changed(self: _Keys, *args: Any) -> Any:
        self._first = None
        return method(self, *args)
    return changed


for _name in ("extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__",
              "__delitem__", "__iadd__", "__imul__"):
    setattr(_Keys, _name, _forgetting(_name))




def _init(self: frontend.CitationStylesBibliography, *args: Any, **kwargs: Any) -> None:
    """CitationStylesBibliography.__init__, with the keys as :class:`_Keys`."""
    _installed(frontend.CitationStylesBibliography, "__init__")(self, *args, **kwargs)
    self.keys = _Keys(self.keys)


def _sort(self: frontend.CitationStylesBibliography) -> None:
    """CitationStylesBibliography.sort, with the keys as :class:`_Keys`."""
    _installed(frontend.CitationStylesBibliography, "sort")(self)
    self.keys = _Keys(self.keys)


def _getitem(self: source.CustomDict, key: Any) -> Any:
    """CustomDict.__getitem__ (every variable of every item is read through it) without the
    ``super()`` call."""
    try:
        return dict.__getitem__(self, key)
    except KeyError:
        raise source.VariableError  # noqa: B904 - as citeproc-py raises it


def _getattr(self: source.CustomDict, name: str) -> Any:
    """CustomDict.__getattr__, as :func:`_getitem`."""
    try:
        return dict.__getitem__(self, name)
    except KeyError:
        raise source.VariableError  # noqa: B904 - as citeproc-py raises it


def _parse_string(self: CiteProcJSON, string: Any) -> Any:
    """CiteProcJSON.parse_string, which appends each piece of the text to an empty MixedString
    (a seam check and a join of all that came before, per piece): for a text without a
    ``nocase`` span (most), the one-piece MixedString that gives."""
    text = str(string)
    if self.start_tag in text.lower():
        return _installed(CiteProcJSON, "parse_string")(self, text)
    return citeproc_string.MixedString([citeproc_string.String(text)] if text else [])


# --------------------------------------------------------------------------- two processes


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _in_child(work: Callable[[list[Any]], list[Any]], items: list[Any]) -> tuple[int, int]:
    """Fork a process that does ``work`` on ``items`` and sends back what it gives and the
    warnings it met through a pipe: (pid, read end)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    status = 1
    try:
        os.close(read)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            done = work(items)
        found = [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
        with os.fdopen(write, "wb") as stream:
            pickle.dump((done, found), stream, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)


def _collect(pid: int, read: int) -> list[Any] | None:
    """What a child of :func:`_in_child` gave, its warnings issued again here, or None when it
    failed (its result could not be pickled, say)."""
    with os.fdopen(read, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    done, found = pickle.loads(data)
    for category, message, filename, lineno in found:
        warnings.warn_explicit(message, category, filename, lineno)
    return done


@memoized_property
def items_independent(root: model.Style) -> bool:
    """Whether the style renders each item independently of the items rendered before it.

    Not so in citeproc-py 0.11.1 when a localized date (``form="text"`` or ``"numeric"``)
    overrides date-parts differently in different places: Date_Part.process copies the
    overriding attributes into the locale's date-part element for good (``attrib.update``), so
    what one place set leaks into the next rendering. When every date of a form overrides the
    same way (or none does), each rendering sets the same attributes before it reads them."""
    overrides: dict[str, set[frozenset[Any]]] = {}
    for date in root.iterfind(".//cs:date", root.nsmap):
        if date.get("form") is not None:
            parts = frozenset((part.get("name"), frozenset(part.attrib.items()))
                              for part in date.iterfind("cs:date-part", root.nsmap))
            overrides.setdefault(date.get("form"), set()).add(parts)
    return all(len(found) == 1 for found in overrides.values())


CHUNK = 50
"""How many items a process of :func:`_in_two` takes at a time."""


class _Claims:
    """Chunk numbers ``0 .. count - 1`` handed out once each to whichever of two forked
    processes asks next (a counter in shared memory, behind a lock)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._next = mmap.mmap(-1, 8)
        self._lock = multiprocessing.get_context("fork").Lock()

    def __iter__(self) -> Iterator[int]:
        while True:
            with self._lock:
                number = int.from_bytes(self._next[:8], "little")
                self._next[:8] = (number + 1).to_bytes(8, "little")
            if number >= self._count:
                return
            yield number


def _in_two(work: Callable[[list[Any]], list[Any]], items: list[Any], root: model.Style,
            sent: Callable[[Any], Any] = lambda x: x) -> list[Any]:
    """``work(items)``, where ``work`` does each item on its own (so that the result is the
    concatenation of its results on parts): for many items of a style that renders them
    independently (:func:`items_independent`), this process and a forked copy of it take
    chunks of :data:`CHUNK` items in turn until none is left (so the one that runs faster does
    more), and the copy's results come back as ``sent`` makes them (``sent(x)`` must be what a
    caller cannot tell from ``x``); if the copy fails, this process does its chunks too."""
    if len(items) < PARALLEL_MIN or _cores() < 2 or not items_independent(root):
        return work(items)
    chunks = [items[n:n + CHUNK] for n in range(0, len(items), CHUNK)]
    claims = _Claims(len(chunks))
    pid, read = _in_child(
        lambda _: [(n, [sent(x) for x in work(chunks[n])]) for n in claims], [])
    try:
        done = {n: work(chunks[n]) for n in claims}
    except BaseException:
        os.close(read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    done.update(_collect(pid, read) or [])
    return [x for n, chunk in enumerate(chunks)
            for x in (done[n] if n in done else work(chunk))]


def each(work: Callable[[list[Any]], list[Any]], items: list[Any], root: model.Style
         ) -> list[Any]:
    """``work(items)`` for a ``work`` that renders each item on its own (to an in-text
    citation, say) and gives picklable results: while the speed-ups are :func:`enabled`, many
    items are rendered in two processes (:func:`_in_two`); otherwise, or on another citeproc-py
    version, in this one."""
    if _depth == 0:
        return work(items)
    return _in_two(work, items, root)


# --------------------------------------------------------------------------- rendering steps

def _sort_items(self: model.Sort, items: list[Any], context: Any) -> list[Any]:
    """Sort.sort, without rendering the sort keys of a single item (each in-text citation of one
    item sorts its one item by the style's citation keys)."""
    if len(items) < 2:
        return list(items)
    return _installed(model.Sort, "sort")(self, items, context)


_PLAIN_FORMAT = (("font-style", "normal"), ("font-variant", "normal"), ("font-weight", "normal"),
                 ("text-decoration", "none"), ("vertical-align", "baseline"))


@memoized_property
def _formats_nothing(self: model.Formatted) -> bool:
    """Whether Formatted.format of this element leaves text as it is (no font or decoration
    attribute other than its default)."""
    return all(self.get(name, default) == default for name, default in _PLAIN_FORMAT)


def _format(self: model.Formatted, string: Any) -> Any:
    """Formatted.format, which applies five formatting attributes one after the other: for an
    element that has none of them (most), only its conversion of numbers to ``str``. Not for
    date-parts, whose attributes citeproc-py changes as it renders (see
    :func:`items_independent`)."""
    if not isinstance(self, model.Date_Part) and _formats_nothing(self):
        return str(string) if isinstance(string, int | float) else string
    return _installed(model.Formatted, "format")(self, string)


_IF_TESTS = {"type": "_type", "variable": "_variable", "is-numeric": "_is_numeric",
             "is-uncertain-date": "_is_uncertain_date", "locator": "_locator",
             "position": "_position"}
"""The tests of ``cs:if`` that If.render makes, in its order, and the methods that make them."""


@memoized_property
def _if_plan(self: model.If) -> tuple[tuple[str, ...], str | None, tuple[str, ...],
                                      tuple[str, ...]]:
    """The tests an ``if`` or ``else-if`` has (in the order If.render makes them), its
    ``match``, the lower-cased types its ``type`` test names and the variables its
    ``variable`` test names, as citeproc-py names them."""
    return (tuple(name for name in _IF_TESTS if name in self.attrib), self.get("match"),
            tuple(kind.lower() for kind in self.get("type", "").split()),
            tuple(name.replace("-", "_") for name in self.get("variable", "").split()))


def _if_passes(self: model.If, item: Any, context: Any) -> bool:
    """The outcome of the tests of an ``if`` or ``else-if`` for ``item``, as If.render decides
    it (and If._type and If._variable test), with the element's tests, match, types and
    variables read once instead of per item (Chicago tests some 370 conditions per entry)."""
    tests, match, types, variables = _if_plan(self)
    results: list[Any] = []
    for test in tests:
        if test == "type":
            kind = item.reference.type
            results += [name == kind for name in types]
        elif test == "variable":
            reference = item.reference
            results += [("locator" in item) if name == "locator" else (name in reference)
                        for name in variables]
        elif test == "position":
            results += self._position(item, context)
        else:
            results += getattr(self, _IF_TESTS[test])(item)
    if match == "any":
        return any(results)
    if match == "none":
        return not any(results)
    return all(results)


def tester(branch: Any) -> Callable[[Any, Any], bool] | None:
    """How a branch of ``cs:choose`` (``if``, ``else-if`` or ``else``) decides, by its tests,
    whether it is taken for an item in a context, while the speed-ups are :func:`enabled`;
    None otherwise (then its ``render`` tests, and raises ConditionFailed when they fail). A
    patch of Choose.render, such as the one of :mod:`iombib.citeproc_fixes` for the
    ``disambiguate`` test, asks this once per branch instead of catching an exception for each
    branch not taken."""
    if _depth == 0:
        return None
    return _tester(branch)


def _always(item: Any, context: Any) -> bool:
    return True


def _never(item: Any, context: Any) -> bool:
    return False


@memoized_property
def _tester(branch: Any) -> Callable[[Any, Any], bool]:
    """:func:`_if_passes` for one branch, made once: type and variable tests (the most common in
    large styles; not of ``locator``) are set operations on the item."""
    if not isinstance(branch, model.If):
        return _always
    tests, match, types, variables = _if_plan(branch)
    if not set(tests) <= {"type", "variable"} or "locator" in variables \
            or len(set(types)) < len(types):
        return functools.partial(_if_passes, branch)
    if match not in ("any", "none"):  # "all", If.render's default for any other match
        if len(types) > 1:
            return _never  # an item has one type
        kind = types[0] if types else None
        return lambda item, context: ((kind is None or item.reference.type == kind)
                                      and all(v in item.reference for v in variables))
    wanted = frozenset(types)

    def some(item: Any, context: Any) -> bool:
        reference = item.reference
        return reference.type in wanted or any(v in reference for v in variables)
    return some if match == "any" else lambda item, context: not some(item, context)


def _names_process(self: model.Names, item: Any, *args: Any, **kwargs: Any) -> Any:
    """Names.process, which fails (VariableError) when the item has none of the element's
    variables and the element has no ``cs:substitute``: failing so at once, without the
    corrections that wrap it (none of which does anything on that path)."""
    if self.substitute() is None:
        reference = item.reference
        if not any(role in reference for role in self.get("variable").split()):
            raise source.VariableError
    return _installed(model.Names, "process")(self, item, *args, **kwargs)


@memoized_property
def children(self: model.CitationStylesElement) -> tuple[Any, ...]:
    """The child elements of a style element (read once per rendering of the speed-ups)."""
    return tuple(self.iterchildren())


@memoized_property
def _child_plan(self: model.Parent) -> tuple[tuple[Any, bool, bool], ...]:
    """Each child of an element, with whether it is a ``cs:choose`` (which is handed the
    enclosing delimiter) and whether it calls a variable (Group.process asks)."""
    return tuple((child, isinstance(child, model.Choose), child.calls_variable())
                 for child in children(self))


def _render_children(self: model.Parent, item: Any, delimiter: str = "", **kwargs: Any
                     ) -> Any:
    """Parent.render_children over the children found once (:func:`_child_plan`)."""
    output = []
    for child, choose, _ in _child_plan(self):
        try:
            text = (child.render(item, delimiter=delimiter, **kwargs) if choose
                    else child.render(item, **kwargs))
        except source.VariableError:
            continue
        if text is not None:
            output.append(text)
    return model.join(output, delimiter) if output else None


def _group_render(self: model.Group, item: Any, context: Any = None, **kwargs: Any) -> Any:
    """Group.render (Group.process, then Group.markup) in one call, over the children found
    once (:func:`_child_plan`): the group is suppressed (VariableError) when it renders
    nothing, or when it calls variables and none of the children that call one rendered;
    at once, without rendering a child, when it :func:`renders_nothing` for the item."""
    if renders_nothing(self, item):
        raise source.VariableError
    output = []
    variable_called = variable_rendered = False
    delimiter = _delimiter(self)
    for child, choose, calls in _child_plan(self):
        variable_called = variable_called or calls
        try:
            text = (child.render(item, context=context, delimiter=delimiter, **kwargs)
                    if choose else child.render(item, context=context, **kwargs))
        except source.VariableError:
            continue
        if text is not None:
            output.append(text)
            variable_rendered = variable_rendered or calls
    if not output or (variable_called and not variable_rendered):
        raise source.VariableError
    text = self.join(output)
    return self.wrap(self.format(text)) if text else None


def renders_nothing(element: Any, item: Any) -> bool:
    """Whether ``element`` (a ``cs:group``, say) certainly renders nothing for ``item``, which
    has none of the variables that it needs one of (:func:`_needed`); False while the
    speed-ups are not :func:`enabled`."""
    if _depth == 0:
        return False
    reference = item.reference
    return _nothing_for((element, reference.get("type")), reference, item)


def _nothing_for(key: tuple[Any, str | None], reference: Any, item: Any) -> bool:
    """:func:`renders_nothing` for ``key`` (element and item type), given the item's
    reference."""
    needed = _needed_by_type.get(key, _MISSING)
    if needed is _MISSING:
        needed = _needed_by_type[key] = _needed(*key)
    return (needed is not None and needed.isdisjoint(reference)
            and not (LOCATOR in needed and "locator" in item))


def branch_plan(choose: model.Choose, item: Any
                ) -> tuple[tuple[Any, Callable[[Any, Any], bool]], ...] | None:
    """The branches of ``choose`` that ``item`` may take, in order, each with its
    :func:`tester`, while the speed-ups are :func:`enabled`: none when the choose
    :func:`renders_nothing` for the item; without those that the item's type rules out, and
    ending with one that its type decides for (tested as always taken). The first branch whose
    tester passes is the one taken. None when the speed-ups are off or a branch has a
    ``disambiguate`` test (which :mod:`iombib.citeproc_fixes` decides)."""
    if _depth == 0:
        return None
    reference = item.reference
    key = (choose, reference.get("type"))
    plan = _plans.get(key, _MISSING)
    if plan is _MISSING:
        plan = _plans[key] = _plan(*key)
    if plan is None:
        return None
    return () if _nothing_for(key, reference, item) else plan


def _plan(choose: model.Choose, kind: str | None
          ) -> tuple[tuple[Any, Callable[[Any, Any], bool]], ...] | None:
    taken = _branches_taken(choose, kind)
    if taken is None:
        return None
    return tuple((branch, _always if _type_verdict(branch, kind) else _tester(branch))
                 for branch in taken)


_plans: dict[tuple[Any, str | None], Any] = {}
""":func:`_plan` by ``cs:choose`` and item type, for :func:`branch_plan`; emptied with the
memos."""
_memos.append(_plans)

_needed_by_type: dict[tuple[Any, str | None], frozenset[str] | None] = {}
""":func:`_needed` by element and item type, for :func:`renders_nothing` (a look-up cheaper
than the memoized call); emptied with the memos."""
_memos.append(_needed_by_type)


@_memoized
def _witnesses(self: model.Group, kind: str | None) -> frozenset[str] | None:
    """Variables of which an item of type ``kind`` needs one for the group to render: when it
    has none, each child that calls a variable renders nothing, so Group.process suppresses
    the group (having rendered those children for nothing, with no side effect, since nothing
    rendered). None when that cannot be told from the style: the group calls no variable, or a
    child may render without any (a term, a label, a ``disambiguate`` test that notes the
    item)."""
    calling = [child for child, _, calls in _child_plan(self) if calls]
    return _needs_one_of(calling, kind) if calling else None


def _needs_one_of(elements: Iterable[Any], kind: str | None) -> frozenset[str] | None:
    """Variables (as citeproc-py's items name them, and as the style spells them) of which an
    item of type ``kind`` needs one for any of ``elements`` to render something; None when one
    of them may render without a variable."""
    return _union(_needed(element, kind) for element in elements)


def _union(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """The union of ``sets``; None when one of them is None."""
    found: set[str] = set()
    for variables in sets:
        if variables is None:
            return None
        found |= variables
    return frozenset(found)


_UNREAD_VARIABLES = frozenset({"citation-number", "first-reference-note-number",
                               "citation-label"})
"""Variables that Text and Number do not read from the item's reference (citeproc-py 0.11.1)."""

LOCATOR = "@locator"
"""What :func:`_needed` names the citation item's locator by (which the item has, not its
reference; no variable is spelled so)."""


def _spellings(variables: Iterable[str]) -> frozenset[str]:
    return frozenset(name for spelled in variables for name in (spelled, spelled.replace("-", "_")))


@_memoized
def _needed(element: Any, kind: str | None) -> frozenset[str] | None:
    """:func:`_needs_one_of` for one element: a ``cs:text`` or ``cs:number`` of a variable (its
    short form too), a ``cs:date``, a ``cs:names`` (its variables and its substitutes), a
    ``cs:group`` (:func:`_witnesses`), a macro's children, a ``cs:choose``'s branches that an
    item of type ``kind`` may take (:func:`_branches_taken`); None for anything else."""
    variable = element.get("variable")
    if isinstance(element, model.Group):
        return _witnesses(element, kind)
    if isinstance(element, (model.Text, model.Number)):
        if variable == "locator":
            return frozenset({LOCATOR}) | _spellings(["locator-short"])
        if variable is not None:
            if variable in _UNREAD_VARIABLES:
                return None
            return _spellings({variable, f"{variable}-short",
                               "page" if variable.startswith("page") else variable})
        if isinstance(element, model.Text) and "macro" in element.attrib:
            return _needs_one_of(children(_macro(element)), kind)
        return None
    if isinstance(element, model.Date) and variable is not None:
        return _spellings([variable])
    if isinstance(element, model.Label) and variable == "locator":
        form = element.get("form", "long")
        form = None if form == "long" else form
        terms = (element.get_single_term(name="locator", form=form),
                 element.get_plural_term(name="locator", form=form))
        return None if any(terms) else frozenset({LOCATOR})
    if isinstance(element, model.Names) and variable is not None:
        substitute = element.substitute()
        own = _needs_one_of(() if substitute is None else children(substitute), kind)
        return None if own is None else own | _spellings(variable.split())
    if isinstance(element, model.Choose):
        taken = _branches_taken(element, kind)
        if taken is None:
            return None
        return _union(_branch_needs(branch, kind) for branch in taken)
    return None


def _branch_needs(branch: Any, kind: str | None) -> frozenset[str] | None:
    """:func:`_needs_one_of` for a branch's children, or else what its tests imply."""
    needed = _needs_one_of(children(branch), kind)
    return _implied(branch, kind) if needed is None else needed


def _implied(branch: Any, kind: str | None) -> frozenset[str] | None:
    """Variables of which an item of type ``kind`` has one when it takes a branch of
    ``cs:choose``, by the branch's ``variable`` and ``is-numeric`` tests (true only for a
    variable the item has); None when its tests imply none."""
    if not isinstance(branch, model.If):
        return None
    tests, match, types, variables = _if_plan(branch)
    tested = [LOCATOR if name == "locator" else name for name in variables]
    tested += [name.replace("-", "_") for name in branch.get("is-numeric", "").split()]
    tested += [LOCATOR] if "locator" in tests else []
    if match == "any":
        decisive = set(tests) - {"variable", "is-numeric", "locator"} - (
            {"type"} if kind not in types else set())
        if decisive:
            return None
    elif match == "none":
        return None
    return _spellings(tested) if tested else None


def _branches_taken(choose: model.Choose, kind: str | None) -> list[Any] | None:
    """The branches of a ``cs:choose`` that an item of type ``kind`` may take, as far as the
    type tests tell (a branch whose type tests decide against the item is left out; the
    branches after one that they decide for are too); None when a branch has a
    ``disambiguate`` test (deciding it notes the item)."""
    taken = []
    for branch in children(choose):
        if "disambiguate" in branch.attrib:
            return None
        verdict = _type_verdict(branch, kind)
        if verdict is False:
            continue
        taken.append(branch)
        if verdict is True:
            break
    return taken


def _type_verdict(branch: Any, kind: str | None) -> bool | None:
    """Whether an item of type ``kind`` takes a branch of ``cs:choose`` as far as its type
    tests tell (as If.render combines them by ``match``); None when its other tests decide."""
    if not isinstance(branch, model.If):
        return True
    tests, match, types, _ = _if_plan(branch)
    results = [name == kind for name in types] if "type" in tests else []
    alone = set(tests) <= {"type"}
    if match == "any":
        return True if any(results) else (False if alone else None)
    if match == "none":
        return False if any(results) else (True if alone else None)
    return (True if alone else None) if all(results) else False


@memoized_property
def _delimiter(self: model.Group) -> str:
    return self.get("delimiter", "")


_TEXT_KINDS = ("variable", "macro", "term", "value")


@memoized_property
def _text_kind(self: model.Text) -> str | None:
    """What a ``cs:text`` renders: the first of its attributes ``variable``, ``macro``,
    ``term`` and ``value`` (as Text.process looks for them)."""
    return next((kind for kind in _TEXT_KINDS if kind in self.attrib), None)


@memoized_property
def _macro(self: model.Text) -> model.Macro:
    """The macro a ``cs:text`` renders."""
    return self.get_macro(self.get("macro"))


@memoized_property
def _default_language(self: model.Text) -> str:
    return self.get_root().get("default-locale", "en")[:2]


def _text_render(self: model.Text, item: Any, context: Any = None, **kwargs: Any) -> Any:
    """Text.render (Text.process, then Text.markup) in one call: what the element renders is
    found once (:func:`_text_kind`), the markup steps strip_periods, case and quote are called
    only where the element's attributes let them change the text (:func:`_markup_steps`), and
    the item's language only for the case step (:func:`_text_language`)."""
    kind = _text_kind(self)
    if kind is None:
        return _installed(model.Text, "render")(self, item, context, **kwargs)
    if context is None:
        context = self
    if kind == "variable":
        text = self._variable(item, context)
    elif kind == "macro":
        text = _macro(self).render(item, context)
    elif kind == "term":
        text = self._term(item)
    else:
        text = model.String(self.preformat(self.get("value")))
    if not text:
        return None
    strip, case, quotes = _markup_steps(self)
    if strip:
        text = self.strip_periods(text)
    if case:
        text = self.case(text, _text_language(self, item))
    text = self.format(text)
    if quotes:
        text = self.quote(text)
    return self.wrap(text)


def _text_language(self: model.Text, item: Any) -> str:
    """The language Text.process gives Text.markup (only its case step reads it): the item's,
    else the style's default locale's, as two letters."""
    try:
        language = dict.get(item.reference, "language", _MISSING)
    except source.VariableError:
        language = _MISSING
    return _default_language(self) if language is _MISSING else language[:2]


@memoized_property
def _markup_steps(self: model.Text) -> tuple[bool, bool, bool]:
    """Whether this element has the attributes without which Text.markup's steps
    strip_periods, case and quote give the text back as it is (``strip-periods``,
    ``text-case``, ``quotes``)."""
    return ("strip-periods" in self.attrib, "text-case" in self.attrib, "quotes" in self.attrib)


@_memoized
def _term_form(self: model.Term, form: str, preformat: Callable[[str], str]) -> Any:
    """Term.single (``form`` "cs:single") or Term.multiple ("cs:multiple") with the
    ``preformat`` of the rendering's formatter (which escapes the text)."""
    try:
        text = self.find(form, self.nsmap).text
    except AttributeError:
        text = self.text
    return citeproc_string.String(preformat(text or ""))


def _term_single(self: model.Term) -> Any:
    """Term.single, once per term and formatter (:func:`_term_form`)."""
    return _term_form(self, "cs:single", self.get_formatter().preformat)


def _term_multiple(self: model.Term) -> Any:
    """Term.multiple, once per term and formatter (:func:`_term_form`)."""
    return _term_form(self, "cs:multiple", self.get_formatter().preformat)


@_memoized
def _name_option_of_style(self: model.Name, name: str, context: Any = None) -> Any:
    return _installed(model.Name, "get_option")(self, name, context)


def _name_option(self: model.Name, name: str, context: Any = None,
                 sort_options: Any = None) -> Any:
    """Name.get_option (asked some fifteen times per name rendered): memoized per element,
    option and context unless the sort's options give it."""
    try:
        sort_options[name]
    except (TypeError, KeyError):
        return _name_option_of_style(self, name, context)
    return _installed(model.Name, "get_option")(self, name, context, sort_options)


# --------------------------------------------------------------------------- switching


@functools.cache
def _replacements() -> list[tuple[type, str, Any]]:
    """Each patched class and method name with its replacement, made once."""
    found: list[tuple[type, str, Any]] = [
        (cls, name, _memoized(cls.__dict__[name])) for cls, name in _PATCHES]
    found += [(cls, name, memoized_property(cls.__dict__[name])) for cls, name in _PROPERTIES]
    found += [
        (model.CitationStylesElement, "get_formatter", _get_formatter),
        (source.CitationItem, "reference", property(_reference)),
        (frontend.CitationStylesBibliography, "__init__", _init),
        (frontend.CitationStylesBibliography, "sort", _sort),
        (model.Sort, "sort", _sort_items),
        (model.Formatted, "format", _format),
        (model.Name, "get_option", _name_option),
        (model.Parent, "render_children", _render_children),
        (model.Group, "render", _group_render),
        (model.Text, "render", _text_render),
        (model.Names, "process", _names_process),
        (model.Term, "single", property(_term_single)),
        (model.Term, "multiple", property(_term_multiple)),
        (source.CustomDict, "__getitem__", _getitem),
        (source.CustomDict, "__getattr__", _getattr),
        (CiteProcJSON, "parse_string", _parse_string),
    ]
    return found


_depth = 0

YOUNG_COLLECTION = 50_000
"""The allocations (less deallocations) after which the collector looks at the young objects,
while the speed-ups are enabled (CPython's default is 700)."""


@contextlib.contextmanager
def enabled() -> Iterator[bool]:
    """Patch citeproc-py for the time of the block; yields whether it was patched (not on
    another citeproc-py version than :data:`CITEPROC_PY`). Re-entrant."""
    global _depth
    if metadata.version("citeproc-py") != CITEPROC_PY:
        yield False
        return
    saved = []
    thresholds = gc.get_threshold()
    if _depth == 0:
        for cls, name, replacement in _replacements():
            saved.append((cls, name, cls.__dict__.get(name, _MISSING)))
            _methods[(cls, name)] = getattr(cls, name)
            setattr(cls, name, replacement)
        gc.freeze()
        if thresholds[0]:  # 0: collection is turned off
            gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION), *thresholds[1:])
    _depth += 1
    try:
        yield True
    finally:
        _depth -= 1
        for cls, name, original in saved:
            if original is _MISSING:  # inherited (Group.render)
                delattr(cls, name)
            else:
                setattr(cls, name, original)
        if _depth == 0:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            for memo in _memos:
                memo.clear()
