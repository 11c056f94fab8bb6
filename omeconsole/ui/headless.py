"""Running the console without a terminal: for the screenshots and the tests.

A demo store made at a fixed moment, and a console whose clock stands still there, draw
the same screen on every run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from omeconsole.core.context import Context

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    return NOW


def make_demo(root: Path, messages: int = 120, seed: int = 11) -> Path:
    from omeconsole.core.demo.contoso import create_demo

    create_demo(root, messages=messages, seed=seed, now=NOW)
    return root


def console_app(store: Path, identity: str | None = None):
    from omeconsole.ui.app import OmeConsoleApp

    context = Context.open(store, identity, face="console", clock=fixed_clock)
    return OmeConsoleApp(store, context, identity=identity, clock=fixed_clock)


async def settle(app, pilot) -> None:
    """Wait until no worker runs and the messages they posted are handled (a cancelled worker is fine)."""
    from textual.worker import WorkerCancelled

    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return
