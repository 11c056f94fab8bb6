"""The Encryption Report's filters and counts: sender, recipient, protection, branding template and
revocation status in the core, the CLI and the pane; charts counted by message and by recipient row."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from omeconsole.core.context import Context
from omeconsole.core.encryption_report.report import ReportFilter, get_encryption_report
from omeconsole.core.encryption_report.rows import branding_template_label
from omeconsole.core.errors import UsageError
from omeconsole.core.mail.model import Protection
from omeconsole.core.text.addresses import domain_of, parse_patterns
from omeconsole.ui.panes.encryption_report import ReportPane
from omeconsole.ui.widgets.paged_table import PagedTable
from support.cli import assert_one_line_error
from support.ui import console_app, settle, text_of, until


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
    assert dict(summary.by_recipient.top_domains) == dict(domains.most_common(5))
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


async def test_the_pane_filters_counts_both_ways_and_takes_a_custom_range(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.main.query_one(ReportPane)
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
