"""Get-MessageTrace and Get-MessageTraceDetail: the Message Trace, as both faces ask for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from omeconsole.core.context import Context
from omeconsole.core.errors import Cancelled, NotFound
from omeconsole.core.mail.model import Message, TraceEvent
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import TraceResult, TraceRow, newest_first
from omeconsole.core.rules import can_read
from omeconsole.core.store.gcpause import collection_paused
from omeconsole.core.store.trace_index import searches_by_day
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.times import day_start


def get_message_trace(context: Context, query: TraceQuery, limit: int | None = None,
                      stop: Callable[[], bool] | None = None) -> TraceResult:
    """One row per recipient, newest first; at most `limit` rows, the newest. `stop` is asked between
    batches (days); when it says yes the search ends with Cancelled."""
    rows: list[TraceRow] = []
    truncated = False
    with context.store.reading(), collection_paused():
        if query.message_id:
            try:
                rows = _rows(query, [context.load(query.message_id, "trace")])
            except NotFound:
                pass
        else:
            context.require_reader("trace")
            for batch in context.store.search(query):
                if stop is not None and stop():
                    raise Cancelled()
                rows.extend(_rows(query, (m for m in batch if can_read(context.actor, m))))
                if limit is not None and batch and searches_by_day(query) and _complete(rows, batch) > limit:
                    break  # the batches still unread are older days
    rows.sort(key=newest_first, reverse=True)
    if limit is not None and len(rows) > limit:
        rows, truncated = rows[:limit], True
    return TraceResult(rows, truncated, limit)


def _complete(rows: list[TraceRow], batch: list[Message]) -> int:
    """How many rows are dated on this batch's day or later: no unread (older) day can add to those.
    A bifurcated copy can bring an older row into a newer day's batch, so not every row counts."""
    day = day_start(min(m.newest_received for m in batch))
    return sum(1 for row in rows if row.received >= day)


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
