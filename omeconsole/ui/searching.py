"""A pane's search or report, run where it keeps the keyboard answering: in the console's search process when
that takes it (omeconsole/core/search_process.py), else in the pane's worker thread, as the pane asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import ReportResult
from omeconsole.core.message_trace.records import TraceResult
from omeconsole.core.search_process import Request, SearchProcess
from omeconsole.ui.host import ConsoleHost

R = TypeVar("R", TraceResult, ReportResult)


def search_process_of(app: ConsoleHost) -> SearchProcess | None:
    """The console's search process, if it runs one (a headless console, for one, need not)."""
    return app.search_process


def searched(app: ConsoleHost, context: Context, request: Request, in_thread: Callable[[], R], stop: Callable[[], bool],
             title: str) -> R:
    """REQUEST's result, from a worker thread (it waits). IN_THREAD makes the same core call here; STOP is the
    worker's cancel. What the person should know of the search process itself is a warning under TITLE."""
    process = search_process_of(app)
    if process is None:
        return in_thread()

    def told(line: str) -> None:
        app.call_from_thread(app.notify, line, title=title, severity="warning")

    return process.run(context, request, in_thread, stop, told)
