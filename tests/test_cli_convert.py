"""The export, import and formats commands: selection, options, atomic output, clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from cli_runner import run

from iombib import formats

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"
WMR = "world-migration-report-2010"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    directory = tmp_path / "records"
    directory.mkdir()
    for name in (f"{WMR}.yaml", "world-migration-report-2008.yaml",
                 "world-migration-report-2005.yaml", "world-migration-report-2003.yaml",
                 "world-migration-report-2000.yaml", "organizations.yaml"):
        shutil.copy(RECORDS / name, directory / name)
    return directory


def test_formats_lists_every_registered_format() -> None:
    result = run("formats")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == formats.names()


@pytest.mark.parametrize("name", formats.names())
def test_export_an_id_from_the_default_catalogue(name: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("export", "--to", name, WMR)
    assert result.exit_code == 0, result.output
    # BibTeX braces protected capitals; MARC 020 writes ISBNs without hyphens.
    plain = result.output.replace("{", "").replace("}", "").replace("-", "")
    assert "9789290685906" in plain
    assert "The Future of Migration" in plain


@pytest.mark.parametrize("name", formats.names())
def test_lang_picks_the_french_edition(name: str, catalogue: Path) -> None:
    result = run("export", "--to", name, "--lang", "fr", str(catalogue / f"{WMR}.yaml"))
    assert result.exit_code == 0, result.output
    assert "9789290685913" in result.output.replace("-", "")  # the French ISBN ...
    assert "Organisation internationale pour les migrations" in result.output


def test_output_file_is_written_and_replaced_atomically(catalogue: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.ris"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    result = run("export", "--to", "ris", str(catalogue), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").count("ER  -") == 5
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.ris")] == []


def test_records_with_errors_are_not_exported(catalogue: Path, tmp_path: Path) -> None:
    record = catalogue / f"{WMR}.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("pages: 290", "pages: many"),
                      encoding="utf-8")
    target = tmp_path / "out.bib"
    result = run("export", "--to", "bibtex", str(catalogue), "-o", str(target))
    assert result.exit_code == 1
    assert f"{WMR}.yaml:11:8: error WRONG_TYPE" in result.output
    assert "nothing written" in result.output and not target.exists()


@pytest.mark.parametrize("args, message", [
    (["--to", "bibtx"], "did you mean 'bibtex'"),
    (["--to", "ris", "--lang", "French"], "not an ISO 639-1 code"),
    (["--to", "ris", "no-such-record"], "no record with id no-such-record"),
])
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str, catalogue: Path) -> None:
    result = run("export", *args, "--records", str(catalogue))
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("name", [n for n in formats.names() if formats.readable(n)])
def test_import_writes_records_that_validate(name: str, catalogue: Path, tmp_path: Path) -> None:
    exported = tmp_path / f"export{formats.get(name).SUFFIXES[0]}"
    assert run("export", "--to", name, str(catalogue), "-o", str(exported)).exit_code == 0
    target = tmp_path / "imported"
    result = run("import", "--from", name, str(exported), "-o", str(target),
                 "--records", str(catalogue))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.glob("*.yaml")) == sorted(
        p.name for p in catalogue.glob("world-*.yaml"))
    shutil.copy(catalogue / "organizations.yaml", target / "organizations.yaml")
    checked = run("validate", str(target))
    assert " 0 errors" in checked.output, checked.output


def test_import_guesses_the_format_from_the_suffix(catalogue: Path, tmp_path: Path) -> None:
    exported = tmp_path / "refs.ris"
    run("export", "--to", "ris", str(catalogue / f"{WMR}.yaml"), "-o", str(exported))
    result = run("import", str(exported), "--records", str(catalogue))
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.output.split("---", 1)[1])
    assert printed["id"] == WMR


def test_import_proposes_unknown_organizations(tmp_path: Path) -> None:
    source = tmp_path / "in.ris"
    source.write_text("TY  - RPRT\nAU  - Migration Data Portal Team\nTI  - A report\n"
                      "PY  - 2020\nLA  - en\nER  - \n", encoding="utf-8")
    target = tmp_path / "out"
    result = run("import", str(source), "-o", str(target), "--records", str(RECORDS))
    assert "IMPORT_NEW_ORG" in result.output
    authority = yaml.safe_load((target / "organizations.yaml").read_text(encoding="utf-8"))
    assert authority == {"migration-data-portal-team": {
        "name": {"en": "Migration Data Portal Team"}}}


def test_import_of_an_unknown_suffix_asks_for_the_format(tmp_path: Path) -> None:
    source = tmp_path / "refs.txt"
    source.write_text("x", encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 2 and "give --from" in result.output


def test_import_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run("import", "--from", "ris", str(tmp_path / "absent.ris"))
    assert result.exit_code == 1 and "FILE_UNREADABLE" in result.output
