"""The confirmation before a revoke: what is revoked, and who loses access."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from omeconsole.core.model import Message


class ConfirmRevokeScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="revoke-cancel", tooltip="Keep the message as it is"),
        Binding("y", "confirm", "Revoke", id="revoke-confirm", tooltip="Revoke the message now"),
    ]

    def __init__(self, message: Message, acting_as: str) -> None:
        super().__init__()
        self.message = message
        self.acting_as = acting_as

    def compose(self) -> ComposeResult:
        title = "Remove external access?" if self.acting_as == "sender" else "Revoke this message?"
        body = Text()
        body.append("Subject     ", style="dim")
        body.append(f"{self.message.subject}\n", style="bold")
        body.append("Message ID  ", style="dim")
        body.append(f"{self.message.message_id}\n\n")
        body.append("These link-based recipients lose access in the OME portal:\n")
        for recipient in self.message.link_based_recipients:
            body.append(f"  • {recipient.address}\n", style="bold")
        body.append("\nNative copies in recipients' mailboxes are untouched. This cannot be undone: the portal "
                    "copy's content key is destroyed.", style="yellow")
        with Vertical(id="confirm-dialog"):
            yield Label(title, id="confirm-title")
            yield Static(body, id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button("Revoke (y)", variant="error", id="confirm")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
