"""Set-OMEMessageRevocation -Revoke $true, and the sender's Remove external access: one service."""

from __future__ import annotations

from omeconsole.core.context import Context
from omeconsole.core.errors import NotFound, Refused
from omeconsole.core.mail.model import Message, Revocation
from omeconsole.core.rules import can_read
from omeconsole.core.text.message_ids import normalize_message_id


def set_ome_message_revocation(context: Context, message_id: str) -> Message:
    """Revoke the message when the status check allows this identity to; audited before it is done."""
    canonical = normalize_message_id(message_id)
    with context.store.writing():
        context.reload_tenant()
        message = context.store.get_message(canonical)
        if message is None or not can_read(context.actor, message):  # a change attempt: audited for anyone
            context.audit("revoke", canonical, "refused", "no such message among those this identity may see")
            raise NotFound(f"no message with Message ID {canonical}")
        decision = context.decide(message)
        if not decision.allowed or decision.acting_as is None:
            error = Refused(f"{canonical} cannot be revoked by {context.actor.address}: "
                            + "; ".join(decision.all_reasons), decision.all_reasons)
            raise context.refuse("revoke", canonical, error)
        revocation = Revocation(context.clock(), context.actor.address, decision.acting_as, context.origin)
        lost = ", ".join(r.address for r in message.link_based_recipients)
        context.audit("revoke", canonical, "success",
                      f"as {decision.acting_as}; link-based recipients who lose access: {lost}; "
                      "the portal copy's content key is destroyed")
        context.store.revoke({canonical: revocation})
    message.revocation = revocation
    return message
