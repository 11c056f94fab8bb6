"""A DataTable that shows one page of a result list at a time, with "rows N-M of T".

The built-in DataTable keeps every cell in Python structures, so it never holds more
than one page; the full result list stays a plain list of service records.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

PAGE_SIZE = 100


class PagedTable(Vertical):
    """A page of rows; `to_cells` turns one record into the row's cells."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > DataTable { height: 1fr; }
    PagedTable > .page-info { height: 1; color: $text-muted; padding: 0 1; }
    """

    class Highlighted(Message):
        """The highlighted row changed: the cursor moved, a page turned, or new rows arrived (fresh).
        record is None when the table is empty: nothing is highlighted."""

        def __init__(self, table: PagedTable, record, fresh: bool = False) -> None:
            super().__init__()
            self.table = table
            self.record = record
            self.fresh = fresh

    class Chosen(Message):
        def __init__(self, table: PagedTable, record) -> None:
            super().__init__()
            self.table = table
            self.record = record

    def __init__(self, columns: Sequence[tuple], to_cells: Callable, *,
                 empty: str = "No results.", page_size: int = PAGE_SIZE, **kwargs) -> None:
        """columns: (label, width[, optional]); width None shares what is left of the screen, and
        optional columns are dropped, last first, when the screen is too narrow for every column."""
        super().__init__(**kwargs)
        self.columns = [(c[0], c[1], c[2] if len(c) > 2 else False) for c in columns]
        self.to_cells = to_cells
        self._widths: list[int | None] = []  # per column; None: dropped at this width
        self.empty = empty
        self.page_size = page_size
        self.records: list = []
        self.note = ""  # said after the row count, e.g. that a search stopped at its limit
        self.loading_text: str | None = None  # said instead of the row count while a worker loads
        self.page = 0

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Static("Loading…", classes="page-info")

    def on_resize(self) -> None:
        widths = self._fit(self.size.width)
        if widths != self._widths:
            self._widths = widths
            self.table.clear(columns=True)
            for (label, _, _), width in zip(self.columns, widths, strict=True):
                if width is not None:
                    self.table.add_column(label, width=width)
            self._show_page(fresh=False)

    def _fit(self, total: int, minimum: int = 10) -> list[int | None]:
        """Fixed columns keep their width; the rest share the remainder (each cell has 2 of padding)."""
        shown = list(range(len(self.columns)))
        optional = [i for i, column in enumerate(self.columns) if column[2]]
        while True:
            flexible = [i for i in shown if self.columns[i][1] is None]
            used = sum(self.columns[i][1] or 0 for i in shown) + 2 * len(shown) + 2
            share = (total - used) // max(1, len(flexible))
            if share >= minimum or not optional:
                break
            shown.remove(optional.pop())
        return [(self.columns[i][1] or max(minimum, share)) if i in shown else None
                for i in range(len(self.columns))]

    def redraw(self) -> None:
        """Draw the columns and the page again: their headers or cells changed (the console's clock did)."""
        self._widths = []
        self.on_resize()

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.records) // self.page_size))

    def set_records(self, records: list, keep_page: bool = False, note: str = "") -> None:
        self.records = records
        self.note = note
        self.loading_text = None
        self.loading = False
        # Tens of thousands of result rows are long-lived: left to the cyclic garbage collector,
        # each full collection walks them all (about 300 ms at 50,000 rows, measured) and stalls
        # the next key. Frozen, they are skipped; they are still freed when the list is replaced.
        gc.freeze()
        self.page = min(self.page, self.pages - 1) if keep_page else 0
        self._show_page(fresh=True, row=None if keep_page else 0)

    def show_loading(self, text: str = "Loading…") -> None:
        """While a worker loads, the line under the table says so (until set_records, even if the
        table is redrawn meanwhile); the keyboard stays free."""
        self.loading_text = text
        self.loading = True  # Textual's Widget.loading: its loading indicator covers the table meanwhile
        self.query_one(".page-info", Static).update(Text(text))

    def next_page(self) -> bool:
        if self.page + 1 >= self.pages:
            return False
        self.page += 1
        self._show_page(fresh=False)
        return True

    def previous_page(self) -> bool:
        if self.page == 0:
            return False
        self.page -= 1
        self._show_page(fresh=False)
        return True

    def _show_page(self, fresh: bool, row: int | None = None) -> None:
        """Draw the current page and say which row is highlighted now (fresh: the rows are new),
        so that what is selected is always what is highlighted."""
        table = self.table
        if not self._widths:
            return  # the first resize builds the columns and shows the page
        row = table.cursor_row if row is None else row
        # The table's own event would come later, and not at all for an empty page: one message, below.
        with table.prevent(DataTable.RowHighlighted):
            table.clear()
            start = self.page * self.page_size
            shown = [i for i, width in enumerate(self._widths) if width is not None]
            for index, record in enumerate(self.records[start:start + self.page_size], start):
                cells = self.to_cells(record)
                table.add_row(*(cells[i] for i in shown), key=str(index))
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1))
        self.query_one(".page-info", Static).update(Text(self.page_info()))
        self.post_message(self.Highlighted(self, self.current, fresh))

    def page_info(self) -> str:
        if self.loading_text is not None:
            return self.loading_text
        total = len(self.records)
        if not total:
            return self.empty
        start = self.page * self.page_size
        end = min(start + self.page_size, total)
        pages = f"  ·  page {self.page + 1} of {self.pages}  ([ and ] turn pages)" if self.pages > 1 else ""
        note = f"  ·  {self.note}" if self.note else ""
        return f"{start + 1:,}–{end:,} of {total:,}{note}{pages}"

    @property
    def current(self):
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.records[int(key)] if key is not None else None

    # The table's events name a row by the key it had when they were sent; the rows may have been
    # replaced since. What counts is the row highlighted now, so both report `current`.

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self, self.current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Chosen(self, self.current))
