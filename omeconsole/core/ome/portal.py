"""The OME portal, as a link-based recipient meets it: the message, or why it cannot be read.

Only the recipient, signed in, reads the content; anyone else who may read the message sees
its state with the content withheld. Opening the content is a key use, audited as the portal's
service account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omeconsole.core.context import Context
from omeconsole.core.dkm.envelope import PORTAL_CONTENT, open_sealed
from omeconsole.core.dkm.group import PORTAL_SERVICE
from omeconsole.core.errors import NotFound, Refused
from omeconsole.core.mail.flow import read_portal_content
from omeconsole.core.mail.model import Message, Recipient
from omeconsole.core.rules import can_read
from omeconsole.core.tenant.model import Experience
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.message_ids import normalize_message_id

REVOKED_TEXT = "The message has been revoked by the sender"
EXPIRED_TEXT = "The message has expired"

PortalState = Literal["available", "revoked", "expired"]


@dataclass(frozen=True)
class PortalView:
    """What one recipient sees in the OME portal."""

    message: Message
    recipient: str
    state: PortalState
    text: str
    body: str | None = None
    content: dict | None = None  # signed in and available: subject, body, html, from, to, date, attachments

    def to_record(self) -> dict:
        record = {"MessageId": self.message.message_id, "Recipient": self.recipient, "State": self.state,
                  "Text": self.text}
        if self.body is not None:
            record.update({"From": self.message.sender, "Subject": self.message.subject, "Body": self.body})
        return record


def open_in_portal(context: Context, message_id: str, recipient: str) -> PortalView:
    address = normalize_address(recipient, "recipient")
    canonical = normalize_message_id(message_id)
    signed_in = context.actor.address == address
    with context.store.writing():  # a portal open is a key use, and is audited
        message = context.store.get_message(canonical)
        row = message.recipient(address) if message else None
        if message is None or not (can_read(context.actor, message) or (signed_in and row)):
            raise context.not_visible("portal", canonical)
        if row is None:
            raise NotFound(f"{address} is not a recipient of {message.message_id}")
        problem = _not_served(message, row)
        if problem:
            raise context.refuse("portal", message.message_id, Refused(problem))
        if message.revocation:
            return PortalView(message, address, "revoked", REVOKED_TEXT)
        if message.is_expired(context.clock()):
            return PortalView(message, address, "expired", EXPIRED_TEXT)
        if not signed_in:
            return PortalView(message, address, "available",
                              f"{address} can open the message; its content is shown only to the recipient "
                              f"signed in to the portal (--as {address})")
        content = _open_content(context, message, address)
    return PortalView(message, address, "available", f"Encrypted message from {message.sender}", content["body"],
                      content)


def _not_served(message: Message, row: Recipient) -> str | None:
    """Why the OME portal does not serve this message to this recipient (None if it does)."""
    if message.protection is None:
        return ("the store holds no encryption record for this message (imported from a trace export); the "
                "OME portal does not serve it")
    if not message.is_encrypted:
        return "the message was not encrypted; it was delivered as ordinary mail, not through the OME portal"
    if row.experience is not Experience.LINK_BASED:
        return f"{row.address} gets the native experience: the message is read in Outlook, not in the OME portal"
    return None


def _open_content(context: Context, message: Message, recipient: str) -> dict:
    """The body, opened by the portal's service account (a key use, audited); refused, audited, when its
    content key is gone."""
    wrapped = context.store.get_data_key(message.message_id)
    if message.sealed_content is None or wrapped is None:
        raise context.refuse("portal", message.message_id, Refused(
            f"the content key of {message.message_id} was destroyed; no one can open it"))
    context.audit_as_service(PORTAL_SERVICE, "portal open", message.message_id,
                             f"content opened for the recipient {recipient}")
    plaintext = open_sealed(context.keyring(), PORTAL_CONTENT, message.message_id, message.sealed_content, wrapped)
    content = read_portal_content(plaintext)
    return {"subject": content.get("subject", message.subject), "body": content.get("body", ""),
            "html": content.get("html"), "from": content.get("from", message.sender),
            "to": content.get("to", [r.address for r in message.recipients]),
            "date": content.get("date", message.received.isoformat()),
            "attachments": content.get("attachments", [])}
