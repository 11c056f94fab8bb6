"""The Encryption Report's Details rows, with the column names the report shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from omeconsole.core.mail.labels import branding_template_label, encryption_template_label, protection_label
from omeconsole.core.mail.model import Message, Recipient
from omeconsole.core.rules import NOT_REVOCABLE, REVOCABLE, REVOKED
from omeconsole.core.text.times import format_iso

# Microsoft's Details columns, then the two that its EncryptionTemplate mixes, kept apart.
REPORT_PROPERTIES = ("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                     "EncryptionMethod", "RevocationStatus", "MessageId", "Protection", "BrandingTemplate")
REVOCATION_STATUSES = (REVOCABLE, REVOKED, NOT_REVOCABLE)  # rules.revocation_status says which


@dataclass(frozen=True)
class ReportRow:
    message: Message
    recipient: Recipient
    revocation_status: str  # rules.revocation_status of the message, as of the report's moment
    # message_record(message, revocation_status), made once for all of the message's rows (None: made when asked)
    shared: dict | None = field(default=None, compare=False, repr=False)

    def to_record(self) -> dict:
        record = (self.shared or message_record(self.message, self.revocation_status)).copy()
        record["RecipientAddress"] = self.recipient.address
        return record


def message_record(m: Message, revocation_status: str) -> dict:
    """A row's record but its RecipientAddress (left empty, in its place): the same for every recipient."""
    return {
        "Date": format_iso(m.received), "SenderAddress": m.sender, "RecipientAddress": "",
        "Subject": m.subject, "EncryptionTemplate": encryption_template_label(m),
        "EncryptionMethod": m.method.label if m.method else "", "RevocationStatus": revocation_status,
        "MessageId": m.message_id, "Protection": protection_label(m),
        "BrandingTemplate": branding_template_label(m),
    }
