"""The CSV exports: which one a header names, how its dates are written, and its rows.

Two passes over the file: the first reads only the date columns, until the evidence settles the
date order (culture_dates), the second reads the rows with that order. Neither holds the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace import read_enhanced, read_extended, read_powershell
from omeconsole.core.message_trace.csv_records import Record, RecordReader, cells_of, header_delimiter
from omeconsole.core.message_trace.culture_dates import Culture, DateEvidence, DateOrder, DateReading
from omeconsole.core.message_trace.export_encoding import ExportEncoding, open_text
from omeconsole.core.message_trace.export_rows import RowError, TraceRow

Convert = Callable[[dict[str, str], str, DateReading], list[TraceRow]]


@dataclass(frozen=True)
class CsvFormat:
    name: str
    columns: set[str]  # the header names that identify it
    date_column: str
    window: tuple[str, str] | None  # StartDate/EndDate, when the format has them
    convert: Convert


FORMATS = (
    CsvFormat("Get-MessageTrace CSV", read_powershell.COLUMNS, read_powershell.DATE_COLUMN, read_powershell.WINDOW,
              read_powershell.powershell_rows),
    CsvFormat("Enhanced summary report CSV", read_enhanced.COLUMNS, read_enhanced.DATE_COLUMN, None,
              read_enhanced.enhanced_rows),
    CsvFormat("Extended report CSV", read_extended.COLUMNS, read_extended.DATE_COLUMN, None,
              read_extended.extended_rows),
)
NOT_A_TRACE = ("is not a recognised trace export: expected Get-MessageTrace CSV (Export-Csv), an Enhanced summary "
               "or Extended report CSV, or JSON from ConvertTo-Json, Graph messageTraces or the Reporting web service")


@dataclass
class CsvExport:
    path: Path
    encoding: ExportEncoding
    format: CsvFormat
    delimiter: str
    names: list[str]
    header_line: int
    ascii_only: bool = True

    def records(self) -> Iterator[Record | RowError]:
        """(record or the reason it is unreadable) for each data row, after the header."""
        with open_text(self.path, self.encoding) as stream:
            reader = RecordReader(stream)
            for item in reader:
                if isinstance(item, Record) and item.line <= self.header_line:
                    continue
                yield item
            self.ascii_only = reader.ascii_only

    def fields(self, record: Record) -> dict[str, str]:
        cells = cells_of(record, self.delimiter)
        if len(cells) != len(self.names):
            raise RowError(f"line {record.line}: {len(cells)} fields where the header has {len(self.names)}")
        return dict(zip(self.names, cells, strict=True))

    def rows(self, dates: DateReading) -> Iterator[TraceRow | RowError]:
        for item in self.records():
            if isinstance(item, RowError):
                yield item
                continue
            try:
                yield from self.format.convert(self.fields(item), f"line {item.line}", dates)
            except RowError as exc:
                yield exc if str(exc).startswith("line ") else RowError(f"line {item.line}: {exc}")

    def dates(self, order: DateOrder | None, culture: Culture | None) -> DateReading:
        """The date order: the person's, else the evidence of the date columns, read until it settles."""
        evidence = DateEvidence(self.delimiter)
        if order is None and culture is None:
            for item in self.records():
                if isinstance(item, Record):
                    self._gather(evidence, item)
                    if evidence.settled():
                        break
        return evidence.decide(self.path.name, order, culture)

    def _gather(self, evidence: DateEvidence, record: Record) -> None:
        try:
            fields = self.fields(record)
        except RowError:
            return  # its rows are rejected in the second pass
        received = fields.get(self.format.date_column, "")
        if received.strip():
            evidence.add(received)
        if self.format.window:
            start, end = (fields.get(name, "") for name in self.format.window)
            if start.strip() and end.strip():
                evidence.add_window(start, end, received or None)


def open_csv(path: Path, encoding: ExportEncoding, culture: Culture | None) -> CsvExport:
    """Find the header (after Windows PowerShell's #TYPE line), its delimiter and its format."""
    with open_text(path, encoding) as stream:
        reader = RecordReader(stream)
        header = _first_record(path, reader)
        if header.text.startswith("#TYPE"):
            header = _first_record(path, reader)
    known = [f.columns for f in FORMATS]
    delimiter, names = header_delimiter(header, known, culture.list_sep if culture else None)
    fmt = next((f for f in FORMATS if f.columns <= set(names)), None)
    if fmt is None:
        raise UsageError(f"{path} {NOT_A_TRACE}")
    return CsvExport(path, encoding, fmt, delimiter, names, header.line)


def _first_record(path: Path, reader: RecordReader) -> Record:
    item = next(reader, None)
    if item is None:
        raise UsageError(f"{path} is empty: no header row")
    if isinstance(item, RowError):
        raise UsageError(f"{path}: the header cannot be read ({item})")
    return item
