"""The field table drives the JSON Schema; the shipped schema matches it and every record."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from iombib import fields, model

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_schema_is_the_generated_one() -> None:
    shipped = json.loads(resources.files("iombib").joinpath("schema/record.schema.json")
                         .read_text(encoding="utf-8"))
    assert shipped == fields.json_schema(), "regenerate with: iombib schema > " \
        "src/iombib/schema/record.schema.json"


def test_schema_is_valid_and_accepts_every_record() -> None:
    schema = fields.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    paths = [p for p in (ROOT / "records").glob("*.yaml") if p.name != "organizations.yaml"]
    assert paths
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        # YAML reads an unquoted date such as 2016-08 as text but 2016-08-01 as a date.
        errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(data,
                                                                                  default=str)))]
        assert errors == [], path.name


def test_schema_rejects_unknown_keys_and_bad_types() -> None:
    validator = jsonschema.Draft202012Validator(fields.json_schema())
    base = {"id": "x", "type": "report", "title": "T", "issued": 2010, "languages": ["en"],
            "provenance": {"sources": ["s"]}}
    assert list(validator.iter_errors(base)) == []
    assert list(validator.iter_errors({**base, "titel": "T"}))
    assert list(validator.iter_errors({**base, "type": "novel"}))
    assert list(validator.iter_errors({**base, "pages": "many"}))
    chapter = {**base, "type": "chapter"}
    assert list(validator.iter_errors(chapter)), "a chapter needs container_title"


@pytest.mark.parametrize("cls", fields.STRUCTS, ids=lambda c: c.__name__)
def test_every_field_is_documented_and_in_the_table(cls: type) -> None:
    table = fields.table(cls)
    declared = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    assert list(table) == declared
    assert all(spec.doc for spec in table.values())


def test_table_reads_kinds_from_type_hints() -> None:
    table = fields.table(model.Record)
    assert table["pages"].kind == "int" and table["pages"].minimum == 1
    assert table["creators"].kind == "list" and table["creators"].item is not None
    assert table["creators"].item.struct is model.Creator
    assert table["type"].choices == tuple(model.RECORD_TYPE_DOCS)
    assert table["container_title"].required_for("chapter")
    assert not table["container_title"].required_for("report")


def test_dump_leaves_out_defaults_and_keeps_table_order() -> None:
    record = model.Record(id="x", type="report", title="T", issued="2010", languages=["en"],
                          place=None)
    assert list(fields.dump(record)) == ["id", "type", "title", "place", "issued", "languages"]
    assert fields.dump(record)["place"] is None
