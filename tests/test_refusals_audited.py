"""Every refusal is audited: a well-formed request refused by permission or by what the store holds
leaves exactly one `refused` entry with its reason, and changes nothing else."""

import pytest

from test_cli_tenant import assert_one_line_error

OUTSIDER = "nobody@example.com"

# (the command, words its one-line error holds)
REFUSALS = {
    "keys destroy above the primary": (("keys", "destroy", "--below", "99"), "is the primary"),
    "keys group-add of a service account": (("keys", "group-add", "svc-ome-portal@dkm.omeconsole"), "already a member"),
    "user add of an existing user": (("user", "add", "lynne.robbins@contoso.com", "--role", "user"), "already a user"),
    "template add of an existing template": (("template", "add", "Contoso Secure"), "already exists"),
    "native-domain add of an accepted domain": (("native-domain", "add", "contoso.com"), "accepted domains"),
    "accounts add to a non-mailbox": (("accounts", "add", "--mailbox", "ghost@contoso.com", "--provider", "imap",
                                       "--login", "g@mail.example", "--password-stdin"), "not a mailbox"),
    "user list by an outsider": (("user", "list", "--as", OUTSIDER), "not a user of Contoso"),
    "template list by an outsider": (("template", "list", "--as", OUTSIDER), "not a user of Contoso"),
    "native-domain list by an outsider": (("native-domain", "list", "--as", OUTSIDER), "not a user of Contoso"),
    "tenant show by an outsider": (("tenant", "show", "--as", OUTSIDER), "not a user of Contoso"),
    "tenant set by helpdesk": (("tenant", "set", "--approvals-require-door", "ssh", "--as",
                                "lynne.robbins@contoso.com"), "Global Administrator"),
}


def _state(store) -> dict:
    """Every store file but the audit log and the lock, byte for byte."""
    return {p.relative_to(store): p.read_bytes() for p in store.rglob("*")
            if p.is_file() and p.name not in ("audit.jsonl", "store.lock")}


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refusal_leaves_one_refused_entry_and_changes_nothing_else(demo_cli, demo_store, case):
    command, words = REFUSALS[case]
    before_entries, before_state = demo_cli.json("audit"), _state(demo_store)
    result = demo_cli(*command, stdin="a password\n", check=None)
    assert result.returncode != 0
    assert_one_line_error(result, words)
    new = demo_cli.json("audit")[len(before_entries):]
    assert [e["Outcome"] for e in new] == ["refused"], new
    assert words in new[0]["Detail"] or words in result.stderr
    assert new[0]["Detail"] and _state(demo_store) == before_state
