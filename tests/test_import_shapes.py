"""Trace exports in their real shapes (issue 16), fixture by fixture through the real CLI.

The fixtures in tests/fixtures/exports/ are written by make_fixtures.py in that folder (its README
lists what each one shows); every test imports into a fresh tenant store and reads the result back
with `trace`, `trace-detail` and the import's --json summary:
File, Format, Encoding, Culture, DateOrder, DateReason, RowsRead, RowsAdded, RowsAlreadyPresent,
RowsRejected, MessagesAdded, Rejected, FirstReceived, LastReceived.
"""

import importlib.util
import json
import shutil
import sys

import pytest
from support.cli import CLI, assert_one_line_error
from support.export_shapes import (
    CULTURES,
    FORMAT_CSV,
    FORMAT_ENHANCED,
    FORMAT_EXTENDED,
    FORMAT_GRAPH,
    assert_details_match,
    assert_store_holds,
    assert_summary,
    canonical_message_id,
    encoding_label,
    expected_record,
    iso,
    trace_window,
)
from support.paths import FIXTURES

EXPORTS = FIXTURES / "exports"


def _load_catalogue():
    spec = importlib.util.spec_from_file_location("export_fixtures", EXPORTS / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MAKE = _load_catalogue()
CATALOGUE = MAKE.catalogue()
CLEAN = sorted(name for name, f in CATALOGUE.items() if f.clean)


@pytest.fixture(scope="module")
def tenant_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("tenant") / "store"
    CLI(root)("init", "--org", "Contoso", "--domain", "contoso.com", "--admin", "admin@contoso.com",
              "--license", "E5")
    return root


@pytest.fixture
def fresh(tenant_template, tmp_path) -> CLI:
    """The real CLI on a new tenant's store that holds no message."""
    root = tmp_path / "store"
    shutil.copytree(tenant_template, root)
    return CLI(root)


def import_json(cli: CLI, path, *flags, check: int | None = 0) -> dict:
    result = cli("import", path, *flags, "--json", check=check)
    return json.loads(result.stdout)


def store_files(cli: CLI) -> dict:
    return {p: p.read_bytes() for p in cli.store.rglob("*.json")}


def shown_rows(cli: CLI, rows) -> list[dict]:
    start, end = trace_window(rows)
    return cli.json("trace", "--start", start, "--end", end)


# -- the files themselves ---------------------------------------------------------------------------

def test_the_fixtures_are_what_the_script_writes_and_the_readme_lists_them():
    on_disk = {p.name for p in EXPORTS.iterdir()} - {"make_fixtures.py", "README.md", "__pycache__"}
    assert on_disk == set(CATALOGUE)
    for name, fixture in CATALOGUE.items():
        assert (EXPORTS / name).read_bytes() == fixture.data, f"{name}: run make_fixtures.py"
    assert (EXPORTS / "README.md").read_text(encoding="utf-8") == MAKE.readme(CATALOGUE)


def test_the_fixtures_cover_every_culture_encoding_delimiter_and_format():
    csvs = [f for f in CATALOGUE.values() if f.format == FORMAT_CSV and f.rows]
    assert {f.name.removeprefix("powershell-").removesuffix(".csv") for f in csvs} >= set(CULTURES)
    assert {encoding_label(f.data, f.encoding) for f in csvs} == {
        "ASCII", "UTF-8", "UTF-8 with BOM", "UTF-16 LE", "UTF-16 LE with BOM", "UTF-16 BE", "UTF-16 BE with BOM"}
    assert any(f.data.decode("utf-16" if b"\x00" in f.data else "utf-8-sig").count('";"') > 10 for f in csvs)
    assert {f.format for f in CATALOGUE.values()} == {
        FORMAT_CSV, "Get-MessageTrace JSON", FORMAT_ENHANCED, FORMAT_EXTENDED, FORMAT_GRAPH,
        "Reporting web service JSON"}


# -- every clean file: every field of every row ----------------------------------------------------

# Hand-checkable: a date as the file writes it, and the UTC time the console must show for it.
WRITTEN_DATES = {
    "powershell-en-US.csv": [("11/5/2026 1:54:03 PM", "2026-11-05T13:54:03Z"),
                             ("11/3/2026 12:30:00 AM", "2026-11-03T00:30:00Z")],
    "powershell-en-GB.csv": [("05/11/2026 13:54:03", "2026-11-05T13:54:03Z")],
    "powershell-de-DE.csv": [("05.11.2026 13:54:03", "2026-11-05T13:54:03Z")],
    "powershell-fr-FR.csv": [("03/11/2026 00:30:00", "2026-11-03T00:30:00Z")],
    "powershell-da-DK.csv": [("05-11-2026 13:54:03", "2026-11-05T13:54:03Z")],
    "powershell-nl-NL.csv": [("5-11-2026 13:54:03", "2026-11-05T13:54:03Z")],
    "powershell-sv-SE.csv": [("2026-11-09 09:15:00", "2026-11-09T09:15:00Z")],
    "powershell-ja-JP.csv": [("2026/11/05 13:54:03", "2026-11-05T13:54:03Z")],
    "powershell-zh-CN.csv": [("2026/11/3 0:30:00", "2026-11-03T00:30:00Z")],
    "powershell-en-CA.csv": [("2026-11-05 1:54:03 p.m.", "2026-11-05T13:54:03Z"),
                             ("2026-11-03 12:30:00 a.m.", "2026-11-03T00:30:00Z")],
    "powershell-pt-BR.csv": [("09/11/2026 09:15:00", "2026-11-09T09:15:00Z")],
    "powershell-es-ES.csv": [("03/11/2026 0:30:00", "2026-11-03T00:30:00Z")],
    "powershell-de-DE-semicolon.csv": [('"05.11.2026 13:54:03";"megan.bowen@contoso.com"', "2026-11-05T13:54:03Z")],
    "ambiguous-en-GB-no-ampm.csv": [("05/11/2026 00:30:00", "2026-11-05T00:30:00Z")],
    "convertto-json-ps51-utf16le.json": [(r'"\/Date(1793886843000)\/"', "2026-11-05T13:54:03Z")],
    "reporting-webservice.json": [(r'"\/Date(1793665800000)\/"', "2026-11-03T00:30:00Z")],
}


def test_the_written_dates_are_in_their_files():
    for name, dates in WRITTEN_DATES.items():
        fixture = CATALOGUE[name]
        text = fixture.data.decode("utf-16" if fixture.encoding.startswith("utf-16") else "utf-8-sig")
        for written, received in dates:
            assert written in text, (name, written)
            assert received in {iso(r.received) for r in fixture.rows}, (name, received)


@pytest.mark.parametrize("name", CLEAN)
def test_each_export_imports_every_field_of_every_row(fresh, name):
    fixture = CATALOGUE[name]
    path = EXPORTS / name
    summary = import_json(fresh, path)
    assert_summary(summary, path, fixture.data, fixture.encoding, fixture.format, fixture.rows, fixture.date_order)
    shown = assert_store_holds(fresh, fixture.rows, fixture.format, fixture.ascii_only)
    for written, received in WRITTEN_DATES.get(name, []):
        assert received in {r["Received"] for r in shown}, (written, received)
    again = import_json(fresh, path)
    assert (again["RowsAdded"], again["RowsAlreadyPresent"], again["RowsRejected"], again["MessagesAdded"]) == (
        0, summary["RowsAdded"], 0, 0)
    assert_store_holds(fresh, fixture.rows, fixture.format, fixture.ascii_only)


# -- dates the evidence cannot settle --------------------------------------------------------------

@pytest.mark.parametrize("name,flags,order", [
    ("ambiguous-en-US.csv", ("--date-order", "MDY"), "MDY"),
    ("ambiguous-en-US.csv", ("--culture", "en-US"), "MDY"),
    ("ambiguous-en-AU.csv", ("--date-order", "DMY"), "DMY"),
])
def test_an_ambiguous_file_is_refused_with_the_way_out_and_imports_when_told(fresh, name, flags, order):
    fixture = CATALOGUE[name]
    path = EXPORTS / name
    before = store_files(fresh)
    assert_one_line_error(fresh("import", path, check=2), "--date-order", "--culture")
    assert store_files(fresh) == before
    assert shown_rows(fresh, fixture.rows) == []

    summary = import_json(fresh, path, *flags)
    assert_summary(summary, path, fixture.data, fixture.encoding, FORMAT_CSV, fixture.rows, order)
    if flags[0] == "--culture":
        assert flags[1] in summary["Culture"]
    assert_store_holds(fresh, fixture.rows, FORMAT_CSV, fixture.ascii_only)  # 5 November, never 11 May


def test_the_query_window_settles_what_the_rows_cannot(fresh):
    twin = CATALOGUE["ambiguous-en-US-window.csv"]
    assert [r.received for r in twin.rows] == [r.received for r in CATALOGUE["ambiguous-en-US.csv"].rows]
    summary = import_json(fresh, EXPORTS / twin.name)
    assert summary["DateOrder"] == "MDY" and summary["DateReason"]
    assert {r["Received"] for r in shown_rows(fresh, twin.rows)} == {"2026-11-05T13:54:03Z", "2026-11-05T00:30:00Z"}


# -- copies stay copies -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bifurcated-copy.csv", "extended-report-utf16le.csv"])
def test_a_bifurcated_copy_keeps_its_own_trace_id_and_received_time(fresh, name):
    fixture = CATALOGUE[name]
    import_json(fresh, EXPORTS / name)
    start, end = trace_window(fixture.rows)
    split = [r for r in fixture.rows if r.message_id == MAKE.SPLIT]
    both = fresh.json("trace", "--message-id", canonical_message_id(MAKE.SPLIT), "--start", start, "--end", end)
    assert {(r["MessageTraceId"], r["RecipientAddress"], r["Received"]) for r in both} == {
        (r.trace_id, r.recipient, iso(r.received)) for r in split}
    for copy in (MAKE.COPY_A, MAKE.COPY_B):
        mine = [r for r in split if r.trace_id == copy]
        found = fresh.json("trace", "--message-trace-id", copy, "--start", start, "--end", end)
        assert sorted(r["RecipientAddress"] for r in found) == sorted(r.recipient for r in mine)
        assert {(r["MessageTraceId"], r["Received"], r["MessageId"]) for r in found} == {
            (copy, iso(mine[0].received), canonical_message_id(MAKE.SPLIT))}


# -- what Microsoft documents, kept as written ------------------------------------------------------

def test_graph_statuses_outside_get_messagetrace_are_kept_as_written(fresh):
    for name in ("graph-v1.0.json", "graph-beta.json"):
        summary = import_json(fresh, EXPORTS / name)
        assert (summary["Format"], summary["RowsAdded"], summary["RowsRejected"]) == (FORMAT_GRAPH, 3, 0)
    statuses = {r["Subject"].split(":")[0]: r["Status"] for name in ("graph-v1.0.json", "graph-beta.json")
                for r in shown_rows(fresh, CATALOGUE[name].rows)}
    assert statuses == {"Status Delivered": "Delivered", "Status recalled": "recalled",
                        "Status FilteredAsSpam": "FilteredAsSpam", "Status unknownFutureValue": "unknownFutureValue",
                        "Status GettingStatus": "GettingStatus", "Status Quarantined": "Quarantined"}


def test_enhanced_summary_without_bom_unknown_events_and_a_32_hex_network_message_id(fresh):
    fixture = CATALOGUE["enhanced-summary-utf16le-nobom.csv"]
    path = EXPORTS / fixture.name
    summary = import_json(fresh, path)
    assert (summary["Format"], summary["Encoding"], summary["RowsRejected"], summary["Rejected"]) == (
        FORMAT_ENHANCED, "UTF-16 LE", 0, [])
    bob, eve, lee = fixture.rows
    shown = {r["RecipientAddress"]: r for r in shown_rows(fresh, fixture.rows)}
    assert set(shown) == {bob.recipient, eve.recipient, lee.recipient}  # Drop and Redirect drop no recipient
    assert shown[bob.recipient] == expected_record(bob, FORMAT_ENHANCED)
    assert shown[lee.recipient] == expected_record(lee, FORMAT_ENHANCED)
    assert {k: v for k, v in shown[eve.recipient].items() if k != "Status"} == {
        k: v for k, v in expected_record(eve, FORMAT_ENHANCED).items() if k != "Status"}
    details = {row.recipient: fresh.json("trace-detail", "--message-id", canonical_message_id(row.message_id),
                                         "--recipient", row.recipient) for row in (bob, eve)}
    assert [d["Event"] for d in details[bob.recipient]] == ["Receive", "Redirect", "Deliver"]
    assert [d["Event"] for d in details[eve.recipient]] == ["Receive", "Drop"]
    # The 32-hex form (upper case in the file) is the copy's Message Trace ID, found in its dashed form.
    assert MAKE.undashed(MAKE.HEX_ID).upper().encode("utf-16-le") in fixture.data
    start, end = trace_window(fixture.rows)
    found = fresh.json("trace", "--message-trace-id", MAKE.HEX_ID, "--start", start, "--end", end)
    assert [(r["RecipientAddress"], r["MessageTraceId"]) for r in found] == [(lee.recipient, MAKE.HEX_ID)]


def test_extended_report_events_fold_into_messages_and_their_details(fresh):
    fixture = CATALOGUE["extended-report-utf16le.csv"]
    path = EXPORTS / fixture.name
    summary = import_json(fresh, path)
    assert (summary["Format"], summary["Encoding"], summary["RowsRejected"], summary["Rejected"]) == (
        FORMAT_EXTENDED, "UTF-16 LE with BOM", 0, [])
    known = [r for r in fixture.rows if r.status != "(not asserted)"]
    dropped = next(r for r in fixture.rows if r.status == "(not asserted)")
    shown = {(r["MessageTraceId"], r["RecipientAddress"]): r for r in shown_rows(fresh, fixture.rows)}
    assert set(shown) == {(r.trace_id, r.recipient) for r in fixture.rows}
    for row in known:
        got = {k: v for k, v in shown[(row.trace_id, row.recipient)].items() if k != "ToIP"}
        assert got == expected_record(row, FORMAT_EXTENDED)
    got = shown[(dropped.trace_id, dropped.recipient)]
    assert {k: v for k, v in got.items() if k not in ("ToIP", "Status")} == {
        k: v for k, v in expected_record(dropped, FORMAT_EXTENDED).items() if k != "Status"}
    for row in fixture.rows:  # the RECEIVE row names every recipient of its copy: each has it
        assert_details_match(fresh, row, FORMAT_EXTENDED)
    again = import_json(fresh, path)
    assert (again["RowsAdded"], again["RowsRejected"], again["MessagesAdded"]) == (0, 0, 0)
    assert again["RowsAlreadyPresent"] == summary["RowsAdded"]


# -- rows that cannot be read, files that were cut ---------------------------------------------------

def test_an_oversized_field_rejects_its_row_and_the_import_goes_on(fresh):
    fixture = CATALOGUE["oversized-subject.csv"]
    path = EXPORTS / fixture.name
    assert len(max(fixture.data.decode().split('"'), key=len)) == 200_000
    summary = import_json(fresh, path)
    assert (summary["RowsRead"], summary["RowsAdded"], summary["RowsRejected"]) == (5, 4, 1), summary
    assert len(summary["Rejected"]) == 1 and summary["Rejected"][0].startswith("line 3: "), summary["Rejected"]
    assert len(summary["Rejected"][0]) < 1000  # the reason, not the field
    assert_store_holds(fresh, fixture.rows, FORMAT_CSV)  # every row after it is there


def test_a_utf16_file_cut_mid_character_is_reported_as_cut(fresh):
    fixture = CATALOGUE["cut-utf16le.csv"]
    path = EXPORTS / fixture.name
    assert len(fixture.data) % 2 == 1
    before = store_files(fresh)
    result = fresh("import", path, "--json", check=None)
    said = (result.stdout + result.stderr).lower()
    assert "traceback" not in said and "not utf-16" not in said and "not utf-8 or utf-16" not in said
    assert "cut" in said or "truncated" in said, said
    if result.returncode == 2:  # refused whole: one line that says it was cut, and nothing changed
        assert_one_line_error(result)
        assert store_files(fresh) == before
    else:  # or the complete rows imported and the cut one (line 6) named
        assert result.returncode == 0, (result.stdout, result.stderr)
        summary = json.loads(result.stdout)
        assert (summary["Encoding"], summary["RowsAdded"], summary["RowsRejected"]) == ("UTF-16 LE with BOM", 3, 1)
        assert summary["Rejected"][0].startswith("line 6: ")
        assert_store_holds(fresh, fixture.rows, FORMAT_CSV)


def test_an_import_that_rejects_every_row_exits_1(fresh):
    path = EXPORTS / "every-row-rejected.csv"
    before = store_files(fresh)
    summary = import_json(fresh, path, check=1)
    assert (summary["RowsRead"], summary["RowsAdded"], summary["RowsAlreadyPresent"], summary["RowsRejected"]) == (
        2, 0, 0, 2)
    assert [r.split(":")[0] for r in summary["Rejected"]] == ["line 2", "line 3"]
    assert store_files(fresh) == before


@pytest.mark.parametrize("content", [
    b'"Name";"Value"\r\n"a";"1"\r\n',
    '{"d": {"results": "none"}}'.encode("utf-16"),
    b'[{"Name": "not a trace"}]',
])
def test_a_file_that_is_no_trace_export_is_refused_whole(fresh, tmp_path, content):
    path = tmp_path / "other.txt"
    path.write_bytes(content)
    before = store_files(fresh)
    assert_one_line_error(fresh("import", path, check=2))
    assert store_files(fresh) == before
