"""The terminal sizes a front door passes on to a console: what a real terminal has.

A client names its size (an SSH pty-req and window change, a browser tab's query and resize
messages) and may claim anything: 65535 x 65535 drives a console to a full core and gigabytes.
Below 40 x 12 the console's own drawing fails (seen at 30 x 12), so that is the floor.
"""

from __future__ import annotations

COLUMNS = (40, 500)
ROWS = (12, 200)


def clamped(columns: int, rows: int) -> tuple[int, int]:
    return min(max(columns, COLUMNS[0]), COLUMNS[1]), min(max(rows, ROWS[0]), ROWS[1])
