"""Small horizontal bar charts, drawn as Rich text: they read better than bare numbers."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

BAR = "█"


def bar_chart(title: str, pairs: list[tuple[str, int]], width: int = 16, style: str = "cyan") -> Table:
    table = Table.grid(padding=(0, 1))
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold"
    table.add_column(no_wrap=True, max_width=22, overflow="ellipsis")
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    largest = max((n for _, n in pairs), default=0)
    for label, count in pairs:
        length = max(1, round(width * count / largest)) if largest else 0
        table.add_row(label, Text(BAR * length, style=style), f"{count:,}")
    if not pairs:
        table.add_row(Text("nothing in this range", style="dim"), "", "")
    return table
