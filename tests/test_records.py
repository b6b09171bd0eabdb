"""The catalogue in records/ loads, validates clean and survives a write/read round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

import iombib
from iombib import records
from iombib.diagnostics import Severity

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "records"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load(CATALOGUE)


def test_catalogue_has_every_publication_of_the_seeds(catalogue: iombib.Catalogue) -> None:
    # Seed 000 lists 22 publications, 001 lists 28, 002 lists 10, 003 is one, 004 names 12 (nine
    # World Migration Reports, three Migration Research Series papers) and confirms the title
    # of International Dialogue on Migration No. 16. Five publications appear in two seeds
    # (World Migration Report 2010, 2003, 2015, 2011 and Border security) and are merged.
    assert len(catalogue) == 22 + 28 + 10 + 1 + 12 - 5
    per_seed: dict[str, int] = {}
    for record in catalogue:
        assert record.provenance is not None
        for source in record.provenance.sources:
            per_seed[source[:3]] = per_seed.get(source[:3], 0) + 1
    assert per_seed == {"000": 22, "001": 28, "002": 10, "003": 1, "004": 13}


def test_catalogue_validates_without_errors(catalogue: iombib.Catalogue) -> None:
    diagnostics = iombib.validate(catalogue)
    assert [d.format() for d in diagnostics if d.is_error] == []
    # Warnings only where the source lacks the data, and each such field is declared.
    for diagnostic in diagnostics:
        assert diagnostic.code == "SOURCE_INCOMPLETE", diagnostic.format()
        record = catalogue.get(diagnostic.record_id or "")
        assert record is not None and record.provenance is not None
        assert diagnostic.field in record.provenance.incomplete


def test_check_in_parallel_equals_serial_validation() -> None:
    serial = iombib.validate(iombib.load(CATALOGUE, jobs=1))
    _, parallel = iombib.check(CATALOGUE, jobs=2)
    assert [d.to_dict() for d in parallel] == [d.to_dict() for d in serial]
    assert {d.severity for d in serial} <= {Severity.WARNING}


def test_printed_wmr_2003_isbn_is_corrected_and_kept(catalogue: iombib.Catalogue) -> None:
    record = catalogue.get("world-migration-report-2003")
    assert record is not None and record.provenance is not None
    assert record.isbn[0].value == "978-92-9068-144-1"
    correction = record.provenance.corrections[0]
    assert (correction.field, correction.printed) == ("isbn[0].value", "978-9290-6814-46")


def test_multilingual_work_is_one_record_with_editions(catalogue: iombib.Catalogue) -> None:
    record = catalogue.get("world-migration-report-2010")
    assert record is not None
    assert [(lang, i.value) for lang, i in record.all_isbns()] == [
        (None, "978-92-9068-590-6"), ("fr", "978-92-9068-591-3"), ("es", "978-92-9068-592-0")]


def test_every_organization_reference_resolves(catalogue: iombib.Catalogue) -> None:
    used = {c.org for r in catalogue for c in r.creators if c.org} | {
        r.publisher for r in catalogue}
    assert used <= set(catalogue.organizations)
    iom = catalogue.organizations["iom"]
    assert (iom.acronym_in("fr"), iom.name_in("es")) == (
        "OIM", "Organización Internacional para las Migraciones")


RECORD_FILES = sorted(p for p in CATALOGUE.glob("*.yaml") if p.name != records.ORGANIZATIONS_FILE)


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.stem)
def test_record_round_trips_through_the_writer(path: Path, tmp_path: Path) -> None:
    record, problems = records.load_file(path)
    assert problems == [] and record is not None
    written = records.write_record(record, tmp_path)
    again, problems = records.load_file(written)
    assert problems == []
    assert again == record


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    record, _ = records.load_file(CATALOGUE / "world-migration-report-2010.yaml")
    assert record is not None
    target = tmp_path / "world-migration-report-2010.yaml"
    target.write_text("old", encoding="utf-8")
    records.write_record(record, tmp_path)
    assert target.read_text(encoding="utf-8").startswith("id: world-migration-report-2010\n")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_seed_texts_are_where_the_tests_expect_them() -> None:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    names = {p.name for p in SEEDS.glob("*.txt")}
    sources = {s for r in iombib.load(CATALOGUE) if r.provenance for s in r.provenance.sources}
    assert sources == names
