"""CSV export in the shape Export-Csv -NoTypeInformation writes, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """A cell that a spreadsheet would run as a formula is prefixed with a quote."""
    if type(value) is str and not value.startswith(_FORMULA_STARTS):
        return value  # most cells: checked first, at the cost of one call
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(records: Iterable[dict], columns: tuple[str, ...], cell: Callable[[str], str] | None = None) -> str:
    """cell, when given, is applied to each neutralized cell (the CLI passes `shown` on a terminal)."""
    return "".join(csv_lines(records, columns, cell))


def csv_lines(records: Iterable[dict], columns: tuple[str, ...],
              cell: Callable[[str], str] | None = None, batch: int = 512) -> Iterator[str]:
    """The header, then the records' lines, `batch` records at a time, as they come: an export of any
    length in constant memory."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def taken() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(columns)
    yield taken()
    waiting = 0
    for record in records:
        cells = [neutralize(record.get(c)) for c in columns]
        writer.writerow([cell(c) for c in cells] if cell else cells)
        waiting += 1
        if waiting == batch:
            yield taken()
            waiting = 0
    if waiting:
        yield taken()
