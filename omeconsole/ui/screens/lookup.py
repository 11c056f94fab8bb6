"""Look up what was pasted, from anywhere, with one key: Message IDs in any shape, header lines,
URL-encoded IDs, several at once, Message Trace IDs.

One message found: its Details open. Anything else stays on screen, one line per ID pasted: found ones
to open, not-found ones saying why, with the IDs that match but for case to choose instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from omeconsole.core.context import Context
from omeconsole.core.errors import OmeError
from omeconsole.core.ome.lookup import LookupAnswer, look_up
from omeconsole.ui.host import ConsoleHost
from omeconsole.ui.panes.details import MessageDetails, checked_details
from omeconsole.ui.plain import plain
from omeconsole.ui.time_shown import labelled_time


def answer_lines(answers: list[LookupAnswer]) -> list[tuple[Text, str | None]]:
    """(line, the Message ID Enter opens, or None) for each answer and each near match."""
    lines: list[tuple[Text, str | None]] = []
    for answer in answers:
        message = answer.message
        if message is not None:
            line = Text("✓ ", style="bold green")
            line.append_text(plain(f"{message.subject} · {message.sender} · {labelled_time(message.received, False)}",
                                   limit=200))
            line.append_text(plain(f"  {message.message_id}", style="italic"))
            lines.append((line, message.message_id))
            continue
        line = Text("✗ ", style="bold red")
        line.append_text(plain(answer.why or f"not found: {answer.key.value}", limit=200))
        lines.append((line, None))
        for near in answer.near:
            lines.append((Text.assemble("   did you mean ", plain(near, style="bold"), "?"), near))
    return lines


@dataclass(frozen=True)
class LookedUp:
    """The message to open, and its status if the dialog checked it before closing (one found)."""

    message_id: str
    checked: MessageDetails | None = None


class LookupScreen(ModalScreen[LookedUp | None]):
    """SHOW_FOUND: shows what was found in the console, called just before the dialog closes (its result is the
    same LookedUp). Details is then ready underneath, and the first frame after the dialog holds it: a
    callback on the closing runs a step later, after the console has drawn a frame of what it showed before."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="lookup-cancel", tooltip="Close without looking up")]

    app = getters.app(ConsoleHost)

    def __init__(self, show_found: Callable[[LookedUp], None]) -> None:
        super().__init__()
        self._show_found = show_found

    def compose(self) -> ComposeResult:
        with Vertical(id="lookup-dialog"):
            yield Label("Look up a Message ID or a Message Trace ID", id="lookup-title")
            yield Input(placeholder="<...@...prod.outlook.com>, Message-ID: <...>, %3C...%3E, several, or a GUID",
                        id="lookup-input")
            yield Static("", id="lookup-error")
            yield OptionList(id="lookup-answers")

    def on_mount(self) -> None:
        self.query_one("#lookup-answers").display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.app.collector.hold()  # until the answer is drawn
        # One line in place of the empty one: no layout, which would draw the dimmed console behind the
        # dialog again (16 ms on a quiet core, measured) while the answer is on its way.
        self.query_one("#lookup-error", Static).update(Text("… looking up", style="italic"), layout=False)
        context = self.app.acting_context
        value = event.value

        def find() -> None:
            try:
                answers = look_up(context, value)
            except OmeError as error:
                self.app.call_from_thread(self._failed, str(error))
                return
            self.app.call_from_thread(self._answered, answers, _checked_if_one(context, answers))

        self.run_worker(find, thread=True, exclusive=True, group="lookup")

    def _failed(self, why: str) -> None:
        if not self.is_current:
            return  # closed (Esc) while the lookup ran
        self.app.collector.release_after_frame()
        self.query_one("#lookup-error", Static).update(plain(why, style="bold"))
        self.query_one("#lookup-answers").display = False

    def _answered(self, answers: list[LookupAnswer], checked: MessageDetails | None) -> None:
        if not self.is_current:
            return  # closed (Esc) while the lookup ran
        if len(answers) == 1 and answers[0].message is not None:
            self._found(LookedUp(answers[0].message.message_id, checked))
            return
        self.app.collector.release_after_frame()
        found = sum(a.message is not None for a in answers)
        summary = f"{found} of {len(answers)} found" if len(answers) > 1 else "Not found"
        self.query_one("#lookup-error", Static).update(
            Text(f"{summary}: Enter opens a highlighted ✓ line or a suggestion; Esc closes.", style="bold"))
        options = self.query_one("#lookup-answers", OptionList)
        options.clear_options()
        options.add_options([Option(line, id=target, disabled=target is None)
                             for line, target in answer_lines(answers)])
        options.display = True
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._found(LookedUp(event.option.id))

    def _found(self, looked_up: LookedUp) -> None:
        self._show_found(looked_up)
        self.dismiss(looked_up)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _checked_if_one(context: Context, answers: list[LookupAnswer]) -> MessageDetails | None:
    """One message found: its status checked here, in the lookup's worker. A check that fails is left to the
    console, which checks again and says why."""
    if len(answers) != 1 or answers[0].message is None:
        return None
    try:
        return checked_details(context, answers[0].message.message_id)
    except OmeError:
        return None
