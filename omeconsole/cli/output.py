"""What a command prints: records as a table, JSON or CSV, lines on standard output, one-line warnings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from omeconsole.cli import render
from omeconsole.cli.streams import is_terminal, write_out
from omeconsole.core.errors import UsageError
from omeconsole.core.text.csv_cells import csv_header, csv_line, joined_in_batches
from omeconsole.core.text.untrusted import shown


def wants_json(args) -> bool:
    return bool(getattr(args, "json", False))


def emit(text: str) -> None:
    """A line (or lines) on standard output. Data in it is shown, never obeyed: a control character
    or escape sequence prints as a visible escape, and only line breaks are kept."""
    text = shown(text, lines=True)
    write_out(text if text.endswith("\n") else text + "\n")


def warn(text: str) -> None:
    """One line on standard error, data in it shown, never obeyed."""
    sys.stderr.write(f"omeconsole: {shown(text)}\n")


def wants_file_format(args) -> bool:
    """--json or --csv (not both): records for a script or a file, which can be written as they come."""
    if wants_json(args) and getattr(args, "csv", False):
        raise UsageError("choose one of --json and --csv")
    return wants_json(args) or bool(getattr(args, "csv", False))


def stream_records(args, records: Iterable[dict], columns) -> None:
    """--json or --csv, each record written as it comes: the bytes emit_records writes for the whole
    list, in constant memory."""
    stream_texts(args, map(record_text(args, columns), records), columns)


def record_text(args, columns) -> Callable[[dict], str]:
    """How stream_texts wants each record written, for --json or --csv (it may run in a worker process)."""
    if wants_json(args):
        return _json_text
    cell = shown if is_terminal(sys.stdout) else None
    return lambda record: csv_line(list(map(record.get, columns)), cell)


def _json_text(record: dict) -> str:
    return "\n".join("  " + line for line in render.as_json(record).split("\n"))


def stream_texts(args, texts: Iterable[str], columns, batch: int = 512) -> None:
    """stream_records for records already written by record_text, in order."""
    if wants_json(args):
        opened = False
        for text in texts:
            write_out(shown(("[\n" if not opened else ",\n") + text, lines=True))
            opened = True
        write_out("\n]\n" if opened else "[]\n")
        return
    write_out(csv_header(columns))
    for lines in joined_in_batches(texts, batch):
        write_out(lines)


def emit_records(args, records: list[dict], columns, table_columns=None, limits=None) -> None:
    wants_file_format(args)
    if wants_json(args):
        emit(render.as_json(records))
    elif getattr(args, "csv", False):
        write_out(render.as_csv(records, columns, for_terminal=is_terminal(sys.stdout)))
    elif not records:
        emit("No results.")
    else:
        emit(render.as_table(records, table_columns or columns, limits, short_dates=("Received", "Date", "Time")))
