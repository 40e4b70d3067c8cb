"""CSV for the privacy office's exports (stdlib csv), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable

# A cell a spreadsheet would read as a formula (CSV injection, "formula injection"); tab and carriage return too,
# since some spreadsheets drop them and then read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """The text of one cell: "" for None, and a leading apostrophe before anything a spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterable[str]:
    """The header and each row as one CSV line, every cell made safe, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield writer.writerow([cell(value) for value in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])
