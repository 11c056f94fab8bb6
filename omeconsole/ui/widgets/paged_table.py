"""A results table: one page of rows at a time, columns fitted to what they hold, and k9s-style work
inside the rows already loaded: `/` filters as you type, `s` or a header click sorts (again reverses),
j k g G move, and a peek line shows the highlighted row's Message ID and every cell that was cut.

The built-in DataTable keeps every cell in Python structures, so it never holds more than one page;
the loaded rows stay a plain list of service records (RowView filters and sorts them).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from omeconsole.ui.plain import plain
from omeconsole.ui.widgets.column_fit import Column, fit
from omeconsole.ui.widgets.row_view import RowView

PAGE_SIZE = 100
AHEAD = 2_000  # more rows than this: their search text is made ahead, in a thread
MEASURED = 500  # rows whose cells size the columns: enough to be representative, few enough to be quick


def _column(spec) -> Column:
    """Column specs as Column, or the older (label, width[, optional]) tuples."""
    if isinstance(spec, Column):
        return spec
    label, width, optional = spec[0], spec[1], spec[2] if len(spec) > 2 else False
    return Column(label, min=width or 10, max=width or 80, drop=1 if optional else 0)


def _plain_text(cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


class PagedTable(Vertical):
    """A page of rows; `to_cells` turns one record into the row's cells; `text_of` is what `/` searches
    (default: the cells' text); `message_id` is what the peek names (default: none)."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > DataTable { height: 1fr; }
    PagedTable > .peek { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    PagedTable > .row-filter { height: 1; display: none; }
    PagedTable > .row-filter.-open { display: block; }
    PagedTable > .page-info { height: 1; color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [
        Binding("slash", "open_filter", "Filter", id="filter-rows", tooltip="Filter the loaded rows as you type"),
        Binding("s", "sort_next", "Sort", id="sort-rows",
                tooltip="Sort by the next column (a header click sorts by that one; again reverses)"),
        Binding("S", "sort_reverse", "Reverse", show=False, id="sort-reverse", tooltip="Reverse the sort"),
        Binding("j", "cursor('down')", "Down", show=False, id="row-down", tooltip="Next row"),
        Binding("k", "cursor('up')", "Up", show=False, id="row-up", tooltip="Previous row"),
        Binding("g", "first_row", "First", show=False, id="first-row", tooltip="First row of the results"),
        Binding("G", "last_row", "Last", show=False, id="last-row", tooltip="Last row of the results"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter",
                tooltip="Clear the filter (with none, Esc goes back)"),
    ]

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

    def __init__(self, columns: Sequence, to_cells: Callable, *, empty: str = "No results.",
                 page_size: int = PAGE_SIZE, text_of: Callable | None = None,
                 message_id: Callable | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = [_column(c) for c in columns]
        self.to_cells = to_cells
        self.message_id = message_id
        keys = [c.sort_key or self._cell_key(i) for i, c in enumerate(self.columns)]
        self.view = RowView(text_of or self._cells_text, keys)
        self._widths: list[int | None] = []  # per column; None: not shown at this width
        self._content: list[int] = [len(c.label) for c in self.columns]
        self.empty = empty
        self.page_size = page_size
        self.note = ""  # said after the row count, e.g. that a search stopped at its limit
        self.loading_text: str | None = None  # said instead of the row count while a worker loads
        self.page = 0

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Static("", classes="peek")
        yield Input(placeholder="filter the loaded rows: Enter keeps it, Esc clears it", classes="row-filter",
                    compact=True)
        yield Static("Loading…", classes="page-info")

    # -- rows ------------------------------------------------------------------------------

    @property
    def records(self) -> list:
        """Every row loaded (the search's result)."""
        return self.view.records

    @property
    def shown(self) -> list:
        """The rows the filter keeps, in the sort's order: what the pages show and export writes."""
        return self.view.shown

    def set_records(self, records: list, keep_page: bool = False, note: str = "") -> None:
        self.note = note
        self.loading_text = None
        self.loading = False
        # Tens of thousands of result rows are long-lived: left to the cyclic garbage collector,
        # each full collection walks them all (about 300 ms at 50,000 rows, measured) and stalls
        # the next key. Frozen, they are skipped; they are still freed when the list is replaced.
        gc.freeze()
        if records is not self.view.records:
            self.view.load(records)
            self._measure()
            if len(records) > AHEAD:
                self._make_search_texts()
        self.page = min(self.page, self.pages - 1) if keep_page else 0
        self._show_page(fresh=True, row=None if keep_page else 0)

    def _make_search_texts(self) -> None:
        """Many rows: what `/` searches is made in a thread as they arrive (about 0.4 s at 50,000), so
        the first key typed into the filter only filters. A filter typed sooner makes them itself."""
        view, records = self.view, self.view.records

        def make() -> None:
            texts = view.search_texts(records)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(view.take_texts, records, texts)

        self.run_worker(make, thread=True, group="search-texts", exclusive=True)

    def show_loading(self, text: str = "Loading…") -> None:
        """While a worker loads, the line under the table says so (until set_records, even if the
        table is redrawn meanwhile); the rows from before stay on screen, and the keyboard stays free."""
        self.loading_text = text
        self.query_one(".page-info", Static).update(Text(text, style="bold reverse"))

    def stop_loading(self, note: str) -> None:
        """The load was cancelled: the rows from before stay, and the row count says why."""
        self.set_records(self.records, keep_page=True, note=note)

    def _measure(self) -> None:
        """The widest cell of each column, over the first rows: the columns are sized by it."""
        widths = [len(c.label) for c in self.columns]
        for record in self.view.records[:MEASURED]:
            for i, cell in enumerate(self.to_cells(record)):
                widths[i] = max(widths[i], cell_len(_plain_text(cell)))
        if widths != self._content:
            self._content = widths
            self._widths = []
            self.on_resize()

    # -- drawing -------------------------------------------------------------------------------

    def on_resize(self) -> None:
        widths = fit(self.columns, self._content, self.size.width)
        if widths != self._widths:
            self._widths = widths
            self.table.clear(columns=True)
            for column, width in zip(self.columns, widths, strict=True):
                if width is not None:
                    self.table.add_column(self._header(column), width=width)
            self._show_page(fresh=False)

    def _header(self, column: Column) -> Text:
        index = self.columns.index(column)
        sort = self.view.sort
        arrow = "" if sort is None or sort.column != index else (" ↑" if not sort.reverse else " ↓")
        return Text(column.header() + arrow)

    def redraw(self) -> None:
        """Draw the columns and the page again: their headers or cells changed (the console's clock did)."""
        self._widths = []
        self.on_resize()

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.shown) // self.page_size))

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
            for index, record in enumerate(self.shown[start:start + self.page_size], start):
                table.add_row(*self._fitted(self.to_cells(record)), key=str(index))
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1))
        self.query_one(".page-info", Static).update(Text(self.page_info()))
        self._show_peek()
        self.post_message(self.Highlighted(self, self.current, fresh))

    def _fitted(self, cells: Sequence) -> list[Text]:
        """The shown columns' cells, each cut to its column with an ellipsis, never silently."""
        fitted = []
        for cell, width in zip(cells, self._widths, strict=True):
            if width is not None:
                text = cell.copy() if isinstance(cell, Text) else plain(cell)
                text.truncate(width, overflow="ellipsis")
                fitted.append(text)
        return fitted

    def page_info(self) -> str:
        if self.loading_text is not None:
            return self.loading_text
        total, loaded = len(self.shown), len(self.records)
        if not loaded:
            return self.empty
        if not total:
            return f"0 of {loaded:,} shown · filter: {self.view.needle} (Esc clears)"
        start = self.page * self.page_size
        end = min(start + self.page_size, total)
        said = f"{start + 1:,}–{end:,} of {total:,}"
        if total != loaded:
            said += f" shown (of {loaded:,} loaded) · filter: {self.view.needle}"
        if self.view.sort is not None:
            column = self.columns[self.view.sort.column]
            said += f" · sorted by {column.label} {'↓' if self.view.sort.reverse else '↑'}"
        note = f"  ·  {self.note}" if self.note else ""
        pages = f"  ·  page {self.page + 1} of {self.pages}  ([ and ] turn pages)" if self.pages > 1 else ""
        return f"{said}{note}{pages}"

    def _show_peek(self) -> None:
        """The highlighted row's Message ID, whole, and each of its cells that its column cut."""
        record = self.current
        peek = Text(no_wrap=True, overflow="ellipsis")
        if record is not None:
            if self.message_id is not None:
                peek.append("Message ID ", style="bold")
                peek.append_text(plain(self.message_id(record)))
            for column, cell, width in zip(self.columns, self.to_cells(record), self._widths, strict=True):
                text = _plain_text(cell)
                if (width is not None and len(text) > width) or (width is None and column.wide_only == 0):
                    peek.append(f"  {column.label} ", style="bold")
                    peek.append_text(plain(text))
        self.query_one(".peek", Static).update(peek)

    @property
    def current(self):
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.shown[int(key)] if key is not None and int(key) < len(self.shown) else None

    # -- filter and sort ---------------------------------------------------------------------------

    def action_open_filter(self) -> None:
        box = self.query_one(".row-filter", Input)
        box.add_class("-open")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one(".row-filter", Input)
        if not box.has_class("-open") and not self.view.needle:
            raise SkipAction()  # nothing to clear: Esc goes on to the screen (back, or cancel a search)
        box.remove_class("-open")
        box.value = ""
        self._refilter("")
        self.table.focus()

    def _refilter(self, needle: str) -> None:
        keep = self.current
        self.view.filter(needle)
        self._after_change(keep)

    def action_sort_next(self) -> None:
        shown = [i for i, width in enumerate(self._widths) if width is not None]
        sort = self.view.sort
        after = [i for i in shown if sort is None or i > sort.column]
        self._sort(after[0] if after else shown[0], fresh_column=True)

    def action_sort_reverse(self) -> None:
        if self.view.sort is not None:
            self._sort(self.view.sort.column)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        shown = [i for i, width in enumerate(self._widths) if width is not None]
        self._sort(shown[event.column_index])

    def _sort(self, column: int, fresh_column: bool = False) -> None:
        keep = self.current
        if fresh_column and self.view.sort is not None and self.view.sort.column == column:
            self.view.sort = None  # `s` on to a column sorts it ascending first
        self.view.sort_by(column)
        self.redraw()
        self._after_change(keep)

    def _after_change(self, keep) -> None:
        """The highlighted row stays highlighted if it is still shown (on its new page); else the first."""
        index = next((i for i, r in enumerate(self.shown) if r is keep), 0) if keep is not None else 0
        self.page = index // self.page_size
        self._show_page(fresh=False, row=index % self.page_size)

    def _cells_text(self, record) -> str:
        return "\t".join(_plain_text(cell) for cell in self.to_cells(record))

    def _cell_key(self, index: int) -> Callable:
        return lambda record: _plain_text(self.to_cells(record)[index]).lower()

    # -- moving -------------------------------------------------------------------------------

    def action_cursor(self, direction: str) -> None:
        if direction == "down":
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def action_first_row(self) -> None:
        self.page = 0
        self._show_page(fresh=False, row=0)

    def action_last_row(self) -> None:
        self.page = self.pages - 1
        self._show_page(fresh=False, row=self.page_size)

    # The table's events name a row by the key it had when they were sent; the rows may have been
    # replaced since. What counts is the row highlighted now, so both report `current`.

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_peek()
        self.post_message(self.Highlighted(self, self.current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Chosen(self, self.current))
