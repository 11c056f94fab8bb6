"""The admin center's Extended report: one row per event (27 columns, as message tracking logs), folded
into messages and their recipients' trace details as the import merges them.

A row names every recipient the event was for (recipient_address, ";"-separated) with each one's
status text (recipient_status, in the same order); network_message_id is the copy's Message Trace ID.
"""

from __future__ import annotations

from omeconsole.core.mail.model import TraceEvent
from omeconsole.core.message_trace import export_fields as field
from omeconsole.core.message_trace.culture_dates import DateReading
from omeconsole.core.message_trace.export_rows import RowError, TraceRow
from omeconsole.core.message_trace.read_powershell import read_date
from omeconsole.core.message_trace.trace_events import event_name, status_of

COLUMNS = {"date_time_utc", "event_id", "recipient_address", "message_id", "network_message_id"}
DATE_COLUMN = "date_time_utc"
MAX_DETAIL = 4096


def extended_rows(record: dict[str, str], where: str, dates: DateReading) -> list[TraceRow]:
    when = read_date(record.get("date_time_utc", ""), dates)
    written = record.get("event_id", "").strip()
    if not written or len(written) > field.MAX_STATUS:
        raise RowError("event_id is empty" if not written else "event_id is not an event name")
    event = event_name(written)
    recipients = [a for a in record.get("recipient_address", "").split(";") if a.strip()]
    if not recipients:
        raise RowError("recipient_address is empty")
    details = _per_recipient(record.get("recipient_status", ""), len(recipients))
    common = dict(
        where=where, message_id=field.message_id(record.get("message_id")),
        trace_id=field.trace_id(record.get("network_message_id")), received=when,
        sender=field.address(record.get("sender_address", ""), "sender_address"),
        subject=field.subject(record.get("message_subject", "")), size=field.size(record.get("total_bytes", "")),
        from_ip=field.ip(record.get("original_client_ip") or (record.get("client_ip") if event == "Receive" else "")),
        to_ip=field.ip(record.get("server_ip")) if event == "Send" else None,
    )
    rows = []
    for index, address in enumerate(recipients):
        detail = _detail(details[index] if index < len(details) else "", record)
        events = [TraceEvent(when, event, event, detail)]
        status, status_text = status_of(events)
        rows.append(TraceRow(recipient=field.address(address, "recipient_address"), status=status,
                             status_text=status_text, events=events, **common))
    return rows


def _per_recipient(text: str, recipients: int) -> list[str]:
    """Each recipient's status text: split on ";" only when that gives one per recipient (an NDR's
    text holds ";" itself), else the whole text for each."""
    parts = text.split(";")
    return parts if len(parts) == recipients else [text] * recipients


def _detail(status_text: str, record: dict[str, str]) -> str:
    """The recipient's status text ("250 2.1.5 Recipient OK"), else the event's source."""
    detail = status_text.strip() or " ".join(p for p in (record.get("source", ""), record.get("source_context", ""))
                                             if p.strip()).strip()
    if len(detail) > MAX_DETAIL:
        raise RowError(f"the event's detail is {len(detail)} characters; at most {MAX_DETAIL} are read")
    return detail or "From the Extended report"
