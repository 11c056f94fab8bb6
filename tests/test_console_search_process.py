"""The console's searches in their own process (omeconsole/core/search_process.py): the rows it shows are the
core's rows; a newer search and Esc stop the older one in the child, between days; a killed child is said
and replaced; and the child ends with the console.

A slow search here is a real one made to wait: the test holds the store's lock exclusively, as a writer in
another process would, so the child's search waits in the store's own read lock until the test lets go.
Nothing in the child is patched (a patch in this process would not reach it)."""

from __future__ import annotations

import fcntl
import os
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from omeconsole.core import search_process
from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.errors import OmeError
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.search_process import SearchProcess, Ticket
from omeconsole.ui.app import OmeConsoleApp
from omeconsole.ui.panes.encryption_report import ReportPane
from omeconsole.ui.panes.message_trace import ROW_LIMIT, TracePane
from omeconsole.ui.widgets.paged_table import PagedTable
from support.ui import capture_notifications, fixed_clock, settle, text_of, until

SIZE = (120, 40)
USER = "megan.bowen@contoso.com"


def apart_app(store: Path, identity: str | None = None) -> OmeConsoleApp:
    """The real console, with its search process (a headless one has none unless asked)."""
    context = Context.open(store, identity, face="console", clock=fixed_clock)
    return OmeConsoleApp(store, context, identity=identity, clock=fixed_clock, search_apart=True)


@pytest.fixture
def every_search_apart(monkeypatch):
    """The demo store is small: each of its searches takes under a frame, and would stay in the console."""
    monkeypatch.setattr(search_process, "THREAD_BELOW", 0)


@pytest.fixture
def sent(monkeypatch) -> list[Ticket]:
    """Every request the console sends its search process, as its ticket (which the child's answer fills)."""
    tickets: list[Ticket] = []
    real = SearchProcess.submit

    def submit(self, envelope, lane):
        ticket, notice = real(self, envelope, lane)
        tickets.append(ticket)
        return ticket, notice

    monkeypatch.setattr(SearchProcess, "submit", submit)
    return tickets


@contextmanager
def store_held(store: Path):
    """The store's lock, held exclusively: every read of the store, in any process, waits until it is let go."""
    fd = os.open(store / "store.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nothing reads now: the console has settled
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def trace(app) -> PagedTable:
    return app.main.query_one("#trace-results", PagedTable)


def search_for(app, subject: str) -> None:
    app.main.query_one("#subject").value = subject
    app.main.query_one(TracePane).search()


def core_trace(store: Path, app, identity: str | None = None):
    """What the core gives in this process for the search the form holds now."""
    query = app.main.query_one(TracePane).build_query()
    return get_message_trace(Context.open(store, identity, clock=fixed_clock), query, limit=ROW_LIMIT)


def children() -> set[int]:
    """This process's child processes, zombies included (from /proc)."""
    mine, found = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[1]) == mine:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.parametrize("identity", [None, USER])
async def test_the_trace_and_report_from_the_search_process_are_the_cores_rows(ui_store, every_search_apart, sent,
                                                                             identity):
    app = apart_app(ui_store, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert {t.lane for t in sent} == {"trace"} and all(t.outcome == "rows" for t in sent)
        expected = core_trace(ui_store, app, identity)
        assert expected.rows and trace(app).records == expected.rows

        search_for(app, "salary")
        await settle(app, pilot)
        expected = core_trace(ui_store, app, identity)
        assert expected.rows and trace(app).records == expected.rows and sent[-1].outcome == "rows"

        await pilot.press("2")
        await settle(app, pilot)
        pane = app.main.query_one(ReportPane)
        start, end, filters = pane._filters()
        report = get_encryption_report(Context.open(ui_store, identity, clock=fixed_clock), start=start, end=end,
                                       limit=ROW_LIMIT, filters=filters)
        assert report.rows and pane.query_one(PagedTable).records == report.rows
        assert pane._summary == report.summary
        assert sent[-1].lane == "report" and sent[-1].outcome == "rows"


async def test_small_searches_stay_in_the_console(ui_store, sent):
    """Ten days of the demo store is a few KB of index: the thread answers within a frame, no round trip."""
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert trace(app).records == core_trace(ui_store, app).rows
        assert app.search_process is not None and app.search_process.pid is not None and not sent


async def test_a_newer_search_cancels_the_older_in_the_search_process(ui_store, every_search_apart, sent):
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        with store_held(ui_store):
            search_for(app, "salary")
            await until(pilot, lambda: len(sent) == 2, "the first search sent to the search process")
            search_for(app, "review")
            await until(pilot, lambda: len(sent) == 3, "the second search sent to the search process")
            older, newer = sent[1], sent[2]
            await until(pilot, older.cancel_sent.is_set, "the search process told to stop the first search")
            assert not older.answered.is_set()  # both wait in the store's lock
        await until(pilot, older.answered.is_set, "the first search answered")
        assert older.outcome == "cancelled"  # it stopped at its first day, in the child
        await settle(app, pilot)
        assert newer.outcome == "rows"
        expected = core_trace(ui_store, app)
        assert expected.rows and trace(app).records == expected.rows
        assert all("review" in row.message.subject.lower() for row in trace(app).records)


async def test_esc_cancels_a_search_in_the_search_process_and_keeps_the_rows_from_before(ui_store,
                                                                                       every_search_apart, sent):
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = list(trace(app).records)
        pane = app.main.query_one(TracePane)
        seen = capture_notifications(app)
        with store_held(ui_store):
            search_for(app, "salary")
            await until(pilot, lambda: len(sent) == 2 and pane.searching, "the search running in the child")
            assert "Searching" in text_of(trace(app).query_one(".page-info"))
            await pilot.press("escape")
            assert not pane.searching and "Search cancelled" in seen
            await until(pilot, sent[1].cancel_sent.is_set, "the search process told to stop the search")
        await until(pilot, sent[1].answered.is_set, "the cancelled search answered")
        assert sent[1].outcome == "cancelled"
        await settle(app, pilot)
        assert trace(app).records == before
        assert "cancelled" in text_of(trace(app).query_one(".page-info"))


async def test_a_killed_search_process_is_said_and_replaced(ui_store, every_search_apart):
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        process = app.search_process
        assert process is not None
        first = process.pid
        seen = capture_notifications(app)
        os.kill(first, signal.SIGKILL)
        await until(pilot, lambda: process.pid is None, "the killed search process seen to be gone")
        search_for(app, "salary")
        await settle(app, pilot)
        assert [line for line in seen if "search process" in line] == [
            "The search process had stopped (killed by SIGKILL); a new one was started"]
        assert process.pid not in (None, first)
        assert trace(app).records == core_trace(ui_store, app).rows


async def test_a_search_process_killed_during_a_search_fails_that_search_in_one_line(ui_store,
                                                                                    every_search_apart, sent):
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        process = app.search_process
        assert process is not None
        seen = capture_notifications(app)
        with store_held(ui_store):
            search_for(app, "salary")
            await until(pilot, lambda: len(sent) == 2, "the search sent to the search process")
            os.kill(process.pid, signal.SIGKILL)
            await until(pilot, sent[1].answered.is_set, "the search's end told")
        await settle(app, pilot)
        assert [line for line in seen if "search process" in line] == [
            "the search process stopped (killed by SIGKILL) before this search finished; search again to start a "
            "new one"]
        search_for(app, "review")
        await settle(app, pilot)
        assert len([line for line in seen if "search process" in line]) == 1  # said once
        assert sent[-1].outcome == "rows" and trace(app).records == core_trace(ui_store, app).rows


async def test_an_error_in_the_search_process_is_the_same_error_and_line(ui_store, every_search_apart, sent):
    newest_day = max((ui_store / "index" / "days").glob("*.json"))
    newest_day.write_bytes(b"this is not a partition")
    app = apart_app(ui_store)
    seen = capture_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        with pytest.raises(OmeError) as in_process:
            core_trace(ui_store, app)
        assert sent and sent[0].outcome == "failed"
        assert str(in_process.value) in seen and not trace(app).records


async def test_the_search_process_ends_with_the_console(ui_store, every_search_apart, recwarn):
    before = children()
    app = apart_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        pid = app.search_process.pid
        assert pid in children()
        await pilot.press("ctrl+q")
    assert not Path(f"/proc/{pid}").exists()  # ended and reaped: no orphan, no zombie
    assert children() <= before
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning) or "leaked" in str(w.message)]


async def test_a_passphrase_only_the_console_holds_keeps_its_searches_in_the_console(cli, store_dir, monkeypatch,
                                                                                   every_search_apart, sent):
    """The child would need it to key an audit entry (a refused search is audited): it is never sent down a
    pipe. From OMECONSOLE_PASSPHRASE, which the child inherits as the console does, it is the child's too."""
    passphrase = "a long enough passphrase"
    cli("init", "--org", "Tailspin", "--domain", "tailspintoys.com", "--admin", "a@tailspintoys.com",
        "--license", "E5", "--passphrase-stdin", stdin=passphrase + "\n")
    monkeypatch.delenv("OMECONSOLE_PASSPHRASE", raising=False)
    context = Context.open(store_dir, face="console", clock=fixed_clock, passphrase=lambda: passphrase)
    app = OmeConsoleApp(store_dir, context, clock=fixed_clock, passphrase=lambda: passphrase, search_apart=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not sent and app.search_process.pid is not None

    monkeypatch.setenv("OMECONSOLE_PASSPHRASE", passphrase)
    app = OmeConsoleApp(store_dir, Context.open(store_dir, face="console", clock=fixed_clock), clock=fixed_clock,
                        search_apart=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert [t.outcome for t in sent] == ["rows"]
