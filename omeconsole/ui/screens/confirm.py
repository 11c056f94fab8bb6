"""A question before something that cannot be undone: what it is, then yes (y) or no (n, escape).

The focus starts on Cancel, so a stray Enter changes nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static
from textual.widgets.button import ButtonVariant


class ConfirmScreen(ModalScreen[bool]):
    """Subclasses say the question, what it is about (`body`, literal Text) and the yes button's label."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="confirm-cancel", tooltip="Change nothing"),
        Binding("y", "confirm", "Yes", id="confirm-yes", tooltip="Go ahead, as the dialog says"),
    ]
    question = "Are you sure?"
    yes_label = "Yes (y)"
    yes_variant: ButtonVariant = "error"

    def body(self) -> Text:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(self.question, id="confirm-title")
            with VerticalScroll(id="confirm-scroll"):  # a long one scrolls; the buttons stay in view
                yield Static(self.body(), id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes_label, variant=self.yes_variant, id="confirm")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
