"""trace, trace-detail, import, reindex, upgrade: the Message Trace and the store under it."""

from __future__ import annotations

import uuid
from contextlib import closing
from pathlib import Path

from omeconsole.cli import render
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit, emit_records, record_text, stream_texts, wants_file_format, wants_json, warn
from omeconsole.core.errors import UsageError
from omeconsole.core.mail.model import TraceStatus
from omeconsole.core.message_trace.culture_dates import culture_named, parse_date_order
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import (
    DETAIL_PROPERTIES,
    TRACE_PROPERTIES,
    event_record,
)
from omeconsole.core.message_trace.reindex import rebuild_trace_index, upgrade_store
from omeconsole.core.message_trace.search import (
    get_message_trace,
    get_message_trace_detail,
    iter_message_trace_texts,
)
from omeconsole.core.store.workers import spare_cores
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.core.text.times import format_iso, parse_iso

_TRACE_LIMITS = {"Subject": 40}


def date_range(args):
    start = parse_iso(args.start, "--start") if args.start else None
    end = parse_iso(args.end, "--end") if args.end else None
    if start and end and start > end:
        raise UsageError("--start is after --end")
    return start, end


def cmd_trace(args) -> int:
    start, end = date_range(args)
    if args.subject_filter.lower() not in ("contains", "startswith", "endswith"):
        raise UsageError("--subject-filter must be contains, startswith or endswith")
    query = TraceQuery(
        senders=parse_patterns(args.sender), recipients=parse_patterns(args.recipient), start=start, end=end,
        statuses=[TraceStatus.parse(s) for s in args.status or []], message_id=args.message_id,
        subject=args.subject, subject_filter=args.subject_filter.lower(),
        trace_ids=[_guid(g) for g in args.message_trace_id or []],
        from_ips=[ip.strip() for ip in args.from_ip or []], to_ips=[ip.strip() for ip in args.to_ip or []],
    )
    if wants_file_format(args):
        _stream_trace(args, query)
        return 0
    result = get_message_trace(open_context(args), query, limit=args.result_size)
    if result.truncated:
        warn(f"showing the newest {result.limit:,} rows; more match this search")
    emit_records(args, [r.to_record() for r in result.rows], TRACE_PROPERTIES,
                 table_columns=("Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "MessageId"),
                 limits=_TRACE_LIMITS)
    return 0


def _stream_trace(args, query: TraceQuery) -> None:
    """--csv or --json: rows written as they are found, newest first; past --result-size, one more
    row is read only to say that more match."""
    limit = args.result_size
    shown = 0
    record = record_text(args, TRACE_PROPERTIES)
    with closing(iter_message_trace_texts(open_context(args), query, lambda row: record(row.to_record()),
                                          spare_cores())) as rows:
        def texts():
            nonlocal shown
            for text in rows:
                if limit is not None and shown == limit:
                    warn(f"showing the newest {limit:,} rows; more match this search")
                    return
                shown += 1
                yield text

        stream_texts(args, texts(), TRACE_PROPERTIES)


def _guid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip().strip("{}")))
    except ValueError:
        raise UsageError(f"Message Trace ID {text!r} is not a GUID") from None


def cmd_trace_detail(args) -> int:
    message, events = get_message_trace_detail(open_context(args), args.message_id, args.recipient)
    emit_records(args, [event_record(e) for e in events], DETAIL_PROPERTIES)
    return 0


def cmd_import(args) -> int:
    order = parse_date_order(args.date_order) if args.date_order else None
    culture = culture_named(args.culture) if args.culture else None
    result = TraceImport(open_context(args)).import_file(Path(args.file), order, culture)
    if wants_json(args):
        emit(render.as_json(result.to_record()))
    else:
        for line in import_summary(result):
            emit(line)
        for reason in result.rejected:
            warn(f"{result.path}: {reason}")
        if result.rows_rejected > len(result.rejected):
            warn(f"{result.path}: and {result.rows_rejected - len(result.rejected):,} more rejected row(s)")
    return 1 if result.refused_whole else 0


_ORDERS = {"DMY": "day-first (DMY)", "MDY": "month-first (MDY)", "YMD": "year-first (YMD)"}


def import_summary(result) -> list[str]:
    """What a person checks after an import: what was read as what, what came of each row, which dates."""
    dates = (f"Dates read {_ORDERS[result.date_order]}; culture: {result.culture}; why: {result.date_reason}"
             if result.date_order else f"Dates read as {result.culture} ({result.date_reason})")
    lines = [f"Imported {result.path}: {result.format}, {result.encoding}", dates,
             f"{result.rows_read:,} row(s) read: {result.rows_added:,} added ({result.messages_added:,} new "
             f"message(s)), {result.rows_already_present:,} already present, {result.rows_rejected:,} rejected"]
    if result.first_received:
        lines.append(f"Received from {format_iso(result.first_received)} to {format_iso(result.last_received)}")
    lines.extend(f"Note: {note}" for note in result.notes)
    if result.refused_whole:
        lines.append("Nothing was imported: every row was rejected")
    return lines


def cmd_reindex(args) -> int:
    count, skipped = rebuild_trace_index(open_context(args))
    if wants_json(args):
        emit(render.as_json({"Messages": count, "Skipped": skipped}))
        return 0
    emit(f"The trace index holds {count:,} messages")
    for problem in skipped[:20]:
        warn(f"not filed: {problem}")
    if len(skipped) > 20:
        warn(f"and {len(skipped) - 20:,} more message document(s) not filed")
    return 0


def cmd_upgrade(args) -> int:
    result = upgrade_store(open_context(args))
    if wants_json(args):
        emit(render.as_json({"FromVersion": result.from_version, "AlreadyCurrent": result.already,
                             "FilesPacked": result.packed, "Messages": result.messages, "Skipped": result.skipped}))
        return 0
    if result.already:
        emit("The store is already in the newest format; nothing was changed")
        return 0
    emit(f"Upgraded the store from format {result.from_version}: {result.packed:,} files packed; the trace index "
         f"and the report's counts rebuilt for {result.messages:,} messages")
    for problem in result.skipped[:20]:
        warn(f"not filed: {problem}")
    return 0
