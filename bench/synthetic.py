"""Synthetic catalogues for benchmarks: N valid records of about one kilobyte each."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from iombib.identifiers import hyphenate_isbn, isbn_check_digit_13

_WORDS = ("migration", "migrants", "data", "policy", "border", "labour", "return",
          "reintegration", "smuggling", "trafficking", "health", "climate", "displacement",
          "integration", "remittances", "diaspora", "governance", "cities", "mobility",
          "protection", "research", "assessment", "review", "global", "regional")
_TYPES = ("report", "book", "manual", "brief", "conference-report", "fact-sheet")
_ROOT = Path(__file__).resolve().parent.parent


def _isbn(rng: random.Random, used: set[str]) -> str:
    """A new random valid ISBN-13 in a registered range, hyphenated as registered."""
    while True:
        first12 = "9780" + "".join(rng.choice("0123456789") for _ in range(8))
        if first12 in used:
            continue
        used.add(first12)
        try:
            return hyphenate_isbn(first12 + isbn_check_digit_13(first12))
        except ValueError:
            continue


def record_text(index: int, rng: random.Random, used: set[str]) -> str:
    """The YAML text of one synthetic record with the id ``rec-<index>``."""
    title = " ".join(rng.choice(_WORDS) for _ in range(6)).capitalize()
    abstract = " ".join(rng.choice(_WORDS) for _ in range(90))
    lines = [
        f"id: rec-{index}",
        f"type: {rng.choice(_TYPES)}",
        f"title: {title}",
        f"subtitle: {' '.join(rng.choice(_WORDS) for _ in range(4)).capitalize()}",
        "creators:",
        f"  - {{family: Author{index % 97}, given: A.}}",
        "  - org: iom",
        "    subdivision: Global Migration Data Analysis Centre",
        f"issued: {rng.randint(1995, 2024)}",
        f"pages: {rng.randint(8, 400)}",
        "languages: [en]",
        "series:",
        "  title: Migration Research Series",
        "  issn: 1607-338X",
        f"  number: '{index}'",
        "isbn:",
        f"  - value: {_isbn(rng, used)}",
        "urls:",
        f"  - url: https://publications.iom.int/system/files/pdf/rec-{index}.pdf",
        "    kind: pdf",
        "availability: [pdf]",
        "countries: [CH, TR]",
        f"abstract: >-\n  {abstract}",
        "provenance:",
        "  sources: [synthetic]",
    ]
    return "\n".join(lines) + "\n"


def write_catalogue(directory: Path, count: int, seed: int = 1) -> Path:
    """Write ``count`` records and the organization authority file into ``directory``."""
    rng = random.Random(seed)
    used: set[str] = set()
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(_ROOT / "records" / "organizations.yaml", directory / "organizations.yaml")
    for index in range(count):
        text = record_text(index, rng, used)
        (directory / f"rec-{index}.yaml").write_text(text, encoding="utf-8")
    return directory
