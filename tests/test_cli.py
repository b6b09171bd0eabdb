"""The command line: help texts, exit statuses, output formats, and no traceback on bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner, Result

from iombib.cli import main
from iombib.diagnostics import CODES, Severity

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SRC = ROOT / "src"
RECORDS = ROOT / "records"
INVALID = TESTS / "invalid"
CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())
CLEAN_RECORDS = ("world-migration-report-2000.yaml", "world-migration-report-2003.yaml")
JSON_KEYS = ["code", "severity", "message", "record_id", "field", "path", "line", "column",
             "suggestion"]
TEXT_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): "
                       r"(?P<severity>error|warning) (?P<code>[A-Z0-9_]+) \S")


def case_inputs(case: Path) -> list[str]:
    """The paths a case is validated with (see test_invalid.py)."""
    listing = case / "paths.txt"
    if listing.is_file():
        return [str(case / line) for line in listing.read_text(encoding="utf-8").split()]
    return [str(case / "input")]


def case_codes(case: Path) -> set[str]:
    return {entry["code"] for entry in
            yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_no_crash(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


@pytest.fixture
def clean_catalogue(tmp_path: Path) -> Path:
    for name in (*CLEAN_RECORDS, "organizations.yaml"):
        shutil.copy(RECORDS / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    source = INVALID / "isbn-hyphenation-wmr-2010" / "input"
    target = tmp_path / "records"
    shutil.copytree(source, target)
    return target


# --------------------------------------------------------------------------- help

def test_group_has_help() -> None:
    assert main.help and main.help.strip()
    result = run("--help")
    assert result.exit_code == 0
    assert "Validate and convert the IOM publications catalogue." in result.output


def test_short_help_option() -> None:
    result = run("-h")
    assert result.exit_code == 0
    assert result.output.startswith("Usage:")


def test_every_command_has_help() -> None:
    assert set(main.commands) >= {"validate", "schema", "codes"}
    missing = [name for name, command in main.commands.items()
               if not (command.help and command.help.strip())]
    assert missing == []


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_help_is_printed(name: str) -> None:
    command = main.commands[name]
    result = run(name, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {name}")
    assert command.help.strip().splitlines()[0] in result.output
    assert name in run("--help").output


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_has_help(name: str) -> None:
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"


# --------------------------------------------------------------------------- validate

def test_validate_clean_catalogue_exits_0(clean_catalogue: Path) -> None:
    result = run("validate", str(clean_catalogue))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "2 records: 0 errors, 0 warnings" in result.stderr


def test_validate_clean_catalogue_json_is_empty_list(clean_catalogue: Path) -> None:
    result = run("validate", "--format", "json", str(clean_catalogue))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_validate_invalid_case_exits_1_with_compiler_style_lines() -> None:
    case = INVALID / "isbn-checksum" / "input"
    result = run("validate", str(case))
    assert_no_crash(result)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    match = TEXT_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["path"] == str(case / "sample-report.yaml")
    assert (match["line"], match["col"], match["severity"], match["code"]) == (
        "10", "12", "error", "ISBN_CHECKSUM")
    assert lines[0].endswith("[isbn[0].value] (suggested fix: 978-92-9068-590-6)")
    assert "1 records: 1 errors, 0 warnings" in result.stderr


def test_validate_several_cases_at_once_lists_each_problem() -> None:
    paths = [str(INVALID / name / "input") for name in ("isbn-checksum", "series-issn-conflict",
                                                        "duplicate-isbn-two-records")]
    result = run("validate", *paths)
    assert result.exit_code == 1
    codes = [TEXT_LINE.match(line)["code"] for line in result.stdout.splitlines()]
    assert sorted(codes) == ["DUPLICATE_ISBN", "ISBN_CHECKSUM", "SERIES_ISSN_CONFLICT"]


def test_validate_json_format() -> None:
    case = INVALID / "isbn-checksum" / "input"
    result = run("validate", "--format", "json", str(case))
    assert_no_crash(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 1
    [item] = data
    assert list(item) == JSON_KEYS
    assert item == {
        "code": "ISBN_CHECKSUM",
        "severity": "error",
        "message": item["message"],
        "record_id": "sample-report",
        "field": "isbn[0].value",
        "path": str(case / "sample-report.yaml"),
        "line": 10,
        "column": 12,
        "suggestion": "978-92-9068-590-6",
    }
    assert "978-92-9068-590-7" in item["message"]


def test_validate_json_for_a_catalogue_wide_finding() -> None:
    result = run("validate", "--format", "json", str(INVALID / "org-authority-missing" / "input"))
    assert result.exit_code == 0
    [item] = json.loads(result.stdout)
    assert list(item) == JSON_KEYS
    assert (item["code"], item["severity"], item["path"], item["line"], item["column"]) == (
        "ORG_AUTHORITY_MISSING", "warning", None, None, None)


def test_warnings_exit_0_without_strict(warnings_only: Path) -> None:
    result = run("validate", str(warnings_only))
    assert result.exit_code == 0
    assert " warning ISBN_HYPHENATION " in result.stdout
    assert "0 errors, 1 warnings" in result.stderr


def test_strict_turns_warnings_into_exit_1(warnings_only: Path) -> None:
    result = run("validate", "--strict", str(warnings_only))
    assert_no_crash(result)
    assert result.exit_code == 1


def test_strict_on_clean_catalogue_exits_0(clean_catalogue: Path) -> None:
    assert run("validate", "--strict", str(clean_catalogue)).exit_code == 0


def test_jobs_option_gives_the_same_result() -> None:
    case = str(INVALID / "duplicate-isbn-two-records" / "input")
    one = run("validate", "--format", "json", "--jobs", "1", case)
    two = run("validate", "--format", "json", "-j", "2", case)
    assert one.exit_code == two.exit_code == 1
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert [d["code"] for d in json.loads(one.stdout)] == ["DUPLICATE_ISBN"]


@pytest.mark.parametrize("args", [
    ["validate", "--no-such-option"],
    ["validate", "--format", "xml"],
    ["validate", "--jobs", "0"],
    ["no-such-command"],
], ids=["unknown-option", "bad-format", "zero-jobs", "unknown-command"])
def test_usage_errors_exit_2(args: list[str], clean_catalogue: Path) -> None:
    result = run(*args, str(clean_catalogue))
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "Error:" in result.output


def test_missing_path_exits_1(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "missing"))
    assert_no_crash(result)
    assert result.exit_code == 1
    assert f"{tmp_path / 'missing'}: error FILE_UNREADABLE" in result.stdout


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_invalid_case_exits_cleanly(case: Path) -> None:
    errors = any(CODES[code][0] is Severity.ERROR for code in case_codes(case))
    result = run("validate", *case_inputs(case))
    assert_no_crash(result)
    assert result.exit_code == (1 if errors else 0), result.output
    json_result = run("validate", "--format", "json", *case_inputs(case))
    assert_no_crash(json_result)
    assert json_result.exit_code == result.exit_code
    data = json.loads(json_result.stdout)
    assert data and all(list(item) == JSON_KEYS for item in data)


# --------------------------------------------------------------------------- schema and codes

def test_schema_prints_json() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"id", "type", "provenance"} <= set(schema["required"])
    assert {"id", "type", "title", "issued", "languages", "provenance"} <= set(schema["properties"])
    assert schema["properties"]["type"]["enum"][:2] == ["book", "report"]


def test_schema_accepts_clean_records_and_rejects_a_bad_type() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(run("schema").stdout)
    for name in CLEAN_RECORDS:
        record = yaml.safe_load((RECORDS / name).read_text(encoding="utf-8"))
        jsonschema.validate(record, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "type": "novel"}, schema)


def test_codes_lists_every_code() -> None:
    result = run("codes")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(CODES)
    listed = {}
    for line in lines:
        code, severity, meaning = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        listed[code] = (severity, meaning)
    assert listed == {code: (str(sev), meaning) for code, (sev, meaning) in CODES.items()}


# --------------------------------------------------------------------------- real entry point

def test_python_dash_m_entry_point() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    completed = subprocess.run(
        [sys.executable, "-m", "iombib", "validate", str(INVALID / "isbn-checksum" / "input")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert " error ISBN_CHECKSUM " in completed.stdout
    assert "1 records: 1 errors, 0 warnings" in completed.stderr


def test_python_dash_m_usage_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    completed = subprocess.run(
        [sys.executable, "-m", "iombib", "validate", "--format", "xml"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "Usage: iombib validate" in completed.stderr
