"""Trace events, as exports name them, and the Status a recipient's events add up to."""

from __future__ import annotations

from omeconsole.core.mail.model import TraceEvent, TraceStatus

# Get-MessageTraceDetail's event names, by the upper-case event_id the Extended report writes.
EVENT_NAMES = {"RECEIVE": "Receive", "SEND": "Send", "DELIVER": "Deliver", "FAIL": "Fail", "EXPAND": "Expand",
               "TRANSFER": "Transfer", "DEFER": "Defer", "RESOLVE": "Resolve", "RESOLVED": "Resolved",
               "SUBMIT": "Submit", "DROP": "Drop", "REDIRECT": "Redirect"}
_STATUS_OF = {"DELIVER": TraceStatus.DELIVERED, "SEND": TraceStatus.DELIVERED, "FAIL": TraceStatus.FAILED,
              "EXPAND": TraceStatus.EXPANDED, "DEFER": TraceStatus.PENDING, "RECEIVE": TraceStatus.PENDING,
              "SUBMIT": TraceStatus.PENDING}
# Events that say nothing about where the message stands: they leave the status as it was.
_NEUTRAL = {"TRANSFER", "RESOLVE", "RESOLVED", "AGENTINFO", "PROCESS", "HARECEIVE", "HAREDIRECT", "NOTIFYMAPI"}


def event_name(written: str) -> str:
    """The trace detail's name for a known event; an unknown one as it was written."""
    return EVENT_NAMES.get(written.strip().upper(), written.strip())


def status_of(events: list[TraceEvent]) -> tuple[TraceStatus, str | None]:
    """The Status the last telling event gives (Deliver: Delivered); an event this table does not
    know (Drop, Redirect) is the status as written, beside the status None."""
    for event in reversed(sorted(events, key=lambda e: e.date)):  # the last written wins a tie
        key = event.event.strip().upper()
        if key in _STATUS_OF:
            return _STATUS_OF[key], None
        if key not in _NEUTRAL:
            return TraceStatus.NONE, event.event
    return TraceStatus.PENDING, None
