"""Reading the three real trace export formats an admin brings (domain.md section 5).

1. Get-MessageTrace | Export-Csv (with or without the #TYPE line; culture-formatted dates)
2. The Enhanced summary report CSV (UTF-16 with BOM or UTF-8; packed recipient_status)
3. Microsoft Graph messageTraces JSON ({"value": [...]})

The format is detected from the content. Each bad row is reported with its line (or
item) and reason; a file that is not a trace export at all is one error.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from omeconsole.core.errors import OmeError, UsageError
from omeconsole.core.mail.model import MAX_SUBJECT, TraceEvent, TraceStatus
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.text.reading import parse_json, read_at_most
from omeconsole.core.text.times import to_utc

MAX_FILE_BYTES = 512 * 1024 * 1024
FORMAT_POWERSHELL = "Get-MessageTrace CSV"
FORMAT_ENHANCED = "Enhanced summary report CSV"
FORMAT_GRAPH = "Graph messageTraces JSON"
_EVENT_STATUS = {
    "deliver": TraceStatus.DELIVERED, "send": TraceStatus.DELIVERED, "fail": TraceStatus.FAILED,
    "expand": TraceStatus.EXPANDED, "defer": TraceStatus.PENDING, "receive": TraceStatus.PENDING,
    "transfer": TraceStatus.PENDING, "resolved": TraceStatus.PENDING,
}


@dataclass
class TraceRow:
    """One recipient's trace row, as read from an export."""

    where: str
    message_id: str
    trace_id: str | None
    received: datetime
    sender: str
    recipient: str
    subject: str
    status: TraceStatus
    size: int
    from_ip: str | None
    to_ip: str | None
    events: list[TraceEvent] = field(default_factory=list)


@dataclass
class ParsedFile:
    format: str
    rows: list[TraceRow]
    errors: list[str]  # "line N: reason"


class RowError(Exception):
    pass


def read_trace_export(path: Path) -> ParsedFile:
    text = _decode(path)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _parse_graph(path, stripped)
    return _parse_csv(path, text)


def _decode(path: Path) -> str:
    raw = read_at_most(path, MAX_FILE_BYTES)
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 or UTF-16 text (bad byte at offset {exc.start})") from None


# -- CSV formats -------------------------------------------------------------------------

def _parse_csv(path: Path, text: str) -> ParsedFile:
    offset = 0
    if text.startswith("#TYPE"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        offset = 1
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UsageError(f"{path} is empty: no header row") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: line {offset + 1}: {exc}") from None
    names = {h.lower() for h in header}
    if {"recipientaddress", "senderaddress", "received"} <= names:
        return _read_rows(path, reader, header, offset, FORMAT_POWERSHELL, _powershell_rows)
    if {"origin_timestamp_utc", "recipient_status", "message_id"} <= names:
        return _read_rows(path, reader, header, offset, FORMAT_ENHANCED, _enhanced_rows)
    raise UsageError(
        f"{path} is not a recognised trace export: expected Get-MessageTrace CSV, "
        "an Enhanced summary report CSV, or Graph messageTraces JSON"
    )


def _read_rows(path, reader, header, offset, fmt, convert) -> ParsedFile:
    records, errors = [], []  # errors: (line, reason), reported in line order
    keys = [h.lower() for h in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((reader.line_num + offset, str(exc)))
            break
        line = reader.line_num + offset
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(keys):
            errors.append((line, f"{len(cells)} fields where the header has {len(keys)}"))
            continue
        records.append((line, dict(zip(keys, cells, strict=True))))
    day_first = _day_first([r.get("received") or r.get("origin_timestamp_utc", "") for _, r in records])
    rows = []
    for line, record in records:
        try:
            rows.extend(convert(f"line {line}", record, day_first))
        except (RowError, OmeError) as exc:
            errors.append((line, str(exc)))
    return ParsedFile(fmt, rows, [f"line {line}: {reason}" for line, reason in sorted(errors)])


def _powershell_rows(where: str, record: dict, day_first: bool) -> list[TraceRow]:
    return [TraceRow(
        where=where, message_id=_message_id(record.get("messageid")),
        trace_id=_guid(record.get("messagetraceid")), received=parse_export_date(record["received"], day_first),
        sender=_address(record["senderaddress"], "SenderAddress"),
        recipient=_address(record["recipientaddress"], "RecipientAddress"),
        subject=_subject(record.get("subject", "")), status=_status(record.get("status", "")),
        size=_size(record.get("size", "")), from_ip=_ip(record.get("fromip")), to_ip=_ip(record.get("toip")),
    )]


def _enhanced_rows(where: str, record: dict, day_first: bool) -> list[TraceRow]:
    received = parse_export_date(record["origin_timestamp_utc"], day_first)
    rows = []
    for recipient, events in _unpack_recipient_status(record.get("recipient_status", ""), received):
        rows.append(TraceRow(
            where=where, message_id=_message_id(record.get("message_id")),
            trace_id=_guid(record.get("network_message_id")), received=received,
            sender=_address(record.get("sender_address", ""), "sender_address"), recipient=recipient,
            subject=_subject(record.get("message_subject", "")),
            status=_EVENT_STATUS.get(events[-1].event.lower(), TraceStatus.NONE),
            size=_size(record.get("total_bytes", "")), from_ip=_ip(record.get("original_client_ip")),
            to_ip=None, events=events,
        ))
    return rows


def _unpack_recipient_status(packed: str, received: datetime):
    """`bob@gmail.com##Receive, Deliver;eve@yahoo.com##Receive, Fail` -> (address, events)."""
    entries = [e for e in packed.split(";") if e.strip()]
    if not entries:
        raise RowError("recipient_status is empty")
    for entry in entries:
        address, sep, event_text = entry.partition("##")
        if not sep:
            raise RowError(f"recipient_status entry {entry.strip()[:60]!r} has no '##' before its events")
        names = [e.strip() for e in event_text.split(",") if e.strip()] or ["Receive"]
        unknown = [n for n in names if n.lower() not in _EVENT_STATUS]
        if unknown:
            raise RowError(f"recipient_status has an unknown event {unknown[0][:40]!r}")
        events = [TraceEvent(received, n.title(), n.title(), "From the Enhanced summary report") for n in names]
        yield _address(address, "recipient_status"), events


# -- Graph JSON --------------------------------------------------------------------------

def _parse_graph(path: Path, text: str) -> ParsedFile:
    try:
        document = parse_json(text)
    except ValueError as exc:
        raise UsageError(f"{path} is {exc}") from None
    items = document.get("value") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise UsageError(f"{path} is JSON but not a Graph messageTraces response (no \"value\" list)")
    rows, errors = [], []
    for index, item in enumerate(items):
        where = f"value[{index}]"
        try:
            if not isinstance(item, dict):
                raise RowError("is not an object")
            rows.append(_graph_row(where, item))
        except (RowError, OmeError) as exc:
            errors.append(f"{where}: {exc}")
    return ParsedFile(FORMAT_GRAPH, rows, errors)


def _graph_row(where: str, item: dict) -> TraceRow:
    received = item.get("receivedDateTime")
    if not isinstance(received, str):
        raise RowError("receivedDateTime is missing")
    return TraceRow(
        where=where, message_id=_message_id(item.get("messageId")), trace_id=_guid(item.get("id")),
        received=parse_export_date(received, False), sender=_address(_text(item, "senderAddress"), "senderAddress"),
        recipient=_address(_text(item, "recipientAddress"), "recipientAddress"),
        subject=_subject(_text(item, "subject")), status=_status(_text(item, "status")),
        size=_size(item.get("size")), from_ip=_ip(item.get("fromIP")), to_ip=_ip(item.get("toIP")),
    )


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{key} is not text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # JSON can name a lone surrogate (\ud800), which no text holds
        raise RowError(f"{key} is not valid Unicode text (it holds a lone surrogate)") from None
    return value


# -- fields ------------------------------------------------------------------------------

_CULTURE_DATE = re.compile(
    r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp]\.?[Mm]\.?)?$"
)


def _day_first(values: list[str]) -> bool:
    """Whether slashed dates in this file are d/M/yyyy: only when some first part is over 12
    and no second part is (M/d/yyyy, the en-US default, wins a tie)."""
    day_first_seen = month_first_seen = False
    for value in values:
        match = _CULTURE_DATE.match((value or "").strip())
        if not match or match.group(2) != "/":
            continue
        first, second = int(match.group(1)), int(match.group(3))
        day_first_seen |= first > 12 >= second
        month_first_seen |= second > 12 >= first
    return day_first_seen and not month_first_seen


def parse_export_date(text: str, day_first: bool) -> datetime:
    """ISO 8601, or a culture-formatted date (11/20/2026 3:04:05 PM, 20/11/2026 15:04, 20.11.2026 15:04)."""
    value = (text or "").strip()
    if not value:
        raise RowError("the date is empty")
    match = _CULTURE_DATE.match(value)
    if match is None:
        try:
            return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")))
        except ValueError:
            raise RowError(f"date {value[:40]!r} is neither ISO 8601 nor a culture-formatted date") from None
        except OverflowError:  # an offset that takes it past year 1 or 9999 in UTC
            raise RowError(f"date {value[:40]!r} is outside the years 1 to 9999 in UTC") from None
    first, sep, second, year, hour, minute, sec, ampm = match.groups()
    day_first = day_first or sep == "."
    day, month = (int(first), int(second)) if day_first else (int(second), int(first))
    hour = int(hour)
    if ampm:
        if not 1 <= hour <= 12:
            raise RowError(f"date {value!r} has hour {hour} with {ampm}")
        hour = hour % 12 + (12 if ampm[0] in "Pp" else 0)
    try:
        return to_utc(datetime(int(year), month, day, hour, int(minute), int(sec or 0)))
    except ValueError as exc:
        raise RowError(f"date {value!r} is not a real date ({exc})") from None


def _message_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RowError("the Message ID is missing")
    return normalize_message_id(value)


def _address(value: str, column: str) -> str:
    return normalize_address(value, column)


def _subject(value: str) -> str:
    if len(value) > MAX_SUBJECT:
        raise RowError(f"the subject is {len(value)} characters; at most {MAX_SUBJECT} are accepted")
    return value


def _status(value: str) -> TraceStatus:
    return TraceStatus.parse(value[:40] or "None")


def _size(value) -> int:
    if value in (None, ""):
        return 0
    try:
        size = int(str(value).strip())
    except ValueError:
        raise RowError(f"size {str(value)[:40]!r} is not a whole number") from None
    if not 0 <= size <= 10**10:
        raise RowError(f"size {size} is out of range")
    return size


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _guid(value) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().strip("{}")
    if not _GUID.match(text):
        raise RowError(f"Message Trace ID {str(value)[:40]!r} is not a GUID")
    return text.lower()


_IP = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")


def _ip(value) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not _IP.match(text):
        raise RowError(f"IP address {text[:40]!r} is not an IP address")
    return text
