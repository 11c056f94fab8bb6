"""What every trace export reader yields: one recipient's row, or the reason a row is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from omeconsole.core.mail.model import TraceEvent, TraceStatus


class RowError(Exception):
    """One row of an export cannot be read; the import names it with its line and goes on."""


@dataclass
class TraceRow:
    """One recipient's trace row, as read from an export (an Extended report row: one event)."""

    where: str  # "line 12" or "value[3]": where the person finds it in the file
    message_id: str
    trace_id: str | None  # MessageTraceId / network_message_id / Graph id, as a lower-case GUID
    received: datetime
    sender: str
    recipient: str
    subject: str
    status: TraceStatus
    size: int
    from_ip: str | None
    to_ip: str | None
    events: list[TraceEvent] = field(default_factory=list)
    status_text: str | None = None  # the export's own status, as written, when it is none of TraceStatus
