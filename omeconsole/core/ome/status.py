"""Get-OMEMessageStatus: IsRevocable (as for an admin), Revoked, every reason, and the content key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omeconsole.core.context import Context
from omeconsole.core.mail.model import Message
from omeconsole.core.rules import RevocationDecision

ContentKeyState = Literal["present", "destroyed", "none"]


@dataclass(frozen=True)
class StatusResult:
    message: Message
    decision: RevocationDecision
    content_key: ContentKeyState

    def to_record(self) -> dict:
        return {
            "MessageId": self.message.message_id, "Subject": self.message.subject,
            "IsRevocable": self.decision.is_revocable, "Revoked": self.decision.revoked,
            "ContentKey": self.content_key, "Reasons": list(self.decision.reasons),
        }


def get_ome_message_status(context: Context, message_id: str) -> StatusResult:
    with context.store.reading():
        message = context.load(message_id, "status")
        content_key = content_key_state(context, message)
    return StatusResult(message, context.decide(message), content_key)


def content_key_state(context: Context, message: Message) -> ContentKeyState:
    """present; destroyed (by revocation or purge); or none: no portal copy (imported mail)."""
    if message.sealed_content is None:
        return "none"
    if message.revocation and message.message_id in context.store.keys_awaiting_destruction():
        return "destroyed"  # a revocation a crash interrupted; the next change finishes it
    return "present" if context.store.get_data_key(message.message_id) else "destroyed"
