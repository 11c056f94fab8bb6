"""The admin center's Enhanced summary report: one row per message copy, every recipient packed into
recipient_status: `bob@gmail.com##Receive, Deliver;eve@yahoo.com##Receive, Fail`."""

from __future__ import annotations

from omeconsole.core.mail.model import TraceEvent
from omeconsole.core.message_trace import export_fields as field
from omeconsole.core.message_trace.culture_dates import DateReading
from omeconsole.core.message_trace.export_rows import RowError, TraceRow
from omeconsole.core.message_trace.read_powershell import read_date
from omeconsole.core.message_trace.trace_events import event_name, status_of

COLUMNS = {"origin_timestamp_utc", "recipient_status", "message_id"}
DATE_COLUMN = "origin_timestamp_utc"
DETAIL = "From the Enhanced summary report"


def enhanced_rows(record: dict[str, str], where: str, dates: DateReading) -> list[TraceRow]:
    received = read_date(record.get("origin_timestamp_utc", ""), dates)
    message_id, trace_id = field.message_id(record.get("message_id")), field.trace_id(record.get("network_message_id"))
    sender = field.address(record.get("sender_address", ""), "sender_address")
    subject, size = field.subject(record.get("message_subject", "")), field.size(record.get("total_bytes", ""))
    from_ip = field.ip(record.get("original_client_ip"))
    rows = []
    for recipient, events in _unpacked(record.get("recipient_status", ""), received):
        status, status_text = status_of(events)
        rows.append(TraceRow(where=where, message_id=message_id, trace_id=trace_id, received=received, sender=sender,
                             recipient=recipient, subject=subject, status=status, status_text=status_text, size=size,
                             from_ip=from_ip, to_ip=None, events=events))
    return rows


def _unpacked(packed: str, received):
    """(address, events) for each recipient; an event this importer does not know is kept as written."""
    entries = [e for e in packed.split(";") if e.strip()]
    if not entries:
        raise RowError("recipient_status is empty")
    for entry in entries:
        address, sep, event_text = entry.partition("##")
        if not sep:
            raise RowError(f"recipient_status entry {entry.strip()[:60]!r} has no '##' before its events")
        names = [event_name(e) for e in event_text.split(",") if e.strip()] or ["Receive"]
        if any(len(name) > field.MAX_STATUS for name in names):
            raise RowError("recipient_status names an event of more than 60 characters")
        yield field.address(address, "recipient_status"), [TraceEvent(received, n, n, DETAIL) for n in names]
