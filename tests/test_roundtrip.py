"""record -> format -> record keeps every field each readable format can carry.

Each format module lists in ``LOSSES`` the record fields it cannot carry (and where they go
instead); everything else must come back equal, for every record of the catalogue, for its
French edition, and for Hypothesis-generated records with hostile text.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import ORGANIZATIONS, records

import iombib
from iombib import fields, formats

READABLE = [name for name in formats.names() if formats.readable(name)]


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


def comparable(record: iombib.Record, losses: dict[str, str]) -> dict[str, Any]:
    """The record as plain data without provenance and the fields a format cannot carry."""
    data = fields.dump(record)
    data.pop("provenance", None)
    for path in losses:
        head, _, rest = path.partition(".")
        if not rest:
            data.pop(head, None)
            continue
        value = data.get(head)
        for item in value if isinstance(value, list) else [value] if value else []:
            item.pop(rest, None)
        if isinstance(value, list):
            data[head] = [item for item in value if item != {}] or None
            if data[head] is None:
                del data[head]
    return data


def round_trip(record: iombib.Record, name: str, organizations: dict,
               language: str | None = None) -> iombib.Record:
    text = iombib.export([record], name, organizations=organizations, language=language)
    imported = iombib.read(text, name, organizations=organizations, source=f"rt.{name}")
    assert [d.format() for d in imported.diagnostics] == []
    assert len(imported.records) == 1
    return imported.records[0]


@pytest.mark.parametrize("name", READABLE)
def test_every_catalogue_record_survives(name: str, catalogue: iombib.Catalogue) -> None:
    losses = formats.get(name).LOSSES
    for record in catalogue:
        back = round_trip(record, name, catalogue.organizations)
        assert comparable(back, losses) == comparable(record, losses), record.id


@pytest.mark.parametrize("name", READABLE)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records())
def test_generated_records_survive(name: str, record: iombib.Record) -> None:
    losses = formats.get(name).LOSSES
    back = round_trip(record, name, ORGANIZATIONS)
    assert comparable(back, losses) == comparable(record, losses)


def test_comparable_drops_nested_losses() -> None:
    record = iombib.Record(id="x", type="report", title="T", issued="2010", languages=["en"],
                           editions=[iombib.Edition(language="fr", title="Titre")],
                           provenance=iombib.Provenance(sources=["s"]))
    assert comparable(record, {"editions.title": "note"}) == {
        "id": "x", "type": "report", "title": "T", "issued": "2010", "languages": ["en"],
        "editions": [{"language": "fr"}]}
