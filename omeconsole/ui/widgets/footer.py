"""The key footer, redrawn once per burst of binding changes.

Textual's Footer rebuilds all its keys after every change to the screen's bindings. A
lookup changes them several times in one frame (the dialog opens and closes, focus moves,
the Details pane shows, Revoke opens or closes), and each rebuild mounts every key again:
measured, that was most of a lookup's time. This one schedules a single rebuild for the
next refresh, which sees the latest bindings.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class ConsoleFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True  # what Footer.bindings_changed records before it rebuilds
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
