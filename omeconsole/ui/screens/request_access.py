"""Request elevated access: the justification and how long, checked as the CLI checks them.

With the tenant setting approvals-require-door, the whole elevation workflow (request, approve,
deny, end) can be done in the console over the SSH door; this is its first step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from omeconsole.core.dkm.access_request import MAX_DURATION, MIN_DURATION, check_reason, parse_duration
from omeconsole.core.errors import UsageError
from omeconsole.core.text.times import human_span
from omeconsole.ui.plain import plain

NOTE = (f"Two other Global Administrators approve it in turn. It lasts {human_span(MIN_DURATION)} to "
        f"{human_span(MAX_DURATION)} (e.g. 1h, 90m).  Enter asks, Esc cancels.")


@dataclass(frozen=True)
class AccessAsked:
    reason: str
    duration: timedelta


class RequestAccessScreen(ModalScreen[AccessAsked | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="request-cancel", tooltip="Close without asking")]

    def compose(self) -> ComposeResult:
        with Vertical(id="request-dialog"):
            yield Label("Request elevated access to key material", id="request-title")
            yield Label("Justification (a ticket number and why)")
            yield Input(placeholder="Ticket 4411: the portal shows a garbled body", id="request-reason",
                        max_length=600)
            yield Label("For how long")
            yield Input(value="1h", id="request-duration", max_length=20)
            yield Static("", id="request-error")
            yield Static(plain(NOTE), id="request-note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "request-reason":
            self.query_one("#request-duration", Input).focus()
            return
        try:
            reason = check_reason(self.query_one("#request-reason", Input).value)
            duration = parse_duration(self.query_one("#request-duration", Input).value)
        except UsageError as error:
            self.query_one("#request-error", Static).update(plain(str(error), style="yellow"))
            return
        self.dismiss(AccessAsked(reason, duration))

    def action_cancel(self) -> None:
        self.dismiss(None)
