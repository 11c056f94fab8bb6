"""The Message Trace's rows, with the PowerShell property names both faces show."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from omeconsole.core.errors import Cancelled
from omeconsole.core.mail.model import Message, Recipient, TraceEvent
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.store.shards import MessageShards, PartitionSearch
from omeconsole.core.store.trace_index import searches_by_day
from omeconsole.core.store.workers import in_order as workers_in_order
from omeconsole.core.text.times import day_start, format_iso

TRACE_PROPERTIES = ("Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "MessageId",
                    "MessageTraceId", "Size", "FromIP", "ToIP")
DETAIL_PROPERTIES = ("Date", "Event", "Action", "Detail")


@dataclass(frozen=True)
class TraceRow:
    message: Message
    recipient: Recipient

    @property
    def received(self) -> datetime:
        """This row's Received: its own copy's, when Exchange bifurcated the message."""
        return self.recipient.received or self.message.received

    @property
    def trace_id(self) -> str:
        return self.recipient.trace_id or self.message.trace_id

    def to_record(self) -> dict:
        m, r = self.message, self.recipient
        return {
            "Received": format_iso(self.received), "SenderAddress": m.sender, "RecipientAddress": r.address,
            "Subject": m.subject, "Status": r.status_shown, "MessageId": m.message_id,
            "MessageTraceId": self.trace_id, "Size": m.size, "FromIP": m.from_ip, "ToIP": r.to_ip,
        }


@dataclass(frozen=True)
class TraceResult:
    """Trace rows, newest first; truncated when more matched than the limit asked for."""

    rows: list[TraceRow]
    truncated: bool = False
    limit: int | None = None


def event_record(event: TraceEvent) -> dict:
    return {"Date": format_iso(event.date), "Event": event.event, "Action": event.action, "Detail": event.detail}


class _Row(Protocol):
    @property
    def message(self) -> Message: ...

    @property
    def recipient(self) -> Recipient: ...


_T = TypeVar("_T")
_RowT = TypeVar("_RowT", bound=_Row)


def newest_first(row: _Row) -> tuple:
    """The sort key of a trace or report row: newest first when reversed, ties in a fixed order."""
    return row.recipient.received or row.message.received, row.message.message_id, row.recipient.address


def in_order(batches: Iterable[tuple[datetime | None, list[_T]]], by_day: bool,
             received: Callable[[_T], datetime] | None = None,
             key: Callable[[_T], tuple] | None = None) -> Iterator[_T]:
    """Rows newest first, as their batches are read: (the oldest newest Received of a batch's messages,
    None when it has none; their rows) from partitions read newest day first (by_day), each
    message in one batch. After each batch, the rows dated on its day or later are complete (an unread,
    older day holds no newer row), so they go out and only the older rows wait. Otherwise (partitions by
    address, a few) every row is gathered and sorted. `received` and `key` give a row's Received and its
    sort key (newest_first) when rows are not trace or report rows."""
    when: Callable[[Any], datetime] = received or _received
    order: Callable[[Any], tuple] = key or newest_first
    waiting: list[_T] = []
    for newest, rows in batches:
        waiting.extend(rows)
        if by_day and newest is not None:
            day = day_start(newest)
            ready = [row for row in waiting if when(row) >= day]
            waiting = [row for row in waiting if when(row) < day]
            ready.sort(key=order, reverse=True)
            yield from ready
    waiting.sort(key=order, reverse=True)
    yield from waiting


def rows_newest_first(batches: Iterable[list[Message]], rows_of: Callable[[Message], list[_RowT]],
                      by_day: bool) -> Iterator[_RowT]:
    """in_order for batches of messages, each message's rows made only when they may be next. Within a
    day's batch the messages are taken newest first, and a row goes out once no message left (in this
    batch or an older day's) can make a newer one: a first page makes little more than the rows it
    shows. The same rows in the same order as in_order of every row."""
    if not by_day:
        yield from in_order(((None, [row for m in batch for row in rows_of(m)]) for batch in batches), False)
        return
    held: list[_Newer] = []
    for batch in batches:
        if not batch:
            continue
        ordered = sorted(batch, key=_newest_received, reverse=True)
        for message in ordered:
            yield from _newer_than(held, message.newest_received)
            for row in rows_of(message):
                heapq.heappush(held, _Newer(row))
        yield from _newer_than(held, day_start(ordered[-1].newest_received), inclusive=True)
    while held:
        yield heapq.heappop(held).row


class _Newer:
    """A row in a heap whose top is the newest (newest_first)."""

    __slots__ = ("key", "row")
    row: Any  # the caller's row type

    def __init__(self, row: _Row):
        self.key, self.row = newest_first(row), row

    def __lt__(self, other: _Newer) -> bool:
        return self.key > other.key


def _newer_than(held: list[_Newer], bound: datetime, inclusive: bool = False) -> Iterator[Any]:
    """The held rows received after bound (or at it, inclusive), newest first, out of the heap."""
    while held and (held[0].key[0] > bound or (inclusive and held[0].key[0] == bound)):
        yield heapq.heappop(held).row


def _newest_received(message: Message) -> datetime:
    return message.newest_received


def rows_found(store: MessageShards, query: TraceQuery, rows_of: Callable[[Message], list[_RowT]],
               stop: Callable[[], bool] | None = None) -> Iterator[_RowT]:
    """A search's rows newest first (rows_newest_first of store.search); `stop` is asked between batches
    (days): yes ends it with Cancelled. Call it while the store is held for reading."""
    def batches():
        for batch in store.search(query):
            if stop is not None and stop():
                raise Cancelled()
            yield batch

    return rows_newest_first(batches(), rows_of, searches_by_day(query))


def _received(row: _Row) -> datetime:
    return row.recipient.received or row.message.received


def texts_in_order(store: MessageShards, query: TraceQuery, rows_of: Callable[[Message], list],
                   text: Callable[[Any], str], workers: int, stop: Callable[[], bool] | None = None) -> Iterator[str]:
    """A search's rows newest first, as `text` writes each (a CSV line, a JSON object): what in_order
    gives for the batches of store.search, each message's rows_of, with every row written by `text`,
    with the partitions read and their rows made and written by `workers` processes (none: here). Call
    it while the store is held for reading; close it when done early."""
    if not store.indexed:
        yield from map(text, rows_found(store, query, rows_of, stop))
        return
    found = PartitionSearch(store, query)

    def made(message: Message) -> tuple[datetime, list[tuple[tuple, str]]]:
        return message.newest_received, [(newest_first(row), text(row)) for row in rows_of(message)]

    def partition(key: str):
        return found.read(key, made)

    def batches():
        for made_rows in found.once_each(workers_in_order(partition, found.keys, workers)):
            if stop is not None and stop():
                raise Cancelled()
            yield (min((newest for newest, _ in made_rows), default=None),
                   [row for _, rows in made_rows for row in rows])

    for _, written in in_order(batches(), found.by_day, received=_first_of_key, key=_key):
        yield written


def _first_of_key(row: tuple[tuple, str]) -> datetime:
    return row[0][0]


def _key(row: tuple[tuple, str]) -> tuple:
    return row[0]
