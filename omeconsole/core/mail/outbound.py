"""The outbound queue: mail `serve mail` acknowledged and has not yet handed on, and what each
attempt does to the Message Trace (Send, Deliver, Defer, Fail, as they happen).

A delivery is one set of bytes for one or more recipients: the message itself for native and
unencrypted recipients, a wrapper mail for each link-based recipient, a one-time passcode mail.
Its bytes are sealed under the keyring (a wrapper holds its recipient's link; a passcode is a
secret), and the file goes when its last recipient is settled.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from omeconsole.core.dkm.envelope import OUTBOUND_MAIL, open_sealed, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.errors import StoreDamaged
from omeconsole.core.mail.model import TraceEvent, TraceStatus
from omeconsole.core.mail.wrapper import passcode_mail
from omeconsole.core.store.documents import DOC_ERRORS, describe
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.model import BrandingTemplate
from omeconsole.core.text.times import format_iso, load_iso

DeliveryKind = Literal["message", "passcode"]
DEFAULT_RETRY_WINDOW = timedelta(days=1)
MAX_BACKOFF = 60.0  # seconds
MAX_DEFER_EVENTS = 10  # per recipient row; later deferrals update the last one


@dataclass
class Delivery:
    id: str
    kind: DeliveryKind
    message_id: str | None
    mail_from: str
    recipients: list[str]
    queued_at: datetime
    attempts: int = 0
    next_attempt: datetime | None = None
    last_error: str | None = None
    sealed: dict = field(default_factory=dict, repr=False)
    wrapped: dict = field(default_factory=dict, repr=False)

    def to_doc(self) -> dict:
        return {"id": self.id, "kind": self.kind, "message_id": self.message_id, "mail_from": self.mail_from,
                "recipients": list(self.recipients), "queued_at": format_iso(self.queued_at),
                "attempts": self.attempts, "next_attempt": format_iso(self.next_attempt),
                "last_error": self.last_error, "sealed": self.sealed, "wrapped": self.wrapped}

    @classmethod
    def from_doc(cls, doc: dict) -> Delivery:
        kind = doc["kind"]
        if kind not in ("message", "passcode"):
            raise ValueError(f"kind {kind!r} is not message or passcode")
        return cls(id=str(doc["id"]), kind=kind, message_id=doc.get("message_id"), mail_from=str(doc["mail_from"]),
                   recipients=[str(r) for r in doc["recipients"]], queued_at=load_iso(doc["queued_at"]),
                   attempts=int(doc.get("attempts", 0)), next_attempt=load_iso(doc.get("next_attempt")),
                   last_error=doc.get("last_error"), sealed=dict(doc["sealed"]), wrapped=dict(doc["wrapped"]))


def new_delivery(keyring: Keyring, kind: DeliveryKind, message_id: str | None, mail_from: str,
                 recipients: list[str], wire: bytes, now: datetime) -> Delivery:
    """A delivery due now, its bytes sealed. Ids sort by the time they were queued."""
    delivery_id = f"{int(now.timestamp() * 1000):014d}{secrets.token_hex(8)}"
    sealed, wrapped = seal(keyring, OUTBOUND_MAIL, delivery_id, wire)
    return Delivery(delivery_id, kind, message_id, mail_from, list(recipients), now, 0, now, None, sealed, wrapped)


def _whole_seconds_up(moment: datetime) -> datetime:
    """Stored times are whole seconds: round up, so a backoff is never cut short."""
    return moment if not moment.microsecond else moment.replace(microsecond=0) + timedelta(seconds=1)


class OutboundQueue:
    """The queue on disk, and the trace events its deliveries leave. Safe from several threads."""

    def __init__(self, store: Store, keyring: Callable[[], Keyring], clock: Callable[[], datetime],
                 retry_window: timedelta = DEFAULT_RETRY_WINDOW):
        self.store = store
        self.keyring = keyring
        self.clock = clock
        self.retry_window = retry_window

    def all(self) -> list[Delivery]:
        with self.store.reading():
            docs = self.store.queued()
        deliveries = []
        for doc in docs:
            try:
                deliveries.append(Delivery.from_doc(doc))
            except DOC_ERRORS as exc:
                raise StoreDamaged(self.store.queue_dir / f"{doc.get('id')}.json",
                                   f"a queued delivery is malformed ({describe(exc)})") from None
        return deliveries

    def due(self) -> list[Delivery]:
        now = self.clock()
        return [d for d in self.all() if d.next_attempt is None or d.next_attempt <= now]

    def next_attempt_at(self) -> datetime | None:
        times = [d.next_attempt or d.queued_at for d in self.all()]
        return min(times) if times else None

    def wire_bytes(self, delivery: Delivery) -> bytes:
        return open_sealed(self.keyring(), OUTBOUND_MAIL, delivery.id, delivery.sealed, delivery.wrapped)

    # -- outcomes ------------------------------------------------------------------------

    def delivered(self, delivery: Delivery, recipients: list[str], *, event: Literal["Send", "Deliver"],
                  detail: str, to_ip: str | None) -> None:
        self._settle(delivery, recipients, TraceStatus.DELIVERED, event, detail, to_ip)

    def failed(self, delivery: Delivery, recipients: list[str], reason: str) -> None:
        self._settle(delivery, recipients, TraceStatus.FAILED, "Fail", reason, None)

    def deferred(self, delivery: Delivery, recipients: list[str], reason: str) -> None:
        """Tried again after 1, 2, 4 ... 60 s; Failed once the retry window since it was queued is over."""
        now = self.clock()
        if now - delivery.queued_at >= self.retry_window:
            hours = self.retry_window.total_seconds() / 3600
            self.failed(delivery, recipients, f"{reason}; gave up after retrying for {hours:g} hour(s)")
            return
        with self.store.writing(mend_index=False):
            current = self._current(delivery)
            if current is None:
                return
            current.attempts += 1
            current.last_error = reason
            current.next_attempt = _whole_seconds_up(now + timedelta(seconds=min(MAX_BACKOFF,
                                                                                 2.0 ** (current.attempts - 1))))
            self._trace(current, recipients, TraceStatus.PENDING, "Defer", reason, None)
            self.store.put_queued(current.to_doc())
        delivery.attempts, delivery.next_attempt = current.attempts, current.next_attempt

    def _settle(self, delivery: Delivery, recipients: list[str], status: TraceStatus, event: str,
                detail: str, to_ip: str | None) -> None:
        with self.store.writing(mend_index=False):
            current = self._current(delivery)
            if current is None:
                return
            self._trace(current, recipients, status, event, detail, to_ip)
            current.recipients = [r for r in current.recipients if r not in recipients]
            if current.recipients:
                self.store.put_queued(current.to_doc())
            else:
                self.store.remove_queued(current.id)
        delivery.recipients = current.recipients

    def _current(self, delivery: Delivery) -> Delivery | None:
        """The delivery as its file holds it now (None once another thread settled it)."""
        doc = self.store.get_queued(delivery.id)
        return Delivery.from_doc(doc) if doc else None

    def _trace(self, delivery: Delivery, recipients: list[str], status: TraceStatus, event: str,
               detail: str, to_ip: str | None) -> None:
        if delivery.message_id is None:
            return  # a passcode mail is the portal's, not a message in the trace
        message = self.store.get_message(delivery.message_id)
        if message is None:
            return
        now = self.clock()
        for row in message.recipients:
            if row.address not in recipients:
                continue
            row.status = status
            row.to_ip = to_ip or row.to_ip
            defers = [e for e in row.events if e.event == "Defer"]
            if event == "Defer" and len(defers) >= MAX_DEFER_EVENTS:
                row.events.remove(defers[-1])
            row.events.append(TraceEvent(now, event, event, detail))
        self.store.put_messages([message], index_later=True)  # MailFlow.file_index files it


PASSCODE_VALID_MINUTES = 15


def queue_passcode_mail(store: Store, keyring: Keyring, clock: Callable[[], datetime], *, recipient: str,
                        code: str, organization: str, template: BrandingTemplate) -> Delivery:
    """A one-time passcode mail, queued for `serve mail` to deliver (call under store.writing())."""
    tenant = store.load_tenant()
    sender = f"no-reply@{tenant.accepted_domains[0]}"
    now = clock()
    wire = passcode_mail(sender=sender, recipient=recipient, code=code, when=now, organization=organization,
                         template=template, valid_minutes=PASSCODE_VALID_MINUTES)
    delivery = new_delivery(keyring, "passcode", None, sender, [recipient], wire, now)
    store.put_queued(delivery.to_doc())
    return delivery
