"""Conformance of iombib's citations with citeproc-js, the reference CSL processor.

Each :class:`Case` (style, locale, output format) renders a part of the catalogue with both
engines, from the same CSL items (:func:`iombib.cite.items` for the style, so with iombib's data
rules for it, such as APA's publisher omitted when it is the author) and the same style and
locale files,
and :func:`compare` lists every :class:`Divergence`: per record, its bibliography entry, its place
in the bibliography's order and its in-text citation (all items registered, as citeproc-js
disambiguates over them). ``docs/citation-divergences.md`` lists the divergences that are known,
each with its reason; ``tests/test_conformance.py`` checks that the list is exactly what is
measured.

    python3 tests/conformance.py [--style S] [--locale L] [--format F] [--quiet]
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from consumers import citeproc_js_render, csl_locale_path  # noqa: E402

import iombib  # noqa: E402
from iombib import styles  # noqa: E402
from iombib.cite import items  # noqa: E402
from iombib.records import Catalogue  # noqa: E402

STYLES = ("apa", "chicago-author-date", "harvard-cite-them-right",
          "modern-language-association", "ieee", "vancouver-nlm", "iom")
"""The styles iombib must render exactly as citeproc-js does."""

LOCALES = {"en-US": None, "fr-FR": "fr", "es-ES": "es"}
"""Each locale and the language whose records (in that language's edition) it cites; en-US
cites the whole catalogue in each record's primary edition."""

FORMATS = ("text", "html")
PARTS = ("bibliography", "order", "in-text")
"""What is compared per record: its entry, its place in the bibliography, its citation."""

DOC = ROOT / "docs" / "citation-divergences.md"
RECORDS = ROOT / "records"
_ENTRY_DIV = re.compile(r'\A<div class="csl-entry">(.*)</div>\Z', re.S)


@dataclass(frozen=True, order=True)
class Case:
    """One rendering compared: a style, a locale and an output format."""

    style: str
    locale: str
    format: str

    @property
    def language(self) -> str | None:
        """The language whose records, in that language's edition, the case cites."""
        return LOCALES[self.locale]

    def __str__(self) -> str:
        return f"{self.style} {self.locale} {self.format}"


@dataclass(frozen=True, order=True)
class Divergence:
    """One record whose ``part`` (bibliography, order, in-text) differs in one case."""

    style: str
    locale: str
    format: str
    part: str
    record: str

    @property
    def case(self) -> Case:
        return Case(self.style, self.locale, self.format)


@dataclass
class Outcome:
    """A case rendered by both engines: (id, text) per engine and part, and what differs."""

    case: Case
    ids: list[str]
    iombib_entries: list[tuple[str, str]]
    js_entries: list[tuple[str, str]]
    iombib_in_text: dict[str, str]
    js_in_text: dict[str, str]
    js_problems: list[str]

    def divergences(self) -> list[Divergence]:
        """Every record that differs in this case, per part."""
        c = self.case
        found: set[Divergence] = set()
        ours, theirs = dict(self.iombib_entries), dict(self.js_entries)
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                found.add(Divergence(c.style, c.locale, c.format, "bibliography", key))
        for key in moved([k for k, _ in self.iombib_entries], [k for k, _ in self.js_entries]):
            found.add(Divergence(c.style, c.locale, c.format, "order", key))
        for key in self.ids:
            if self.iombib_in_text.get(key) != self.js_in_text.get(key):
                found.add(Divergence(c.style, c.locale, c.format, "in-text", key))
        return sorted(found)

    def matches(self, part: str) -> tuple[int, int]:
        """How many records of ``part`` match, of how many."""
        wrong = {d.record for d in self.divergences() if d.part == part}
        total = len(self.ids) if part == "in-text" else len(self.js_entries)
        return total - len(wrong), total


def moved(ours: list[str], theirs: list[str]) -> list[str]:
    """The ids of ``theirs`` that are out of place in ``ours``: those outside a longest common
    subsequence of the two orders (an id only one side has is a bibliography divergence)."""
    common = set(ours) & set(theirs)
    a, b = [k for k in ours if k in common], [k for k in theirs if k in common]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    kept = {k for block in matcher.get_matching_blocks() for k in b[block.b:block.b + block.size]}
    return [k for k in b if k not in kept]


@functools.cache
def catalogue() -> Catalogue:
    return iombib.load(RECORDS)


def records_for(language: str | None) -> list[iombib.Record]:
    """The catalogue (None) or the records with an edition in ``language``."""
    found = catalogue().records
    if language is None:
        return list(found)
    return [r for r in found
            if language in r.languages or any(e.language == language for e in r.editions)]


def cases(style: str | None = None, locale: str | None = None,
          format: str | None = None) -> list[Case]:
    """The matrix of cases, or the part of it that the arguments choose."""
    return [Case(s, loc, f) for s in STYLES for loc in LOCALES for f in FORMATS
            if style in (None, s) and locale in (None, loc) and format in (None, f)]


def style_available(name: str) -> bool:
    """True when iombib can find the style (``iom`` is being written)."""
    try:
        styles.find(name)
    except iombib.IombibError:
        return False
    return True


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@dataclass
class _Inputs:
    """What both engines are given for a case."""

    case: Case
    records: list[iombib.Record]
    csl: list[dict]
    style_xml: str
    locales: dict[str, str]

    @property
    def ids(self) -> list[str]:
        return [str(item["id"]) for item in self.csl]


def _inputs(case: Case) -> _Inputs:
    records = records_for(case.language)
    style = styles.find(case.style)
    csl = items(records, organizations=catalogue().organizations, language=case.language,
                style=style)
    locales = {name: _read(csl_locale_path(name)) for name in {"en-US", case.locale}}
    return _Inputs(case, records, csl, _read(style.path), locales)


def _citeproc_js(given: _Inputs) -> dict:
    return citeproc_js_render(given.csl, given.style_xml, given.locales[given.case.locale],
                              given.case.format, citations=[[{"id": k}] for k in given.ids],
                              locales=given.locales)


def _outcome(given: _Inputs, js: dict) -> Outcome:
    case, ids = given.case, given.ids
    ours = iombib.cite(given.records, style=case.style, format=case.format, locale=case.locale,
                       organizations=catalogue().organizations, language=case.language)
    problems = list(js["errors"])
    entries = js["bibliography"]
    if case.format == "html":
        entries = [_unwrap(text) for text in entries]
    if len(js["citations"]) != len(ids):
        problems.append(f"citeproc-js gave {len(js['citations'])} citations for {len(ids)} "
                        f"items (exit {js['returncode']}): {js['stderr'][:500]}")
    return Outcome(case=case, ids=ids,
                   iombib_entries=[(e.id, e.text) for e in ours.entries],
                   js_entries=list(zip([str(g[0]) for g in js["entry_ids"]], entries,
                                       strict=True)),
                   iombib_in_text={e.id: e.text for e in ours.in_text},
                   js_in_text=dict(zip(ids, js["citations"], strict=False)),
                   js_problems=problems)


def _unwrap(entry: str) -> str:
    match = _ENTRY_DIV.match(entry)
    return match.group(1) if match else entry


def run(chosen: Iterable[Case]) -> list[Outcome]:
    """Render each case with iombib and with citeproc-js and pair the results: the node
    processes run concurrently, iombib's renderings one after another (a parsed style is shared
    between renderings and citeproc-py's rendering is not thread-safe)."""
    given = [_inputs(case) for case in chosen]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        pending = [pool.submit(_citeproc_js, g) for g in given]
        ours = [(g, p) for g, p in zip(given, pending, strict=True)]
        return [_outcome(g, p.result()) for g, p in ours]


# --------------------------------------------------------------------------- the list


_ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")


def documented(path: Path = DOC) -> dict[Divergence, str]:
    """The divergences listed in the table of ``path``, each with its reason.

    A row's style, locale, format, part and record cells may each hold several values
    separated by commas: the row lists every combination of them.
    """
    listed: dict[Divergence, str] = {}
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if not match:
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in match.group("cells").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        row = dict(zip(header, cells, strict=False))
        if "record" not in row:
            continue
        values = [_split(row[k]) for k in ("style", "locale", "format", "part", "record")]
        for style in values[0]:
            for locale in values[1]:
                for fmt in values[2]:
                    for part in values[3]:
                        for record in values[4]:
                            listed[Divergence(style, locale, fmt, part, record)] = row["reason"]
    return listed


def _split(cell: str) -> list[str]:
    return [v.strip().strip("`") for v in cell.split(",") if v.strip()]


def table(divergences: Iterable[Divergence], reasons: dict[Divergence, str]) -> Iterator[str]:
    """Rows of the divergence table for ``divergences``, merged where only the format or the
    record differs and the reason is the same (``python3 tests/conformance.py --table``)."""
    by_format: dict[tuple[str, str, str, str, str], list[str]] = {}
    for d in sorted(divergences):
        reason = reasons.get(d, "not yet analysed")
        by_format.setdefault((d.style, d.locale, d.part, d.record, reason), []).append(d.format)
    by_record: dict[tuple[str, str, str, str, str], list[str]] = {}
    for (style, locale, part, record, reason), formats in by_format.items():
        key = (style, locale, ", ".join(formats), part, reason)
        by_record.setdefault(key, []).append(f"`{record}`")
    yield "| style | locale | format | part | record | reason |"
    yield "|---|---|---|---|---|---|"
    for (style, locale, formats, part, reason), records in sorted(by_record.items()):
        yield f"| {style} | {locale} | {formats} | {part} | {', '.join(records)} | {reason} |"


def write_doc(found: list[Divergence], path: Path = DOC) -> None:
    """Replace the count and the table of ``path`` (everything from its "## Count" heading on)
    with those of ``found``, keeping the reasons the table gives."""
    text = path.read_text(encoding="utf-8")
    head = text[:text.index("## Count")]
    counts: dict[str, int] = {}
    for d in found:
        counts[d.style] = counts.get(d.style, 0) + 1
    per_style = ", ".join(f"{style} {counts.get(style, 0)}" for style in STYLES)
    rows = "\n".join(table(found, documented(path)))
    path.write_text(f"{head}## Count\n\n**{len(found)} divergences** ({per_style}).\n\n"
                    "## List\n\nA row lists every combination of the values in its cells.\n\n"
                    f"{rows}\n", encoding="utf-8")


# --------------------------------------------------------------------------- summary


def summary(outcomes: Iterable[Outcome], show_diffs: bool = True) -> Iterator[str]:
    """A readable report: per case and part, how many records match, and each difference."""
    for outcome in outcomes:
        counts = "  ".join(f"{part} {'{}/{}'.format(*outcome.matches(part))}" for part in PARTS)
        yield f"{outcome.case}: {counts}"
        for problem in outcome.js_problems:
            yield f"  citeproc-js: {problem}"
        if not show_diffs:
            continue
        ours, theirs = dict(outcome.iombib_entries), dict(outcome.js_entries)
        for d in outcome.divergences():
            if d.part == "bibliography":
                yield from _diff(d, ours.get(d.record), theirs.get(d.record))
            elif d.part == "in-text":
                yield from _diff(d, outcome.iombib_in_text.get(d.record),
                                 outcome.js_in_text.get(d.record))
        order = [d.record for d in outcome.divergences() if d.part == "order"]
        if order:
            yield f"  order: {len(order)} out of place: {', '.join(order)}"


def _diff(d: Divergence, ours: str | None, theirs: str | None) -> Iterator[str]:
    yield f"  {d.part} {d.record}"
    yield f"    iombib:      {ours}"
    yield f"    citeproc-js: {theirs}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", choices=STYLES)
    parser.add_argument("--locale", choices=list(LOCALES))
    parser.add_argument("--format", choices=FORMATS)
    parser.add_argument("--quiet", action="store_true", help="counts only, no differences")
    parser.add_argument("--write", action="store_true",
                        help="rewrite the count and the table of docs/citation-divergences.md "
                             "from this measurement, keeping the reasons it gives (run it over "
                             "the whole matrix)")
    args = parser.parse_args(argv)
    chosen = [c for c in cases(args.style, args.locale, args.format) if style_available(c.style)]
    skipped = sorted({c.style for c in cases(args.style) if not style_available(c.style)})
    outcomes = run(chosen)
    if args.write:
        found = [d for o in outcomes for d in o.divergences()]
        write_doc(found)
        print(f"{DOC}: {len(found)} divergences")
        return 0
    for line in summary(outcomes, show_diffs=not args.quiet):
        print(line)
    total = sum(len(o.divergences()) for o in outcomes)
    print(f"\n{total} divergences in {len(outcomes)} cases"
          + (f"; styles not available: {', '.join(skipped)}" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
