"""Data into widgets: always a Text object holding `shown` text.

Textual parses a plain `str` as markup in a DataTable cell, a Static, a Label, a Rich table
cell or a toast: a subject `[@click=app.screenshot(...)]Invoice[/]` would become a live action,
and `[/x]` would crash the widget. So no string made from data is ever handed to a widget: it
goes through `plain` (one line) or `paragraph` (a body), which make literal Text of what
`omeconsole.core.text.untrusted.shown` returns.
"""

from __future__ import annotations

from rich.text import Text

from omeconsole.core.text.untrusted import shown

CELL_LIMIT = 400  # characters a table cell keeps: no column is wider, and a 100 KB subject stays quick


def plain(value: object, style: str = "", *, limit: int | None = None) -> Text:
    """One line of data as literal text, cut to `limit` characters with an ellipsis."""
    text = shown(value)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style)


def cell(value: object, style: str = "") -> Text:
    """A table cell: one line of data, never longer than any column."""
    return plain(value, style, limit=CELL_LIMIT)


def paragraph(value: object, style: str = "") -> Text:
    """Several lines of data (a body) as literal text; line breaks kept, everything else shown."""
    return Text(shown(value, lines=True), style=style)
