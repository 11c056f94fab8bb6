"""Sort and filter inside 50,000 loaded trace rows, in the real console, beside a plain Textual DataTable.

    .venv/bin/python bench/table_ops.py [--rows 50000] [--runs 5] [--markdown bench/results-tables.md]

The console runs through run_test on a 300-message demo store; its trace rows are copied (new Message IDs,
subjects and times) up to --rows and given to the Trace pane's table. Each operation is timed from the key
press until the table's page has been replaced (PagedTable._show_page returned): `s` sorting by Received,
`s` on to Subject, "gmail" pasted into the `/` filter, and the one character "e" typed into it, with the rows'
search text made ahead (the table makes it in a thread as the rows arrive); and "gmail, cold": pasted before
that text is made (as if typed the instant the rows arrived), so the filter makes it itself. Beside it, in
the same process, a plain DataTable holding the same rows, on keys too: DataTable.sort, and clear() +
add_rows() of the matching rows (timed from the key press until the action returns).
Medians of --runs runs; ratio = plain DataTable ms / console ms (above 1: the console is faster).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's omeconsole

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable, Input  # noqa: E402

from omeconsole.ui.headless import console_app, make_demo, settle  # noqa: E402
from omeconsole.ui.panes.message_trace import COLUMNS, trace_cells, trace_text  # noqa: E402
from omeconsole.ui.widgets.paged_table import PagedTable  # noqa: E402

SIZE = (120, 40)


def grown(rows: list, count: int) -> list:
    """`count` trace rows made from the demo's: each copy its own Message ID, subject and time."""
    out = []
    for n in range(count):
        row = rows[n % len(rows)]
        message = dataclasses.replace(row.message, message_id=f"<b{n:06d}.{row.message.message_id[1:]}",
                                      subject=f"{row.message.subject} #{n}",
                                      received=row.message.received - timedelta(minutes=n))
        recipient = dataclasses.replace(row.recipient, received=None)
        out.append(type(row)(message=message, recipient=recipient))
    return out


class Timer:
    """Wraps the table's page drawing: when it returns, the rows are replaced."""

    def __init__(self, table: PagedTable) -> None:
        self.drawn = 0
        self.at = 0.0
        real = table._show_page

        def show_page(*args, **kwargs):
            real(*args, **kwargs)
            self.drawn += 1
            self.at = time.perf_counter()

        table._show_page = show_page  # type: ignore[method-assign]

    async def time(self, act) -> float:
        before = self.drawn
        start = time.perf_counter()
        await act()
        while self.drawn == before:
            await asyncio.sleep(0.001)
        return (self.at - start) * 1000


async def console_runs(store: Path, rows: int, runs: int) -> dict[str, list[float]]:
    app = console_app(store)
    times: dict[str, list[float]] = {"sort Received": [], "sort Subject": [], "filter gmail": [], "filter e": [],
                                     "filter gmail, cold": []}
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        table.set_records(grown(list(table.records), rows))
        await settle(app, pilot)
        timer = Timer(table)
        box = table.query_one(".row-filter", Input)
        for _ in range(runs):
            table.view.sort = None
            table.table.focus()
            await pilot.pause()
            times["sort Received"].append(await timer.time(lambda: pilot.press("s")))
            await pilot.press("s", "s")  # Sender, Recipient
            times["sort Subject"].append(await timer.time(lambda: pilot.press("s")))
            assert [r.message.subject for r in table.shown[:3]] == sorted(r.message.subject for r in table.records)[:3]
            for name, needle, cold in (("filter gmail", "gmail", False), ("filter e", "e", False),
                                       ("filter gmail, cold", "gmail", True)):
                await pilot.press("slash")
                box.value = ""
                await settle(app, pilot)
                if cold:
                    table.view._texts = None
                if len(needle) > 1:
                    act = lambda needle=needle: _paste(box, pilot, needle)  # noqa: E731
                else:
                    act = lambda needle=needle: pilot.press(needle)  # noqa: E731
                times[name].append(await timer.time(act))
                assert all(needle in trace_text(r).lower() for r in table.shown)
                await pilot.press("escape")
                await settle(app, pilot)
    return times


async def _paste(box: Input, pilot, text: str) -> None:
    box.post_message(events.Paste(text))
    await pilot.pause()


class Plain(App):
    """A plain DataTable holding every row, its operations on keys as the console's are."""

    BINDINGS = [("s", "sort(0)"), ("u", "sort(3)"), ("f", "filter('gmail')"), ("e", "filter('e')"),
                ("a", "all")]

    def __init__(self, rows: list) -> None:
        super().__init__()
        self.rows = rows
        self.done = 0.0

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.keys = table.add_columns(*(c.label for c in COLUMNS))
        table.add_rows(self.rows)

    def action_sort(self, column: int) -> None:
        self.query_one(DataTable).sort(self.keys[column])
        self.done = time.perf_counter()

    def action_filter(self, needle: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(row for row in self.rows if needle in "\t".join(row).lower())
        self.done = time.perf_counter()

    def action_all(self) -> None:
        self.action_filter("")


async def plain_runs(records: list, runs: int) -> dict[str, list[float]]:
    cells = [tuple(str(getattr(c, "plain", c)) for c in trace_cells(r)) for r in records]
    app = Plain(cells)
    times: dict[str, list[float]] = {"sort Received": [], "sort Subject": [], "filter gmail": [], "filter e": []}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(runs):
            for name, key in (("sort Received", "s"), ("sort Subject", "u"), ("filter gmail", "f"),
                              ("filter e", "e"), (None, "a")):
                start = time.perf_counter()
                await pilot.press(key)
                if name:
                    times[name].append((app.done - start) * 1000)
                await pilot.pause()
    return times


def machine() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", ""
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores shared with "
            f"other work, Python {platform.python_version()}, commit {commit}"
            f"{' with uncommitted changes' if dirty else ''}")


def report(console: dict, plain: dict, rows: int, runs: int, argv: list[str]) -> str:
    lines = [f"## {machine()}", "",
             f"`.venv/bin/python bench/table_ops.py {' '.join(argv)}`: {rows:,} trace rows, {SIZE[0]}x{SIZE[1]}, "
             f"medians of {runs} runs (ms, from the key press until the page's rows are replaced)", "",
             "| operation | console (PagedTable) | plain DataTable | ratio | under 200 ms |", "|---|---|---|---|---|"]
    for name in console:
        ours, theirs = statistics.median(console[name]), statistics.median(plain[name.removesuffix(", cold")])
        lines.append(f"| {name} | {ours:.1f} | {theirs:.1f} | {theirs / ours:.1f}x | {'yes' if ours < 200 else 'NO'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path, help="prepend the result to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = make_demo(Path(tmp) / "store", messages=300)
        console = asyncio.run(console_runs(store, args.rows, args.runs))
        app = console_app(store)
        records = grown(_demo_rows(app), args.rows)
        plain = asyncio.run(plain_runs(records, args.runs))
    text = report(console, plain, args.rows, args.runs, sys.argv[1:])
    print(text)
    if args.markdown:
        head = "# Table operations benchmark (bench/table_ops.py), newest first\n\n"
        old = args.markdown.read_text().removeprefix(head) if args.markdown.exists() else ""
        args.markdown.write_text(head + text + ("\n" + old if old else ""))


def _demo_rows(app) -> list:
    async def rows() -> list:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            return list(app.main.query_one("#trace-results", PagedTable).records)

    return asyncio.run(rows())


if __name__ == "__main__":
    main()
