"""The console app as its screens and panes see it, typed. They cannot import app.py, which imports them:
OmeConsoleApp is a ConsoleHost, and they name it with `app = getters.app(ConsoleHost)`."""

from __future__ import annotations

from textual.app import App

from omeconsole.core.context import Context
from omeconsole.core.search_process import SearchProcess
from omeconsole.ui.collector import CollectorHold


class ConsoleHost(App):
    remote: bool  # served over SSH: nothing is written on the server for the person
    context: Context | None  # None until the welcome screen has made the demo
    search_process: SearchProcess | None  # where the big searches run; None: in the panes' worker threads
    collector: CollectorHold  # the garbage collector held off while a lookup's answer is drawn

    @property
    def acting_context(self) -> Context:
        """The context, for the screens and panes that show only once there is one."""
        if self.context is None:
            raise RuntimeError("the console has no store context yet")
        return self.context

    def run_console_action(self, action: str, on_app: bool = False) -> None:
        raise NotImplementedError
