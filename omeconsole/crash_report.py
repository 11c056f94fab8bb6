"""When omeconsole itself fails: the full report goes to a file, the person reads one line.

A traceback is for the people who fix omeconsole, not for an admin at a console or a helpdesk
user over SSH, and Textual's own report prints every frame's local variables, which can hold
message content. The report written here has the traceback without locals, the version and
the command's name (never its arguments, which can hold a body); it lives in the per-user state
directory, 0600, and only the newest KEEP reports are kept.
"""

from __future__ import annotations

import os
import platform
import traceback
from datetime import UTC, datetime
from pathlib import Path

KEEP = 20
_PREFIX = "omeconsole-crash-"


def reports_dir() -> Path:
    """OMECONSOLE_STATE_DIR, else the per-user state directory (platformdirs)."""
    given = os.environ.get("OMECONSOLE_STATE_DIR")
    if given:
        return Path(given).expanduser()
    from platformdirs import user_state_path

    return user_state_path("omeconsole", appauthor=False)


def write_report(error: BaseException, where: str) -> Path | None:
    """The report's path, or None if it could not be written (the one line still says what failed)."""
    from omeconsole import __version__

    now = datetime.now(UTC)
    lines = [f"omeconsole {__version__} failed in {where} at {now:%Y-%m-%dT%H:%M:%SZ}",
             f"Python {platform.python_version()} on {platform.platform()}", "",
             *traceback.format_exception(type(error), error, error.__traceback__)]
    try:
        directory = reports_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"{_PREFIX}{now:%Y%m%d-%H%M%S}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write("\n".join(line.rstrip("\n") for line in lines) + "\n")
        _prune(directory)
    except OSError:
        return None
    return path


def _prune(directory: Path) -> None:
    reports = sorted(directory.glob(f"{_PREFIX}*.txt"))
    for old in reports[:-KEEP]:
        try:
            old.unlink()
        except OSError:
            pass


def one_line(error: BaseException, report: Path | None) -> str:
    """What the person reads: what failed, and where the full report is."""
    from omeconsole.core.text.untrusted import shown

    what = " ".join(shown(str(error)).split())[:200] or "no message"
    if report is None:
        where = "the full report could not be written; set OMECONSOLE_DEBUG=1 to see the traceback"
    elif os.environ.get("OMECONSOLE_FRONT_DOOR"):
        where = f"the full report is {report.name} in omeconsole's state directory on the server"
    else:
        where = f"the full report is in {report}"
    return f"internal error ({type(error).__name__}: {what}); {where}"

