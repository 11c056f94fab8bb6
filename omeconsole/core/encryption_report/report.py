"""The Encryption Report's Details table and its summary, as both faces ask for it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.kept_counts import kept_summary
from omeconsole.core.encryption_report.rows import ReportRow
from omeconsole.core.encryption_report.selection import ReportFilter, Selection
from omeconsole.core.encryption_report.summary import ReportSummary, ReportTally
from omeconsole.core.errors import Cancelled
from omeconsole.core.gcpause import collection_paused
from omeconsole.core.mail.model import EncryptionMethod
from omeconsole.core.message_trace.records import newest_first, rows_found, texts_in_order

__all__ = ["ReportFilter", "ReportResult", "get_encryption_report", "iter_encryption_report",
           "iter_encryption_report_texts"]


@dataclass(frozen=True)
class ReportResult:
    """The report's rows, newest first (at most `limit`, the newest), and its summary of every row."""

    rows: list[ReportRow]
    summary: ReportSummary
    truncated: bool = False
    limit: int | None = None


def get_encryption_report(context: Context, start: datetime | None = None, end: datetime | None = None,
                          method: EncryptionMethod | None = None, template: str | None = None,
                          limit: int | None = None, stop: Callable[[], bool] | None = None,
                          filters: ReportFilter | None = None) -> ReportResult:
    """Encrypted messages, one row per recipient, filtered by date, encryption method and template
    (as the report's column names it) and `filters` (sender, recipient, protection, branding template,
    revocation status), newest first; at most `limit` rows, the newest. The summary counts every
    matching row: from the counts the store keeps by day when nothing but the dates is asked for (and
    the reader sees every message), else row by row. `stop` is asked between batches (days): yes ends
    the report with Cancelled."""
    chosen = filters or ReportFilter()
    chosen = replace(chosen, method=method or chosen.method, template=template or chosen.template)
    context.require_reader("report")
    selection = Selection(context, start, end, chosen)
    with context.store.reading(), collection_paused():
        summary = kept_summary(selection) if selection.dates_only else None
        if summary is not None:  # the newest rows are all that is read
            with closing(_rows(selection, stop)) as found:  # as of the summary's moment
                rows = list(islice(found, None if limit is None else min(limit, sys.maxsize)))
        else:
            rows, summary = _counted_row_by_row(selection, limit, stop)
    truncated = limit is not None and summary.recipients > limit
    return ReportResult(rows, summary, truncated, limit)


def _counted_row_by_row(selection: Selection, limit: int | None,
                        stop: Callable[[], bool] | None) -> tuple[list[ReportRow], ReportSummary]:
    """Every matching row counted; the newest `limit` of them kept."""
    tally, kept = ReportTally(), list[ReportRow]()
    for batch in selection.context.store.search(selection.query):
        if stop is not None and stop():
            raise Cancelled()
        keep = limit is None or len(kept) <= limit  # batches are days, newest first
        for rows in map(selection.rows_of, filter(selection.wanted, batch)):
            tally.add(rows)
            if keep:
                kept.extend(rows)
    kept.sort(key=newest_first, reverse=True)
    return kept[:limit], tally.summary()


def iter_encryption_report(context: Context, start: datetime | None = None, end: datetime | None = None,
                           filters: ReportFilter | None = None,
                           stop: Callable[[], bool] | None = None) -> Generator[ReportRow]:
    """The report's rows newest first, each as soon as no older day can come before it: an export
    of 90 days holds one day's rows at a time (close it when done early)."""
    context.require_reader("report")
    selection = Selection(context, start, end, filters or ReportFilter())
    with context.store.reading(), collection_paused():
        yield from _rows(selection, stop)


def _rows(selection: Selection, stop: Callable[[], bool] | None) -> Generator[ReportRow]:
    """The selection's rows, newest first, each status as of the selection's moment."""
    yield from rows_found(selection.context.store, selection.query, selection.wanted_rows, stop)


def iter_encryption_report_texts(context: Context, start: datetime | None, end: datetime | None,
                                 filters: ReportFilter | None, text: Callable[[ReportRow], str], workers: int = 0,
                                 stop: Callable[[], bool] | None = None) -> Generator[str]:
    """iter_encryption_report's rows as `text` writes each (a CSV line, a JSON object), the days read,
    their rows made and written by `workers` processes (spare_cores; none: here), in the same order."""
    context.require_reader("report")
    selection = Selection(context, start, end, filters or ReportFilter())
    with context.store.reading(), collection_paused():
        yield from texts_in_order(context.store, selection.query, selection.wanted_rows, text, workers, stop)
