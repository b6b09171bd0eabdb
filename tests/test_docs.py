"""The documentation says what the code does: the losses table and the format list."""

from __future__ import annotations

import re
from pathlib import Path

from iombib import formats

ROOT = Path(__file__).resolve().parent.parent


def test_losses_table_in_the_docs_is_the_one_the_modules_declare() -> None:
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- losses:start -->\n(.*?)<!-- losses:end -->", text, re.S)
    assert found, "docs/formats.md lost its losses markers"
    assert found.group(1) == formats.losses_table(), \
        "regenerate with: iombib formats --losses"


def test_every_format_has_a_page_and_a_row_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for name in formats.names():
        assert f"`{name}`" in readme and f"| `{name}` |" in index, name
    for page in re.findall(r"\(formats/([a-z]+\.md)\)", index):
        assert (ROOT / "docs" / "formats" / page).is_file(), page
