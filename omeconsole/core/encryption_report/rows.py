"""The Encryption Report's Details rows, with the column names the report shows."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def revocation_status(self) -> str:
        if self.decision.revoked:
            return "Revoked"
        return "Revocable" if self.decision.is_revocable else "Not revocable"

    def to_record(self) -> dict:
        m = self.message
        return {
            "Date": format_iso(m.received), "SenderAddress": m.sender, "RecipientAddress": self.recipient.address,
            "Subject": m.subject, "EncryptionTemplate": encryption_template_label(m),
            "EncryptionMethod": m.method.label if m.method else "", "RevocationStatus": self.revocation_status,
            "MessageId": m.message_id, "Protection": protection_label(m),
            "BrandingTemplate": branding_template_label(m),
        }
