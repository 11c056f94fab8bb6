"""The portal preview: what one recipient sees in the OME portal."""

from __future__ import annotations

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.model import Message
from omeconsole.core.ome.portal import PortalView, open_in_portal
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.plain import paragraph, plain


def portal_text(view: PortalView) -> Text:
    """What the recipient's portal page says: the message, or why it cannot be read."""
    text = plain(f"Signed in as {view.recipient}", style="italic")
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

    app = getters.app(ConsoleHost)

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

    def on_mount(self) -> None:  # the Select's values are addresses, and it has one (allow_blank=False)
        self._open_for(str(self.query_one(Select).value))

    def on_select_changed(self, event: Select.Changed) -> None:
        self._open_for(str(event.value))

    def _open_for(self, recipient: str) -> None:
        """The portal reads the store, and may open the content: in a worker, saying so meanwhile."""
        self.query_one("#portal-view", Static).update(plain(f"Opening the portal as {recipient}…", style="italic"))
        self._preview(recipient)

    @work(thread=True, exclusive=True, group="portal")
    def _preview(self, recipient: str) -> None:
        try:
            text = portal_text(open_in_portal(self.app.acting_context, self.message.message_id, recipient))
        except OmeError as error:
            text = plain(str(error), style="yellow")
        self.app.call_from_thread(self.query_one("#portal-view", Static).update, text)

    def action_close(self) -> None:
        self.dismiss(None)
