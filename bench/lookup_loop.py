"""Many lookups in one console, once its first search is done: the firmer figure for a lookup drawn.

    python bench/lookup_loop.py STORE COUNT ID [ID ...]     # under whatever load runs (burners: yours)

Opens the console on STORE (read only) with its search process, waits for the first search, then COUNT
times: back to the Message Trace, ctrl+l, an ID pasted (the IDs in turn), Enter. Each lookup is timed as
bench/busy_console.py times it (Enter to the first frame written with the Details pane on screen, and to
that frame's callbacks), with the CPU time of the console's own thread over the same span. Prints one JSON
object of medians (the first lookup, which draws Details for the first time, left out) and every figure.
Set CHECKOUT to measure another checkout's omeconsole.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import busy_console as bc  # noqa: E402

sys.path.insert(0, os.environ.get("CHECKOUT", str(HERE.parent)))  # the omeconsole measured


async def one_lookup(app, message_id: str) -> tuple[float, float, float]:
    """Milliseconds to Details drawn and to its frame's callbacks, and the console thread's CPU meanwhile."""
    from textual.widgets import Input

    from omeconsole.ui.screens.lookup import LookupScreen

    await bc.until(lambda: isinstance(app.screen, LookupScreen) and isinstance(app.screen.focused, Input),
                   "the lookup dialog open")
    app.screen.query_one(Input).value = message_id
    await bc.painted(app.screen)
    cpu = time.thread_time()
    with bc.details_shown(app, message_id) as shown:
        _, asked = bc.press(app, "enter")
        await asyncio.wait_for(shown.drawn.wait(), bc.WAIT)
        await bc.painted(app.main)
    return (shown.written - asked) * 1000, (time.perf_counter() - asked) * 1000, (time.thread_time() - cpu) * 1000


async def loop(store: Path, count: int, ids: list[str]) -> list[tuple[float, float, float]]:
    from omeconsole.core.context import Context
    from omeconsole.ui.app import OmeConsoleApp
    from omeconsole.ui.panes.message_trace import TracePane
    from omeconsole.ui.widgets.paged_table import PagedTable

    app = OmeConsoleApp(store, Context.open(store, face="console"), search_apart=True)
    times = []
    async with app.run_test(size=(120, 40), message_hook=bc.on_message):
        await bc.until(lambda: app.main is not None and app.main.is_mounted, "the console mounted")
        table = app.main.query_one(TracePane).query_one(PagedTable)
        await bc.until(lambda: app.main.lazy_panes_mounted and table.records and not bc.searching(app),
                       "the first search's rows")
        for n in range(count):
            bc.press(app, "1")
            await bc.painted(app.main)
            await asyncio.sleep(0.1)  # a person's pause between lookups, not a wait for the console
            bc.press(app, "ctrl+l")
            times.append(await one_lookup(app, ids[n % len(ids)]))
    return times


def main() -> None:
    store, count, ids = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    times = asyncio.run(loop(store, count, ids))[1:]
    medians = {name: statistics.median(t[n] for t in times)
               for n, name in enumerate(("drawn_ms", "callbacks_run_ms", "console_cpu_ms"))}
    print(json.dumps({**medians, "lookups": len(times), "drawn_each_ms": [round(t[0]) for t in times]}))


if __name__ == "__main__":
    main()
