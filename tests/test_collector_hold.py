"""The garbage collector waits while a lookup's answer is drawn (a full collection could take tens of
milliseconds of that wait) and runs again right after the frame, or after HOLD_AT_MOST whatever happens."""

from __future__ import annotations

import gc

import pytest
from textual.app import App

from omeconsole.ui import collector
from omeconsole.ui.screens import lookup as lookup_dialog
from omeconsole.ui.screens.lookup import LookupScreen
from support.ui import case_id, console_app, enter_lookup, note_details_frames, settle, until


@pytest.fixture(autouse=True)
def collector_on():
    assert gc.isenabled()
    yield
    assert gc.isenabled(), "a test left the garbage collector off"


async def test_held_from_enter_until_details_is_drawn(ui_store, monkeypatch):
    seen: list[tuple[str, bool]] = []
    look_up = lookup_dialog.look_up

    def looking(context, text):
        seen.append(("looking up", gc.isenabled()))
        return look_up(context, text)

    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        note_details_frames(monkeypatch, lambda screen: seen.append(("details drawn", gc.isenabled())))
        monkeypatch.setattr(lookup_dialog, "look_up", looking)
        await enter_lookup(app, pilot, case_id(ui_store, "mixed"))
        await until(pilot, lambda: app.main.active_pane == "details" and gc.isenabled(), "Details, collector on")
        assert seen[0] == ("looking up", False) and ("details drawn", False) in seen, seen
        assert not app.collector.held


@pytest.mark.parametrize("ending", ["not found", "escape"])
async def test_released_when_the_dialog_stays_or_closes(ui_store, monkeypatch, ending):
    monkeypatch.setattr(collector, "HOLD_AT_MOST", 600)  # released by the dialog, not by the deadline
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await enter_lookup(app, pilot, "<nobody@nowhere.example>")
        if ending == "escape":
            await pilot.press("escape")
        await settle(app, pilot)
        await until(pilot, lambda: gc.isenabled() and not app.collector.held, "the collector on again")
        assert isinstance(app.screen, LookupScreen) == (ending == "not found")


async def test_a_hold_ends_by_itself(monkeypatch):
    monkeypatch.setattr(collector, "HOLD_AT_MOST", 0.05)
    app = App()
    async with app.run_test() as pilot:
        hold = collector.CollectorHold(app)
        hold.hold()
        hold.hold()  # one hold, however often asked
        assert not gc.isenabled()
        await until(pilot, lambda: gc.isenabled(), "the hold ended by itself")
        assert not hold.held


async def test_a_console_that_ends_mid_lookup_lets_the_collector_go(ui_store, monkeypatch):
    """Served over SSH, many consoles share one process: one closed while looking up must not leave the
    collector off for the others."""
    monkeypatch.setattr(collector, "HOLD_AT_MOST", 600)
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.collector.hold()
        assert not gc.isenabled()
    assert gc.isenabled()
