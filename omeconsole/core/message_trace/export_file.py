"""A console export: the rows of the result on screen, as CSV, to the person who asked for it.

Where an export may go is decided here, once: a new file (never an existing one, never
through a link) in a directory that exists and is not the store directory or below it.
Nothing is ever written into the store directory but the store. The file is 0600, and the
export is audited, with its row count and file name, before it is written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from omeconsole.core.errors import Refused, StoreError, UsageError
from omeconsole.core.text.csv_cells import to_csv
from omeconsole.core.text.untrusted import refuse_hidden

ACTION = "export"
FILE_MODE = 0o600
# The console keeps at most 50,000 rows of a search or report (ui/widgets/trace_pane.py ROW_LIMIT)
# and pages through them; an export is every row of that result, so it is bounded by the same figure.
MAX_ROWS = 50_000
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_LOOK_UP = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC  # no read right needed
_MAX_DEPTH = 4096


def suggested_name(kind: str, at: datetime) -> str:
    """omeconsole-message-trace-20261120-130000.csv, in local time."""
    return f"omeconsole-{kind}-{at.astimezone():%Y%m%d-%H%M%S}.csv"


def suggested_path(kind: str, at: datetime, store_root: Path) -> Path:
    """The current directory, or the home directory when the current one is (in) the store or gone."""
    try:
        here = Path.cwd()
    except OSError:
        return Path.home() / suggested_name(kind, at)
    return (Path.home() if in_store(here, store_root) else here) / suggested_name(kind, at)


def typed_path(text: str, cwd: Path | None = None) -> Path:
    """The path a person typed: ~ expanded, relative to the current directory."""
    text = refuse_hidden(text.strip(), "the export's path")
    if not text:
        raise UsageError("type the path of the CSV file to write")
    if text.endswith(("/", os.sep)):
        raise UsageError(f"{text} names a directory; add a file name")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~name of no such user
        raise UsageError(f"{text}: no such home directory") from None
    if path.is_absolute():
        return path
    try:
        return (cwd or Path.cwd()) / path
    except OSError:
        raise UsageError("the current directory no longer exists; type a full path") from None


def in_store(directory: Path, store_root: Path) -> bool:
    """Whether a directory is the store directory or lies below it (False if it cannot be opened)."""
    try:
        fd = os.open(directory, _DIRECTORY)
    except OSError:
        return False
    try:
        return _lies_in(fd, os.stat(store_root))
    except OSError:
        return False
    finally:
        os.close(fd)


def write_export(context, path: Path, records: Sequence[dict], columns: tuple[str, ...], what: str) -> int:
    """Write the rows to a new 0600 file at path, audited first; the number of rows written.
    Refused (audited, one line, nothing written) where the rule says an export may not go."""
    rows = _bounded(records)
    fd = _open_directory(context, path)
    try:
        _check_destination(context, fd, path)
        since = len(context.store.audit.appended)
        context.audit(ACTION, str(path), "success", f"{len(rows):,} rows of the {what} to a new file, mode 0600")
        try:
            _create(fd, path.name, to_csv(rows, columns).encode("utf-8"))
        except OSError as error:
            failure = StoreError(f"cannot write {path}: {error.strerror or error}")
            context.store.audit.record_failure(since, failure)
            raise failure from None
    finally:
        os.close(fd)
    return len(rows)


def export_for_download(context, file_name: str, records: Sequence[dict], columns: tuple[str, ...], what: str) -> str:
    """The CSV text for the browser to download; audited first. Nothing is written on the server."""
    rows = _bounded(records)
    context.audit(ACTION, file_name, "success", f"{len(rows):,} rows of the {what} delivered to the browser")
    return to_csv(rows, columns)


def _bounded(records: Sequence[dict]) -> Sequence[dict]:
    if len(records) > MAX_ROWS:
        raise UsageError(f"an export holds at most {MAX_ROWS:,} rows; this result has {len(records):,}: "
                         "narrow the search")
    return records


def _open_directory(context, path: Path) -> int:
    try:
        return os.open(path.parent, _DIRECTORY)
    except FileNotFoundError:
        reason = f"the directory {path.parent} does not exist"
    except NotADirectoryError:
        reason = f"{path.parent} is not a directory"
    except OSError as error:
        reason = f"cannot open the directory {path.parent}: {error.strerror or error}"
    raise context.refuse(ACTION, str(path), Refused(f"cannot export to {path}: {reason}"))


def _check_destination(context, directory_fd: int, path: Path) -> None:
    """The rule: not in the store directory, and a name that is free (not a file, a link, a directory)."""
    reason: str | None
    try:
        if _lies_in(directory_fd, os.stat(context.store.root)):
            reason = f"it lies inside the store directory {context.store.root}, where nothing but the store is written"
        else:
            reason = _taken(directory_fd, path.name)
    except OSError as error:
        reason = f"cannot check where it lies: {error.strerror or error}"
    if reason:
        raise context.refuse(ACTION, str(path), Refused(f"cannot export to {path}: {reason}"))


def _taken(directory_fd: int, name: str) -> str | None:
    if name in ("", ".", ".."):
        return "it names a directory; add a file name"
    try:
        found = os.stat(name, dir_fd=directory_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(found.st_mode):
        return "it is a link, and an export never follows one"
    if stat.S_ISDIR(found.st_mode):
        return "it is a directory"
    return "it already exists, and an export never overwrites a file"


def _lies_in(directory_fd: int, store: os.stat_result) -> bool:
    """Whether the directory opened is the store directory or below it, walked up by its own '..'
    entries: a link, a bind mount or a second name for the store cannot hide it."""
    fd = os.dup(directory_fd)
    try:
        for _ in range(_MAX_DEPTH):
            here = os.fstat(fd)
            if _same(here, store):
                return True
            parent = os.open("..", _LOOK_UP, dir_fd=fd)
            os.close(fd)
            fd = parent
            if _same(os.fstat(fd), here):
                return False  # the root is its own parent
        return True  # deeper than any real tree: refuse rather than guess
    finally:
        os.close(fd)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _create(directory_fd: int, name: str, data: bytes) -> None:
    """A new file, never an existing one and never through a link; written whole and fsynced. A file
    this call created and could not finish is removed."""
    fd = os.open(name, _CREATE, FILE_MODE, dir_fd=directory_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.fsync(directory_fd)  # the new name, too, survives a crash
    except OSError:
        with suppress(OSError):
            os.unlink(name, dir_fd=directory_fd)
        raise
