"""The console on a store, through run_test, timed from the start of this process.

    python bench/console_probe.py STORE MESSAGE_ID SECOND_MESSAGE_ID

Prints one JSON object: first paint, the answer to a key pressed while the first search
still runs, the first search's rows on screen, two Message ID lookups (from the Enter key
to the details drawn; the first also draws the Details pane for the first time), and peak
memory.
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
import gc  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's omeconsole


GC_PAUSES: list[float] = []  # seconds spent in each garbage collection during a lookup
_collection_started = 0.0


def _time_collections(phase: str, info: dict) -> None:
    global _collection_started
    if phase == "start":
        _collection_started = time.perf_counter()
    else:
        GC_PAUSES.append(time.perf_counter() - _collection_started)


def since_start() -> float:
    return time.perf_counter() - BORN


async def until(condition, limit: float = 120.0) -> None:
    """Poll every millisecond until condition() holds. (Pilot's own waits wait for the CPU
    to go idle, which would time the background search, not the answer to a key.)"""
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the console never got there (the wait on line {condition.__code__.co_firstlineno})")
        await asyncio.sleep(0.001)


async def painted(screen) -> None:
    """Return once the screen has been drawn with what it holds now."""
    drawn = asyncio.Event()
    screen.call_after_refresh(drawn.set)
    await drawn.wait()


def press(app, key: str) -> float:
    """Post a key as the terminal would, and return when it was posted."""
    from textual import events

    app.post_message(events.Key(key, None))
    return time.perf_counter()


async def lookup(app, message_id: str) -> tuple[float, float]:
    """Milliseconds from the Enter key to the message's details in the pane, to them drawn on the
    screen, and spent meanwhile in garbage collection."""
    from textual.widgets import Input

    from omeconsole.ui.screens.lookup import LookupScreen

    press(app, "ctrl+l")
    await until(lambda: isinstance(app.screen, LookupScreen) and isinstance(app.screen.focused, Input))
    app.screen.query_one(Input).value = message_id  # pasted, and drawn, before the key
    await painted(app.screen)
    GC_PAUSES.clear()
    gc.callbacks.append(_time_collections)
    asked = press(app, "enter")
    await until(lambda: app.main.details is not None and app.main.details.status.message.message_id
                == message_id and app.main.active_pane == "details")
    ready = (time.perf_counter() - asked) * 1000
    await painted(app.main)
    drawn = (time.perf_counter() - asked) * 1000
    gc.callbacks.remove(_time_collections)
    return ready, drawn, sum(GC_PAUSES) * 1000


async def probe(store: str, message_id: str, second_id: str) -> dict:
    from omeconsole.core.context import Context
    from omeconsole.ui.app import OmeConsoleApp
    from omeconsole.ui.screens.lookup import LookupScreen
    from omeconsole.ui.widgets.paged_table import PagedTable
    from omeconsole.ui.panes.message_trace import TracePane

    app = OmeConsoleApp(store, Context.open(store, face="console"))
    result = {}
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.main is not None and app.main.is_mounted)
        await painted(app.main)
        result["first_paint_s"] = since_start()
        table = app.main.query_one(TracePane).query_one(PagedTable)
        result["search_running_at_key"] = any(w.is_running for w in app.workers)
        pressed = press(app, "ctrl+l")
        await until(lambda: isinstance(app.screen, LookupScreen) and app.screen.is_mounted)
        result["key_during_load_ms"] = (time.perf_counter() - pressed) * 1000
        press(app, "escape")
        await until(lambda: not isinstance(app.screen, LookupScreen))
        await until(lambda: table.records and not any(w.is_running for w in app.workers))
        result["trace_shown_s"] = since_start()
        result["trace_rows"] = len(table.records)

        result["lookup_ms"], result["lookup_drawn_ms"], result["lookup_gc_ms"] = await lookup(app, message_id)
        press(app, "1")  # back to the Message Trace, and a second message looked up from there
        await painted(app.main)
        result["second_lookup_ms"], result["second_lookup_drawn_ms"], _ = await lookup(app, second_id)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(*sys.argv[1:4]))))
