"""The README's quick start as a new user meets it: the wheel built from this checkout, installed in a
new virtual environment, started with an empty HOME from a directory outside the checkout, on a
real PTY, read as the terminal shows it. And when the console fails: one line, never a traceback."""

from __future__ import annotations

import asyncio
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.paths import ROOT
from support.ssh import PtyTerminal

BUILD_SECONDS = 600
FIRST_PAINT_SECONDS = 120


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would build, from a clean copy (a stale build/ cannot leak into it)."""
    source = tmp_path_factory.mktemp("source") / "omeconsole"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".cache", "screenshots"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=BUILD_SECONDS)
    return next(out.glob("omeconsole-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new virtual environment holding the wheel and what it depends on, and nothing else."""
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=BUILD_SECONDS)
    subprocess.run([str(root / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=BUILD_SECONDS)
    return root


def user_env(home: Path, venv: Path) -> dict[str, str]:
    """What a new user's shell gives the console: a PATH, an empty HOME, a terminal; nothing of ours."""
    return {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TERM": "xterm-256color",
            "LANG": "C.UTF-8"}


def test_the_wheel_holds_every_file_the_package_reads(wheel):
    """Every non-Python file under omeconsole/ (the stylesheet, for one) is in the wheel."""
    needed = {p.relative_to(ROOT).as_posix() for p in (ROOT / "omeconsole").rglob("*")
              if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert needed, "the package has no data files: this test checks nothing"
    with zipfile.ZipFile(wheel) as archive:
        assert needed <= set(archive.namelist()), needed - set(archive.namelist())


def test_version_is_the_installed_one(venv):
    result = subprocess.run([str(venv / "bin" / "omeconsole"), "--version"], capture_output=True, text=True,
                            timeout=60)
    from omeconsole import __version__

    assert result.returncode == 0 and result.stdout.strip() == f"omeconsole {__version__}"


async def test_the_quick_start_opens_the_console(venv, tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    terminal = PtyTerminal([str(venv / "bin" / "omeconsole"), "--demo"], user_env(home, venv), str(elsewhere),
                           100, 30)
    await terminal.start()
    await terminal.shows("acting as admin@contoso.com", "Message Trace", " of ", timeout=FIRST_PAINT_SECONDS)
    terminal.process.write(b"\x11")  # ctrl+q
    assert await asyncio.wait_for(terminal.process.wait(), 60) == 0
    assert b"Traceback" not in terminal.output
    assert (home / ".local" / "share" / "omeconsole" / "store" / "tenant.json").exists()


async def test_a_console_that_fails_prints_one_line_and_where_the_full_report_is(venv, tmp_path):
    """The first round's bug, brought back: the installed package without its stylesheet."""
    stylesheet = next(venv.glob("lib/python*/site-packages/omeconsole/ui/app.tcss"))
    kept = tmp_path / "app.tcss"
    shutil.move(stylesheet, kept)
    try:
        home = tmp_path / "home"
        home.mkdir()
        terminal = PtyTerminal([str(venv / "bin" / "omeconsole"), "--demo"], user_env(home, venv), str(tmp_path),
                               100, 30)
        await terminal.start()
        status = await asyncio.wait_for(terminal.process.wait(), FIRST_PAINT_SECONDS)
    finally:
        shutil.move(kept, stylesheet)
    said = terminal.output.decode("utf-8", "replace")
    assert status == 1, said
    assert "Traceback" not in said and "locals" not in said and "site-packages/textual" not in said, said
    reports = list((home / ".local" / "state" / "omeconsole").glob("omeconsole-crash-*.txt"))
    assert len(reports) == 1
    line = "omeconsole: internal error (StylesheetError: unable to read CSS file"
    assert line in said and f"the full report is in {reports[0]}" in said, said
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    report = reports[0].read_text()
    assert "Traceback" in report and "StylesheetError" in report


def test_over_ssh_the_line_names_the_report_but_not_the_servers_paths(monkeypatch, tmp_path):
    """A console behind the SSH door runs on the server: its user is told the report's name only."""
    from omeconsole.crash_report import one_line, write_report

    monkeypatch.setenv("OMECONSOLE_STATE_DIR", str(tmp_path / "state"))
    try:
        raise RuntimeError("the \x1b[2J console broke")
    except RuntimeError as error:
        report = write_report(error, "the console")
        local = one_line(error, report)
        monkeypatch.setenv("OMECONSOLE_FRONT_DOOR", "ssh")
        remote = one_line(error, report)
    assert local == f"internal error (RuntimeError: the \\x1b[2J console broke); the full report is in {report}"
    assert str(tmp_path) not in remote and report.name in remote and "on the server" in remote
    assert "Traceback" in report.read_text() and oct(report.stat().st_mode)[-3:] == "600"
