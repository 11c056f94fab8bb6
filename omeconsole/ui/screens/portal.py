"""The portal preview: what one recipient sees in the OME portal."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.model import Message
from omeconsole.core.ome.portal import PortalView
from omeconsole.ui.plain import paragraph, plain
from omeconsole.core.ome.portal import open_in_portal


def portal_text(view: PortalView) -> Text:
    """What the recipient's portal page says: the message, or why it cannot be read."""
    text = plain(f"Signed in as {view.recipient}", style="dim")
    text.append("\n\n")
    if view.body is None:
        text.append_text(plain(view.text, style="bold red" if view.state in ("revoked", "expired") else ""))
        return text
    text.append_text(plain(f"From: {view.message.sender}"))
    text.append("\n")
    text.append_text(plain(f"Subject: {view.message.subject}", style="bold"))
    text.append("\n\n")
    text.append_text(paragraph(view.body))
    return text


class PortalScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="portal-close", tooltip="Close the preview")]

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        options = [(plain(f"{r.address} ({r.experience.value if r.experience else 'no OME record'})"), r.address)
                   for r in self.message.recipients]
        first = next((r.address for r in self.message.link_based_recipients), options[0][1])
        with Vertical(id="portal-dialog"):
            yield Label("OME portal preview", id="portal-title")
            yield Select(options, value=first, allow_blank=False, id="portal-recipient")
            yield Static(id="portal-view")

    def on_mount(self) -> None:
        self._preview(self.query_one(Select).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._preview(event.value)

    @work(thread=True, exclusive=True, group="portal")
    def _preview(self, recipient: str) -> None:
        try:
            text = portal_text(open_in_portal(self.app.context, self.message.message_id, recipient))
        except OmeError as error:
            text = plain(str(error), style="yellow")
        self.app.call_from_thread(self.query_one("#portal-view", Static).update, text)

    def action_close(self) -> None:
        self.dismiss(None)
