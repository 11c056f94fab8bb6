"""The console's Encryption Report over 90 days, through run_test: from the range chosen to its rows and
charts on screen.

    python bench/report_probe.py STORE

Prints one JSON object: seconds from choosing "90 days" in the report's range to the first rows and the
charts on screen, and to the newest 50,000 rows loaded; the rows shown, and the messages the charts count.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's omeconsole

from textual.widgets import Select  # noqa: E402

from omeconsole.core.context import Context  # noqa: E402
from omeconsole.ui.app import OmeConsoleApp  # noqa: E402
from omeconsole.ui.headless import settle, until  # noqa: E402
from omeconsole.ui.panes.encryption_report import ReportPane  # noqa: E402
from omeconsole.ui.widgets.paged_table import PagedTable  # noqa: E402


async def probe(store: Path) -> dict:
    app = OmeConsoleApp(store, Context.open(store, face="console"), search_apart=True)  # as a real console
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot, seconds=600)
        await pilot.press("2")
        await settle(app, pilot, seconds=600)
        pane = app.screen.query_one(ReportPane)
        table = pane.query_one(PagedTable)
        before = table.records
        started = time.perf_counter()
        pane.query_one("#report-range", Select).value = "90d"
        await until(pilot, lambda: table.records is not before, "the 90-day report's first rows", seconds=600)
        await pilot.pause()
        shown, first_rows = time.perf_counter() - started, len(table.records)
        await until(pilot, lambda: not pane.loading_report, "the 90-day report loaded", seconds=600)
        await pilot.pause()
        summary = pane._summary
        return {"first_page_s": shown, "first_rows": first_rows, "all_rows_s": time.perf_counter() - started,
                "rows_shown": len(table.records), "messages_counted": summary.messages}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(Path(sys.argv[1])))))
