"""What the Encryption Report is asked for: its filters, and which messages and rows they let through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.rows import (
    REVOCATION_STATUSES,
    ReportRow,
    branding_template_label,
    encryption_template_label,
    message_record,
)
from omeconsole.core.errors import UsageError
from omeconsole.core.mail.model import EncryptionMethod, Message, Protection
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.rules import can_read, revocation_status, sees_all_messages
from omeconsole.core.text.addresses import AddressPattern


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

    @property
    def is_empty(self) -> bool:
        return self == ReportFilter()


class Selection:
    """The report's rows for one request: which messages it takes, and which of their recipients."""

    def __init__(self, context: Context, start: datetime | None, end: datetime | None, chosen: ReportFilter):
        self.context, self.start, self.end, self.chosen = context, start, end, chosen
        self.now = context.clock()  # the report is as of this moment: every row's status, and the kept counts
        self.query = TraceQuery(start=start, end=end, encrypted_only=True, senders=list(chosen.senders),
                                recipients=list(chosen.recipients))

    @property
    def dates_only(self) -> bool:
        """Nothing asked for but dates, by someone who reads every message: the kept counts answer it."""
        return self.chosen.is_empty and sees_all_messages(self.context.actor)

    def wanted(self, m: Message) -> bool:
        chosen = self.chosen
        return (can_read(self.context.actor, m) and self.query.matches_message(m)
                and (chosen.method is None or m.method is chosen.method)
                and (chosen.template is None or encryption_template_label(m) == chosen.template)
                and (chosen.protection is None or m.protection is chosen.protection)
                and (chosen.branding_template is None or branding_template_label(m) == chosen.branding_template))

    def wanted_rows(self, m: Message) -> list[ReportRow]:
        """The message's rows, if the report wants it."""
        return self.rows_of(m) if self.wanted(m) else []

    def rows_of(self, m: Message) -> list[ReportRow]:
        recipients = [r for r in m.recipients if self.query.matches_recipient(r, m)]
        if not recipients:
            return []
        status = revocation_status(m, self.context.tenant, self.now)
        if self.chosen.revocation_status not in (None, status):
            return []
        shared = message_record(m, status)
        return [ReportRow(m, r, status, shared) for r in recipients]
