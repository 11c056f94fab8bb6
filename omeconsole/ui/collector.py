"""Python's cyclic garbage collector held off while someone waits on one frame.

A collection starts on whatever allocation crosses its threshold. In the console at 100,000 messages a
full one took 11 to 56 ms on a quiet core (it walks every live object and frees the closed dialogs and, until
the footer became one widget, its replaced keys), and it fell inside a lookup's wait, Enter to Details drawn,
in 4 to 12 of about 40 lookups; the smaller ones took 4 to 5 ms of every lookup. Held, they run right after
the frame, while the person reads it. A hold ends by itself after HOLD_AT_MOST seconds, whatever happens meanwhile.
"""

from __future__ import annotations

from contextlib import ExitStack

from textual.app import App
from textual.timer import Timer

from omeconsole.core.gcpause import collection_paused

HOLD_AT_MOST = 1.0  # seconds


class CollectorHold:
    def __init__(self, app: App) -> None:
        self._app = app
        self._held: ExitStack | None = None
        self._deadline: Timer | None = None

    @property
    def held(self) -> bool:
        return self._held is not None

    def hold(self) -> None:
        if self._held is None:
            self._held = ExitStack()
            self._held.enter_context(collection_paused())
            self._deadline = self._app.set_timer(HOLD_AT_MOST, self.release)

    def release_after_frame(self) -> None:
        """Ends the hold once the screen shown next has been drawn."""
        if self._held is not None:
            self._app.call_after_refresh(self.release)

    def release(self) -> None:
        if self._deadline is not None:
            self._deadline.stop()
            self._deadline = None
        if self._held is not None:
            held, self._held = self._held, None
            held.close()
