"""Reading the catalogue from YAML files, with source locations, and writing records back.

YAML is composed with PyYAML's libyaml-backed loader into nodes (which keep line and column) and
built into model objects by :class:`iombib.fields.Builder`; nothing is constructed twice. Large
catalogues are read by worker processes in parallel. Locations of problems found later, during
validation, are recovered on demand by :func:`locate`, so a clean catalogue pays nothing for them.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import functools
import gc
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO, TypeVar

import yaml

from iombib import cache, fields
from iombib.cache import Stamp, stamp
from iombib.diagnostics import Diagnostic, IombibError, Location
from iombib.model import Organization, Record

ORGANIZATIONS_FILE = "organizations.yaml"
"""Name of the authority file of organizations, kept beside the records."""

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's parser with a resolver that only tells null from text.

    The builder types every scalar from the field table, so PyYAML's implicit resolution (a
    regular-expression match per scalar, the largest cost of composing) is not needed: a plain
    null is the only implicit value that matters, and quoting is read from the node's style.
    """

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return fields.NULL_TAG if implicit[0] and value in fields.NULLS else _STR_TAG
        return super().resolve(kind, value, implicit)


_PARALLEL_THRESHOLD = 500
_PerRecord = Callable[[Record], list[Diagnostic]]


@dataclass(slots=True)
class Catalogue:
    """Records and organizations read from files, with the problems met while reading them."""

    records: list[Record] = field(default_factory=list)
    organizations: dict[str, Organization] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    authority_found: bool = False

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def get(self, record_id: str) -> Record | None:
        """The record with this id, or None."""
        return next((r for r in self.records if r.id == record_id), None)


def load(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = "records", *,
         jobs: int | None = None, per_record: _PerRecord | None = None,
         cached: bool = False) -> Catalogue:
    """Read record files and directories of them into a :class:`Catalogue`.

    A directory contributes every ``*.yaml`` file in it; its ``organizations.yaml`` is the
    authority file. Problems become diagnostics in ``catalogue.diagnostics``; nothing is raised
    for bad input. ``jobs`` is the number of worker processes (default: all cores for large
    catalogues, one for small ones); ``per_record``, a module-level function, runs on each record
    inside the workers and its diagnostics are collected with the rest. ``cached`` reuses the
    results for files unchanged since an earlier load (see :mod:`iombib.cache`).

    >>> catalogue = load("records")  # doctest: +SKIP
    >>> catalogue.get("world-migration-report-2010").isbn[0].value  # doctest: +SKIP
    '978-92-9068-590-6'
    """
    catalogue, shards = plan(paths)
    reader = functools.partial(read_shard, per_record=per_record, cached=cached)
    with paused_gc():
        for results in map_shards(reader, shards, jobs):
            for path, data in results:
                record, diagnostics = cache.restore(data, path)
                if record is not None:
                    catalogue.records.append(record)
                catalogue.diagnostics.extend(diagnostics)
    return catalogue


def plan(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
         ) -> tuple[Catalogue, list[Shard]]:
    """What :func:`load` reads, before any record is: a catalogue with the authority file and
    the problems found so far (but no records yet), and the record files in shards."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    catalogue = Catalogue()
    listings: dict[str, list[str]] = {}
    files, authority = _expand(list(paths), catalogue.diagnostics, listings)
    for path in authority:
        orgs, diagnostics = load_organizations(path)
        catalogue.organizations.update(orgs)
        catalogue.diagnostics.extend(diagnostics)
        catalogue.authority_found = True
    return catalogue, _shards(files, listings)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are built or walked.

    Records and YAML nodes hold no reference cycles, so the collector has nothing to find; left
    on, it rescans every live record again and again as a large catalogue grows.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _expand(paths: list[str | os.PathLike[str]], diagnostics: list[Diagnostic],
            listings: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Record files and authority files named by the paths, in a stable order; the record
    file names of each directory read go into ``listings``."""
    files: list[str] = []
    authority: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            folder = "" if str(path) == "." else str(path)  # as os.path.split gives it back
            listings[folder] = _record_names(folder)
            found = [os.path.join(folder, name) for name in listings[folder]]
            if not found:
                diagnostics.append(Diagnostic("NO_RECORDS", f"no *.yaml record files in {path}",
                                              location=Location(str(path))))
            files.extend(found)
            candidate = path / ORGANIZATIONS_FILE
        elif path.is_file():
            if path.name == ORGANIZATIONS_FILE:
                authority.append(str(path))
                continue
            files.append(str(path))
            candidate = path.parent / ORGANIZATIONS_FILE
        else:
            diagnostics.append(Diagnostic("FILE_UNREADABLE", f"no such file or directory: {path}",
                                          location=Location(str(path))))
            continue
        if candidate.is_file() and str(candidate) not in authority:
            authority.append(str(candidate))
    return files, authority


class Shard(NamedTuple):
    """Consecutive record files of one folder, read together from one cache file (see
    :mod:`iombib.cache`): the unit of work of the workers."""

    folder: str
    key: str
    """The file name that starts the shard in its folder ("" for the first shard)."""
    files: list[str]
    members: frozenset[str]
    """The names of every file now in the shard, selected or not."""


def _record_names(folder: str) -> list[str]:
    """The names of the record files in a folder, sorted."""
    try:
        return sorted(n for n in os.listdir(folder or ".")
                      if n.endswith(".yaml") and n != ORGANIZATIONS_FILE)
    except OSError:
        return []


def _shards(files: list[str], listings: dict[str, list[str]]) -> list[Shard]:
    """The files in order, cut into shards (a shard never spans two folders); ``listings``
    are the record file names of folders already read."""
    cuts: dict[str, tuple[list[str], dict[str, frozenset[str]]]] = {}
    shards: list[Shard] = []
    for path in files:
        folder, name = os.path.split(path)
        if folder not in cuts:
            names = listings[folder] if folder in listings else _record_names(folder)
            cuts[folder] = _cut(names)
        starts, members = cuts[folder]
        key = starts[bisect.bisect_right(starts, name) - 1]
        if shards and shards[-1].folder == folder and shards[-1].key == key:
            shards[-1].files.append(path)
        else:
            shards.append(Shard(folder, key, [path], members.get(key, frozenset())))
    return shards


def _cut(names: list[str]) -> tuple[list[str], dict[str, frozenset[str]]]:
    """The names that start shards in a folder's sorted record file names, and the names in
    each shard."""
    starts = [""]
    groups: dict[str, list[str]] = {"": []}
    for name in names:
        if cache.starts_shard(name):
            starts.append(name)
            groups[name] = []
        groups[starts[-1]].append(name)
    return starts, {key: frozenset(group) for key, group in groups.items()}


def read_shard(shard: Shard, per_record: _PerRecord | None, cached: bool
               ) -> list[tuple[str, cache.Entry]]:
    """Each file of a shard as a cache entry: from the shard's cache file while the file is
    unchanged (when ``cached``), else read, checked by ``per_record`` and cached."""
    purpose = getattr(per_record, "__qualname__", "load")
    store = cache.RecordCache(shard.folder, purpose, shard.key) if cached else None
    results: list[tuple[str, cache.Entry]] = []
    with paused_gc():
        for path in shard.files:
            try:
                file_stamp: Stamp | None = stamp(os.stat(path))
            except OSError:
                file_stamp = None
            found = store.get(os.path.basename(path), file_stamp) \
                if store is not None and file_stamp is not None else None
            if found is None:
                record, problems = load_file(path)
                if record is not None and per_record is not None:
                    problems = problems + per_record(record)
                found = cache.entry(file_stamp, path, record, problems)
                if store is not None:
                    store.put(os.path.basename(path), found)
            results.append((path, found))
        if store is not None:
            store.save(shard.members | {os.path.basename(p) for p in shard.files})
    return results


_T = TypeVar("_T")


def map_shards(function: Callable[[Shard], _T], shards: list[Shard], jobs: int | None,
               threshold: int = _PARALLEL_THRESHOLD) -> Iterator[_T]:
    """``function`` of each shard, in order, computed by ``jobs`` forked worker processes
    (default: all cores from ``threshold`` files on) that inherit the caller's state. At most
    three shards per worker are in hand at a time, so memory does not grow with the catalogue."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    size = sum(len(shard.files) for shard in shards)
    if workers <= 1 or len(shards) < 2 or os.name != "posix" or (
            jobs is None and size < threshold):
        for shard in shards:
            yield function(shard)
        return
    import multiprocessing  # only large catalogues pay its import

    with multiprocessing.get_context("fork").Pool(min(workers, len(shards))) as pool:
        pending: collections.deque[Any] = collections.deque()
        for shard in shards:
            pending.append(pool.apply_async(function, (shard,)))
            if len(pending) > 3 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def load_file(path: str | os.PathLike[str]) -> tuple[Record | None, list[Diagnostic]]:
    """Read one record file: the record (None if unusable) and the problems found."""
    text, problems = read_text(path)
    if text is None:
        return None, problems
    return parse_record(text, str(path))


def read_text(path: str | os.PathLike[str]) -> tuple[str | None, list[Diagnostic]]:
    """Read a file as UTF-8, turning I/O and encoding failures into diagnostics."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return None, [Diagnostic("FILE_UNREADABLE", f"cannot read: {error.strerror}",
                                 location=Location(str(path)))]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        before = data[:error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        message = f"byte 0x{data[error.start]:02x} is not valid UTF-8; save the file as UTF-8"
        return None, [Diagnostic("FILE_ENCODING", message, location=Location(str(path), line,
                                                                              column))]


def compose(text: str, path: str | None) -> tuple[yaml.Node | None, list[Diagnostic]]:
    """Compose YAML text into a node tree, turning syntax errors into diagnostics."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(p for p in (error.context, error.problem) if p) or str(error)
        return None, [Diagnostic("YAML_SYNTAX", f"malformed YAML: {message}",
                                 location=Location(path, line, column))]
    except yaml.YAMLError as error:
        return None, [Diagnostic("YAML_SYNTAX", f"malformed YAML: {error}",
                                 location=Location(path))]
    if node is None:
        return None, [Diagnostic("FILE_EMPTY", "the file is empty", location=Location(path, 1, 1))]
    return node, []


def parse_record(text: str, path: str | None = None) -> tuple[Record | None, list[Diagnostic]]:
    """Build a record from YAML text; ``path`` is used for locations and the id check."""
    node, problems = compose(text, path)
    if node is None:
        return None, problems
    record_id = _scalar_value(node, "id")
    builder = fields.Builder(path, record_id)
    record = builder.struct(Record, node)
    if record is not None:
        record.source = path
    return record, builder.diagnostics


def load_organizations(path: str | os.PathLike[str]
                       ) -> tuple[dict[str, Organization], list[Diagnostic]]:
    """Read the authority file: a mapping of key to organization."""
    text, problems = read_text(path)
    if text is None:
        return {}, problems
    node, problems = compose(text, str(path))
    if node is None:
        return {}, problems
    builder = fields.Builder(str(path))
    if not isinstance(node, yaml.MappingNode):
        builder.report("WRONG_TYPE", "the authority file must map keys to organizations", node,
                       None)
        return {}, builder.diagnostics
    organizations: dict[str, Organization] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in organizations:
            builder.report("DUPLICATE_KEY", f"organization '{key}' appears twice", key_node, key)
            continue
        if not isinstance(value_node, yaml.MappingNode):
            builder.report("WRONG_TYPE", f"organization '{key}' must be a mapping", value_node,
                           key)
            continue
        org = builder.struct(Organization, value_node, key)
        if org is None:
            continue
        org.key = key
        org.source = str(path)
        if org.name and "en" not in org.name:
            builder.report("MISSING_FIELD", f"organization '{key}' needs an English name",
                           value_node, f"{key}.name.en")
        organizations[key] = org
    return organizations, builder.diagnostics


def _scalar_value(node: yaml.Node, key: str) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key and isinstance(value_node, yaml.ScalarNode):
                return str(value_node.value)
    return None


# --------------------------------------------------------------------------- locations

@functools.lru_cache(maxsize=256)
def _composed(path: str, stamp: tuple[int, int]) -> yaml.Node | None:
    """The node tree of a file as it was at ``stamp`` (modification time and size)."""
    text, _ = read_text(path)
    if text is None:
        return None
    node, _ = compose(text, path)
    return node


def locate(path: str | None, field_path: str | None) -> Location:
    """The location of a field (``"isbn[0].value"``) in a file, or of its nearest ancestor."""
    if path is None:
        return Location()
    try:
        status = os.stat(path)
    except OSError:
        return Location(path)
    node = _composed(path, (status.st_mtime_ns, status.st_size))
    if node is None or not field_path:
        return Location(path, 1, 1) if node is not None else Location(path)
    found = node
    for token in _tokens(field_path):
        child = None
        if isinstance(token, int) and isinstance(found, yaml.SequenceNode):
            child = found.value[token] if token < len(found.value) else None
        elif isinstance(token, str) and isinstance(found, yaml.MappingNode):
            child = next((v for k, v in found.value if k.value == token), None)
        if child is None:
            break
        found = child
    mark = found.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


def _tokens(field_path: str) -> Iterator[str | int]:
    for part in field_path.split("."):
        name, _, rest = part.partition("[")
        if name:
            yield name
        for index in rest.replace("]", "").split("[") if rest else ():
            yield int(index)


# --------------------------------------------------------------------------- writing

class _Dumper(yaml.SafeDumper):
    """Block style, long lines folded, multi-line text as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(record: Record) -> str:
    """A record as canonical YAML text, keys in table order."""
    return yaml.dump(fields.dump(record), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100)


def write_record(record: Record, directory: str | os.PathLike[str]) -> Path:
    """Write ``<directory>/<id>.yaml`` atomically and return its path."""
    if not record.id:
        raise IombibError("cannot write a record without an id")
    target = Path(directory) / f"{record.id}.yaml"
    write_atomic(target, to_yaml(record))
    return target


def write_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Replace a file with new text so readers see the old file or the new, never a part."""
    with open_atomic(target) as stream:
        stream.write(text)


@contextlib.contextmanager
def open_atomic(target: str | os.PathLike[str]) -> Iterator[TextIO]:
    """A text stream that replaces ``target`` when the block ends without an exception.

    The text goes to a temporary file beside the target, which is synced and renamed over it;
    on an exception the target is left as it was and the temporary file is removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def organizations_yaml(organizations: dict[str, Organization]) -> str:
    """Authority entries as YAML text, in the form of ``organizations.yaml``."""
    data = {key: fields.dump(org) for key, org in organizations.items()}
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
