"""The key footer, redrawn once per burst of binding changes.

Textual's Footer rebuilds all its keys after every change to the screen's bindings. A
lookup changes them several times in one frame (the dialog opens and closes, focus moves,
the Details pane shows, Revoke opens or closes), and each rebuild mounts every key again:
measured, that was most of a lookup's time. This one schedules a single rebuild for the
next refresh, which sees the latest bindings, and skips it when the keys it would draw are
the ones it shows (a selection dims and re-enables r while its status check runs).

A key that is off here is drawn in brackets, `r (Revoke message)`, as well as dimmed: without colour
(NO_COLOR, a monochrome terminal) dim is one shade, and people read it as on. While a dialog is
open over the console the footer lists nothing: those keys do nothing until it closes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Actions whose keys a narrow footer leaves out, first to last: the help (f1) lists every key.
PALETTE_GAP = 4  # the palette key sits apart at the right, after a rule and a space
SPARE_FIRST = ("sort_next", "export", "portal", "find_related", "copy_message_id", "open_filter")


class ConsoleFooter(Footer):
    _rebuild_pending = False
    _drawn: tuple | None = None  # the keys as last composed: (key, action, description, enabled, tooltip)

    def compose(self) -> ComposeResult:
        keys = [widget for widget in super().compose()]
        for widget in keys:
            if isinstance(widget, FooterKey) and widget.has_class("-disabled") and widget.description:
                widget.description = f"({widget.description})"
        yield from self._fitting(keys)

    def _fitting(self, keys: list) -> list:
        """The keys that fit the width, giving up first those the person least needs on sight (the help lists all)."""
        width = (self.size.width or self.app.size.width) - PALETTE_GAP

        def drawn(widget) -> int:
            return len(widget.key_display) + len(widget.description) + 2 if isinstance(widget, FooterKey) else 0

        for action in SPARE_FIRST:
            if sum(drawn(widget) for widget in keys) <= width:
                break
            keys = [w for w in keys if not (isinstance(w, FooterKey) and w.action == action)]
        return keys

    def on_resize(self) -> None:
        self._drawn = None  # what fits has changed
        if self.is_attached:
            self._schedule_rebuild()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True  # what Footer.bindings_changed records before it rebuilds
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        self._schedule_rebuild()

    def _schedule_rebuild(self) -> None:
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def _rebuild(self) -> None:
        """Posted to the footer's own queue, so the other callbacks of this refresh do not wait for it."""
        self._rebuild_pending = False
        keys = self._keys()
        if keys != self._drawn:
            self._drawn = keys
            self.call_later(self.recompose)

    async def recompose(self) -> None:
        await super().recompose()
        self._forget_removed_keys()

    def _forget_removed_keys(self) -> None:
        """Textual's Footer binds every key it composes to its `compact`, and lets go of a removed key only
        when `compact` changes, which it never does here: each rebuild kept the keys it replaced, whole, for
        good (about 3,300 objects a lookup, and every full pass of the garbage collector walked them)."""
        watchers = getattr(self, "__watchers", {}).get("compact")  # Textual's own name, not a mangled one
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if node.is_attached]

    def _keys(self) -> tuple:
        """What compose would draw: the screen's shown bindings (and the palette's), each enabled or not."""
        return tuple((key, binding.action, binding.description, enabled, tooltip)
                     for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
                     if binding.show or key == self.app.COMMAND_PALETTE_BINDING)
