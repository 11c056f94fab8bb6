"""Time for the services under test: they are handed a clock, and tests move it, never sleep."""

from datetime import datetime, timedelta, timezone


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


class Clock:
    """An injected clock for the services: tests move time, never sleep."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
