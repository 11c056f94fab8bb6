"""report and trace with --csv or --json made by worker processes: the bytes the search made here
gives, a row limit or a reader that goes away ends the workers, and an error in one is said as here."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from omeconsole.cli.output import record_text
from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import iter_encryption_report_texts
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.errors import StoreDamaged
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
    export = subprocess.Popen([*OMECONSOLE, "report", "--csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, stdin=subprocess.DEVNULL)
    assert export.stdout is not None
    export.stdout.read(100)
    export.stdout.close()
    assert export.wait(timeout=60) == 0
    assert export.stderr is not None and export.stderr.read() == b""
    time.sleep(0.2)
    leftover = [pid for pid in children() if pid != export.pid]
    assert not [pid for pid in leftover if os.path.exists(f"/proc/{pid}")
                and "omeconsole" in open(f"/proc/{pid}/cmdline").read()]
