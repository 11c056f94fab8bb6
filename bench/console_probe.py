"""The console on a store, through run_test, timed from the start of this process.

    python bench/console_probe.py STORE MESSAGE_ID

Prints one JSON object: first paint, the answer to a key pressed while the first search
still runs, the first search's rows on screen, a Message ID lookup, and peak memory.
"""

from __future__ import annotations

import os
import time


def _process_age() -> float:
    """Seconds since this process started (from /proc, so interpreter start-up counts too)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as stat:
        started = int(stat.read().rsplit(")", 1)[1].split()[19]) / ticks
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started


BORN = time.perf_counter() - _process_age()

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def since_start() -> float:
    return time.perf_counter() - BORN


async def until(condition, limit: float = 120.0) -> None:
    """Poll every millisecond until condition() holds. (Pilot's own waits wait for the CPU
    to go idle, which would time the background search, not the answer to a key.)"""
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the console never got there")
        await asyncio.sleep(0.001)


def press(app, key: str) -> float:
    """Post a key as the terminal would, and return when it was posted."""
    from textual import events

    app.post_message(events.Key(key, None))
    return time.perf_counter()


async def probe(store: str, message_id: str) -> dict:
    from textual.widgets import Input

    from omeconsole.core.services import Console
    from omeconsole.ui.app import OmeConsoleApp
    from omeconsole.ui.screens.lookup import LookupScreen
    from omeconsole.ui.widgets.paged_table import PagedTable
    from omeconsole.ui.widgets.trace_pane import TracePane

    app = OmeConsoleApp(store, Console.open(store, face="console"))
    result = {}
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.main is not None and app.main.is_mounted)
        painted = asyncio.Event()
        app.main.call_after_refresh(painted.set)
        await painted.wait()
        result["first_paint_s"] = since_start()
        table = app.main.query_one(TracePane).query_one(PagedTable)
        result["search_running_at_key"] = any(w.is_running for w in app.workers)
        pressed = press(app, "ctrl+l")
        await until(lambda: isinstance(app.screen, LookupScreen) and app.screen.is_mounted)
        result["key_during_load_ms"] = (time.perf_counter() - pressed) * 1000
        press(app, "escape")
        await until(lambda: table.records and not any(w.is_running for w in app.workers))
        result["trace_shown_s"] = since_start()
        result["trace_rows"] = len(table.records)

        press(app, "ctrl+l")
        await until(lambda: isinstance(app.screen, LookupScreen) and app.screen.is_mounted)
        app.screen.query_one(Input).value = message_id
        asked = press(app, "enter")
        await until(lambda: app.main.details is not None and app.main.details.status.message.message_id
                    == message_id and app.main.active_pane == "details")
        result["lookup_ms"] = (time.perf_counter() - asked) * 1000
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], sys.argv[2]))))
