"""The Encryption Report's Details table and its summary, as both faces ask for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.rows import (
    REVOCATION_STATUSES,
    ReportRow,
    branding_template_label,
    encryption_template_label,
)
from omeconsole.core.encryption_report.summary import ReportSummary, ReportTally
from omeconsole.core.errors import Cancelled, UsageError
from omeconsole.core.mail.model import EncryptionMethod, Message, Protection
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import newest_first
from omeconsole.core.rules import can_read
from omeconsole.core.store.gcpause import collection_paused
from omeconsole.core.text.addresses import AddressPattern


@dataclass(frozen=True)
class ReportResult:
    """The report's rows, newest first (at most `limit`, the newest), and its summary of every row."""

    rows: list[ReportRow]
    summary: ReportSummary
    truncated: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class ReportFilter:
    """The report's filters beyond its date range: each None (or empty) lets everything through."""

    method: EncryptionMethod | None = None
    template: str | None = None  # the report's mixed EncryptionTemplate column, as Microsoft's filter has it
    protection: Protection | None = None
    branding_template: str | None = None
    senders: tuple[AddressPattern, ...] = ()
    recipients: tuple[AddressPattern, ...] = ()
    revocation_status: str | None = None

    def __post_init__(self) -> None:
        if self.revocation_status is not None and self.revocation_status not in REVOCATION_STATUSES:
            raise UsageError(f"revocation status must be one of {', '.join(REVOCATION_STATUSES)}")


def get_encryption_report(context: Context, start: datetime | None = None, end: datetime | None = None,
                          method: EncryptionMethod | None = None, template: str | None = None,
                          limit: int | None = None, stop: Callable[[], bool] | None = None,
                          filters: ReportFilter | None = None) -> ReportResult:
    """Encrypted messages, one row per recipient, filtered by date, encryption method and template
    (as the report's column names it) and `filters` (sender, recipient, protection, branding template,
    revocation status), newest first; at most `limit` rows, the newest. The summary counts every
    matching row. `stop` is asked between batches (days): yes ends the report with Cancelled."""
    chosen = filters or ReportFilter()
    method, template = method or chosen.method, template or chosen.template
    query = TraceQuery(start=start, end=end, encrypted_only=True, senders=list(chosen.senders),
                       recipients=list(chosen.recipients))
    context.require_reader("report")
    tally, kept = ReportTally(), list[ReportRow]()

    def wanted(m: Message) -> bool:
        return (can_read(context.actor, m) and query.matches_message(m) and (method is None or m.method is method)
                and (template is None or encryption_template_label(m) == template)
                and (chosen.protection is None or m.protection is chosen.protection)
                and (chosen.branding_template is None or branding_template_label(m) == chosen.branding_template))

    def rows_of(m: Message) -> list[ReportRow]:
        decision = context.decide(m)
        rows = [ReportRow(m, r, decision) for r in m.recipients if query.matches_recipient(r, m)]
        if chosen.revocation_status is not None and rows and rows[0].revocation_status != chosen.revocation_status:
            return []
        return rows

    with context.store.reading(), collection_paused():
        for batch in context.store.search(query):
            if stop is not None and stop():
                raise Cancelled()
            keep = limit is None or len(kept) <= limit  # batches are days, newest first
            for m in filter(wanted, batch):
                rows = rows_of(m)
                tally.add(rows)
                if keep:
                    kept.extend(rows)
    kept.sort(key=newest_first, reverse=True)
    truncated = limit is not None and tally.rows > limit
    return ReportResult(kept[:limit] if truncated else kept, tally.summary(), truncated, limit)
