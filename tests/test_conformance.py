"""iombib's citations against citeproc-js over the whole catalogue (tests/conformance.py): the
divergences measured must be exactly those docs/citation-divergences.md lists, so that a new
divergence fails and so does a fixed one that is still listed."""

from __future__ import annotations

import re

import pytest
from conformance import (
    DOC,
    STYLES,
    Divergence,
    cases,
    documented,
    moved,
    run,
    style_available,
    summary,
    table,
)
from consumers import require_citeproc_js


@pytest.fixture(scope="module")
def outcomes():
    require_citeproc_js()
    chosen = [case for case in cases() if style_available(case.style)]
    return run(chosen)


def test_divergences_are_exactly_the_documented_ones(outcomes) -> None:
    measured = {d for outcome in outcomes for d in outcome.divergences()}
    rendered = {outcome.case.style for outcome in outcomes}
    listed = {d for d in documented() if d.style in rendered}
    new, fixed = measured - listed, listed - measured
    report = [line for line in summary(o for o in outcomes
                                       if any(d.case == o.case for d in new))]
    assert not new, (f"{len(new)} divergences not in {DOC.name}:\n"
                     + "\n".join(table(new, {})) + "\n\n" + "\n".join(report))
    assert not fixed, (f"{len(fixed)} divergences listed in {DOC.name} are fixed, "
                       "remove them:\n" + "\n".join(table(fixed, documented())))
    for outcome in outcomes:
        assert not outcome.js_problems, outcome.js_problems


def test_every_style_is_compared() -> None:
    missing = [style for style in STYLES if not style_available(style)]
    if missing:
        pytest.skip(f"styles not available yet, not compared: {', '.join(missing)}")


def test_doc_states_the_count_and_a_reason_for_each() -> None:
    listed = documented()
    stated = re.search(r"\*\*(\d+) divergences?\*\*", DOC.read_text(encoding="utf-8"))
    assert stated, f"{DOC.name} states no '**N divergences**'"
    assert int(stated.group(1)) == len(listed)
    assert all(reason.strip() for reason in listed.values())


def test_documented_expands_rows(tmp_path) -> None:
    doc = tmp_path / "d.md"
    doc.write_text("intro\n\n| style | locale | format | part | record | reason |\n"
                   "|---|---|---|---|---|---|\n"
                   "| apa | en-US | text, html | in-text | `a`, `b` | why |\n", encoding="utf-8")
    assert documented(doc) == {Divergence("apa", "en-US", f, "in-text", r): "why"
                               for f in ("text", "html") for r in ("a", "b")}


def test_moved_names_the_records_out_of_place() -> None:
    assert moved(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == []
    assert moved(["b", "a", "c", "d"], ["a", "b", "c", "d"]) in (["a"], ["b"])
    assert moved(["a", "x", "c"], ["a", "c", "y"]) == []
