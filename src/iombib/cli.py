"""The command line: a thin click layer over the library."""

from __future__ import annotations

import json
import sys

import click

from iombib import fields
from iombib.diagnostics import CODES, IombibError, Severity
from iombib.validate import check, summary

_FORMATS = click.Choice(["text", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iombib")
def main() -> None:
    """Validate and convert the IOM publications catalogue."""


@main.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True,
              help="text: one compiler-style line per problem; json: a JSON array.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores for large catalogues).")
def validate_command(paths: tuple[str, ...], output_format: str, strict: bool,
                     jobs: int | None) -> None:
    """Check records (default: the catalogue in ./records) and report every problem.

    Exit status: 0 when no errors were found, 1 when there are errors (or warnings with
    --strict), 2 on a usage error.
    """
    try:
        catalogue, diagnostics = check(list(paths) or ["records"], jobs=jobs)
    except IombibError as error:
        raise click.ClickException(str(error)) from error
    if output_format == "json":
        click.echo(json.dumps([d.to_dict() for d in diagnostics], ensure_ascii=False, indent=2))
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format())
        counts = summary(diagnostics)
        click.echo(f"{len(catalogue)} records: {counts.get(Severity.ERROR, 0)} errors, "
                   f"{counts.get(Severity.WARNING, 0)} warnings", err=True)
    failed = any(d.is_error or strict for d in diagnostics)
    sys.exit(1 if failed else 0)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of a record file, generated from the field table."""
    click.echo(json.dumps(fields.json_schema(), ensure_ascii=False, indent=2))


@main.command("codes")
def codes_command() -> None:
    """List every diagnostic code with its severity and meaning."""
    width = max(len(code) for code in CODES)
    for code, (severity, meaning) in CODES.items():
        click.echo(f"{code:<{width}}  {severity:<7}  {meaning}")
