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
        if (self.start or self.end) and not (self._in_range(message.received)
                                             or any(map(self._in_range, _copy_times(message)))):
            return False
        if self.senders and not matches_any(self.senders, message.sender):
            return False
        if self.trace_ids and not any(t in self.trace_ids for t in _copy_ids(message)):
            return False
        if self.from_ips and message.from_ip not in self.from_ips:
            return False
        return self._subject_matches(message.subject)

    def matches_recipient(self, recipient: Recipient, message: Message | None = None) -> bool:
        """A recipient's row; given its message, by its own copy's Received and Message Trace ID."""
        if message is not None and not self._in_range(recipient.received or message.received):
            return False
        if message is not None and self.trace_ids and (recipient.trace_id or message.trace_id) not in self.trace_ids:
            return False
        if self.statuses and recipient.status not in self.statuses:
            return False
        if self.to_ips and recipient.to_ip not in self.to_ips:
            return False
        return matches_any(self.recipients, recipient.address)

    def _in_range(self, moment: datetime) -> bool:
        return not (self.start and moment < self.start) and not (self.end and moment > self.end)

    def _subject_matches(self, subject: str) -> bool:
        if not self.subject:
            return True
        wanted, text = self.subject.casefold(), subject.casefold()
        if self.subject_filter == "startswith":
            return text.startswith(wanted)
        if self.subject_filter == "endswith":
            return text.endswith(wanted)
        return wanted in text


def _copy_times(message: Message) -> set[datetime]:
    """The Received times of a message's copies (a bifurcated message has more than one)."""
    return {message.received} | {r.received for r in message.recipients if r.received}


def _copy_ids(message: Message) -> set[str]:
    return {message.trace_id} | {r.trace_id for r in message.recipients if r.trace_id}
