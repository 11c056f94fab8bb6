"""The Encryption Report's Details rows, with the column names the report shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from omeconsole.core.mail.labels import branding_template_label, encryption_template_label, protection_label
from omeconsole.core.mail.model import Message, Recipient
from omeconsole.core.rules import RevocationDecision
from omeconsole.core.text.times import format_iso

# Microsoft's Details columns, then the two that its EncryptionTemplate mixes, kept apart.
REPORT_PROPERTIES = ("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                     "EncryptionMethod", "RevocationStatus", "MessageId", "Protection", "BrandingTemplate")
REVOCATION_STATUSES = ("Revocable", "Revoked", "Not revocable")


@dataclass(frozen=True)
class ReportRow:
    message: Message
    recipient: Recipient
    decision: RevocationDecision
    # message_record(message, decision), made once for all of the message's rows (None: made when asked)
    shared: dict | None = field(default=None, compare=False, repr=False)

    @property
    def revocation_status(self) -> str:
        return revocation_status(self.decision)

    def to_record(self) -> dict:
        record = (self.shared or message_record(self.message, self.decision)).copy()
        record["RecipientAddress"] = self.recipient.address
        return record


def revocation_status(decision: RevocationDecision) -> str:
    if decision.revoked:
        return "Revoked"
    return "Revocable" if decision.is_revocable else "Not revocable"


def message_record(m: Message, decision: RevocationDecision) -> dict:
    """A row's record but its RecipientAddress (left empty, in its place): the same for every recipient."""
    return {
        "Date": format_iso(m.received), "SenderAddress": m.sender, "RecipientAddress": "",
        "Subject": m.subject, "EncryptionTemplate": encryption_template_label(m),
        "EncryptionMethod": m.method.label if m.method else "", "RevocationStatus": revocation_status(decision),
        "MessageId": m.message_id, "Protection": protection_label(m),
        "BrandingTemplate": branding_template_label(m),
    }
