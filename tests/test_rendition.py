"""Records resolved as one language edition, the view every format writes from."""

from __future__ import annotations

import pytest

import iombib
from iombib.rendition import date_parts, format_date, join_title, resolve


@pytest.fixture(scope="module")
def catalogue() -> iombib.Catalogue:
    return iombib.load("records")


def test_primary_edition_keeps_the_other_editions_isbns(catalogue) -> None:
    wmr = catalogue.get("world-migration-report-2010")
    primary = resolve(wmr, catalogue.organizations)
    assert primary.is_primary and primary.language == "en"
    assert [i.value for i in primary.isbns] == ["978-92-9068-590-6"]
    assert [(o.language, o.isbn.value) for o in primary.other_isbns] == [
        ("fr", "978-92-9068-591-3"), ("es", "978-92-9068-592-0")]
    assert primary.org_name("iom") == "International Organization for Migration"


def test_french_edition_has_its_isbn_and_french_names(catalogue) -> None:
    wmr = catalogue.get("world-migration-report-2010")
    french = resolve(wmr, catalogue.organizations, "fr")
    assert not french.is_primary and french.language == "fr"
    assert [i.value for i in french.isbns] == ["978-92-9068-591-3"]
    assert [(o.language, o.isbn.value) for o in french.other_isbns] == [
        ("en", "978-92-9068-590-6"), ("es", "978-92-9068-592-0")]
    assert french.org_name("iom") == "Organisation internationale pour les migrations"
    assert french.org_acronym("iom") == "OIM"
    assert french.other_languages == ["en", "es"]


def test_edition_title_replaces_the_subtitle_too(catalogue) -> None:
    wmr = catalogue.get("world-migration-report-2015")
    french = resolve(wmr, catalogue.organizations, "fr")
    edition = next(e for e in wmr.editions if e.language == "fr")
    if edition.title:
        assert french.title == edition.title and french.subtitle == edition.subtitle
    assert [u.url for u in french.urls] == [u.url for u in edition.urls]


def test_a_language_without_an_edition_gives_the_primary_one(catalogue) -> None:
    record = catalogue.get("labour-exploitation-trafficking-and-migrant-health")
    assert resolve(record, catalogue.organizations, "de").title == record.title


def test_unknown_organization_keys_are_shown_as_they_are(catalogue) -> None:
    record = catalogue.get("world-migration-report-2010")
    assert resolve(record, {}).org_name("iom") == "iom"


@pytest.mark.parametrize("issued, parts", [
    ("2010", [[2010]]), ("2016-08", [[2016, 8]]), ("2016-08-05", [[2016, 8, 5]]),
    ("2009/2010", [[2009], [2010]]), ("", []), ("circa 2010", []),
])
def test_date_parts_and_back(issued: str, parts: list) -> None:
    assert date_parts(issued) == parts
    if parts:
        assert format_date(parts) == issued


@pytest.mark.parametrize("title, subtitle, joined", [
    ("Fatal Journeys", "Tracking Lives Lost", "Fatal Journeys: Tracking Lives Lost"),
    ("What now?", "A guide", "What now? A guide"),
    ("Report", None, "Report"),
])
def test_join_title(title: str, subtitle: str | None, joined: str) -> None:
    assert join_title(title, subtitle) == joined
