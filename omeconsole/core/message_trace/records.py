"""What the services hand to both faces: rows with the PowerShell property names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from omeconsole.core.mail.model import Message, Recipient, TraceEvent
from omeconsole.core.rules import RevocationDecision
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE
from omeconsole.core.text.times import format_iso

if TYPE_CHECKING:
    from omeconsole.core.encryption_report.summary import ReportSummary

TRACE_PROPERTIES = ("Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "MessageId",
                    "MessageTraceId", "Size", "FromIP", "ToIP")
REPORT_PROPERTIES = ("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                     "EncryptionMethod", "RevocationStatus", "MessageId")
DETAIL_PROPERTIES = ("Date", "Event", "Action", "Detail")


@dataclass(frozen=True)
class TraceRow:
    message: Message
    recipient: Recipient

    def to_record(self) -> dict:
        m, r = self.message, self.recipient
        return {
            "Received": format_iso(m.received), "SenderAddress": m.sender, "RecipientAddress": r.address,
            "Subject": m.subject, "Status": r.status.value, "MessageId": m.message_id,
            "MessageTraceId": m.trace_id, "Size": m.size, "FromIP": m.from_ip, "ToIP": r.to_ip,
        }


@dataclass(frozen=True)
class TraceResult:
    """Trace rows, newest first; truncated when more matched than the limit asked for."""

    rows: list[TraceRow]
    truncated: bool = False
    limit: int | None = None


def encryption_template_label(message: Message) -> str:
    """The report's template column: the custom branding template, else the protection applied."""
    if message.protection is None:
        return "No encryption record"
    if message.template and message.template != DEFAULT_TEMPLATE:
        return message.template
    return message.protection.title


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
            "EncryptionMethod": m.method.title if m.method else "", "RevocationStatus": self.revocation_status,
            "MessageId": m.message_id,
        }


@dataclass(frozen=True)
class ReportResult:
    """The report's rows, newest first (at most `limit`, the newest), and its summary of every row."""

    rows: list[ReportRow]
    summary: "ReportSummary"
    truncated: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class StatusResult:
    """Get-OMEMessageStatus, with every reason."""

    message: Message
    decision: RevocationDecision
    content_key: str  # present, destroyed, none

    def to_record(self) -> dict:
        return {
            "MessageId": self.message.message_id, "Subject": self.message.subject,
            "IsRevocable": self.decision.is_revocable, "Revoked": self.decision.revoked,
            "ContentKey": self.content_key, "Reasons": list(self.decision.reasons),
        }


def event_record(event: TraceEvent) -> dict:
    return {"Date": format_iso(event.date), "Event": event.event, "Action": event.action, "Detail": event.detail}


@dataclass(frozen=True)
class PortalView:
    """What one recipient sees in the OME portal."""

    message: Message
    recipient: str
    state: str  # available, revoked, expired
    text: str
    body: str | None = None

    def to_record(self) -> dict:
        record = {"MessageId": self.message.message_id, "Recipient": self.recipient, "State": self.state,
                  "Text": self.text}
        if self.body is not None:
            record.update({"From": self.message.sender, "Subject": self.message.subject, "Body": self.body})
        return record


@dataclass(frozen=True)
class ImportResult:
    path: str
    format: str
    rows_read: int
    rows_added: int
    rows_already_present: int
    messages_added: int
    errors: list[str]

    def to_record(self) -> dict:
        return {"File": self.path, "Format": self.format, "RowsRead": self.rows_read, "RowsAdded": self.rows_added,
                "RowsAlreadyPresent": self.rows_already_present, "MessagesAdded": self.messages_added,
                "RowsRejected": len(self.errors), "Errors": self.errors}
