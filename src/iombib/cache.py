"""A cache of parsed and checked record files, so unchanged files are not parsed again.

Composing YAML and running the record rules is most of the cost of every command on a large
catalogue. For each directory of records the cache keeps, per file, the record as plain data and
the diagnostics its rules gave, under the file's identity (modification time in nanoseconds,
size, inode and change time). An entry is used only when all four still match and the cache was
written by the same code: the token covers the iombib sources that shape records and
diagnostics, and the versions of the ISBN-range and ISO-code tables the rules consult. A file
changed less than a second before it was cached is not cached, so an edit within the clock's
resolution cannot hide behind an equal time stamp.

A directory's entries are split into shards of consecutive file names, one cache file each, so
that a worker reads only the files it works on and a large catalogue is never held whole. A
shard starts at each name that :func:`starts_shard` picks (about one in ``SHARD_SPREAD``, by a
hash of the name alone), so adding or removing a file changes at most its own shard.

The cache lives in ``$IOMBIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/iombib``, else
``~/.cache/iombib``; ``IOMBIB_NO_CACHE=1`` turns it off. A missing, corrupt or foreign cache file
is ignored and rewritten; it is only ever replaced atomically.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import tempfile
import time
import zlib
from collections.abc import Collection
from importlib import metadata
from pathlib import Path
from typing import Any

from iombib import fields
from iombib.diagnostics import Diagnostic, Location, Severity
from iombib.model import Record

_FORMAT = 2
_SHAPING_MODULES = ("model", "fields", "records", "validate", "identifiers", "diagnostics",
                    "cache")
_RACY_NS = 1_000_000_000
SHARD_SPREAD = 256
"""About how many files a shard holds."""

Stamp = tuple[int, int, int, int]
Entry = tuple[Any, ...]
"""A file's stamp, record as plain data, path when read, rejected fields and diagnostics."""


def directory() -> Path | None:
    """Where cache files are kept, or None when caching is turned off."""
    if os.environ.get("IOMBIB_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("IOMBIB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "iombib"


@functools.cache
def _token(purpose: str) -> str:
    digest = hashlib.sha256(f"{_FORMAT}:{purpose}".encode())
    package = Path(__file__).resolve().parent
    for name in _SHAPING_MODULES:
        digest.update((package / f"{name}.py").read_bytes())
    for distribution in ("python-stdnum", "pycountry", "PyYAML"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{distribution}={metadata.version(distribution)}".encode())
    return digest.hexdigest()


def stamp(status: os.stat_result) -> Stamp:
    """The identity of a file's content as far as the file system tells it."""
    return (status.st_mtime_ns, status.st_size, status.st_ino, status.st_ctime_ns)


def starts_shard(name: str) -> bool:
    """Whether a file name starts a new shard of its directory's cache."""
    return zlib.crc32(name.encode()) % SHARD_SPREAD == 0


def entry(file_stamp: Stamp | None, path: str, record: Record | None,
          diagnostics: list[Diagnostic]) -> Entry:
    """A freshly read file as a cache entry (plain data, cheap to store and to send)."""
    plain = fields.dump(record) if record is not None else None
    return (file_stamp, plain, path, sorted(record.rejected) if record else [],
            [_plain(d) for d in diagnostics])


def restore(data: Entry, path: str) -> tuple[Record | None, list[Diagnostic]]:
    """The record and diagnostics of an entry, with paths given as ``path`` is now."""
    _, plain, cached_path, rejected, diagnostics = data
    record = None
    if plain is not None:
        record = fields.undump(Record, plain)
        record.source = path
        record.rejected = frozenset(rejected)
    return record, [_diagnostic(d, cached_path, path) for d in diagnostics]


class RecordCache:
    """The cached entries of one shard of a directory for one purpose (the rules run on each
    record); ``shard`` is the name that starts it."""

    def __init__(self, folder: str, purpose: str, shard: str) -> None:
        root = directory()
        self.path = None
        if root is not None:
            where = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:24]
            name = hashlib.sha256(f"{purpose}/{shard}".encode()).hexdigest()[:24]
            self.path = root / where / f"{name}.marshal"
        self.token = _token(purpose) if self.path is not None else ""
        self.entries: dict[str, Entry] = {}
        self.changed = False
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if isinstance(data, dict) and data.get("token") == self.token:
            self.entries = data["entries"]

    def get(self, name: str, file_stamp: Stamp) -> Entry | None:
        """The entry cached for a file name with this stamp, or None."""
        found = self.entries.get(name)
        if found is None or tuple(found[0]) != file_stamp:
            return None
        return found

    def put(self, name: str, data: Entry) -> None:
        """Remember a freshly read file, unless it changed too recently to trust its stamp."""
        file_stamp = data[0]
        if self.path is None or file_stamp is None or file_stamp[0] > time.time_ns() - _RACY_NS:
            return
        self.entries[name] = data
        self.changed = True

    def save(self, members: Collection[str]) -> None:
        """Write the shard back atomically, keeping only the entries of ``members`` (the names
        now in it), when anything changed; failures only cost speed."""
        gone = [name for name in self.entries if name not in members]
        for name in gone:
            del self.entries[name]
        if self.path is None or not (self.changed or gone):
            return
        write_marshal(self.path, {"token": self.token, "entries": self.entries})
        self.changed = False


def write_marshal(path: Path, data: Any) -> None:
    """Replace a cache file atomically with ``data`` (marshal-able); failures only cost
    speed, so they are ignored."""
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(marshal.dumps(data))
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)


def _plain(d: Diagnostic) -> tuple[Any, ...]:
    loc = d.location
    return (d.code, d.message, d.record_id, d.field, loc.path, loc.line, loc.column,
            d.suggestion, str(d.severity))


def _diagnostic(data: tuple[Any, ...] | list[Any], cached_path: str, path: str) -> Diagnostic:
    code, message, record_id, field, where, line, column, suggestion, severity = data
    where = path if where == cached_path else where
    return Diagnostic(code, message, record_id, field, Location(where, line, column), suggestion,
                      Severity(severity))
