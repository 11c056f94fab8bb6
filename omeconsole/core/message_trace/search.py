"""Get-MessageTrace and Get-MessageTraceDetail: the Message Trace, as both faces ask for it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from functools import partial
from itertools import islice

from omeconsole.core.context import Context
from omeconsole.core.errors import NotFound
from omeconsole.core.gcpause import collection_paused
from omeconsole.core.mail.model import Message, TraceEvent
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import (
    TraceResult,
    TraceRow,
    newest_first,
    rows_found,
    texts_in_order,
)
from omeconsole.core.rules import can_read
from omeconsole.core.text.addresses import normalize_address


def get_message_trace(context: Context, query: TraceQuery, limit: int | None = None,
                      stop: Callable[[], bool] | None = None) -> TraceResult:
    """One row per recipient, newest first; at most `limit` rows, the newest. `stop` is asked between
    batches (days); when it says yes the search ends with Cancelled."""
    with closing(iter_message_trace(context, query, stop)) as found:
        rows = list(islice(found, None if limit is None else min(limit, sys.maxsize - 1) + 1))  # one more: more match
    truncated = limit is not None and len(rows) > limit
    return TraceResult(rows[:limit] if truncated else rows, truncated, limit)


def iter_message_trace(context: Context, query: TraceQuery,
                       stop: Callable[[], bool] | None = None) -> Generator[TraceRow]:
    """The trace's rows newest first, each as soon as no older day can come before it: a search by
    date holds one day's rows at a time, however many days it covers (close it when done early)."""
    with context.store.reading(), collection_paused():
        if query.message_id:
            try:
                rows = _rows(query, [context.load(query.message_id, "trace")])
            except NotFound:
                rows = []
            yield from sorted(rows, key=newest_first, reverse=True)
            return
        context.require_reader("trace")

        yield from rows_found(context.store, query, partial(_readable_rows, context, query), stop)


def iter_message_trace_texts(context: Context, query: TraceQuery, text: Callable[[TraceRow], str],
                             workers: int = 0, stop: Callable[[], bool] | None = None) -> Generator[str]:
    """iter_message_trace's rows as `text` writes each (a CSV line, a JSON object), the days read,
    their rows made and written by `workers` processes (spare_cores; none: here), in the same order."""
    if query.message_id:
        yield from map(text, iter_message_trace(context, query, stop))
        return
    with context.store.reading(), collection_paused():
        context.require_reader("trace")

        yield from texts_in_order(context.store, query, partial(_readable_rows, context, query), text, workers, stop)


def _readable_rows(context: Context, query: TraceQuery, m: Message) -> list[TraceRow]:
    return _rows(query, [m]) if can_read(context.actor, m) else []


def _rows(query: TraceQuery, messages: Iterable[Message]) -> list[TraceRow]:
    return [TraceRow(m, r) for m in messages if query.matches_message(m)
            for r in m.recipients if query.matches_recipient(r, m)]


def get_message_trace_detail(context: Context, message_id: str, recipient: str) -> tuple[Message, list[TraceEvent]]:
    """The events of one recipient of one message."""
    address = normalize_address(recipient, "recipient")
    with context.store.reading():
        message = context.load(message_id, "trace-detail")
    row = message.recipient(address)
    if row is None:
        raise NotFound(f"{address} is not a recipient of {message.message_id}")
    return message, row.events
