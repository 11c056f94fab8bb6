"""Text from data is shown, never obeyed. The hostile corpus (tests/hostile.py) is planted through every
way text enters a store; then every CLI command that shows it prints no raw control byte (and JSON keeps
it exact), every pane and dialog of the console draws it, no cell anywhere carries an action a click
would run, clicking every cell that holds it runs nothing and writes no file, and the audit log verifies.
Hypothesis then generates markup-like and escape-laden strings for the same checks, function by function."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from rich.console import Console as RichConsole
from textual.coordinate import Coordinate
from textual.geometry import Region

from support.cli import OMECONSOLE, CLI, clean_env
from support.hostile import (
    ALEX, CORPUS, EXTENDED, IMPORT_FORMATS, LOGIN, MARKER, MEGAN, NEWLINE_ROW, NUL_ROW, PER_FORMAT, REASON,
    hidden_characters,
    plant_everything, raw_controls, subject,
)
from omeconsole.cli import render
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.audit.log import AuditEntry
from omeconsole.core.demo.contoso import build_tenant
from omeconsole.core.dkm.access_request import AccessRequest
from omeconsole.core.mail.model import (
    EncryptionMethod, Message, Protection, Recipient, Revocation, TraceEvent, TraceStatus,
)
from omeconsole.core.encryption_report.rows import ReportRow
from omeconsole.core.message_trace.records import TraceRow
from omeconsole.core.ome.portal import PortalView
from omeconsole.core.ome.status import StatusResult
from omeconsole.core.rules import Actor, check_revocation
from omeconsole.core.context import Context
from omeconsole.core.tenant.model import Experience, Role
from omeconsole.core.text.untrusted import json_text, shown
from omeconsole.ui.screens.confirm_access import AccessDecision, ConfirmAccessScreen
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.screens.console_screen import identity_line
from omeconsole.ui.screens.portal import portal_text
from omeconsole.ui.widgets.charts import bar_chart
from omeconsole.ui.panes.details import MessageDetails, render_audit, render_details
from omeconsole.ui.panes.key_manager import audit_cells, request_cells
from omeconsole.ui.panes.encryption_report import report_cells
from omeconsole.ui.panes.message_trace import trace_cells
from support.ui import capture_notifications, console_app, copy_store, fixed_clock, settle, text_of

SIZE = (120, 40)


@pytest.fixture(scope="module")
def hostile_template(ui_template, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    (base / "plant").mkdir()
    (base / "work").mkdir()
    store = copy_store(ui_template, base / "store")
    return store, plant_everything(store, base / "plant", base / "work")


@pytest.fixture
def hostile(hostile_template, tmp_path):
    """A private copy of the planted store, and what was planted."""
    store, planted = hostile_template
    return copy_store(store, tmp_path / "store"), planted


def run(store: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The real CLI, its output as bytes, exactly as a terminal would receive it."""
    return subprocess.run([*OMECONSOLE, "--store", str(store), *args], capture_output=True, env=clean_env(),
                          input=stdin, timeout=120)


def grant_elevation(store: Path, request_id: str) -> None:
    """The two approvals the CLI's keys decrypt needs (on the real clock, as the CLI's request was made)."""
    for approver in ("admin@contoso.com", "isaiah.langer@contoso.com"):
        ElevatedAccess(Context.open(store, approver)).approve(request_id)


# -- the CLI -------------------------------------------------------------------------------------

SHOWN_ONE_BY_ONE = ("fake-status", "osc52-clipboard", "c1-csi", "bidi", "zero-width", "unterminated-osc",
                    "click-quit")


def commands(planted) -> list[list[str]]:
    """Every command that shows planted text: the lists show all of it at once; the commands about one
    message are run for a message of each kind (the NUL and the newline came in by import)."""
    sent = [planted.sent[name] for name in SHOWN_ONE_BY_ONE]
    imported = [planted.imported[n] for n in (0, NEWLINE_ROW, PER_FORMAT + NUL_ROW, 2 * PER_FORMAT + NEWLINE_ROW,
                                              EXTENDED + 4)]
    shown_everywhere = [
        ["trace", "--start", "2026-11-01"], ["trace", "--subject", MARKER, "--start", "2026-11-01"],
        ["report", "--start", "2026-11-01"], ["audit"], ["audit", "--last", "40"], ["access", "list"],
        ["accounts", "list"], ["accounts", "show", planted.account_id], ["user", "list"], ["template", "list"],
        ["keys", "status"], ["import", str(Path(planted.plant_dir).parent / "work" / "hostile-graph.json")]]
    per_message = [["status", "--message-id", message_id] for message_id in sent + imported]
    recipients = [["portal", "--message-id", sent[0], "--recipient", "bob.kelly@gmail.com", "--as",
                   "bob.kelly@gmail.com"], ["trace-detail", "--message-id", imported[1], "--recipient",
                                            "lee.gu@contoso.com"],
                  *(["trace-detail", "--message-id", planted.imported[EXTENDED + n], "--recipient",
                     "lee.gu@contoso.com"] for n in range(PER_FORMAT))]
    decrypt = [["keys", "decrypt", "--as", ALEX, "--message-id", sent[0]]]
    smtp = [["status", "--message-id", planted.smtp[0]],
            ["trace-detail", "--message-id", planted.smtp[1], "--recipient", "bob.kelly@gmail.com"]] + [
        ["portal", "--message-id", message_id, "--recipient", "bob.kelly@gmail.com", "--as", "bob.kelly@gmail.com"]
        for message_id in planted.smtp]
    return shown_everywhere + per_message + recipients + decrypt + smtp


def test_no_cli_command_prints_a_raw_control_byte(hostile):
    store, planted = hostile
    grant_elevation(store, planted.request_id)
    for args in commands(planted) + [["revoke", "--message-id", planted.sent["fake-status"]]]:
        result = run(store, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert raw_controls(result.stdout) == [] and raw_controls(result.stderr) == [], args
    assert len(planted.refusals) == 6, planted.refusals  # the loop below checks each of them
    for stderr in planted.refusals:
        assert hidden_characters(stderr) == [] and stderr.count("\n") == 1, stderr
    assert run(store, "audit", "verify").returncode == 0


def test_the_fake_status_block_reads_as_one_line_and_the_real_status_stands(hostile):
    store, planted = hostile
    text = run(store, "status", "--message-id", planted.sent["fake-status"]).stdout.decode()
    lines = text.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == [
        "MessageId", "Subject", "IsRevocable", "Revoked", "ContentKey", "Reasons"]
    assert next(line for line in lines if line.startswith("Revoked")).endswith(": False")
    assert "\\x1b[1A\\x1b[2KRevoked : True" in next(line for line in lines if line.startswith("Subject"))


def test_the_unterminated_osc_swallows_nothing_after_it(hostile):
    store, planted = hostile
    table = run(store, "trace", "--subject", MARKER, "--start", "2026-11-01").stdout.decode()
    assert "HOSTILE unterminated-osc \\x1b]52;c;" in table
    # every row (sent, over SMTP, imported), after the header and its rule
    assert table.count("\n") == 2 * len(CORPUS) + len(IMPORT_FORMATS) * PER_FORMAT + 2


def test_json_keeps_every_value_exact(hostile):
    store, planted = hostile
    rows = json.loads(run(store, "trace", "--subject", MARKER, "--start", "2026-11-01", "--json").stdout)
    subjects = {row["Subject"] for row in rows}
    assert {subject(name, planted.plant_dir) for name in CORPUS if name not in ("fake-status",)} <= subjects
    assert f"{MARKER} import nul Nul\x00byte" in subjects and f"{MARKER} import newline\nRevoked : True" in subjects
    requests = json.loads(run(store, "access", "list", "--json").stdout)
    assert REASON in {r["Reason"] for r in requests}
    assert LOGIN in {a["Login"] for a in json.loads(run(store, "accounts", "list", "--json").stdout)}


def test_csv_on_a_terminal_is_shown_and_in_a_file_is_exact(hostile):
    store, planted = hostile
    args = ["trace", "--subject", MARKER, "--start", "2026-11-01", "--csv"]
    exact = run(store, *args).stdout.decode()
    assert CORPUS["csi-wipe"] in exact  # a file or pipe gets the data as it is (formulas still neutralised)
    leader, follower = pty.openpty()
    process = subprocess.Popen([*OMECONSOLE, "--store", str(store), *args], stdout=follower, stderr=follower,
                               stdin=subprocess.DEVNULL, env=clean_env())
    os.close(follower)
    seen = bytearray()
    while chunk := _read(leader):
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    assert [c for c in raw_controls(bytes(seen)) if c != repr("\r")] == []
    assert "\\x1b[2J\\x1b[HWiped" in seen.decode()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the command has ended and closed its side
        return b""


# -- the console ---------------------------------------------------------------------------------

def assert_inert(app) -> None:
    """Every widget on screen, drawn as the compositor draws it: no hidden character, and no segment that
    carries an action. Textual runs a click's action from the @click in the style under the pointer, so
    with none anywhere, no click on any cell can run one."""
    drawn = 0
    for widget in app.screen.walk_children(with_self=True):
        if widget.is_on_screen:
            for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
                for segment in strip:
                    drawn += 1
                    assert hidden_characters(segment.text) == [], (widget, segment)
                    assert not (segment.style and segment.style._meta and "@click" in segment.style.meta), (
                        widget, segment)
    assert drawn


async def click_cells_holding(app, pilot, selector: str, column: str, holds) -> int:
    """Really click the cells of one column, in the rows on screen whose text `holds` something."""
    table = app.screen.query_one(selector)
    x = 1
    for key, spec in table.columns.items():
        if str(spec.label) == column:
            break
        x += spec.get_render_width(table)
    clicks = 0
    paged = table.parent  # the results table: a cell may be cut with …, so the row's whole text decides
    for row in range(min(table.row_count, table.size.height - 2)):
        cell = str(table.get_cell_at(Coordinate(row, list(table.columns).index(key))))
        whole = paged.view.text_of(paged.shown[paged.page * paged.page_size + row]) if hasattr(paged, "view") else cell
        if holds(whole):
            await pilot.click(selector, offset=(x, row + 1))
            clicks += 1
    await settle(app, pilot)
    return clicks


def has_action(text: str) -> bool:
    return "@click" in text or "[/" in text


async def search_hostile(app, pilot) -> None:
    app.screen.query_one("#range").value = "90d"
    app.screen.query_one("#subject").value = MARKER
    app.screen.query_one("TracePane").search()
    await settle(app, pilot)


async def test_every_pane_and_dialog_shows_it_and_no_click_runs_anything(hostile):
    store, planted = hostile
    app = console_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search_hostile(app, pilot)
        # sent (CLI and service), over SMTP, and imported in four formats
        assert len(app.screen.query_one("#trace-results").records) == 2 * len(CORPUS) + len(IMPORT_FORMATS) * PER_FORMAT
        assert_inert(app)
        assert await click_cells_holding(app, pilot, "#trace-results DataTable", "Subject", has_action) >= 4
        await pilot.press("2")
        await settle(app, pilot)
        assert_inert(app)
        assert await click_cells_holding(app, pilot, "#report-results DataTable", "Subject", has_action) >= 4
        for message_id in [*planted.sent.values(), planted.imported[NUL_ROW], planted.imported[NEWLINE_ROW]]:
            app.main.lookup(message_id)
            await settle(app, pilot)
            assert app.main.details.status.message.message_id == message_id
            assert_inert(app)
        await _dialogs(app, pilot, planted)
        await _key_manager(app, pilot, planted)
        assert app.is_running and not list(planted.plant_dir.iterdir())
    assert ElevatedAccess(Context.open(store, clock=fixed_clock)).list()[0].approvals == []
    assert CLI(store)("audit", "verify").returncode == 0


async def _dialogs(app, pilot, planted) -> None:
    for name in ("fake-status", "click-screenshot", "bidi", "osc8-link"):
        app.main.lookup(planted.sent[name])
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmRevokeScreen)
        assert_inert(app)
        await pilot.press("n")
        await pilot.press("p")
        await settle(app, pilot)
        assert_inert(app)
        await pilot.press("escape")
    seen = capture_notifications(app)
    app.main.lookup(planted.imported[0])  # not revocable: r says why, naming the subject in a toast
    await settle(app, pilot)
    await pilot.press("r")
    await settle(app, pilot)
    assert any("cannot be revoked" in note for note in seen)
    assert_inert(app)


async def _key_manager(app, pilot, planted) -> None:
    await pilot.press("4")
    await settle(app, pilot)
    assert_inert(app)
    assert await click_cells_holding(app, pilot, "#access-requests", "Reason", has_action) == 1
    assert await click_cells_holding(app, pilot, "#audit-log", "Target", lambda t: "\\x1b" in t or "@click" in t)
    app.screen.query_one("#access-requests").focus()
    await pilot.press("a")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmAccessScreen)
    assert " ".join(REASON.split()) in " ".join(text_of(app.screen.query_one("#confirm-body")).split())
    assert_inert(app)
    await pilot.press("n")
    await settle(app, pilot)


# -- generated: the functions every face draws data with -------------------------------------------

FRAGMENTS = st.sampled_from(["[", "]", "[/", "[/x]", "[@click=app.quit]", "[@click=screen.approve]", "[b]", "\\",
                             "\x1b", "[2J", "]52;c;", "]8;;", "\x07", "\x9b", "\x00", "\r", "\n", "\t", "\x7f",
                             "\u202e", "\u2066", "\u200b", "\ufeff", "\u2028", "\udcff", "\u3164", "\u034f",
                             "\ufe0f", "\U000e0041", "\U00013439", "\uffff", "a", "é", "中", " "])
HOSTILE_TEXT = st.one_of(st.lists(FRAGMENTS, max_size=25).map("".join), st.text(max_size=80))


@given(text=HOSTILE_TEXT)
def test_shown_leaves_nothing_hidden_and_is_stable(text):
    once = shown(text)
    assert hidden_characters(once) == [] and "\n" not in once
    assert shown(once) == once
    assert hidden_characters(shown(text, lines=True)) == []
    assert json.loads(json_text({"x": text})) == {"x": text}
    assert hidden_characters(json_text({"x": text})) == []


@given(text=HOSTILE_TEXT)
def test_cli_tables_and_lists_show_it(text):
    table = render.as_table([{"Subject": text, "Reasons": [text]}], ("Subject", "Reasons"))
    listing = render.as_list({"Subject": text, "Reasons": [text, text]})
    assert hidden_characters(table) == [] and hidden_characters(listing) == []
    assert listing.count("\n") == 3  # one line a value, whatever the value holds


def message_with(text: str) -> Message:
    """A message whose every free-text field is `text`."""
    now = fixed_clock()
    bob = Recipient("bob.kelly@gmail.com", TraceStatus.DELIVERED, None, Experience.LINK_BASED,
                    [TraceEvent(now, "Receive", "Receive", text)])
    return Message(message_id="<HYPOTHESIS1@contoso.com>", trace_id="0d6b1c1e-5c7a-4a8e-9f51-3c2f6e9a7b10",
                   received=now, sender=MEGAN, subject=text, size=1, from_ip=None, recipients=[bob],
                   protection=Protection.ENCRYPT_ONLY, method=EncryptionMethod.USER, template=text,
                   revocation=Revocation(now, text, "admin", text))


def drawn(renderable) -> list:
    console = RichConsole(width=100, color_system=None)
    return list(console.render(renderable, console.options))


def assert_drawn_inert(renderable) -> None:
    for segment in drawn(renderable):
        assert hidden_characters(segment.text) == [], segment
        assert segment.style is None or "@click" not in segment.style.meta, segment


@settings(max_examples=60, deadline=None)
@given(text=HOSTILE_TEXT)
def test_every_console_renderer_shows_it(text):
    now = fixed_clock()
    message = message_with(text)
    decision = check_revocation(message, Actor("admin@contoso.com", Role.GLOBAL_ADMIN), build_tenant(), now)
    entry = AuditEntry(1, "2026-11-20T12:00:00Z", text, "user", text, text, "refused", text, text, "0", "0")
    details = MessageDetails(StatusResult(message, decision, "present"), [entry])
    request = AccessRequest("AR-0001", ALEX, text, timedelta(hours=1), now)
    recipient = message.recipients[0]
    portal = PortalView(message, "bob.kelly@gmail.com", "available", text, body=text)
    for renderable in (render_details(details), render_audit(details), ConfirmRevokeScreen(message, "admin").body(),
                       ConfirmAccessScreen(request, AccessDecision.APPROVE, now).body(),
                       bar_chart(text, [(text, 3)], 40), *trace_cells(TraceRow(message, recipient)),
                       *report_cells(ReportRow(message, recipient, decision)), *request_cells(request, now),
                       *audit_cells(entry), portal_text(portal), identity_line(text, Actor(MEGAN, Role.USER))):
        assert_drawn_inert(renderable)
