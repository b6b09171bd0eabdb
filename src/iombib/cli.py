"""The command line: a thin click layer over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Container
from pathlib import Path

import click

from iombib import convert, fields, formats, styles
from iombib.cite import FORMATS as CITATION_FORMATS
from iombib.cite import cite
from iombib.diagnostics import CODES, Diagnostic, IombibError, Severity
from iombib.model import Record
from iombib.records import (
    ORGANIZATIONS_FILE,
    Catalogue,
    load,
    load_organizations,
    open_atomic,
    organizations_yaml,
    read_text,
    to_yaml,
    write_atomic,
    write_record,
)
from iombib.validate import check, summary, validate_record

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


def _report(diagnostics: list[Diagnostic], output_format: str = "text") -> None:
    """Print diagnostics on standard error, as text lines or a JSON array."""
    if output_format == "json":
        click.echo(json.dumps([d.to_dict() for d in diagnostics], ensure_ascii=False, indent=2),
                   err=True)
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format(), err=True)


def _format_module(name: str) -> object:
    try:
        return formats.get(name)
    except IombibError as error:
        raise click.BadParameter(str(error), param_hint="--to/--from") from error


@main.command("formats")
@click.option("--losses", is_flag=True,
              help="Print, as a Markdown table, what each format cannot carry and where it goes.")
def formats_command(losses: bool) -> None:
    """List the formats iombib writes and reads, with their file suffixes."""
    if losses:
        click.echo(formats.losses_table(), nl=False)
        return
    for name in formats.names():
        module = formats.get(name)
        mode = "write, read" if formats.readable(name) else "write"
        click.echo(f"{name:<9} {', '.join(module.SUFFIXES):<26} {mode:<12} {module.DESCRIPTION}")


@main.command("export")
@click.argument("selection", nargs=-1)
@click.option("--to", "format_name", required=True, metavar="FORMAT",
              help="Output format: " + ", ".join(formats.names()) + ".")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--lang", "language", metavar="CODE",
              help="Language edition of multilingual works (ISO 639-1: en, fr, es ...).")
@click.option("--ascii", "ascii_only", is_flag=True,
              help="ASCII only, other characters escaped as the format allows (BibTeX: LaTeX).")
@click.option("--records", "records_dir", type=click.Path(file_okay=False), default="records",
              show_default=True, help="Catalogue directory that record ids are looked up in.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores for large exports).")
def export_command(selection: tuple[str, ...], format_name: str, output: str | None,
                   language: str | None, ascii_only: bool, records_dir: str,
                   jobs: int | None) -> None:
    """Convert records to FORMAT (default: the whole catalogue in ./records).

    SELECTION is any mix of record files, directories and record ids. Records with errors are
    reported and the export fails (exit 1) without writing anything.
    """
    module = _format_module(format_name)
    if language is not None and (len(language) != 2 or not language.isalpha()):
        raise click.BadParameter(f"'{language}' is not an ISO 639-1 code such as en, fr or es",
                                 param_hint="--lang")
    paths, ids = _split_selection(selection, records_dir)
    try:
        prepared = convert.prepare(paths, module.NAME, language=language, ascii=ascii_only,
                                   jobs=jobs)
        chosen = _chosen(prepared, ids, records_dir)
        _stop_on_errors(prepared.diagnostics, ids)
        count = len(prepared.facts) if chosen is None else len(chosen)
        with contextlib.ExitStack() as stack:
            stream = click.get_text_stream("stdout") if output is None else \
                stack.enter_context(open_atomic(output))
            if chosen is None:
                prepared.write(stream)
            else:
                convert.write(chosen, module.NAME, stream, organizations=prepared.organizations,
                              language=language, ascii=ascii_only, jobs=jobs)
    except IombibError as error:
        raise click.ClickException(str(error)) from error
    if output is not None:
        click.echo(f"{count} records written to {output}", err=True)


def _chosen(prepared: convert.Prepared, ids: list[str], records_dir: str) -> list[Record] | None:
    """The records picked by id, in the order given (None: no ids, every record read)."""
    if not ids:
        return None
    sources = {f.id: f.source for f in prepared.facts}
    _require_ids(sources, ids, records_dir)
    catalogue = load([str(sources[i]) for i in ids], per_record=validate_record, cached=True)
    by_id = {r.id: r for r in catalogue.records}
    return [by_id[i] for i in ids]


def _split_selection(selection: tuple[str, ...], records_dir: str) -> tuple[list[str], list[str]]:
    """Paths to load and record ids to pick: an argument that is no file is an id."""
    paths = [s for s in selection if Path(s).exists()]
    ids = [s for s in selection if not Path(s).exists()]
    if ids or not paths:
        paths.append(records_dir)
    return paths, ids


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "format_name", metavar="FORMAT",
              help="Input format (default: from the file suffix).")
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False),
              help="Write one YAML record per file into this directory (default: print them).")
@click.option("--records", "records_dir", type=click.Path(file_okay=False), default="records",
              show_default=True, help="Catalogue whose authority file names are mapped onto.")
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True,
              help="How diagnostics are printed.")
def import_command(file: str, format_name: str | None, directory: str | None,
                   records_dir: str, output_format: str) -> None:
    """Read FILE (BibTeX, CSL-JSON, MARCXML, RIS) into canonical YAML records.

    Everything that could not be mapped is reported; exit 1 when an entry could not be read.
    Corporate names missing from the authority file are proposed as new entries, added to
    DIR/organizations.yaml.
    """
    module = formats.for_path(file) if format_name is None else _format_module(format_name)
    if module is None:
        raise click.BadParameter(f"cannot tell the format of {file}; give --from "
                                 f"({', '.join(formats.names())})", param_hint="--from")
    if not formats.readable(module.NAME):
        raise click.BadParameter(f"format '{module.NAME}' cannot be read", param_hint="--from")
    text, problems = read_text(file)
    if text is None:
        _report(problems, output_format)
        sys.exit(1)
    authority = Path(records_dir) / ORGANIZATIONS_FILE
    organizations = load_organizations(authority)[0] if authority.is_file() else {}
    if directory is not None:
        target_authority = Path(directory) / ORGANIZATIONS_FILE
        if target_authority.is_file():
            organizations.update(load_organizations(target_authority)[0])
    imported = convert.read(text, module.NAME, organizations=organizations, source=file)
    _report(imported.diagnostics, output_format)
    if directory is None:
        for record in imported.records:
            click.echo("---")
            click.echo(to_yaml(record), nl=False)
    else:
        for record in imported.records:
            write_record(record, directory)
        if imported.new_organizations:
            _add_organizations(Path(directory) / ORGANIZATIONS_FILE,
                               imported.new_organizations)
        click.echo(f"{len(imported.records)} records written to {directory}", err=True)
    sys.exit(1 if any(d.is_error for d in imported.diagnostics) else 0)


def _add_organizations(path: Path, new: dict) -> None:
    """Append proposed authority entries to an authority file, atomically."""
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    existing = existing if not existing or existing.endswith("\n") else existing + "\n"
    write_atomic(path, existing + organizations_yaml(new))


def _require_ids(known: Container[str], ids: list[str], records_dir: str) -> None:
    """A usage error (exit 2) naming the picked ids that no record read has."""
    missing = [i for i in ids if i not in known]
    if missing:
        raise click.BadParameter(f"no record with id {', '.join(missing)} in {records_dir}",
                                 param_hint="SELECTION")


def _stop_on_errors(diagnostics: list[Diagnostic], ids: list[str]) -> None:
    """End the command (exit 1, nothing written) when the records read, or the ones picked by
    id, have errors."""
    picked = set(ids)
    errors = [d for d in diagnostics if d.is_error and (not ids or d.record_id in picked)]
    if errors:
        _report(errors)
        raise click.ClickException(f"{len(errors)} errors in the records; nothing written")


def _selected(selection: tuple[str, ...], records_dir: str) -> Catalogue:
    """The checked catalogue narrowed to SELECTION (files, directories, record ids), in the
    order given; records with errors end the command (exit 1)."""
    paths, ids = _split_selection(selection, records_dir)
    catalogue, diagnostics = check(paths)
    if ids:
        by_id = {r.id: r for r in catalogue.records}
        _require_ids(by_id, ids, records_dir)
        catalogue.records = [by_id[i] for i in ids]
    _stop_on_errors(diagnostics, ids)
    return catalogue


@main.command("cite")
@click.argument("selection", nargs=-1)
@click.option("--style", "-s", default="apa", show_default=True, metavar="STYLE",
              help="CSL style: a name (iom, apa, chicago-author-date ...; see `iombib styles`) "
                   "or a path to a .csl file.")
@click.option("--format", "output_format", type=click.Choice(CITATION_FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--locale", metavar="LOCALE",
              help="CSL locale such as en-US, fr-FR, es-ES (default: the one of --lang, else "
                   "the style's, else en-US).")
@click.option("--lang", "language", metavar="CODE",
              help="Language edition of multilingual works (ISO 639-1: en, fr, es ...).")
@click.option("--in-text", "in_text", is_flag=True,
              help="Print the in-text citation (or note) of each record instead of the "
                   "bibliography.")
@click.option("--standalone", is_flag=True, help="With --format html: a whole HTML page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--records", "records_dir", type=click.Path(file_okay=False), default="records",
              show_default=True, help="Catalogue directory that record ids are looked up in.")
def cite_command(selection: tuple[str, ...], style: str, output_format: str,
                 locale: str | None, language: str | None, in_text: bool, standalone: bool,
                 output: str | None, records_dir: str) -> None:
    """Format records in a CSL style (default: the whole catalogue).

    SELECTION is any mix of record files, directories and record ids; the bibliography is
    sorted as the style says, in-text citations (--in-text) follow the order given.
    """
    if standalone and output_format != "html":
        raise click.BadParameter("--standalone needs --format html", param_hint="--standalone")
    catalogue = _selected(selection, records_dir)
    try:
        result = cite(catalogue, style=style, format=output_format, locale=locale,
                      language=language)
    except IombibError as problem:
        raise click.ClickException(str(problem)) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning.record_id or '-'}: {warning.message}", err=True)
    if in_text:
        text = "".join(f"{e.text}\n" for e in result.in_text)
    else:
        text = result.page() if standalone else result.bibliography()
    if output is None:
        click.echo(text, nl=False)
        return
    with open_atomic(output) as stream:
        stream.write(text)
    click.echo(f"{len(result.entries)} entries written to {output}", err=True)


@main.command("styles")
@click.argument("query", nargs=-1)
def styles_command(query: tuple[str, ...]) -> None:
    """List the CSL styles, or those whose name or title has every word of QUERY."""
    found = styles.available(" ".join(query))
    if not found:
        raise click.ClickException(f"no style matches '{' '.join(query)}'")
    width = min(max(len(s.name) for s in found), 40)
    for style in found:
        click.echo(f"{style.name:<{width}}  {style.title}")
