"""The parsed-record cache: used only while a file and the code are unchanged."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest

from iombib import cache, records
from iombib.validate import check

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "world-migration-report-2010.yaml"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A two-record catalogue with files old enough to be cached, and a private cache."""
    monkeypatch.setenv("IOMBIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("IOMBIB_NO_CACHE", raising=False)
    records = tmp_path / "records"
    records.mkdir()
    for name in (SAMPLE, "world-migration-report-2008.yaml", "organizations.yaml"):
        shutil.copy(ROOT / "records" / name, records / name)
        _age(records / name)
    return records


def _age(path: Path, seconds: int = 60) -> None:
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns - seconds * 10**9))


def _cache_file(folder: Path) -> Path:
    found = list((folder.parent / "cache").glob("**/*.marshal"))
    assert len(found) == 1  # a small catalogue is one shard
    return found[0]


def _entries(folder: Path) -> dict:
    """Every cached entry of a catalogue, over all its shard files."""
    merged: dict = {}
    for path in (folder.parent / "cache").glob("**/*.marshal"):
        merged.update(marshal.loads(path.read_bytes())["entries"])
    return merged


def test_a_second_check_reads_the_cache_and_gives_the_same_result(folder: Path,
                                                                   monkeypatch) -> None:
    first_catalogue, first = check([folder])
    assert _cache_file(folder).is_file()
    # With YAML parsing made impossible, only the cache can give the records.
    monkeypatch.setattr("iombib.records.load_file", _refuse)
    second_catalogue, second = check([folder])
    assert second_catalogue.records == first_catalogue.records
    assert [r.source for r in second_catalogue] == [r.source for r in first_catalogue]
    assert second == first


def _refuse(path: str) -> None:
    raise AssertionError(f"{path} was parsed although it is cached")


def test_an_edited_file_is_read_again(folder: Path) -> None:
    check([folder])
    target = folder / SAMPLE
    text = target.read_text(encoding="utf-8").replace("pages: 290", "pages: 291")
    target.write_text(text, encoding="utf-8")
    _age(target, 30)  # an edit whose mtime looks older still changes size/ctime
    catalogue, _ = check([folder])
    assert catalogue.get("world-migration-report-2010").pages == 291


def test_an_edit_of_the_same_size_and_time_stamp_is_still_seen(folder: Path) -> None:
    check([folder])
    target = folder / SAMPLE
    status = target.stat()
    text = target.read_text(encoding="utf-8").replace("pages: 290", "pages: 291")
    target.write_text(text, encoding="utf-8")
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))  # same size, same mtime
    catalogue, _ = check([folder])
    assert catalogue.get("world-migration-report-2010").pages == 291  # ctime tells


def test_a_file_changed_just_now_is_not_cached(folder: Path) -> None:
    target = folder / SAMPLE
    target.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")  # fresh mtime
    check([folder])
    entries = _entries(folder)
    assert SAMPLE not in entries and "world-migration-report-2008.yaml" in entries


def test_diagnostics_come_back_from_the_cache_with_their_locations(folder: Path) -> None:
    target = folder / SAMPLE
    text = target.read_text(encoding="utf-8").replace("978-92-9068-590-6", "978-92-9068-590-7")
    target.write_text(text, encoding="utf-8")
    _age(target)
    _, first = check([folder])
    _, second = check([folder])
    assert [d.format() for d in second] == [d.format() for d in first]
    assert any(d.code == "ISBN_CHECKSUM" and d.location.line for d in second)


def test_a_removed_file_is_forgotten(folder: Path) -> None:
    check([folder])
    (folder / SAMPLE).unlink()
    catalogue, _ = check([folder])
    assert catalogue.get("world-migration-report-2010") is None
    assert SAMPLE not in _entries(folder)


def test_a_cache_written_by_other_code_is_ignored(folder: Path, monkeypatch) -> None:
    check([folder])
    monkeypatch.setattr(cache, "_FORMAT", cache._FORMAT + 1)
    cache._token.cache_clear()
    try:
        assert cache.RecordCache(str(folder), "validate_record", "").entries == {}
    finally:
        cache._token.cache_clear()


def test_a_corrupt_cache_file_is_ignored_and_rewritten(folder: Path) -> None:
    first_catalogue, first = check([folder])
    _cache_file(folder).write_bytes(b"\x00garbage")
    catalogue, diagnostics = check([folder])
    assert catalogue.records == first_catalogue.records and diagnostics == first
    assert _entries(folder)


def test_caching_can_be_turned_off(folder: Path, monkeypatch) -> None:
    monkeypatch.setenv("IOMBIB_NO_CACHE", "1")
    check([folder])
    assert not (folder.parent / "cache").exists()


def _many(folder: Path, count: int) -> list[str]:
    """``count`` copies of a record in a folder, old enough to be cached; their paths, sorted."""
    text = (ROOT / "records" / SAMPLE).read_text(encoding="utf-8")
    for index in range(count):
        path = folder / f"copy-{index}.yaml"
        path.write_text(text, encoding="utf-8")
        _age(path)
    return sorted(str(p) for p in folder.glob("copy-*.yaml"))


def test_shards_are_consecutive_runs_of_one_folder_covering_every_file(folder: Path) -> None:
    files = _many(folder, 900)
    shards = records.plan([folder])[1]
    assert len(shards) > 2
    everything = sorted(str(p) for p in folder.glob("*.yaml") if p.name != "organizations.yaml")
    assert [path for shard in shards for path in shard.files] == everything
    for shard in shards:
        names = [os.path.basename(p) for p in shard.files]
        assert set(names) == shard.members
        assert shard.key == "" or (names[0] == shard.key and cache.starts_shard(shard.key))
    assert {p for s in records.plan(files[:5])[1] for p in s.files} == set(files[:5])


def test_adding_a_file_changes_only_its_own_shard(folder: Path) -> None:
    _many(folder, 900)
    before = {s.key: s.members for s in records.plan([folder])[1]}
    new = next(f"copy-new-{i}.yaml" for i in range(100)
               if not cache.starts_shard(f"copy-new-{i}.yaml"))
    shutil.copy(folder / SAMPLE, folder / new)
    after = {s.key: s.members for s in records.plan([folder])[1]}
    assert after.keys() == before.keys()
    assert [k for k in after if after[k] != before[k]] == [
        k for k in after if new in after[k]]


def test_only_the_edited_file_of_a_large_catalogue_is_parsed_again(folder: Path,
                                                                   monkeypatch) -> None:
    files = _many(folder, 600)
    first_catalogue, first = check([folder], jobs=1)
    assert len(records.plan([folder])[1]) > 1
    parsed: list[str] = []
    real = records.load_file
    monkeypatch.setattr("iombib.records.load_file", lambda path: parsed.append(path) or real(path))
    assert check([folder], jobs=1) == (first_catalogue, first) and parsed == []
    target = Path(files[300])
    target.write_text(target.read_text(encoding="utf-8").replace("pages: 290", "pages: 291"),
                      encoding="utf-8")
    _age(target)
    catalogue, _ = check([folder], jobs=1)
    assert parsed == [str(target)]
    assert [r.pages for r in catalogue.records if r.source == str(target)] == [291]
