"""A link-based recipient's link to the OME portal: an unguessable token in the wrapper mail.

The token is a bearer secret, so the store never keeps it: it keeps the token's SHA-256 (the
link ID), with what the portal needs to know about that link: which message and recipient it
opens, the one-time passcodes issued for it (as keyed hashes), failed tries, a lock, and every
time the message was opened through it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from omeconsole.core.text.times import format_iso, load_iso

LINK_PATH = "/m/"  # a recipient's link is f"{portal_url}/m/{token}"
TOKEN_BYTES = 24  # 192 random bits


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def link_id(token: str) -> str:
    """What the store keeps in the token's place (surrogates and all, so any text hashes)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_url(portal_url: str, token: str) -> str:
    return f"{portal_url.rstrip('/')}{LINK_PATH}{token}"


@dataclass
class PortalLink:
    link_id: str
    message_id: str
    recipient: str
    created: datetime
    passcodes: list[dict] = field(default_factory=list)  # {"hash", "issued", "expires"}, newest last
    failures: int = 0
    locked_until: datetime | None = None
    opened: list[datetime] = field(default_factory=list)

    def to_doc(self) -> dict:
        return {"link_id": self.link_id, "message_id": self.message_id, "recipient": self.recipient,
                "created": format_iso(self.created), "passcodes": list(self.passcodes), "failures": self.failures,
                "locked_until": format_iso(self.locked_until), "opened": [format_iso(t) for t in self.opened]}

    @classmethod
    def from_doc(cls, doc: dict) -> PortalLink:
        return cls(link_id=str(doc["link_id"]), message_id=str(doc["message_id"]), recipient=str(doc["recipient"]),
                   created=load_iso(doc["created"]), passcodes=[dict(p) for p in doc.get("passcodes", [])],
                   failures=int(doc.get("failures", 0)), locked_until=load_iso(doc.get("locked_until")),
                   opened=[load_iso(t) for t in doc.get("opened", [])])
