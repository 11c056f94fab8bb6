"""Microsoft Graph messageTraces (v1.0 and beta): {"value": [{"id", "messageId", "receivedDateTime",
"senderAddress", "recipientAddress", "subject", "status", "size", "fromIP", "toIP"}]}. Status is
camelCase (filteredAsSpam); recalled and unknownFutureValue are kept as written."""

from __future__ import annotations

from omeconsole.core.message_trace import export_fields as field
from omeconsole.core.message_trace.culture_dates import DateReading
from omeconsole.core.message_trace.export_rows import RowError, TraceRow

KEYS = {"receiveddatetime", "recipientaddress"}


def graph_rows(item: dict[str, str], where: str, dates: DateReading) -> list[TraceRow]:
    received = item.get("receiveddatetime", "")
    if not received:
        raise RowError("receivedDateTime is missing")
    status, status_text = field.status(item.get("status", ""))
    return [TraceRow(
        where=where, message_id=field.message_id(item.get("messageid")), trace_id=field.trace_id(item.get("id")),
        received=dates.parse(received), sender=field.address(item.get("senderaddress"), "senderAddress"),
        recipient=field.address(item.get("recipientaddress"), "recipientAddress"),
        subject=field.subject(item.get("subject", "")), status=status, status_text=status_text,
        size=field.size(item.get("size")), from_ip=field.ip(item.get("fromip")), to_ip=field.ip(item.get("toip")),
    )]
