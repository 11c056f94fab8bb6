"""Enter on a Message Trace row to its status check, idle and while a 90-day Encryption Report loads.

    python bench/status_probe.py STORE [ROUNDS]

Prints one JSON object. Each round goes back to the Message Trace (timed: 1 to its table focused), moves
the cursor to the next row and times the highlight to the row's own status check (the highlight starts
one) in Details, then presses Enter and times Enter to the status in the Details pane, and Enter to
the next frame drawn. ROUNDS rounds idle, then ROUNDS while the report (the
pane's "Last 90 days") loads for real, not held; it is loaded again (f5) until enough rounds have run
while it did (a round counts if the report was running when it began; the probe also counts those
where it still was when the status after Enter was drawn). Only this package's names are used that the
console had before the status check moved to a worker, so the same probe also times older commits
(PYTHONPATH=that checkout).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

TRACE, REPORT, DETAILS = "trace", "report", "details"
WAIT = 600.0  # seconds: a million messages' report takes a while


async def until(condition, what: str, every: float = 0.001) -> None:
    """Poll every millisecond (Pilot's own waits wait for the CPU to go idle, and the report keeps it busy)."""
    deadline = time.perf_counter() + WAIT
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the console never got there: {what}")
        await asyncio.sleep(every)


async def painted(screen) -> None:
    drawn = asyncio.Event()
    screen.call_after_refresh(drawn.set)
    await drawn.wait()


def press(app, key: str, character: str | None = None) -> None:
    from textual import events

    app.post_message(events.Key(key, character))


def trace_table(app):
    return app.main.query_one(f"#{TRACE}-results")


def shown(app, message_id: str, pane: str | None = None) -> bool:
    details = app.main.details
    return (details is not None and details.status.message.message_id == message_id
            and getattr(app.main, "checking", None) is None and (pane is None or app.main.active_pane == pane))


def report_running(app) -> bool:
    return any(worker.group == REPORT and worker.is_running for worker in app.workers)


async def one_round(app) -> dict:
    """Back to the Message Trace, the next row and its own status shown, then Enter timed to the status in
    Details and to the frame drawn."""
    at_start, back = report_running(app), time.perf_counter()
    press(app, "1")
    await until(lambda: app.main.active_pane == TRACE and app.focused is trace_table(app).table,
                "the Message Trace shown, its table focused")
    back = time.perf_counter() - back
    before = trace_table(app).current
    moved = time.perf_counter()
    press(app, "down")
    await until(lambda: trace_table(app).current is not before, "the cursor on the next row")
    message_id = trace_table(app).current.message.message_id
    await until(lambda: shown(app, message_id), "the highlighted row's status shown")
    highlight = time.perf_counter() - moved
    await painted(app.main)
    asked = time.perf_counter()
    press(app, "enter", "\r")
    await until(lambda: shown(app, message_id, DETAILS), "Details showing the row's status after Enter")
    in_pane = time.perf_counter() - asked
    running = report_running(app)
    await painted(app.main)
    return {"back_ms": back * 1000, "highlight_ms": highlight * 1000, "in_pane_ms": in_pane * 1000,
            "drawn_ms": (time.perf_counter() - asked) * 1000, "report_at_start": at_start,
            "report_at_draw": running and report_running(app)}


async def probe(store: str, rounds: int) -> dict:
    from textual.widgets import Select

    from omeconsole.core.context import Context
    from omeconsole.ui.app import OmeConsoleApp

    app = OmeConsoleApp(store, Context.open(store, face="console"))
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.main is not None and app.main.is_mounted, "the console on screen")
        await until(lambda: trace_table(app).records and not any(w.is_running for w in app.workers),
                    "the first search on screen")
        await one_round(app)  # Details laid out once, as after a person's first look
        idle = [await one_round(app) for _ in range(rounds)]
        app.main.query_one("#report-range", Select).value = "90d"
        await painted(app.main)
        loading, reports = [], []
        while len(loading) < rounds and len(reports) < 5 * rounds:
            started = await start_report(app)
            while report_running(app) and len(loading) < rounds:
                result = await one_round(app)
                if result["report_at_start"]:
                    loading.append(result)
            await until(lambda: not report_running(app), "the report loaded", every=0.05)  # not timed closely
            reports.append(time.perf_counter() - started)
        report_rows = len(app.main.query_one(f"#{REPORT}-results").records)
    return {"idle": idle, "loading": loading, "report_s": statistics.median(reports), "reports": len(reports),
            "report_rows": report_rows}


async def start_report(app) -> float:
    """Show the Encryption Report and load it (again, with f5, once it has loaded); when it started."""
    press(app, "2")
    await until(lambda: app.main.active_pane == REPORT, "the Encryption Report shown")
    started = time.perf_counter()
    if app.main.query_one("ReportPane").loaded:  # else showing the pane loads it
        press(app, "f5")
    await until(lambda: report_running(app), "the report loading")
    return started


def medians(result: dict) -> dict:
    during = result["loading"]
    return {
        "idle_back_ms": statistics.median(r["back_ms"] for r in result["idle"]),
        "loading_back_ms": statistics.median(r["back_ms"] for r in during) if during else None,
        "idle_highlight_ms": statistics.median(r["highlight_ms"] for r in result["idle"]),
        "loading_highlight_ms": statistics.median(r["highlight_ms"] for r in during) if during else None,
        "idle_in_pane_ms": statistics.median(r["in_pane_ms"] for r in result["idle"]),
        "idle_drawn_ms": statistics.median(r["drawn_ms"] for r in result["idle"]),
        "loading_in_pane_ms": statistics.median(r["in_pane_ms"] for r in during) if during else None,
        "loading_drawn_ms": statistics.median(r["drawn_ms"] for r in during) if during else None,
        "rounds_during_report": len(during), "still_loading_when_drawn": sum(r["report_at_draw"] for r in during),
        "report_s": result["report_s"], "reports": result["reports"],
        "report_rows": result["report_rows"],
    }


if __name__ == "__main__":
    if not os.environ.get("PYTHONPATH"):  # this checkout's omeconsole, unless PYTHONPATH names another
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    outcome = asyncio.run(probe(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5))
    print(json.dumps({**outcome, **medians(outcome)}))
