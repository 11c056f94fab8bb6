"""report and trace with --csv or --json made by worker processes: the bytes the search made here
gives, a row limit or a reader that goes away ends the workers, and an error in one is said as here."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time

import pytest

from omeconsole.cli.output import record_text
from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import iter_encryption_report_texts
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import TRACE_PROPERTIES
from omeconsole.core.message_trace.search import iter_message_trace_texts
from omeconsole.core.store import workers
from support.cli import OMECONSOLE, clean_env
from test_streamed_exports import mixed_store  # noqa: F401 - the fixture


class Args:
    def __init__(self, json: bool):
        self.json, self.csv = json, not json


def report_texts(store, count: int, as_json: bool) -> list[str]:
    record = record_text(Args(as_json), REPORT_PROPERTIES)
    return list(iter_encryption_report_texts(Context.open(store), None, None, None,
                                             lambda row: record(row.to_record()), count))


def trace_texts(store, count: int, as_json: bool) -> list[str]:
    record = record_text(Args(as_json), TRACE_PROPERTIES)
    return list(iter_message_trace_texts(Context.open(store), TraceQuery(), lambda row: record(row.to_record()), count))


@pytest.mark.parametrize("as_json", [False, True])
def test_workers_write_what_one_process_writes(mixed_store, as_json):  # noqa: F811
    assert report_texts(mixed_store, 2, as_json) == report_texts(mixed_store, 0, as_json)
    assert len(report_texts(mixed_store, 0, as_json)) > 100
    assert trace_texts(mixed_store, 2, as_json) == trace_texts(mixed_store, 0, as_json)
    assert trace_texts(mixed_store, 1, as_json) == trace_texts(mixed_store, 0, as_json)


def test_results_come_in_order_and_an_error_is_raised_where_it_happened():
    assert list(workers.in_order(lambda n: n * n, list(range(20)), 2, ahead=3)) == [n * n for n in range(20)]

    def damaged(n):
        if n == 5:
            raise StoreDamaged("/x/index/days/2026-01-01.json", "a message summary is malformed")
        return n

    found = workers.in_order(damaged, list(range(10)), 2)
    assert [next(found) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(StoreDamaged, match="a message summary is malformed"):
        next(found)


def children() -> set[int]:
    own = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == own:
                        found.add(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def test_closing_early_ends_the_workers():
    before = children()
    found = workers.in_order(lambda n: n, list(range(100)), 2)
    assert next(found) == 0
    assert len(children() - before) >= 2
    found.close()
    assert children() - before == set()


def test_a_reader_that_goes_away_ends_the_export_and_its_workers(mixed_store):  # noqa: F811
    env = {**clean_env(), "OMECONSOLE_STORE": str(mixed_store)}
    reading, writing = os.pipe()
    fcntl.fcntl(writing, fcntl.F_SETPIPE_SZ, 4096)  # the export blocks on a full pipe with its workers alive
    export = subprocess.Popen([*OMECONSOLE, "report", "--csv"], stdout=writing, stderr=subprocess.PIPE,
                              env=env, stdin=subprocess.DEVNULL)
    os.close(writing)
    deadline = time.monotonic() + 60
    while not (helpers := children_of(export.pid)) and export.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert helpers or workers.spare_cores() == 0
    assert os.read(reading, 100)
    os.close(reading)  # the reader goes away
    assert export.wait(timeout=60) == 0
    assert export.stderr is not None and export.stderr.read() == b""
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)  # an orphan is reaped by init, in its own time
    assert not [pid for pid in helpers if os.path.exists(f"/proc/{pid}")]


def children_of(pid: int) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listed:
            found.update(int(child) for child in listed.read().split())
    return found


def test_a_worker_killed_ends_the_export_with_one_error_not_a_hang():
    def dies_at_three(n):
        if n == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return n

    found = workers.in_order(dies_at_three, list(range(10)), 2)
    with pytest.raises(StoreError, match="a worker process of this export ended unexpectedly"):
        assert [next(found) for _ in range(10)]


def test_ctrl_c_reaches_the_export_not_its_workers():
    def waits(n):
        time.sleep(0.2 if n else 0)
        return n

    before = children_of(os.getpid())
    found = workers.in_order(waits, list(range(6)), 2)
    assert next(found) == 0
    forked = children_of(os.getpid()) - before
    assert len(forked) == 2
    for pid in forked:
        os.kill(pid, signal.SIGINT)  # as a terminal's Ctrl-C reaches every process of the foreground group
    assert list(found) == [1, 2, 3, 4, 5]  # the workers ignored it and finished their days
