"""The question before an access request is approved, denied or ended: the whole request, then yes or no.

An approval is half of a two-person rule, so it is never one stray key or click: the dialog
shows who asked, the whole reason, the duration asked for, the stage, and who approved so far.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from rich.text import Text

from omeconsole.core.dkm.access_request import APPROVAL_STAGES, AccessRequest
from omeconsole.core.text.times import human_span
from omeconsole.ui.plain import paragraph, plain
from omeconsole.ui.screens.confirm import ConfirmScreen
from omeconsole.ui.time_shown import labelled_time


class AccessDecision(Enum):
    APPROVE = "approve"
    DENY = "deny"
    END = "end"

    @property
    def question(self) -> str:
        return {"approve": "Approve this access request?", "deny": "Deny this access request?",
                "end": "End this elevation now?"}[self.value]

    @property
    def verb(self) -> str:
        return {"approve": "Approve", "deny": "Deny", "end": "End it"}[self.value]


class ConfirmAccessScreen(ConfirmScreen):
    def __init__(self, request: AccessRequest, decision: AccessDecision, now: datetime) -> None:
        super().__init__()
        self.request = request
        self.decision = decision
        self.now = now
        self.question = decision.question
        self.yes_label = f"{decision.verb} (y)"
        self.yes_variant = "warning" if decision is AccessDecision.DENY else "error"

    def body(self) -> Text:
        request = self.request
        body = Text()
        for label, value in (("Request", request.id), ("Requester", request.requester),
                             ("Duration", human_span(request.duration)), ("Stage", self._stage()),
                             ("Requested", labelled_time(request.created))):
            body.append(f"{label:<12}", style="italic")
            body.append_text(plain(value, style="bold" if label == "Requester" else ""))
            body.append("\n")
        body.append("Approved by ", style="italic")
        approvals = ", ".join(f"{a.by} at {labelled_time(a.at)}" for a in request.approvals)
        body.append_text(plain(approvals or "nobody yet"))
        body.append("\n\nReason\n", style="italic")
        body.append_text(paragraph(request.reason))
        body.append(f"\n\n{self._consequence()}", style="yellow")
        return body

    def _stage(self) -> str:
        state = self.request.describe_state(self.now)
        return f"{state}; {len(self.request.approvals)} of {APPROVAL_STAGES} approvals"

    def _consequence(self) -> str:
        if self.decision is AccessDecision.APPROVE:
            final = len(self.request.approvals) + 1 == APPROVAL_STAGES
            return ("Your approval is the last stage: the requester gets access to key material at once, for "
                    f"{human_span(self.request.duration)}." if final else
                    "Your approval is one stage; a different Global Administrator must approve the next.")
        if self.decision is AccessDecision.DENY:
            return "Denying ends the request; the requester must ask again."
        return "Ending the elevation takes the requester's access to key material away now."
