"""The command palette: the console's commands, offered when they make sense."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.actions import parse
from textual.command import DiscoveryHit, Hit, Hits, Provider

from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.pane import Pane

COMMANDS = (
    ("Look up a Message ID", "Find a message by its ID, pasted in any shape", "lookup", True),
    ("Export results to CSV", "Every row of the Message Trace or Encryption Report result, to a new CSV file "
     "(asks where) or, in a browser, a download", "export", False),
    ("Show Message Trace", "Search messages (Get-MessageTrace)", Pane.TRACE.show, False),
    ("Show Encryption Report", "Summary and Details table with the Revocation status", Pane.REPORT.show, False),
    ("Show Details", "Everything about the selected message", Pane.DETAILS.show, False),
    ("Show Key manager", "Key versions, access requests and the audit log", Pane.KEYS.show, False),
    ("Revoke message", "Revoke the selected message, if the status check allows it", "revoke", False),
    ("Remove external access", "As the sender, revoke your message's link-based access", "remove_external_access",
     False),
    ("Preview the OME portal", "What a recipient of the selected message sees", "portal", False),
    ("Copy Message ID", "Copy the selected message's ID to the clipboard", "copy_message_id", False),
    ("Find related messages", "Same sender, recipient or Message ID as the selected message, in the Message Trace",
     "find_related", False),
    ("Saved and recent searches", "Run one of your saved or recent Message Trace searches", "recall_search", False),
    ("Save this search", "Keep the Message Trace form under a name", "save_search", False),
    ("Show keys and help", "Every key binding and what it does", "help", True),
)


class ConsoleCommands(Provider):
    def _commands(self):
        screen = getattr(self.app, "main", None)
        for title, help_text, action, on_app in COMMANDS:
            if on_app:
                yield title, help_text, action, True
            elif screen is not None and self._offered(screen, action):
                yield title, help_text, action, False

    @staticmethod
    def _offered(screen, action: str) -> bool:
        _, name, parameters = parse(action)
        return screen.check_action(name, parameters) is not False

    def _callback(self, action: str, on_app: bool) -> Callable[[], None]:
        host = self.app
        assert isinstance(host, ConsoleHost), "the console's commands are offered in the console alone"
        return partial(host.run_console_action, action, on_app)

    async def discover(self) -> Hits:
        for title, help_text, action, on_app in self._commands():
            yield DiscoveryHit(title, self._callback(action, on_app), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action, on_app in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._callback(action, on_app), help=help_text)
