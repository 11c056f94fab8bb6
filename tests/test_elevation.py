"""Elevation: two-stage approval, expiry of pending and granted requests, early end, use after expiry."""

from datetime import timedelta

import pytest

from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.tenant.connected_accounts import ConnectedAccounts
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.errors import NotFound, Refused, UsageError
from omeconsole.core.dkm.key_manager import KeyManager

from support.cli import CLI, assert_one_line_error
from omeconsole.core.audit.trail import AuditTrail

ADMIN, ALEX, ISAIAH = "admin@contoso.com", "alex.wilber@contoso.com", "isaiah.langer@contoso.com"
HELPDESK, MEGAN = "lynne.robbins@contoso.com", "megan.bowen@contoso.com"
REASON = "Ticket 4411: the portal shows a garbled body"


@pytest.fixture
def elevation(as_user):
    return lambda address=ADMIN: ElevatedAccess(as_user(address))


@pytest.fixture
def some_message(as_user):
    admin = as_user()
    return next(m for m in admin.store.iter_messages()
                if m.is_encrypted and not m.revocation and not m.is_expired(admin.clock()))


def granted(elevation, duration="2h"):
    request = elevation().request(REASON, parse_duration(duration))
    elevation(ALEX).approve(request.id)
    return elevation(ISAIAH).approve(request.id)


def test_two_stages_by_two_different_admins_grant_an_elevation(elevation, as_user, some_message):
    request = elevation().request(REASON, parse_duration("2h"))
    assert request.describe_state(as_user().clock()) == "pending (stage 1 of 2)"
    with pytest.raises(Refused, match="may not approve"):
        elevation(ADMIN).approve(request.id)
    elevation(ALEX).approve(request.id)
    with pytest.raises(Refused, match="already approved .* different Global Administrator"):
        elevation(ALEX).approve(request.id)
    with pytest.raises(Refused, match="needs an approved, active elevation"):
        KeyManager(as_user()).decrypt(some_message.message_id)
    done = elevation(ISAIAH).approve(request.id)
    assert done.state(as_user().clock()) == "active" and done.ends_at == done.granted_at + timedelta(hours=2)
    elevation_id, body = KeyManager(as_user()).decrypt(some_message.message_id)
    assert elevation_id == request.id and "Please find the details below" in body
    actions = [(e.action, e.outcome) for e in AuditTrail(as_user()).entries()[-6:]]
    assert actions == [("access approve", "refused"), ("access approve", "success"), ("access approve", "refused"),
                       ("keys decrypt", "refused"), ("access approve", "success"), ("keys decrypt", "success")]


def test_elevation_is_personal(elevation, as_user, some_message):
    granted(elevation)
    with pytest.raises(Refused, match="alex.wilber@contoso.com has no active elevation"):
        KeyManager(as_user(ALEX)).decrypt(some_message.message_id)


def test_a_pending_request_expires_after_12_hours(elevation, as_user, clock):
    request = elevation().request(REASON, parse_duration("1h"))
    clock.advance(hours=12)
    with pytest.raises(Refused, match="is expired, not pending"):
        elevation(ALEX).approve(request.id)
    [listed] = elevation(HELPDESK).list()
    assert listed.state(clock()) == "expired"
    expiries = [e for e in AuditTrail(as_user()).entries() if e.action == "access expire"]
    assert len(expiries) == 1 and "pending request expired" in expiries[0].detail
    elevation().list()
    assert len([e for e in AuditTrail(as_user()).entries() if e.action == "access expire"]) == 1


def test_a_granted_elevation_ends_by_itself(elevation, as_user, clock, some_message):
    request = granted(elevation, "30m")
    KeyManager(as_user()).decrypt(some_message.message_id)
    clock.advance(minutes=30)
    with pytest.raises(Refused, match=f"{request.id} is expired"):
        KeyManager(as_user()).decrypt(some_message.message_id)
    entries = AuditTrail(as_user()).entries()
    assert [e.action for e in entries[-2:]] == ["access expire", "keys decrypt"]
    assert entries[-1].outcome == "refused"


def test_an_elevation_can_be_ended_early(elevation, as_user, some_message):
    request = granted(elevation)
    with pytest.raises(Refused, match="only the requester or a Global Administrator"):
        elevation(HELPDESK).end(request.id)
    elevation(ALEX).end(request.id)
    with pytest.raises(Refused, match="is ended"):
        KeyManager(as_user()).decrypt(some_message.message_id)
    with pytest.raises(Refused, match="not active"):
        elevation().end(request.id)


def test_a_denied_request_never_grants(elevation, as_user, some_message):
    request = elevation().request(REASON, parse_duration("1h"))
    with pytest.raises(Refused, match="may not decide"):
        elevation().deny(request.id)
    elevation(ALEX).approve(request.id)
    elevation(ALEX).deny(request.id)
    with pytest.raises(Refused, match="is denied"):
        elevation(ISAIAH).approve(request.id)
    with pytest.raises(Refused):
        KeyManager(as_user()).decrypt(some_message.message_id)


def test_who_may_request_and_decide(elevation):
    for person in (HELPDESK, MEGAN):
        with pytest.raises(Refused, match="Global Administrator"):
            elevation(person).request(REASON, parse_duration("1h"))
    request = elevation().request(REASON, parse_duration("1h"))
    with pytest.raises(Refused, match="Global Administrator"):
        elevation(HELPDESK).approve(request.id)
    with pytest.raises(Refused, match="already has AR-0001"):
        elevation().request(REASON, parse_duration("1h"))
    with pytest.raises(NotFound):
        elevation(ALEX).approve("AR-9999")
    assert elevation(MEGAN).list() == []


@pytest.mark.parametrize("text,minutes", [("2h", 120), ("90m", 90), ("1h30m", 90), ("PT2H", 120), ("8h", 480)])
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["9h", "8h1m", "1m", "", "two hours", "0h", "-1h"])
def test_durations_out_of_bounds(text):
    with pytest.raises(UsageError):
        parse_duration(text)


def test_reveal_needs_an_elevation(elevation, as_user):
    account = ConnectedAccounts(as_user(MEGAN)).add(MEGAN, "gmail", "megan.b@gmail.com", "hunter2-credential\n")
    with pytest.raises(Refused, match="needs an approved, active elevation"):
        ConnectedAccounts(as_user()).reveal(account.id)
    granted(elevation)
    _, elevation_id, credential = ConnectedAccounts(as_user()).reveal(account.id)
    assert (elevation_id, credential) == ("AR-0001", "hunter2-credential")
    assert [a.id for a in ConnectedAccounts(as_user(MEGAN)).list()] == [account.id]
    assert ConnectedAccounts(as_user("diego.siciliani@contoso.com")).list() == []
    with pytest.raises(NotFound):
        ConnectedAccounts(as_user("diego.siciliani@contoso.com")).show(account.id)
    with pytest.raises(Refused):
        ConnectedAccounts(as_user(HELPDESK)).remove(account.id)
    ConnectedAccounts(as_user(MEGAN)).remove(account.id)
    assert ConnectedAccounts(as_user()).list() == []


def test_the_elevation_workflow_through_the_cli(demo_cli: CLI):
    requested = demo_cli.json("access", "request", "--reason", REASON, "--duration", "90m")
    assert (requested["Id"], requested["State"]) == ("AR-0001", "pending (stage 1 of 2)")
    assert_one_line_error(demo_cli("access", "approve", "AR-0001", check=1), "may not approve")
    assert demo_cli.json("access", "approve", "ar-0001", "--as", ALEX)["State"] == "pending (stage 2 of 2)"
    active = demo_cli.json("access", "approve", "AR-0001", "--as", ISAIAH)
    assert active["State"] == "active" and active["ApprovedBy"] == [ALEX, ISAIAH]
    [listed] = demo_cli.json("access", "list", "--as", HELPDESK)
    assert listed["State"] == "active" and listed["TimeLeft"] in ("1h 30m", "1h 29m")
    assert demo_cli.json("access", "end", "AR-0001")["State"] == "ended"
    assert_one_line_error(demo_cli("access", "request", "--reason", "short", "--duration", "1h", check=2),
                          "at least 10 characters")
    assert_one_line_error(demo_cli("access", "request", "--reason", REASON, "--duration", "9h", check=2), "8h")


def test_accounts_through_the_cli(demo_cli: CLI):
    added = demo_cli.json("accounts", "add", "--mailbox", MEGAN, "--provider", "Gmail", "--login", "megan.b@gmail.com",
                          "--password-stdin", "--as", MEGAN, stdin="s3cret-app-password\n")
    assert added["Id"] == "CA-0001" and "Password" not in added
    assert "s3cret" not in demo_cli("accounts", "show", "CA-0001").stdout
    assert_one_line_error(demo_cli("accounts", "show", "CA-0001", "--reveal", check=1), "active elevation")
    assert_one_line_error(demo_cli("accounts", "add", "--mailbox", MEGAN, "--provider", "aol", "--login", "x",
                                   "--password-stdin", stdin="p\n", check=2), "provider")
    assert_one_line_error(demo_cli("accounts", "add", "--mailbox", "nobody@contoso.com", "--provider", "imap",
                                   "--login", "x", "--password-stdin", stdin="p\n", check=1), "not a mailbox")
    assert_one_line_error(demo_cli("accounts", "add", "--mailbox", MEGAN, "--provider", "imap", "--login", "x",
                                   "--password-stdin", "--as", "diego.siciliani@contoso.com", stdin="p\n", check=1),
                          "only megan.bowen@contoso.com or a Global Administrator")
    entry = next(e for e in demo_cli.json("audit") if e["Action"] == "accounts add")
    assert "credential hmac-sha256:" in entry["Detail"] and "s3cret" not in entry["Detail"]
    assert demo_cli("accounts", "remove", "CA-0001").returncode == 0
    assert demo_cli.json("accounts", "list") == []
