"""Message ID lookup: paste an ID in any shape, from anywhere, with one key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from omeconsole.core.errors import UsageError
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.ui.plain import plain


class LookupScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="lookup-cancel", tooltip="Close without looking up")]

    def compose(self) -> ComposeResult:
        with Vertical(id="lookup-dialog"):
            yield Label("Look up a Message ID", id="lookup-title")
            yield Input(placeholder="<...@...prod.outlook.com>  (brackets, spaces and a trailing dot are fine)",
                        id="lookup-input")
            yield Static("", id="lookup-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(normalize_message_id(event.value))
        except UsageError as error:
            self.query_one("#lookup-error", Static).update(plain(str(error), style="yellow"))

    def action_cancel(self) -> None:
        self.dismiss(None)
