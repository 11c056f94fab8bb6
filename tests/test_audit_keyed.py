"""The keyed audit chain: deleting, editing, inserting or reordering entries is detected even after the
attacker recomputes the plain SHA-256 chain; a store made before keying verifies, then goes on keyed."""

import json

import pytest

from support.audit_forgery import rechained
from support.cli import case_id, assert_one_line_error


def _lines(store):
    return (store / "audit.jsonl").read_text().splitlines()


def _write(store, lines):
    (store / "audit.jsonl").write_text("\n".join(lines) + "\n")


def _revoke_one(demo_cli) -> str:
    message_id = case_id(demo_cli, "mixed")
    demo_cli("revoke", "--message-id", message_id)
    return message_id


def _unpinned(store) -> None:
    """The keyring as omeconsole wrote it before the audit pin existed."""
    path = store / "keyring.json"
    keyring = json.loads(path.read_text())
    keyring["settings"]["1"].pop("audit_keyed_by")
    path.write_text(json.dumps(keyring))


def _stripped(lines: list[str]) -> list[str]:
    """The keyed chain taken out whole: the entry where keying began removed, every mark dropped, plain links."""
    return rechained([line for line in lines if '"audit chain keyed"' not in line])


def _verify_problem(demo_cli) -> str:
    result = demo_cli.json("audit", "verify", check=1)
    assert result["Verified"] is False
    return result["Problem"]


def test_a_demo_store_is_keyed_and_verifies(demo_cli, demo_store):
    said = demo_cli("audit", "verify").stdout
    assert "chain intact, keyed (HMAC-SHA256) from entry" in said
    records = [json.loads(line) for line in _lines(demo_store)]
    keyed_from = next(r["seq"] for r in records if r.get("chain"))
    assert records[keyed_from - 1]["action"] == "audit chain keyed"
    assert all(r.get("chain") == "hmac-sha256" for r in records[keyed_from - 1:])


@pytest.mark.parametrize("tamper", ["delete revokes", "edit", "insert", "reorder"])
def test_tampering_is_detected_after_the_plain_chain_is_recomputed(demo_cli, demo_store, tamper):
    _revoke_one(demo_cli)
    lines = _lines(demo_store)
    records = [json.loads(line) for line in lines]
    revokes = [i for i, r in enumerate(records) if r["action"] == "revoke"]
    assert revokes
    if tamper == "delete revokes":
        lines = [line for i, line in enumerate(lines) if i not in revokes]
    elif tamper == "edit":
        record = records[revokes[-1]]
        record["outcome"] = "refused"
        lines[revokes[-1]] = json.dumps(record)
    elif tamper == "insert":
        lines.insert(revokes[-1], lines[revokes[-1]].replace('"revoke"', '"send"', 1))
    else:
        lines[revokes[-1]], lines[revokes[-1] - 1] = lines[revokes[-1] - 1], lines[revokes[-1]]
    _write(demo_store, rechained(lines, keep_keyed_mark=True))
    assert "does not match its HMAC" in _verify_problem(demo_cli)
    _write(demo_store, rechained(lines[:revokes[0]], keep_keyed_mark=True) + lines[revokes[0]:])
    assert _verify_problem(demo_cli)


def test_a_keyed_tail_rewritten_unkeyed_is_detected(demo_cli, demo_store):
    _revoke_one(demo_cli)
    lines = _lines(demo_store)
    keyed_from = next(i for i, line in enumerate(lines) if '"chain"' in line)
    forged = lines[: keyed_from + 1] + rechained(lines[keyed_from + 1:], after=lines[keyed_from])
    _write(demo_store, forged)
    problem = _verify_problem(demo_cli)
    assert f"entry {keyed_from + 2} at line {keyed_from + 2}" in problem and "not keyed" in problem


def test_a_store_made_before_keying_still_verifies_then_continues_keyed(demo_cli, demo_store):
    before = rechained(_lines(demo_store))  # what omeconsole wrote before the chain was keyed
    before = [line for line in before if '"audit chain keyed"' not in line]
    before = rechained(before)
    _write(demo_store, before)
    _unpinned(demo_store)
    assert "NOT keyed yet" in demo_cli("audit", "verify").stdout
    message_id = _revoke_one(demo_cli)
    after = [json.loads(line) for line in _lines(demo_store)]
    assert [json.dumps(json.loads(line)) for line in before] == [json.dumps(r) for r in after[:len(before)]]
    switch, revoke = after[len(before)], after[len(before) + 1]
    assert switch["action"] == "audit chain keyed" and f"entries 1 to {len(before)}" in switch["detail"]
    assert (revoke["action"], revoke["target"], revoke["chain"]) == ("revoke", message_id, "hmac-sha256")
    said = demo_cli("audit", "verify").stdout
    assert f"keyed (HMAC-SHA256) from entry {len(before) + 1}" in said


@pytest.mark.parametrize("pinned", ["when the chain was keyed", "by the first write after pins existed"])
def test_a_keyed_chain_stripped_back_to_plain_sha256_is_refused(demo_cli, demo_store, pinned):
    if pinned != "when the chain was keyed":  # a store keyed before the pin existed gets one from its next write
        _unpinned(demo_store)
        _revoke_one(demo_cli)
    _write(demo_store, _stripped(_lines(demo_store)))
    result = demo_cli("audit", "verify", check=1)
    assert_one_line_error(result, "the keyed chain was stripped", "rewritten without the chain key")
    assert "NOT keyed yet" not in result.stdout + result.stderr
    assert "the keyed chain was stripped" in _verify_problem(demo_cli)


def test_with_a_passphrase_nothing_is_recorded_or_changed_without_it(cli, store_dir):
    secret = {"OMECONSOLE_PASSPHRASE": "a long enough passphrase"}
    cli("init", "--org", "Tailspin", "--domain", "tailspintoys.com", "--admin", "a@tailspintoys.com",
        "--license", "E5", "--passphrase-stdin", stdin=secret["OMECONSOLE_PASSPHRASE"] + "\n")
    before = (store_dir / "audit.jsonl").read_bytes()
    result = cli("user", "add", "u@tailspintoys.com", "--role", "user", check=1)
    assert_one_line_error(result, "OMECONSOLE_PASSPHRASE", "audit log", "nothing was changed")
    assert (store_dir / "audit.jsonl").read_bytes() == before
    assert_one_line_error(cli("audit", "verify", check=1), "OMECONSOLE_PASSPHRASE")
    cli("user", "add", "u@tailspintoys.com", "--role", "user", env=secret)
    assert "keyed (HMAC-SHA256) from entry 2" in cli("audit", "verify", env=secret).stdout
    assert [u["Address"] for u in cli.json("user", "list", env=secret)] == ["a@tailspintoys.com", "u@tailspintoys.com"]
