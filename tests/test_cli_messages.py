"""The real CLI on the demo tenant: Message Trace, Encryption report, status, revoke, portal, audit."""

import csv
import io

import pytest

from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.message_trace.records import TRACE_PROPERTIES

from support.cli import assert_one_line_error, case_id
from omeconsole.core.encryption_report.report import get_encryption_report

HELPDESK = "lynne.robbins@contoso.com"


def test_trace_rows_carry_the_get_messagetrace_properties(demo_cli):
    rows = demo_cli.json("trace")
    assert rows and all(tuple(r) == TRACE_PROPERTIES for r in rows)
    assert [r["Received"] for r in rows] == sorted((r["Received"] for r in rows), reverse=True)
    statuses = {r["Status"] for r in rows}
    assert statuses == {"None", "GettingStatus", "Failed", "Pending", "Delivered", "Expanded", "Quarantined",
                        "FilteredAsSpam"}


def test_trace_filters(demo_cli):
    everything = demo_cli.json("trace")
    gmail = demo_cli.json("trace", "--recipient", "*@gmail.com")
    assert gmail and gmail == [r for r in everything if r["RecipientAddress"].endswith("@gmail.com")]
    megan = demo_cli.json("trace", "--sender", "Megan.Bowen@contoso.com", "--status", "delivered")
    assert megan == [r for r in everything if r["SenderAddress"] == "megan.bowen@contoso.com"
                     and r["Status"] == "Delivered"]
    both = demo_cli.json("trace", "--recipient", "*@gmail.com,*@yahoo.com")
    assert len(both) == len([r for r in everything if r["RecipientAddress"].split("@")[1] in ("gmail.com",
                                                                                               "yahoo.com")])
    window = demo_cli.json("trace", "--start", everything[-1]["Received"], "--end", everything[len(everything) // 2]
                           ["Received"])
    assert window and all(everything[-1]["Received"] <= r["Received"] <= everything[len(everything) // 2]["Received"]
                          for r in window)


def test_trace_by_message_trace_id_and_ips(demo_cli):
    everything = demo_cli.json("trace")
    row = everything[3]
    by_trace_id = demo_cli.json("trace", "--message-trace-id", "{" + row["MessageTraceId"].upper() + "}")
    assert by_trace_id == [r for r in everything if r["MessageTraceId"] == row["MessageTraceId"]]
    by_from = demo_cli.json("trace", "--from-ip", row["FromIP"])
    assert by_from == [r for r in everything if r["FromIP"] == row["FromIP"]]
    sent = next(r for r in everything if r["ToIP"])
    assert demo_cli.json("trace", "--to-ip", sent["ToIP"]) == [r for r in everything if r["ToIP"] == sent["ToIP"]]
    assert_one_line_error(demo_cli("trace", "--message-trace-id", "nope", check=2), "not a GUID")
    assert_one_line_error(demo_cli("trace", "--json", "--csv", check=2), "one of --json and --csv")


def test_trace_subject_filters(demo_cli):
    starts = demo_cli.json("trace", "--subject", "salary REVIEW for", "--subject-filter", "startswith")
    assert {r["Subject"] for r in starts} == {"Salary review for Bob Kelly"}
    ends = demo_cli.json("trace", "--subject", "bob kelly", "--subject-filter", "endswith")
    assert {r["Subject"] for r in ends} == {"Salary review for Bob Kelly"}
    assert demo_cli.json("trace", "--subject", "review for bob", "--subject-filter", "startswith") == []


def test_trace_by_message_id_in_every_pasted_shape(demo_cli):
    message_id = case_id(demo_cli, "mixed")
    bare = message_id[1:-1]
    for shape in (message_id, bare, f"  {bare}.  ", bare.upper().split("@")[0] + "@" + bare.split("@")[1].upper()):
        rows = demo_cli.json("trace", "--message-id", shape)
        assert {r["MessageId"] for r in rows} == {message_id} and len(rows) == 3


def test_trace_csv_is_export_csv_shaped_and_neutralises_formulas(demo_cli):
    demo_cli("send", "--from", "lee.gu@contoso.com", "--to", "bob.kelly@gmail.com", "--subject",
             '=HYPERLINK("http://evil.example","Click")', "--body", "b")
    out = demo_cli("trace", "--csv").stdout
    assert out.startswith('"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId"')
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == TRACE_PROPERTIES
    evil = [r for r in rows if "HYPERLINK" in r["Subject"]]
    assert evil and all(r["Subject"].startswith("'=") for r in evil)


def test_trace_errors(demo_cli):
    assert_one_line_error(demo_cli("trace", "--status", "Bounced", check=2), "FilteredAsSpam")
    assert_one_line_error(demo_cli("trace", "--start", "yesterday", check=2), "ISO 8601")
    assert_one_line_error(demo_cli("trace", "--start", "2026-11-20", "--end", "2026-11-01", check=2), "after")
    assert_one_line_error(demo_cli("trace", "--message-id", "not an id", check=2), "RFC 5322")
    assert_one_line_error(demo_cli("trace", "--sender", "bob*@x.com", check=2), "wildcard")
    assert demo_cli("trace", "--sender", "nobody@contoso.com").stdout == "No results.\n"


def test_a_plain_user_sees_only_the_messages_they_sent(demo_cli):
    rows = demo_cli.json("trace", "--as", "megan.bowen@contoso.com")
    assert rows and {r["SenderAddress"] for r in rows} == {"megan.bowen@contoso.com"}
    other = case_id(demo_cli, "mixed")  # sent by diego
    assert_one_line_error(demo_cli("status", "--message-id", other, "--as", "megan.bowen@contoso.com", check=1),
                          "no message", "among the messages you sent")
    assert_one_line_error(demo_cli("audit", "--as", "megan.bowen@contoso.com", check=1), "audit log")


def test_an_outsider_reads_nothing(demo_cli):
    assert_one_line_error(demo_cli("trace", "--as", "mallory@evil.example", check=1), "not a user of Contoso")


def test_trace_detail_lists_the_events(demo_cli):
    message_id = case_id(demo_cli, "statuses_a")
    failed = demo_cli.json("trace-detail", "--message-id", message_id, "--recipient", "nobody@tailspintoys.com")
    assert [e["Event"] for e in failed] == ["Receive", "Fail"]
    assert set(failed[0]) == {"Date", "Event", "Action", "Detail"}
    assert "RecipientNotFound" in failed[1]["Detail"]
    assert_one_line_error(demo_cli("trace-detail", "--message-id", message_id, "--recipient", "x@y.com", check=1),
                          "not a recipient")


def test_report_details_table(demo_cli):
    rows = demo_cli.json("report")
    assert rows and all(tuple(r) == REPORT_PROPERTIES for r in rows)
    by_subject = {r["Subject"]: r for r in rows}
    assert "Lunch on Friday" not in by_subject  # unencrypted mail is not in the Encryption report
    assert by_subject[CASE_SUBJECTS["revocable"]]["RevocationStatus"] == "Revocable"
    assert by_subject[CASE_SUBJECTS["revoked_by_admin"]]["RevocationStatus"] == "Revoked"
    assert by_subject[CASE_SUBJECTS["default_template"]]["RevocationStatus"] == "Not revocable"
    assert by_subject[CASE_SUBJECTS["default_template"]]["EncryptionTemplate"] == "Encrypt-Only"
    assert by_subject[CASE_SUBJECTS["revocable"]]["EncryptionTemplate"] == "Contoso Secure"
    assert by_subject[CASE_SUBJECTS["mixed"]]["EncryptionMethod"] == "By policy"
    out = demo_cli("report", "--csv").stdout
    assert tuple(next(csv.reader(io.StringIO(out)))) == REPORT_PROPERTIES


@pytest.mark.parametrize("case,revocable,needle", [
    ("revocable", True, None),
    ("mixed", True, None),
    ("native_only", False, "link-based"),
    ("default_template", False, "no custom branding template"),
    ("unencrypted", False, "not encrypted"),
    ("expired", False, "expired on"),
    ("revoked_by_admin", False, "already revoked"),
    ("revoked_by_sender", False, "already revoked"),
])
def test_status_says_why(demo_cli, case, revocable, needle):
    status = demo_cli.json("status", "--message-id", case_id(demo_cli, case))
    assert tuple(status) == ("MessageId", "Subject", "IsRevocable", "Revoked", "ContentKey", "Reasons")
    assert status["IsRevocable"] is revocable
    assert status["ContentKey"] == ("destroyed" if case.startswith("revoked") else "present")
    assert status["Revoked"] is case.startswith("revoked")
    assert (status["Reasons"] == []) is revocable
    if needle:
        assert any(needle in reason for reason in status["Reasons"])


def test_status_errors(demo_cli):
    assert_one_line_error(demo_cli("status", "--message-id", "<nope@contoso.com>", check=1), "no message")
    assert_one_line_error(demo_cli("status", "--message-id", "nope", check=2), "RFC 5322")


def test_the_three_admin_steps(demo_cli):
    message_id = case_id(demo_cli, "mixed")  # step 1: find it in the Message Trace
    assert "IsRevocable : True" in demo_cli("status", "--message-id", message_id).stdout  # step 2
    out = demo_cli("revoke", "--message-id", message_id[1:-1] + ".").stdout  # step 3, pasted sloppily
    assert out == (f'The encrypted email with the subject "{CASE_SUBJECTS["mixed"]}" and Message ID '
                   f'"{message_id}" was successfully revoked\n')
    status = demo_cli.json("status", "--message-id", message_id)
    assert status["Revoked"] is True and status["IsRevocable"] is False
    again = demo_cli("revoke", "--message-id", message_id, check=1)
    assert_one_line_error(again, "already revoked")
    entry = demo_cli.json("audit")[-2]
    assert (entry["Actor"], entry["Action"], entry["Outcome"], entry["Target"]) == (
        "admin@contoso.com", "revoke", "success", message_id)
    assert "sam.rivera@northwindtraders.com" in entry["Detail"]


def test_refused_revokes_change_nothing_and_are_audited(demo_cli, demo_store):
    message_id = case_id(demo_cli, "native_only")
    before = (demo_store / "revocations.json").read_bytes()
    result = demo_cli("revoke", "--message-id", message_id, check=1)
    assert_one_line_error(result, "cannot be revoked", "link-based")
    assert (demo_store / "revocations.json").read_bytes() == before
    last = demo_cli.json("audit")[-1]
    assert (last["Action"], last["Outcome"], last["Target"]) == ("revoke", "refused", message_id)
    assert_one_line_error(demo_cli("revoke", "--message-id", "<nope@x.com>", check=1), "no message")
    assert demo_cli.json("audit")[-1]["Outcome"] == "refused"


def test_helpdesk_reads_everything_and_revokes_nothing(demo_cli):
    message_id = case_id(demo_cli, "revocable")
    assert demo_cli.json("status", "--message-id", message_id, "--as", HELPDESK)["IsRevocable"] is True
    assert_one_line_error(demo_cli("revoke", "--message-id", message_id, "--as", HELPDESK, check=1), "helpdesk")
    assert demo_cli.json("audit", "--as", HELPDESK)[-1]["Outcome"] == "refused"


def test_the_sender_removes_external_access(demo_cli):
    message_id = case_id(demo_cli, "revocable")  # megan -> one gmail recipient
    assert_one_line_error(demo_cli("revoke", "--message-id", message_id, "--as", "diego.siciliani@contoso.com",
                                   check=1), "no message")
    out = demo_cli("revoke", "--message-id", message_id, "--as", "megan.bowen@contoso.com").stdout
    assert "was successfully revoked" in out
    assert demo_cli.json("audit")[-1]["Detail"].startswith("as sender")


def test_the_sender_may_not_for_several_recipients(demo_cli):
    message_id = case_id(demo_cli, "mixed")  # diego -> three recipients
    result = demo_cli("revoke", "--message-id", message_id, "--as", "diego.siciliani@contoso.com", check=1)
    assert_one_line_error(result, "exactly one recipient")


def test_the_portal(demo_cli):
    revocable = case_id(demo_cli, "revocable")
    seen = demo_cli.json("portal", "--message-id", revocable, "--recipient", "bob.kelly@gmail.com",
                         "--as", "bob.kelly@gmail.com")
    assert seen["State"] == "available" and "Megan Bowen" in seen["Body"]
    previewed = demo_cli.json("portal", "--message-id", revocable, "--recipient", "bob.kelly@gmail.com")
    assert previewed["State"] == "available" and "Body" not in previewed and "--as bob.kelly" in previewed["Text"]
    assert_one_line_error(demo_cli("portal", "--message-id", revocable, "--recipient", "bob.kelly@gmail.com",
                                   "--as", "eve.martin@yahoo.com", check=1), "no message")
    demo_cli("revoke", "--message-id", revocable)
    text = demo_cli("portal", "--message-id", revocable, "--recipient", "bob.kelly@gmail.com",
                    "--as", "bob.kelly@gmail.com").stdout
    assert "The message has been revoked by the sender" in text and "Megan Bowen" not in text
    expired = demo_cli("portal", "--message-id", case_id(demo_cli, "expired"), "--recipient",
                       "priya.shah@tailspintoys.com").stdout
    assert "The message has expired" in expired
    mixed = case_id(demo_cli, "mixed")
    assert_one_line_error(demo_cli("portal", "--message-id", mixed, "--recipient", "ray.chen@fabrikam.com", check=1),
                          "native experience")
    assert_one_line_error(demo_cli("portal", "--message-id", mixed, "--recipient", "bob.kelly@gmail.com", check=1),
                          "not a recipient")
    assert_one_line_error(demo_cli("portal", "--message-id", case_id(demo_cli, "unencrypted"), "--recipient",
                                   "tom.jones@gmail.com", check=1), "not encrypted")


def test_demo_refuses_a_store_that_has_a_tenant(demo_cli, demo_store):
    before = (demo_store / "tenant.json").read_bytes()
    assert_one_line_error(demo_cli("demo", check=1), "already holds a tenant")
    assert (demo_store / "tenant.json").read_bytes() == before


def test_demo_in_a_new_store(cli):
    assert cli.json("demo", "--messages", "40", "--seed", "3") == {
        "Organization": "Contoso", "Store": str(cli.store), "Messages": 40}
    assert len({r["MessageId"] for r in cli.json("trace")}) == 40
    assert_one_line_error(cli("demo", "--messages", "-1", "--store", cli.store.parent / "other", check=2), "--messages")


def test_audit_lists_who_did_what(demo_cli):
    entries = demo_cli.json("audit")
    assert entries[0]["Action"] == "demo"
    assert {"Sequence", "Time", "Actor", "Role", "Action", "Target", "Outcome", "Detail", "Origin"} == set(entries[0])
    assert len(demo_cli.json("audit", "--last", "2")) == 2
    table = demo_cli("audit").stdout.splitlines()
    assert table[0].split() == ["Time", "Actor", "Action", "Target", "Outcome", "Detail"]


def test_report_filters_and_summary(demo_store):
    from omeconsole.core.mail.model import EncryptionMethod
    from omeconsole.core.encryption_report.summary import summarize
    from omeconsole.core.context import Context

    app = Context.open(demo_store)
    result = get_encryption_report(app)
    rows = result.rows
    by_policy = get_encryption_report(app, method=EncryptionMethod.POLICY).rows
    assert by_policy and all(r.message.method is EncryptionMethod.POLICY for r in by_policy)
    secure = get_encryption_report(app, template="Contoso Secure").rows
    assert secure and {r.to_record()["EncryptionTemplate"] for r in secure} == {"Contoso Secure"}
    summary = summarize(rows)
    assert result.summary == summary  # counted as the rows streamed past, the same as counted after
    assert summary.messages == len({r.message.message_id for r in rows})
    assert sum(n for _, n in summary.by_method) == summary.messages
    assert sum(n for _, n in summary.by_template) == summary.messages
    assert len(summary.top_domains) == 5 and summary.top_domains == sorted(summary.top_domains, key=lambda d: -d[1])
