"""The real `omeconsole serve ssh` in a subprocess, and an asyncssh client whose screen is a terminal emulator."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import asyncssh
import pyte

from support.cli import CLI, OMECONSOLE, clean_env
from support.waiting import within

STARTUP_SECONDS = 30
SCREEN_SECONDS = 30
ADMIN = "admin@contoso.com"
HELPDESK = "lynne.robbins@contoso.com"


def make_key(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    return key


def authorized_line(identity: str, key: asyncssh.SSHKey) -> str:
    return f'as="{identity}" {key.export_public_key().decode().strip()}'


class SshServer:
    """`omeconsole serve ssh` on 127.0.0.1, a port the system chose."""

    def __init__(self, store: Path, workdir: Path, *extra: str):
        self.store, self.workdir = store, workdir
        self.host_key = workdir / "host_key"
        self.authorized_keys = workdir / "authorized_keys"
        self.extra = extra
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.banner: list[str] = []

    def start(self) -> "SshServer":
        env = clean_env()
        self.process = subprocess.Popen(
            [*OMECONSOLE, "--store", str(self.store), "serve", "ssh", "--listen",
             "127.0.0.1:0", "--host-key", str(self.host_key), "--authorized-keys", str(self.authorized_keys),
             *self.extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=env)
        for line in self.process.stdout:  # it says where it listens once it does
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Listening on 127.0.0.1:"):
                self.port = int(line.split(":")[1])
                return self
        raise AssertionError(f"the server did not start: {self.banner} {self.process.stderr.read()}")

    async def logged(self, *words: str, timeout: float = SCREEN_SECONDS) -> str:
        """The next line the server prints (one per audit entry) that holds all the words."""
        def read():
            for line in self.process.stdout:
                self.banner.append(line.rstrip("\n"))
                if all(word in line for word in words):
                    return line
            raise AssertionError(f"the server ended without logging {words}")
        return await within(timeout, asyncio.to_thread(read), f"the server printing a line with {words}")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=STARTUP_SECONDS)
        return self.process.returncode, out + err

    def children(self) -> list[int]:
        """The server's child processes, read from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found


class SshDoor:
    """Servers on a copy of a demo store, with keys for an admin, a helpdesk user, someone who is no tenant
    user (all three in the authorized-keys file) and one not listed; called with a server's extra options,
    it starts one."""

    def __init__(self, template: Path, workdir: Path):
        self.workdir = workdir
        self.store = workdir / "store"
        shutil.copytree(template, self.store)
        self.keys = {name: workdir / f"{name}_key" for name in ("admin", "helpdesk", "outsider", "unlisted")}
        public = {name: make_key(path) for name, path in self.keys.items()}
        lines = [authorized_line(ADMIN, public["admin"]), authorized_line(HELPDESK, public["helpdesk"]),
                 authorized_line("someone@fabrikam.com", public["outsider"])]
        (workdir / "authorized_keys").write_text("# the door's keys\n" + "\n".join(lines) + "\n")
        self.cli = CLI(self.store)
        self.servers: list[SshServer] = []

    def __call__(self, *extra: str) -> SshServer:
        self.servers.append(SshServer(self.store, self.workdir, *extra).start())
        return self.servers[-1]

    def stop_all(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.stop()


def ssh_entries(cli) -> list[dict]:
    """The audit log's entries the SSH door wrote."""
    return [e for e in json.loads(cli("audit", "--json").stdout) if e["Action"].startswith("ssh ")]


async def process_ended(pid: int, timeout: float = SCREEN_SECONDS) -> None:
    """Wait (without polling) until the process pid has ended: a pidfd becomes readable then."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
    try:
        await within(timeout, ended, f"process {pid} ending")
    finally:
        loop.remove_reader(fd)
        os.close(fd)


class RemoteConsole:
    """One SSH session as its user's terminal shows it."""

    def __init__(self, conn, process, columns: int, rows: int):
        self.conn, self.process = conn, process
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self._changed = asyncio.Event()
        self._reader = asyncio.gather(self._read(process.stdout), self._read(process.stderr))

    async def _read(self, stream) -> None:
        """Both streams reach the user's terminal, as they do with a real client."""
        while data := await stream.read(65536):
            self.raw += data
            self.stream.feed(data)
            self._changed.set()
        self._changed.set()

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, predicate, what: str = "the screen the test waits for",
                       timeout: float = SCREEN_SECONDS) -> None:
        """Until predicate(self) holds, checked each time output arrives; else an AssertionError saying WHAT."""
        async def until():
            while not predicate(self):
                if self._reader.done():
                    raise AssertionError(f"the session ended first:\n{self.text}")
                self._changed.clear()
                await self._changed.wait()
        await within(timeout, until(), lambda: f"{what}; the screen shows:\n{self.text}")

    async def wait_for_text(self, *words: str) -> None:
        await self.wait_for(lambda console: all(word in console.text for word in words), f"{words} on the screen")

    def type(self, data: str) -> None:
        self.process.stdin.write(data.encode())

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.process.change_terminal_size(columns, rows)

    async def close(self) -> None:
        """Hang up, and wait until the connection and this side's readers are done."""
        self.conn.close()
        await self.conn.wait_closed()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def ended(self, timeout: float = SCREEN_SECONDS) -> int:
        await within(timeout, self._reader, lambda: f"the session's output ending; the screen:\n{self.text}")
        result = await within(timeout, self.process.wait(check=False), "the session's process exiting")
        return result.exit_status


async def connect(port: int, key_path: Path | None = None, **options) -> asyncssh.SSHClientConnection:
    keys = [str(key_path)] if key_path else []
    return await asyncssh.connect("127.0.0.1", port, username="demo", client_keys=keys, known_hosts=None,
                                  agent_path=None, **options)


async def open_console(port: int, key_path: Path, columns: int = 110, rows: int = 32, env=None,
                       term_type: str = "xterm-256color") -> RemoteConsole:
    conn = await connect(port, key_path)
    process = await conn.create_process(term_type=term_type, term_size=(columns, rows), encoding=None,
                                        env=env or {})
    return RemoteConsole(conn, process, columns, rows)


class PtyTerminal:
    """A program on a fresh PTY here, as its terminal shows it (a pyte screen), every byte it wrote kept."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, columns: int = 110, rows: int = 30):
        from omeconsole.serve.ssh.pty_process import PtyProcess

        self.size = (columns, rows)
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.output = bytearray()
        self.changed = asyncio.Event()
        self.process = PtyProcess(argv, env, cwd, self._output)

    def _output(self, data: bytes) -> None:
        self.output += data
        self.stream.feed(data)
        self.changed.set()

    async def start(self) -> None:
        await self.process.start(*self.size)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def shows(self, *words: str, timeout: float = SCREEN_SECONDS) -> None:
        """Until every word is on the screen, checked each time output arrives."""
        async def until():
            while not all(word in self.text for word in words):
                self.changed.clear()
                await self.changed.wait()
        await within(timeout, until(), lambda: f"{words} on the screen; it shows:\n{self.text}")


class LocalConsole(PtyTerminal):
    """The console in its own process on a fresh PTY here (the way the SSH door starts one, without SSH)."""

    def __init__(self, store: Path, identity: str, columns: int = 110, rows: int = 30):
        env = clean_env()
        env.update(TERM="xterm-256color", TEXTUAL_COLOR_SYSTEM="256")
        super().__init__([*OMECONSOLE, "--store", str(store), "--as", identity], env, str(store), columns, rows)
