"""Every refusal is audited: a well-formed request refused by permission or by what the store holds
leaves exactly one `refused` entry, by the identity that asked, with its reason, and changes nothing
else. Malformed input (a bad address, a number out of its range) names nothing, and is not audited;
nor is a Global Administrator's or helpdesk's look-up that finds nothing (an answer, not a refusal).
"""

import json

import pytest

from omeconsole.core.audit.log import AuditLog
from omeconsole.core.context import Context
from omeconsole.core.dkm.group import PORTAL_SERVICE
from omeconsole.core.door_pass import DoorPass, issue_for_store
from omeconsole.core.store.store import Store
from omeconsole.core.tenant.admin import TenantAdmin
from omeconsole.core.text.times import utcnow
from omeconsole.core.store.files import read_bytes
from support.cli import assert_one_line_error, case_id

ADMIN, HELPDESK = "admin@contoso.com", "lynne.robbins@contoso.com"
OUTSIDER = "nobody@example.com"
ROLES = {ADMIN: "global-admin", HELPDESK: "helpdesk", OUTSIDER: "outsider"}

# (the command, its exit code, words its one-line error holds)
REFUSALS = {
    # the six the issue names
    "keys destroy above the primary": (("keys", "destroy", "--below", "99"), 1, "is the primary"),
    "keys group-add of a service account": (("keys", "group-add", PORTAL_SERVICE), 1, "already a member"),
    "user add of an existing user": (("user", "add", HELPDESK, "--role", "user"), 1, "already a user"),
    "template add of an existing template": (("template", "add", "Contoso Secure"), 1, "already exists"),
    "native-domain add of an accepted domain": (("native-domain", "add", "contoso.com"), 1, "accepted domains"),
    "accounts add to a non-mailbox": (("accounts", "add", "--mailbox", "ghost@contoso.com", "--provider", "imap",
                                       "--login", "g@mail.example", "--password-stdin"), 1, "not a mailbox"),
    # reads that need a tenant identity
    "user list by an outsider": (("user", "list", "--as", OUTSIDER), 1, "not a user of Contoso"),
    "template list by an outsider": (("template", "list", "--as", OUTSIDER), 1, "not a user of Contoso"),
    "native-domain list by an outsider": (("native-domain", "list", "--as", OUTSIDER), 1, "not a user of Contoso"),
    "tenant show by an outsider": (("tenant", "show", "--as", OUTSIDER), 1, "not a user of Contoso"),
    "tenant set by helpdesk": (("tenant", "set", "--approvals-require-door", "ssh", "--as", HELPDESK), 1,
                               "Global Administrator"),
    # found beyond the six
    "template add of the default template": (("template", "add", "OME Configuration", "--expiry-days", "5"), 1,
                                             "default template"),
    "native-domain add of one already marked": (("native-domain", "add", "fabrikam.com"), 1, "already marked"),
    "native-domain remove of one not marked": (("native-domain", "remove", "tailspin.example"), 1, "not marked"),
    "keys destroy with nothing left below": (("keys", "destroy", "--below", "1"), 1, "left to destroy"),
    "user add outside the accepted domains": (("user", "add", "someone@gmail.com", "--role", "user"), 2,
                                              "not in an accepted domain"),
    "accounts remove of an account that is not there": (("accounts", "remove", "CA-0999"), 1,
                                                        "no connected account"),
    "import by helpdesk, whatever the file": (("import", "/nonexistent/trace.csv", "--as", HELPDESK), 1,
                                              "Global Administrator"),
    "access approve of a request that is not there": (("access", "approve", "AR-0999"), 1, "no access request"),
    "access deny of a request that is not there": (("access", "deny", "AR-0999"), 1, "no access request"),
    "access end of a request that is not there": (("access", "end", "AR-0999"), 1, "no access request"),
}

# the OME portal, by the demo's case: (the recipient, who asks, words its one-line error holds)
PORTAL_REFUSALS = {
    "unencrypted": ("tom.jones@gmail.com", ADMIN, "was not encrypted"),
    "native_only": ("ray.chen@fabrikam.com", ADMIN, "native experience"),
    "revocable": ("bob.kelly@gmail.com", "bob.kelly@gmail.com", "content key"),  # its content key lost (below)
}

# well-formed enough to run, but malformed or a plain look-up: one line, no audit entry
NOT_AUDITED = {
    "an identity that is not an address": (("user", "list", "--as", "nobody"), 2),
    "a user address that is not an address": (("user", "add", "not-an-address", "--role", "user"), 2),
    "a rotation period out of its range": (("keys", "policy", "--rotation-days", "0"), 2),
    "an admin's look at an account that is not there": (("accounts", "show", "CA-0999"), 1),
}


def _state(store) -> dict:
    """Every store file but the audit log and the lock, byte for byte."""
    return {p.relative_to(store): p.read_bytes() for p in store.rglob("*")
            if p.is_file() and p.name not in ("audit.jsonl", "store.lock")}


def _entries(store) -> list:
    return AuditLog(store).entries()


def _actor(command) -> str:
    return command[command.index("--as") + 1] if "--as" in command else ADMIN


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refusal_leaves_one_refused_entry_and_changes_nothing_else(demo_cli, demo_store, case):
    command, code, words = REFUSALS[case]
    before_entries, before_state = _entries(demo_store), _state(demo_store)
    result = demo_cli(*command, stdin="a password\n", check=code)
    assert_one_line_error(result, words)
    [entry] = _entries(demo_store)[len(before_entries):]
    assert (entry.actor, entry.role, entry.outcome) == (_actor(command), ROLES[_actor(command)], "refused")
    assert entry.detail and (words in entry.detail or words in result.stderr)
    assert _state(demo_store) == before_state


@pytest.mark.parametrize("case", NOT_AUDITED)
def test_malformed_input_and_a_look_that_finds_nothing_are_not_audited(demo_cli, demo_store, case):
    command, code = NOT_AUDITED[case]
    before = _entries(demo_store)
    assert_one_line_error(demo_cli(*command, check=code))
    assert _entries(demo_store) == before


def _lose_content_key(store, message_id: str) -> None:
    """The message's wrapped content key gone from its shard, as if destroyed."""
    path = store / "datakeys" / f"{Store.open(store).shard_of(message_id)}.json"
    shard = json.loads(read_bytes(path))
    shard["datakeys"] = {n: d for n, d in shard["datakeys"].items() if d["message_id"] != message_id}
    path.write_text(json.dumps(shard))


@pytest.mark.parametrize("case", PORTAL_REFUSALS)
def test_each_portal_refusal_leaves_one_refused_entry(demo_cli, demo_store, case):
    recipient, asking, words = PORTAL_REFUSALS[case]
    message_id = case_id(demo_cli, case)
    if case == "revocable":
        _lose_content_key(demo_store, message_id)
    before_entries, before_state = _entries(demo_store), _state(demo_store)
    result = demo_cli("portal", "--message-id", message_id, "--recipient", recipient, "--as", asking, check=1)
    assert_one_line_error(result, words)
    [entry] = _entries(demo_store)[len(before_entries):]
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (asking, "portal", message_id, "refused")
    assert words in entry.detail
    assert _state(demo_store) == before_state


def test_while_approvals_require_the_door_changing_that_setting_needs_the_door_too(demo_cli, demo_store):
    demo_cli("tenant", "set", "--approvals-require-door", "ssh")
    before_entries, before_state = _entries(demo_store), _state(demo_store)
    for setting in ("off", "ssh"):
        result = demo_cli("tenant", "set", "--approvals-require-door", setting, check=1)
        assert_one_line_error(result, "tenant set counts only through the SSH door", "came through that door")
    entries = _entries(demo_store)[len(before_entries):]
    assert [(e.actor, e.action, e.target, e.outcome) for e in entries] == \
        [(ADMIN, "tenant set", "approvals-require-door", "refused")] * 2
    assert _state(demo_store) == before_state
    through_the_door = issue_for_store(demo_store, DoorPass("ssh", ADMIN, "key SHA256:test", "127.0.0.1:50514",
                                                            utcnow()))
    TenantAdmin(Context.open(demo_store, ADMIN, door_pass=through_the_door)).set_approvals_door(None)
    assert demo_cli.json("tenant", "show")["ApprovalsRequireDoor"] == "off"
    [turned_off] = _entries(demo_store)[len(before_entries) + 2:]
    assert turned_off.outcome == "success" and "over the SSH door" in turned_off.origin


def test_an_import_whose_every_row_is_refused_is_one_refused_entry(demo_cli, demo_store, tmp_path):
    """Rows that would rewrite this store's own mail flow (another sender for one of its Message IDs)."""
    real = next(m.message_id for m in Store.open(demo_store).iter_messages()
                if m.sender == "megan.bowen@contoso.com")
    path = tmp_path / "forged.csv"
    path.write_text('"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId"\n'
                    f'"11/20/2026 3:04:05 PM","mallory@fabrikam.com","eve@evil.example","x","Delivered","{real}"\n')
    before_entries, before_state = _entries(demo_store), _state(demo_store)
    result = demo_cli("import", path, check=1)  # every row refused: the import failed
    assert "0 added" in result.stdout and "1 rejected" in result.stdout
    [entry] = _entries(demo_store)[len(before_entries):]
    assert (entry.actor, entry.action, entry.outcome) == (ADMIN, "import", "refused")
    assert "rewritten this store's mail flow" in entry.detail and "mallory@fabrikam.com" in entry.detail
    assert _state(demo_store) == before_state


def test_a_decrypt_of_a_missing_message_under_an_elevation_is_audited(demo_cli, demo_store):
    request = demo_cli.json("access", "request", "--reason", "Ticket 11: a missing message", "--duration", "1h")
    for approver in ("alex.wilber@contoso.com", "isaiah.langer@contoso.com"):
        demo_cli("access", "approve", request["Id"], "--as", approver)
    missing = "<NOSUCHMESSAGE0001@contoso.example>"
    before = _entries(demo_store)
    assert_one_line_error(demo_cli("keys", "decrypt", "--message-id", missing, check=1), "no message")
    [entry] = _entries(demo_store)[len(before):]
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (ADMIN, "keys decrypt", missing, "refused")
