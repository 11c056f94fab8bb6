"""Standard streams as a person or a script may leave them: a terminal, a pipe, a full disk, or closed;
and files read with a bound, whatever their size claims to be (/dev/zero claims 0)."""

from __future__ import annotations

import sys
from pathlib import Path

from omeconsole.core.errors import OmeError, UsageError

MAX_LINE = 4096  # a passphrase or a password on standard input


class OutputError(OmeError):
    """Standard output cannot be written (closed, or a full disk): said on standard error, exit 1."""


def is_terminal(stream) -> bool:
    """False for a pipe, a file, or a stream that was closed (Python then sets it to None)."""
    return stream is not None and stream.isatty()


def require_stdout() -> None:
    """Before a command does anything: its answer needs somewhere to go."""
    if sys.stdout is None:
        raise UsageError("standard output is closed, so the answer could not be given; nothing was done")


def write_out(text: str) -> None:
    try:
        sys.stdout.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def flush_out() -> None:
    """At the end of a command, so a full disk is reported here and not lost at exit."""
    if sys.stdout is not None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} is not UTF-8 text (a byte that is not UTF-8 at offset {exc.start})") from None


def stdin_line(what: str) -> str:
    """One line of UTF-8 text from standard input, or a UsageError when there is none to read."""
    if sys.stdin is None:
        raise UsageError(f"{what} is read from standard input, which is closed")
    line = sys.stdin.buffer.readline(MAX_LINE + 1)
    if not line:
        raise UsageError(f"{what} is read from standard input, which is empty")
    if len(line) > MAX_LINE:
        raise UsageError(f"{what} on standard input is longer than {MAX_LINE} bytes")
    return _text(line, what)


def read_bounded(path: str, what: str, limit: int) -> str:
    """A UTF-8 file (or - for standard input) of at most `limit` bytes, as text."""
    if path == "-":
        if sys.stdin is None:
            raise UsageError(f"{what} is read from standard input, which is closed")
        raw = sys.stdin.buffer.read(limit + 1)
    else:
        raw = read_file_bounded(Path(path), what, limit)
    if len(raw) > limit:
        raise UsageError(f"{what} is larger than {limit // 2**20} MiB")
    return _text(raw, what)


def read_file_bounded(path: Path, what: str, limit: int) -> bytes:
    """At most limit + 1 bytes of a file: the caller tells 'too large' from 'just right'."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
