"""The console's remembered work: saved and recent searches, and Find related.

Searches are kept per person by omeconsole.core.preferences; reading and writing them runs in workers,
and a recalled search fills the Message Trace form, so the person sees what was searched.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from omeconsole.core.errors import OmeError
from omeconsole.core.preferences.personal import PersonalSettings, Preferences, Search, search_name
from omeconsole.ui.pane import RESULT_PANES, Pane
from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.plain import plain
from omeconsole.ui.screens.choose import ChoiceScreen, NameScreen

# The console screen, which imports this module: named here without importing it back (no import cycle).
ConsoleScreen = Any

RELATED_RANGE = "90d"  # Find related looks as far back as the trace goes


def search_label(search: Search) -> Text:
    label = Text()
    if search.name:
        label.append("★ ", style="bold")
        label.append_text(plain(search.name, style="bold", limit=64))
        label.append("  ")
    else:
        label.append("↺ ")
    label.append_text(plain(search.summary(), limit=160))
    return label


def related_choices(message, recipient: str | None) -> list[tuple[Text, object]]:
    """Same sender, same recipient, same Message ID: each as the trace form it fills."""
    choices: list[tuple[Text, object]] = [(Text.assemble("Same sender: ", plain(message.sender)),
                                           {"sender": message.sender, "range": RELATED_RANGE})]
    recipients = [recipient] if recipient else [r.address for r in message.recipients][:5]
    choices += [(Text.assemble("Same recipient: ", plain(address)), {"recipient": address, "range": RELATED_RANGE})
                for address in recipients]
    choices.append((Text.assemble("Same Message ID: ", plain(message.message_id)),
                    {"message_id": message.message_id, "range": RELATED_RANGE}))
    return choices


def run_search(screen: ConsoleScreen, fields: dict[str, str]) -> None:
    """Show the Message Trace with this search in its form, running."""
    screen.action_show_pane(Pane.TRACE)
    screen.query_one(TracePane).fill_form(fields)


# -- saved and recent ------------------------------------------------------------------

def recall_search(screen: ConsoleScreen) -> None:
    """Offer the person's saved searches, then the recent ones; the one chosen runs."""
    def read() -> None:
        try:
            settings = Preferences(screen.context).read()
        except OmeError as error:
            screen.app.call_from_thread(screen.notify, str(error), title="Searches", severity="warning")
            return
        screen.app.call_from_thread(_offer_searches, screen, settings)

    screen.run_worker(read, thread=True, exclusive=True, group="preferences-read")


def _offer_searches(screen: ConsoleScreen, settings: PersonalSettings) -> None:
    searches = settings.saved + settings.recent
    if not searches:
        screen.notify("No saved or recent searches yet: each search you run is kept here, and ctrl+s saves the "
                      "form under a name.", title="Searches")
        return

    def chosen(search) -> None:
        if isinstance(search, Search):
            run_search(screen, search.fields)

    screen.app.push_screen(ChoiceScreen("Saved (★) and recent (↺) searches",
                                        [(search_label(s), s) for s in searches]), chosen)


def save_search(screen: ConsoleScreen) -> None:
    """Ask for a name, then keep the Message Trace form under it."""
    fields = screen.query_one(TracePane).form_fields()

    def save(name: str) -> None:
        try:
            saved = Preferences(screen.context).save(name, fields)
        except OmeError as error:
            screen.app.call_from_thread(screen.notify, str(error), title="Save search", severity="error")
            return
        screen.app.call_from_thread(screen.notify, f'Saved as "{saved.name}": ctrl+o recalls it',
                                    title="Save search")

    def named(name: str | None) -> None:
        if name:
            screen.run_worker(lambda: save(name), thread=True, group="preferences")

    screen.app.push_screen(NameScreen("Save this Message Trace search as", search_name,
                                      "e.g. Failed to gmail, last 10 days"), named)


# -- find related ------------------------------------------------------------------------

def find_related(screen: ConsoleScreen) -> None:
    """Same sender, same recipient (the highlighted row's) or same Message ID, in the Message Trace."""
    selected = screen.selected()
    if selected is None:
        screen.nothing_selected("Find related")
        return
    results = screen.results_table()
    recipient = None
    if screen.active_pane in RESULT_PANES and results is not None and results.current is not None:
        recipient = results.current.recipient.address

    def chosen(fields) -> None:
        if isinstance(fields, dict):
            run_search(screen, fields)

    screen.app.push_screen(ChoiceScreen("Find related messages in the Message Trace (last 90 days)",
                                        related_choices(selected.status.message, recipient)), chosen)
