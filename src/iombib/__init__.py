"""iombib: validate and convert the publications catalogue of the International Organization for
Migration.

>>> import iombib
>>> catalogue = iombib.load("records")                       # doctest: +SKIP
>>> errors = [d for d in iombib.validate(catalogue) if d.is_error]  # doctest: +SKIP
"""

from iombib.cite import Citations, cite
from iombib.convert import Imported, export, read, write
from iombib.diagnostics import CODES, Diagnostic, IombibError, Location, Severity
from iombib.model import (
    Creator,
    Edition,
    Isbn,
    Organization,
    Price,
    Provenance,
    Record,
    Relation,
    Series,
    Url,
)
from iombib.records import Catalogue, load, write_record
from iombib.validate import check, validate

__all__ = [
    "CODES",
    "Catalogue",
    "Citations",
    "Creator",
    "Diagnostic",
    "Edition",
    "Imported",
    "IombibError",
    "Isbn",
    "Location",
    "Organization",
    "Price",
    "Provenance",
    "Record",
    "Relation",
    "Series",
    "Severity",
    "Url",
    "check",
    "cite",
    "export",
    "load",
    "read",
    "validate",
    "write",
    "write_record",
]
