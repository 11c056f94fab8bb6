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
from omeconsole.core.mail.model import Message, TraceEvent, TraceStatus
from omeconsole.core.mail.wrapper import passcode_mail
from omeconsole.core.store.documents import DOC_ERRORS, describe
from omeconsole.core.store.store import Store
from omeconsole.core.store.trace_index import summary_of
from omeconsole.core.tenant.model import BrandingTemplate
from omeconsole.core.text.times import format_iso, load_iso

DeliveryKind = Literal["message", "passcode"]
DEFAULT_RETRY_WINDOW = timedelta(days=1)
MAX_BACKOFF = 60.0  # seconds
MAX_DEFER_EVENTS = 10  # per recipient row; later deferrals update the last one
PASSCODE_VALID_MINUTES = 15
PASSCODE_VALID = timedelta(minutes=PASSCODE_VALID_MINUTES)  # nor is a passcode's mail retried for longer


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

    @property
    def due_at(self) -> datetime:
        return self.next_attempt or self.queued_at

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
        if not (isinstance(doc["id"], str) and doc["id"].isascii() and doc["id"].isalnum()):
            raise ValueError("its id is not letters and digits")  # it names the drop folder's file
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
        self.damaged: list[StoreDamaged] = []  # queue files the last look could not read

    def all(self) -> list[Delivery]:
        """Every queued delivery that can be read. A damaged file stays as it is, is left out, and is
        named in `damaged` (one bad file must not hold up the rest of the queue)."""
        with self.store.reading():
            docs, damaged = self.store.queued()
        deliveries = []
        for path, doc in docs:
            try:
                deliveries.append(Delivery.from_doc(doc))
            except DOC_ERRORS as exc:
                damaged.append(StoreDamaged(path, f"a queued delivery is malformed ({describe(exc)})"))
        self.damaged = damaged
        return deliveries

    def drop_unacknowledged(self) -> int:
        """Remove the deliveries of messages that are not in the store: a crash came after their queue
        files landed and before the message did, so no 250 was given and the client sends again.
        For a starting `serve mail`, before it delivers anything."""
        with self.store.writing(mend_index=False):
            orphans = [d for d in self.all() if d.kind == "message" and d.message_id
                       and not self.store.message_exists(d.message_id)]
            for delivery in orphans:
                self.store.remove_queued(delivery.id)
        return len(orphans)

    def due(self) -> list[Delivery]:
        now = self.clock()
        return [d for d in self.all() if d.due_at <= now]

    def wire_bytes(self, delivery: Delivery) -> bytes:
        return open_sealed(self.keyring(), OUTBOUND_MAIL, delivery.id, delivery.sealed, delivery.wrapped)

    # -- outcomes ------------------------------------------------------------------------

    def delivered(self, delivery: Delivery, recipients: list[str], *, event: Literal["Send", "Deliver"],
                  detail: str, to_ip: str | None) -> None:
        self.settle([Outcome(delivery, recipients, "delivered", detail, event, to_ip)])

    def failed(self, delivery: Delivery, recipients: list[str], reason: str) -> None:
        self.settle([Outcome(delivery, recipients, "failed", reason)])

    def deferred(self, delivery: Delivery, recipients: list[str], reason: str) -> None:
        """Tried again after 1, 2, 4 ... 60 s; Failed once the retry window since it was queued is over."""
        self.settle([Outcome(delivery, recipients, "deferred", reason)])

    def settle(self, outcomes: list[Outcome]) -> None:
        """Several attempts' outcomes in one change of the store: each queue file once, each message's
        trace rows once (a delivery loop settles what finished while the last change was written)."""
        if not outcomes:
            return
        now = self.clock()
        with self.store.writing(mend_index=False):
            traced: dict[str, list[tuple[list[str], TraceStatus, str, str, str | None]]] = {}
            changed: list[Delivery] = []
            for group in _by_delivery(outcomes).values():
                current = self._current(group[0].delivery)
                if current is None:
                    continue  # settled already
                for outcome in group:
                    change = self._apply(current, outcome, now)
                    if change and current.message_id:
                        traced.setdefault(current.message_id, []).append(change)
                changed.append(current)
            self._trace(traced, now)  # the trace first: a crash between leaves the delivery queued, not lost
            for current in changed:
                if current.recipients:
                    self.store.put_queued(current.to_doc())
                else:
                    self.store.remove_queued(current.id)

    def _apply(self, current: Delivery, outcome: Outcome, now: datetime):
        """Change the delivery for one outcome; the trace change it calls for (recipients, status, event,
        detail, ToIP), or None when it names no recipient still waiting."""
        recipients = [r for r in outcome.recipients if r in current.recipients]
        if not recipients:
            return None
        verdict, detail = outcome.verdict, outcome.detail
        window = self.retry_window if current.kind == "message" else min(self.retry_window, PASSCODE_VALID)
        if verdict == "deferred" and now - current.queued_at >= window:
            verdict, detail = "failed", f"{detail}; gave up after retrying for {_span(window)}"
        if verdict == "deferred":
            current.attempts += 1
            current.last_error = detail
            current.next_attempt = _whole_seconds_up(now + timedelta(seconds=min(MAX_BACKOFF,
                                                                                 2.0 ** (current.attempts - 1))))
            return recipients, TraceStatus.PENDING, "Defer", detail, None
        current.recipients = [r for r in current.recipients if r not in recipients]
        if verdict == "delivered":
            return recipients, TraceStatus.DELIVERED, outcome.event or "Send", detail, outcome.to_ip
        return recipients, TraceStatus.FAILED, "Fail", detail, None

    def _current(self, delivery: Delivery) -> Delivery | None:
        """The delivery as its file holds it now (None once another thread settled it)."""
        doc = self.store.get_queued(delivery.id)
        return Delivery.from_doc(doc) if doc else None

    def _trace(self, changes: dict[str, list], now: datetime) -> None:
        """Each message's rows changed as its deliveries went, all written in one change (a passcode
        mail is the portal's, not a message in the trace)."""
        messages, stored = [], {}
        for message_id, rows_changes in changes.items():
            message = self.store.get_message(message_id)
            if message is None:
                continue
            stored[message_id] = summary_of(message.to_doc())
            for recipients, status, event, detail, to_ip in rows_changes:
                _change_rows(message, recipients, status, event, detail, to_ip, now)
            messages.append(message)
        if messages:
            self.store.put_messages(messages, index_later=True, stored=stored)  # MailFlow.file_index files it


@dataclass
class Outcome:
    """One attempt's answer for some of a delivery's recipients."""

    delivery: Delivery
    recipients: list[str]
    verdict: Literal["delivered", "failed", "deferred"]
    detail: str
    event: Literal["Send", "Deliver"] | None = None
    to_ip: str | None = None


def _span(window: timedelta) -> str:
    minutes = window.total_seconds() / 60
    return f"{minutes / 60:g} hour(s)" if minutes >= 60 else f"{minutes:g} minute(s)"


def _by_delivery(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.delivery.id, []).append(outcome)
    return groups


def _change_rows(message: Message, recipients: list[str], status: TraceStatus, event: str, detail: str,
                 to_ip: str | None, now: datetime) -> None:
    for row in message.recipients:
        if row.address not in recipients:
            continue
        row.status = status
        row.to_ip = to_ip or row.to_ip
        defers = [e for e in row.events if e.event == "Defer"]
        if event == "Defer" and len(defers) >= MAX_DEFER_EVENTS:
            row.events.remove(defers[-1])
        row.events.append(TraceEvent(now, event, event, detail))




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
