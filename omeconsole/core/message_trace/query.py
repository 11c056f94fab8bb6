"""Get-MessageTrace filters, as one value both faces build."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from omeconsole.core.mail.model import Message, Recipient, TraceStatus
from omeconsole.core.text.addresses import AddressPattern, matches_any


@dataclass
class TraceQuery:
    """Get-MessageTrace filters. Empty lists match everything."""

    senders: list[AddressPattern] = field(default_factory=list)
    recipients: list[AddressPattern] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[TraceStatus] = field(default_factory=list)
    message_id: str | None = None
    subject: str | None = None
    subject_filter: str = "contains"  # contains, startswith, endswith
    trace_ids: list[str] = field(default_factory=list)
    from_ips: list[str] = field(default_factory=list)
    to_ips: list[str] = field(default_factory=list)
    encrypted_only: bool = False

    def matches_message(self, message: Message) -> bool:
        if self.encrypted_only and not message.is_encrypted:
            return False
        if self.start and message.received < self.start:
            return False
        if self.end and message.received > self.end:
            return False
        if self.senders and not matches_any(self.senders, message.sender):
            return False
        if self.trace_ids and message.trace_id not in self.trace_ids:
            return False
        if self.from_ips and message.from_ip not in self.from_ips:
            return False
        return self._subject_matches(message.subject)

    def matches_recipient(self, recipient: Recipient) -> bool:
        if self.statuses and recipient.status not in self.statuses:
            return False
        if self.to_ips and recipient.to_ip not in self.to_ips:
            return False
        return matches_any(self.recipients, recipient.address)

    def _subject_matches(self, subject: str) -> bool:
        if not self.subject:
            return True
        wanted, text = self.subject.casefold(), subject.casefold()
        if self.subject_filter == "startswith":
            return text.startswith(wanted)
        if self.subject_filter == "endswith":
            return text.endswith(wanted)
        return wanted in text
