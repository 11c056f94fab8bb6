"""Running the console without a terminal: for the screenshots and the tests.

A demo store made at a fixed moment, and a console whose clock stands still there, draw
the same screen on every run.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from omeconsole.core.context import Context

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SETTLE_SECONDS = 30  # what a wait for the console allows before it fails, saying what never happened


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


async def settle(app, pilot, seconds: float = SETTLE_SECONDS) -> None:
    """Wait until no worker is left unfinished and the messages they posted are handled (a cancelled
    worker is fine, a failed one raises); an AssertionError naming the workers if that takes longer."""
    deadline = time.monotonic() + seconds
    while True:
        if unfinished := [worker for worker in app.workers if not worker.is_finished]:
            await _finish(unfinished, deadline - time.monotonic(), seconds)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return


async def until(pilot, condition, what: str, seconds: float = SETTLE_SECONDS) -> None:
    """Let the app handle its events until condition() holds; an AssertionError saying WHAT never happened
    if it does not within SECONDS."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {seconds}s")
        await pilot.pause()


async def _finish(workers: list, left: float, seconds: float) -> None:
    waits = [asyncio.ensure_future(_finished(worker)) for worker in workers]
    _, pending = await asyncio.wait(waits, timeout=max(left, 0))
    if pending:
        for wait in pending:
            wait.cancel()
        running = ", ".join(repr(worker) for worker in workers if not worker.is_finished)
        raise AssertionError(f"workers still running {seconds}s on: {running}")
    for wait in waits:
        wait.result()  # a worker that failed fails here


async def _finished(worker) -> None:
    from textual.worker import WorkerCancelled

    try:
        await worker.wait()
    except WorkerCancelled:
        pass
