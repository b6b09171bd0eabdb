"""The catalogue of broken inputs in tests/invalid: each case yields exactly its expected findings.

A case is a directory ``tests/invalid/<case>/`` holding ``expected.yaml`` and the input: the
directory ``input/`` (record files, and ``organizations.yaml`` where the case has one), or, when
the case has a ``paths.txt``, the paths listed there (relative to the case directory). The records
live apart from ``expected.yaml`` because the loader reads every ``*.yaml`` of a directory as a
record.

``expected.yaml`` is a list of ``{code, file, field, line, suggestion}``: ``file`` is the file name
(null for a catalogue-wide finding), ``field`` the dotted field path, ``line`` 1-based.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from iombib.diagnostics import CODES, Diagnostic
from iombib.validate import check

INVALID = Path(__file__).parent / "invalid"
CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())
EXPECTED_KEYS = {"code", "file", "field", "line", "suggestion"}


def case_inputs(case: Path) -> list[Path]:
    """The paths a case is validated with."""
    listing = case / "paths.txt"
    if listing.is_file():
        return [case / line for line in listing.read_text(encoding="utf-8").split() if line]
    return [case / "input"]


def expected_findings(case: Path) -> list[dict]:
    """The findings a case expects, as written in its expected.yaml."""
    data = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, f"{case.name}: expected.yaml must be a non-empty list"
    for entry in data:
        assert set(entry) == EXPECTED_KEYS, f"{case.name}: {entry} must have {EXPECTED_KEYS}"
        assert entry["code"] in CODES, f"{case.name}: {entry['code']} is not in CODES"
    return data


def as_tuple(entry: dict) -> tuple:
    return entry["code"], entry["file"], entry["field"], entry["line"], entry["suggestion"]


def found_tuple(d: Diagnostic) -> tuple:
    name = Path(d.location.path).name if d.location.path else None
    return d.code, name, d.field, d.location.line, d.suggestion


def test_there_are_cases() -> None:
    assert len(CASES) >= len(CODES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gives_exactly_its_expected_findings(case: Path) -> None:
    expected = sorted(map(as_tuple, expected_findings(case)), key=repr)
    _, diagnostics = check(case_inputs(case))
    found = sorted(map(found_tuple, diagnostics), key=repr)
    assert found == expected, "\n".join(d.format() for d in diagnostics)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_findings_are_well_formed(case: Path) -> None:
    _, diagnostics = check(case_inputs(case))
    for d in diagnostics:
        assert d.severity == CODES[d.code][0]
        assert d.message.strip()
        if d.location.line is not None:
            assert d.location.line >= 1
            assert d.location.column is not None and d.location.column >= 1


IMPORT_CASES = Path(__file__).parent / "invalid-import"


def test_every_code_has_a_case() -> None:
    """Record codes are covered here; IMPORT_* codes by the reader catalogue of each format
    (tests/invalid-import/<format>-<case>/expected.yaml, run by tests/formats/); CITE_WARNING,
    which no record can cause, by tests/test_cite.py."""
    covered = {entry["code"] for case in CASES for entry in expected_findings(case)}
    for expected in IMPORT_CASES.glob("*/expected.yaml"):
        covered |= {e["code"] for e in yaml.safe_load(expected.read_text(encoding="utf-8"))}
    missing = sorted(set(CODES) - covered - {"CITE_WARNING"})
    assert missing == [], f"codes with no case in tests/invalid or tests/invalid-import: {missing}"


def test_encoding_case_really_is_not_utf8() -> None:
    data = (INVALID / "file-encoding-latin1" / "input" / "sample-report.yaml").read_bytes()
    assert b"\xc9tude" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_encoding_location_points_at_the_bad_byte() -> None:
    _, diagnostics = check([INVALID / "file-encoding-latin1" / "input"])
    [d] = diagnostics
    assert (d.location.line, d.location.column) == (3, 8)
    assert "0xc9" in d.message


def test_no_records_is_also_reported_for_a_missing_records_default(tmp_path: Path) -> None:
    _, diagnostics = check([tmp_path / "nowhere"])
    assert [(d.code, d.location.path) for d in diagnostics] == [
        ("FILE_UNREADABLE", str(tmp_path / "nowhere"))]


def test_locations_follow_edits_to_a_file(tmp_path: Path) -> None:
    """Validating a file, editing it and validating again locates findings in the new text."""
    source = INVALID / "number-range-pages-zero" / "input"
    for name in ("sample-report.yaml", "organizations.yaml"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    record = tmp_path / "sample-report.yaml"
    _, first = check([tmp_path])
    assert [(d.code, d.location.line) for d in first] == [("NUMBER_RANGE", 7)]
    record.write_text("subtitle: Facts and Figures\n" + record.read_text(encoding="utf-8"),
                      encoding="utf-8")
    _, second = check([tmp_path])
    assert [(d.code, d.location.line) for d in second] == [("NUMBER_RANGE", 8)]
