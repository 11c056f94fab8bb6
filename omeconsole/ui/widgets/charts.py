"""Small horizontal bar charts, drawn as Rich text: they read better than bare numbers."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from omeconsole.ui.plain import plain

BAR = "█"


def bar_chart(title: str, pairs: list[tuple[str, int]], total_width: int = 36, style: str = "cyan") -> Table:
    """Label, bar and count in total_width columns."""
    counts = max((len(f"{n:,}") for _, n in pairs), default=1)
    label_width = max(8, min(18, (total_width - counts - 2) * 5 // 9))
    width = max(4, total_width - label_width - counts - 2)
    table = Table.grid(padding=(0, 1))
    table.title = plain(title)
    table.title_justify = "left"
    table.title_style = "bold"
    table.add_column(no_wrap=True, width=label_width, overflow="ellipsis")
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    largest = max((n for _, n in pairs), default=0)
    for label, count in pairs:
        length = max(1, round(width * count / largest)) if largest else 0
        table.add_row(plain(label, limit=64), Text(BAR * length, style=style), f"{count:,}")
    if not pairs:
        table.add_row(Text("nothing in this range", style="italic"), "", "")
    return table
