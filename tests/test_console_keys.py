"""The Key manager's access requests: each request's Duration in the table, the highlighted one whole
under it (its reason literal, however hostile), and what a helpdesk identity sees there."""

from __future__ import annotations

from omeconsole.core.context import Context
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.ui.panes.key_manager import PEEK_REASON, REASON_CELL, REQUEST_COLUMNS, KeysPane, request_peek
from support.ui import console_app, fixed_clock, footer_key, settle, text_of, until

SIZE = (120, 40)
# Markup, a link action, a terminal escape, a bidi override and a NUL: all data, none of it may act.
HOSTILE = "[bold red]LOUD[/] [@click=app.quit]Click me[/] \x1b[31mred\x1b[0m \u202edesrever\u202c \x00 [/x]"
LONG_REASON = (HOSTILE + " " + "padding " * 200)[:986] + " END-OF-REASON"


def store_reason(store, request_id: str, reason: str) -> None:
    """A reason the core would refuse today (too long, hidden characters), as an older or edited store holds."""
    context = Context.open(store, clock=fixed_clock)
    [request] = [r for r in ElevatedAccess(context).list() if r.id == request_id]
    request.reason = reason
    with context.store.writing():
        context.store.save_access_request(request)


def request_row(pane: KeysPane, request_id: str) -> dict[str, str]:
    table = pane.query_one("#access-requests")
    return dict(zip(REQUEST_COLUMNS, (str(c) for c in table.get_row(request_id)), strict=True))


async def open_key_manager(app, pilot) -> KeysPane:
    await settle(app, pilot)
    await pilot.press("4")
    await settle(app, pilot)
    pane = app.screen.query_one(KeysPane)
    await until(pilot, lambda: bool(pane.requests), "the access requests shown")
    return pane


async def test_the_table_gives_each_duration_and_the_peek_the_whole_hostile_reason_literally(ui_store):
    admin = ElevatedAccess(Context.open(ui_store, clock=fixed_clock))
    first = admin.request("INC-11: a first request, three hours", parse_duration("3h"))
    second = ElevatedAccess(Context.open(ui_store, "isaiah.langer@contoso.com", clock=fixed_clock)).request(
        "INC-12: a second request, ninety minutes", parse_duration("90m"))
    assert len(LONG_REASON) == 1_000
    store_reason(ui_store, first.id, LONG_REASON)
    app = console_app(ui_store, "alex.wilber@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_key_manager(app, pilot)
        assert request_row(pane, first.id)["Duration"] == "3h"
        assert request_row(pane, second.id)["Duration"] == "1h 30m"
        cut = request_row(pane, first.id)["Reason"]
        assert len(cut) == REASON_CELL and cut.endswith("…") and "[bold red]LOUD[/]" in cut

        table = pane.query_one("#access-requests")
        table.focus()
        table.move_cursor(row=table.get_row_index(first.id))
        await until(pilot, lambda: "END-OF-REASON" in text_of(pane.query_one("#request-peek")), "the peek shows AR-1")
        assert pane.selected_request is not None and pane.selected_request.id == first.id
        peek = text_of(pane.query_one("#request-peek"))
        for needle in (first.id, "admin@contoso.com", "Duration 3h", "[bold red]LOUD[/]",
                       "[@click=app.quit]Click me[/]", "[/x]", "\\x1b[31mred", "\\u202e", "\\x00"):
            assert needle in peek, needle
        assert "\x1b" not in peek and "\u202e" not in peek and "\x00" not in peek
        assert "padding " * 100 in peek.replace("\n", "")  # the whole reason, not the table's cut

        table.move_cursor(row=table.get_row_index(second.id))
        await until(pilot, lambda: "INC-12" in text_of(pane.query_one("#request-peek")), "the peek follows the row")
        assert pane.selected_request is not None and pane.selected_request.id == second.id
        assert "Duration 1h 30m" in text_of(pane.query_one("#request-peek"))
        assert app.is_running  # no markup in the reason acted


async def test_helpdesk_sees_every_request_and_may_decide_none(ui_store):
    ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).request("INC-13: the helpdesk reads this one",
                                                                      parse_duration("1h"))
    app = console_app(ui_store, "lynne.robbins@contoso.com")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_key_manager(app, pilot)
        assert [r.requester for r in pane.requests.values()] == ["admin@contoso.com"]
        assert "INC-13" in text_of(pane.query_one("#request-peek"))
        table = pane.query_one("#access-requests")
        table.focus()
        await until(pilot, lambda: app.focused is table, "the access requests table focused")
        approve = await footer_key(app, pilot, "approve")
        assert approve is None or not approve.enabled


def test_a_reason_past_what_the_peek_keeps_is_cut_with_an_ellipsis(ui_store):
    [request] = [ElevatedAccess(Context.open(ui_store, clock=fixed_clock)).request("INC-14: soon edited",
                                                                                   parse_duration("1h"))]
    request.reason = "[b]" + "x" * 100_000
    reason = request_peek(request, fixed_clock()).plain.split("\nReason ", 1)[1]
    assert reason.startswith("[b]xxx") and reason.endswith("x…") and len(reason) == PEEK_REASON
