"""Times as the console shows them: in UTC, saying so, or in this machine's zone, saying which.

The store keeps every time in UTC, and so does every export. The console shows UTC by default (what
Microsoft's Message Trace shows) and labels it; `t` switches the whole console to the local zone
and back. One setting for the console, not per table: a person reading Received in the trace and
in Details must see the same clock.
"""

from __future__ import annotations

from datetime import datetime

from omeconsole.core.errors import UsageError
from omeconsole.core.text.times import parse_iso, to_utc


class TimeShown:
    """Which clock the console shows; one per process (the SSH door runs one console per process)."""

    local = False

    @classmethod
    def reset(cls) -> None:
        cls.local = False


def _in_zone(moment: datetime) -> datetime:
    utc = to_utc(moment)
    return utc.astimezone() if TimeShown.local else utc


def zone_label() -> str:
    """UTC, or the local zone's abbreviation (CET) or, where it has none, its offset (UTC+05:30)."""
    if not TimeShown.local:
        return "UTC"
    here = datetime.now().astimezone()
    name = here.tzname() or ""
    if name and name[0] not in "+-" and name != "UTC":
        return name
    offset = here.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def shown_time(moment: datetime, seconds: bool = False) -> str:
    """2026-11-20 15:04 (or 15:04:05) on the console's clock, with a four-digit year; no label (a
    column header or the line says which clock, through `zone_label`)."""
    m = _in_zone(moment)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}"
    return f"{text}:{m.second:02d}" if seconds else text


def labelled_time(moment: datetime | None, seconds: bool = True) -> str:
    """A time on a line of its own: 2026-11-20 15:04:05 UTC."""
    return "" if moment is None else f"{shown_time(moment, seconds)} {zone_label()}"


def with_zone(label: str) -> str:
    """A column header that holds times: Received (UTC)."""
    return f"{label} ({zone_label()})"


def audit_time(written: str) -> str:
    """An audit entry's time as the log wrote it (ISO, UTC), on the console's clock; as written if unreadable."""
    try:
        return shown_time(parse_iso(written, "audit time"), seconds=True)
    except UsageError:
        return written
