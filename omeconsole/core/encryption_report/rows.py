"""The Encryption Report's Details rows, with the column names the report shows."""

from __future__ import annotations

from dataclasses import dataclass

from omeconsole.core.mail.model import Message, Recipient
from omeconsole.core.rules import RevocationDecision
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE
from omeconsole.core.text.times import format_iso

# Microsoft's Details columns, then the two that its EncryptionTemplate mixes, kept apart.
REPORT_PROPERTIES = ("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                     "EncryptionMethod", "RevocationStatus", "MessageId", "Protection", "BrandingTemplate")
REVOCATION_STATUSES = ("Revocable", "Revoked", "Not revocable")


def encryption_template_label(message: Message) -> str:
    """The report's template column: the custom branding template, else the protection applied."""
    if message.protection is None:
        return "No encryption record"
    if message.template and message.template != DEFAULT_TEMPLATE:
        return message.template
    return message.protection.label


def branding_template_label(message: Message) -> str:
    """The branding template alone: a custom one by name, else the tenant's default."""
    return message.template if message.has_custom_template and message.template else f"{DEFAULT_TEMPLATE} (default)"


def protection_label(message: Message) -> str:
    return message.protection.label if message.protection else "No encryption record"


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
