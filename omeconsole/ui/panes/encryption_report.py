"""The Encryption Report pane: summary charts and the Details table with the Revocation status."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static
from textual.worker import get_current_worker

from omeconsole.core.encryption_report.report import ReportFilter, ReportResult, get_encryption_report
from omeconsole.core.encryption_report.rows import REVOCATION_STATUSES, ReportRow
from omeconsole.core.encryption_report.summary import summarize
from omeconsole.core.errors import Cancelled, OmeError, UsageError
from omeconsole.core.mail.model import EncryptionMethod, Protection
from omeconsole.core.search_process import ReportRequest
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.ui.form_values import date_range, field_value
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import Pane
from omeconsole.ui.panes.message_trace import ROW_LIMIT, message_id_of
from omeconsole.ui.plain import cell, plain
from omeconsole.ui.searching import searched
from omeconsole.ui.states import state_text
from omeconsole.ui.time_shown import shown_time
from omeconsole.ui.widgets.charts import bar_chart
from omeconsole.ui.widgets.column_fit import Column
from omeconsole.ui.widgets.paged_table import PagedTable

FIRST_ROWS = 1_000  # shown with the charts before the rest of the newest ROW_LIMIT rows are read

# Narrow, the Message ID column goes first (the peek still shows it), then Protection, Recipient, Sender and
# Subject: Template and Method are what the report is about.
COLUMNS = (
    Column("Date", 16, 16, sort_key=lambda row: row.message.received, clock=True),
    Column("Sender", 8, 60, drop=2, sort_key=lambda row: row.message.sender),
    Column("Recipient", 8, 60, drop=3, sort_key=lambda row: row.recipient.address),
    Column("Subject", 8, 200, drop=1, sort_key=lambda row: row.message.subject.casefold()),
    Column("Protection", 10, 14, drop=4, sort_key=lambda row: row.to_record()["Protection"]),
    Column("Template", 10, 40, sort_key=lambda row: row.to_record()["BrandingTemplate"]),
    Column("Method", 6, 9, sort_key=lambda row: row.to_record()["EncryptionMethod"]),
    Column("Revocation", 12, 15, sort_key=lambda row: row.revocation_status),
    Column("Message ID", 24, 80, drop=5, wide_only=160, sort_key=lambda row: row.message.message_id),
)
RANGES = [("Last 7 days", "7d"), ("Last 10 days", "10d"), ("Last 90 days", "90d"), ("Custom range", "custom")]
STATUSES = [("Any status", "")] + [(status, status) for status in REVOCATION_STATUSES]
PROTECTIONS = [("Any protection", ""), (Protection.ENCRYPT_ONLY.label, Protection.ENCRYPT_ONLY.value),
               (Protection.DO_NOT_FORWARD.label, Protection.DO_NOT_FORWARD.value)]
COUNT_TITLES = {"messages": "messages", "recipients": "recipient rows, as the table does"}
CHART_UNITS = {"messages": "messages", "recipients": "recipients"}  # the word each chart's title ends with


def report_cells(row: ReportRow) -> tuple:
    record = row.to_record()
    return (cell(shown_time(row.message.received)), cell(record["SenderAddress"]), cell(record["RecipientAddress"]),
            cell(record["Subject"]), cell(record["Protection"]), cell(record["BrandingTemplate"]),
            cell(record["EncryptionMethod"]), state_text(record["RevocationStatus"]), cell(record["MessageId"]))


def report_text(row: ReportRow) -> str:
    """What `/` searches in a row: every column's text, shown or not."""
    return "\t".join(str(value) for value in row.to_record().values())


def _leaders(charts) -> Text:
    """With no room for the charts, each one's leader on a line: the answer a chart gives at a glance."""
    leaders = Text("\nMost: ", style="italic")
    for n, (_, title, pairs, _) in enumerate(charts):
        if pairs:
            label, count = pairs[0]
            leaders.append(f"{' · ' if n else ''}{title} ", style="italic")
            leaders.append_text(plain(label, style="bold", limit=40))
            leaders.append(f" {count:,}")
    return leaders


class ReportPane(Vertical):
    app = getters.app(ConsoleHost)

    BINDINGS = [Binding("m", "count_by", "Count by", show=False, id="report-count-by",
                        tooltip="Count the charts by message or by recipient row (as the table and CSV do)")]

    counted = "messages"  # what the charts count: messages, or recipient rows

    def compose(self) -> ComposeResult:
        with Grid(id="report-filters"):
            yield Label("Date")
            yield Select(RANGES, value="7d", allow_blank=False, id="report-range", compact=True)
            yield Label("Method")
            yield Select([("Any method", ""), ("By user", "user"), ("By policy", "policy")], value="",
                         allow_blank=False, id="report-method", compact=True)
            yield Label("Start", classes="report-custom")
            yield Input(placeholder="2026-11-01 (UTC)", id="report-start", compact=True, classes="report-custom")
            yield Label("End", classes="report-custom")
            yield Input(placeholder="2026-11-20T18:00", id="report-end", compact=True, classes="report-custom")
            yield Label("Protection")
            yield Select(PROTECTIONS, value="", allow_blank=False, id="report-protection", compact=True)
            yield Label("Template")
            yield Select(self._template_options(), value="", allow_blank=False, id="report-template", compact=True)
            yield Label("Sender")
            yield Input(placeholder="address or *@domain", id="report-sender", compact=True)
            yield Label("Recipient")
            yield Input(placeholder="address or *@domain", id="report-recipient", compact=True)
            yield Label("Revocation")
            yield Select(STATUSES, value="", allow_blank=False, id="report-status", compact=True)
        yield Static(id="report-counting")
        with Horizontal(id="report-summary"):
            for chart_id in ("by-method", "by-protection", "by-template", "top-domains"):
                yield Static(id=chart_id, classes="chart")
        yield PagedTable(COLUMNS, report_cells, empty="No encrypted mail in this range.", text_of=report_text,
                         message_id=message_id_of, id=Pane.REPORT.results_id)

    def on_mount(self) -> None:
        self._show_custom(False)

    def _show_custom(self, shown: bool) -> None:
        for widget in self.query(".report-custom"):
            widget.display = shown

    def _template_options(self) -> list[tuple[Text, str]]:
        """The branding templates alone: protection has its own filter."""
        names = [t.name for t in self.app.acting_context.tenant.templates if not t.is_default]
        default = f"{DEFAULT_TEMPLATE} (default)"
        return [(Text("Any template"), ""), (Text(default), default)] + [(plain(name, limit=64), name)
                                                                          for name in names]

    loaded = False  # the report loads the first time its pane is shown, not at start-up

    def on_select_changed(self, event: Select.Changed) -> None:
        """A Select re-runs the report, except Custom range, which waits for Start, End and Enter."""
        event.stop()
        if event.select.id == "report-range":
            self._show_custom(event.value == "custom")
            if event.value == "custom":
                self.query_one("#report-start", Input).focus()
                return
        if self.loaded:
            self.refresh_report()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.refresh_report()

    def action_count_by(self) -> None:
        self.counted = "recipients" if self.counted == "messages" else "messages"
        self._draw_charts()

    def _filters(self) -> tuple[datetime | None, datetime | None, ReportFilter]:
        """The form as the core's filter; a UsageError names the field that is wrong."""
        def value(widget_id: str) -> str:
            return field_value(self, widget_id)

        start, end = date_range(value("report-range"), value("report-start"), value("report-end"),
                                self.app.acting_context.clock(), whole_days=True)
        return start, end, ReportFilter(
            method=EncryptionMethod(value("report-method")) if value("report-method") else None,
            protection=Protection(value("report-protection")) if value("report-protection") else None,
            branding_template=value("report-template") or None,
            senders=tuple(parse_patterns([value("report-sender")])),
            recipients=tuple(parse_patterns([value("report-recipient")])),
            revocation_status=value("report-status") or None)

    def refresh_report(self) -> None:
        try:
            start, end, filters = self._filters()
        except UsageError as error:
            self.app.notify(str(error), title="Encryption Report", severity="error")
            return
        self.loaded, self._more = True, False
        self.query_one(PagedTable).show_loading("Loading the report… (esc cancels)")
        self._load(start, end, filters)

    @property
    def loading_report(self) -> bool:
        return any(w.group == Pane.REPORT and not w.is_finished for w in self.app.workers)

    def cancel_report(self) -> bool:
        """Stop the report loading (at its next day's batch); the rows from before stay, saying so."""
        if not self.loading_report:
            return False
        self.app.workers.cancel_group(self, Pane.REPORT)
        table = self.query_one(PagedTable)
        table.stop_loading(f"stopped at the newest {len(table.records):,} rows; the charts count all" if self._more
                           else "cancelled: these rows are from the report before")
        return True

    @work(thread=True, exclusive=True, group=Pane.REPORT)
    def _load(self, start, end, filters: ReportFilter) -> None:
        """The first page and the charts first (the newest day or two), then the newest ROW_LIMIT rows."""
        worker = get_current_worker()
        for limit in (FIRST_ROWS, ROW_LIMIT):
            try:
                result = self._report(worker, start, end, filters, limit)
            except Cancelled:
                return
            except OmeError as error:
                self.app.call_from_thread(self.app.notify, str(error), title="Encryption Report", severity="error")
                result = ReportResult([], summarize([]))
            if worker.is_cancelled:
                return
            more = limit == FIRST_ROWS and result.truncated
            self.app.call_from_thread(self._show, result, more)
            if not more:
                return

    def _report(self, worker, start, end, filters: ReportFilter, limit: int) -> ReportResult:
        """In the console's search process when the report covers enough days to take more than a frame, else
        in this worker; a newer load (exclusive) or Esc cancels it, in the search process too."""
        context = self.app.acting_context

        def stop() -> bool:
            return worker.is_cancelled

        def in_thread() -> ReportResult:
            return get_encryption_report(context, start=start, end=end, limit=limit, stop=stop, filters=filters)

        return searched(self.app, context, ReportRequest(start, end, filters, limit), in_thread, stop,
                        "Encryption Report")

    def _show(self, result: ReportResult, more: bool = False) -> None:
        """more: these are the first rows; the rest are being read (the row line says so)."""
        self._summary, self._more = result.summary, more
        self._draw_charts()
        note = f"the newest {result.limit:,} rows; the charts count all" if result.truncated else ""
        table = self.query_one(PagedTable)
        table.set_records(result.rows, keep_page=True, note=note)
        if more:
            table.show_loading(f"the newest {len(result.rows):,} rows; loading more… (esc stops)")

    CHARTS_FROM_HEIGHT = 30  # below it the charts give their rows to the table; the counting line says so

    def on_resize(self) -> None:
        self.query_one("#report-summary").display = self.size.height >= self.CHARTS_FROM_HEIGHT
        self._draw_charts()

    def _draw_charts(self) -> None:
        """Drawn for the pane's width, so again whenever it changes (a hidden pane has none). Each title says
        what it counts; m counts the other way."""
        summary = getattr(self, "_summary", None)
        if summary is None or not self.size.width:
            return
        views, what = summary.views(self.counted), COUNT_TITLES[self.counted]
        width = max(16, self.size.width // 4 - 4)
        charts = (("by-method", "Method", views.by_method, "cyan"),
                  ("by-protection", "Protection", views.by_protection, "blue"),
                  ("by-template", "Template", views.by_branding_template, "magenta"),
                  ("top-domains", "Top domains", views.top_domains, "green"))
        for chart_id, title, pairs, style in charts:
            self.query_one(f"#{chart_id}", Static).update(
                bar_chart(f"{title} · {CHART_UNITS[self.counted]}", pairs, width, style=style))
        counting = Text.assemble(("Charts count ", "italic"), (what, "bold"),
                                 (f" ({summary.total(self.counted):,}) · m: {self._other()}", "italic"))
        if not self.query_one("#report-summary").display:
            template, protection, method, domains = charts[2], charts[1], charts[0], charts[3]
            counting.append_text(_leaders((template, protection, method, domains)))  # what is asked most, first
        self.query_one("#report-counting", Static).update(counting)

    def _other(self) -> str:
        return "recipient rows" if self.counted == "messages" else "messages"
