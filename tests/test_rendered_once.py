"""The Details pane's body is drawn from one render of its tables per width (a Static renders a Rich
renderable twice as it lays it out: once to count its lines, once to draw them), and looks the same."""

from __future__ import annotations

from rich.table import Table
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from omeconsole.ui.widgets.rendered_once import RichStatic


class Counted:
    """A Rich table that counts its renders."""

    def __init__(self) -> None:
        self.widths: list[int] = []  # the width of each render
        self.table = Table("Recipient", "Status", "Detail", box=None)
        for n in range(12):
            self.table.add_row(f"person{n}@contoso.com", "Delivered", "The message was delivered " * (n % 3 + 1))

    def __rich_console__(self, console, options):
        self.widths.append(options.max_width)
        yield self.table


class Both(App):
    CSS = "Static { height: auto; }"

    def compose(self) -> ComposeResult:
        yield Static(id="plain")
        yield RichStatic(id="once")


def lines_of(widget) -> list[str]:
    width, height = widget.size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


async def test_rendered_once_per_width_and_drawn_the_same():
    app = Both()
    async with app.run_test(size=(70, 100)) as pilot:
        plain, once = Counted(), Counted()
        app.query_one("#plain", Static).update(plain)
        app.query_one("#once", RichStatic).update(once)
        await pilot.pause()
        assert once.widths == [70] and plain.widths[:2] == [70, 70]
        assert lines_of(app.query_one("#once")) == lines_of(app.query_one("#plain"))
        assert "person11@contoso.com" in "".join(lines_of(app.query_one("#once")))
        await pilot.resize_terminal(50, 100)  # a new width: one new render
        await pilot.pause()
        assert once.widths == [70, 50] and plain.widths.count(50) >= 2
        assert lines_of(app.query_one("#once")) == lines_of(app.query_one("#plain"))


async def test_text_is_left_to_static():
    app = Both()
    async with app.run_test(size=(70, 20)) as pilot:
        app.query_one("#once", RichStatic).update("[b]not markup here either way[/b]")
        await pilot.pause()
        assert isinstance(app.query_one("#once", RichStatic).content, str)


async def test_details_taller_than_the_pane_is_rendered_at_one_width(ui_store, monkeypatch):
    """A scrollbar that appears once Details is laid out would narrow its text and have it all rendered
    again, a frame after the first: the pane keeps the scrollbar's room, so the width never changes."""
    from textual.visual import RichVisual

    from omeconsole.ui.panes.details import DetailsPane
    from support.ui import case_id, console_app, enter_lookup, settle, until

    widths: list[int] = []
    render = RichVisual.render_strips

    def counted(visual, width, *args, **kwargs):
        if getattr(visual._widget, "id", None) == "details-body":
            widths.append(width)
        return render(visual, width, *args, **kwargs)

    monkeypatch.setattr(RichVisual, "render_strips", counted)
    app = console_app(ui_store)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(app, pilot)
        widths.clear()
        await enter_lookup(app, pilot, case_id(ui_store, "mixed"))
        await until(pilot, lambda: app.main.active_pane == "details" and app.main.details is not None, "Details")
        await settle(app, pilot)
        pane = app.main.query_one(DetailsPane)
        assert pane.show_vertical_scrollbar and pane.max_scroll_y > 0
        assert len(set(widths)) == 1, widths
