"""Exports go to the person: locally a new 0600 file where they say (never in the store), in the browser
door a download, over SSH nothing. The real console through run_test and Pilot, and the core rule."""

import os
import stat
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Input, Select

from omeconsole.core.errors import Refused, StoreError, UsageError
from omeconsole.core.message_trace.export_file import MAX_ROWS, suggested_path, typed_path, write_export
from omeconsole.core.message_trace.records import TRACE_PROPERTIES
from omeconsole.core.context import Context
from omeconsole.ui.commands import ConsoleCommands
from omeconsole.ui.screens.console_screen import ConsoleScreen
from omeconsole.ui.screens.export import ExportScreen
from omeconsole.ui.screens.help import HelpScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from omeconsole.ui.panes.message_trace import ROW_LIMIT, TracePane
from support.ui import capture_notifications, console_app, fixed_clock, footer_key, settle, text_of

SIZE = (120, 40)


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    """The person's working directory, outside the store."""
    directory = tmp_path / "out"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def audit_entries(store: Path) -> list:
    return Context.open(store, clock=fixed_clock).store.audit.entries()


def listing(directory: Path) -> dict[str, int]:
    """Every name under a directory, with its size (links not followed)."""
    return {str(p.relative_to(directory)): p.lstat().st_size for p in directory.rglob("*")}


async def export_to(app, pilot, path: str | None) -> None:
    """ctrl+e, then Enter on the path (the suggested one when None)."""
    await pilot.press("ctrl+e")
    assert isinstance(app.screen, ExportScreen)
    if path is not None:
        app.screen.query_one("#export-path", Input).value = path
    await pilot.press("enter")
    await settle(app, pilot)


async def test_ctrl_e_asks_where_and_enter_writes_a_new_0600_file_audited(ui_store, out):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#range", Select).value = "90d"
        app.screen.query_one(TracePane).search()
        await settle(app, pilot)
        seen = capture_notifications(app)
        rows = len(app.screen.query_one("#trace-results", PagedTable).records)
        assert rows > 100  # more than one page: the export is the whole result
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, ExportScreen)
        suggested = Path(app.screen.query_one("#export-path", Input).value)
        assert suggested.parent == out and suggested.name.startswith("omeconsole-message-trace-")
        assert f"All {rows:,} rows of the result, on every page" in text_of(app.screen.query_one("#export-rows"))
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsoleScreen) and listing(out) == {}
        await export_to(app, pilot, None)
        await pilot.press("2")
        await settle(app, pilot)
        await export_to(app, pilot, "report.csv")  # relative to the current directory
    trace = suggested.read_text(encoding="utf-8").splitlines()
    assert trace[0].startswith('"Received","SenderAddress","RecipientAddress"') and len(trace) == rows + 1
    assert stat.S_IMODE(suggested.stat().st_mode) == 0o600
    report = (out / "report.csv").read_text(encoding="utf-8").splitlines()
    assert '"RevocationStatus"' in report[0] and len(report) > 1
    assert stat.S_IMODE((out / "report.csv").stat().st_mode) == 0o600
    exports = [e for e in audit_entries(ui_store) if e.action == "export"]
    assert [(e.target, e.outcome) for e in exports] == [(str(suggested), "success"), (str(out / "report.csv"), "success")]
    assert f"{rows:,} rows of the Message Trace" in exports[0].detail
    assert f"{len(report) - 1:,} rows of the Encryption Report" in exports[1].detail
    assert any(f"{rows:,} rows written to {suggested}" in note for note in seen)


async def test_an_existing_file_a_link_a_missing_directory_and_the_store_are_refused(ui_store, out):
    (out / "taken.csv").write_text("keep me")
    (out / "link.csv").symlink_to(out / "planted.csv")  # dangling: O_CREAT alone would create planted.csv
    refused = {str(out / "taken.csv"): "already exists", str(out / "link.csv"): "is a link",
               str(out / "nope" / "x.csv"): "does not exist", str(ui_store / "x.csv"): "inside the store directory"}
    before_out, before_store = listing(out), listing(ui_store)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = capture_notifications(app)
        for path in refused:
            await export_to(app, pilot, path)
    for path, reason in refused.items():
        toast = next(note for note in seen if path in note)
        assert reason in toast and "\n" not in toast
    assert listing(out) == before_out and (out / "taken.csv").read_text() == "keep me"
    after_store = listing(ui_store)
    assert after_store.pop("audit.jsonl") > before_store.pop("audit.jsonl") and after_store == before_store
    exports = [e for e in audit_entries(ui_store) if e.action == "export"]
    assert [(e.target, e.outcome) for e in exports] == [(path, "refused") for path in refused]


async def test_a_path_typed_wrong_is_said_in_the_dialog(ui_store, out):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+e")
        app.screen.query_one("#export-path", Input).value = f"{out}/"
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen)
        assert "names a directory" in text_of(app.screen.query_one("#export-error"))
    assert listing(out) == {}


async def test_over_ssh_export_is_not_offered_and_refused_if_reached(ui_store, out):
    for remote in (False, True):
        app = console_app(ui_store)
        app.remote = remote
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            in_footer = await footer_key(app, pilot, "export") is not None
            palette = [hit.text async for hit in ConsoleCommands(app.screen).discover()]
            assert in_footer is not remote and ("Export results to CSV" in palette) is not remote
            if not remote:
                continue
            seen = capture_notifications(app)
            assert await app.run_action("export", app.main) is False
            app.main.action_export()
            await settle(app, pilot)
            assert isinstance(app.screen, ConsoleScreen)
            assert any("Not over SSH" in note and "--csv > file" in note for note in seen)
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            assert "omeconsole trace ... --csv > file" in text_of(app.screen.query_one("#help-table"))
    assert listing(out) == {}
    assert not [e for e in audit_entries(ui_store) if e.action == "export"]


async def test_in_the_browser_the_csv_is_delivered_as_a_download_never_written(ui_store, out, monkeypatch):
    delivered = []

    def deliver_binary(driver, binary, *, delivery_key, save_path, **options):
        delivered.append((save_path.name, binary.read(), options))

    # The web driver is what the app runs on in the browser door; here the headless one stands in for it.
    monkeypatch.setattr(HeadlessDriver, "is_web", property(lambda driver: True))
    monkeypatch.setattr(HeadlessDriver, "deliver_binary", deliver_binary)
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = len(app.screen.query_one("#trace-results", PagedTable).records)
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsoleScreen)  # no question about a server path
    [(name, text, options)] = delivered
    assert name.startswith("omeconsole-message-trace-") and name.endswith(".csv")
    assert options["mime_type"] == "text/csv" and options["encoding"] == "utf-8"
    lines = text.split("\r\n")
    assert lines[0].startswith('"Received","SenderAddress"') and len(lines) == rows + 2  # and the last newline
    assert listing(out) == {}
    [entry] = [e for e in audit_entries(ui_store) if e.action == "export"]
    assert entry.target == name and entry.outcome == "success"
    assert f"{rows:,} rows of the Message Trace delivered to the browser" in entry.detail


# -- the core rule, without the console ----------------------------------------------------

def test_an_export_is_bounded_by_the_rows_the_console_keeps(ui_store, out):
    assert ROW_LIMIT <= MAX_ROWS
    ome = Context.open(ui_store, clock=fixed_clock)
    with pytest.raises(UsageError, match="at most 50,000 rows"):
        write_export(ome, out / "big.csv", [{}] * (MAX_ROWS + 1), TRACE_PROPERTIES, "Message Trace")
    assert listing(out) == {}


def test_nothing_is_ever_written_under_the_store_whatever_its_name(ui_store, out):
    (out / "store-link").symlink_to(ui_store)  # the store under another name
    ome = Context.open(ui_store, clock=fixed_clock)
    before = listing(ui_store)
    for path in (ui_store / "index" / "x.csv", out / "store-link" / "x.csv", out / "store-link" / "messages" / "x.csv"):
        with pytest.raises(Refused, match="inside the store directory"):
            write_export(ome, path, [{"Subject": "hello"}], TRACE_PROPERTIES, "Message Trace")
    after = listing(ui_store)
    assert after.pop("audit.jsonl") > before.pop("audit.jsonl") and after == before
    exports = [e for e in audit_entries(ui_store) if e.action == "export"]
    assert [e.outcome for e in exports] == ["refused"] * 3


def test_a_write_that_fails_after_its_entry_is_audited_as_failed_and_leaves_no_file(ui_store, out, monkeypatch):
    ome = Context.open(ui_store, clock=fixed_clock)

    fsync = os.fsync

    def full(fd):  # the export's file only: the audit log is written as usual
        if os.readlink(f"/proc/self/fd/{fd}").endswith("x.csv"):
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match="No space left on device"):
        write_export(ome, out / "x.csv", [{"Subject": "hello"}], TRACE_PROPERTIES, "Message Trace")
    monkeypatch.undo()
    assert listing(out) == {}
    last = [e for e in audit_entries(ui_store) if e.action == "export"]
    assert [e.outcome for e in last] == ["success", "failed"] and "No space left" in last[1].detail


def test_typed_paths_and_the_suggestion(ui_store, out, monkeypatch):
    assert typed_path("  x.csv ") == out / "x.csv"
    monkeypatch.setenv("HOME", str(out))
    assert typed_path("~/y.csv") == out / "y.csv"
    for bad, needle in (("", "type the path"), ("dir/", "names a directory"), ("a\x1bb.csv", "control")):
        with pytest.raises(UsageError, match=needle):
            typed_path(bad)
    assert suggested_path("message-trace", fixed_clock(), ui_store).parent == out
    monkeypatch.chdir(ui_store / "index")  # started inside the store: the suggestion is the home directory
    assert suggested_path("message-trace", fixed_clock(), ui_store).parent == out


def test_the_open_itself_never_follows_a_link_nor_overwrites(out):
    """Should a name appear between the check and the write, the open still refuses it."""
    from omeconsole.core.message_trace import export_file

    (out / "taken.csv").write_text("keep me")
    (out / "link.csv").symlink_to(out / "planted.csv")
    directory = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in ("taken.csv", "link.csv"):
            with pytest.raises(OSError):
                export_file._create(directory, name, b"x")
    finally:
        os.close(directory)
    assert (out / "taken.csv").read_text() == "keep me" and not (out / "planted.csv").exists()
