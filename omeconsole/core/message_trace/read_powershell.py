"""Get-MessageTrace's rows: Export-Csv (any culture, any delimiter), ConvertTo-Json, and the Office 365
Reporting web service's MessageTrace feed, which carries the same properties.

PS 5.1 columns: "PSComputerName","RunspaceId","PSShowComputerName","Organization","MessageId",
"Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size",
"MessageTraceId","StartDate","EndDate","Index". Property names are read in any case.
"""

from __future__ import annotations

from omeconsole.core.message_trace import export_fields as field
from omeconsole.core.message_trace.culture_dates import DateReading
from omeconsole.core.message_trace.export_rows import RowError, TraceRow

COLUMNS = {"received", "senderaddress", "recipientaddress"}
DATE_COLUMN = "received"
WINDOW = ("startdate", "enddate")


def powershell_rows(record: dict[str, str], where: str, dates: DateReading) -> list[TraceRow]:
    status, status_text = field.status(record.get("status", ""))
    return [TraceRow(
        where=where, message_id=field.message_id(record.get("messageid")),
        trace_id=field.trace_id(record.get("messagetraceid")), received=read_date(record.get("received", ""), dates),
        sender=field.address(record.get("senderaddress"), "SenderAddress"),
        recipient=field.address(record.get("recipientaddress"), "RecipientAddress"),
        subject=field.subject(record.get("subject", "")), status=status, status_text=status_text,
        size=field.size(record.get("size")), from_ip=field.ip(record.get("fromip")), to_ip=field.ip(record.get("toip")),
    )]


def read_date(value: str, dates: DateReading):
    """A date as the export wrote it: "/Date(ms)/" (ConvertTo-Json in PS 5.1, the Reporting web
    service), else as the file's dates were found to be written."""
    if not value.strip():
        raise RowError("the date is empty")
    return field.json_date(value) or dates.parse(value)
