"""What a lookup leaves behind: nothing. The helpdesk looks up message after message all day in one
console; each lookup rebuilds the footer's keys, and Textual's Footer kept every key it replaced."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from support.ui import case_id, console_app, settle

LOOKUPS = 6


async def test_lookups_leave_no_footer_keys_behind(ui_store):
    message_id = case_id(ui_store, "mixed")
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(LOOKUPS):
            await pilot.press("ctrl+l")
            await settle(app, pilot)
            app.screen.query_one("#lookup-input").value = message_id
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.main.active_pane == "details"
            await pilot.press("1")
            await settle(app, pilot)
        gc.collect()
        keys = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        shown = [key for key in keys if key.is_attached]
        assert shown and len(keys) == len(shown), f"{len(keys) - len(shown)} removed footer keys still alive"
