"""The footer: one line the console draws itself (Textual's Footer mounted a widget per key, anew at every
change of bindings). It still does what a footer of keys does: a click presses a key, a key that is off
does nothing, a narrow one gives up the keys needed least, and a dialog over the console empties it."""

from __future__ import annotations

import pytest
from textual.geometry import Region

from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.screens.lookup import LookupScreen
from omeconsole.ui.widgets.footer import SPARE_FIRST, ConsoleFooter
from support.ui import console_app, footer_key, settle, until


async def test_a_click_on_a_key_presses_it(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert (await footer_key(app, pilot, "lookup")) is not None
        footer = app.main.query_one(ConsoleFooter)
        await pilot.click(ConsoleFooter, offset=(footer.column_of("lookup"), 0))
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")


async def test_a_click_on_a_key_that_is_off_rings_and_does_nothing(ui_store, monkeypatch):
    app = console_app(ui_store)
    rang: list[bool] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(app, "bell", lambda: rang.append(True))
        app.main.query_one("#subject").value = "no subject holds this"
        app.main.query_one(TracePane).search()
        await settle(app, pilot)
        copy = await footer_key(app, pilot, "copy_message_id")
        assert copy is not None and not copy.enabled and copy.description == "(Copy ID)"
        copied: list[str] = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        footer = app.main.query_one(ConsoleFooter)
        await pilot.click(ConsoleFooter, offset=(footer.column_of("copy_message_id"), 0))
        await settle(app, pilot)
        assert rang == [True] and copied == [] and app.screen is app.main


async def test_hovering_a_key_shows_its_tooltip(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        palette = await footer_key(app, pilot, "command_palette")
        footer = app.main.query_one(ConsoleFooter)
        await pilot.hover(ConsoleFooter, offset=(footer.column_of("command_palette") + 1, 0))
        assert palette is not None and palette.tooltip and footer.tooltip == palette.tooltip
        await pilot.hover(TracePane)
        assert footer.tooltip is None


async def test_a_dialog_empties_the_footer_and_the_console_behind_does_not_move(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await footer_key(app, pilot, "lookup")
        footer = app.main.query_one(ConsoleFooter)
        panes, keys = app.main.query_one("#panes").region, footer.shown
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")
        await until(pilot, lambda: footer.shown == (), "the footer emptied")
        assert app.main.query_one("#panes").region == panes
        await pilot.press("escape")
        await until(pilot, lambda: footer.shown == keys, "the footer's keys back")


async def test_a_narrow_footer_gives_up_the_keys_needed_least_first(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        wide = {binding.action for _node, binding, _on, _tip in app.main.active_bindings.values() if binding.show}
        await until(pilot, lambda: app.main.query_one(ConsoleFooter).shown, "the footer drawn")
        footer = app.main.query_one(ConsoleFooter)
        shown = [item.action for item in footer.shown]
        given_up = [action for action in SPARE_FIRST if action in wide and action not in shown]
        assert given_up and given_up == [a for a in SPARE_FIRST if a in wide][:len(given_up)]
        assert shown[-1] == "command_palette" and "lookup" in shown and "revoke" in shown
        assert sum(item.width + 1 for item in footer.shown) + 1 <= 80


@pytest.mark.parametrize("width", [44, 30])
async def test_a_very_narrow_footer_draws_whole_keys_and_the_palette_at_the_right(ui_store, width):
    """Past the keys needed least, the last ones go: a key is drawn whole or not at all, never wrapped off the
    line while still counted as shown (and clickable where nothing is drawn)."""
    app = console_app(ui_store)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: app.main.query_one(ConsoleFooter).shown, "the footer drawn")
        footer = app.main.query_one(ConsoleFooter)
        line = "".join(strip.text for strip in footer.render_lines(Region(0, 0, width, 1)))
        shown = footer.shown
        assert len(line) == width and shown[-1].action == "command_palette"
        assert line.endswith(f"{shown[-1].key_display} {shown[-1].description} ")
        for item in shown:
            assert f"{item.key_display} {item.description}" in line
            assert line[footer.column_of(item.action):].startswith(item.key_display)
