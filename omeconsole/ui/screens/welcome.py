"""An empty store: offer to create the Contoso demo tenant in it."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from omeconsole.ui.plain import paragraph


class WelcomeScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape,q", "quit_app", "Quit", id="welcome-quit", tooltip="Quit without creating anything"),
                Binding("d", "create", "Create demo", id="welcome-demo", tooltip="Create the Contoso demo tenant")]

    def __init__(self, store: Path, reason: str) -> None:
        super().__init__()
        self.store = store
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome-dialog"):
            yield Label("Welcome to omeconsole", id="welcome-title")
            yield Static(paragraph(f"{self.reason}\n\nCreate the Contoso demo tenant in {self.store}? It holds 300 "
                                   "messages over 90 days covering every revocation case. For a tenant of your own, "
                                   "quit and run 'omeconsole init'."))
            with Horizontal(id="welcome-buttons"):
                yield Button("Create demo (d)", variant="primary", id="create")
                yield Button("Quit (q)", id="quit")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "create")

    def action_create(self) -> None:
        self.dismiss(True)

    def action_quit_app(self) -> None:
        self.dismiss(False)
