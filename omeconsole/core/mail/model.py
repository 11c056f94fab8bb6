"""Messages as the Message Trace and the Encryption Report see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal

from omeconsole.core.errors import UsageError
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, Experience, parse_choice
from omeconsole.core.text.times import format_iso, load_iso

MAX_SUBJECT = 4096  # characters, for mail sent here and rows imported alike


class TraceStatus(str, Enum):
    """The eight Status values of Get-MessageTrace."""

    NONE = "None"
    GETTING_STATUS = "GettingStatus"
    FAILED = "Failed"
    PENDING = "Pending"
    DELIVERED = "Delivered"
    EXPANDED = "Expanded"
    QUARANTINED = "Quarantined"
    FILTERED_AS_SPAM = "FilteredAsSpam"

    @classmethod
    def parse(cls, text: str) -> TraceStatus:
        return parse_choice(cls, text, "status")


class Protection(str, Enum):
    """What protected the message: nothing, Encrypt-Only or Do Not Forward."""

    NONE = "none"
    ENCRYPT_ONLY = "encrypt-only"
    DO_NOT_FORWARD = "do-not-forward"

    @property
    def label(self) -> str:
        return _PROTECTION_LABELS[self.value]

    @classmethod
    def parse(cls, text: str) -> Protection:
        protection = parse_choice(cls, text, "encryption")
        if protection is Protection.NONE:
            raise UsageError("encryption must be encrypt-only or do-not-forward (leave out --encrypt for none)")
        return protection


_PROTECTION_LABELS = {"none": "None", "encrypt-only": "Encrypt-Only", "do-not-forward": "Do Not Forward"}


class EncryptionMethod(str, Enum):
    """Who applied the encryption: the sender in Outlook, or a mail flow rule."""

    USER = "user"
    POLICY = "policy"

    @property
    def label(self) -> str:
        return "By user" if self is EncryptionMethod.USER else "By policy"

    @classmethod
    def parse(cls, text: str) -> EncryptionMethod:
        return parse_choice(cls, text, "encryption method")


class Origin(str, Enum):
    """Where the store learned of a message: its own mail flow, or an imported trace export."""

    MAIL_FLOW = "mail-flow"
    IMPORTED = "imported"


def _members(enum) -> dict:
    """value -> member: a dict lookup is about ten times faster than calling the Enum, which
    matters when a search reads a hundred thousand stored messages. KeyError on a bad value."""
    return {member.value: member for member in enum}


_STATUSES, _EXPERIENCES, _PROTECTIONS = _members(TraceStatus), _members(Experience), _members(Protection)
_METHODS, _ORIGINS = _members(EncryptionMethod), _members(Origin)


@dataclass(frozen=True)
class TraceEvent:
    """One Get-MessageTraceDetail row."""

    date: datetime
    event: str
    action: str
    detail: str

    def to_doc(self) -> dict:
        return {"date": format_iso(self.date), "event": self.event, "action": self.action, "detail": self.detail}

    @classmethod
    def from_doc(cls, doc: dict) -> TraceEvent:
        return cls(load_iso(doc["date"]), doc["event"], doc["action"], doc["detail"])


@dataclass
class Recipient:
    """One trace row: a recipient with its own Status, ToIP, events and experience."""

    address: str
    status: TraceStatus
    to_ip: str | None = None
    experience: Experience | None = None  # None: an imported row, no encryption record
    events: list[TraceEvent] = field(default_factory=list)
    link_id: str | None = None  # a link-based recipient's OME portal link (serve mail), by its hash
    # A bifurcated copy (imported): Exchange made this recipient's copy apart from the message's first
    # one, with its own MessageTraceId and Received time. None: the message's own.
    trace_id: str | None = None
    received: datetime | None = None
    status_text: str | None = None  # an imported status none of TraceStatus names, as it was written

    def to_doc(self) -> dict:
        doc = {
            "address": self.address, "status": self.status.value, "to_ip": self.to_ip,
            "experience": self.experience.value if self.experience else None,
            "events": [e.to_doc() for e in self.events],
        }
        if self.link_id:
            doc["link_id"] = self.link_id
        if self.trace_id:
            doc["trace_id"] = self.trace_id
        if self.received:
            doc["received"] = format_iso(self.received)
        if self.status_text:
            doc["status_text"] = self.status_text
        return doc

    @property
    def status_shown(self) -> str:
        """The Status a trace shows: an imported status kept as written, else the TraceStatus."""
        return self.status_text or self.status.value

    @classmethod
    def from_doc(cls, doc: dict) -> Recipient:
        experience, received = doc.get("experience"), doc.get("received")
        return cls(
            doc["address"], _STATUSES[doc["status"]], doc.get("to_ip"),
            _EXPERIENCES[experience] if experience else None,
            [TraceEvent.from_doc(e) for e in doc["events"]] if "events" in doc else [], doc.get("link_id"),
            doc.get("trace_id"),
            None if received is None else load_iso(received), doc.get("status_text"),
        )


ActingAs = Literal["admin", "sender"]  # as whom a revocation was made


@dataclass(frozen=True)
class Revocation:
    """Who revoked a message, when, as what (admin or sender), and from where."""

    revoked_at: datetime
    revoked_by: str
    as_role: ActingAs
    origin: str

    def to_doc(self) -> dict:
        return {
            "revoked_at": format_iso(self.revoked_at), "revoked_by": self.revoked_by,
            "as_role": self.as_role, "origin": self.origin,
        }

    @classmethod
    def from_doc(cls, doc: dict) -> Revocation:
        return cls(load_iso(doc["revoked_at"]), doc["revoked_by"], doc["as_role"], doc["origin"])


@dataclass
class Message:
    message_id: str
    trace_id: str
    received: datetime
    sender: str
    subject: str
    size: int
    from_ip: str | None
    recipients: list[Recipient]
    origin: Origin = Origin.MAIL_FLOW
    protection: Protection | None = Protection.NONE  # None: imported, no encryption record
    method: EncryptionMethod | None = None
    template: str | None = None
    expires_at: datetime | None = None
    sealed_content: dict | None = None
    revocation: Revocation | None = None  # kept in its own file; attached on load

    @property
    def is_encrypted(self) -> bool:
        return self.protection is not None and self.protection is not Protection.NONE  # members: `is` suffices

    @property
    def has_custom_template(self) -> bool:
        return self.is_encrypted and self.template is not None and self.template != DEFAULT_TEMPLATE

    @property
    def link_based_recipients(self) -> list[Recipient]:
        return [r for r in self.recipients if r.experience is Experience.LINK_BASED]

    def recipient(self, address: str) -> Recipient | None:
        return next((r for r in self.recipients if r.address == address), None)

    @property
    def newest_received(self) -> datetime:
        """The newest Received of its copies (a bifurcated copy has its own): the trace index's newest
        day partition that files it."""
        return max([self.received, *(r.received for r in self.recipients if r.received)])

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def to_doc(self) -> dict:
        return {
            "message_id": self.message_id, "trace_id": self.trace_id,
            "received": format_iso(self.received), "sender": self.sender, "subject": self.subject,
            "size": self.size, "from_ip": self.from_ip, "origin": self.origin.value,
            "protection": self.protection.value if self.protection else None,
            "method": self.method.value if self.method else None, "template": self.template,
            "expires_at": format_iso(self.expires_at), "content": self.sealed_content,
            "recipients": [r.to_doc() for r in self.recipients],
        }

    @classmethod
    def from_doc(cls, doc: dict) -> Message:
        protection, method = doc.get("protection"), doc.get("method")
        return cls(
            message_id=doc["message_id"], trace_id=doc["trace_id"], received=load_iso(doc["received"]),
            sender=doc["sender"], subject=doc["subject"], size=int(doc["size"]), from_ip=doc.get("from_ip"),
            recipients=[Recipient.from_doc(r) for r in doc["recipients"]],
            origin=_ORIGINS[doc.get("origin", "mail-flow")],
            protection=_PROTECTIONS[protection] if protection else None,
            method=_METHODS[method] if method else None, template=doc.get("template"),
            expires_at=load_iso(doc.get("expires_at")), sealed_content=doc.get("content"),
        )
