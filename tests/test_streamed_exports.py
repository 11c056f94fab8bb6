"""trace and report with --csv or --json write their rows as they are found: the bytes are those of
the whole result sorted and written at once, for every kind of search, with a row limit, with
bifurcated copies (rows dated on other days than their message), and with hostile text."""

from __future__ import annotations

import random
import subprocess
from datetime import timedelta

import pytest

from omeconsole.cli import render
from omeconsole.core.context import Context
from omeconsole.core.demo.contoso import ADMINS, LINK_BASED, USERS, create_demo
from omeconsole.core.encryption_report.report import ReportFilter, get_encryption_report
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.encryption_report.selection import Selection
from omeconsole.core.mail.model import Protection
from omeconsole.core.mail.send import send_message
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import TRACE_PROPERTIES, TraceRow, newest_first
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.rules import can_read
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.core.text.times import format_iso
from support.cli import OMECONSOLE, clean_env
from support.clock import Clock
from support.hostile import CORPUS
from test_trace_index import NOW, write_import


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory):
    """A demo, sends on many days with hostile subjects, and two imports with bifurcated copies."""
    root = tmp_path_factory.mktemp("streamed") / "store"
    create_demo(root, messages=160, seed=12, now=NOW)
    admin, rng = Context.open(root, ADMINS[0], clock=Clock(NOW)), random.Random(4)
    hostile = [s for s in CORPUS.values() if "\n" not in s and "\r" not in s and len(s) < 4096][:12]
    for n, subject in enumerate(hostile):
        send_message(admin, sender=rng.choice(USERS), recipients=rng.sample(LINK_BASED + USERS, 2), subject=subject,
                     body="b", protection=Protection.ENCRYPT_ONLY, template="Contoso Secure",
                     received=NOW - timedelta(days=n * 7, seconds=rng.randrange(86400)))
    senders: dict = {}
    for number, rows in enumerate((range(30), range(30, 60))):
        write_import(root.parent / f"export{number}.csv", rng, rows, senders)
        TraceImport(admin).import_file(root.parent / f"export{number}.csv")
    return root


def run(store, *args) -> bytes:
    env = {**clean_env(), "OMECONSOLE_STORE": str(store)}
    result = subprocess.run([*OMECONSOLE, *args], capture_output=True, env=env, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stdout


def whole(records: list[dict], columns, as_json: bool) -> bytes:
    """What the CLI printed before it streamed: the list rendered at once."""
    text = render.as_json(records) + "\n" if as_json else render.as_csv(records, columns)
    return text.encode("utf-8")


def trace_records(store, query: TraceQuery) -> list[dict]:
    context = Context.open(store)
    rows = [TraceRow(m, r) for m in context.store.iter_messages() if can_read(context.actor, m)
            and query.matches_message(m) for r in m.recipients if query.matches_recipient(r, m)]
    return [row.to_record() for row in sorted(rows, key=newest_first, reverse=True)]


def report_records(store, start, end, filters: ReportFilter) -> list[dict]:
    context = Context.open(store)
    selection = Selection(context, start, end, filters)
    rows = [row for m in context.store.iter_messages() if selection.wanted(m) for row in selection.rows_of(m)]
    return [row.to_record() for row in sorted(rows, key=newest_first, reverse=True)]


TRACES = [
    ((), TraceQuery()),
    (("--start", format_iso(NOW - timedelta(days=40)), "--end", format_iso(NOW - timedelta(days=3, hours=5))),
     TraceQuery(start=NOW - timedelta(days=40), end=NOW - timedelta(days=3, hours=5))),
    (("--sender", USERS[0]), TraceQuery(senders=parse_patterns([USERS[0]]))),
    (("--recipient", "*@gmail.com"), TraceQuery(recipients=parse_patterns(["*@gmail.com"]))),
    (("--status", "Failed"), TraceQuery(statuses=[])),  # filtered below
]


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
@pytest.mark.parametrize("case", range(len(TRACES)))
def test_a_streamed_trace_is_the_whole_result_byte_for_byte(mixed_store, fmt, case):
    args, query = TRACES[case]
    expected = trace_records(mixed_store, query)
    if "--status" in args:
        expected = [r for r in expected if r["Status"] == "Failed"]
    assert expected
    assert run(mixed_store, "trace", *args, fmt) == whole(expected, TRACE_PROPERTIES, fmt == "--json")


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
def test_a_streamed_trace_stops_at_the_result_size_and_says_more_match(mixed_store, fmt):
    expected = trace_records(mixed_store, TraceQuery())[:25]
    env = {**clean_env(), "OMECONSOLE_STORE": str(mixed_store)}
    result = subprocess.run([*OMECONSOLE, "trace", "--result-size", "25", fmt], capture_output=True, env=env,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert result.stdout == whole(expected, TRACE_PROPERTIES, fmt == "--json")
    assert result.stderr.decode() == "omeconsole: showing the newest 25 rows; more match this search\n"


REPORTS = [
    ((), (None, None, ReportFilter())),
    (("--start", format_iso(NOW - timedelta(days=90)), "--end", format_iso(NOW)),
     (NOW - timedelta(days=90), NOW, ReportFilter())),
    (("--sender", USERS[1]), (None, None, ReportFilter(senders=tuple(parse_patterns([USERS[1]]))))),
    (("--revocation-status", "Revocable"), (None, None, ReportFilter(revocation_status="Revocable"))),
]


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
@pytest.mark.parametrize("case", range(len(REPORTS)))
def test_a_streamed_report_is_the_whole_result_byte_for_byte(mixed_store, fmt, case):
    args, (start, end, filters) = REPORTS[case]
    expected = report_records(mixed_store, start, end, filters)
    assert expected
    assert run(mixed_store, "report", *args, fmt) == whole(expected, REPORT_PROPERTIES, fmt == "--json")


def test_nothing_found_is_an_empty_list_or_a_header(mixed_store):
    far = ("--start", "2001-01-01T00:00:00Z", "--end", "2001-01-02T00:00:00Z")
    assert run(mixed_store, "trace", *far, "--json") == b"[]\n"
    assert run(mixed_store, "report", *far, "--csv") == whole([], REPORT_PROPERTIES, False)


LIMITS = (1, 2, 7, 40, 1000)


@pytest.mark.parametrize("case", range(len(TRACES)))
def test_the_console_s_trace_makes_rows_lazily_and_gives_the_same_newest_rows(mixed_store, case):
    """The console asks for the newest rows only (get_message_trace's limit): rows made as they may be next
    give the same rows, in the same order, as every row sorted, for every limit."""
    args, query = TRACES[case]
    if "--status" in args:
        return  # the CLI filters that case's status after the search
    expected = trace_records(mixed_store, query)
    context = Context.open(mixed_store)
    for limit in LIMITS:
        shown = get_message_trace(context, query, limit=limit)
        assert [row.to_record() for row in shown.rows] == expected[:limit]
        assert shown.truncated == (len(expected) > limit)


@pytest.mark.parametrize("case", range(len(REPORTS)))
def test_the_console_s_report_makes_rows_lazily_and_gives_the_same_newest_rows(mixed_store, case):
    _, (start, end, filters) = REPORTS[case]
    expected = report_records(mixed_store, start, end, filters)
    context = Context.open(mixed_store)
    for limit in LIMITS:
        shown = get_encryption_report(context, start=start, end=end, limit=limit, filters=filters)
        assert [row.to_record() for row in shown.rows] == expected[:limit]
