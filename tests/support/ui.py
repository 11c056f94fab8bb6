"""Helpers for driving the real console through run_test and Pilot.

Every wait here waits for a named condition, up to a deadline, and fails with an AssertionError that
says what never happened: no test counts pauses.
"""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.context import Context
from omeconsole.core.errors import Cancelled
from omeconsole.ui.headless import NOW, SETTLE_SECONDS, console_app, fixed_clock, make_demo, settle, until  # noqa: F401
from omeconsole.ui.widgets.footer import ConsoleFooter, FooterItem


def copy_store(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to


def case_id(store: Path, case: str) -> str:
    ome = Context.open(store, clock=fixed_clock)
    subject = CASE_SUBJECTS[case]
    return next(m.message_id for m in ome.store.iter_messages() if m.subject == subject)


async def enter_lookup(app, pilot, text: str) -> None:
    """ctrl+l, TEXT pasted in the Look up dialog, Enter: the lookup is left running."""
    from omeconsole.ui.screens.lookup import LookupScreen

    await pilot.press("ctrl+l")
    await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")
    app.screen.query_one("#lookup-input").value = text
    app.screen.query_one("#lookup-input").focus()
    await pilot.press("enter")


def note_details_frames(monkeypatch, note) -> None:
    """note(screen) for each frame of the console written while it holds a message's details (Textual's
    App._display, where a frame goes to the terminal)."""
    from textual.app import App

    from omeconsole.ui.screens.console_screen import ConsoleScreen

    display = App._display

    def written(app, screen, update):
        if isinstance(screen, ConsoleScreen) and screen.details is not None:
            note(screen)
        return display(app, screen, update)

    monkeypatch.setattr(App, "_display", written)


async def footer_key(app, pilot, action: str) -> FooterItem | None:
    """The footer's key for an action as last drawn (None if it shows none), once the footer shows the
    bindings the screen has now, each on or off as the screen's check_action says."""
    await until(pilot, lambda: _footer_shows(app.screen) == _footer_due(app.screen),
                f"the footer showing the screen's bindings (looking for {action!r})")
    return footer_shown(app.screen, action)


def footer_shown(screen, action: str) -> FooterItem | None:
    """The footer's key for an action in the line it drew last."""
    return next((key for footer in screen.query(ConsoleFooter) for key in footer.shown if key.action == action),
                None)


def _footer_shows(screen) -> set[tuple[str, bool]] | None:
    if not screen.query(ConsoleFooter):
        return None
    return {(key.action, not key.enabled) for key in screen.query_one(ConsoleFooter).shown}


def _footer_due(screen) -> set[tuple[str, bool]]:
    """What the footer draws for the screen's active bindings when all fit: one key per shown action (its
    first binding), and the command palette's."""
    due: dict[str, bool] = {}
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if binding.show:
            due.setdefault(binding.action, not enabled)
    palette = screen.active_bindings.get(screen.app.COMMAND_PALETTE_BINDING)
    if palette and screen.app.ENABLE_COMMAND_PALETTE:
        due.setdefault(palette[1].action, not palette[2])
    return set(due.items())


@asynccontextmanager
async def report_shown(store: Path, size: tuple[int, int] = (120, 40)):
    """The console on STORE with its Encryption Report shown and loaded: (app, pilot, pane, its table)."""
    from omeconsole.ui.panes.encryption_report import ReportPane
    from omeconsole.ui.widgets.paged_table import PagedTable

    app = console_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.main.query_one(ReportPane)
        yield app, pilot, pane, pane.query_one("#report-results", PagedTable)


def capture_notifications(app) -> list[str]:
    seen: list[str] = []
    real = app.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return real(message, *args, **kwargs)

    app.notify = notify
    return seen


def text_of(widget) -> str:
    """The plain text a Static or Label shows, whatever it was given (str, Text or a Rich renderable)."""
    from rich.console import Console as RichConsole

    content = widget.content if hasattr(widget, "content") else widget.render()
    if isinstance(content, str):
        return content
    console = RichConsole(width=200, record=True, color_system=None)
    console.print(content)
    return console.export_text()


class RunsUntilStopped:
    """Stands in for a search or report of many days: it asks its stop callback between "days" (every
    10 ms) and ends with Cancelled when told, as the core's do; an AssertionError if never told in 30 s."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.started, self.stopped = threading.Event(), threading.Event()

    def __call__(self, stop) -> None:
        self.started.set()
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if stop():
                self.stopped.set()
                raise Cancelled()
            time.sleep(0.01)
        raise AssertionError(f"the {self.what} was never asked to stop")
