"""The Message Trace pane: the Get-MessageTrace search form and its results, one row per recipient."""

from __future__ import annotations

from textual import getters, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Button, Input, Label, Select
from textual.worker import get_current_worker

from omeconsole.core.errors import Cancelled, OmeError, UsageError
from omeconsole.core.mail.model import TraceStatus
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import TraceResult, TraceRow
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.preferences.personal import Preferences
from omeconsole.core.search_process import TraceRequest
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.ui.form_values import date_range, field_value
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import Pane
from omeconsole.ui.plain import cell
from omeconsole.ui.searching import searched
from omeconsole.ui.states import state_text
from omeconsole.ui.time_shown import shown_time
from omeconsole.ui.widgets.column_fit import Column
from omeconsole.ui.widgets.paged_table import PagedTable

RANGES = [("Last 48 hours", "48h"), ("Last 7 days", "7d"), ("Last 10 days", "10d"), ("Last 90 days", "90d"),
          ("Custom range", "custom")]
SUBJECT_FILTERS = [("contains", "contains"), ("starts with", "startswith"), ("ends with", "endswith")]
FORM_FIELDS = {"sender": "sender", "recipient": "recipient", "range": "range", "start": "start", "end": "end",
               "status": "status", "message_id": "message-id", "subject": "subject", "subject_filter": "subject-filter"}
FIELD_TYPES: dict[str, type[Input] | type[Select]] = {
    name: Select if name in ("range", "status", "subject_filter") else Input for name in FORM_FIELDS}
DEFAULTS = {"range": "10d", "status": "", "subject_filter": "contains"}
ROW_LIMIT = 50_000  # the newest rows a search shows; a narrower search shows older ones
# Narrow, the Message ID column goes first (the peek still shows it), then Status, Recipient and Sender;
# Received and Subject stay.
COLUMNS = (
    Column("Received", 16, 16, sort_key=lambda row: row.received, clock=True),
    Column("Sender", 8, 60, drop=1, sort_key=lambda row: row.message.sender),
    Column("Recipient", 8, 60, drop=2, sort_key=lambda row: row.recipient.address),
    Column("Subject", 8, 200, sort_key=lambda row: row.message.subject.casefold()),
    Column("Status", 8, 20, drop=3, sort_key=lambda row: row.recipient.status_shown),
    Column("Message ID", 24, 80, drop=4, wide_only=160, sort_key=lambda row: row.message.message_id),
)


def trace_cells(row: TraceRow) -> tuple:
    return (cell(shown_time(row.received)), cell(row.message.sender), cell(row.recipient.address),
            cell(row.message.subject), state_text(row.recipient.status_shown), cell(row.message.message_id))


def trace_text(row: TraceRow) -> str:
    """What `/` searches in a row: every column's text, shown or not."""
    return "\t".join((shown_time(row.received), row.message.sender, row.recipient.address, row.message.subject,
                      row.recipient.status_shown, row.message.message_id))


def message_id_of(row) -> str:
    return row.message.message_id


class TracePane(Vertical):
    """Search form above, paged results below. Searching runs in a worker."""

    app = getters.app(ConsoleHost)

    def compose(self) -> ComposeResult:
        with Grid(id="trace-form"):
            yield Label("Sender")
            yield Input(placeholder="address or *@domain", id="sender", compact=True)
            yield Label("Recipient")
            yield Input(placeholder="address or *@domain", id="recipient", compact=True)
            yield Label("Date range")
            yield Select(RANGES, value="10d", allow_blank=False, id="range", compact=True)
            yield Label("Status")
            yield Select([("Any status", "")] + [(s.value, s.value) for s in TraceStatus], value="",
                         allow_blank=False, id="status", compact=True)
            yield Label("Start", classes="custom")
            yield Input(placeholder="2026-11-01 (UTC)", id="start", compact=True, classes="custom")
            yield Label("End", classes="custom")
            yield Input(placeholder="2026-11-20T18:00", id="end", compact=True, classes="custom")
            yield Label("Message ID")
            yield Input(placeholder="paste it in any shape", id="message-id", compact=True)
            yield Label("Subject")
            yield Input(placeholder="text", id="subject", compact=True)
            yield Label("Subject is")
            yield Select(SUBJECT_FILTERS, value="contains", allow_blank=False, id="subject-filter", compact=True)
            yield Button("Searches", id="searches", compact=True, tooltip="Saved and recent searches (ctrl+o)")
            yield Button("Search", id="search", variant="primary", compact=True)
        yield PagedTable(COLUMNS, trace_cells, empty="No messages match this search.", text_of=trace_text,
                         message_id=message_id_of, id=Pane.TRACE.results_id)

    def on_mount(self) -> None:
        self._show_custom(False)
        # The first frame is drawn before the search competes with it; the console ran it, not the person,
        # so it is not one of their recent searches.
        self.call_after_refresh(self.search, False)

    searched: dict[str, str] | None = None  # the form as the last search read it
    told_recall_off = False  # the person was told once why their searches cannot be remembered

    def on_select_changed(self, event: Select.Changed) -> None:
        """A Select re-runs the search, except Custom range, which waits for its Start and End and Enter.
        A Select set by filling the form (a recalled search) changes nothing the search did not read."""
        event.stop()
        if event.select.id == "range":
            self._show_custom(event.value == "custom")
            if event.value == "custom":
                self.query_one("#start", Input).focus()
                return
        if self.searched is not None and self.form_fields() != self.searched:  # not the Selects' first values
            self.search()

    def form_fields(self) -> dict[str, str]:
        """The form as a person filled it, field by field: what a saved or recent search keeps."""
        return {name: field_value(self, widget_id) for name, widget_id in FORM_FIELDS.items()}

    def fill_form(self, fields: dict[str, str]) -> None:
        """Put a search into the form, as the person will see it, and run it."""
        for name, widget_id in FORM_FIELDS.items():
            widget = self.query_one(f"#{widget_id}", FIELD_TYPES[name])
            value = fields.get(name, "")
            if isinstance(widget, Select):
                known = {option_value for _, option_value in widget._options}
                widget.value = value if value in known else DEFAULTS[name]
            else:
                widget.value = value
        self._show_custom(self.query_one("#range", Select).value == "custom")
        self.search()

    def _show_custom(self, shown: bool) -> None:
        for widget in self.query(".custom"):
            widget.display = shown

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "search":
            event.stop()
            self.search()
        elif event.button.id == "searches":
            event.stop()
            self.app.run_console_action("recall_search")

    def build_query(self) -> TraceQuery:
        """The form as a TraceQuery; a UsageError names the field that is wrong."""
        def value(widget_id: str) -> str:
            return field_value(self, widget_id)

        start, end = date_range(value("range"), value("start"), value("end"), self.app.acting_context.clock())
        return TraceQuery(
            senders=parse_patterns([value("sender")]), recipients=parse_patterns([value("recipient")]),
            start=start, end=end, statuses=[TraceStatus(value("status"))] if value("status") else [],
            message_id=value("message-id").strip() or None, subject=value("subject").strip() or None,
            subject_filter=value("subject-filter"),
        )

    def search(self, remember: bool = True) -> None:
        try:
            query = self.build_query()
        except UsageError as error:
            self.app.notify(str(error), title="Message Trace", severity="error")
            return
        self.searched = self.form_fields()
        self.query_one(PagedTable).show_loading("Searching… (esc cancels)")
        self._run_search(query)
        if remember:
            self._remember(self.searched)

    @work(thread=True, group="preferences")
    def _remember(self, fields: dict[str, str]) -> None:
        """The last searches are kept for the person (EAC's autosaved queries); if they cannot be, the
        search still runs, and the person is told once why recall is off."""
        try:
            Preferences(self.app.acting_context).remember(fields)
        except OmeError as error:
            if not self.told_recall_off:
                self.told_recall_off = True
                self.app.call_from_thread(self.app.notify, str(error), title="Recent searches", severity="warning")

    @property
    def searching(self) -> bool:
        return any(w.group == Pane.TRACE and not w.is_finished for w in self.app.workers)

    def cancel_search(self) -> bool:
        """Stop the running search (it ends at its next day's batch); the rows from before stay, saying so."""
        if not self.searching:
            return False
        self.app.workers.cancel_group(self, Pane.TRACE)
        self.query_one(PagedTable).stop_loading("search cancelled: these rows are from the search before")
        return True

    @work(thread=True, exclusive=True, group=Pane.TRACE)
    def _run_search(self, query: TraceQuery) -> None:
        """In the console's search process when the search is big enough to take more than a frame, else here;
        a newer search (exclusive) or Esc cancels it, in the search process too."""
        worker = get_current_worker()
        context = self.app.acting_context

        def stop() -> bool:
            return worker.is_cancelled

        def in_thread() -> TraceResult:
            return get_message_trace(context, query, limit=ROW_LIMIT, stop=stop)

        try:
            result = searched(self.app, context, TraceRequest(query, ROW_LIMIT), in_thread, stop, "Message Trace")
        except Cancelled:
            return  # cancelled by the person or by a newer search, which draws its own rows
        except OmeError as error:
            self.app.call_from_thread(self.app.notify, str(error), title="Message Trace", severity="error")
            result = TraceResult([])
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, result)

    def _show(self, result: TraceResult) -> None:
        note = f"the newest {result.limit:,} rows; narrow the search for older ones" if result.truncated else ""
        self.query_one(PagedTable).set_records(result.rows, note=note)
