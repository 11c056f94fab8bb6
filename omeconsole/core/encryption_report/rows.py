"""The Encryption Report's Details rows, with the column names the report shows."""

from __future__ import annotations

from dataclasses import dataclass

from omeconsole.core.mail.model import Message, Recipient
from omeconsole.core.rules import RevocationDecision
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE
from omeconsole.core.text.times import format_iso

REPORT_PROPERTIES = ("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                     "EncryptionMethod", "RevocationStatus", "MessageId")


def encryption_template_label(message: Message) -> str:
    """The report's template column: the custom branding template, else the protection applied."""
    if message.protection is None:
        return "No encryption record"
    if message.template and message.template != DEFAULT_TEMPLATE:
        return message.template
    return message.protection.label


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
            "MessageId": m.message_id,
        }
