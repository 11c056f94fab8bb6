"""One field of an export row, checked and put in the store's form, or a RowError saying why not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.model import MAX_SUBJECT, TraceStatus
from omeconsole.core.message_trace.export_rows import RowError
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id

_GUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_IP = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")
# "\/Date(1763651045000)\/" (Windows PowerShell's ConvertTo-Json, the Reporting web service), with the
# offset .NET adds for a local time ("+0100"): the milliseconds are UTC either way.
_JSON_DATE = re.compile(r"^/Date\((-?\d{1,15})([+-]\d{4})?\)/$")
_STATUSES = {s.value.casefold(): s for s in TraceStatus}
MAX_STATUS = 60


def message_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RowError("the Message ID is missing")
    try:
        return normalize_message_id(value)
    except OmeError as exc:
        raise RowError(str(exc)) from None


def address(value, column: str) -> str:
    try:
        return normalize_address(value if isinstance(value, str) else "", column)
    except OmeError as exc:
        raise RowError(str(exc)) from None


def subject(value: str) -> str:
    if len(value) > MAX_SUBJECT:
        raise RowError(f"the subject is {len(value)} characters; at most {MAX_SUBJECT} are accepted")
    return value


def status(value: str) -> tuple[TraceStatus, str | None]:
    """A Get-MessageTrace Status (any case: Graph writes filteredAsSpam), or an unknown one kept as
    written (Graph's recalled, unknownFutureValue) beside the status None."""
    text = (value or "").strip()
    known = _STATUSES.get(text.casefold() or "none")
    if known is not None:
        return known, None
    if len(text) > MAX_STATUS:
        raise RowError(f"the status is {len(text)} characters; a status is a word")
    return TraceStatus.NONE, text


def size(value) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise RowError("size is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RowError(f"size {str(value)[:40]!r} is not a whole number") from None
    if not 0 <= number <= 10**10:
        raise RowError(f"size {number} is out of range")
    return number


def trace_id(value) -> str | None:
    """A Message Trace ID: a GUID, braced or not, or 32 hex digits (the network message ID's other
    documented form), as the lower-case dashed GUID either way."""
    if value in (None, ""):
        return None
    text = str(value).strip().strip("{}").lower()
    if not _GUID.match(text):
        raise RowError(f"Message Trace ID {str(value)[:40]!r} is not a GUID")
    digits = text.replace("-", "")
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def ip(value) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not _IP.match(text):
        raise RowError(f"IP address {text[:40]!r} is not an IP address")
    return text


def json_date(value: str) -> datetime | None:
    """A "/Date(ms)/" time as UTC, or None when the text is not in that form."""
    match = _JSON_DATE.match(value.strip())
    if match is None:
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
    except OverflowError:
        raise RowError(f"date {value[:40]!r} is outside the years 1 to 9999") from None
