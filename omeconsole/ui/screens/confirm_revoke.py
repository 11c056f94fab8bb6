"""The confirmation before a revoke: which message (subject, Message ID, every recipient), and who loses access."""

from __future__ import annotations

from rich.text import Text

from omeconsole.core.mail.model import Message
from omeconsole.core.tenant.model import Experience
from omeconsole.ui.plain import plain
from omeconsole.ui.screens.confirm import ConfirmScreen


class ConfirmRevokeScreen(ConfirmScreen):
    yes_label = "Revoke (y)"

    def __init__(self, message: Message, acting_as: str) -> None:
        super().__init__()
        self.message = message
        self.acting_as = acting_as
        self.question = "Remove external access?" if acting_as == "sender" else "Revoke this message?"

    def body(self) -> Text:
        body = Text()
        body.append("Subject     ", style="italic")
        body.append_text(plain(self.message.subject, style="bold", limit=300))
        body.append("\nMessage ID  ", style="italic")
        body.append_text(plain(self.message.message_id))
        body.append("\nSender      ", style="italic")
        body.append_text(plain(self.message.sender))
        body.append("\n\nThese link-based recipients lose access in the OME portal:\n")
        for recipient in self.message.link_based_recipients:
            body.append("  • ")
            body.append_text(plain(recipient.address, style="bold"))
            body.append("\n")
        native = [r for r in self.message.recipients if r.experience is Experience.NATIVE]
        if native:
            body.append("Untouched: their copies live in their mailboxes (native experience):\n", style="italic")
            for recipient in native:
                body.append("  • ", style="italic")
                body.append_text(plain(recipient.address, style="italic"))
                body.append("\n")
        body.append("\nThis cannot be undone: the portal copy's content key is destroyed.", style="yellow")
        return body
