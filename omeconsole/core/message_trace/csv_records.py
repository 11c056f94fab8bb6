"""A CSV export's records, one at a time, each with the line it starts on.

A record ends at a line end outside quotes: quotes come in pairs ("" inside a quoted field), so a
record is whole when it holds an even number of them. Splitting records here, before the csv module
parses each one, keeps a bad record to itself: a field over MAX_FIELD characters, a file cut inside
a quoted field, or a byte that is not text rejects its own record (with its line) and the next one
is read as usual. Memory is bounded by MAX_RECORD, whatever the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from omeconsole.core.message_trace.export_encoding import UNDECODABLE
from omeconsole.core.message_trace.export_rows import RowError

MAX_FIELD = 131_072  # characters: the csv module's own default limit, which admins may have met
MAX_RECORD = 1_048_576  # characters kept of one record; the rest is skipped to its end
DELIMITERS = (",", ";", "\t")
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD))


@dataclass
class Record:
    line: int
    text: str


class RecordReader:
    """Records of a text stream; `ascii_only` stays true while every character read was ASCII."""

    def __init__(self, stream: IO[str]):
        self.lines = iter(stream)
        self.line = 0
        self.ascii_only = True

    def __iter__(self) -> Iterator[Record | RowError]:
        return self

    def __next__(self) -> Record | RowError:
        while True:
            first = next(self.lines)  # StopIteration ends the records
            self.line += 1
            if first.strip():
                return self._whole(first)

    def _whole(self, first: str) -> Record | RowError:
        start, parts, kept, quotes = self.line, [first], len(first), first.count('"')
        while quotes % 2:
            following = next(self.lines, None)
            if following is None:
                return RowError(f"line {start}: the file ends inside a quoted field: it was cut short")
            self.line += 1
            quotes += following.count('"')
            if kept <= MAX_RECORD:
                parts.append(following)
            kept += len(following)
        text = "".join(parts)
        if kept > MAX_RECORD:
            return RowError(f"line {start}: the row is {kept:,} characters; a field over {MAX_FIELD:,} is not read")
        if UNDECODABLE in text:
            return RowError(f"line {start}: it holds bytes that are not text in this file's encoding")
        self.ascii_only = self.ascii_only and text.isascii()
        return Record(start, text)


def cells_of(record: Record, delimiter: str) -> list[str]:
    """The record's fields, or a RowError naming its line."""
    try:
        cells = next(csv.reader([record.text], delimiter=delimiter), [])
    except csv.Error as exc:
        raise RowError(f"line {record.line}: {exc}") from None
    longest = max((len(c) for c in cells), default=0)
    if longest > MAX_FIELD:
        raise RowError(f"line {record.line}: a field is {longest:,} characters; at most {MAX_FIELD:,} are read")
    return cells


def header_delimiter(record: Record, known: list[set[str]], preferred: str | None) -> tuple[str, list[str]]:
    """The delimiter that splits this header into one of the known header sets (the preferred one, a
    --culture's list separator, first), and the header's column names, lower case; else ("", [])."""
    order = ([preferred] if preferred else []) + [d for d in DELIMITERS if d != preferred]
    for delimiter in order:
        try:
            names = [c.strip().lower() for c in cells_of(record, delimiter)]
        except RowError:
            continue
        if any(wanted <= set(names) for wanted in known):
            return delimiter, names
    return "", []
