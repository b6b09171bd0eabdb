"""The streaming export of record files (convert.prepare): the same bytes and diagnostics as
loading the catalogue and exporting it in memory, over many shards and worker processes."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from cli_runner import run

from iombib import convert, formats, records
from iombib.diagnostics import IombibError
from iombib.validate import check

ROOT = Path(__file__).resolve().parent.parent
COPIES = 9


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue nine times over under new ids (so several shards), files old enough to
    be cached; the repeated ISBNs and citation-key bases exercise the catalogue-wide state."""
    directory = tmp_path_factory.mktemp("stream") / "records"
    directory.mkdir()
    shutil.copy(ROOT / "records" / records.ORGANIZATIONS_FILE, directory)
    for source in sorted((ROOT / "records").glob("*.yaml")):
        if source.name == records.ORGANIZATIONS_FILE:
            continue
        text = source.read_text(encoding="utf-8")
        for copy in range(COPIES):
            new_id = f"{source.stem}-c{copy}"
            target = directory / f"{new_id}.yaml"
            target.write_text(re.sub(r"(?m)^id: .*$", f"id: {new_id}", text, count=1),
                              encoding="utf-8")
            status = target.stat()
            os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns - 60 * 10**9))
    return directory


@pytest.fixture(scope="module")
def checked(folder: Path) -> tuple[records.Catalogue, list]:
    """The catalogue loaded whole and its diagnostics, as the in-memory path gives them."""
    return check([folder], jobs=1)


def test_the_catalogue_spans_several_shards(folder: Path) -> None:
    assert len(records.plan([folder])[1]) > 1


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("name", formats.names())
def test_streamed_export_equals_the_in_memory_export(folder: Path, checked: tuple,
                                                     name: str, jobs: int) -> None:
    catalogue, diagnostics = checked
    prepared = convert.prepare([folder], name, jobs=jobs)
    streamed = io.StringIO()
    prepared.write(streamed)
    assert streamed.getvalue() == convert.export(catalogue, name)
    assert prepared.diagnostics == diagnostics
    assert [f.id for f in prepared.facts] == [r.id for r in catalogue.records]


def test_bibtex_keys_stay_unique_across_the_whole_catalogue(folder: Path) -> None:
    streamed = io.StringIO()
    convert.prepare([folder], "bibtex", jobs=2).write(streamed)
    keys = re.findall(r"(?m)^@\w+\{([^,]+),", streamed.getvalue())
    assert len(keys) == len(list(folder.glob("*.yaml"))) - 1 and len(set(keys)) == len(keys)


def test_a_file_changed_after_the_check_stops_the_export(folder: Path, tmp_path: Path) -> None:
    private = tmp_path / "records"
    shutil.copytree(folder, private)
    prepared = convert.prepare([private], "ris", jobs=1)
    target = sorted(private.glob("*-c3.yaml"))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(IombibError, match="changed during the export"):
        prepared.write(io.StringIO())


def test_the_export_command_streams_and_reports_the_errors_of_the_whole_catalogue(
        folder: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.ris"
    result = run("export", "--to", "ris", str(folder), "-o", str(output))
    assert result.exit_code == 1  # the copies repeat each other's ISBNs
    assert "DUPLICATE_ISBN" in result.output and not output.exists()
