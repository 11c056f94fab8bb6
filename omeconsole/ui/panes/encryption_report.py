"""The Encryption Report pane: summary charts and the Details table with the Revocation status."""

from __future__ import annotations

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static
from textual.worker import get_current_worker

from omeconsole.core.encryption_report.report import ReportResult, get_encryption_report
from omeconsole.core.encryption_report.rows import ReportRow
from omeconsole.core.encryption_report.summary import summarize
from omeconsole.core.errors import Cancelled, OmeError
from omeconsole.core.mail.model import EncryptionMethod, Protection
from omeconsole.core.text.times import short_time
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import Pane
from omeconsole.ui.panes.message_trace import RANGE_SPANS, ROW_LIMIT
from omeconsole.ui.plain import cell, plain
from omeconsole.ui.widgets.charts import bar_chart
from omeconsole.ui.widgets.paged_table import PagedTable

COLUMNS = (("Date", 16), ("Sender", None, True), ("Recipient", None), ("Subject", None), ("Template", 15, True),
           ("Method", 9, True), ("Revocation", 13))
STATUS_STYLE = {"Revocable": "green", "Revoked": "bold red", "Not revocable": "dim"}


def report_cells(row: ReportRow) -> tuple:
    record = row.to_record()
    return (cell(short_time(row.message.received)), cell(record["SenderAddress"]), cell(record["RecipientAddress"]),
            cell(record["Subject"]), cell(record["EncryptionTemplate"]), cell(record["EncryptionMethod"]),
            cell(record["RevocationStatus"], STATUS_STYLE.get(record["RevocationStatus"], "")))


class ReportPane(Vertical):
    app = getters.app(ConsoleHost)

    def compose(self) -> ComposeResult:
        with Horizontal(id="report-filters"):
            yield Label("Date")
            yield Select([("Last 7 days", "7d"), ("Last 10 days", "10d"), ("Last 90 days", "90d")], value="7d",
                         allow_blank=False, id="report-range", compact=True)
            yield Label("Method")
            yield Select([("Any method", ""), ("By user", "user"), ("By policy", "policy")], value="",
                         allow_blank=False, id="report-method", compact=True)
            yield Label("Template")
            yield Select(self._template_options(), value="", allow_blank=False, id="report-template", compact=True)
        with Horizontal(id="report-summary"):
            yield Static(id="by-method", classes="chart")
            yield Static(id="by-template", classes="chart")
            yield Static(id="top-domains", classes="chart")
        yield PagedTable(COLUMNS, report_cells, empty="No encrypted mail in this range.", id=Pane.REPORT.results_id)

    def _template_options(self) -> list[tuple[Text, str]]:
        names = [t.name for t in self.app.acting_context.tenant.templates if not t.is_default]
        builtin = [Protection.DO_NOT_FORWARD.label, Protection.ENCRYPT_ONLY.label]
        return [(Text("Any template"), "")] + [(plain(name, limit=64), name) for name in builtin + names]

    loaded = False  # the report loads the first time its pane is shown, not at start-up

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.loaded:
            self.refresh_report()

    def refresh_report(self) -> None:
        def value(widget_id: str) -> str:  # each Select here has a value: allow_blank=False
            return str(self.query_one(f"#{widget_id}", Select).value)

        start = self.app.acting_context.clock() - RANGE_SPANS[value("report-range")]
        method = EncryptionMethod(value("report-method")) if value("report-method") else None
        self.loaded = True
        self.query_one(PagedTable).show_loading("Loading the report… (esc cancels)")
        self._load(start, method, value("report-template") or None)

    @property
    def loading_report(self) -> bool:
        return any(w.group == Pane.REPORT and not w.is_finished for w in self.app.workers)

    def cancel_report(self) -> bool:
        """Stop the report loading (at its next day's batch); the rows from before stay, saying so."""
        if not self.loading_report:
            return False
        self.app.workers.cancel_group(self, Pane.REPORT)
        table = self.query_one(PagedTable)
        table.set_records(table.records, keep_page=True, note="cancelled: these rows are from the report before")
        return True

    @work(thread=True, exclusive=True, group=Pane.REPORT)
    def _load(self, start, method, template) -> None:
        worker = get_current_worker()
        try:
            result = get_encryption_report(self.app.acting_context, start=start, method=method, template=template,
                                           limit=ROW_LIMIT, stop=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except OmeError as error:
            self.app.call_from_thread(self.app.notify, str(error), title="Encryption Report", severity="error")
            result = ReportResult([], summarize([]))
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, result)

    def _show(self, result: ReportResult) -> None:
        self._summary = result.summary
        self._draw_charts()
        note = f"the newest {result.limit:,} rows; the charts count all" if result.truncated else ""
        self.query_one(PagedTable).set_records(result.rows, keep_page=True, note=note)

    def on_resize(self) -> None:
        self._draw_charts()

    def _draw_charts(self) -> None:
        """Drawn for the pane's width, so again whenever it changes (a hidden pane has none)."""
        summary = getattr(self, "_summary", None)
        if summary is None or not self.size.width:
            return
        width = max(16, self.size.width // 3 - 4)
        self.query_one("#by-method", Static).update(bar_chart("Method", summary.by_method, width))
        self.query_one("#by-template", Static).update(
            bar_chart("Template", summary.by_template, width, style="magenta"))
        self.query_one("#top-domains", Static).update(
            bar_chart("Top recipient domains", summary.top_domains, width, style="green"))
