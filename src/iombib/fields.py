"""The field table: the model's declarations read once, driving load, dump and the JSON Schema.

:func:`table` turns a model dataclass into an ordered mapping of :class:`FieldSpec`. The loader
(:func:`build`) uses it to type-check YAML nodes and report unknown keys with "did you mean";
:func:`dump` uses it to write records back in declaration order; :func:`json_schema` derives the
schema that ships in the package.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from iombib import model
from iombib.diagnostics import Diagnostic, Location

STRUCTS: tuple[type, ...] = (
    model.Record, model.Creator, model.Isbn, model.Url, model.Series, model.Price,
    model.Edition, model.Relation, model.Correction, model.Provenance, model.Organization,
)
"""Every dataclass of the model that can appear in a file."""

Kind = Literal["str", "int", "float", "struct", "list", "dict"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of the table: its key, kind, allowed values and documentation."""

    key: str
    kind: Kind
    doc: str
    required: bool | tuple[str, ...] = False
    choices: tuple[str, ...] | None = None
    struct: type | None = None
    item: FieldSpec | None = None
    pattern: str | None = None
    minimum: int | None = None
    default: Any = None

    def required_for(self, record_type: str | None) -> bool:
        """Whether the field is required for a record of this type."""
        if isinstance(self.required, tuple):
            return record_type in self.required
        return self.required


def _spec_for(key: str, hint: Any, meta: dict[str, Any], default: Any) -> FieldSpec:
    """Translate one type hint into a FieldSpec."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in args if a is not type(None))
        args = typing.get_args(hint)
    common = {"doc": meta.get("doc", ""), "required": meta.get("required", False),
              "pattern": meta.get("pattern"), "minimum": meta.get("minimum"), "default": default}
    origin = typing.get_origin(hint)
    if origin is Literal:
        return FieldSpec(key, "str", choices=tuple(args), **common)
    if origin is list:
        item = _spec_for(key, args[0], {}, None)
        return FieldSpec(key, "list", item=item, **common)
    if origin is dict:
        return FieldSpec(key, "dict", item=FieldSpec(key, "str", ""), **common)
    if dataclasses.is_dataclass(hint):
        return FieldSpec(key, "struct", struct=hint, **common)
    kinds: dict[Any, Kind] = {str: "str", int: "int", float: "float"}
    return FieldSpec(key, kinds[hint], **common)


@functools.cache
def table(cls: type) -> dict[str, FieldSpec]:
    """The ordered field table of a model dataclass.

    >>> list(table(model.Price))
    ['amount', 'currency']
    """
    hints = typing.get_type_hints(cls, vars(model))
    specs: dict[str, FieldSpec] = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        specs[f.name] = _spec_for(f.name, hints[f.name], dict(f.metadata), default)
    return specs


# --------------------------------------------------------------------------- loading

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
"""Plain scalars that YAML reads as null."""
NULL_TAG = "tag:yaml.org,2002:null"


class Builder:
    """Builds model objects from composed YAML nodes, collecting diagnostics as it goes."""

    def __init__(self, path: str | None, record_id: str | None = None) -> None:
        self.path = path
        self.record_id = record_id
        self.diagnostics: list[Diagnostic] = []

    def location(self, node: yaml.Node) -> Location:
        """The 1-based location of a node."""
        mark = node.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)

    def report(self, code: str, message: str, node: yaml.Node, field: str | None,
               suggestion: str | None = None) -> None:
        """Add a diagnostic at a node."""
        self.diagnostics.append(Diagnostic(code, message, self.record_id, field,
                                           self.location(node), suggestion))

    def struct(self, cls: type, node: yaml.Node, path: str = "") -> Any:
        """Build a dataclass instance from a mapping node, or None if the node is unusable.

        A part (ISBN, URL, series ...) lacking a required field is reported and not built; a
        record is always built, remembering which fields held rejected values.
        """
        if not isinstance(node, yaml.MappingNode):
            self.report("WRONG_TYPE", f"expected a mapping of {cls.__name__} fields, "
                        f"found {_describe(node)}", node, path or None)
            return None
        specs = table(cls)
        values: dict[str, Any] = {}
        seen: set[str] = set()
        rejected: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.report("WRONG_TYPE", "a key must be text", key_node, path or None)
                continue
            field_path = f"{path}.{key}" if path else key
            if key in seen:
                self.report("DUPLICATE_KEY", f"key '{key}' appears twice", key_node, field_path)
                continue
            seen.add(key)
            spec = specs.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, list(specs), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.report("UNKNOWN_FIELD", f"unknown field '{key}' in {cls.__name__}{hint}",
                            key_node, field_path, close[0] if close else None)
                continue
            value = self.value(spec, value_node, field_path)
            if value is _INVALID:
                rejected.add(key)
            else:
                values[key] = value
        if cls is model.Record:
            # Record-level requirements depend on the type and provenance: validate checks them.
            return cls(**values, rejected=frozenset(rejected))
        complete = True
        for key, spec in specs.items():
            if spec.required is not True or key in rejected:
                complete = complete and key not in rejected
                continue
            if values.get(key) in (None, [], {}):
                self.report("MISSING_FIELD", f"{cls.__name__} needs '{key}'", node,
                            f"{path}.{key}" if path else key)
                complete = False
        # A part without its required fields is reported and left out, never half-built.
        return cls(**values) if complete else None

    def value(self, spec: FieldSpec, node: yaml.Node, path: str) -> Any:
        """Convert one node according to its field spec; _INVALID after reporting a problem."""
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG and node.value in NULLS:
            return spec.default if spec.kind in ("list", "dict") else None
        kind = spec.kind
        if kind == "struct":
            assert spec.struct is not None
            built = self.struct(spec.struct, node, path)
            return _INVALID if built is None else built
        if kind == "list":
            if not isinstance(node, yaml.SequenceNode):
                self.report("WRONG_TYPE", f"'{spec.key}' must be a list, found {_describe(node)}",
                            node, path)
                return _INVALID
            assert spec.item is not None
            items = []
            for index, item_node in enumerate(node.value):
                item = self.value(spec.item, item_node, f"{path}[{index}]")
                if item is not _INVALID and item is not None:
                    items.append(item)
            return items
        if kind == "dict":
            if not isinstance(node, yaml.MappingNode):
                self.report("WRONG_TYPE", f"'{spec.key}' must be a mapping, "
                            f"found {_describe(node)}", node, path)
                return _INVALID
            result: dict[str, str] = {}
            for key_node, value_node in node.value:
                text = self.scalar_text(value_node, f"{path}.{key_node.value}")
                if text is not _INVALID:
                    result[str(key_node.value)] = text
            return result
        text = self.scalar_text(node, path)
        if text is _INVALID:
            return _INVALID
        if kind == "int":
            return self.number(int, text, node, path)
        if kind == "float":
            return self.number(float, text, node, path)
        if spec.choices is not None and text not in spec.choices:
            close = difflib.get_close_matches(text, spec.choices, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.report("INVALID_VALUE", f"'{text}' is not an allowed {spec.key} "
                        f"(allowed: {', '.join(spec.choices)}){hint}", node, path,
                        close[0] if close else None)
            return _INVALID
        return text

    def scalar_text(self, node: yaml.Node, path: str) -> Any:
        """The text of a scalar node, or _INVALID for a list or mapping."""
        if not isinstance(node, yaml.ScalarNode):
            self.report("WRONG_TYPE", f"expected a single value, found {_describe(node)}",
                        node, path)
            return _INVALID
        return node.value

    def number(self, convert: Callable[[str], Any], text: str, node: yaml.Node,
               path: str) -> Any:
        """Parse a number, reporting text that is not one."""
        if node.style in ('"', "'"):
            self.report("WRONG_TYPE", f"expected a number, found quoted text '{text}'", node,
                        path, text.strip())
            return _INVALID
        try:
            return convert(text.replace("_", ""))
        except ValueError:
            self.report("WRONG_TYPE", f"expected a {'whole ' if convert is int else ''}number, "
                        f"found '{text}'", node, path)
            return _INVALID


_INVALID = object()


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"'{node.value}'"


# --------------------------------------------------------------------------- writing

def dump(obj: Any) -> dict[str, Any]:
    """A model object as plain data in table order, leaving out fields at their default.

    >>> dump(model.Price(amount=60, currency="USD"))
    {'amount': 60, 'currency': 'USD'}
    """
    data: dict[str, Any] = {}
    for key, spec in table(type(obj)).items():
        value = getattr(obj, key)
        if value == spec.default:
            continue
        data[key] = _plain(value)
    return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return dump(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def undump(cls: type, data: dict[str, Any]) -> Any:
    """The inverse of :func:`dump` for data that was dumped (or validated) before: no checks.

    >>> undump(model.Price, {"amount": 60, "currency": "USD"})
    Price(amount=60, currency='USD')
    """
    converters = _converters(cls)
    return cls(**{key: value if converters[key] is None else converters[key](value)
                  for key, value in data.items()})


@functools.cache
def _converters(cls: type) -> dict[str, Callable[[Any], Any] | None]:
    """Per field, what turns dumped data back into the model's value (None: as it is)."""
    converters: dict[str, Callable[[Any], Any] | None] = {}
    for key, spec in table(cls).items():
        item = spec.item
        if spec.kind == "struct":
            converters[key] = functools.partial(undump, spec.struct)
        elif spec.kind == "list" and item is not None and item.kind == "struct":
            converters[key] = functools.partial(_undump_list, item.struct)
        else:
            converters[key] = {"list": list, "dict": dict}.get(spec.kind)
    return converters


def _undump_list(cls: type, values: list[dict[str, Any]]) -> list[Any]:
    return [undump(cls, v) for v in values]


# --------------------------------------------------------------------------- schema

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number"}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a record file, generated from the table."""
    defs = {cls.__name__: _struct_schema(cls) for cls in STRUCTS if cls is not model.Record}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:iombib:schema:record",
        "title": "iombib record",
        "description": (model.Record.__doc__ or "").strip().splitlines()[0],
        **_struct_schema(model.Record),
        "$defs": defs,
    }
    # A required field may be missing when provenance.incomplete declares that the source lacks
    # it, as the validator allows (with a warning).
    excusable = [k for k in schema["required"] if k not in NEVER_INCOMPLETE]
    schema["required"] = [k for k in schema["required"] if k in NEVER_INCOMPLETE]
    schema.setdefault("allOf", []).extend(
        {"if": {"properties": {"provenance": {"properties": {"incomplete": {"contains": {
            "const": key}}}, "required": ["incomplete"]}}},
         "else": {"required": [key]}}
        for key in excusable)
    return schema


NEVER_INCOMPLETE = ("id", "type", "provenance")
"""Required record fields that provenance.incomplete cannot excuse."""


def _struct_schema(cls: type) -> dict[str, Any]:
    specs = table(cls)
    required = [k for k, s in specs.items() if s.required is True]
    conditional = [
        {"if": {"properties": {"type": {"enum": list(s.required)}}},
         "then": {"required": [k]}}
        for k, s in specs.items() if isinstance(s.required, tuple)
    ]
    schema: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "properties": {k: _field_schema(s) for k, s in specs.items()},
        "required": required,
        "additionalProperties": False,
    }
    if conditional:
        schema["allOf"] = conditional
    return schema


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any]
    if spec.kind == "struct":
        assert spec.struct is not None
        schema = {"$ref": f"#/$defs/{spec.struct.__name__}"}
    elif spec.kind == "list":
        assert spec.item is not None
        item = _field_schema(spec.item)
        item.pop("description", None)
        schema = {"type": "array", "items": item}
    elif spec.kind == "dict":
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
    elif spec.kind == "str" and not (spec.choices or spec.pattern):
        # Free text; YAML reads an unquoted 2010 or 3 as a number, which the loader accepts.
        schema = {"type": ["string", "number"]}
    else:
        schema = {"type": _JSON_TYPES[spec.kind]}
        if spec.choices:
            schema["enum"] = list(spec.choices)
        if spec.pattern:
            schema["pattern"] = spec.pattern
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
    if spec.required is not True and spec.kind not in ("list", "dict", "struct"):
        schema = {"anyOf": [schema, {"type": "null"}]}
    if spec.doc:
        schema["description"] = spec.doc
    return schema
