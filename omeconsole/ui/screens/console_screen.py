"""The main screen: the four panes, the identity bar, and every action on a selected message."""

from __future__ import annotations

import io
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual import getters, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, TabbedContent, TabPane

from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.context import Context
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.errors import NotFound, OmeError
from omeconsole.core.message_trace.export_file import export_for_download, suggested_name, suggested_path, write_export
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status
from omeconsole.core.rules import is_global_admin, revokes_as, sees_all_messages
from omeconsole.core.text.times import human_span
from omeconsole.core.text.untrusted import shown
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import RESULT_PANES, Pane
from omeconsole.ui.panes.details import DetailsPane, MessageDetails, checked_details
from omeconsole.ui.panes.encryption_report import ReportPane
from omeconsole.ui.panes.key_manager import KeysPane
from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.remembered import find_related, recall_search, save_search
from omeconsole.ui.screens.confirm_access import AccessDecision, ConfirmAccessScreen
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.screens.export import EXPORT_OVER_SSH, RESULT_EXPORTS, ExportScreen
from omeconsole.ui.screens.portal import PortalScreen
from omeconsole.ui.screens.request_access import AccessAsked, RequestAccessScreen
from omeconsole.ui.time_shown import TimeShown, zone_label
from omeconsole.ui.widgets.footer import ConsoleFooter
from omeconsole.ui.widgets.identity_bar import IdentityBar, identity_line  # noqa: F401 (tests read identity_line here)
from omeconsole.ui.widgets.paged_table import PagedTable

KEY_ACTIONS = ("approve", "deny", "end_access")  # on the selected request
MESSAGE_ACTIONS = ("revoke", "remove_external_access", "copy_message_id", "portal", "find_related")
OPEN_CHECKING_AFTER = 0.15  # seconds: Details opens at once on a lookup or Enter if its status check takes longer


class ConsolePanes(TabbedContent):
    """Panes change only when the user (or an action) asks. TabbedContent would also follow a focus
    restored to a widget in a hidden pane, when a dialog closes, and undo a switch just made."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # Textual runs each class's handler in the MRO unless told not to


class ConsoleScreen(Screen):
    BINDINGS = [
        Binding("1", Pane.TRACE.show, "Trace", show=False, id="show-trace", tooltip="Show the Message Trace"),
        Binding("2", Pane.REPORT.show, "Report", show=False, id="show-report", tooltip="Show the Encryption Report"),
        Binding("3", Pane.DETAILS.show, "Details", show=False, id="show-details", tooltip="Show the selected message"),
        Binding("4", Pane.KEYS.show, "Keys", show=False, id="show-keys", tooltip="Show the key manager"),
        Binding("r", "revoke", "Revoke message", id="revoke",
                tooltip="Revoke the selected message (Set-OMEMessageRevocation)"),
        Binding("r", "remove_external_access", "Remove external access", id="remove-external-access",
                tooltip="Remove the link-based recipient's access to your message"),
        Binding("r", "explain_revoke", "Why not revoke", show=False, id="revoke-why",
                tooltip="Say why the selected message cannot be revoked"),
        Binding("c", "copy_message_id", "Copy ID", id="copy-message-id",
                tooltip="Copy the selected Message ID to the clipboard (OSC 52, works over SSH)"),
        Binding("p", "portal", "Portal", id="portal-preview", tooltip="Preview what a recipient sees in the portal"),
        Binding("right_square_bracket", "next_page", "Next page", show=False, id="next-page",
                tooltip="Next page of results"),
        Binding("left_square_bracket", "previous_page", "Previous page", show=False, id="previous-page",
                tooltip="Previous page of results"),
        Binding("a", "approve", "Approve", id="access-approve", tooltip="Approve the selected access request"),
        Binding("d", "deny", "Deny", id="access-deny", tooltip="Deny the selected access request"),
        Binding("e", "end_access", "End", id="access-end", tooltip="End the selected elevation early"),
        Binding("n", "request_access", "Request access", id="access-request",
                tooltip="Request elevated access to key material (two other admins approve it)"),
        Binding("ctrl+e", "export", "Export", id="export-csv", tooltip="Export the results on screen to CSV"),
        Binding("ctrl+e", "explain_export", "Why no export", show=False, id="export-why",
                tooltip="Over SSH: say how to export instead"),
        Binding("f5", "reload", "Reload", show=False, id="reload", tooltip="Reload the pane from the store"),
        Binding("f", "find_related", "Find related", id="find-related",
                tooltip="Search the Message Trace for the same sender, recipient or Message ID"),
        Binding("ctrl+o", "recall_search", "Searches", show=False, id="recall-search",
                tooltip="Run one of your saved or recent Message Trace searches"),
        Binding("ctrl+s", "save_search", "Save search", show=False, id="save-search",
                tooltip="Save the Message Trace form under a name"),
        Binding("escape", "back", "Back", show=False, id="back",
                tooltip="Cancel the running search or report; on Details, go back to the results you came from"),
        Binding("t", "toggle_time_zone", "UTC/local", show=False, id="toggle-time-zone",
                tooltip="Show times in this machine's time zone, or in UTC again (exports stay UTC)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.details: MessageDetails | None = None  # the status Details shows, once it has arrived
        self.checking: str | None = None  # the Message ID whose status check is under way
        self._check = 0  # counts selections: only the latest one's status check is drawn
        self._opening = False  # Details opens when the status check (of a lookup, or Enter) answers
        self._back_to: Pane | None = None  # where a lookup came from, to go back to if it finds nothing
        self._lazy_mounted = False
        self._results_pane = Pane.TRACE  # the results pane shown last: where Esc on Details goes back to

    app = getters.app(ConsoleHost)

    @property
    def context(self) -> Context:
        return self.app.acting_context

    def compose(self) -> ComposeResult:
        yield IdentityBar(self.context.tenant.organization, self.context.actor, id="identity-bar")
        with ConsolePanes(initial=Pane.TRACE, id="panes"):
            with TabPane("Message Trace", id=Pane.TRACE):
                yield TracePane()
            # The hidden panes mount just after the first frame: the trace is on screen sooner.
            with TabPane("Encryption Report", id=Pane.REPORT):
                yield Lazy(ReportPane())
            with TabPane("Details", id=Pane.DETAILS):
                yield Lazy(DetailsPane())
            if self.keys_open:  # a plain user has no key manager: no tab that could only say "not yours"
                with TabPane("Key manager", id=Pane.KEYS):
                    yield Lazy(KeysPane())
        yield ConsoleFooter()

    # -- panes -------------------------------------------------------------------------

    @property
    def active_pane(self) -> Pane | None:
        active = self.query_one(TabbedContent).active
        return Pane(active) if active else None

    def action_show_pane(self, pane: str) -> None:
        """Show a pane and move the keyboard into it."""
        self.query_one(TabbedContent).active = pane
        self.call_after_refresh(self._focus_pane, Pane(pane))

    def _focus_pane(self, pane: Pane) -> None:
        targets: dict[Pane, str | type[Widget]] = {
            Pane.TRACE: f"{Pane.TRACE.results} DataTable", Pane.REPORT: f"{Pane.REPORT.results} DataTable",
            Pane.DETAILS: DetailsPane, Pane.KEYS: "#access-requests"}
        target = targets[pane]
        self.query_one(target).focus()

    def on_mount(self) -> None:
        self.query_one(f"{Pane.TRACE.results} DataTable").focus()

    def on_screen_suspend(self) -> None:
        """A dialog opened over the console: its keys do nothing until it closes, so none are listed."""
        self.query_one(ConsoleFooter).list_keys(False)

    def on_screen_resume(self) -> None:
        self.query_one(ConsoleFooter).list_keys(True)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._pane_shown(event.pane.id)

    def _pane_shown(self, shown: str) -> None:
        if not self.lazy_panes_mounted:
            self.call_after_refresh(self._pane_shown, shown)
            return
        pane = Pane(shown)
        if pane == Pane.KEYS:
            self.query_one(KeysPane).reload()
        elif pane == Pane.REPORT and not self.query_one(ReportPane).loaded:
            self.query_one(ReportPane).refresh_report()
        if pane in RESULT_PANES:  # back to a table: its highlighted row is the selection again
            self._results_pane = pane
            self._follow(self.query_one(pane.results, PagedTable).current)
        self.refresh_bindings()

    @property
    def lazy_panes_mounted(self) -> bool:
        """The hidden panes mount just after the first frame; until then they are not there. A pane is
        there once mounted, its own widgets composed: in the DOM before that, it has none to show a
        message in. Once they are, they stay: remembered, since the footer asks on every refresh."""
        if not self._lazy_mounted:
            lazy = (ReportPane, DetailsPane) + ((KeysPane,) if self.keys_open else ())
            found = [self.query(pane) for pane in lazy]
            self._lazy_mounted = all(found) and all(widget.is_mounted for query in found for widget in query)
        return self._lazy_mounted

    def results_table(self) -> PagedTable | None:
        """The results table on screen, if one is."""
        pane = self.active_pane
        if pane is not None and pane in RESULT_PANES and self.lazy_panes_mounted:
            return self.query_one(pane.results, PagedTable)
        return None

    def action_next_page(self) -> None:
        if table := self.results_table():
            table.next_page()

    def action_previous_page(self) -> None:
        if table := self.results_table():
            table.previous_page()

    def action_find_related(self) -> None:
        find_related(self)

    def action_recall_search(self) -> None:
        recall_search(self)

    def action_save_search(self) -> None:
        save_search(self)

    def action_back(self) -> None:
        """Esc: stop what is running on this pane, or leave Details for the results it was opened from."""
        pane = self.active_pane
        if not self.lazy_panes_mounted or pane is None:
            raise SkipAction()
        if pane == Pane.TRACE and self.query_one(TracePane).cancel_search():
            self.notify("Search cancelled", title="Message Trace")
        elif pane == Pane.REPORT and self.query_one(ReportPane).cancel_report():
            self.notify("Report cancelled", title="Encryption Report")
        elif pane == Pane.DETAILS:
            self.action_show_pane(self._results_pane)
        else:
            raise SkipAction()

    def action_toggle_time_zone(self) -> None:
        TimeShown.local = not TimeShown.local
        self.notify(f"Times are shown in {zone_label()}" + ("" if TimeShown.local else " again"), title="Time")
        for table in self.query(PagedTable):
            table.redraw()
        if self.lazy_panes_mounted:
            if self.details is not None:
                self._show_details(self.details)
            if self.keys_open:
                self.query_one(KeysPane).reload()

    def action_reload(self) -> None:
        if not self.lazy_panes_mounted:
            return
        pane = self.active_pane
        if pane == Pane.TRACE:
            self.query_one(TracePane).search()
        elif pane == Pane.REPORT:
            self.query_one(ReportPane).refresh_report()
        elif pane == Pane.KEYS:
            self.query_one(KeysPane).reload()
        elif selected := self._selection_id():
            self.select(selected)

    # -- selection ---------------------------------------------------------------------
    # The console acts only on what the person sees. On the Message Trace and the Encryption
    # Report the selection is the highlighted row, whatever moved it (a key, a new search, a
    # page turn, a reload); an empty table selects nothing. On Details it is the message shown.
    # The store is read only in workers: a selection shows "Checking…" in Details until its
    # status arrives, and an answer for a selection made since is dropped.

    def shown_message_id(self) -> str | None:
        """The Message ID the person sees as selected now, read from the screen itself."""
        results = self.results_table()
        if results is not None:
            return results.current.message.message_id if results.current else None
        if self.active_pane == Pane.DETAILS and self.details:
            return self.details.status.message.message_id
        return None

    def selected(self) -> MessageDetails | None:
        """The selected message's details, only while they are for the message on screen."""
        if self.details and self.details.status.message.message_id == self.shown_message_id():
            return self.details
        return None

    def _selection_id(self) -> str | None:
        """The message selected last, whether its status is still being checked or shown."""
        return self.checking or (self.details.status.message.message_id if self.details else None)

    def on_paged_table_highlighted(self, event: PagedTable.Highlighted) -> None:
        if not self._opening and event.table is self.results_table():  # Details is opening: as good as shown
            self._follow(event.record, event.fresh)

    def on_paged_table_chosen(self, event: PagedTable.Chosen) -> None:
        self.select(event.record.message.message_id, show=True)

    def _follow(self, record, fresh: bool = False) -> None:
        """Make the highlighted row the selection (fresh rows are checked again even if the same)."""
        if record is None:
            self.select_nothing()
        elif fresh or self._selection_id() != record.message.message_id:
            self.select(record.message.message_id)

    def select_nothing(self) -> None:
        self._check += 1
        self.details = self.checking = None
        self._opening, self._back_to = False, None
        if self.lazy_panes_mounted:
            self.query_one(DetailsPane).clear()
        self.refresh_bindings()

    def select(self, message_id: str, show: bool = False) -> None:
        """Select a message and check its status in a worker; Details says so until the answer arrives.
        show: open Details (a lookup, Enter on a row) with the answer, in one frame, or with "Checking
        status…" if the answer is slow; a message not found leaves the person where they were."""
        if not self.lazy_panes_mounted:
            self.call_after_refresh(self.select, message_id, show)
            return
        self._check += 1
        self.details, self.checking = None, message_id
        self.query_one(DetailsPane).show_checking(message_id)
        self._back_to = self.active_pane if show else None
        self._opening = show and self.active_pane != Pane.DETAILS
        if self._opening:  # the keys are redrawn when Details opens, within OPEN_CHECKING_AFTER
            self.set_timer(OPEN_CHECKING_AFTER, partial(self._still_checking, self._check))
        else:
            self.refresh_bindings()
        self._check_status(self._check, message_id)

    @work(thread=True, exclusive=True, group=Pane.DETAILS)
    def _check_status(self, check: int, message_id: str) -> None:
        """The status check, drawn as soon as it arrives (its audit entries follow, see _status_arrived)."""
        try:
            details = checked_details(self.context, message_id)
        except OmeError as error:
            self.app.call_from_thread(self._status_failed, check, error)
            return
        self.app.call_from_thread(self._status_arrived, check, details)

    @work(thread=True, exclusive=True, group=Pane.DETAILS)
    def _audit_of(self, message_id: str) -> None:
        self._load_audit(message_id)

    def _still_checking(self, check: int) -> None:
        if check == self._check and self._opening:
            self._open_details()

    def _open_details(self) -> None:
        self._opening = False
        self.action_show_pane(Pane.DETAILS)
        # The switched widgets ask for a layout by message once their own queues are idle: a frame drawn
        # before that (the console resuming from under the lookup dialog) showed the results pane again.
        self.refresh(layout=True, repaint=False)

    def _status_arrived(self, check: int, details: MessageDetails) -> None:
        """Shown if it answers the latest selection; a status for a row no longer selected is dropped. For
        admins and helpdesk the message's audit entries are read once it is drawn: a thread reading them
        meanwhile would take turns with the drawing for the interpreter."""
        if check != self._check:
            return
        self.checking = None
        self._show_details(details)
        if self._opening:
            self._open_details()
        if details.audit_loading:
            self.call_after_refresh(self._audit_once_drawn, check, details.status.message.message_id)

    def _audit_once_drawn(self, check: int, message_id: str) -> None:
        if check == self._check:  # still the selection: a newer one's status check is not cancelled
            self._audit_of(message_id)

    def _status_failed(self, check: int, error: OmeError) -> None:
        """Nothing is selected; after a lookup the pane it came from shows again, and its highlighted row
        is the selection again."""
        if check != self._check:
            return
        lookup = isinstance(error, NotFound)
        self.notify(str(error), title="Lookup" if lookup else "Details", severity="warning" if lookup else "error")
        back_to, opened = self._back_to, not self._opening
        self.select_nothing()
        if back_to is None or back_to == Pane.DETAILS:
            return
        if opened:
            self.action_show_pane(back_to)
        elif (results := self.results_table()) is not None:
            self._follow(results.current)

    def _load_audit(self, message_id: str) -> None:
        """The message's audit entries, read through the audit index (a rebuilt index says so)."""
        trail = AuditTrail(self.context)
        try:
            entries = trail.about(message_id)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Audit", severity="error")
            entries = []
        if trail.note:
            self.app.call_from_thread(self.notify, trail.note, title="Audit", severity="warning")
        self.app.call_from_thread(self._show_audit, message_id, entries)

    def _show_audit(self, message_id: str, entries: list) -> None:
        if not self.lazy_panes_mounted:  # after the deferred _show_details of the same message
            self.call_after_refresh(self._show_audit, message_id, entries)
            return
        if self.details is None or self.details.status.message.message_id != message_id:
            return  # another message was selected meanwhile
        self.details = replace(self.details, audit=entries, audit_loading=False)
        self.query_one(DetailsPane).show_audit(self.details)

    def _show_details(self, details: MessageDetails) -> None:
        if not self.lazy_panes_mounted:
            self.call_after_refresh(self._show_details, details)
            return
        self.details = details
        self.query_one(DetailsPane).show(details, sender_view=self._revoke_action() == "remove_external_access")
        self.refresh_bindings()

    def lookup(self, message_id: str, checked: MessageDetails | None = None) -> None:
        """Details, while someone waits on the phone. The Message Trace form and its rows stay as the person
        left them: a lookup is not a search. `checked`: its status, checked by the lookup dialog before it
        closed, so Details opens in the frame that closes it (the console behind is not drawn first)."""
        if checked is None or not self.lazy_panes_mounted:
            self.select(message_id, show=True)
            return
        self._check += 1
        self.checking = None
        self._back_to = self.active_pane
        self._opening = self.active_pane != Pane.DETAILS
        self._status_arrived(self._check, checked)

    # -- which actions are open --------------------------------------------------------

    @property
    def keys_open(self) -> bool:
        """Whether this identity has a Key manager pane: administrators and helpdesk do, a plain user does not."""
        return sees_all_messages(self.context.actor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.context.actor
        if action == "show_pane" and parameters == (Pane.KEYS.value,) and not self.keys_open:
            return False
        selected = self.selected()
        may_revoke = bool(selected and selected.status.decision.allowed)
        if action in MESSAGE_ACTIONS and self.active_pane == Pane.KEYS:
            return False
        if action == "explain_export":  # over SSH ctrl+e says what to do instead of doing nothing
            return self.app.remote
        if action == "export":  # over SSH a file would land on the server: not offered (see action_export)
            return not self.app.remote and self.active_pane in RESULT_PANES
        if action in ("revoke", "remove_external_access"):  # the one this identity's revoke is, per rules.py
            return False if action != self._revoke_action() else (True if may_revoke else None)
        if action in ("copy_message_id", "portal", "find_related"):
            return True if selected else None
        if action == "request_access":
            return self.active_pane == Pane.KEYS and is_global_admin(actor)
        if action in KEY_ACTIONS:
            if self.active_pane != Pane.KEYS or not sees_all_messages(actor):
                return False
            ready = self.lazy_panes_mounted and self.query_one(KeysPane).selected_request
            return True if is_global_admin(actor) and ready else None
        if action in ("next_page", "previous_page"):
            return self.active_pane in RESULT_PANES
        return True

    def _revoke_action(self) -> str:
        """r, and the Details button, are Remove external access for one who revokes as the sender,
        and Revoke message for everyone else (dimmed, and saying why, for those who may not)."""
        return "remove_external_access" if revokes_as(self.context.actor) == "sender" else "revoke"

    # -- revoke ------------------------------------------------------------------------

    def action_revoke(self) -> None:
        self._ask_to_revoke()

    def action_remove_external_access(self) -> None:
        self._ask_to_revoke()

    def _ask_to_revoke(self) -> None:
        selected = self.selected()
        if selected is None:
            self.nothing_selected("Revoke message")
            return
        self._recheck_then_confirm(selected.status.message.message_id)

    def nothing_selected(self, title: str) -> None:
        if self.checking:
            self.notify("The selected message's status is still being checked; Details shows it when it arrives.",
                        title=title, severity="warning")
            return
        self.notify("Nothing is selected: highlight a message first.", title=title, severity="warning")

    def action_explain_revoke(self) -> None:
        selected = self.selected()
        if selected is None:
            self.nothing_selected("Revoke message")
            return
        decision = selected.status.decision
        reasons = "\n".join(f"• {reason}" for reason in decision.all_reasons) or "• it can be revoked"
        self.notify(f"{shown(selected.status.message.subject)} cannot be revoked by {self.context.actor.address}:"
                    f"\n{reasons}", title="Revoke message", severity="warning", timeout=10)

    @work(thread=True, exclusive=True, group="revoke")
    def _recheck_then_confirm(self, message_id: str) -> None:
        """The binding was open when pressed; the store may have changed since, so check again."""
        try:
            status = get_ome_message_status(self.context, message_id)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Revoke message", severity="error")
            return
        self.app.call_from_thread(self._confirm, status)

    def _confirm(self, status) -> None:
        """Ask, naming the message, only if it is still the one on screen; revoke exactly that one."""
        message_id = status.message.message_id
        if self.shown_message_id() != message_id:
            self.notify("The selection changed before the confirmation opened; nothing was revoked. "
                        "Press r again to revoke the message selected now.", title="Revoke message",
                        severity="warning", timeout=10)
            return
        before = self.details
        same = before.audit if before is not None and before.status.message.message_id == message_id else None
        self._show_details(MessageDetails(status, same))
        if not status.decision.allowed:
            self.action_explain_revoke()
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._revoke(message_id)

        self.app.push_screen(ConfirmRevokeScreen(status.message, status.decision.acting_as), confirmed)

    @work(thread=True, exclusive=True, group="revoke")
    def _revoke(self, message_id: str) -> None:
        try:
            message = set_ome_message_revocation(self.context, message_id)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Revoke message", severity="error", timeout=10)
            return
        sentence = (f'The encrypted email with the subject "{shown(message.subject)}" and Message ID '
                    f'"{message.message_id}" was successfully revoked')
        self.app.call_from_thread(self._after_revoke, message_id, sentence)

    def _after_revoke(self, message_id: str, sentence: str) -> None:
        self.notify(sentence, title="Revoked", timeout=8)
        self.select(message_id, show=True)
        if self.lazy_panes_mounted and self.query_one(ReportPane).loaded:
            self.query_one(ReportPane).refresh_report()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The Details buttons go through run_action, as the keys do, so check_action decides."""
        actions = {"details-revoke": self._revoke_action(), "details-portal": "portal",
                   "details-copy": "copy_message_id"}
        action = actions.get(event.button.id or "")
        if action:
            event.stop()
            # Widget.run_action returns None; the App's says whether the action ran (check_action allowed it)
            if not await self.app.run_action(action, self) and action in ("revoke", "remove_external_access"):
                self.action_explain_revoke()

    # -- other actions on the selection ------------------------------------------------

    def action_copy_message_id(self) -> None:
        selected = self.selected()
        if selected is None:
            self.nothing_selected("Message ID")
            return
        message_id = selected.status.message.message_id
        self.app.copy_to_clipboard(message_id)
        self.notify(f"Copied {message_id}", title="Message ID")

    def action_portal(self) -> None:
        selected = self.selected()
        if selected is None:
            self.nothing_selected("OME portal")
            return
        self.app.push_screen(PortalScreen(selected.status.message))

    # -- access requests ---------------------------------------------------------------

    def action_approve(self) -> None:
        self._ask_about_request(AccessDecision.APPROVE)

    def action_deny(self) -> None:
        self._ask_about_request(AccessDecision.DENY)

    def action_end_access(self) -> None:
        self._ask_about_request(AccessDecision.END)

    def action_request_access(self) -> None:
        def asked(answer: AccessAsked | None) -> None:
            if answer is not None:
                self.query_one(KeysPane).show_busy("Asking for elevated access…")
                self._request_access(answer)

        self.app.push_screen(RequestAccessScreen(), asked)

    @work(thread=True, exclusive=True, group="access")
    def _request_access(self, answer: AccessAsked) -> None:
        try:
            request = ElevatedAccess(self.context).request(answer.reason, answer.duration)
            self.app.call_from_thread(self.notify, f"{request.id} asked for {human_span(answer.duration)}; two other "
                                      "Global Administrators approve it in turn", title="Access request")
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Access request", severity="error")
        self.app.call_from_thread(self.query_one(KeysPane).reload)

    def _ask_about_request(self, decision: AccessDecision) -> None:
        """Each decision asks first, showing the request as the store has it now; then acts on that Id."""
        request = self.query_one(KeysPane).selected_request
        if request is not None:
            self._reread_then_ask(decision, request.id)

    @work(thread=True, exclusive=True, group="access")
    def _reread_then_ask(self, decision: AccessDecision, request_id: str) -> None:
        """Another admin may have approved since the table was drawn: the dialog shows the stage as it is."""
        try:
            request = next((r for r in ElevatedAccess(self.context).list() if r.id == request_id), None)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Access request", severity="error")
            return
        if request is not None:
            self.app.call_from_thread(self._ask_now, decision, request)

    def _ask_now(self, decision: AccessDecision, request) -> None:
        highlighted = self.query_one(KeysPane).selected_request
        if highlighted is None or highlighted.id != request.id:
            self.notify(f"The highlighted request changed before the question opened; nothing was done to "
                        f"{request.id}.", title="Access request", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one(KeysPane).show_busy(f"{decision.value.capitalize()}: {request.id}…")
                self._decide_request(decision, request.id)

        self.app.push_screen(ConfirmAccessScreen(request, decision, self.context.clock()), answered)

    @work(thread=True, exclusive=True, group="access")
    def _decide_request(self, decision: AccessDecision, request_id: str) -> None:
        elevation = ElevatedAccess(self.context)
        act = {AccessDecision.APPROVE: elevation.approve, AccessDecision.DENY: elevation.deny,
               AccessDecision.END: elevation.end}[decision]
        try:
            request = act(request_id)
            note = f"{request.id} is now {request.describe_state(self.context.clock())}"
            self.app.call_from_thread(self.notify, note, title="Access request")
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Access request", severity="error")
        self.app.call_from_thread(self.query_one(KeysPane).reload)

    # -- export ------------------------------------------------------------------------

    def action_explain_export(self) -> None:
        command = "report ... --csv > file" if self.active_pane == Pane.REPORT else "trace ... --csv > file"
        self.notify(f"Not over SSH: the file would land on the server. Use the CLI (omeconsole {command}) "
                    "or the browser door.", title="Export", severity="warning", timeout=10)

    def action_export(self) -> None:
        """Every row of the result on screen: to a file the person names (locally), or to their browser
        as a download (the browser door); never over SSH, where a file would land on the server."""
        if self.app.remote:
            self.notify(f"Export: {EXPORT_OVER_SSH}", title="Export", severity="warning", timeout=10)
            return
        pane = self.active_pane if self.active_pane is not None and self.active_pane in RESULT_PANES else Pane.TRACE
        kind, what, columns = RESULT_EXPORTS[pane]
        rows = list(self.query_one(pane.results, PagedTable).shown)  # as they are now: filtered and sorted as on screen
        if self.app.is_web:
            self._deliver_export(suggested_name(kind, self.context.clock()), rows, columns, what)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._write_export(path, rows, columns, what)

        path = suggested_path(kind, self.context.clock(), self.context.store.root)
        self.app.push_screen(ExportScreen(what, len(rows), path), chosen)

    @work(thread=True, group="export")
    def _write_export(self, path: Path, rows: list, columns, what: str) -> None:
        try:
            count = write_export(self.context, path, [row.to_record() for row in rows], columns, what)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Export", severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"{count:,} rows written to {path} (0600)", title="Export")

    @work(thread=True, group="export")
    def _deliver_export(self, name: str, rows: list, columns, what: str) -> None:
        try:
            text = export_for_download(self.context, name, [row.to_record() for row in rows], columns, what)
        except OmeError as error:
            self.app.call_from_thread(self.notify, str(error), title="Export", severity="error", timeout=10)
            return
        self.app.call_from_thread(self._hand_to_browser, name, text, len(rows))

    def _hand_to_browser(self, name: str, text: str, count: int) -> None:
        """The web driver streams it to the browser as a download; nothing is written on the server."""
        self.app.deliver_text(io.StringIO(text, newline=""), save_filename=name, mime_type="text/csv",
                              encoding="utf-8")
        self.notify(f"{count:,} rows sent to your browser as {name}", title="Export")
