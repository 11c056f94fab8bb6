"""The real console, driven through run_test and Pilot: search, select, revoke, lookup, export."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.context import Context
from omeconsole.ui.screens.confirm_access import ConfirmAccessScreen
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.screens.console_screen import ConsoleScreen
from omeconsole.ui.screens.help import HelpScreen
from omeconsole.ui.screens.lookup import LookupScreen
from omeconsole.ui.screens.portal import PortalScreen
from omeconsole.ui.screens.welcome import WelcomeScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from omeconsole.ui.panes.details import MessageDetails
from omeconsole.ui.panes.encryption_report import ReportPane
from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.panes.key_manager import KeysPane
from omeconsole.ui.commands import ConsoleCommands
from textual.widgets import TabbedContent
from omeconsole.core.text.times import format_iso
from support.cli import CLI
from support.ui import capture_notifications, case_id, console_app, fixed_clock, footer_key, settle, text_of, until
from omeconsole.core.ome.status import get_ome_message_status
from omeconsole.ui.panes import encryption_report as report_pane

SIZE = (120, 40)


async def select(app, pilot, message_id: str) -> None:
    """As a person selects a message by its ID: a lookup, which shows it in Details."""
    app.main.select(message_id, show=True)
    await settle(app, pilot)


async def test_first_paint_shows_who_is_acting_and_the_trace(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        identity = text_of(app.screen.query_one("#identity-bar"))
        assert "admin@contoso.com" in identity and "Global Administrator" in identity and "Contoso" in identity
        results = app.screen.query_one("#trace-results", PagedTable)
        assert results.records and results.table.row_count == min(100, len(results.records))
        assert all(r.message.received >= fixed_clock().replace(day=10) for r in results.records)


async def test_searching_by_recipient_pattern_and_status(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#range").value = "90d"
        await pilot.click("#recipient")
        await pilot.press(*"*@gmail.com", "enter")
        await settle(app, pilot)
        records = app.screen.query_one("#trace-results", PagedTable).records
        assert records and all(r.recipient.address.endswith("@gmail.com") for r in records)
        info = text_of(app.screen.query_one("#trace-results .page-info"))
        assert info.startswith(f"1–{len(records)} of {len(records)}")


async def test_a_bad_date_says_what_is_wrong_and_searches_nothing(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = capture_notifications(app)
        before = app.screen.query_one("#trace-results", PagedTable).records
        app.screen.query_one("#range").value = "custom"
        await until(pilot, lambda: app.screen.query_one("#start").region.area > 0, "the Start field shown")
        await pilot.click("#start")
        await pilot.press(*"last week", "enter")
        await settle(app, pilot)
        assert any("Start 'last week' is not an ISO 8601" in n for n in seen)
        assert app.screen.query_one("#trace-results", PagedTable).records == before


async def test_selecting_a_row_fills_the_details_pane(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert app.screen.query_one("#panes").active == "details"
        chosen = app.screen.query_one("#trace-results", PagedTable).current.message
        assert app.main.details.status.message.message_id == chosen.message_id
        body = text_of(app.screen.query_one("#details-body"))
        assert chosen.message_id in body and "More information" in body and "Status check" in body


async def test_revoke_is_enabled_for_a_revocable_message(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, case_id(ui_store, "revocable"))
        assert app.main.check_action("revoke", ()) is True
        key = await footer_key(app, pilot, "revoke")
        assert key is not None and key.enabled and key.description == "Revoke message"


@pytest.mark.parametrize("case", ["native_only", "default_template", "unencrypted", "expired", "revoked_by_admin"])
async def test_revoke_is_dimmed_for_each_kind_of_unrevocable_message(ui_store, case):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, case_id(ui_store, case))
        assert app.main.check_action("revoke", ()) is None
        assert not (await footer_key(app, pilot, "revoke")).enabled
        seen = capture_notifications(app)
        await pilot.press("r")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmRevokeScreen)
        assert any("cannot be revoked" in n and "•" in n for n in seen)


async def test_revoke_is_dimmed_for_a_helpdesk_identity(ui_store):
    app = console_app(ui_store, "lynne.robbins@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, case_id(ui_store, "revocable"))
        assert app.main.details.status.decision.is_revocable
        assert not (await footer_key(app, pilot, "revoke")).enabled
        seen = capture_notifications(app)
        await app.main.run_action("revoke")
        app.run_console_action("revoke")
        await settle(app, pilot)
        assert any("helpdesk role" in n for n in seen)
        assert not get_ome_message_status(Context.open(ui_store), case_id(ui_store, "revocable")).decision.revoked


async def test_the_full_revoke_flow(ui_store):
    message_id = case_id(ui_store, "mixed")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, message_id)
        seen = capture_notifications(app)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmRevokeScreen)
        dialog = text_of(app.screen.query_one("#confirm-body"))
        assert "Project Falcon merger timeline" in dialog and message_id in dialog
        losing, untouched = dialog.split("Untouched")
        assert "sam.rivera@northwindtraders.com" in losing and "ray.chen@fabrikam.com" not in losing
        assert "ray.chen@fabrikam.com" in untouched and "diego.siciliani@contoso.com" in dialog  # the sender
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsoleScreen)
        details = app.main.details
        assert details.status.decision.revoked and details.status.content_key == "destroyed"
        assert [(e.action, e.outcome) for e in details.audit][-1] == ("revoke", "success")
        assert any("was successfully revoked" in n for n in seen)
        assert not (await footer_key(app, pilot, "revoke")).enabled
    assert get_ome_message_status(Context.open(ui_store), message_id).decision.revoked


async def test_cancelling_the_confirmation_changes_nothing(ui_store):
    message_id = case_id(ui_store, "revocable")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, message_id)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
    assert not get_ome_message_status(Context.open(ui_store), message_id).decision.revoked


async def test_the_sender_removes_external_access(ui_store):
    app = console_app(ui_store, "megan.bowen@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#range").value = "90d"
        await app.main.run_action("reload")
        await settle(app, pilot)
        records = app.screen.query_one("#trace-results", PagedTable).records
        assert records and all(r.message.sender == "megan.bowen@contoso.com" for r in records)
        # the same rows as the CLI's trace (can_read, in the service): her unencrypted mail too
        start = format_iso(fixed_clock() - timedelta(days=90))
        cli_rows = CLI(ui_store).json("trace", "--start", start, "--as", "megan.bowen@contoso.com")
        assert [(r.message.message_id, r.recipient.address) for r in records] == [
            (row["MessageId"], row["RecipientAddress"]) for row in cli_rows]
        assert not all(r.message.is_encrypted for r in records)
        assert "User" in text_of(app.screen.query_one("#identity-bar"))
        await select(app, pilot, case_id(ui_store, "revocable"))
        assert app.main.check_action("revoke", ()) is False
        key = await footer_key(app, pilot, "remove_external_access")
        assert key is not None and key.enabled
        await pilot.press("r")
        await settle(app, pilot)
        assert text_of(app.screen.query_one("#confirm-title")) == "Remove external access?"
        await pilot.press("y")
        await settle(app, pilot)
        assert app.main.details.status.decision.revoked
        assert app.main.details.audit is None  # a plain user does not read the audit log


async def test_work_asked_for_before_the_hidden_panes_mount_is_done_once_they_are(ui_store, monkeypatch):
    """The report, details and key manager panes mount just after the first frame: a pane shown
    or a message selected before then waits for them instead of failing or being dropped."""
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        not_yet = iter([False, False, False])  # the next three checks happen "before the mount"
        monkeypatch.setattr(ConsoleScreen, "lazy_panes_mounted", property(lambda self: next(not_yet, True)))
        message_id = case_id(ui_store, "mixed")
        app.main._pane_shown("report")
        app.main._show_details(MessageDetails(get_ome_message_status(app.context, message_id), [], audit_loading=True))
        app.main._show_audit(message_id, [])
        assert app.main.details is None or app.main.details.status.message.message_id != message_id
        await settle(app, pilot)
        assert app.main.query_one(ReportPane).loaded and app.main.query_one("#report-results").records
        assert app.main.details.status.message.message_id == message_id
        assert not app.main.details.audit_loading


async def test_a_loading_report_says_so_until_it_arrives_even_when_redrawn(ui_store, monkeypatch):
    release = threading.Event()
    real_report = report_pane.get_encryption_report

    def slow_report(*args, **kwargs):
        release.wait(30)
        return real_report(*args, **kwargs)

    monkeypatch.setattr(report_pane, "get_encryption_report", slow_report)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        for size in (SIZE, (100, 30)):
            await pilot.resize_terminal(*size)
            await until(pilot, lambda: app.main.size == size, f"the console laid out at {size}")
            assert text_of(app.main.query_one("#report-results .page-info")).strip() == "Loading the report… (esc cancels)"
        release.set()
        await settle(app, pilot)
        assert "of" in text_of(app.main.query_one("#report-results .page-info"))


async def test_results_arriving_after_a_lookup_do_not_replace_its_details(ui_store):
    """The helpdesk looks a message up while a search (or the report) is still loading."""
    message_id = case_id(ui_store, "expired")
    app = console_app(ui_store, "lynne.robbins@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.main.query_one(TracePane).search()
        app.main.lookup(message_id)
        app.main.query_one(TracePane).search()
        app.main.query_one(ReportPane).refresh_report()
        await settle(app, pilot)
        assert app.main.details.status.message.message_id == message_id
        assert app.screen.query_one("#panes").active == "details"
        await pilot.press("1")  # back to the trace: moving the cursor there selects again
        app.main.query_one("#message-id").value = ""
        app.main.query_one(TracePane).search()
        await settle(app, pilot)
        app.main.query_one("#trace-results DataTable").focus()
        await pilot.press("down")
        await settle(app, pilot)
        assert app.main.details.status.message.message_id != message_id


async def test_lookup_from_anywhere_accepts_any_pasted_shape(ui_store):
    message_id = case_id(ui_store, "expired")
    app = console_app(ui_store, "lynne.robbins@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click("#subject")  # focus in an input: the key still works
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")
        await pilot.press(*"not an id", "enter")
        await until(pilot, lambda: "RFC 5322" in text_of(app.screen.query_one("#lookup-error")),
                    "the dialog saying the ID is not RFC 5322")
        rows_before = list(app.main.query_one("#trace-results", PagedTable).records)
        app.screen.query_one("#lookup-input").value = f"  {message_id[1:-1]}.  "
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#panes").active == "details"
        assert app.main.details.status.message.message_id == message_id
        # A lookup is not a search: the trace form and its rows stay as the person left them.
        assert app.screen.query_one("#message-id").value == "" and app.screen.query_one("#range").value == "10d"
        assert app.screen.query_one("#trace-results", PagedTable).records == rows_before


async def test_copy_puts_the_message_id_on_the_clipboard(ui_store):
    message_id = case_id(ui_store, "revocable")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, message_id)
        await pilot.press("c")
        await until(pilot, lambda: app.clipboard == message_id, "the Message ID on the clipboard")


async def test_export_writes_what_is_on_screen_to_csv(ui_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = len(app.screen.query_one("#trace-results", PagedTable).records)
        await pilot.press("ctrl+e", "enter")  # the dialog suggests a new file in the current directory
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("ctrl+e", "enter")
        await settle(app, pilot)
    trace = next(Path(tmp_path).glob("omeconsole-message-trace-*.csv")).read_text().splitlines()
    assert trace[0].startswith('"Received","SenderAddress","RecipientAddress"') and len(trace) == rows + 1
    report = next(Path(tmp_path).glob("omeconsole-encryption-report-*.csv")).read_text().splitlines()
    assert '"RevocationStatus"' in report[0] and len(report) > 1


async def test_the_portal_preview(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, case_id(ui_store, "revoked_by_sender"))
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PortalScreen)
        assert "The message has been revoked by the sender" in text_of(app.screen.query_one("#portal-view"))


async def test_the_report_pane_summarises_and_filters(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        everything = app.screen.query_one("#report-results", PagedTable).records
        assert "By user" in text_of(app.screen.query_one("#by-method"))
        app.screen.query_one("#report-method").value = "policy"
        await settle(app, pilot)
        by_policy = app.screen.query_one("#report-results", PagedTable).records
        assert by_policy and len(by_policy) < len(everything)
        assert {r.message.method.value for r in by_policy} == {"policy"}


async def test_the_key_manager_approves_requests_for_an_allowed_admin(ui_store):
    ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).request("INC-1: troubleshooting the portal",
                                                                  parse_duration("1h"))
    app = console_app(ui_store, "alex.wilber@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        summary = text_of(app.screen.query_one("#keyring-summary"))
        assert "next rollover" in summary and "chain intact, keyed from entry" in summary
        assert app.screen.query_one("#key-versions").row_count == 4
        requests = app.screen.query_one("#access-requests")
        requests.focus()
        await until(pilot, lambda: app.focused is requests, "the access requests table focused")
        assert (await footer_key(app, pilot, "approve")).enabled
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmAccessScreen)  # one key is never half of a two-person rule
        asked = text_of(app.screen.query_one("#confirm-body"))
        for needle in ("AR-0001", "admin@contoso.com", "INC-1: troubleshooting the portal", "1h",
                       "pending (stage 1 of 2); 0 of 2 approvals", "nobody yet", "a different Global Administrator"):
            assert needle in asked, needle
        assert ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).list()[0].approvals == []
        await pilot.press("y")
        await settle(app, pilot)
    [request] = ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).list()
    assert [a.by for a in request.approvals] == ["alex.wilber@contoso.com"]


@pytest.mark.parametrize("key,decision,needles", [
    ("a", "approve", ["alex.wilber@contoso.com at 2026-11-20 12:00:00 UTC", "the last stage", "at once, for 1h"]),
    ("d", "deny", ["Denying ends the request"]),
])
async def test_approve_and_deny_ask_first_and_cancel_changes_nothing(ui_store, key, decision, needles):
    requester = ElevatedAccess(Context.open(ui_store, clock=fixed_clock))
    request = requester.request("INC-2: a reason long enough to need the whole dialog " + "x" * 200,
                                parse_duration("1h"))
    ElevatedAccess(Context.open(ui_store, "alex.wilber@contoso.com", clock=fixed_clock)).approve(request.id)
    app = console_app(ui_store, "isaiah.langer@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        app.screen.query_one("#access-requests").focus()
        for answer in ("n", "y"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmAccessScreen)
            asked = " ".join(text_of(app.screen.query_one("#confirm-body")).split())
            assert request.reason in asked and "1 of 2 approvals" in asked
            assert all(needle in asked for needle in needles), asked
            await pilot.press(answer)
            await settle(app, pilot)
            state = ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).list()[0].state(fixed_clock())
            assert state == ("pending" if answer == "n" else {"approve": "active", "deny": "denied"}[decision])


async def test_ending_an_elevation_asks_first(ui_store):
    admin = ElevatedAccess(Context.open(ui_store, clock=fixed_clock))
    request = admin.request("INC-3: ending it early from the console", parse_duration("2h"))
    for approver in ("alex.wilber@contoso.com", "isaiah.langer@contoso.com"):
        ElevatedAccess(Context.open(ui_store, approver, clock=fixed_clock)).approve(request.id)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        app.screen.query_one("#access-requests").focus()
        await pilot.press("e")
        await settle(app, pilot)
        asked = " ".join(text_of(app.screen.query_one("#confirm-body")).split())
        assert "End this elevation now?" in text_of(app.screen.query_one("#confirm-title"))
        assert "active; 2 of 2 approvals" in asked and "takes the requester's access" in asked
        await pilot.press("y")
        await settle(app, pilot)
    assert admin.list()[0].state(fixed_clock()) == "ended"


async def test_a_plain_user_has_no_key_manager_tab(ui_store):
    """Not a tab that could only say "not yours": no tab, no key, no palette entry."""
    app = console_app(ui_store, "megan.bowen@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.tab_count == 3 and not app.screen.query(KeysPane)
        await pilot.press("4")
        await settle(app, pilot)
        assert tabs.active == "trace"
        assert await footer_key(app, pilot, "approve") is None
        titles = [title for title, *_ in ConsoleCommands(app.screen)._commands()]
        assert "Show Key manager" not in titles and "Show Encryption Report" in titles


async def test_help_lists_every_binding_with_its_id(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen open")
        shown = text_of(app.screen.query_one("#help-table"))
        ids = {binding.id for binding in app.screen.bindings if binding.id in shown}
        assert {"revoke", "remove-external-access", "lookup", "copy-message-id", "export-csv",
                "portal-preview", "show-trace", "show-keys", "access-approve", "help"} <= ids
        for binding in [*app.BINDINGS, *ConsoleScreen.BINDINGS]:
            assert binding.id and (binding.tooltip or binding.description)


async def test_an_empty_store_offers_the_demo(tmp_path):
    from omeconsole.ui.app import OmeConsoleApp

    store = tmp_path / "empty"
    app = OmeConsoleApp(store, None, clock=fixed_clock, empty_reason=f"There is no omeconsole store at {store} yet.")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen), "the welcome screen shown")
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsoleScreen)
        assert app.screen.query_one("#trace-results", PagedTable).records
    assert (store / "tenant.json").exists()


async def test_a_lookup_of_an_unknown_id_says_so_and_stays_put(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = capture_notifications(app)
        app.main.lookup("<nobody@nowhere.example>")
        await settle(app, pilot)
        assert any("no message with Message ID <nobody@nowhere.example>" in n for n in seen)
        # Where the person was, with the highlighted row selected again: the trace was not searched.
        assert app.screen.query_one("#panes").active == "trace"
        highlighted = app.main.query_one("#trace-results", PagedTable).current.message.message_id
        assert app.main.selected().status.message.message_id == highlighted
        await pilot.press("2")
        await settle(app, pilot)
        app.main.select(app.screen.query_one("#report-results", PagedTable).records[0].message.message_id)
        await settle(app, pilot)
        assert app.screen.query_one("#panes").active == "report"


async def test_the_details_buttons_take_the_same_path_as_the_keys(ui_store):
    app = console_app(ui_store, "lynne.robbins@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.main.select(case_id(ui_store, "revocable"), show=True)
        await settle(app, pilot)
        seen = capture_notifications(app)
        await pilot.click("#details-revoke")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmRevokeScreen)
        assert any("helpdesk role" in n for n in seen)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.main.select(case_id(ui_store, "revocable"), show=True)
        await settle(app, pilot)
        await pilot.click("#details-revoke")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmRevokeScreen)


async def test_over_ssh_the_palette_offers_no_screenshot_that_would_land_on_the_server(ui_store):
    for remote in (False, True):
        app = console_app(ui_store)
        app.remote = remote
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert "Quit" in titles and ("Screenshot" in titles) is not remote


async def test_the_key_manager_asks_for_elevated_access(ui_store):
    """With approvals through the SSH door, the console is the whole workflow: it asks, too."""
    app = console_app(ui_store, "admin@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press(*"too short", "enter", "enter")
        await settle(app, pilot)
        assert "at least" in text_of(app.screen.query_one("#request-error"))
        app.screen.query_one("#request-reason").value = "INC-7: the portal shows a garbled body"
        duration = app.screen.query_one("#request-duration")
        duration.value = "90m"
        duration.focus()
        await pilot.press("enter")
        await settle(app, pilot)
    [request] = ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).list()
    assert (request.requester, request.reason, request.duration) == (
        "admin@contoso.com", "INC-7: the portal shows a garbled body", parse_duration("90m"))
