"""A cache of parsed and checked record files, so unchanged files are not parsed again.

Composing YAML and running the record rules is most of the cost of every command on a large
catalogue. For each directory of records the cache keeps, per file, the record as plain data and
the diagnostics its rules gave, under the file's identity (modification time in nanoseconds,
size, inode and change time). An entry is used only when all four still match and the cache was
written by the same code: the token covers the iombib sources that shape records and
diagnostics, and the versions of the ISBN-range and ISO-code tables the rules consult. A file
changed less than a second before it was cached is not cached, so an edit within the clock's
resolution cannot hide behind an equal time stamp.

The cache lives in ``$IOMBIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/iombib``, else
``~/.cache/iombib``; ``IOMBIB_NO_CACHE=1`` turns it off. A missing, corrupt or foreign cache file
is ignored and rewritten; it is only ever replaced atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from iombib import fields
from iombib.diagnostics import Diagnostic, Location, Severity
from iombib.model import Record

_FORMAT = 1
_SHAPING_MODULES = ("model", "fields", "records", "validate", "identifiers", "diagnostics",
                    "cache")
_RACY_NS = 1_000_000_000

Stamp = tuple[int, int, int, int]


def directory() -> Path | None:
    """Where cache files are kept, or None when caching is turned off."""
    if os.environ.get("IOMBIB_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("IOMBIB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "iombib"


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


class RecordCache:
    """The cached records of one directory for one purpose (the rules run on each record)."""

    def __init__(self, folder: Path, purpose: str) -> None:
        root = directory()
        self.path = None if root is None else root / (
            hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24] + ".marshal")
        self.token = _token(purpose) if self.path is not None else ""
        self.entries: dict[str, Any] = {}
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

    def get(self, path: str, file_stamp: Stamp) -> tuple[Record | None, list[Diagnostic]] | None:
        """The record and diagnostics cached for a file with this stamp, or None.

        Paths in them are given as ``path`` is now, whatever they were when cached.
        """
        entry = self.entries.get(os.path.basename(path))
        if entry is None or tuple(entry[0]) != file_stamp:
            return None
        _, plain, cached_path, rejected, diagnostics = entry
        record = None
        if plain is not None:
            record = fields.undump(Record, plain)
            record.source = path
            record.rejected = frozenset(rejected)
        return record, [_diagnostic(d, cached_path, path) for d in diagnostics]

    def put(self, path: str, file_stamp: Stamp, record: Record | None,
            diagnostics: list[Diagnostic]) -> None:
        """Remember a freshly read file, unless it changed too recently to trust its stamp."""
        if self.path is None or file_stamp[0] > time.time_ns() - _RACY_NS:
            return
        plain = fields.dump(record) if record is not None else None
        self.entries[os.path.basename(path)] = (
            file_stamp, plain, path, sorted(record.rejected) if record else [],
            [_plain(d) for d in diagnostics])
        self.changed = True

    def keep_only(self, names: set[str]) -> None:
        """Forget files that are no longer there."""
        gone = set(self.entries) - names
        for name in gone:
            del self.entries[name]
        self.changed = self.changed or bool(gone)

    def save(self) -> None:
        """Write the cache back atomically when it changed; failures only cost speed."""
        if self.path is None or not self.changed:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(marshal.dumps({"token": self.token, "entries": self.entries}))
                os.replace(temporary, self.path)
            finally:
                Path(temporary).unlink(missing_ok=True)
        self.changed = False


def _plain(d: Diagnostic) -> tuple[Any, ...]:
    loc = d.location
    return (d.code, d.message, d.record_id, d.field, loc.path, loc.line, loc.column,
            d.suggestion, str(d.severity))


def _diagnostic(data: tuple[Any, ...] | list[Any], cached_path: str, path: str) -> Diagnostic:
    code, message, record_id, field, where, line, column, suggestion, severity = data
    where = path if where == cached_path else where
    return Diagnostic(code, message, record_id, field, Location(where, line, column), suggestion,
                      Severity(severity))
