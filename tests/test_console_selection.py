"""The console acts only on what the person sees: the selection is always the highlighted row, after a
search, a page turn, start-up, a failed lookup and a reload; an empty table selects nothing. Each test
here failed before: the selection was the last row the cursor had touched, wherever it had gone since."""

from __future__ import annotations

from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.context import Context
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from omeconsole.ui.panes.message_trace import TracePane
from support.ui import capture_notifications, case_id, console_app, fixed_clock, footer_key, settle
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status

SIZE = (120, 40)
MESSAGE_KEYS = ("revoke", "copy_message_id", "portal")


def trace(app) -> PagedTable:
    return app.screen.query_one("#trace-results", PagedTable)


def selected_id(app) -> str | None:
    selected = app.main.selected()
    return selected.status.message.message_id if selected else None


def highlighted_id(app) -> str | None:
    return trace(app).current.message.message_id if trace(app).current else None


async def search(app, pilot, **fields) -> None:
    for field, value in fields.items():
        app.screen.query_one(f"#{field}").value = value
    app.screen.query_one("TracePane").search()
    await settle(app, pilot)


async def test_at_start_up_the_first_row_is_selected_and_c_copies_it(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert trace(app).table.cursor_row == 0 and selected_id(app) == highlighted_id(app) is not None
        await pilot.press("c")
        assert app.clipboard == highlighted_id(app)


async def test_a_new_search_selects_its_first_row_and_r_names_that_message(ui_store):
    revocable = case_id(ui_store, "revocable")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click("#trace-results DataTable", offset=(2, 2))  # the second row: not the header (which sorts), nor the highlighted row (which opens)
        await pilot.press("down", "down", "down")
        await settle(app, pilot)
        before = selected_id(app)
        await search(app, pilot, subject=CASE_SUBJECTS["revocable"], range="90d")
        assert trace(app).table.cursor_row == 0 and selected_id(app) == highlighted_id(app) == revocable != before
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmRevokeScreen) and app.screen.message.message_id == revocable


async def test_a_page_turn_selects_the_row_highlighted_on_the_new_page(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search(app, pilot, range="90d")
        assert trace(app).pages > 1
        await pilot.click("#trace-results DataTable", offset=(2, 2))  # the second row: not the header (which sorts), nor the highlighted row (which opens)
        await pilot.press("down", "down")
        await settle(app, pilot)
        first_page = selected_id(app)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert trace(app).page == 1 and selected_id(app) == highlighted_id(app) != first_page
        assert highlighted_id(app) == trace(app).records[100 + trace(app).table.cursor_row].message.message_id
        await pilot.press("c")
        assert app.clipboard == highlighted_id(app)


async def test_a_failed_lookup_over_an_empty_result_leaves_nothing_selected_and_the_keys_dimmed(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert selected_id(app) is not None
        app.screen.query_one("#subject").value = "no subject holds this"
        app.screen.query_one(TracePane).search()
        await settle(app, pilot)
        seen = capture_notifications(app)
        app.main.lookup("<nobody@nowhere.example>")
        await settle(app, pilot)
        assert any("no message with Message ID" in note for note in seen)
        assert trace(app).table.row_count == 0 and app.main.selected() is None and app.main.details is None
        for action in MESSAGE_KEYS:
            assert app.main.check_action(action, ()) is None
            assert not (await footer_key(app, pilot, action)).enabled
        await pilot.press("c", "p", "r")
        await settle(app, pilot)
        assert app.clipboard == "" and app.screen is app.main
        assert any("Nothing is selected" in note for note in seen)


async def test_a_reload_selects_the_row_now_highlighted(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = selected_id(app)
        newer = send_message(Context.open(ui_store, clock=fixed_clock),
            sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject="Arrived meanwhile",
            body="b", received=fixed_clock())  # another process: the newest row now
        await pilot.press("f5")
        await settle(app, pilot)
        assert highlighted_id(app) == newer.message_id != before
        assert selected_id(app) == newer.message_id


async def test_a_reload_sees_a_revoke_made_elsewhere(ui_store):
    revocable = case_id(ui_store, "revocable")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search(app, pilot, subject=CASE_SUBJECTS["revocable"], range="90d")
        assert app.main.check_action("revoke", ()) is True
        set_ome_message_revocation(Context.open(ui_store, clock=fixed_clock), revocable)
        await pilot.press("f5")
        await settle(app, pilot)
        assert app.main.selected().status.decision.revoked and app.main.check_action("revoke", ()) is None


async def test_a_confirmation_opens_only_for_the_message_still_on_screen(ui_store):
    """The status check before the confirmation runs in a worker; if the highlighted row changed meanwhile,
    no dialog opens for a message no longer on screen."""
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = capture_notifications(app)
        elsewhere = case_id(ui_store, "revocable")
        assert highlighted_id(app) != elsewhere
        app.main._confirm(get_ome_message_status(app.context, elsewhere))  # what the worker hands back, after the row moved
        await settle(app, pilot)
        assert app.screen is app.main and any("The selection changed" in note for note in seen)


async def test_switching_panes_follows_each_tables_own_highlighted_row(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        on_trace = selected_id(app)
        await pilot.press("2")
        await settle(app, pilot)
        report = app.screen.query_one("#report-results", PagedTable)
        assert selected_id(app) == report.current.message.message_id
        await pilot.press("1")
        await settle(app, pilot)
        assert selected_id(app) == on_trace
