"""Export: asks where to write the CSV file, on the person's own machine. The browser door downloads
instead, and over SSH there is no export (the file would land on the server); see ConsoleScreen."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace.export_file import typed_path
from omeconsole.core.message_trace.records import TRACE_PROPERTIES
from omeconsole.ui.pane import Pane
from omeconsole.ui.plain import paragraph, plain

# pane: (file name part, what the person calls it, the CSV columns)
RESULT_EXPORTS = {Pane.TRACE: ("message-trace", "Message Trace", TRACE_PROPERTIES),
                  Pane.REPORT: ("encryption-report", "Encryption Report", REPORT_PROPERTIES)}

EXPORT_OVER_SSH = ("Not over SSH: the file would land on the server. Use the CLI "
                   "(omeconsole trace ... --csv > file, or report ... --csv) or the browser door.")

NOTE = ("A new file, readable only by you (0600); an existing file, a link and the store directory are "
        "refused.\nEnter writes · Esc cancels")


def rows_line(rows: int) -> str:
    if rows == 0:
        return "The result is empty: the file will hold the column names only. Write it to:"
    if rows == 1:
        return "The one row of the result. Write it to:"
    return f"All {rows:,} rows of the result, on every page. Write them to:"


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel", tooltip="Close without exporting")]

    def __init__(self, what: str, rows: int, path: Path) -> None:
        super().__init__()
        self.what = what
        self.rows = rows
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(f"Export the {self.what} to CSV", id="export-title")
            yield Static(plain(rows_line(self.rows)), id="export-rows")
            yield Input(value=str(self.path), id="export-path")
            yield Static("", id="export-error")
            yield Static(paragraph(NOTE), id="export-note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """What the person typed is checked here; where it may go, by the export itself (a toast)."""
        event.stop()
        try:
            self.dismiss(typed_path(event.value))
        except UsageError as error:
            error_line = self.query_one("#export-error", Static)
            error_line.update(plain(str(error), style="yellow"))
            error_line.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)
