"""The help screen: every key binding, with its id and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1", "close", "Close", id="help-close", tooltip="Close the help")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Label("omeconsole keys", id="help-title")
            yield DataTable(id="help-table", cursor_type="row")
            yield Static("Remap any key by its id in the keymap; ctrl+p opens the command palette.",
                         id="help-note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Id")
        for binding in self.bindings:
            table.add_row(binding.key_display or binding.key, binding.tooltip or binding.description, binding.id)

    def action_close(self) -> None:
        self.dismiss(None)
