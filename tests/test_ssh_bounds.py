"""The SSH door's bounds: terminal sizes, keys per connection, connections waiting to sign in, the
refusals' cost to the audit log, the authorized-keys file's guard; and the real OpenSSH client."""

import asyncio
import fcntl
import os
import shutil
import struct
import termios

import asyncssh
import pytest

from support.ssh import ADMIN, SCREEN_SECONDS, authorized_line, connect, make_key, open_console, ssh_entries
from support.waiting import within

from omeconsole.serve.terminal_size import COLUMNS, ROWS

MEMORY_LIMIT_KB = 300 * 1024


def _console_size(pid: int) -> tuple[int, int]:
    """The columns and rows the console process's own terminal (its PTY) has, as the kernel holds them."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDWR | os.O_NOCTTY)
    try:
        rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    finally:
        os.close(fd)
    return columns, rows


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


async def _read_until(stream, needle: bytes, timeout: float = SCREEN_SECONDS) -> bytes:
    seen = bytearray()

    async def until():
        while needle not in seen:
            data = await stream.read(65536)
            if not data:
                raise AssertionError(f"ended before {needle!r}: {bytes(seen[-2000:])!r}")
            seen.extend(data)
    await within(timeout, until(), lambda: f"{needle!r} from the console; it sent {bytes(seen[-2000:])!r}")
    return bytes(seen)


async def test_terminal_sizes_are_clamped_on_the_request_and_on_every_window_change(door):
    server = door()
    conn = await connect(server.port, door.keys["admin"])
    process = await conn.create_process(term_type="xterm-256color", term_size=(100_000, 65_535), encoding=None)
    await _read_until(process.stdout, b"Message Trace")
    [pid] = server.children()
    assert _console_size(pid) == (COLUMNS[1], ROWS[1]) == (500, 200)
    process.change_terminal_size(65_535, 65_535)
    process.stdin.write(b"2")  # the Encryption Report: drawn after the window change (one channel)
    await _read_until(process.stdout, b"Any method")  # its method filter: on no other pane
    assert _console_size(pid) == (500, 200)
    assert _rss_kb(pid) < MEMORY_LIMIT_KB
    process.change_terminal_size(1, 1)
    process.stdin.write(b"1")
    await _read_until(process.stdout, b"Message Trace")
    assert _console_size(pid) == (COLUMNS[0], ROWS[0])
    conn.close()
    await conn.wait_closed()
    [opened] = [e["Detail"] for e in ssh_entries(door.cli) if e["Action"] == "ssh session"]
    assert "console opened on a 500x200 xterm-256color terminal" in opened


async def test_a_seventh_key_in_one_connection_ends_it(door, tmp_path):
    server = door()
    keys = [tmp_path / f"extra_{n}" for n in range(7)]
    for path in keys:
        make_key(path)
    fingerprints = [asyncssh.read_private_key(path).get_fingerprint() for path in keys]
    with pytest.raises((asyncssh.PermissionDenied, asyncssh.DisconnectError, asyncssh.ConnectionLost)):
        await asyncssh.connect("127.0.0.1", server.port, username="demo", client_keys=[str(p) for p in keys],
                               known_hosts=None, agent_path=None)
    server.stop()
    refused = [e["Detail"] for e in ssh_entries(door.cli) if e["Outcome"] == "refused"]
    assert len(refused) == 2  # the first key at once; the other five, the cut and the close at the stop
    details = " | ".join(refused)
    assert "7 more refusal(s)" in details
    assert all(fingerprint in details for fingerprint in fingerprints[:6])
    assert fingerprints[6] not in details and "more than 6 keys offered" in details


async def test_a_flood_of_bare_connections_costs_the_log_a_few_lines(door):
    server = door()
    before = len(ssh_entries(door.cli))
    waiting = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(10)]
    for waiting_reader, _ in waiting:  # each is served: the server's version line comes
        assert (await waiting_reader.readline()).startswith(b"SSH-2.0-")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    await within(SCREEN_SECONDS, reader.read(), "the eleventh waiting connection dropped")  # EOF
    for _, held in [*waiting[1:], (reader, writer)]:  # one is still waiting when the server stops
        held.close()
    for _ in range(50):
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.close()
        await writer.wait_closed()
    conn = await connect(server.port, door.keys["admin"])  # and nobody who signs in is kept out by them
    conn.close()
    server.stop()
    refused = [e for e in ssh_entries(door.cli)[before:] if e["Outcome"] == "refused"]
    assert len(refused) == 2, refused  # the first at once, the other 60 at the stop
    said = " | ".join(e["Detail"] for e in refused)
    assert "closed without signing in" in said and "were already waiting to sign in" in said
    assert "60 more refusal(s)" in said  # 9 closed, 1 dropped, 50 bare, and 1 cut when the server stopped


async def test_a_console_that_cannot_start_closes_its_channel_with_the_reason(door):
    """Any failure to start a console (here: the master key went while the server ran, so no door
    pass can be signed) closes the channel with one line, and the audit log names the reason."""
    server = door()
    key_file = door.store / "master.key"
    key_file.rename(door.store / "master.key.away")
    console = await open_console(server.port, door.keys["admin"])
    assert await console.ended() == 1
    assert "cannot open a console: the master key file" in console.text and "is missing" in console.text
    assert server.children() == []
    (door.store / "master.key.away").rename(key_file)
    sessions = [(e["Outcome"], e["Detail"]) for e in ssh_entries(door.cli) if e["Action"].startswith("ssh session")]
    assert len(sessions) == 1 and sessions[0][0] == "failed" and "master key file" in sessions[0][1]
    door.cli("audit", "verify")


@pytest.mark.parametrize("guard", ["group-writable", "another owner"])
def test_an_authorized_keys_file_others_can_write_is_refused(door, tmp_path, guard):
    keys_file = tmp_path / "authorized_keys"
    if guard == "group-writable":
        keys_file.chmod(0o664)
        said = "can be written by others (mode 0664)"
    else:
        if os.geteuid() != 0:
            pytest.skip("giving a file to another account needs root")
        os.chown(keys_file, 65534, -1)
        said = f"is owned by uid 65534, not by the account running the door (uid {os.geteuid()})"
    result = door.cli("serve", "ssh", "--listen", "127.0.0.1:0", "--host-key", tmp_path / "host_key",
                      "--authorized-keys", keys_file, check=1)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and said in result.stderr
    assert not (tmp_path / "host_key").exists()  # refused before anything was made


async def test_a_keys_file_made_writable_while_serving_refuses_every_key(door, tmp_path):
    server = door()
    (tmp_path / "authorized_keys").chmod(0o620)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, door.keys["admin"])
    code, said = server.stop()
    assert "can be written by others" in said


async def test_a_keys_file_behind_a_link_or_in_a_directory_others_can_write_refuses_every_key(door, tmp_path):
    server = door()
    keys_file, real = tmp_path / "authorized_keys", tmp_path / "authorized_keys.real"
    keys_file.rename(real)
    keys_file.symlink_to(real)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, door.keys["admin"])
    assert f"the authorized-keys file {keys_file} is a symbolic link" in await server.logged("symbolic link")
    keys_file.unlink()
    real.rename(keys_file)
    tmp_path.chmod(0o770)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, door.keys["admin"], local_addr=("127.0.0.2", 0))
    said = await server.logged("127.0.0.2", "holding the authorized-keys file")
    assert f"the directory {tmp_path} holding the authorized-keys file can be written by others (mode 0770)" in said
    tmp_path.chmod(0o700)
    conn = await connect(server.port, door.keys["admin"])
    conn.close()
    await conn.wait_closed()


@pytest.mark.skipif(shutil.which("ssh") is None, reason="the OpenSSH client is not installed")
async def test_the_real_openssh_client_signs_in_and_draws_the_console(door, tmp_path):
    server = door()
    client = await asyncio.create_subprocess_exec(
        "ssh", "-tt", "-p", str(server.port), "-i", str(door.keys["admin"]), "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-F", "/dev/null", "demo@127.0.0.1",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path)})
    try:
        await _read_until(client.stdout, b"Message Trace")
    finally:
        client.kill()
        await client.wait()
    entries = ssh_entries(door.cli)
    assert any(e["Action"] == "ssh sign-in" and e["Outcome"] == "success" and e["Actor"] == ADMIN for e in entries)


async def test_with_approvals_requiring_the_door_an_approve_over_ssh_counts(door, tmp_path):
    """The whole workflow over SSH: the CLI's approve is refused, the console's over the door counts."""
    alex = "alex.wilber@contoso.com"
    key = make_key(tmp_path / "alex_key")
    with open(tmp_path / "authorized_keys", "a") as keys_file:
        keys_file.write(authorized_line(alex, key) + "\n")
    door.cli("tenant", "set", "--approvals-require-door", "ssh")
    door.cli("access", "request", "--reason", "Ticket 13: a garbled portal body", "--duration", "1h")
    door.cli("access", "approve", "AR-0001", "--as", alex, check=1)
    server = door()
    console = await open_console(server.port, tmp_path / "alex_key")
    await console.wait_for_text("acting as alex.wilber@contoso.com", "Message Trace")
    console.type("4")
    await console.wait_for_text("AR-0001", "pending")
    console.type("a")
    await console.wait_for_text("Approve this access request?")
    console.type("y")
    await console.wait_for_text("AR-0001 is now")
    await console.close()
    decisions = [e for e in door.cli.json("audit") if e["Target"] == "AR-0001" and e["Action"] == "access approve"]
    assert [d["Outcome"] for d in decisions] == ["refused", "success"]
    assert "over the SSH door from 127.0.0.1:" in decisions[1]["Origin"] and "key SHA256:" in decisions[1]["Origin"]
    assert decisions[0]["Origin"].startswith("cli on ")
