"""Elevation requests: request, two-stage approval, deny, end, list, and the check that gates key material.

With the tenant setting approvals-require-door, approve, deny and end count only when they come
through that authenticated front door (Context.require_door); a request may be made anywhere.
"""

from __future__ import annotations

from datetime import timedelta

from omeconsole.core.context import ContextService
from omeconsole.core.dkm.access_request import (
    ACTIVE,
    APPROVAL_STAGES,
    EXPIRED,
    PENDING,
    AccessRequest,
    Approval,
    approval_problem,
    check_reason,
)
from omeconsole.core.errors import NotFound, Refused
from omeconsole.core.rules import may_end_elevation, sees_every_request
from omeconsole.core.text.times import format_iso

SYSTEM = "omeconsole"


class ElevatedAccess(ContextService):

    def _now(self):
        return self.context.clock()

    def _find(self, requests: list[AccessRequest], request_id: str, action: str) -> AccessRequest:
        """The request a decision is about; a decision on one that is not there is refused, audited."""
        wanted = request_id.strip().upper()
        found = next((r for r in requests if r.id == wanted), None)
        if found is None:
            self.context.audit(action, wanted[:40], "refused", "no such access request")
            raise NotFound(f"no access request {request_id!r}; see 'omeconsole access list'")
        return found

    def sweep(self) -> list[AccessRequest]:
        """Audit every expiry not yet audited (pending or granted). Callers hold the exclusive lock."""
        requests, now = self.store.access_requests(), self._now()
        for request in requests:
            if request.state(now) == EXPIRED and not request.expiry_audited:
                what = "elevation ended at its end time" if request.granted_at else \
                    "pending request expired without enough approvals"
                self.context.audit_as_service(SYSTEM, "access expire", request.id,
                                              f"{what}; requested by {request.requester}", role="system")
                request.expiry_audited = True
                self.store.save_access_request(request)
        return requests

    # -- the workflow ------------------------------------------------------------------

    def request(self, reason: str, duration: timedelta) -> AccessRequest:
        reason = check_reason(reason)
        with self.store.writing():
            self.context.reload_tenant()
            self.context.require_admin("access request", "key material")
            requests, now = self.sweep(), self._now()
            open_one = next((r for r in requests if r.requester == self.actor.address
                             and r.state(now) in (PENDING, ACTIVE)), None)
            if open_one:
                raise self.context.refuse("access request", open_one.id, Refused(
                    f"{self.actor.address} already has {open_one.id} ({open_one.describe_state(now)}); "
                    f"end it or let it expire first"))
            request = AccessRequest(f"AR-{len(requests) + 1:04d}", self.actor.address, reason, duration, now)
            self.context.audit("access request", request.id, "success",
                                f"for {duration}; justification: {reason}")
            self.store.save_access_request(request)
        return request

    def approve(self, request_id: str) -> AccessRequest:
        with self.store.writing():
            request = self._decidable(request_id, "access approve")
            problem = approval_problem(request, self.actor.address, self._now())
            if problem:
                raise self.context.refuse("access approve", request.id, Refused(problem))
            now = self._now()
            request.approvals.append(Approval(self.actor.address, now))
            granted = len(request.approvals) == APPROVAL_STAGES
            if granted:
                request.granted_at = now
            self.context.audit("access approve", request.id, "success",
                                f"stage {len(request.approvals)} of {APPROVAL_STAGES}"
                                + (f"; elevation granted to {request.requester} until "
                                   f"{format_iso(request.ends_at)}" if granted else ""))
            self.store.save_access_request(request)
        return request

    def deny(self, request_id: str) -> AccessRequest:
        with self.store.writing():
            request = self._decidable(request_id, "access deny")
            state = request.state(self._now())
            if state != PENDING or request.requester == self.actor.address:
                problem = (f"{request.id} is {state}, not pending" if state != PENDING
                           else f"{self.actor.address} requested {request.id} and may not decide it")
                raise self.context.refuse("access deny", request.id, Refused(problem))
            request.denied_by = self.actor.address
            self.context.audit("access deny", request.id, "success", f"requested by {request.requester}")
            self.store.save_access_request(request)
        return request

    def _decidable(self, request_id: str, action: str) -> AccessRequest:
        self.context.reload_tenant()
        self.context.require_admin(action, request_id)
        request = self._find(self.sweep(), request_id, action)
        self.context.require_door(action, request.id)
        return request

    def end(self, request_id: str) -> AccessRequest:
        with self.store.writing():
            self.context.reload_tenant()
            request = self._find(self.sweep(), request_id, "access end")
            self.context.require_door("access end", request.id)
            if not may_end_elevation(self.actor, request.requester):
                raise self.context.refuse("access end", request.id, Refused(
                    f"only the requester or a Global Administrator may end {request.id}"))
            if request.state(self._now()) != ACTIVE:
                raise self.context.refuse("access end", request.id, Refused(
                    f"{request.id} is {request.describe_state(self._now())}, not active"))
            request.ended_by, request.ended_at = self.actor.address, self._now()
            self.context.audit("access end", request.id, "success", f"ended early; requested by {request.requester}")
            self.store.save_access_request(request)
        return request

    def list(self) -> list[AccessRequest]:
        self.context.require_reader("access list")
        with self.store.writing():
            requests = self.sweep()
        if not sees_every_request(self.actor):
            requests = [r for r in requests if r.requester == self.actor.address]
        return sorted(requests, key=lambda r: r.created, reverse=True)

    # -- the gate ----------------------------------------------------------------------

    def require_active(self, action: str, target: str) -> AccessRequest:
        """The acting identity's active elevation, or a refusal (audited). Callers hold the exclusive lock."""
        now = self._now()
        requests = self.sweep()
        mine = [r for r in requests if r.requester == self.actor.address]
        active = next((r for r in mine if r.state(now) == ACTIVE), None)
        if active:
            return active
        last = max(mine, key=lambda r: r.created, default=None)
        why = ("no active elevation" if last is None
               else f"no active elevation ({last.id} is {last.describe_state(now)})")
        raise self.context.refuse(action, target, Refused(
            f"{action} needs an approved, active elevation: {self.actor.address} has {why}; "
            "request one with 'omeconsole access request'"))
