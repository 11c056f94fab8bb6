"""The Encryption Report's filters and counts: sender, recipient, protection, branding template and
revocation status in the core, the CLI and the pane; charts counted by message and by recipient row."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import ReportFilter, get_encryption_report
from omeconsole.core.encryption_report.rows import branding_template_label
from omeconsole.core.errors import UsageError
from omeconsole.core.mail.model import Protection
from omeconsole.core.text.addresses import domain_of, parse_patterns
from omeconsole.ui.form_values import date_range
from omeconsole.ui.panes import encryption_report as report_pane
from omeconsole.ui.widgets.paged_table import PagedTable
from support.cli import assert_one_line_error
from support.ui import RunsUntilStopped, capture_notifications, report_shown, settle, text_of, until


def every_row(store):
    return get_encryption_report(Context.open(store)).rows


@pytest.mark.parametrize("filters, keep", [
    (ReportFilter(senders=(*parse_patterns(["*@contoso.com"]),)), lambda r: r.message.sender.endswith("@contoso.com")),
    (ReportFilter(recipients=(*parse_patterns(["*@gmail.com"]),)), lambda r: r.recipient.address.endswith("@gmail.com")),
    (ReportFilter(protection=Protection.DO_NOT_FORWARD), lambda r: r.message.protection is Protection.DO_NOT_FORWARD),
    (ReportFilter(branding_template="Contoso Secure"), lambda r: branding_template_label(r.message) == "Contoso Secure"),
    (ReportFilter(revocation_status="Revocable"), lambda r: r.revocation_status == "Revocable"),
    (ReportFilter(revocation_status="Revoked"), lambda r: r.revocation_status == "Revoked"),
])
def test_each_filter_keeps_exactly_the_rows_a_full_pass_keeps(demo_store, filters, keep):
    expected = [r.to_record() for r in every_row(demo_store) if keep(r)]
    got = [r.to_record() for r in get_encryption_report(Context.open(demo_store), filters=filters).rows]
    assert expected and got == expected


def test_the_summary_counts_by_message_and_by_recipient_row_as_a_full_count_does(demo_store):
    result = get_encryption_report(Context.open(demo_store))
    rows, summary = result.rows, result.summary
    assert summary.recipients == len(rows) and summary.messages == len({r.message.message_id for r in rows})
    by_row = Counter(branding_template_label(r.message) for r in rows)
    assert dict(summary.by_recipient.by_branding_template) == dict(by_row)
    by_message = Counter(branding_template_label(r.message) for r in {r.message.message_id: r for r in rows}.values())
    assert dict(summary.by_message.by_branding_template) == dict(by_message)
    domains = Counter(domain_of(r.recipient.address) for r in rows)
    top = sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:5]  # most first, ties by name
    assert summary.by_recipient.top_domains == top
    assert "Encrypt-Only" not in dict(summary.by_message.by_branding_template)  # a protection, not a template
    assert sum(n for _, n in summary.by_message.by_protection) == summary.messages


def test_a_revocation_status_the_report_does_not_have_is_refused():
    with pytest.raises(UsageError, match="Revocable, Revoked, Not revocable"):
        ReportFilter(revocation_status="revokable")


def test_the_cli_filters_and_summarises_the_same(demo_cli, demo_store):
    rows = csv.DictReader(io.StringIO(demo_cli("report", "--recipient", "*@gmail.com", "--protection",
                                               "do-not-forward", "--csv").stdout))
    rows = list(rows)
    assert rows and all(r["RecipientAddress"].endswith("@gmail.com") and r["Protection"] == "Do Not Forward"
                        for r in rows)
    assert {"Protection", "BrandingTemplate", "EncryptionTemplate"} <= set(rows[0])
    summary = json.loads(demo_cli("report", "--summary", "--json").stdout)
    assert summary["Recipients"] == len(every_row(demo_store))
    assert set(summary["CountedByRecipient"]) >= {"ByMethod", "ByProtection", "ByBrandingTemplate",
                                                  "TopRecipientDomains", "ByRevocationStatus"}
    assert_one_line_error(demo_cli("report", "--revocation-status", "bogus", check=2), "--revocation-status")
    assert_one_line_error(demo_cli("report", "--summary", "--csv", check=2), "--summary")


def test_the_cli_sender_status_and_date_range_keep_what_the_core_keeps(demo_cli, demo_store):
    dates = sorted(r.to_record()["Date"] for r in every_row(demo_store))
    start, end = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    args = ("--sender", "*@contoso.com", "--revocation-status", "not revocable", "--start", start, "--end", end)
    got = json.loads(demo_cli("report", *args, "--json").stdout)
    expected = [r.to_record() for r in every_row(demo_store) if r.message.sender.endswith("@contoso.com")
                and r.revocation_status == "Not revocable" and start <= r.to_record()["Date"] <= end]
    assert expected and [(r["MessageId"], r["RecipientAddress"]) for r in got] == [
        (r["MessageId"], r["RecipientAddress"]) for r in expected]
    assert_one_line_error(demo_cli("report", "--start", "yesterday-ish", check=2), "--start")


async def test_the_pane_filters_counts_both_ways_and_takes_a_custom_range(ui_store):
    async with report_shown(ui_store) as (app, pilot, pane, _):
        counting = lambda: text_of(pane.query_one("#report-counting"))  # noqa: E731
        assert counting().startswith("Charts count messages")
        pane.query_one("#report-results DataTable").focus()
        await pilot.press("m")
        await until(pilot, lambda: counting().startswith("Charts count recipient rows"), "counting by recipient")
        pane.query_one("#report-status").value = "Revocable"
        await settle(app, pilot)
        table = pane.query_one("#report-results", PagedTable)
        assert table.records and {r.revocation_status for r in table.records} == {"Revocable"}
        pane.query_one("#report-range").value = "custom"
        await settle(app, pilot)
        pane.query_one("#report-start").value = "2026-11-19"
        pane.query_one("#report-end").value = "2026-11-18"
        pane.query_one("#report-start").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert table.records and {r.revocation_status for r in table.records} == {"Revocable"}  # unchanged
        pane.query_one("#report-end").value = "2026-11-20"
        await pilot.press("enter")
        await settle(app, pilot)
        assert all("2026-11-19" <= r.to_record()["Date"] <= "2026-11-20T23" for r in table.records)


async def test_m_changes_every_chart_title_and_its_numbers_to_recipient_rows(ui_store):
    async with report_shown(ui_store) as (app, pilot, pane, _):
        chart = lambda chart_id: " ".join(text_of(pane.query_one(f"#{chart_id}")).split())  # noqa: E731 (titles wrap)
        charts = ("by-method", "by-protection", "by-template", "top-domains")
        await until(pilot, lambda: "messages" in chart("by-method"), "the charts drawn")
        summary = pane._summary
        before = {c: chart(c) for c in charts}
        assert all("· messages" in before[c] and "recipients" not in before[c] for c in charts)
        [(protection, by_message)] = summary.by_message.by_protection[:1]
        assert f"{by_message:,}" in before["by-protection"]
        pane.query_one("#report-results DataTable").focus()
        await pilot.press("m")
        await until(pilot, lambda: "· recipients" in chart("by-method"), "the charts counted by recipient")
        after = {c: chart(c) for c in charts}
        assert all("· recipients" in after[c] and "· messages" not in after[c] for c in charts)
        by_row = dict(summary.by_recipient.by_protection)[protection]
        assert by_row > by_message and f"{by_row:,}" in after["by-protection"]
        assert sum(dict(summary.by_recipient.by_protection).values()) == summary.recipients


async def test_esc_cancels_a_running_report_and_keeps_the_rows_from_before(ui_store, monkeypatch):
    long_report = RunsUntilStopped("report")
    started, stopped = long_report.started, long_report.stopped
    real = report_pane.get_encryption_report

    def slow(context, start=None, end=None, limit=None, stop=None, filters=None):
        if filters is None or filters.revocation_status != "Revoked":
            return real(context, start=start, end=end, limit=limit, stop=stop, filters=filters)
        return long_report(stop)

    monkeypatch.setattr(report_pane, "get_encryption_report", slow)
    async with report_shown(ui_store) as (app, pilot, pane, table):
        before = list(table.records)
        assert before
        seen = capture_notifications(app)
        pane.query_one("#report-status").value = "Revoked"
        await until(pilot, started.is_set, "the slow report running")
        assert "Loading the report" in text_of(table.query_one(".page-info"))
        await pilot.press("escape")
        await settle(app, pilot)
        assert stopped.is_set() and "Report cancelled" in seen
        assert table.records == before and "cancelled" in text_of(table.query_one(".page-info"))


async def test_the_first_rows_and_the_charts_come_first_then_the_rest_and_esc_keeps_the_first(ui_store, monkeypatch):
    """A report of more than FIRST_ROWS rows: the newest FIRST_ROWS and the charts are drawn while the rest
    are read; Esc then stops the reading and keeps those rows, saying they are the newest."""
    rest = RunsUntilStopped("rest of the report")
    real = report_pane.get_encryption_report
    monkeypatch.setattr(report_pane, "FIRST_ROWS", 5)

    def second_call_waits(context, start=None, end=None, limit=None, stop=None, filters=None):
        if limit == report_pane.ROW_LIMIT and filters is not None and filters.method is not None:
            return rest(stop)
        return real(context, start=start, end=end, limit=limit, stop=stop, filters=filters)

    monkeypatch.setattr(report_pane, "get_encryption_report", second_call_waits)
    async with report_shown(ui_store) as (app, pilot, pane, table):
        assert len(table.records) > 5  # the whole 7 days: one call more, drawn in place of the first five
        pane.query_one("#report-method").value = "user"
        await until(pilot, rest.started.is_set, "the rest of the report being read")
        full = get_encryption_report(Context.open(ui_store, clock=app.clock), *pane._filters()[:2],
                                     filters=pane._filters()[2])
        await until(pilot, lambda: len(table.records) == 5, "the first five rows drawn")
        assert [r.message.message_id for r in table.records] == [r.message.message_id for r in full.rows[:5]]
        assert pane._summary == full.summary  # the charts count every row from the start
        assert "loading more" in text_of(table.query_one(".page-info"))
        await pilot.press("escape")
        await settle(app, pilot)
        assert rest.stopped.is_set() and len(table.records) == 5
        assert "stopped at the newest 5 rows; the charts count all" in text_of(table.query_one(".page-info"))


def test_the_report_pane_counts_whole_utc_days_as_its_kept_counts_do():
    now = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
    assert date_range("90d", "", "", now, whole_days=True) == (datetime(2026, 8, 23, tzinfo=timezone.utc), None)
    assert date_range("7d", "", "", now, whole_days=True) == (datetime(2026, 11, 14, tzinfo=timezone.utc), None)
    assert date_range("7d", "", "", now) == (now - timedelta(days=7), None)


def test_the_report_is_as_of_one_moment(demo_store):
    """Its charts and its rows decide revocability at the same moment, however long it takes: with a
    clock that moves on a year each time it is read, every status the rows show is the one counted."""
    moments = iter(datetime(2026, 11, 20, 12, tzinfo=timezone.utc) + timedelta(days=365 * n) for n in range(1000))
    result = get_encryption_report(Context.open(demo_store, clock=lambda: next(moments)))
    shown = Counter(r.revocation_status for r in result.rows)
    assert shown["Revocable"] and dict(result.summary.by_recipient.by_revocation_status) == dict(shown)
