"""The console on a busy machine: its searches in a thread (before) or in its search process (after).

    python bench/busy_console.py [--repeat 5] [--sizes 100000,1000000] [--modes thread,process,plain,before]
                                 [--before CHECKOUT]

Starts two CPU burners (`python -c "while True: pass"`), each keeping a core busy, then runs the console on
each cached store (bench/.cache/N/omeconsole; never built or written here) REPEAT times in each mode, the
modes taking turns, one fresh process per run (as bench/console_probe.py, whose measures these are):

- first paint: from the start of the process (interpreter and imports included) to the console drawn;
- a key right after the first paint, while the first search starts (the console's own start-up work, its
  lazy panes, still runs): ctrl+l posted as a terminal sends it, to the console's event loop dispatching it
  (seen by run_test's message hook), and to the lookup dialog mounted (bench/console_probe.py's measure);
- a lookup during the first search: Enter on a Message ID pasted in that dialog, to its Details drawn (and
  whether the search was still running then). "Drawn" is the first frame of the console written after it
  shows them with the Details pane on screen (Textual's App._display; each is checked afterwards to hold
  the status check's text); "callbacks run" adds the work Textual queues after that frame,
  which the person does not wait for but a callback after the refresh does. The console's step that shows
  the Details sets an event; nothing polls (a poll every millisecond took the interpreter lock from the
  lookup's worker thread);
- keys during the first search once that start-up work is done: ctrl+l and Esc again and again while the
  search runs (up to 20, each 0.1 s after the last was drawn), each ctrl+l to dispatched and to the dialog
  mounted: median and worst of a run;
- the same key idle, after the search: what mounting the dialog costs by itself on this machine;
- the first search's rows on screen (from the start of the process);
- a lookup drawn, loaded: once the search is done, back to the trace and another Message ID looked up
  (bench/console_probe.py's second lookup), Enter to its Details ready, drawn, and that frame's callbacks;
- peak memory of the console, and of its search process.

Mode "before" runs the console of another checkout (--before, e.g. a `git worktree` of the last release) in
process mode under this script's measures: older code and newer side by side, measured the same way.

Mode "plain" runs bench/plain_textual.py under the same burners: a bare Textual app (no store, no search)
making the same gestures, measured the same way; the floor under the console's figures.

Prints a Markdown table of medians per store and mode, with the targets, and checks that no file of the
store changed (the console only reads). `--probe STORE MODE ID ID` runs one console and prints its JSON.
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

import argparse  # noqa: E402
import asyncio  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
# This checkout's omeconsole (the search process gets the same path), or, for mode "before", the checkout that
# --before names: the same measures of older code, side by side in one run.
sys.path.insert(0, os.environ.get("BENCH_OMECONSOLE_CHECKOUT", str(HERE.parent)))

WAIT = 600.0  # seconds: a million messages' first search takes a while on busy cores
GAP = 0.1  # seconds between one key's answer drawn and the next key
MEASURES = [  # (key, what, unit, target)
    ("first_paint_s", "console first paint", "s", 1.0),
    ("key_at_paint_dispatched_ms", "key right after the first paint (search starting): dispatched", "ms", 50.0),
    ("key_during_load_ms", "key right after the first paint (search starting): dialog mounted", "ms", None),
    ("searching_dispatched_ms", "keys during the first search, start-up done: dispatched, median", "ms", 50.0),
    ("searching_worst_dispatched_ms", "keys during the first search, start-up done: dispatched, worst", "ms", None),
    ("searching_mounted_ms", "keys during the first search, start-up done: dialog mounted, median", "ms", None),
    ("searching_worst_mounted_ms", "keys during the first search, start-up done: dialog mounted, worst", "ms",
     None),
    ("idle_mounted_ms", "the same key idle, after the search: dialog mounted, median", "ms", None),
    ("lookup_during_search_drawn_ms", "lookup during the first search: Details drawn (frame written)", "ms", 100.0),
    ("lookup_during_search_settled_ms", "lookup during the first search: that frame's callbacks run", "ms", None),
    ("trace_shown_s", "first search's rows on screen", "s", None),
    ("lookup_ms", "lookup, loaded: Details ready", "ms", None),
    ("lookup_drawn_ms", "lookup, loaded: Details drawn (frame written)", "ms", 100.0),
    ("lookup_settled_ms", "lookup, loaded: that frame's callbacks run", "ms", None),
    ("peak_rss_mb", "console peak memory", "MB", None),
    ("child_peak_rss_mb", "search process peak memory", "MB", None),
]


# -- one console (--probe) -----------------------------------------------------------------------------------

def since_start() -> float:
    return time.perf_counter() - BORN


async def until(condition, what: str) -> None:
    """Poll every millisecond (Pilot's own waits wait for the CPU to go idle, which the burners never let)."""
    deadline = time.perf_counter() + WAIT
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the console never got there: {what}")
        await asyncio.sleep(0.001)


async def painted(screen) -> None:
    drawn = asyncio.Event()
    screen.call_after_refresh(drawn.set)
    await drawn.wait()


DISPATCHED: dict[int, float] = {}  # a posted key event (by id) -> when the console's event loop dispatched it


def on_message(message) -> None:
    """run_test's message hook: the first dispatch of a key event is the app's, as its loop gets to it."""
    from textual import events

    if isinstance(message, events.Key) and id(message) not in DISPATCHED:
        DISPATCHED[id(message)] = time.perf_counter()


def press(app, key: str) -> tuple[object, float]:
    """Post a key as the terminal would: the event, and when it was posted."""
    from textual import events

    event = events.Key(key, None)
    posted = time.perf_counter()
    app.post_message(event)
    return event, posted


def searching(app) -> bool:
    return any(w.is_running and w.group == "trace" for w in app.workers)


async def look_up(app, message_id: str) -> tuple[float, float, float, bool]:
    """In the open lookup dialog: the ID pasted and drawn, then milliseconds from Enter to its Details in the
    pane, to the frame that shows them written, and to the callbacks after that frame run; and whether that
    frame holds the Details."""
    from textual.widgets import Input

    from omeconsole.ui.screens.lookup import LookupScreen

    await until(lambda: isinstance(app.screen, LookupScreen) and isinstance(app.screen.focused, Input),
                "the lookup dialog open")
    app.screen.query_one(Input).value = message_id
    await painted(app.screen)
    with details_shown(app, message_id) as shown:
        _, asked = press(app, "enter")
        await asyncio.wait_for(shown.drawn.wait(), WAIT)
        await painted(app.main)
    times = tuple((at - asked) * 1000 for at in (shown.at, shown.written, time.perf_counter()))
    return (*times, frame_shows_details(shown.frame))


def frame_shows_details(update) -> bool:
    """Whether the frame counted as drawn holds the Details pane's status check (read after the timing)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(update)
    return "Get-OMEMessageStatus" in console.export_text()


class _Shown(asyncio.Event):
    at = 0.0  # when the console showed them
    written = 0.0  # when the first frame with the Details pane on screen after that went to the terminal
    frame = None  # that frame

    def __init__(self) -> None:
        super().__init__()
        self.drawn = asyncio.Event()  # set as that frame is written


@contextmanager
def details_shown(app, message_id: str) -> Iterator[_Shown]:
    """Set when the console shows MESSAGE_ID's Details, by the console's own step that shows a status: no
    polling, whose wake-ups every millisecond would take the interpreter lock from the lookup's thread. Its
    `drawn` is set when the next frame of the console with the Details pane on screen is written (Textual's
    App._display)."""
    screen, shown = app.main, _Shown()
    arrived, display = screen._status_arrived, app._display

    def showing(*args):
        result = arrived(*args)
        details = screen.details
        if screen.active_pane == "details" and details and details.status.message.message_id == message_id:
            shown.at = time.perf_counter()
            shown.set()
        return result

    from omeconsole.ui.panes.details import DetailsPane

    def writing(on_screen, update):
        # The pane switch lands in a later step than the status: a frame written between the two (the console
        # behind the closed dialog, say) still shows the trace. The Details pane is on screen once laid out.
        if (shown.is_set() and not shown.written and on_screen is screen and update is not None
                and screen.query_one(DetailsPane).region):
            shown.written, shown.frame = time.perf_counter(), update
            shown.drawn.set()
        return display(on_screen, update)

    screen._status_arrived, app._display = showing, writing
    try:
        yield shown
    finally:
        del screen._status_arrived, app._display


async def open_dialog(app) -> tuple[float, float]:
    """ctrl+l: milliseconds to the key dispatched by the console's loop, and to the lookup dialog mounted."""
    from omeconsole.ui.screens.lookup import LookupScreen

    event, posted = press(app, "ctrl+l")
    await until(lambda: isinstance(app.screen, LookupScreen) and app.screen.is_mounted, "the lookup dialog")
    mounted = (time.perf_counter() - posted) * 1000
    return (DISPATCHED[id(event)] - posted) * 1000, mounted


async def keys(app, while_searching: bool, most: int) -> list[tuple[float, float]]:
    """ctrl+l and Esc, again and again (while the first search runs, if asked): each open_dialog's times. Each
    ctrl+l comes a tenth of a second after the last Esc was drawn, as a person's would: not queued behind it."""
    from omeconsole.ui.screens.lookup import LookupScreen

    times: list[tuple[float, float]] = []
    while len(times) < most:
        await asyncio.sleep(GAP)
        if while_searching and not searching(app):
            break
        times.append(await open_dialog(app))
        press(app, "escape")
        await until(lambda: not isinstance(app.screen, LookupScreen), "the lookup dialog closed")
        await painted(app.main)
    return times


def summed(result: dict, name: str, times: list[tuple[float, float]]) -> None:
    result[f"{name}_count"] = len(times)
    if times:
        result[f"{name}_dispatched_ms"] = statistics.median(t[0] for t in times)
        result[f"{name}_worst_dispatched_ms"] = max(t[0] for t in times)
        result[f"{name}_mounted_ms"] = statistics.median(t[1] for t in times)
        result[f"{name}_worst_mounted_ms"] = max(t[1] for t in times)


async def probe(store: str, mode: str, message_id: str, second_id: str) -> dict:
    from omeconsole.core.context import Context
    from omeconsole.ui.app import OmeConsoleApp
    from omeconsole.ui.panes.message_trace import TracePane
    from omeconsole.ui.widgets.paged_table import PagedTable

    app = OmeConsoleApp(Path(store), Context.open(store, face="console"), search_apart=mode == "process")
    result: dict = {"mode": mode}
    async with app.run_test(size=(120, 40), message_hook=on_message):
        await until(lambda: app.main is not None and app.main.is_mounted, "the console mounted")
        await painted(app.main)
        result["first_paint_s"] = since_start()
        table = app.main.query_one(TracePane).query_one(PagedTable)
        await until(lambda: searching(app) or table.records, "the first search started")
        result["search_running_at_key"] = searching(app)
        result["key_at_paint_dispatched_ms"], result["key_during_load_ms"] = await open_dialog(app)
        (_, result["lookup_during_search_drawn_ms"], result["lookup_during_search_settled_ms"],
         result["lookup_during_search_frame_shows_details"]) = await look_up(app, message_id)
        result["search_running_at_lookup_drawn"] = searching(app)
        await until(lambda: app.main.lazy_panes_mounted, "the lazy panes mounted")
        await painted(app.main)
        summed(result, "searching", await keys(app, while_searching=True, most=20))
        await until(lambda: table.records and not searching(app), "the first search's rows")
        result["trace_shown_s"] = since_start()
        result["trace_rows"] = len(table.records)
        result["search_process_used"] = app.search_process is not None and app.search_process.pid is not None
        summed(result, "idle", await keys(app, while_searching=False, most=5))

        press(app, "1")  # back to the Message Trace, and another message looked up from there
        await painted(app.main)
        press(app, "ctrl+l")
        (result["lookup_ms"], result["lookup_drawn_ms"], result["lookup_settled_ms"],
         result["lookup_frame_shows_details"]) = await look_up(app, second_id)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


# -- the runs ----------------------------------------------------------------------------------------------

def message_ids(store: Path, count: int) -> list[str]:
    """The first Message IDs of the first sender partition (as bench/run.py picks them)."""
    from omeconsole.core.context import Context

    index = Context.open(store).store.index
    first = sorted((store / "index" / "senders").glob("*.json"))[0].stem
    return [summary["message_id"] for summary in index.read(f"senders/{first}").values()][:count]


def store_files(store: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(store)): (p.stat().st_mtime_ns, p.stat().st_size) for p in store.rglob("*")
            if p.is_file()}


def burners(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def run_probe(store: Path, mode: str, ids: list[str], before: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_")}
    if mode == "before":
        assert before is not None, "mode before needs --before"
        env["BENCH_OMECONSOLE_CHECKOUT"] = str(before.resolve())
    probed = "process" if mode == "before" else mode
    argv = ([str(HERE / "plain_textual.py")] if mode == "plain" else [__file__, "--probe", str(store), probed, *ids])
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env, timeout=WAIT)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} probe failed on {store}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(size: int, runs: dict[str, list[dict]]) -> list[str]:
    modes = list(runs)
    lines = [f"| {size:,} messages | " + " | ".join(f"{m} (median)" for m in modes) + " | runs | target |",
             "|---|" + "---:|" * len(modes) + "---:|---|"]
    for key, what, unit, target in MEASURES:
        cells = []
        for mode in modes:
            values = [r[key] for r in runs[mode] if key in r]
            cells.append(_shown(statistics.median(values), unit) if values else "")
        shown_target = f"< {_shown(target, unit)}" if target is not None else ""
        lines.append(f"| {what} | " + " | ".join(cells) + f" | {len(runs[modes[0]])} | {shown_target} |")
    for key, what in (("trace_rows", "rows of the first search"),
                      ("searching_count", "keys pressed during the first search, start-up done"),
                      ("search_running_at_key", "search still running at the key (runs)"),
                      ("search_running_at_lookup_drawn", "search still running when that lookup was drawn (runs)"),
                      ("search_process_used", "search process used (runs)"),
                      ("lookup_during_search_frame_shows_details", "the lookup during the search: frame holds Details (runs)"),
                      ("lookup_frame_shows_details", "the lookup once loaded: frame holds Details (runs)")):
        cells = []
        for mode in modes:
            values = [r[key] for r in runs[mode] if key in r]
            cells.append("" if not values else f"{sum(map(bool, values))} of {len(values)}"
                         if isinstance(values[0], bool) else f"{statistics.median(values):,.0f}")
        lines.append(f"| {what} | " + " | ".join(cells) + " | | |")
    return lines


def _shown(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.0f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--modes", default="thread,process,plain",
                        help="plain: bench/plain_textual.py, the floor (a bare Textual app, the same gestures)")
    parser.add_argument("--before", type=Path,
                        help='a checkout of older code: mode "before" runs it in process mode, measured the same way')
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    args = parser.parse_args()
    modes = args.modes.split(",")
    load = os.getloadavg()
    print(f"busy console benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores (shared), Python {platform.python_version()}; {args.burners} CPU burners; "
          f"medians of {args.repeat} runs per mode; load average before the burners "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    everything: dict = {}
    for size in (int(s) for s in args.sizes.split(",")):
        store = args.cache / str(size) / "omeconsole"
        if not (store / "store.json").exists():
            raise SystemExit(f"no cached store at {store}: run bench/run.py --sizes {size} first")
        ids, before = message_ids(store, 2), store_files(store)
        runs: dict[str, list[dict]] = {mode: [] for mode in modes}
        hot = burners(args.burners)
        try:
            for n in range(args.repeat):
                for mode in modes if n % 2 == 0 else reversed(modes):  # taking turns: neither always first
                    runs[mode].append(run_probe(store, mode, ids, args.before))
                    print(f"  {size:,} {mode} run {n + 1}: {json.dumps(runs[mode][-1])}", flush=True)
        finally:
            for burner in hot:
                burner.kill()
                burner.wait()
        untouched = store_files(store) == before
        print("\n" + "\n".join(table(size, runs)))
        print(f"\nstore files unchanged: {'yes' if untouched else 'NO'}", flush=True)
        everything[size] = {"runs": runs, "store_unchanged": untouched}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--probe":
        print(json.dumps(asyncio.run(probe(*sys.argv[2:6]))))
    else:
        main()
