"""Importing the three real export formats, from fixture files in their real shapes."""


import pytest

from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace.culture_dates import DateOrder
from omeconsole.core.message_trace.export_rows import RowError
from omeconsole.core.message_trace.trace_export import open_trace_export

from support.clock import utc
from support.paths import FIXTURES
from omeconsole.core.context import Context
from support.cli import assert_one_line_error
from omeconsole.core.ome.status import get_ome_message_status

PS_ID = "<DM6PR11MB4321A1B2C3D4E5F6@dm6pr11mb4321.namprd11.prod.outlook.com>"
FORMAT_POWERSHELL, FORMAT_ENHANCED, FORMAT_GRAPH = (
    "Get-MessageTrace CSV", "Enhanced summary report CSV", "Graph messageTraces JSON")


class Parsed:
    """An export read whole, for the tests: its format, its rows, and its rejections."""

    def __init__(self, path, **options):
        export = open_trace_export(path, **options)
        items = list(export.rows())
        self.format, self.export = export.format, export
        self.rows = [r for r in items if not isinstance(r, RowError)]
        self.errors = [str(r) for r in items if isinstance(r, RowError)]


read_trace_export = Parsed


def test_powershell_51_export_with_the_type_line_and_us_dates():
    parsed = read_trace_export(FIXTURES / "messagetrace-ps51.csv")
    assert parsed.format == FORMAT_POWERSHELL and parsed.errors == []
    first = parsed.rows[0]
    assert (first.message_id, first.received, first.recipient, first.status.value, first.size, first.to_ip) == (
        PS_ID, utc(2026, 11, 20, 15, 4, 5), "bob.kelly@gmail.com", "Delivered", 23456, "203.0.113.7")
    assert first.trace_id == "0d6b1c1e-5c7a-4a8e-9f51-3c2f6e9a7b10"
    assert parsed.rows[3].subject == 'Contract, "final" version'
    assert parsed.rows[3].received == utc(2026, 11, 18, 23, 59, 59)


def test_day_first_cultures_are_detected():
    gb = read_trace_export(FIXTURES / "messagetrace-en-gb.csv")
    assert gb.errors == [] and gb.rows[0].received == utc(2026, 11, 20, 15, 4, 5)
    de = read_trace_export(FIXTURES / "messagetrace-de-de.csv")
    assert de.errors == [] and de.rows[0].received == utc(2026, 11, 19, 9, 15)


@pytest.mark.parametrize("text,order,expected", [
    ("11/20/2026 3:04:05 PM", DateOrder.MDY, utc(2026, 11, 20, 15, 4, 5)),
    ("11/20/2026 12:00:00 AM", DateOrder.MDY, utc(2026, 11, 20, 0, 0, 0)),
    ("11/20/2026 12:30:00 PM", DateOrder.MDY, utc(2026, 11, 20, 12, 30)),
    ("3/4/2026 15:04:00", DateOrder.DMY, utc(2026, 4, 3, 15, 4)),
    ("2026-11-20T15:04:05.1234567Z", DateOrder.MDY, utc(2026, 11, 20, 15, 4, 5, 123456)),
    ("2026-11-20T16:04:05+01:00", DateOrder.DMY, utc(2026, 11, 20, 15, 4, 5)),
])
def test_export_dates(tmp_path, text, order, expected):
    path = tmp_path / "one.csv"
    path.write_text('"Received","SenderAddress","RecipientAddress","MessageId"\n'
                    f'"{text}","a@contoso.com","b@gmail.com","<x@contoso.com>"\n')
    parsed = Parsed(path, order=order)
    assert parsed.errors == [] and parsed.rows[0].received == expected


@pytest.mark.parametrize("name", ["enhanced-summary-utf16.csv", "enhanced-summary-utf8.csv"])
def test_enhanced_summary_report_unpacks_recipient_status(name):
    parsed = read_trace_export(FIXTURES / name)
    assert parsed.format == FORMAT_ENHANCED and parsed.errors == []
    rows = {(r.recipient, r.status.value) for r in parsed.rows}
    assert rows == {("bob.kelly@gmail.com", "Delivered"), ("eve.martin@yahoo.com", "Failed"),
                    ("lee.gu@contoso.com", "Delivered")}
    eve = next(r for r in parsed.rows if r.recipient == "eve.martin@yahoo.com")
    assert [e.event for e in eve.events] == ["Receive", "Fail"]
    assert eve.trace_id == "c7a1e2b3-4d5f-4a6b-8c7d-9e0f1a2b3c4d" and eve.from_ip == "192.0.2.20"


def test_graph_json():
    parsed = read_trace_export(FIXTURES / "graph-messagetraces.json")
    assert parsed.format == FORMAT_GRAPH and parsed.errors == []
    assert [r.status.value for r in parsed.rows] == ["Delivered", "Quarantined", "FilteredAsSpam"]
    assert parsed.rows[0].trace_id == "4f2a9c1e-8b7d-4e6f-a5b4-c3d2e1f0a9b8"


def test_bad_rows_are_reported_with_their_line_and_reason():
    parsed = read_trace_export(FIXTURES / "messagetrace-bad-rows.csv")
    assert len(parsed.rows) == 1
    assert parsed.errors[0].startswith("line 3: Message ID")
    assert parsed.errors[1].startswith("line 4: date '13/45/2026 1:00:00 PM' is not a real date")
    assert parsed.errors[2] == "line 5: 2 fields where the header has 17"


@pytest.mark.parametrize("content,needle", [
    (b"", "empty"),
    (b"\xff\xfe", "no header row"),
    (b"a,b,c\n1,2,3\n", "not a recognised trace export"),
    (b'{"value": [', "not valid JSON"),
    (b'{"items": []}', "not a trace export"),
    (b"\x80\x81\x82 not text", "not UTF-8 or UTF-16"),
    (b"[1, 2]", "not a trace export"),
])
def test_files_that_are_not_trace_exports(tmp_path, content, needle):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=needle):
        read_trace_export(path)


def test_a_truncated_csv_reports_the_broken_line(tmp_path):
    text = (FIXTURES / "messagetrace-ps51.csv").read_text()
    cut = text[: text.index("Quarterly numbers", text.index("fabrikam")) + 5]
    path = tmp_path / "cut.csv"
    path.write_text(cut)
    parsed = read_trace_export(path)
    assert len(parsed.rows) == 1 and len(parsed.errors) == 1 and parsed.errors[0].startswith("line 4")


def test_huge_fields_are_refused_per_row(tmp_path):
    text = (FIXTURES / "messagetrace-ps51.csv").read_text().replace("Quarterly numbers", "Q" * 5000, 1)
    path = tmp_path / "huge.csv"
    path.write_text(text)
    parsed = read_trace_export(path)
    assert len(parsed.errors) == 1 and "subject is 5000 characters" in parsed.errors[0]


def test_import_through_the_cli_is_idempotent_and_searchable(demo_cli):
    first = demo_cli.json("import", FIXTURES / "messagetrace-ps51.csv")
    assert (first["Format"], first["RowsAdded"], first["MessagesAdded"], first["RowsRejected"]) == (
        "Get-MessageTrace CSV", 4, 3, 0)
    again = demo_cli.json("import", FIXTURES / "messagetrace-ps51.csv")
    assert (again["RowsAdded"], again["RowsAlreadyPresent"]) == (0, 4)
    rows = demo_cli.json("trace", "--message-id", PS_ID)
    assert {r["RecipientAddress"] for r in rows} == {"bob.kelly@gmail.com", "ray.chen@fabrikam.com"}
    status = demo_cli.json("status", "--message-id", PS_ID)
    assert status["IsRevocable"] is False
    assert any("no encryption record" in r for r in status["Reasons"])
    same_message_other_format = demo_cli.json("import", FIXTURES / "messagetrace-en-gb.csv")
    assert same_message_other_format["RowsAdded"] == 0


def test_import_every_format_through_the_cli(demo_cli):
    for name in ("enhanced-summary-utf16.csv", "graph-messagetraces.json"):
        demo_cli("import", FIXTURES / name)
    assert demo_cli.json("import", FIXTURES / "enhanced-summary-utf8.csv")["RowsAdded"] == 0
    graph = demo_cli.json("trace", "--recipient", "priya.shah@tailspintoys.com", "--status", "FilteredAsSpam",
                          "--start", "2026-11-20T22:00Z", "--end", "2026-11-20T23:00Z")
    assert [r["Subject"] for r in graph] == ["Background check results"]


def test_import_reports_bad_rows_on_stderr(demo_cli):
    result = demo_cli("import", FIXTURES / "messagetrace-bad-rows.csv")
    assert "1 added" in result.stdout and "3 rejected" in result.stdout
    assert result.stderr.splitlines()[0].endswith("line 3: Message ID 'DM6PR11MB4321 not an idDM6PR11MB4321."
                                                  "namprd11.prod.outlook.com>' is not in RFC 5322 form <left@right>, "
                                                  "e.g. <BY5PR19MB3384A1B2@BY5PR19MB3384.namprd19.prod.outlook.com>")


def test_import_errors_change_nothing(demo_cli, demo_store, tmp_path):
    before = {p: p.read_bytes() for p in demo_store.rglob("*.json")}
    assert_one_line_error(demo_cli("import", tmp_path / "missing.csv", check=2), "no such file")
    bad = tmp_path / "bad.json"
    bad.write_text('{"value": [')
    assert_one_line_error(demo_cli("import", bad, check=2), "not valid JSON")
    assert_one_line_error(demo_cli("import", FIXTURES / "graph-messagetraces.json", "--as",
                                   "lynne.robbins@contoso.com", check=1), "Global Administrator")
    assert before == {p: p.read_bytes() for p in demo_store.rglob("*.json")}


def test_an_import_never_grafts_recipients_onto_a_message_of_the_mail_flow(demo_cli, demo_store, tmp_path):
    """The red team's row: the Message ID of a real message (its domain in capitals), another sender and
    subject. It once added a recipient without a word, and the sender lost Remove external access."""
    from omeconsole.core.demo.contoso import CASE_SUBJECTS
    from support.ui import case_id

    real = case_id(demo_store, "revocable")  # megan.bowen -> bob.kelly@gmail.com, one link-based recipient
    left, right = real.strip("<>").split("@")
    shouting = f"<{left}@{right.upper()}>"
    header = '"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId"\n'
    rows = [("mallory@fabrikam.com", "eve@evil.example", "Re: invoice"),  # another sender
            ("megan.bowen@contoso.com", "eve@evil.example", CASE_SUBJECTS["revocable"]),  # a new recipient
            ("megan.bowen@contoso.com", "bob.kelly@gmail.com", CASE_SUBJECTS["revocable"])]  # already known
    path = tmp_path / "graft.csv"
    path.write_text(header + "".join(f'"11/20/2026 3:04:05 PM","{s}","{r}","{subject}","Delivered","{shouting}"\n'
                                     for s, r, subject in rows))
    result = demo_cli("import", str(path))
    assert "0 added" in result.stdout and "1 already present" in result.stdout and "2 rejected" in result.stdout
    first, second = result.stderr.splitlines()
    assert first.endswith(f"line 2: Message ID {real} belongs to a message sent through this store's mail flow by "
                          "megan.bowen@contoso.com; this row names another sender (mallory@fabrikam.com), so it "
                          "was not imported")
    assert "line 3:" in second and "an import never adds one (eve@evil.example)" in second
    rows_now = demo_cli.json("trace", "--message-id", real)
    assert [(r["SenderAddress"], r["RecipientAddress"]) for r in rows_now] == [
        ("megan.bowen@contoso.com", "bob.kelly@gmail.com")]
    sender_view = get_ome_message_status(Context.open(demo_store, "megan.bowen@contoso.com"), real).decision
    assert sender_view.allowed and sender_view.acting_as == "sender"  # Remove external access is still hers


def test_rows_for_a_message_already_imported_still_merge(demo_cli, tmp_path):
    demo_cli("import", FIXTURES / "messagetrace-ps51.csv")
    path = tmp_path / "more.csv"
    path.write_text('"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId"\n'
                    f'"11/20/2026 3:04:05 PM","someone@fabrikam.com","new.one@gmail.com","x","Delivered","{PS_ID}"\n')
    assert demo_cli.json("import", str(path))["RowsAdded"] == 1
    assert "new.one@gmail.com" in {r["RecipientAddress"] for r in demo_cli.json("trace", "--message-id", PS_ID)}


def _extended(path, rows):
    names = ["date_time_utc", "event_id", "message_id", "network_message_id", "recipient_address",
             "recipient_status", "sender_address", "message_subject", "server_ip"]
    path.write_text(",".join(names) + "\n" + "".join(",".join(f'"{c}"' for c in row) + "\n" for row in rows))
    return path


def test_the_review_cases_copies_ids_and_ndr_texts(demo_cli, tmp_path):
    """A copy keeps its own Received whatever order its events come in; an export without MessageTraceId
    then one with it makes no copies; a recipient_status holding ';' stays one recipient's text."""
    mid, a, b = "<REV1@fabrikam.com>", "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    _extended(tmp_path / "ext.csv", [
        ("2026-11-22T09:00:05Z", "DELIVER", mid, a, "bob@gmail.com", "250 ok", "x@fabrikam.com", "s", ""),
        ("2026-11-22T09:00:05Z", "SEND", mid, b, "carol@gmail.com", "550 5.1.10 Not found; try later",
         "x@fabrikam.com", "s", "203.0.113.9"),
        ("2026-11-21T23:59:58Z", "RECEIVE", mid, a, "bob@gmail.com", "", "x@fabrikam.com", "s", ""),
        ("2026-11-22T09:00:02Z", "RECEIVE", mid, b, "carol@gmail.com", "", "x@fabrikam.com", "s", "")])
    demo_cli("import", tmp_path / "ext.csv")
    rows = {r["RecipientAddress"]: r for r in demo_cli.json("trace", "--message-id", mid)}
    assert (rows["carol@gmail.com"]["Received"], rows["carol@gmail.com"]["MessageTraceId"]) == ("2026-11-22T09:00:02Z", b)
    assert (rows["bob@gmail.com"]["Received"], rows["bob@gmail.com"]["MessageTraceId"]) == ("2026-11-21T23:59:58Z", a)
    assert rows["carol@gmail.com"]["ToIP"] == "203.0.113.9"
    details = demo_cli.json("trace-detail", "--message-id", mid, "--recipient", "carol@gmail.com")
    assert "550 5.1.10 Not found; try later" in [d["Detail"] for d in details]
    header = '"Received","SenderAddress","RecipientAddress","MessageId"{}\n'
    plain = tmp_path / "noid.csv"
    plain.write_text(header.format("") + '"2026-11-20T10:00:00Z","y@fabrikam.com","c@gmail.com","<REV2@fabrikam.com>"\n')
    with_id = tmp_path / "id.csv"
    with_id.write_text(header.format(',"MessageTraceId"') + '"2026-11-20T10:00:00Z","y@fabrikam.com","c@gmail.com",'
                       f'"<REV2@fabrikam.com>","{a.replace("a", "c")}"\n')
    demo_cli("import", plain)
    assert demo_cli.json("import", with_id)["RowsAlreadyPresent"] == 1
    [row] = demo_cli.json("trace", "--message-id", "<REV2@fabrikam.com>")
    assert row["MessageTraceId"] == a.replace("a", "c")
