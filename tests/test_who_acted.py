"""Who acted: every CLI entry names the OS account; a front door's pass is checked and named; with
approvals-require-door, deciding an elevation counts only through the SSH door."""

import os
import pwd
from datetime import timedelta

import pytest

from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.door_pass import DoorPass, issue, issue_for_store
from omeconsole.core.errors import Refused
from omeconsole.core.context import Context
from omeconsole.core.tenant.admin import TenantAdmin

from support.cli import assert_one_line_error
from omeconsole.core.audit.trail import AuditTrail

ADMIN, ALEX, ISAIAH = "admin@contoso.com", "alex.wilber@contoso.com", "isaiah.langer@contoso.com"
ACCOUNT = f"OS account {pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()})"
KEY = "key SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _pass(store, identity, clock, door="ssh", key=None):
    door_pass = DoorPass(door, identity, KEY, "127.0.0.1:50022", clock.now)
    return issue(key, door_pass) if key else issue_for_store(store, door_pass)


def test_every_cli_entry_names_the_os_account(demo_cli):
    before = len(demo_cli.json("audit"))
    demo_cli("user", "add", "new.person@contoso.com", "--role", "user")
    demo_cli("user", "list", "--as", "nobody@example.com", check=1)
    demo_cli("access", "request", "--reason", "Ticket 9: checking the record", "--duration", "1h")
    entries = demo_cli.json("audit")[before:]
    assert len(entries) == 3
    assert all(e["Origin"].startswith("cli on ") and e["Origin"].endswith(ACCOUNT) for e in entries), entries


def test_a_door_pass_names_the_door_and_a_bad_one_is_refused(demo_store, clock):
    ome = Context.open(demo_store, ALEX, face="console", clock=clock, door_pass=_pass(demo_store, ALEX, clock))
    assert ome.door.door == "ssh"
    assert ome.origin.startswith("console on ") and "over the SSH door from 127.0.0.1:50022, " + KEY in ome.origin
    assert ome.origin.endswith(ACCOUNT)
    cases = {"not valid": _pass(demo_store, ALEX, clock, key=b"k" * 32),
             "is for alex.wilber@contoso.com, not isaiah": _pass(demo_store, ALEX, clock),
             "garbage": "not.a-pass"}
    for why, text in cases.items():
        with pytest.raises(Refused, match="not valid" if why == "garbage" else why):
            Context.open(demo_store, ISAIAH, clock=clock, door_pass=text)
    stale = _pass(demo_store, ISAIAH, clock)
    clock.now += timedelta(minutes=3)
    with pytest.raises(Refused, match="expired"):
        Context.open(demo_store, ISAIAH, clock=clock, door_pass=stale)
    refusals = [e for e in AuditTrail(Context.open(demo_store)).entries() if e.action == "sign-in"]
    assert [e.outcome for e in refusals] == ["refused"] * 4


def test_with_approvals_requiring_the_ssh_door_a_cli_approve_is_refused_and_a_door_approve_counts(
        demo_cli, demo_store, clock):
    demo_cli("tenant", "set", "--approvals-require-door", "ssh")
    assert demo_cli.json("tenant", "show")["ApprovalsRequireDoor"] == "ssh"
    request = ElevatedAccess(Context.open(demo_store, ADMIN, clock=clock)).request("Ticket 12: rewrap", parse_duration("1h"))
    result = demo_cli("access", "approve", request.id, "--as", ALEX, check=1)
    assert_one_line_error(result, "counts only through the SSH door", "approvals-require-door")
    assert_one_line_error(demo_cli("access", "deny", request.id, "--as", ALEX, check=1), "SSH door")
    for approver in (ALEX, ISAIAH):
        through_door = Context.open(demo_store, approver, face="console", clock=clock,
                                    door_pass=_pass(demo_store, approver, clock))
        decided = ElevatedAccess(through_door).approve(request.id)
    assert decided.granted_at is not None
    entries = [e for e in AuditTrail(Context.open(demo_store)).entries() if e.target == request.id]
    assert [(e.action, e.outcome) for e in entries[-4:]] == [
        ("access approve", "refused"), ("access deny", "refused"),
        ("access approve", "success"), ("access approve", "success")]
    assert all("over the SSH door" in e.origin for e in entries[-2:])
    assert_one_line_error(demo_cli("access", "end", request.id, check=1), "SSH door")
    assert_one_line_error(demo_cli("tenant", "set", "--approvals-require-door", "off", check=1), "SSH door")
    admin_at_door = Context.open(demo_store, ADMIN, face="console", clock=clock, door_pass=_pass(demo_store, ADMIN, clock))
    TenantAdmin(admin_at_door).set_approvals_door(None)  # while it is on, it is turned off through the door
    demo_cli("access", "end", request.id)
