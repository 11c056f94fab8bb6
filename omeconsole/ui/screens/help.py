"""The help screen: every key binding, with what it does and its id (the name a Textual keymap uses)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from omeconsole.ui.keymap import KeymapLoad
from omeconsole.ui.plain import plain
from omeconsole.ui.screens.export import EXPORT_OVER_SSH


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1", "close", "Close", id="help-close", tooltip="Close the help")]

    def __init__(self, bindings: list[Binding], keymap: KeymapLoad | None = None) -> None:
        super().__init__()
        self.bindings = bindings
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Label("omeconsole keys", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self._table(), id="help-table")
            yield Static(self._note(), id="help-note")

    def _note(self) -> Text:
        note = Text("Each key has an id, the name a keymap uses; ctrl+p or : opens the command palette.\n")
        if self.keymap is not None:
            note.append_text(plain(self.keymap.summary()))
            for problem in self.keymap.problems:
                note.append("\n")
                note.append_text(plain(f"• {problem}", style="bold"))
        return note

    def _key(self, binding: Binding) -> str:
        """The key as it is now: the keymap's, where it remaps this id."""
        remapped = self.keymap.keymap.get(binding.id or "") if self.keymap else None
        if remapped:
            return ", ".join(self.app.get_key_display(Binding(key, "")) for key in remapped.split(","))
        return self.app.get_key_display(binding)

    def _table(self) -> Table:
        """A Rich table wraps long descriptions, so nothing is cut off on a narrow terminal."""
        table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold", expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does", ratio=1)
        table.add_column("Id", no_wrap=True, style="italic")
        for binding in self.bindings:
            table.add_row(self._key(binding), self._does(binding), binding.id)
        return table

    def _does(self, binding: Binding) -> str:
        """What the key does here: over SSH export is not offered, and the help says what to use instead."""
        if binding.id == "export-csv" and getattr(self.app, "remote", False):
            return f"{binding.tooltip}. {EXPORT_OVER_SSH}"
        return binding.tooltip or binding.description

    def action_close(self) -> None:
        self.dismiss(None)
