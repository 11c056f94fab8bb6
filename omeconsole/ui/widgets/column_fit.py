"""Table columns sized by what they hold and by the width there is; a column that must go goes in order.

Pure functions of the column specs, the content's widths and the table's width, so they are tested
without a terminal. Every cell that is cut is cut with an ellipsis (plain.fit_cell): a cut address
must never read as another, real one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from omeconsole.ui.time_shown import with_zone

CELL_PADDING = 2  # a DataTable cell's padding, left and right
TABLE_CHROME = 2  # the vertical scrollbar


@dataclass(frozen=True)
class Column:
    """label; min and max width; drop: the order in which a narrow table gives columns up (highest first,
    0 never); wide_only: shown only at this table width or wider; sort_key: how `s` orders its rows."""

    label: str
    min: int = 6
    max: int = 60
    drop: int = 0
    wide_only: int = 0
    sort_key: Callable | None = None
    clock: bool = False  # holds times: its header names the console's clock, "Received (UTC)"

    @property
    def floor(self) -> int:
        return max(self.min, min(len(self.label), self.max))

    def header(self) -> str:
        return with_zone(self.label) if self.clock else self.label


def fit(columns: Sequence[Column], content: Sequence[int], total: int) -> list[int | None]:
    """Each column's width (None: not shown) for a table `total` cells wide, given its widest content."""
    shown = [i for i, c in enumerate(columns) if total >= c.wide_only]
    room = lambda: total - TABLE_CHROME - CELL_PADDING * len(shown)  # noqa: E731
    while sum(columns[i].floor for i in shown) > room() and any(columns[i].drop for i in shown):
        shown.remove(max((i for i in shown if columns[i].drop), key=lambda i: columns[i].drop))
    wanted = {i: max(columns[i].floor, min(content[i], columns[i].max)) for i in shown}
    _shrink(wanted, {i: columns[i].floor for i in shown}, room())
    return [wanted.get(i) for i in range(len(columns))]


def _shrink(widths: dict[int, int], floors: dict[int, int], room: int) -> None:
    """Take width from the widest columns first, never below their floor, until the columns fit."""
    excess = sum(widths.values()) - room
    while excess > 0:
        above = [i for i in widths if widths[i] > floors[i]]
        if not above:
            return
        widest = max(widths[i] for i in above)
        tied = [i for i in above if widths[i] == widest]
        others = [widths[i] for i in above if widths[i] < widest]
        step = min(widest - max(others + [floors[i] for i in tied]), -(-excess // len(tied)))
        for i in tied:
            cut = min(step, excess, widths[i] - floors[i])
            widths[i] -= cut
            excess -= cut
