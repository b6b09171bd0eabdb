"""What every format's tests share: the golden files of the two representative records (also
published in examples/) and the catalogue of broken inputs in tests/invalid-import/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from strategies import ORGANIZATIONS

import iombib

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
EXAMPLES = TESTS.parent / "examples"
INVALID = TESTS / "invalid-import"

GOLDEN_CASES: list[tuple[str, str | None]] = [
    ("world-migration-report-2015", None), ("world-migration-report-2015", "fr"),
    ("labour-exploitation-trafficking-and-migrant-health", None)]
"""(record id, --lang) of the golden files: a multilingual report, its French edition, and a
co-authored library entry."""


def golden_text(catalogue: iombib.Catalogue, name: str, case: str,
                language: str | None) -> str:
    """The export of one catalogue record in format ``name`` (its ``language`` edition)."""
    chosen = [r for r in catalogue if r.id == case]
    return iombib.export(chosen, name, organizations=catalogue.organizations,
                         language=language)


def assert_golden(text: str, case: str, language: str | None, examples: str,
                  extension: str) -> None:
    """``text`` equals, byte for byte, ``golden/<case>/<case>[.<lang>].<extension>`` and its copy
    in ``examples/<examples>/``; IOMBIB_REGENERATE=1 rewrites both first."""
    name = f"{case}.{language}.{extension}" if language else f"{case}.{extension}"
    targets = (GOLDEN / case / name, EXAMPLES / examples / name)
    if os.environ.get("IOMBIB_REGENERATE") == "1":
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
    for target in targets:
        assert target.read_bytes() == text.encode("utf-8"), target


def invalid_cases(name: str) -> list[str]:
    """The broken-input cases of format ``name`` (directories ``<name>-*``)."""
    return sorted(p.name for p in INVALID.glob(f"{name}-*") if p.is_dir())


def invalid_input(case: str, input_name: str) -> str:
    """The input text of a broken-input case."""
    return (INVALID / case / input_name).read_text(encoding="utf-8")


def assert_invalid_input_diagnostics(case: str, name: str, input_name: str) -> None:
    """Reading the case's input in format ``name`` gives exactly the diagnostics (code, line,
    field) its ``expected.yaml`` lists, in order."""
    expected = yaml.safe_load((INVALID / case / "expected.yaml").read_text(encoding="utf-8"))
    imported = iombib.read(invalid_input(case, input_name), name, organizations=ORGANIZATIONS,
                           source=input_name)
    found: list[dict[str, Any]] = [
        {"code": d.code, "line": d.location.line if d.location else None, "field": d.field}
        for d in imported.diagnostics]
    assert found == expected
