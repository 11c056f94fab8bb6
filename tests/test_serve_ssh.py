"""The SSH front door, driven as its users meet it: the real server, a real SSH client, the screen they see."""

import asyncssh
import pytest

from support.cli import case_id
from support.hostile import hidden_characters
from support.ssh import ADMIN, HELPDESK, connect, open_console, process_ended, ssh_entries


async def test_a_helpdesk_key_draws_the_console_as_that_identity_with_revoke_withheld(door):
    server = door()
    assert any(line.startswith("Host key") and "(created now): SHA256:" in line for line in server.banner)
    assert (server.host_key.stat().st_mode & 0o777) == 0o600
    secret = [line for line in server.host_key.read_text().splitlines() if "PRIVATE KEY" not in line][0]
    assert secret[:24] not in "\n".join(server.banner)  # the fingerprint is printed, never the key
    console = await open_console(server.port, door.keys["helpdesk"])
    await console.wait_for_text(f"acting as {HELPDESK}", "Message Trace")
    message_id = case_id(door.cli, "revocable")
    console.type("\x0c")  # ctrl+l: look up a Message ID
    await console.wait_for_text("Look up")
    console.type(message_id + "\r")
    await console.wait_for_text("IsRevocable ✓ True", "You may not revoke it", "helpdesk role")
    console.type("\x11")  # ctrl+q
    assert await console.ended() == 0
    await server.logged(HELPDESK, "ssh session end")
    entries = ssh_entries(door.cli)
    assert [(e["Action"], e["Outcome"], e["Actor"]) for e in entries] == [
        ("ssh sign-in", "success", HELPDESK), ("ssh session", "success", HELPDESK),
        ("ssh session end", "success", HELPDESK)]
    assert "exited with status 0" in entries[-1]["Detail"]
    door.cli("audit", "verify")


async def test_the_clients_environment_never_chooses_the_identity_or_the_store(door, tmp_path):
    server = door()
    console = await open_console(server.port, door.keys["helpdesk"],
                                 env={"OMECONSOLE_AS": ADMIN, "OMECONSOLE_STORE": str(tmp_path / "elsewhere")})
    await console.wait_for_text(f"acting as {HELPDESK}", "Helpdesk")
    await console.close()


async def test_unknown_and_outsider_keys_and_passwords_are_refused_and_audited(door):
    server = door()
    for name in ("unlisted", "outsider"):
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server.port, door.keys[name])
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, password="hunter2", preferred_auth="password,keyboard-interactive")
    conn = await connect(server.port, door.keys["admin"])  # the server still serves the rightful
    conn.close()
    await conn.wait_closed()
    server.stop()  # refusals after a host's first are counted for a minute, then written: here, at the stop
    refused = [e for e in ssh_entries(door.cli) if e["Outcome"] == "refused"]
    details = " | ".join(e["Detail"] for e in refused)
    assert "not in this server's authorized-keys file" in details
    assert "someone@fabrikam.com is not a user of Contoso" in details
    assert "no public key was offered; only public keys are accepted" in details
    assert "hunter2" not in door.cli("audit", "--json").stdout


async def test_a_session_without_a_terminal_is_refused_with_the_reason(door):
    server = door()
    conn = await connect(server.port, door.keys["admin"])
    result = await conn.run(check=False)  # a shell, no PTY
    assert result.exit_status == 1
    assert "the console needs a terminal" in result.stderr and "ssh -t" in result.stderr
    result = await conn.run("cat /etc/passwd", term_type="xterm", check=False)
    assert result.exit_status == 1 and "runs no commands" in result.stderr
    conn.close()
    await conn.wait_closed()
    refusals = [e["Detail"] for e in ssh_entries(door.cli) if e["Action"] == "ssh session"]
    assert len(refusals) == 2 and all(e for e in refusals)
    assert server.children() == []


async def test_a_resize_reaches_the_console(door):
    server = door()
    console = await open_console(server.port, door.keys["admin"], columns=100, rows=30)
    await console.wait_for(lambda c: c.screen.display[-1].rstrip().endswith("palette"))
    assert len(console.screen.display[-1].rstrip()) <= 100
    console.resize(150, 40)
    await console.wait_for(lambda c: c.screen.display[-1].rstrip().endswith("palette")
                           and len(c.screen.display[-1].rstrip()) > 140)
    await console.close()


async def test_the_session_limit_holds_and_says_so(door):
    server = door("--max-sessions", "1")
    first = await open_console(server.port, door.keys["admin"])
    await first.wait_for_text("Message Trace")
    second = await open_console(server.port, door.keys["helpdesk"])
    assert await second.ended() == 1
    assert "allows 1 console session at once, and all are in use" in second.text
    await first.close()
    assert any(e["Outcome"] == "refused" and "in use" in e["Detail"] for e in ssh_entries(door.cli))


async def test_a_dropped_session_leaves_no_process_behind(door):
    server = door()
    console = await open_console(server.port, door.keys["admin"])
    await console.wait_for_text("Message Trace")
    [pid] = server.children()
    console.conn.abort()  # the client vanishes: no quit, no goodbye
    await process_ended(pid)
    await console.close()
    assert server.children() == []
    assert "the client disconnected" in await server.logged("ssh session end")


async def test_an_idle_session_is_closed_and_told_why(door):
    server = door("--idle-timeout", "2s")
    assert "idle timeout 2s" in server.banner[-1]
    console = await open_console(server.port, door.keys["admin"])
    await console.wait_for_text("Message Trace")
    [pid] = server.children()
    assert await console.ended() == 1
    assert "closed after 2s without input (the idle timeout)" in console.text
    await process_ended(pid)
    assert server.children() == []


async def test_colour_is_256_unless_the_client_says_truecolor(door):
    server = door()
    plain = await open_console(server.port, door.keys["admin"])
    await plain.wait_for_text("Message Trace")
    assert b"\x1b[38;5;" in plain.raw and b"38;2;" not in plain.raw
    await plain.close()
    rich = await open_console(server.port, door.keys["admin"], env={"COLORTERM": "truecolor"})
    await rich.wait_for_text("Message Trace")
    assert b"38;2;" in rich.raw
    await rich.close()


async def test_stopping_the_server_ends_every_console(door):
    server = door()
    console = await open_console(server.port, door.keys["admin"])
    await console.wait_for_text("Message Trace")
    [pid] = server.children()
    code, said = server.stop()
    assert code == 0 and "Stopped" in said
    await process_ended(pid)
    assert await console.ended() == 1
    assert "the server was stopped" in console.text


async def test_no_console_opens_when_its_audit_entry_cannot_be_written(door):
    server = door()
    with open(door.store / "audit.jsonl", "ab") as log:
        log.write(b'{"seq": 99, "torn')  # an interrupted write: the log takes no more entries
    console = await open_console(server.port, door.keys["admin"])
    assert await console.ended() == 1
    assert "cannot open a console" in console.text and "audit" in console.text
    assert server.children() == []


async def test_the_keys_file_is_read_at_each_sign_in_and_a_broken_one_refuses_everyone(door, tmp_path):
    server = door()
    keys_file = tmp_path / "authorized_keys"
    kept = [line for line in keys_file.read_text().splitlines() if HELPDESK not in line]
    keys_file.write_text("\n".join(kept) + "\n")  # the helpdesk key is taken out while the server runs
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, door.keys["helpdesk"])
    keys_file.write_text("ssh-ed25519 AAAA-no-identity\n")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, door.keys["admin"])
    code, said = server.stop()  # a host's refusals after its first are written within a minute, or at the stop
    logged = next(line for line in said.splitlines() if "refused" in line and "names no identity" in line)
    assert str(keys_file) in logged  # the full reason is the operator's; the client is told less
    assert any("not in this server's authorized-keys file" in e["Detail"] for e in ssh_entries(door.cli))


async def test_a_hostile_terminal_type_is_refused_and_recorded_neutralised_and_cut(door):
    """The client names its terminal type; anything but a plain name is refused. The reason reaches the
    client, the server's output and the audit log neutralised and cut to 64 characters, never whole."""
    server = door()
    # ASCII only: the SSH server refuses any other terminal type as a protocol error
    hostile = "xterm\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[1A\x7f" + "x" * 20_000
    console = await open_console(server.port, door.keys["admin"], term_type=hostile)
    assert await console.ended() == 1
    assert "is not a plain name" in console.text and "cut from 20,034 characters" in console.text
    printed = await server.logged("ssh session", "refused")
    assert hidden_characters(printed.rstrip("\n")) == [] and "xterm\\x1b]52;c;" in printed
    assert len(printed) < 1000 and server.children() == []
    for args in (["audit"], ["audit", "--last", "5"]):
        assert hidden_characters(door.cli(*args).stdout) == []
    [detail] = [e["Detail"] for e in ssh_entries(door.cli) if e["Action"] == "ssh session"]
    assert "'xterm\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\x1b[1A\\x7fxxxxx" in detail and "x" * 60 not in detail
    door.cli("audit", "verify")
