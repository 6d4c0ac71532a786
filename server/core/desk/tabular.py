"""A table of figures, as the supervisor pages show it and as it is exported (CSV for a spreadsheet).

Exports leave the service: personal data in their text (a citizen's phone number in a question…) is masked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from server.core import pii


@dataclass
class Table:
    """A named table: its slug (for the export's URL and file name), French title, headers and rows."""

    slug: str
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}".replace(".", ",")
    text = pii.mask(str(value)) if isinstance(value, str) else str(value)
    # A citizen's text starting like a formula must not run in the supervisor's spreadsheet.
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def to_csv(table: Table) -> str:
    """CSV as French spreadsheets open it (« ; », decimal comma, UTF-8 with BOM), personal data masked."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
