"""Results tables at work: columns fitted to content and width, cut with …, the least useful dropped first,
the Message ID shown when there is room and always in the peek; `/` filter, `s` and header sort, j k g G."""

from __future__ import annotations

from dataclasses import replace

import pytest

from omeconsole.ui.panes.encryption_report import COLUMNS as REPORT_COLUMNS
from omeconsole.ui.panes.message_trace import COLUMNS as TRACE_COLUMNS
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.widgets.column_fit import CELL_PADDING, TABLE_CHROME, Column, fit
from omeconsole.ui.widgets.paged_table import PagedTable
from support.ui import console_app, settle, text_of, until

TRACE_CONTENT = [16, 27, 27, 60, 16, 72]  # the widest Received, Sender, Recipient, Subject, Status, Message ID
REPORT_CONTENT = [16, 27, 27, 60, 14, 15, 9, 15, 72]


def labels(columns, widths) -> list[str]:
    return [c.label for c, w in zip(columns, widths, strict=True) if w is not None]


def used(widths) -> int:
    shown = [w for w in widths if w is not None]
    return sum(shown) + CELL_PADDING * len(shown) + TABLE_CHROME


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 159, 160, 200, 300])
def test_the_trace_fits_every_width_keeping_sender_and_subject(width):
    widths = fit(TRACE_COLUMNS, TRACE_CONTENT, width)
    shown = labels(TRACE_COLUMNS, widths)
    assert used(widths) <= width or shown == ["Received", "Sender", "Subject"]
    assert {"Received", "Sender", "Subject"} <= set(shown)
    assert ("Message ID" in shown) == (width >= 160)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_the_report_keeps_template_and_method(width):
    shown = labels(REPORT_COLUMNS, fit(REPORT_COLUMNS, REPORT_CONTENT, width))
    assert {"Template", "Method", "Revocation"} <= set(shown)


def test_columns_are_sized_by_content_not_shared_equally():
    widths = fit(TRACE_COLUMNS, TRACE_CONTENT, 200)
    assert widths[1] == 27 and widths[2] == 27  # addresses whole, no wider
    assert widths[3] > widths[1]  # the subject takes what is left


def test_the_least_useful_column_goes_first():
    columns = [Column("A", 10), Column("B", 10, drop=1), Column("C", 10, drop=2)]
    assert fit(columns, [10, 10, 10], 24) == [10, None, None]
    assert fit(columns, [10, 10, 10], 30) == [10, 10, None]
    assert fit(columns, [10, 10, 10], 38) == [10, 10, 10]


async def test_cells_are_cut_with_an_ellipsis_and_the_peek_shows_them_whole(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        cut = [str(table.table.get_row_at(r)[1]) for r in range(table.table.row_count)]
        assert any(c.endswith("…") for c in cut)
        for row in range(table.table.row_count):  # no cell is a plausible other address
            for cell in table.table.get_row_at(row):
                text = str(cell)
                assert "@" not in text or text.endswith("…") or any(
                    text == getattr(value, "plain", value) for value in _whole(table, row))
        peek = text_of(table.query_one(".peek"))
        assert table.current.message.message_id in peek


def _whole(table, row):
    return table.to_cells(table.shown[table.page * table.page_size + row])


async def test_the_message_id_is_a_column_at_200_and_not_at_120(ui_store):
    for size, shown in (((200, 50), True), ((120, 40), False)):
        app = console_app(ui_store)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            table = app.main.query_one("#trace-results", PagedTable)
            headers = [str(c.label) for c in table.table.columns.values()]
            assert ("Message ID" in headers) is shown


async def test_slash_filters_the_loaded_rows_as_you_type_and_esc_clears(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        loaded = len(table.records)
        await pilot.press("slash")
        await until(pilot, lambda: table.query_one(".row-filter").has_focus, "the filter open")
        await pilot.press(*"GMAIL")
        await settle(app, pilot)
        assert 0 < len(table.shown) < loaded
        assert all("gmail" in table.view.text_of(r).lower() for r in table.shown)
        assert f"of {len(table.shown)} shown (of {loaded} loaded)" in table.page_info()
        assert app.main.selected().status.message.message_id == table.current.message.message_id
        await pilot.press("enter", "escape")
        await settle(app, pilot)
        assert len(table.shown) == loaded and "shown" not in table.page_info()
        await pilot.press("escape")  # nothing to clear: Esc does not hide the rows
        assert len(table.shown) == loaded


async def test_s_sorts_by_the_next_column_and_a_header_click_reverses(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        await pilot.press("s")  # Received, oldest first
        await settle(app, pilot)
        assert [r.received for r in table.shown] == sorted(r.received for r in table.records)
        await pilot.press("s")  # Sender
        await settle(app, pilot)
        assert [r.message.sender for r in table.shown] == sorted(r.message.sender for r in table.records)
        assert "sorted by Sender ↑" in table.page_info()
        await pilot.click("#trace-results DataTable", offset=(22, 0))  # the Sender header: again reverses
        await settle(app, pilot)
        assert [r.message.sender for r in table.shown] == sorted((r.message.sender for r in table.records),
                                                                 reverse=True)
        assert app.main.selected().status.message.message_id == table.current.message.message_id


async def test_j_k_g_g_move_and_r_acts_on_the_row_they_reach(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        await pilot.press("j", "j", "k")
        await settle(app, pilot)
        assert table.table.cursor_row == 1
        await pilot.press("G")
        await settle(app, pilot)
        assert table.current is table.shown[-1]
        await pilot.press("g")
        await settle(app, pilot)
        assert table.current is table.shown[0]
        assert app.main.selected().status.message.message_id == table.current.message.message_id
        if app.main.selected().status.decision.allowed:
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmRevokeScreen), "the confirmation")
            assert app.screen.message.message_id == table.current.message.message_id


HOSTILE = "[b]x[/b] [@click=app.quit]quit[/] \x1b[31mred\x1b[0m " + "a very long subject " * 8


async def test_a_hostile_subject_stays_literal_in_its_cell_the_peek_and_the_filter(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        first = table.records[0]
        planted = replace(first, message=replace(first.message, subject=HOSTILE))
        table.set_records([planted, *table.records[1:]])
        await settle(app, pilot)
        subject = table.table.get_row_at(0)[[str(c.label) for c in table.table.columns.values()].index("Subject")]
        assert subject.plain.startswith("[b]x[/b] [@click=") and subject.plain.endswith("…")
        assert "\x1b" not in subject.plain
        peek = text_of(table.query_one(".peek"))
        assert "[b]x[/b] [@click=app.quit]quit[/]" in peek and "\x1b" not in peek
        await pilot.press("slash", *"[/b]")
        await settle(app, pilot)
        assert table.shown == [planted]
        assert app.is_running  # the [@click=app.quit] did nothing


async def test_many_rows_have_their_search_text_made_as_they_arrive_and_filter_alike(ui_store):
    from omeconsole.ui.widgets.paged_table import AHEAD

    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one("#trace-results", PagedTable)
        rows = [replace(r, message=replace(r.message, subject=f"{r.message.subject} #{n}"))
                for n, r in enumerate(table.records * (AHEAD // len(table.records) + 1))]
        table.set_records(rows)
        await settle(app, pilot)
        assert table.view._texts is not None  # made in the thread, before any filter
        await pilot.press("slash", *"#17")
        await settle(app, pilot)
        assert [r for r in rows if "#17" in r.message.subject] == table.shown
