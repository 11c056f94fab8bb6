"""The console's four panes, each by one id: for its tab, the key that shows it, its worker group, its export."""

from __future__ import annotations

from enum import StrEnum


class Pane(StrEnum):
    TRACE = "trace"
    REPORT = "report"
    DETAILS = "details"
    KEYS = "keys"

    @property
    def results_id(self) -> str:
        """The id of the pane's results table (the Message Trace and the Encryption Report have one)."""
        return f"{self}-results"

    @property
    def results(self) -> str:
        """The selector of the pane's results table."""
        return f"#{self.results_id}"

    @property
    def show(self) -> str:
        """The action that shows this pane, as a key binding or the command palette names it."""
        return f"show_pane('{self}')"


RESULT_PANES = (Pane.TRACE, Pane.REPORT)
