"""CSV export in the shape Export-Csv -NoTypeInformation writes, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell after the row's first that begins with one of _FORMULA_STARTS, in the row's cells joined by '","'.
# It may also match inside a cell (which only costs the careful way); it never misses a cell's start.
_FORMULA_CELL = re.compile('","[=+\\-@\t\r]')
_ONLY_TEXT = frozenset({str})  # a row's value types when each is plain text (a str subclass, like a str Enum, is not)


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
    return csv_rows((list(map(record.get, columns)) for record in records), columns, cell, batch)


def csv_rows(rows: Iterable[Sequence], columns: tuple[str, ...],
             cell: Callable[[str], str] | None = None, batch: int = 512) -> Iterator[str]:
    """csv_lines for rows given as their values in the order of `columns` (None for an empty cell)."""
    yield csv_header(columns)
    yield from joined_in_batches((csv_line(values, cell) for values in rows), batch)


def joined_in_batches(lines: Iterable[str], batch: int = 512) -> Iterator[str]:
    """The lines `batch` at a time, each batch joined: fewer, larger writes, as the lines come."""
    waiting: list[str] = []
    for line in lines:
        waiting.append(line)
        if len(waiting) == batch:
            yield "".join(waiting)
            waiting.clear()
    if waiting:
        yield "".join(waiting)


def csv_header(columns: tuple[str, ...]) -> str:
    return _CarefulWriter(None).line(columns, as_they_are=True)


def csv_line(values: Sequence, cell: Callable[[str], str] | None = None) -> str:
    """One row's line: each value neutralized (then given to `cell`, if any), every cell quoted, CRLF."""
    return (cell is None and plain_line(values)) or _CarefulWriter(cell).line(values)


def plain_line(values: Sequence) -> str | None:
    """The line csv.writer (every cell quoted, CRLF) writes for these values, when each is text that
    `neutralize` returns as it is; None when any is not (that row goes the careful way)."""
    if not values or set(map(type, values)) != _ONLY_TEXT:
        return None  # a value that is not plain text (None, a number, a str Enum): neutralize says how
    joined = '","'.join(values)
    if joined.count('"') != 2 * (len(values) - 1):  # a quote in a cell: doubled, as csv.writer does
        joined = '","'.join([value.replace('"', '""') for value in values])
    if joined.startswith(_FORMULA_STARTS) or _FORMULA_CELL.search(joined):
        return None
    return '"' + joined + '"\r\n'


class _CarefulWriter:
    """Each cell neutralized (then given to `cell`, if any), and the row written by csv.writer."""

    def __init__(self, cell: Callable[[str], str] | None):
        self.cell = cell
        self.out = io.StringIO()
        self.writer = csv.writer(self.out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def line(self, values: Sequence, as_they_are: bool = False) -> str:
        """as_they_are: the header, written as given."""
        if as_they_are:
            self.writer.writerow(values)
        else:
            cells = [neutralize(value) for value in values]
            self.writer.writerow([self.cell(c) for c in cells] if self.cell else cells)
        text = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return text
