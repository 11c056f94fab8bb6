"""What the Message Trace form and the Encryption Report's filters share: a field's value and the date
range a preset or a custom Start/End names."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.dom import DOMNode
from textual.widgets import Input, Select

from omeconsole.core.errors import UsageError
from omeconsole.core.text.times import day_start, parse_iso

RANGE_SPANS = {"48h": timedelta(hours=48), "7d": timedelta(days=7), "10d": timedelta(days=10),
               "90d": timedelta(days=90)}
CUSTOM = "custom"


def field_value(node: DOMNode, widget_id: str) -> str:
    """An Input's text, or a Select's value (each has one: allow_blank=False)."""
    field = node.query_one(f"#{widget_id}")
    assert isinstance(field, (Input, Select))
    return str(field.value)


def date_range(preset: str, start: str, end: str, now: datetime,
               whole_days: bool = False) -> tuple[datetime | None, datetime | None]:
    """A preset's span back from now, or the custom Start and End (either may be empty); a UsageError names
    the field that is wrong. whole_days: a preset of days is that many UTC days, today the last of them
    (the Encryption Report's days, as Microsoft's report counts them, read from its kept daily counts)."""
    if preset != CUSTOM:
        span = RANGE_SPANS[preset]
        if whole_days and span >= timedelta(days=1):
            return day_start(now) - span + timedelta(days=1), None
        return now - span, None
    first = parse_iso(start, "Start") if start.strip() else None
    last = parse_iso(end, "End") if end.strip() else None
    if first and last and first > last:
        raise UsageError("Start is after End")
    return first, last
