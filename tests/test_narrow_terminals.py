"""A narrow terminal (a phone over SSH, a split pane) gets a cramped console, never a failed one. At 30 columns
the Message Trace form's Search button was laid out with no width for its label, and Textual's wrapping of
it failed (Rich's chop_cells with a width of 0): the console stopped at its first frame, and at 16 columns
on the way through its panes. Buttons' labels now stay on their line."""

from __future__ import annotations

import pytest

from omeconsole.ui.screens.console_screen import ConsoleScreen
from omeconsole.ui.widgets.footer import ConsoleFooter
from support.ui import case_id, console_app, enter_lookup, settle, until


@pytest.mark.parametrize("width", [16, 24, 30, 36])
async def test_every_pane_and_a_lookup_work_in_a_narrow_terminal(ui_store, width):
    app = console_app(ui_store)
    async with app.run_test(size=(width, 20)) as pilot:
        await settle(app, pilot)
        for key in ("2", "4", "1"):
            await pilot.press(key)
            await settle(app, pilot)
        message_id = case_id(ui_store, "mixed")
        await enter_lookup(app, pilot, message_id)
        await until(pilot, lambda: app.main.active_pane == "details" and app.main.details is not None
                    and app.main.details.status.message.message_id == message_id, "Details of the lookup")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsoleScreen) and app.return_code is None
        assert app.main.query_one(ConsoleFooter).shown
