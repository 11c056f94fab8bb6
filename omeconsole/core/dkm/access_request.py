"""Elevation: time-bound access to key material, approved in two stages.

No person holds standing access. A request states a reason and a duration (at most
MAX_DURATION); two different Global Administrators, neither of them the requester,
approve it in turn; it is then active until its end, or until ended early. A pending
request expires after PENDING_LIFETIME. States are derived from the record and the
clock, so an elevation can never outlive its end because a sweep did not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from omeconsole.core.errors import UsageError
from omeconsole.core.text.times import format_iso, human_span, load_iso, parse_span
from omeconsole.core.text.untrusted import refuse_hidden

MAX_DURATION = timedelta(hours=8)
MIN_DURATION = timedelta(minutes=5)
PENDING_LIFETIME = timedelta(hours=12)
APPROVAL_STAGES = 2
MAX_REASON = 500
RequestState = Literal["pending", "active", "denied", "ended", "expired"]
PENDING: RequestState = "pending"
ACTIVE: RequestState = "active"
DENIED: RequestState = "denied"
ENDED: RequestState = "ended"
EXPIRED: RequestState = "expired"



def parse_duration(text: str) -> timedelta:
    """An elevation's length: 8h, 90m, 1h30m, or ISO 8601 PT1H30M; between MIN_DURATION and MAX_DURATION."""
    duration = parse_span(text)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UsageError(f"an elevation lasts from {human_span(MIN_DURATION)} to {human_span(MAX_DURATION)}; "
                         f"{text!r} is {human_span(duration)}")
    return duration


def check_reason(text: str) -> str:
    """The justification, its spacing tidied; shown to every approver, so nothing in it may hide."""
    reason = refuse_hidden(" ".join((text or "").split()), "the justification (--reason)")
    if len(reason) < 10:
        raise UsageError("an access request needs a justification of at least 10 characters (--reason)")
    if len(reason) > MAX_REASON:
        raise UsageError(f"the justification is {len(reason)} characters; at most {MAX_REASON}")
    return reason


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") if part) or "0m"


@dataclass(frozen=True)
class Approval:
    by: str
    at: datetime


@dataclass
class AccessRequest:
    id: str
    requester: str
    reason: str
    duration: timedelta
    created: datetime
    approvals: list[Approval] = field(default_factory=list)
    denied_by: str | None = None
    granted_at: datetime | None = None
    ended_by: str | None = None
    ended_at: datetime | None = None
    expiry_audited: bool = False

    @property
    def ends_at(self) -> datetime | None:
        return self.granted_at + self.duration if self.granted_at else None

    @property
    def pending_until(self) -> datetime:
        return self.created + PENDING_LIFETIME

    def state(self, now: datetime) -> RequestState:
        if self.denied_by:
            return DENIED
        if self.ended_at:
            return ENDED
        if self.granted_at:
            return ACTIVE if now < self.granted_at + self.duration else EXPIRED
        return PENDING if now < self.pending_until else EXPIRED

    def time_left(self, now: datetime) -> timedelta | None:
        state, ends_at = self.state(now), self.ends_at
        if state == ACTIVE and ends_at:
            return ends_at - now
        if state == PENDING:
            return self.pending_until - now
        return None

    def describe_state(self, now: datetime) -> str:
        state = self.state(now)
        if state == PENDING:
            return f"pending (stage {len(self.approvals) + 1} of {APPROVAL_STAGES})"
        return state

    def to_record(self, now: datetime) -> dict:
        left = self.time_left(now)
        return {
            "Id": self.id, "Requester": self.requester, "Reason": self.reason,
            "Duration": _human(self.duration), "State": self.describe_state(now),
            "TimeLeft": _human(left) if left is not None else "", "Created": format_iso(self.created),
            "ApprovedBy": [a.by for a in self.approvals], "DeniedBy": self.denied_by,
            "GrantedAt": format_iso(self.granted_at), "EndsAt": format_iso(self.ends_at),
            "EndedBy": self.ended_by,
        }

    def to_doc(self) -> dict:
        return {"id": self.id, "requester": self.requester, "reason": self.reason,
                "duration_s": int(self.duration.total_seconds()), "created": format_iso(self.created),
                "approvals": [{"by": a.by, "at": format_iso(a.at)} for a in self.approvals],
                "denied_by": self.denied_by, "granted_at": format_iso(self.granted_at),
                "ended_by": self.ended_by, "ended_at": format_iso(self.ended_at),
                "expiry_audited": self.expiry_audited}

    @classmethod
    def from_doc(cls, doc: dict) -> AccessRequest:
        return cls(doc["id"], doc["requester"], doc["reason"], timedelta(seconds=int(doc["duration_s"])),
                   load_iso(doc["created"]), [Approval(a["by"], load_iso(a["at"])) for a in doc["approvals"]],
                   doc.get("denied_by"), load_iso(doc.get("granted_at")), doc.get("ended_by"),
                   load_iso(doc.get("ended_at")), bool(doc.get("expiry_audited")))


def approval_problem(request: AccessRequest, approver: str, now: datetime) -> str | None:
    """Why this approver may not approve this request now, or None."""
    state = request.state(now)
    if state != PENDING:
        return f"{request.id} is {state}, not pending"
    if approver == request.requester:
        return f"{approver} requested {request.id} and may not approve it"
    if any(a.by == approver for a in request.approvals):
        return f"{approver} already approved {request.id} at stage {len(request.approvals)}; " \
               "the next stage needs a different Global Administrator"
    return None
