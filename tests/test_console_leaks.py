"""What a lookup leaves behind: nothing. The helpdesk looks up message after message all day in one
console; each lookup opens and closes the dialog, shows Details and redraws the footer. Textual's Footer
kept every key widget it replaced (about 3,300 objects a lookup); no widget removed may stay alive."""

from __future__ import annotations

import gc

from textual.widget import Widget

from support.ui import case_id, console_app, enter_lookup, settle

LOOKUPS = 6


async def test_lookups_leave_no_widgets_behind(ui_store):
    message_id = case_id(ui_store, "mixed")
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(LOOKUPS):
            await enter_lookup(app, pilot, message_id)
            await settle(app, pilot)
            assert app.main.active_pane == "details"
            await pilot.press("1")
            await settle(app, pilot)
        gc.collect()
        widgets = [o for o in gc.get_objects() if isinstance(o, Widget)]
        gone = [widget for widget in widgets if not widget.is_attached]
        kinds = sorted({type(widget).__name__ for widget in gone})
        assert widgets and not gone, f"{len(gone)} removed widgets still alive: {kinds}"
