"""One SSH session: its own console process on its own PTY, as the identity the key signed in as."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import asyncssh

from omeconsole.core.audit.log import Outcome
from omeconsole.core.door_pass import DOOR_PASS_ENV
from omeconsole.core.errors import OmeError
from omeconsole.core.front_door import SESSION, SESSION_END, FrontDoorDesk
from omeconsole.core.text.times import human_span
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.ssh.pty_process import PtyProcess
from omeconsole.serve.terminal_size import clamped  # on the request and on every window change

# What a console that was stopped (not quit) leaves switched on in the client's terminal.
TERMINAL_RESET = ("\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l\x1b[?2048l"
                  "\x1b[?1004l\x1b[?7h\x1b[0m\x1b[?1049l\x1b[?25h")
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]{0,63}")
_SERVER_ENV = ("PATH", "PYTHONPATH", "HOME", "TZ", "OMECONSOLE_PASSPHRASE")


def terminal_type_problem(term: str) -> str | None:
    """Why the client's terminal type cannot be used (None if it can): the audit log and the
    server's output get it neutralised and cut, never whole."""
    if _TERM.fullmatch(term):
        return None
    cut = f" (cut from {len(term):,} characters)" if len(term) > 64 else ""
    return (f"the terminal type '{shown(term[:64])}'{cut} is not a plain name (letters, digits, '-', '.' "
            "and '+', at most 64 characters); set TERM to one, such as xterm-256color")


def console_env(term: str, client_env: dict[str, str], ssh_connection: str, door_pass: str) -> dict[str, str]:
    """The console's environment, built here. Of the client's variables only COLORTERM is read,
    and only to choose between 256 colours and truecolor; none is passed on. The door's pass
    tells the console who signed in, and how (core/door_pass.py)."""
    env = {name: os.environ[name] for name in _SERVER_ENV if name in os.environ}
    env.update(TERM=term, LANG="C.UTF-8", SSH_CONNECTION=ssh_connection, OMECONSOLE_FRONT_DOOR="ssh",
               **{DOOR_PASS_ENV: door_pass})
    if client_env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        env["COLORTERM"] = "truecolor"
    else:
        env["TEXTUAL_COLOR_SYSTEM"] = "256"
    return env


# What a session needs of its server and of its connection: door.py's DoorSettings, SshDoor and
# ConnectionGate. Door.py makes the sessions, so this module names them only by what it uses.
class SessionSettings(Protocol):
    @property
    def store(self) -> Path: ...
    @property
    def max_sessions(self) -> int: ...
    @property
    def idle_timeout(self) -> timedelta: ...


class SessionDoor(Protocol):
    @property
    def settings(self) -> SessionSettings: ...
    @property
    def desk(self) -> FrontDoorDesk: ...
    @property
    def sessions(self) -> set[ConsoleSession]: ...

    async def record(self, actor: str | None, action: str, outcome: Outcome, detail: str, peer: str) -> None: ...
    async def record_quietly(self, actor: str | None, action: str, outcome: Outcome, detail: str,
                             peer: str) -> None: ...


class SessionGate(Protocol):
    @property
    def door(self) -> SessionDoor: ...
    @property
    def conn(self) -> asyncssh.SSHServerConnection: ...
    @property
    def signed_in(self) -> asyncio.Future: ...  # the identity, once its sign-in is audited
    @property
    def accepted(self) -> tuple[str, str] | None: ...  # identity, fingerprint of the key that signed in
    @property
    def peer_host(self) -> str: ...
    @property
    def peer_port(self) -> int: ...
    @property
    def peer(self) -> str: ...


class ConsoleSession(asyncssh.SSHServerSession):
    chan: asyncssh.SSHServerChannel  # given by asyncssh before anything else: connection_made

    def __init__(self, gate: SessionGate):
        self.gate = gate
        self.door = gate.door
        self.term: str | None = None
        self.size = (80, 24)
        self.command: str | None = None
        self.console: PtyProcess | None = None
        self.last_input = time.monotonic()
        self.ended_by: str | None = None
        self.started = time.monotonic()
        self._typeahead = bytearray()
        self._task: asyncio.Task | None = None

    # -- what the client asks for --------------------------------------------------------

    def connection_made(self, chan) -> None:
        self.chan = chan

    def pty_requested(self, term_type, term_size, term_modes) -> bool:
        self.term = term_type or "xterm-256color"
        self.size = clamped(term_size[0] or 80, term_size[1] or 24)
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command  # refused with a message once the session starts
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        self._task = asyncio.create_task(self._run())

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.console:
            self.console.write(data)
        elif len(self._typeahead) < 4096:
            self._typeahead += data  # typed while the console starts

    def terminal_size_changed(self, width, height, pixwidth, pixheight) -> None:
        self.size = clamped(width or self.size[0], height or self.size[1])
        self.last_input = time.monotonic()
        if self.console:
            self.console.resize(*self.size)

    def pause_writing(self) -> None:
        if self.console:
            self.console.pause()

    def resume_writing(self) -> None:
        if self.console:
            self.console.resume()

    def eof_received(self) -> bool:
        return True  # keep the channel open: a console ends when it quits or the client goes

    def connection_lost(self, exc) -> None:
        self.ended_by = self.ended_by or "the client disconnected"
        if self._task and not self._task.done():
            self._task.cancel()

    # -- the session itself ----------------------------------------------------------------

    async def _run(self) -> None:
        identity = None
        try:
            identity = await self.gate.signed_in
            refusal = self._refusal()
            if refusal:
                await self.door.record(identity, SESSION, "refused", refusal, self.gate.peer)
                self._refuse(refusal)
                return
            await self._serve(identity)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # noqa: BLE001 - no audit entry, keyring, PTY or process to be had, or worse
            await self._failed_to_start(identity, error)
        finally:
            await asyncio.shield(self._end(identity))

    async def _failed_to_start(self, identity: str | None, error: Exception) -> None:
        """Whatever stopped the session: the channel closes with one line, and the log names the reason
        (when the audit log itself is what failed, the server's error output does)."""
        self.ended_by = f"cannot open a console: {_reason(error)}"
        await self.door.record_quietly(identity, SESSION, "failed", shown(self.ended_by)[:300], self.gate.peer)
        self._refuse(self.ended_by)

    def _refusal(self) -> str | None:
        if self.command is not None:
            return ("this server opens the omeconsole console only; it runs no commands "
                    "(connect without a command: ssh -t ...)")
        if self.term is None:
            return "the console needs a terminal, and this session asked for none: connect with ssh -t"
        if terminal_type_problem(self.term):
            return terminal_type_problem(self.term)
        if len(self.door.sessions) >= self.door.settings.max_sessions:
            return (f"this server allows {sessions(self.door.settings.max_sessions)} at once, and all are in use; "
                    "try again later")
        return None

    def _refuse(self, refusal: str) -> None:
        if not self.chan.is_closing():
            self.chan.write_stderr(f"omeconsole: {shown(refusal)}\r\n".encode())
            self.chan.exit(1)

    async def _serve(self, identity: str) -> None:
        self.door.sessions.add(self)
        columns, rows = self.size
        assert self.gate.accepted is not None  # a session starts only once a key has signed in
        door_pass = await asyncio.to_thread(self.door.desk.door_pass, identity, f"key {self.gate.accepted[1]}",
                                            self.gate.peer)
        await self.door.record(identity, SESSION, "success",
                               f"console opened on a {columns}x{rows} {self.term} terminal", self.gate.peer)
        console = self.console = PtyProcess(self._argv(identity), self._env(door_pass),
                                            str(self.door.settings.store), self._pass_output)
        await console.start(columns, rows)
        console.write(bytes(self._typeahead))
        idle = asyncio.create_task(self._watch_idle(console))
        try:
            status = await console.wait()
        finally:
            idle.cancel()
        if self.ended_by is None:
            self.ended_by = f"the console exited with status {status}"
            self.chan.exit(status if status >= 0 else 1)
        else:
            self._announce(self.ended_by)

    def _argv(self, identity: str) -> list[str]:
        return [sys.executable, "-P", "-m", "omeconsole", "--store", str(self.door.settings.store), "--as", identity]

    def _env(self, door_pass: str) -> dict[str, str]:
        assert self.term is not None  # a session without a terminal was refused (_refusal)
        local = self.gate.conn.get_extra_info("sockname")[:2]
        return console_env(self.term, dict(self.chan.get_environment()),
                           f"{self.gate.peer_host} {self.gate.peer_port} {local[0]} {local[1]}", door_pass)

    def _pass_output(self, data: bytes) -> None:
        if not self.chan.is_closing():
            self.chan.write(data)

    async def _watch_idle(self, console: PtyProcess) -> None:
        limit = self.door.settings.idle_timeout.total_seconds()
        while True:
            quiet = time.monotonic() - self.last_input
            if quiet >= limit:
                self.ended_by = (f"the session was closed after {human_span(self.door.settings.idle_timeout)} "
                                 "without input (the idle timeout); connect again to go on")
                await console.stop()
                return
            await asyncio.sleep(limit - quiet)

    async def finish(self, why: str) -> None:
        """End this session from the server's side (it is stopping), telling the user why."""
        self.ended_by = why
        if self.console:
            await self.console.stop()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)

    def _announce(self, why: str) -> None:
        if not self.chan.is_closing():
            self.chan.write(f"{TERMINAL_RESET}\r\nomeconsole: {shown(why)}\r\n".encode())
            self.chan.exit(1)

    async def _end(self, identity: str | None) -> None:
        """Whatever ended the session, its console and everything the console started go with it."""
        self.door.sessions.discard(self)
        if self.console is None:
            return
        await self.console.stop()
        lasted = human_span(timedelta(seconds=int(time.monotonic() - self.started)))
        ended_by = self.ended_by or "the session ended"
        await self.door.record_quietly(identity, SESSION_END, "success", f"{ended_by}; after {lasted}",
                                       self.gate.peer)


def _reason(error: Exception) -> str:
    """One line for what stopped a console from starting: an OmeError says it whole; anything else
    by its kind (and the system's words for an OSError), never a traceback."""
    if isinstance(error, OmeError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}"


def sessions(count: int) -> str:
    return f"{count} console session{'' if count == 1 else 's'}"
