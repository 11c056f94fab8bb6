"""The Key manager pane: key versions and the next rollover, access requests, the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from omeconsole.core.audit.trail import AuditTrail, Verification
from omeconsole.core.dkm.access_request import AccessRequest
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.key_manager import KeyManager, KeyringStatus
from omeconsole.core.errors import OmeError, Refused
from omeconsole.core.text.untrusted import shown
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import Pane
from omeconsole.ui.plain import cell, plain
from omeconsole.ui.states import state_text
from omeconsole.ui.time_shown import audit_time, labelled_time, shown_time, with_zone, zone_label

LOADING = "Loading the key manager…"
REQUEST_COLUMNS = ("Id", "Requester", "State", "Duration", "Time left", "Approved by", "Reason")
REASON_CELL = 60  # the table cuts a reason here, with …; the peek under it shows the whole reason
PEEK_REASON = 2_000  # ...wrapped, up to here (four times what the core takes; an edited store may hold more)
AUDIT_ROWS = 200  # the newest audit entries the pane shows, read from the log's tail


def request_cells(request: AccessRequest, now) -> tuple:
    """Id, Requester, State, Duration, Time left, Approved by, Reason: a row of the access requests table."""
    record = request.to_record(now)
    return (cell(request.id), cell(request.requester), state_text(record["State"]), cell(record["Duration"]),
            cell(record["TimeLeft"]), cell(", ".join(record["ApprovedBy"])), plain(request.reason, limit=REASON_CELL))


def request_peek(request: AccessRequest | None, now) -> Text:
    """The highlighted request in full, under the table: what the approvers read before they decide."""
    if request is None:
        return Text("No access request is highlighted.", style="italic")
    record = request.to_record(now)
    peek = Text()
    for label, value in (("Id", request.id), ("Requester", request.requester), ("Duration", record["Duration"]),
                         ("Asked", labelled_time(request.created))):
        peek.append(f"{label} ", style="italic")
        peek.append_text(plain(value, style="bold"))
        peek.append("   ")
    peek.append("\nReason ", style="italic")
    peek.append_text(plain(request.reason, limit=PEEK_REASON))
    return peek


def audit_cells(entry) -> tuple:
    """Time, Actor, Action, Outcome, Target: a row of the audit log table."""
    return (cell(audit_time(entry.time)), cell(entry.actor), cell(entry.action), state_text(entry.outcome),
            cell(entry.target))


def audit_summary(verified: Verification) -> Text:
    """What was checked on this load, exactly: the whole chain, or (a long log) the entries since the audit
    index's cover ends, chained onto the entry it covered to, found where the index left it."""
    if not verified.ok:
        return Text(f"NOT verified: {shown(verified.problem)}", style="bold red")
    keyed = f"keyed from entry {verified.keyed_from}" if verified.keyed_from else "not keyed yet"
    if verified.checked_from is None:
        return Text(f"verified: {verified.entries} entries, chain intact, {keyed}", style="green")
    since, head = verified.checked_from, verified.entries
    covered = since - 1
    now = (f"entries {since:,} to {head:,} checked now, chained onto entry {covered:,}" if since <= head else
           f"no entry since entry {covered:,}")
    said = Text(f"{now}, which is where the index left it; entries 1 to {covered:,} were checked as they were "
                f"indexed; chain intact, {keyed}", style="green")
    full = verified.full_pass or {}
    through = full.get("through")
    when = (f"at {audit_time(str(full.get('at')))} {zone_label()} (to entry {through:,})" if type(through) is int
            else "never here")
    said.append(f"; the whole log was last checked in one pass {when}; 'omeconsole audit verify' checks it all")
    if verified.note:
        said.append(f"\n{shown(verified.note)}", style="yellow")
    return said


@dataclass(frozen=True)
class KeyManagerView:
    keyring: KeyringStatus
    requests: list[AccessRequest]
    verification: Verification
    audit: list


class KeysPane(VerticalScroll):
    """Stacked sections, so the pane reads the same at 80 columns and at 200."""

    app = getters.app(ConsoleHost)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.requests: dict[str, AccessRequest] = {}  # by Id, as the access requests table shows them

    def compose(self) -> ComposeResult:
        yield Static(LOADING, id="keyring-summary")
        yield Label("Key versions", classes="box-title")
        yield DataTable(id="key-versions", cursor_type="row")
        yield Label("Access requests (a approve · d deny · e end early)", classes="box-title")
        yield DataTable(id="access-requests", cursor_type="row")
        yield Static("", id="request-peek")
        yield Label("Audit log (newest first)", classes="box-title", id="audit-title")
        yield DataTable(id="audit-log", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#key-versions", DataTable).add_columns("Version", "Created", "State", "Data keys")
        self._add_columns()

    def _add_columns(self) -> None:
        """Headers that hold times name the clock, so they are made again when it changes."""
        versions = self.query_one("#key-versions", DataTable)
        versions.clear(columns=True)
        versions.add_columns("Version", with_zone("Created"), "State", "Data keys")
        self.query_one("#access-requests", DataTable).clear(columns=True).add_columns(*REQUEST_COLUMNS)
        audit = self.query_one("#audit-log", DataTable)
        audit.clear(columns=True)
        for label, width in ((with_zone("Time"), 25), ("Actor", 26), ("Action", 14), ("Outcome", 10),
                             ("Target", None)):
            audit.add_column(label, width=width)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "access-requests":
            self._show_peek()

    def _show_peek(self) -> None:
        self.query_one("#request-peek", Static).update(request_peek(self.selected_request,
                                                                    self.app.acting_context.clock()))

    def reload(self) -> None:
        self.show_busy(LOADING)
        self._load()

    def show_busy(self, doing: str) -> None:
        """The summary line says what a worker is doing until the pane is drawn again."""
        self.query_one("#keyring-summary", Static).update(Text(doing, style="italic"))

    @work(thread=True, exclusive=True, group=Pane.KEYS)
    def _load(self) -> None:
        console = self.app.acting_context
        try:
            view = KeyManagerView(KeyManager(console).status(), ElevatedAccess(console).list(),
                                  AuditTrail(console).check(), AuditTrail(console).last(AUDIT_ROWS))
        except Refused as refused:
            self.app.call_from_thread(self._refused, str(refused))
            return
        except OmeError as error:
            self.app.call_from_thread(self.app.notify, str(error), title="Key manager", severity="error")
            return
        self.app.call_from_thread(self._show, view)

    def _refused(self, why: str) -> None:
        self.query_one("#keyring-summary", Static).update(plain(f"The key manager is not open to you: {why}",
                                                                style="yellow"))

    @property
    def selected_request(self) -> AccessRequest | None:
        """The access request on the highlighted row, as the table shows it."""
        table = self.query_one("#access-requests", DataTable)
        if not table.row_count:
            return None
        return self.requests.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or "")

    def _show(self, view: KeyManagerView) -> None:
        now = self.app.acting_context.clock()
        status = view.keyring
        verified = view.verification
        summary = Text()
        summary.append("Keyring ", style="bold")
        summary.append(f"protected by {'a passphrase' if status.protection == 'passphrase' else 'a key file'}"
                       f" · rotation every {status.rotation_days} days · next rollover "
                       f"{labelled_time(status.next_rollover, seconds=False)}\n")
        summary.append("Audit log ", style="bold")
        summary.append_text(audit_summary(verified))
        self.query_one("#keyring-summary", Static).update(summary)
        self._add_columns()
        versions = self.query_one("#key-versions", DataTable)
        for v in reversed(status.versions):
            versions.add_row(str(v.version), shown_time(v.created), state_text(v.state),
                             f"{status.wrapped.get(v.version, 0):,}")
        requests = self.query_one("#access-requests", DataTable)
        self.requests = {r.id: r for r in view.requests}
        for r in view.requests:
            requests.add_row(*request_cells(r, now), key=r.id)
        audit = self.query_one("#audit-log", DataTable)
        for e in reversed(view.audit):
            audit.add_row(*audit_cells(e))
        self._show_peek()
        self.app.refresh_bindings()
