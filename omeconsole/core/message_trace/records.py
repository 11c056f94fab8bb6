"""The Message Trace's rows, with the PowerShell property names both faces show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from omeconsole.core.mail.model import Message, Recipient, TraceEvent
from omeconsole.core.text.times import format_iso

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


def newest_first(row: _Row) -> tuple:
    """The sort key of a trace or report row: newest first when reversed, ties in a fixed order."""
    return row.recipient.received or row.message.received, row.message.message_id, row.recipient.address
