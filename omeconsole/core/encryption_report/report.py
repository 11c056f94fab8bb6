"""The Encryption Report's Details table and its summary, as both faces ask for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.rows import ReportRow, encryption_template_label
from omeconsole.core.encryption_report.summary import ReportSummary, ReportTally
from omeconsole.core.errors import Cancelled
from omeconsole.core.mail.model import EncryptionMethod, Message
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import newest_first
from omeconsole.core.rules import can_read
from omeconsole.core.store.gcpause import collection_paused


@dataclass(frozen=True)
class ReportResult:
    """The report's rows, newest first (at most `limit`, the newest), and its summary of every row."""

    rows: list[ReportRow]
    summary: ReportSummary
    truncated: bool = False
    limit: int | None = None


def get_encryption_report(context: Context, start: datetime | None = None, end: datetime | None = None,
                          method: EncryptionMethod | None = None, template: str | None = None,
                          limit: int | None = None, stop: Callable[[], bool] | None = None) -> ReportResult:
    """Encrypted messages, one row per recipient, filtered by date, encryption method and template
    (as the report's column names it), newest first; at most `limit` rows, the newest. The summary
    counts every matching row. `stop` is asked between batches (days): yes ends the report with Cancelled."""
    query = TraceQuery(start=start, end=end, encrypted_only=True)
    context.require_reader("report")
    tally, kept = ReportTally(), list[ReportRow]()

    def wanted(m: Message) -> bool:
        return (can_read(context.actor, m) and query.matches_message(m) and (method is None or m.method is method)
                and (template is None or encryption_template_label(m) == template))

    with context.store.reading(), collection_paused():
        for batch in context.store.search(query):
            if stop is not None and stop():
                raise Cancelled()
            keep = limit is None or len(kept) <= limit  # batches are days, newest first
            for m in filter(wanted, batch):
                decision = context.decide(m)
                rows = [ReportRow(m, r, decision) for r in m.recipients]
                tally.add(rows)
                if keep:
                    kept.extend(rows)
    kept.sort(key=newest_first, reverse=True)
    truncated = limit is not None and tally.rows > limit
    return ReportResult(kept[:limit] if truncated else kept, tally.summary(), truncated, limit)
