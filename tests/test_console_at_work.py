"""The console at work: Esc cancels and goes back, Selects re-run the search, times say their clock, and
states, focus and dimmed keys read without colour."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from omeconsole.core.context import Context
from omeconsole.core.errors import Cancelled
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.tenant.model import Role
from omeconsole.ui.panes import message_trace as trace_pane
from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.widgets.identity_bar import identity_line
from omeconsole.ui.widgets.paged_table import PagedTable
from omeconsole.core.rules import Actor
from support.ui import (NOW, RunsUntilStopped, capture_notifications, case_id, console_app, fixed_clock, footer_key,
                        footer_shown, report_shown, settle, text_of, until)

SIZE = (120, 40)


def trace(app) -> PagedTable:
    return app.main.query_one("#trace-results", PagedTable)


def test_a_search_asked_to_stop_ends_between_days(ui_store):
    """The core's side of cancel: the stop callback is asked before each day's batch."""
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2

    context = Context.open(ui_store, clock=fixed_clock)
    with pytest.raises(Cancelled):
        get_message_trace(context, TraceQuery(start=NOW - timedelta(days=90)), stop=stop)
    assert len(asked) == 3


async def test_esc_cancels_a_running_search_and_keeps_the_rows_from_before(ui_store, monkeypatch):
    long_search = RunsUntilStopped("search")
    started, stopped = long_search.started, long_search.stopped
    real = trace_pane.get_message_trace

    def slow(context, query, limit=None, stop=None):
        if query.subject != "slow":
            return real(context, query, limit=limit, stop=stop)
        return long_search(stop)

    monkeypatch.setattr(trace_pane, "get_message_trace", slow)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = list(trace(app).records)
        seen = capture_notifications(app)
        app.main.query_one("#subject").value = "slow"
        app.main.query_one(TracePane).search()
        await until(pilot, started.is_set, "the slow search running")
        assert "Searching" in text_of(trace(app).query_one(".page-info"))
        await pilot.press("escape")
        await settle(app, pilot)
        assert stopped.is_set() and "Search cancelled" in seen
        assert trace(app).records == before
        assert "cancelled" in text_of(trace(app).query_one(".page-info"))
        assert app.main.selected().status.message.message_id == trace(app).current.message.message_id


async def test_esc_on_details_goes_back_to_the_results_it_came_from(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("enter")
        await until(pilot, lambda: app.main.active_pane == "details", "Details open")
        await pilot.press("escape")
        await until(pilot, lambda: app.main.active_pane == "report", "back on the Encryption Report")


async def test_changing_a_select_re_runs_the_search(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.main.query_one("#status").value = "Failed"
        await settle(app, pilot)
        rows = trace(app).records
        assert rows and {row.recipient.status_shown for row in rows} == {"Failed"}
        app.main.query_one("#range").value = "custom"  # waits for Start, End and Enter
        await settle(app, pilot)
        assert trace(app).records == rows and app.focused is app.main.query_one("#start")


async def test_t_shows_local_time_and_back(ui_store, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30 all year, no daylight saving
    time.tzset()
    try:
        message_id = case_id(ui_store, "revocable")
        app = console_app(ui_store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.main.select(message_id, show=True)
            await settle(app, pilot)
            received = app.main.details.status.message.received
            utc = f"{received:%Y-%m-%d %H:%M:%S} UTC"
            assert utc in text_of(app.main.query_one("#details-body"))
            await pilot.press("t")
            await settle(app, pilot)
            local = received.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            body = text_of(app.main.query_one("#details-body"))
            assert f"{local} IST" in body and utc not in body
            await pilot.press("t")
            await settle(app, pilot)
            assert utc in text_of(app.main.query_one("#details-body"))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_revoked_reads_without_colour(ui_store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    message_id = case_id(ui_store, "revoked_by_admin")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.no_color
        app.main.select(message_id, show=True)
        await settle(app, pilot)
        body = text_of(app.main.query_one("#details-body"))
        assert "IsRevocable ✗ False" in body and "Revoked ✗ True" in body and "Content key ✗ destroyed" in body


async def test_a_dimmed_footer_key_is_bracketed_and_an_available_one_is_not(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        revoke = await footer_key(app, pilot, "copy_message_id")
        assert revoke is not None and "(" not in revoke.description
        app.main.query_one("#subject").value = "no subject holds this"
        app.main.query_one(TracePane).search()
        await settle(app, pilot)
        await until(pilot, lambda: (key := footer_shown(app.main, "copy_message_id")) is not None
                    and not key.enabled, "Copy ID dimmed")
        dimmed = await footer_key(app, pilot, "copy_message_id")
        assert dimmed.description == "(Copy ID)"


async def test_the_focused_field_is_marked_by_a_bar_in_no_color(ui_store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)

        def line_of(widget_id: str) -> str:
            widget = app.main.query_one(widget_id)
            strips = app.screen._compositor.render_strips()
            return "".join(segment.text for segment in strips[widget.region.y])

        app.main.query_one("#sender").focus()
        await settle(app, pilot)
        assert "▌address or" in line_of("#sender")
        app.main.query_one("#message-id").focus()
        await settle(app, pilot)
        assert "▌address or" not in line_of("#sender") and "▌paste it" in line_of("#message-id")


@pytest.mark.parametrize("width", [30, 40, 60, 80])
def test_the_identity_bar_keeps_the_role_first(width):
    actor = Actor("megan.bowen.with.a.long.name@contoso.com", Role.HELPDESK)
    line = identity_line("Contoso Pharmaceuticals International", actor, width).plain
    assert len(line) <= width and line.endswith("Helpdesk (read-only)")
    assert line.startswith((" omeconsole", "meg"))


def test_the_identity_bar_cuts_the_address_visibly():
    actor = Actor("megan.bowen.with.a.long.name@contoso.com", Role.GLOBAL_ADMIN)
    line = identity_line("Contoso", actor, 40).plain
    assert "…" in line and line.endswith("Global Administrator")



async def test_over_ssh_ctrl_e_says_how_to_export_instead(ui_store):
    app = console_app(ui_store)
    app.remote = True
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = capture_notifications(app)
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        assert any("Not over SSH" in note and "trace ... --csv" in note for note in seen)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        assert any("report ... --csv" in note for note in seen)
        assert not list(ui_store.parent.glob("*.csv"))


async def test_the_report_names_each_charts_leader_when_there_is_no_room_for_charts(ui_store):
    async with report_shown(ui_store, size=(80, 24)) as (_, _, pane, _):
        [(template, count), *_] = pane._summary.by_message.by_branding_template
        assert not pane.query_one("#report-summary").display
        assert f"Most: Template {template} {count}" in text_of(pane.query_one("#report-counting"))
