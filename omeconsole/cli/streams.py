"""Standard streams as a person or a script may leave them: a terminal, a pipe, a full disk, or closed;
and files read with a bound, whatever their size claims to be (/dev/zero claims 0)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from omeconsole.core.errors import OmeError, UsageError
from omeconsole.core.text.reading import read_at_most

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


@contextmanager
def _writing_out():
    """A reader that went away (a closed pipe) is the caller's to hear; any other failure is one line."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def write_out(text: str) -> None:
    with _writing_out():
        sys.stdout.write(text)


def flush_out() -> None:
    """At the end of a command, so a full disk is reported here and not lost at exit."""
    if sys.stdout is not None:
        with _writing_out():
            sys.stdout.flush()


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
        if len(raw) > limit:
            raise UsageError(f"{what} is larger than {limit // 2**20} MiB")
    else:
        raw = read_at_most(Path(path), limit, what)
    return _text(raw, what)
