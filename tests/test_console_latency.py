"""The console never waits on the store on its event loop, and readers in one process do not wait for
each other: on a store of 30,000 messages, Enter on a row puts its status check in the Details pane in
under 100 ms while a 90-day Encryption Report is still loading, its search held in the middle (it was
962 ms when one lock serialised every read, and forever with the search held). The frame that draws it
comes after, at Textual's cost, the same idle or loading; bench/run.py reports both."""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time

import pytest
from textual import events
from textual.widgets import Select

from omeconsole.core.demo.contoso import create_demo
from omeconsole.core.store.lock import StoreLock
from omeconsole.ui.pane import Pane
from omeconsole.ui.panes.encryption_report import ReportPane
from omeconsole.ui.screens.lookup import LookupScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from support.ui import NOW, capture_notifications, console_app, settle, text_of, until
from support.waiting import within

MESSAGES = 30_000
SHOWN_WITHIN_MS = 100  # Enter to the status in the Details pane (the frame that draws it follows; see README)
SIZE = (120, 40)
HOLD_SECONDS = 30  # a held store call lets go by itself after this, so a console that waits on it fails, not hangs


@pytest.fixture(scope="session")
def store_of_30000(tmp_path_factory):
    """Built once per session and only read: no test here changes the store."""
    root = tmp_path_factory.mktemp("latency") / "store"
    create_demo(root, messages=MESSAGES, seed=11, now=NOW)
    return root


class Held:
    """The next call of one store method stops partway, until the test releases it: for a search, after
    its first partition, inside the store's read lock; for anything else, before it starts."""

    def __init__(self, monkeypatch, store, method: str, generator: bool = False):
        self.reached = threading.Event()
        self.release = threading.Event()
        self._real = getattr(store, method)
        self._used = False
        monkeypatch.setattr(store, method, self._held_search if generator else self._held_call)

    def _first(self) -> bool:
        first, self._used = not self._used, True
        return first

    def _held_search(self, *args, **kwargs):
        batches = self._real(*args, **kwargs)
        if not self._first():
            yield from batches
            return
        yield next(batches, [])
        self._wait()
        yield from batches

    def _held_call(self, *args, **kwargs):
        if self._first():
            self._wait()
        return self._real(*args, **kwargs)

    def _wait(self) -> None:
        self.reached.set()
        self.release.wait(HOLD_SECONDS)

    def __enter__(self) -> Held:
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()

    @property
    def holding(self) -> bool:
        return self.reached.is_set() and not self.release.is_set()


async def reached(held: Held, what: str) -> None:
    await within(HOLD_SECONDS, asyncio.to_thread(held.reached.wait, HOLD_SECONDS), what)
    assert held.reached.is_set(), what


async def painted(screen) -> None:
    """Once the screen has been drawn with what it holds now."""
    drawn = asyncio.Event()
    screen.call_after_refresh(drawn.set)
    await drawn.wait()


def shows_status_of(app, message_id: str) -> bool:
    details = app.main.details
    return (app.main.active_pane == Pane.DETAILS and details is not None
            and details.status.message.message_id == message_id)


async def enter_to_status(app, message_id: str) -> tuple[float, float]:
    """Seconds from Enter on the highlighted row to its status check in the Details pane, and to the next
    frame drawn. The key is posted as a terminal sends it: Pilot's press also waits for the process to idle."""
    shown_at = 0.0

    async def drawn() -> None:
        nonlocal shown_at
        while not shows_status_of(app, message_id):
            await asyncio.sleep(0.001)
        shown_at = time.perf_counter()
        await painted(app.main)

    started = time.perf_counter()
    app.post_message(events.Key("enter", "\r"))
    await within(HOLD_SECONDS / 2, drawn(), lambda: f"Details showing the status of {message_id} after Enter "
                                                    f"(it shows {text_of(app.main.query_one('#details-body'))!r})")
    return shown_at - started, time.perf_counter() - started


async def status_settled(app, pilot, table: PagedTable) -> str:
    """The highlighted row's Message ID, once its status check (started by the highlight) is shown."""
    message_id = table.current.message.message_id
    await until(pilot, lambda: app.main.checking is None and app.main.details is not None
                and app.main.details.status.message.message_id == message_id, "the highlighted row's status shown")
    return message_id


async def test_enter_on_a_row_shows_its_status_while_a_90_day_report_loads(store_of_30000, monkeypatch):
    app = console_app(store_of_30000)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        trace = app.main.query_one(Pane.TRACE.results, PagedTable)
        await enter_to_status(app, await status_settled(app, pilot, trace))  # Details laid out once
        await pilot.press("1", "down")
        idle = await enter_to_status(app, await status_settled(app, pilot, trace))
        await pilot.press("1")
        await settle(app, pilot)

        report = app.main.query_one(ReportPane)
        report.query_one("#report-range", Select).value = "90d"
        await settle(app, pilot)
        with Held(monkeypatch, app.context.store, "search", generator=True) as held:
            await pilot.press("2")
            await reached(held, "the 90-day report's search reading its first partition")
            await pilot.press("1", "down")
            message_id = await status_settled(app, pilot, trace)
            assert held.holding

            loading = await enter_to_status(app, message_id)
            report_worker = [w for w in app.workers if w.group == Pane.REPORT and w.is_running]
            assert held.holding and report_worker, "the status came only after the report's search let go"
            assert text_of(report.query_one(".page-info")).strip() == "Loading the report… (esc cancels)"
            assert message_id in text_of(app.main.query_one("#details-body"))
            assert loading[0] * 1000 < SHOWN_WITHIN_MS, (
                f"Enter to the status in Details took {loading[0] * 1000:.0f} ms while the report loaded, and "
                f"{loading[1] * 1000:.0f} ms to the next frame ({idle[0] * 1000:.0f} and {idle[1] * 1000:.0f} ms "
                f"idle); the limit is {SHOWN_WITHIN_MS} ms")
        await settle(app, pilot)
        rows = report.query_one(PagedTable).records
        assert rows and min(r.message.received for r in rows) < NOW.replace(day=1)  # 90 days, not the default 7


async def test_a_selection_says_it_is_checking_and_the_keys_answer_meanwhile(ui_store, monkeypatch):
    """The status check runs in a worker: while the store holds it up, Details says so, r and c act on
    nothing, and other keys still answer."""
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = app.main.details.status.message.message_id
        with Held(monkeypatch, app.context.store, "get_message") as held:
            await pilot.press("down")
            await reached(held, "the next row's status check reading the store")
            checking = app.main.query_one(Pane.TRACE.results, PagedTable).current.message.message_id
            assert checking != before and app.main.checking == checking and app.main.selected() is None
            assert text_of(app.main.query_one("#details-body")).startswith(f"Checking status… {checking}")
            seen = capture_notifications(app)
            await pilot.press("c", "r", "ctrl+l")
            assert held.holding and isinstance(app.screen, LookupScreen)
            assert app.clipboard == "" and any("still being checked" in note for note in seen)
            await pilot.press("escape")
        await settle(app, pilot)
        assert app.main.selected().status.message.message_id == checking


def test_readers_in_one_process_hold_the_store_lock_together(tmp_path):
    lock = StoreLock(tmp_path / "store.lock")
    both_in = threading.Barrier(2, timeout=10)  # broken if one reader waits for the other
    failures: list[BaseException] = []

    def read() -> None:
        try:
            with lock.hold(exclusive=False):
                both_in.wait()
                assert not lock.exclusive
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(20)
    assert not failures and not any(reader.is_alive() for reader in readers)


def test_an_exclusive_hold_is_the_holding_threads_alone_and_excludes_everyone(tmp_path):
    lock = StoreLock(tmp_path / "store.lock")
    inside, leave = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def write() -> None:
        with lock.hold(exclusive=True):
            with lock.hold(exclusive=False):  # re-entrant within the thread
                seen["writer"] = lock.exclusive
            inside.set()
            leave.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    assert inside.wait(10)
    seen["another thread"] = lock.exclusive
    probe = os.open(tmp_path / "store.lock", os.O_RDONLY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)  # any other holder, in or out of this process
    finally:
        leave.set()
        writer.join(10)
        os.close(probe)
    assert seen == {"writer": True, "another thread": False}
    with lock.hold(exclusive=False), pytest.raises(RuntimeError, match="cannot upgrade"):
        with lock.hold(exclusive=True):
            pass
