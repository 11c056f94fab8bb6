"""A trace export as an admin brings it: its encoding, its format, how its dates are written, and
its rows one at a time (each a TraceRow, or the RowError that says where and why it was refused).

Every format is found from the content, never from the file name; see csv_exports and json_exports
for the formats, culture_dates for the dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from omeconsole.core.message_trace.csv_exports import CsvExport, open_csv
from omeconsole.core.message_trace.culture_dates import Culture, DateOrder, DateReading, iso_only
from omeconsole.core.message_trace.export_encoding import ExportEncoding, detect_encoding, open_text
from omeconsole.core.message_trace.export_rows import RowError, TraceRow
from omeconsole.core.message_trace.json_exports import JsonExport, open_json


@dataclass
class TraceExport:
    path: Path
    encoding: ExportEncoding
    source: CsvExport | JsonExport
    dates: DateReading
    notes: list[str] = field(default_factory=list)

    @property
    def format(self) -> str:
        return self.source.format if isinstance(self.source, JsonExport) else self.source.format.name

    @property
    def encoding_label(self) -> str:
        ascii_only = isinstance(self.source, CsvExport) and self.source.ascii_only
        return self.encoding.shown(ascii_only)

    def rows(self) -> Iterator[TraceRow | RowError]:
        return self.source.rows(self.dates)


def open_trace_export(path: Path, order: DateOrder | None = None, culture: Culture | None = None) -> TraceExport:
    """The export's format and date order, decided before any row is read (one-line UsageError when
    the file is not a trace export, or its dates could be read two ways)."""
    path = Path(path)
    encoding = detect_encoding(path)
    notes = list(encoding.notes)
    source: CsvExport | JsonExport
    if _starts_json(path, encoding):
        source = json_source = open_json(path, encoding)
        if json_source.more_pages:
            notes.append("the export names a next page (@odata.nextLink or __next): this file is one page of it")
        dates = iso_only(order, culture)
    else:
        source = csv_source = open_csv(path, encoding, culture)
        dates = csv_source.dates(order, culture)
    return TraceExport(path, encoding, source, dates, notes)


def _starts_json(path: Path, encoding: ExportEncoding) -> bool:
    with open_text(path, encoding) as stream:
        head = stream.read(256).lstrip()
    return head.startswith(("{", "["))
