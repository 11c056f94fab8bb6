"""Input from odd places gives one line and the right exit status, never exit 70, and the audit log
never claims what did not happen: a lone surrogate in an import, bytes that are not UTF-8 on
standard input or in the environment, a forged checkpoint, a closed or full standard output, and a
file that never ends."""

from __future__ import annotations

import json
import subprocess

import pytest

from support.cli import OMECONSOLE, clean_env, assert_one_line_error
from omeconsole.core.mail.send import send_message

MEGAN = "megan.bowen@contoso.com"


def run(store, *args: str, stdin: bytes | None = None, env: dict | None = None, **streams):
    return subprocess.run([*OMECONSOLE, "--store", str(store), *args], input=stdin, env={**clean_env(), **(env or {})},
                          timeout=120, **({"capture_output": True} | streams))


def test_a_lone_surrogate_in_a_graph_subject_is_one_rejected_row(demo_store, demo_cli, tmp_path):
    path = tmp_path / "graph.json"
    path.write_text('{"value": [{"messageId": "<S1@x.example>", "receivedDateTime": "2026-11-20T10:00:00Z", '
                    '"senderAddress": "m@fabrikam.com", "recipientAddress": "lee.gu@contoso.com", '
                    '"subject": "a\\ud800b", "status": "Delivered"}]}')
    result = demo_cli("import", str(path), check=1)  # every row rejected: the import failed
    assert "0 added" in result.stdout and "1 rejected" in result.stdout
    assert "value[0]: subject is not valid Unicode text" in result.stderr
    assert not [e for e in demo_cli.json("audit") if e["Action"] == "import"]  # nothing changed, nothing claimed


def test_a_change_that_fails_after_its_entry_is_recorded_as_failed(demo_store, monkeypatch):
    """Whatever stops a change after its audit entry (here: an error nobody foresaw), a failed entry follows."""
    from omeconsole.core.context import Context
    from omeconsole.core.store.store import Store

    def broken(self, messages, data_keys=None):
        raise ValueError("an error nobody foresaw")

    monkeypatch.setattr(Store, "put_messages", broken)
    ome = Context.open(demo_store)
    with pytest.raises(ValueError):
        send_message(ome, sender=MEGAN, recipients=["bob.kelly@gmail.com"], subject="s", body="b")
    last_two = [(e.action, e.outcome) for e in ome.store.audit.entries()[-2:]]
    assert last_two == [("send", "success"), ("send", "failed")]


def test_bytes_that_are_not_utf8_on_standard_input_are_one_line(demo_store):
    result = run(demo_store, "accounts", "add", "--as", MEGAN, "--mailbox", MEGAN, "--provider", "gmail",
                 "--login", "megan", "--password-stdin", stdin=b"\xff\xfe secret\n")
    assert result.returncode == 2 and result.stderr.count(b"\n") == 1
    assert b"the password is not UTF-8 text" in result.stderr
    result = run(demo_store, "send", "--as", MEGAN, "--from", MEGAN, "--to", "bob.kelly@gmail.com", "--subject", "s",
                 "--body-file", "-", stdin=b"caf\xe9")
    assert result.returncode == 2 and b"not UTF-8 text" in result.stderr


def test_an_origin_that_is_not_utf8_is_kept_as_escapes(demo_store):
    """The client address the SSH door's environment names goes into the audit log as it can be written."""
    env = {"SSH_CONNECTION": "1.2.3.4\udcff 5 6 7"}
    result = run(demo_store, "template", "add", "Oddly Placed", env=env)
    assert result.returncode == 0, result.stderr
    [entry] = [e for e in json.loads(run(demo_store, "audit", "--json").stdout) if e["Action"] == "template add"]
    assert "from 1.2.3.4\\udcff; OS account " in entry["Origin"]
    assert run(demo_store, "audit", "verify").returncode == 0


@pytest.mark.parametrize("change,needle", [
    (lambda c: c.update(sequence=1e400), "sequence is not a whole number"),
    (lambda c: c.update(sequence=True), "sequence is not a whole number"),
    (lambda c: c.update(public_key=123), "public_key is not text"),
    (lambda c: c.update(signature=["x"]), "signature is not text"),
    (lambda c: c.pop("hash"), "'hash'"),
    (lambda c: c.update(public_key="ünicode"), "not an audit checkpoint"),
])
def test_a_forged_checkpoint_is_one_line(demo_store, demo_cli, tmp_path, change, needle):
    checkpoint = json.loads(demo_cli("audit", "checkpoint").stdout)
    change(checkpoint)
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(checkpoint))
    assert_one_line_error(demo_cli("audit", "verify", "--checkpoint", str(path), check=2), needle)


def test_a_closed_standard_output_does_nothing_and_says_so(demo_store):
    command = " ".join(f"'{a}'" for a in (*OMECONSOLE, "--store", str(demo_store), "template", "add", "Unseen"))
    result = subprocess.run(["bash", "-c", command + " >&-"], capture_output=True, text=True, env=clean_env(),
                            timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "standard output is closed" in result.stderr
    assert "Unseen" not in run(demo_store, "template", "list").stdout.decode()


def test_a_full_standard_output_is_one_line(demo_store):
    with open("/dev/full", "w") as full:
        result = run(demo_store, "trace", "--json", stdout=full, stderr=subprocess.PIPE, capture_output=False)
    assert result.returncode == 1 and result.stderr.count(b"\n") == 1
    assert b"cannot write to standard output: No space left on device" in result.stderr


def test_a_body_file_that_never_ends_is_refused_at_the_limit(demo_store):
    result = run(demo_store, "send", "--as", MEGAN, "--from", MEGAN, "--to", "bob.kelly@gmail.com", "--subject", "s",
                 "--body-file", "/dev/zero")
    assert result.returncode == 2 and b"--body-file is larger than 25 MiB" in result.stderr
