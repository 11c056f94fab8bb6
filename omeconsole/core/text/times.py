"""Times are timezone-aware UTC everywhere inside; ISO 8601 with Z outside."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import overload

from omeconsole.core.errors import UsageError


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """A naive time is taken as UTC, as Get-MessageTrace reports it."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso(text: str, what: str = "date") -> datetime:
    """Parse a date or date-time a person typed: 2026-11-20, 2026-11-20T15:04, ...Z, ...+01:00."""
    cleaned = (text or "").strip()
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return to_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is not an ISO 8601 date or time (for example 2026-11-20 or 2026-11-20T15:04:05Z)"
        ) from None
    except OverflowError:  # a time zone offset that takes the time past year 1 or 9999
        raise UsageError(f"{what} {text!r} is outside the years 1 to 9999 in UTC") from None


@overload
def format_iso(moment: datetime) -> str: ...
@overload
def format_iso(moment: None) -> None: ...
@overload
def format_iso(moment: datetime | None) -> str | None: ...
def format_iso(moment: datetime | None) -> str | None:
    """2026-11-20T15:04:05Z, always with a four-digit year (strftime writes year 999 as '999')."""
    if moment is None:
        return None
    return _iso_text(moment if moment.tzinfo is UTC else to_utc(moment))


# a message's times recur in its events (the demo writes five a message). Keyed by UTC times only: two
# local times a DST fold apart are equal as keys but are different instants.
@lru_cache(maxsize=4096)
def _iso_text(m: datetime) -> str:
    # what isoformat(timespec="seconds") writes before its '+00:00', in two thirds of the time (an f-string
    # with the same widths takes longer than either)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of the moment's UTC day: where its trace index day partition begins."""
    m = to_utc(moment)
    return datetime(m.year, m.month, m.day, tzinfo=UTC)


def day_key(moment: datetime) -> str:
    """The UTC day, 2026-11-20, with a four-digit year: the name of a trace index day partition."""
    m = to_utc(moment)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}"


def short_time(moment: datetime, seconds: bool = False) -> str:
    """2026-11-20 15:04 (or 15:04:05) for tables and panes, with a four-digit year."""
    return format_iso(moment)[:19 if seconds else 16].replace("T", " ")


_UNPADDED_YEAR = re.compile(r"^(\d{1,3})-")


@overload
def load_iso(text: str) -> datetime: ...
@overload
def load_iso(text: None) -> None: ...
@overload
def load_iso(text: str | None) -> datetime | None: ...
def load_iso(text: str | None) -> datetime | None:
    """Read a time that omeconsole itself stored (fromisoformat: about 20 times faster than strptime).
    Earlier versions wrote years before 1000 without padding ('999-06-01T...'); those read too."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time in the form 2026-11-20T15:04:05Z")
    unpadded = "-" in text[1:4] and _UNPADDED_YEAR.match(text)  # only a short year puts a '-' there
    if unpadded:
        text = unpadded.group(1).zfill(4) + text[unpadded.end() - 1:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or len(text) != 20 or not text.endswith("Z"):
        raise ValueError(f"{text!r} is not a time in the form 2026-11-20T15:04:05Z")
    return moment


EARLIEST_RECEIVED = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_LEEWAY = timedelta(days=1)


def received_problem(received: datetime, now: datetime) -> str | None:
    """Why a message's received time cannot be right (before 1990, or over a day ahead), or None."""
    if received < EARLIEST_RECEIVED:
        return f"the received time {format_iso(received)} is before 1990"
    if received > now + FUTURE_LEEWAY:
        return f"the received time {format_iso(received)} is more than a day in the future"
    return None


_SPAN = re.compile(r"^(?:(\d{1,6})h)?\s*(?:(\d{1,6})m(?:in)?)?\s*(?:(\d{1,7})s)?$")
_ISO_SPAN = re.compile(r"^PT(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?$")


def parse_span(text: str, what: str = "duration") -> timedelta:
    """2h, 90m, 1h30m, 45s, or ISO 8601 PT1H30M. Bounds are the caller's rule."""
    cleaned = (text or "").strip()
    match = _SPAN.match(cleaned.lower()) or _ISO_SPAN.match(cleaned.upper())
    if not cleaned or not match or not any(match.groups()):
        raise UsageError(f"{what} {text!r} is not like 2h, 90m, 1h30m or PT2H")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def human_span(delta: timedelta) -> str:
    """1h 30m, 15m, 45s: the largest whole units, for messages."""
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return " ".join(part for part in parts if part) or "0s"
