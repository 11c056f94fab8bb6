"""Times are timezone-aware UTC everywhere inside; ISO 8601 with Z outside."""

from __future__ import annotations

from datetime import date, datetime, timezone

from omeconsole.core.errors import UsageError


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(moment: datetime) -> datetime:
    """A naive time is taken as UTC, as Get-MessageTrace reports it."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_iso(text: str, what: str = "date") -> datetime:
    """Parse a date or date-time a person typed: 2026-11-20, 2026-11-20T15:04, ...Z, ...+01:00."""
    cleaned = (text or "").strip()
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        return to_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is not an ISO 8601 date or time (for example 2026-11-20 or 2026-11-20T15:04:05Z)"
        ) from None


def format_iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_iso(text: str | None) -> datetime | None:
    """Read a time that omeconsole itself stored (fromisoformat: about 20 times faster than strptime)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or len(text) != 20 or not text.endswith("Z"):
        raise ValueError(f"{text!r} is not a time in the form 2026-11-20T15:04:05Z")
    return moment
