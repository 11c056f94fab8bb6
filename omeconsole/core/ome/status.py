"""Get-OMEMessageStatus: IsRevocable (as for an admin), Revoked, every reason, and the content key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from omeconsole.core.context import Context
from omeconsole.core.mail.model import Message
from omeconsole.core.rules import RevocationDecision
from omeconsole.core.text.times import format_iso

ContentKeyState = Literal["present", "destroyed", "none"]


@dataclass(frozen=True)
class StatusResult:
    message: Message
    decision: RevocationDecision
    content_key: ContentKeyState
    # each link-based recipient who has a portal link (mail that came through serve mail): every time
    # the message was opened in the OME portal through it, oldest first
    portal_opens: dict[str, tuple[datetime, ...]] = field(default_factory=dict)

    def to_record(self) -> dict:
        record = {
            "MessageId": self.message.message_id, "Subject": self.message.subject,
            "IsRevocable": self.decision.is_revocable, "Revoked": self.decision.revoked,
            "ContentKey": self.content_key, "Reasons": list(self.decision.reasons),
        }
        if self.portal_opens:
            record["PortalOpened"] = [_opened(address, opens) for address, opens in self.portal_opens.items()]
        return record


def _opened(address: str, opens: tuple[datetime, ...]) -> str:
    if not opens:
        return f"{address}: not opened"
    return f"{address}: first opened {format_iso(opens[0])}" + (f", {len(opens)} times" if len(opens) > 1 else "")


def get_ome_message_status(context: Context, message_id: str) -> StatusResult:
    with context.store.reading():
        message = context.load(message_id, "status")
        content_key = content_key_state(context, message)
        opens = portal_opens(context, message)
    return StatusResult(message, context.decide(message), content_key, opens)


def portal_opens(context: Context, message: Message) -> dict[str, tuple[datetime, ...]]:
    """When each link-based recipient opened the message in the OME portal (one small file per link)."""
    opens = {}
    for row in message.link_based_recipients:
        link = context.store.get_portal_link(row.link_id) if row.link_id else None
        if link is not None:
            opens[row.address] = tuple(link.opened)
    return opens


def content_key_state(context: Context, message: Message) -> ContentKeyState:
    """present; destroyed (by revocation or purge); or none: no portal copy (imported mail)."""
    if message.sealed_content is None:
        return "none"
    if message.revocation and message.message_id in context.store.keys_awaiting_destruction():
        return "destroyed"  # a revocation a crash interrupted; the next change finishes it
    return "present" if context.store.get_data_key(message.message_id) else "destroyed"
