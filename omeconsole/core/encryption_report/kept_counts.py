"""The report's summary from the counts the store keeps by day (store/report_counts.py).

A day the range covers whole is read from its counts file. The rest is counted message by message,
exactly as the report counts rows: the first and last day when the range starts or ends inside them,
a day a crash may have left half-changed (a journal names it), and every message whose copies were
received on different days (each counted once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from omeconsole.core.encryption_report.selection import Selection
from omeconsole.core.encryption_report.summary import ReportSummary, ReportTally
from omeconsole.core.mail.model import Message
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.rules import tenant_reasons
from omeconsole.core.store.report_counts import NOT_REVOCABLE, REVOCABLE, REVOKED, DayCounts, hour_of, row_days
from omeconsole.core.store.trace_index import DAYS
from omeconsole.core.text.times import day_key, format_iso, load_iso

ONE_DAY = timedelta(days=1)


def kept_summary(selection: Selection, top: int = 5) -> ReportSummary | None:
    """The summary of a dates-only report from the kept counts; None when the store keeps none (a
    store made before them, until 'omeconsole reindex'). Called under the store's read lock."""
    store = selection.context.store
    if not store.counted:
        return None
    days = _days_in_range(store.counts.days(), selection.start, selection.end)
    unsure = _unsure_days(store) & set(days)
    tally, exact = ReportTally(), dict[str, Message]()
    revocable_now = not any(tenant_reasons(selection.context.tenant))
    now = selection.now
    for day in days:
        if day in unsure or not _covers(selection, day):
            exact.update(_messages_of_day(selection, day))
            continue
        counts = store.counts.read(day)
        tally.add_counts(counts, decided_statuses(counts, now, revocable_now,
                                                  partial(store.counts.read_exact, day)))
        exact.update(_spanning(counts, store))
    for message in exact.values():
        if selection.wanted(message):
            tally.add(selection.rows_of(message))
    return tally.summary(top)


def decided_statuses(counts: DayCounts, now: datetime, revocable_now: bool,
                     exact: Callable[[], dict[str, list[int]]]) -> dict[str, list[int]]:
    """[messages, rows] by revocation status as the report shows it now: what is kept as Revocable
    until an expiry is Not revocable once it has passed, and all of it while the licence lacks AME.
    Expiries are kept by the hour (ISO text, which sorts as time); only the hour `now` is in is
    read to the second (`exact`, a small file of its own)."""
    kept = counts.get("status", {})
    revocable, lapsed = list(kept.get(REVOCABLE, [0, 0])), [0, 0]
    moment = format_iso(now)
    hour = hour_of(moment)
    for when, pair in counts.get("expires", {}).items():
        if when != hour:  # an hour wholly before now, or wholly after
            _add(revocable if when > hour else lapsed, pair)
            continue
        for at, exact_pair in exact().items():
            if hour_of(at) == hour:
                _add(revocable if at > moment else lapsed, exact_pair)
    not_revocable = [a + b for a, b in zip(kept.get(NOT_REVOCABLE, [0, 0]), lapsed, strict=True)]
    if not revocable_now:
        not_revocable, revocable = [a + b for a, b in zip(not_revocable, revocable, strict=True)], [0, 0]
    decided = {REVOKED: kept.get(REVOKED, [0, 0]), NOT_REVOCABLE: not_revocable, REVOCABLE: revocable}
    return {status: list(pair) for status, pair in decided.items() if pair[0]}


def _add(into: list[int], pair: list[int]) -> None:
    into[0] += pair[0]
    into[1] += pair[1]


def _days_in_range(days: list[str], start: datetime | None, end: datetime | None) -> list[str]:
    first, last = (day_key(start) if start else ""), (day_key(end) if end else "9999")
    return [day for day in days if first <= day <= last]


def _covers(selection: Selection, day: str) -> bool:
    """Whether the range holds the whole UTC day (both ends are inclusive, to the microsecond)."""
    begins = load_iso(f"{day}T00:00:00Z")
    return ((selection.start is None or selection.start <= begins)
            and (selection.end is None or selection.end >= begins + ONE_DAY - timedelta(microseconds=1)))


def _unsure_days(store) -> set[str]:
    """Days whose counts a crash may have left behind their messages: those a journal names."""
    days = {key.removeprefix(f"{DAYS}/") for keys in store.index.pending().values() for key in keys
            if key.startswith(f"{DAYS}/")}
    revoking = store.keys_being_destroyed()
    for message in store.get_messages(revoking).values():
        days.update(row_days(message))
    return days


def _messages_of_day(selection: Selection, day: str) -> dict[str, Message]:
    """The messages with a copy received that day, within the range (revocations attached)."""
    begins = load_iso(f"{day}T00:00:00Z")
    start = max(begins, selection.start) if selection.start else begins
    end = begins + ONE_DAY - timedelta(microseconds=1)
    end = min(end, selection.end) if selection.end else end
    query = TraceQuery(start=start, end=end, encrypted_only=True)
    return {m.message_id: m for batch in selection.context.store.search(query) for m in batch}


def _spanning(counts: DayCounts, store) -> dict[str, Message]:
    spanning = counts.get("spanning", {})
    if not spanning:
        return {}
    revocations = store.revocations()
    found = {}
    for message_id, summary in spanning.items():
        message = Message.from_doc(summary)
        message.revocation = revocations.get(message_id)
        found[message_id] = message
    return found

