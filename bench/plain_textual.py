"""The floor under bench/busy_console.py: a plain Textual app making the same gestures, measured the same way.

    python bench/plain_textual.py        # one run, prints one JSON object (busy_console.py runs it as "plain")

No store, no search, no omeconsole: a header line, a DataTable of 1,000 rows of seven columns (the console's
first page), a footer; ctrl+l opens a modal with an Input; Enter on a value closes it and shows a pane of
30 lines of styled text in place of the table (Details' size). Whatever this takes on a busy machine, the
console cannot take less: it is Python's start-up, Textual's import, mounting and drawing.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from busy_console import on_message, painted, press, since_start, summed, until  # noqa: E402  (starts the clock)

from rich.text import Text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Vertical  # noqa: E402
from textual.screen import ModalScreen  # noqa: E402
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Label, Static  # noqa: E402

ROWS = 1_000
COLUMNS = ("Date", "Sender", "Recipient", "Subject", "Status", "Message ID", "Size")


class Asking(ModalScreen[str]):
    BINDINGS = [("escape", "dismiss", "Cancel")]
    DEFAULT_CSS = "Asking { align: center middle; } Asking > Vertical { width: 80; height: auto; border: round $accent; }"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Look up a value")
            yield Input(placeholder="a value")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class PlainConsole(App):
    BINDINGS = [("ctrl+l", "ask", "Look up"), ("1", "rows", "Rows")]
    shown: str | None = None
    shown_at = 0.0
    details_shown: asyncio.Event | None = None  # set by show_details while a lookup is measured

    def compose(self) -> ComposeResult:
        yield Label("plain Textual · the same gestures as the console")
        with ContentSwitcher(initial="rows"):
            yield DataTable(id="rows", cursor_type="row")
            yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.add_rows([(f"2026-11-{1 + n % 28:02d} 12:{n % 60:02d}", f"sender{n}@contoso.com",
                         f"recipient{n}@fabrikam.com", f"Subject number {n}", "Delivered",
                         f"<MSG{n:08d}@contoso.prod.outlook.com>", f"{n * 7 % 90_000:,}") for n in range(ROWS)])

    def action_ask(self) -> None:
        self.push_screen(Asking(), self.show_details)

    def action_rows(self) -> None:
        self.query_one(ContentSwitcher).current = "rows"

    def show_details(self, value: str | None) -> None:
        details = Text()
        for line in range(30):
            details.append(f"Property {line:2d}  ", style="italic")
            details.append(f"{value} · line {line}\n", style="bold" if line % 3 == 0 else "")
        self.query_one("#details", Static).update(details)
        self.query_one(ContentSwitcher).current = "details"
        self.shown, self.shown_at = value, time.perf_counter()
        if self.details_shown is not None:
            self.details_shown.set()


async def open_dialog(app) -> tuple[float, float]:
    from busy_console import DISPATCHED

    event, posted = press(app, "ctrl+l")
    await until(lambda: isinstance(app.screen, Asking) and app.screen.is_mounted, "the dialog")
    return (DISPATCHED[id(event)] - posted) * 1000, (time.perf_counter() - posted) * 1000


async def look_up(app, value: str) -> tuple[float, float, float]:
    """Measured as busy_console.look_up measures the console's: Enter to the details shown (an event the
    app's own step sets, no polling), to the next frame written with them on screen, and to the callbacks
    after it."""
    await until(lambda: isinstance(app.screen, Asking) and isinstance(app.screen.focused, Input), "the dialog")
    app.screen.query_one(Input).value = value
    await painted(app.screen)
    app.details_shown, written, display, drawn = asyncio.Event(), [], app._display, asyncio.Event()

    def writing(on_screen, update):
        if app.details_shown.is_set() and not written and update is not None and app.query_one("#details").region:
            written.append(time.perf_counter())
            drawn.set()
        return display(on_screen, update)

    app._display = writing
    try:
        _, asked = press(app, "enter")
        await drawn.wait()
        await painted(app.screen)
    finally:
        del app._display
    return (app.shown_at - asked) * 1000, (written[0] - asked) * 1000, (time.perf_counter() - asked) * 1000


async def probe() -> dict:
    app = PlainConsole()
    result: dict = {"mode": "plain"}
    async with app.run_test(size=(120, 40), message_hook=on_message):
        await until(lambda: app.screen.is_mounted and app.query(DataTable), "the app mounted")
        await painted(app.screen)
        result["first_paint_s"] = since_start()
        result["key_at_paint_dispatched_ms"], result["key_during_load_ms"] = await open_dialog(app)
        times = []
        for _ in range(5):
            press(app, "escape")
            await until(lambda: not isinstance(app.screen, Asking), "the dialog closed")
            await painted(app.screen)
            await asyncio.sleep(0.1)
            times.append(await open_dialog(app))
        summed(result, "idle", times)
        result["lookup_ms"], result["lookup_drawn_ms"], result["lookup_settled_ms"] = await look_up(
            app, "<first@contoso.com>")
        press(app, "1")
        await painted(app.screen)
        press(app, "ctrl+l")
        result["lookup_ms"], result["lookup_drawn_ms"], result["lookup_settled_ms"] = await look_up(
            app, "<second@contoso.com>")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe())))
