"""Standard streams as a person or a script may leave them: a terminal, a pipe, or closed."""

from __future__ import annotations

import sys

from omeconsole.core.errors import UsageError


def is_terminal(stream) -> bool:
    """False for a pipe, a file, or a stream that was closed (Python then sets it to None)."""
    return stream is not None and stream.isatty()


def stdin_line(what: str) -> str:
    """One line from standard input, or a UsageError when there is none to read."""
    if sys.stdin is None:
        raise UsageError(f"{what} is read from standard input, which is closed")
    line = sys.stdin.readline()
    if not line:
        raise UsageError(f"{what} is read from standard input, which is empty")
    return line


def stdin_bytes(what: str) -> bytes:
    if sys.stdin is None:
        raise UsageError(f"{what} is read from standard input, which is closed")
    return sys.stdin.buffer.read()
