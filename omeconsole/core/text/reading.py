"""Reading what comes from outside: a file with a bound, and JSON whatever its shape.

A size from stat() is no bound (/dev/zero says 0), so a file is read up to its limit and one
byte more. JSON can be malformed in ways json.loads reports as three different exceptions
(a syntax error, nesting too deep to parse, a number of more digits than Python reads);
parse_json turns each into one ValueError of plain words, so every reader says one line.
"""

from __future__ import annotations

import json
from pathlib import Path

from omeconsole.core.errors import UsageError


def read_at_most(path: Path, limit: int, what: str = "") -> bytes:
    """The file's bytes, or a one-line UsageError (missing, a directory, unreadable, or larger than
    `limit`) naming the file and, when given, what it is for (--body-file, checkpoint file)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise unreadable(path, exc, what) from None
    if len(raw) > limit:
        raise UsageError(f"{what or path} is larger than {_amount(limit)}, the most that is read")
    return raw


def unreadable(path: Path, exc: OSError, what: str = "") -> UsageError:
    """The one line that says why a file a person named cannot be read."""
    named = f"{what} {path}" if what else str(path)
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"{named}: no such file")
    if isinstance(exc, IsADirectoryError):
        return UsageError(f"{named} is a directory")
    return UsageError(f"cannot read {named}: {exc.strerror}")


def _amount(size: int) -> str:
    if size % 2**20 == 0:
        return f"{size // 2**20} MiB"
    return f"{size // 1024} KiB" if size % 1024 == 0 else f"{size:,} bytes"


def parse_json(text: str):
    """json.loads, with every malformed JSON as a ValueError saying what is wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:  # a number of more digits than Python reads
        raise ValueError(f"not valid JSON ({exc})") from None
