"""The Message Trace's rows, with the PowerShell property names both faces show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from omeconsole.core.mail.model import Message, Recipient, TraceEvent
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


_RowT = TypeVar("_RowT", bound=_Row)


def newest_first(row: _Row) -> tuple:
    """The sort key of a trace or report row: newest first when reversed, ties in a fixed order."""
    return row.recipient.received or row.message.received, row.message.message_id, row.recipient.address


def in_order(batches: Iterable[tuple[list[Message], list[_RowT]]], by_day: bool) -> Iterator[_RowT]:
    """Rows newest first, as their batches are read: (messages of a batch, their rows) from partitions
    read newest day first (by_day), each message in one batch. After each batch, the rows dated on its
    day or later are complete (an unread, older day holds no newer row), so they go out and only the
    older rows wait. Otherwise (partitions by address, a few) every row is gathered and sorted."""
    waiting: list[_RowT] = []
    for messages, rows in batches:
        waiting.extend(rows)
        if by_day and messages:
            day = day_start(min(m.newest_received for m in messages))
            ready = [row for row in waiting if _received(row) >= day]
            waiting = [row for row in waiting if _received(row) < day]
            ready.sort(key=newest_first, reverse=True)
            yield from ready
    waiting.sort(key=newest_first, reverse=True)
    yield from waiting


def _received(row: _Row) -> datetime:
    return row.recipient.received or row.message.received
