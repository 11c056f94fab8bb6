"""Helpers for driving the real console through run_test and Pilot."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets._footer import FooterKey

from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.context import Context
from omeconsole.ui.headless import NOW, console_app, fixed_clock, make_demo, settle  # noqa: F401



def copy_store(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to


def case_id(store: Path, case: str) -> str:
    ome = Context.open(store, clock=fixed_clock)
    subject = CASE_SUBJECTS[case]
    return next(m.message_id for m in ome.store.iter_messages() if m.subject == subject)


async def footer_key(app, pilot, action: str) -> FooterKey | None:
    """The Footer's key for an action, once the Footer has recomposed for the latest bindings."""
    for _ in range(3):
        await pilot.pause()
    return next((key for key in app.screen.query(FooterKey) if key.action == action), None)


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
