"""The key footer: one line, drawn as one widget.

Textual's Footer is a row of widgets, one per key, and rebuilds them all (removes each, mounts each
anew) whenever the screen's bindings change. A lookup changes them several times (the dialog opens and
closes, the Details pane shows, Revoke opens or closes): on this machine, with those rebuilds switched off,
a lookup took 53 to 55 ms of the console's CPU instead of 84 to 86. This footer keeps no widget per key. A
change of bindings marks it for a redraw; it reads the screen's keys as it draws, once per frame however
many changes came in it.

It looks as Textual's compact footer does: each key, then its description, then a space; the command
palette's key at the right, after a thin rule and before a space. A key that is off here is drawn in
italics with its description in brackets, `r (Revoke message)`: not dimmed, since without colour
(NO_COLOR, a monochrome terminal) dim is one shade, and people read it as on. A click on a key presses
it; hovering shows its tooltip. While a dialog is open over the console the footer lists nothing (those
keys do nothing until it closes), and keeps its line: the console behind does not move.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

# Actions whose keys a narrow footer leaves out, first to last: the help (f1) lists every key.
SPARE_FIRST = ("sort_next", "export", "portal", "find_related", "copy_message_id", "open_filter")
RULE = "▏"  # before the palette's key, as Textual's footer draws it


@dataclass(frozen=True)
class FooterItem:
    """One key as the footer shows it."""

    key: str  # what a click presses
    key_display: str
    description: str  # bracketed when off
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        return cell_len(self.key_display) + 1 + cell_len(self.description)


class ConsoleFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"console-footer--key", "console-footer--key-off", "console-footer--description",
                         "console-footer--off", "console-footer--hover", "console-footer--rule"}
    DEFAULT_CSS = """
    ConsoleFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        & > .console-footer--key, & > .console-footer--key-off {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .console-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .console-footer--off { text-style: italic; }
        & > .console-footer--hover { background: $block-hover-background; }
        & > .console-footer--rule { color: $foreground 20%; }
        &:nocolor > .console-footer--key { text-style: bold reverse; }
        &:nocolor > .console-footer--key-off { text-style: none; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.listing = True  # False while a dialog is open over the console
        self._shown: tuple[FooterItem, ...] = ()  # the keys in the last line drawn, palette's last
        self._spans: list[tuple[int, int, FooterItem]] = []  # where each of them was drawn
        self._mouse_x: int | None = None  # the column under the mouse, if it is over the footer
        self._pointed: FooterItem | None = None  # the key whose tooltip is shown

    # -- what it lists -------------------------------------------------------------------------------------

    @property
    def shown(self) -> tuple[FooterItem, ...]:
        """The keys drawn last, left to right (the palette's last): what the person sees."""
        return self._shown

    def list_keys(self, listing: bool) -> None:
        """Keys listed (True) or none (a dialog is open over the console): a redraw, never a layout."""
        if listing != self.listing:
            self.listing = listing
            self.refresh()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def _items(self) -> tuple[list[FooterItem], FooterItem | None]:
        """The screen's shown bindings (one per action, its first) and the command palette's key."""
        app, bindings = self.app, self.screen.active_bindings
        items: dict[str, FooterItem] = {}
        for _node, binding, enabled, tooltip in bindings.values():
            if binding.show and binding.action not in items:
                items[binding.action] = _item(binding, app.get_key_display(binding), enabled, tooltip)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in bindings:
            _node, binding, enabled, _tooltip = bindings[app.COMMAND_PALETTE_BINDING]
            palette = _item(binding, app.get_key_display(binding), enabled, binding.tooltip or binding.description)
        return list(items.values()), palette

    @staticmethod
    def _fitting(items: list[FooterItem], width: int) -> list[FooterItem]:
        """The keys that fit WIDTH, giving up first those the person least needs on sight (the help lists all),
        then, on a very narrow terminal, the last ones: a key is drawn whole or not at all."""
        def wide(keys: list[FooterItem]) -> int:
            return sum(item.width + 1 for item in keys)

        for action in SPARE_FIRST:
            if wide(items) <= width:
                break
            items = [item for item in items if item.action != action]
        while items and wide(items) > width:
            items = items[:-1]
        return items

    # -- drawing --------------------------------------------------------------------------------------------

    def render(self) -> Text:
        line = Text(end="")  # kept on its line by the CSS: Textual does not read a Text's no_wrap
        self._spans = []
        if not self.listing or not self.is_attached:
            self._shown = ()
            return line
        items, palette = self._items()
        if palette is not None and cell_len(RULE) + palette.width + 1 > self.size.width:
            palette = None  # not even the palette's key fits
        room = self.size.width - (cell_len(RULE) + palette.width + 1 if palette else 0)
        items = self._fitting(items, room - 1)
        for item in items:
            self._draw(line, item)
            line.append(" ")
        if palette is not None:
            line.append(" " * max(0, room - line.cell_len))
            line.append(RULE, self.get_component_rich_style("console-footer--rule"))
            self._draw(line, palette)
            line.append(" ")
        self._shown = (*items, *([palette] if palette else []))
        return line

    def _draw(self, line: Text, item: FooterItem) -> None:
        start = line.cell_len
        key = self.get_component_rich_style("console-footer--key" if item.enabled else "console-footer--key-off")
        description = self.get_component_rich_style("console-footer--description")
        if not item.enabled:
            off = self.get_component_rich_style("console-footer--off", partial=True)
            key, description = key + off, description + off
        if self._mouse_x is not None and start <= self._mouse_x < start + item.width:
            hover = Style(bgcolor=self.get_component_rich_style("console-footer--hover").bgcolor)
            key, description = key + hover, description + hover
        line.append(item.key_display, key)
        line.append(" " + item.description, description)
        self._spans.append((start, line.cell_len, item))

    # -- the mouse --------------------------------------------------------------------------------------------

    def column_of(self, action: str) -> int | None:
        """The first column of ACTION's key in the line drawn last, if it is there."""
        return next((start for start, _end, item in self._spans if item.action == action), None)

    def _item_at(self, x: int) -> FooterItem | None:
        return next((item for start, end, item in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(event.x)

    def on_leave(self) -> None:
        self._hover(None)

    def _hover(self, x: int | None) -> None:
        """The key under the mouse is highlighted where it is drawn now, and its tooltip shown."""
        item = None if x is None else self._item_at(x)
        self._mouse_x = x
        if item != self._pointed:
            self._pointed = item
            self.tooltip = (item.tooltip or None) if item else None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()


def _item(binding, key_display: str, enabled: bool, tooltip: str) -> FooterItem:
    description = binding.description if enabled or not binding.description else f"({binding.description})"
    return FooterItem(binding.key, key_display, description, binding.action, enabled, tooltip)
