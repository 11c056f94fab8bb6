"""OmeConsoleApp: opens the store as one identity and shows the console screen."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding

from omeconsole.core.context import Context
from omeconsole.core.errors import OmeError
from omeconsole.core.preferences.personal import Preferences
from omeconsole.core.search_process import SearchProcess
from omeconsole.core.text.times import utcnow
from omeconsole.core.text.untrusted import shown
from omeconsole.crash_report import one_line, write_report
from omeconsole.ui.collector import CollectorHold
from omeconsole.ui.commands import ConsoleCommands
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.keymap import KeymapLoad, keymap_path, load_keymap
from omeconsole.ui.screens.console_screen import ConsoleScreen
from omeconsole.ui.screens.help import HelpScreen
from omeconsole.ui.screens.lookup import LookedUp, LookupScreen
from omeconsole.ui.screens.welcome import WelcomeScreen
from omeconsole.ui.time_shown import TimeShown
from omeconsole.ui.widgets.paged_table import PagedTable

REVOKE_ACTIONS = ("revoke", "remove_external_access")
# The workers and the event loop share one interpreter lock. A report's worker computes for seconds;
# each time the loop or a status check's worker wants the lock back it waits up to this long (Python's
# default is 5 ms). At 0.5 ms a status check while a 90-day report loads (30,000 messages) reached the
# Details pane in about 100 ms instead of 180 (bench/status_probe.py), and the report took no longer.
SWITCH_INTERVAL = 0.0005


class OmeConsoleApp(ConsoleHost):
    CSS_PATH = "app.tcss"
    TITLE = "omeconsole"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = [
        Binding("ctrl+l", "lookup", "Look up", id="lookup", priority=True,
                tooltip="Look up a Message ID from anywhere, pasted in any shape"),
        Binding("f1", "help", "Help", id="help", tooltip="List every key and what it does"),
        # Textual adds ctrl+p only when no binding opens the palette: with `:` here, it is named too.
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, id="command-palette",
                tooltip="Open the command palette"),
        Binding("colon", "command_palette", "Commands", show=False, id="command-palette-colon",
                tooltip="Open the command palette at its commands, as ctrl+p does"),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False, priority=True, tooltip="Quit omeconsole"),
    ]

    def __init__(self, store_dir: Path, context: Context | None = None, *, identity: str | None = None,
                 clock: Callable[[], datetime] = utcnow, passphrase: Callable[[], str] | None = None,
                 empty_reason: str = "", remote: bool = False, search_apart: bool | None = None) -> None:
        super().__init__()
        # The trace's and the report's big searches run in a process of their own (core/search_process.py), so
        # that they cannot hold this one's interpreter lock while a person types. None: unless the console is
        # headless (its tests and screenshots, where nobody types; a test that wants it says True).
        self.search_apart = search_apart
        self.search_process: SearchProcess | None = None
        self.collector = CollectorHold(self)
        self.remote = remote
        self.store_dir = Path(store_dir)
        self.context = context
        self.identity = identity
        self.clock = clock
        self.passphrase = passphrase
        self.empty_reason = empty_reason
        self.main: ConsoleScreen | None = None
        self.keymap_load = KeymapLoad(keymap_path())
        self.failure: str | None = None  # the one line a person reads if the console fails
        self._switch_interval = sys.getswitchinterval()  # the interpreter's, put back when the console ends
        TimeShown.reset()  # each console starts in UTC, as Message Trace does

    # -- failing, and telling -----------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """An error nothing handled ends the console (Textual's rule). The full report goes to a
        file; the person gets one line after the terminal is restored (cli/launch.py)."""
        self.failure = one_line(error, write_report(error, "the console"))
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        """Textual would print the traceback with every frame's locals here: never to a person."""
        self._exit_renderables.clear()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every toast shows its text as it is: never parsed as markup, control characters shown."""
        super().notify(shown(message, lines=True), title=shown(title), severity=severity, timeout=timeout,
                       markup=False)

    def get_system_commands(self, screen):
        """Over SSH, no screenshot: it would write a file on the server, not give one to the client."""
        for command in super().get_system_commands(screen):
            if not (self.remote and command.title == "Screenshot"):
                yield command

    def on_mount(self) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.search_apart if self.search_apart is not None else not self.is_headless:
            # Started once the first frame is drawn: its interpreter's start-up would compete with that frame
            # for the CPU (a search asked for before then starts it itself).
            self.search_process = SearchProcess()
            self.call_after_refresh(self.search_process.start)
        self._apply_keymap()
        if self.context is None:
            self.push_screen(WelcomeScreen(self.store_dir, self.empty_reason), self._welcome_answered)
        else:
            self._show_console()

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self.collector.release()  # a console closed mid-lookup (an SSH session ending) leaves it on
        if self.search_process is not None:
            self.search_process.stop()  # the child ends with the console: never an orphan

    def _show_console(self) -> None:
        self.main = ConsoleScreen()
        self.push_screen(self.main)
        self._restore_theme()

    def _welcome_answered(self, create: bool | None) -> None:
        if create:
            self.notify("Creating the Contoso demo tenant…", title="Demo")
            self._create_demo()
        else:
            self.exit()

    @work(thread=True, exclusive=True, group="demo")
    def _create_demo(self) -> None:
        from omeconsole.core.demo.contoso import create_demo

        try:
            create_demo(self.store_dir, now=self.clock())
            self.context = Context.open(self.store_dir, self.identity, face="console", clock=self.clock,
                                    passphrase=self.passphrase)
        except OmeError as error:
            self.call_from_thread(self.notify, str(error), title="Demo", severity="error", timeout=15)
            return
        self.call_from_thread(self._show_console)

    # -- app-wide actions --------------------------------------------------------------

    def action_lookup(self) -> None:
        main = self.main
        if main is None or isinstance(self.screen, LookupScreen):
            return

        def open_details(looked_up: LookedUp) -> None:
            main.lookup(looked_up.message_id, looked_up.checked)

        self.push_screen(LookupScreen(open_details), lambda _found: self.collector.release_after_frame())

    def console_bindings(self) -> list[Binding]:
        """Every key of the console, once each: what the help lists and a keymap may name."""
        seen, bindings = set[str | None](), list[Binding]()
        for binding in [*self.BINDINGS, *ConsoleScreen.BINDINGS, *PagedTable.BINDINGS]:
            if isinstance(binding, Binding) and binding.id not in seen:
                seen.add(binding.id)
                bindings.append(binding)
        return bindings

    def _apply_keymap(self) -> None:
        ids = [binding.id for binding in self.console_bindings() if binding.id]
        self.keymap_load = load_keymap(keymap_path(), ids)
        self.set_keymap(self.keymap_load.keymap)
        for problem in self.keymap_load.problems[:3]:
            self.notify(problem, title="Keymap", severity="warning", timeout=10)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.console_bindings(), self.keymap_load))

    # -- the theme, kept per person ----------------------------------------------------------

    _theme_restored = False  # until the saved theme is back, a theme change is not the person's choice

    def _restore_theme(self) -> None:
        def read() -> None:
            try:
                theme = Preferences(self.acting_context).read().theme
            except OmeError:
                theme = None  # the trace form says once why recall is off; the theme stays the default
            self.call_from_thread(self._put_theme_back, theme)

        self.run_worker(read, thread=True, group="preferences-read")

    def _put_theme_back(self, theme: str | None) -> None:
        if theme and theme in self.available_themes:
            self.theme = theme
        elif theme:
            self.notify(f"Your saved theme {theme!r} is not one this console has; using {self.theme!r}",
                        title="Theme", severity="warning")
        self._theme_restored = True

    def watch_theme(self, theme: str) -> None:
        if self._theme_restored and self.context is not None:
            self.run_worker(lambda: self._save_theme(theme), thread=True, group="preferences")

    def _save_theme(self, theme: str) -> None:
        try:
            Preferences(self.acting_context).set_theme(theme)
        except OmeError as error:
            self.call_from_thread(self.notify, str(error), title="Theme", severity="warning")

    def run_console_action(self, action: str, on_app: bool = False) -> None:
        """From the command palette: through run_action, so check_action is consulted as for a key."""
        self.call_later(self._run_console_action, action, on_app)

    async def _run_console_action(self, action: str, on_app: bool) -> None:
        if on_app:
            await self.run_action(action)
            return
        if self.main is None:
            return
        handled = await self.run_action(action, self.main)  # the App's run_action says whether it ran
        if not handled and action in REVOKE_ACTIONS:
            self.main.action_explain_revoke()
