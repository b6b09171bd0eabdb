"""The cite and styles commands: selection, options, output file, clear errors."""

from __future__ import annotations

from pathlib import Path

from cli_runner import run

ROOT = Path(__file__).resolve().parent.parent
RECORDS = str(ROOT / "records")
WMR = "world-migration-report-2015"
RECORD_COUNT = len([p for p in Path(RECORDS).glob("*.yaml") if p.name != "organizations.yaml"])


def test_the_whole_catalogue_is_one_entry_per_line() -> None:
    result = run("cite", "--records", RECORDS, "--style", "chicago-author-date")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == RECORD_COUNT and all(lines)
    assert len(set(lines)) == len(lines)


def test_in_text_citations_follow_the_order_given() -> None:
    result = run("cite", "--records", RECORDS, "--in-text", "--style", "chicago-author-date",
                 "world-migration-report-2015", "world-migration-report-2010")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["(International Organization for Migration 2015)",
                                          "(International Organization for Migration 2010)"]


def test_output_file_and_html_page(tmp_path: Path) -> None:
    target = tmp_path / "bib.html"
    result = run("cite", "--records", RECORDS, WMR, "--format", "html", "--standalone",
                 "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('class="csl-entry"') == 1
    assert "1 entries written to" in result.stderr


def test_unknown_style_locale_and_record_are_clear_errors() -> None:
    style = run("cite", "--records", RECORDS, WMR, "--style", "chicgo-author-date")
    assert style.exit_code == 1
    assert "unknown style 'chicgo-author-date'; did you mean chicago-author-date" in style.stderr
    locale = run("cite", "--records", RECORDS, WMR, "--locale", "xx-YY")
    assert (locale.exit_code, locale.stderr.strip()) == (1, "Error: unknown locale 'xx-YY'")
    record = run("cite", "--records", RECORDS, "no-such-record")
    assert record.exit_code == 2 and "no record with id no-such-record" in record.stderr


def test_standalone_needs_html() -> None:
    result = run("cite", "--records", RECORDS, WMR, "--standalone")
    assert result.exit_code == 2 and "--standalone needs --format html" in result.stderr


def test_styles_lists_and_searches() -> None:
    result = run("styles", "chicago", "author", "date")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names[0] == "chicago-author-date"
    assert "chicago-author-date-17th-edition" in names and len(names) > 3
    assert all("chicago" in line.lower() for line in result.stdout.splitlines())
    nothing = run("styles", "no-style-is-called-this")
    assert nothing.exit_code == 1 and "no style matches" in nothing.stderr
