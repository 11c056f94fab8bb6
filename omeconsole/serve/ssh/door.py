"""The SSH front door: public keys sign in as tenant identities, each session gets its own console.

Nobody needs a shell account: the server is this process (asyncssh), and what a session can
do is what the console can do as the identity its key names in the authorized-keys file.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncssh

from omeconsole.core.audit.log import Outcome
from omeconsole.core.errors import OmeError
from omeconsole.core.front_door import SIGN_IN, FrontDoorDesk
from omeconsole.core.text.times import human_span
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.refusal_tally import RefusalTally
from omeconsole.serve.ssh.authorized_keys import AuthorizedKeys
from omeconsole.serve.ssh.session import ConsoleSession

LOGIN_TIMEOUT = 30
KEEPALIVE_SECONDS = 15  # a client that vanished is noticed within a minute, and its console ended
MAX_KEYS_PER_CONNECTION = 6  # OpenSSH's MaxAuthTries
MAX_UNAUTHENTICATED = 10  # connections not yet signed in, at once (OpenSSH's MaxStartups idea)


@dataclass(frozen=True)
class DoorSettings:
    store: Path
    host: str
    port: int
    host_key: asyncssh.SSHKey
    authorized_keys: Path
    max_sessions: int
    idle_timeout: timedelta


class SshDoor:
    """The server: its settings, the store's desk, and the sessions open now."""

    tally: RefusalTally  # made by start(), on the server's event loop

    def __init__(self, settings: DoorSettings, desk: FrontDoorDesk):
        self.settings = settings
        self.keys = AuthorizedKeys(settings.authorized_keys)
        self.desk = desk
        self.sessions: set[ConsoleSession] = set()
        self.signing_in: set[ConnectionGate] = set()  # connections open now that have not signed in

    async def start(self) -> asyncssh.SSHAcceptor:
        self.tally = RefusalTally(self._record_refusals)
        return await asyncssh.create_server(
            lambda: ConnectionGate(self), self.settings.host, self.settings.port,
            server_host_keys=[self.settings.host_key], encoding=None, line_editor=False,
            allow_pty=True, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
            login_timeout=LOGIN_TIMEOUT, keepalive_interval=KEEPALIVE_SECONDS, keepalive_count_max=4)

    async def record(self, actor: str | None, action: str, outcome: Outcome, detail: str, peer: str) -> None:
        await asyncio.to_thread(self._record_and_log, actor, action, outcome, detail, peer)

    def _record_and_log(self, actor: str | None, action: str, outcome: Outcome, detail: str, peer: str) -> None:
        """The audit entry first; then the same line on the server's output, for whoever runs it.
        In a worker thread: a slow disk or a paused terminal never holds up the sessions' traffic."""
        entry = self.desk.record(actor, action, outcome, detail, peer)
        try:
            print(shown(f"{entry.time} {peer} {entry.actor}: {action} {outcome}: {entry.detail}"), flush=True)
        except OSError:
            pass  # nobody reads the server's output any more; the audit log has the entry

    async def record_quietly(self, actor: str | None, action: str, outcome: Outcome, detail: str, peer: str) -> None:
        """For what has already happened (a session's end): a failure is reported, not raised."""
        try:
            await self.record(actor, action, outcome, detail, peer)
        except OmeError as error:
            print(shown(f"omeconsole: {error}"), file=sys.stderr, flush=True)

    async def _record_refusals(self, peer_host: str, detail: str, count: int) -> None:
        await self.record_quietly(None, SIGN_IN, "refused", detail, peer_host)

    def no_room_to_sign_in(self, peer_host: str) -> str | None:
        """Why a new connection from PEER_HOST may not wait to sign in now (None if it may)."""
        if len(self.signing_in) >= MAX_UNAUTHENTICATED:
            return f"{MAX_UNAUTHENTICATED} connections were already waiting to sign in"
        return None

    def refused_before_sign_in(self, peer_host: str, detail: str) -> None:
        """Counted, and written at most twice a minute per host (RefusalTally): a flood costs the log little."""
        self.tally.refused(peer_host, detail)

    async def close_sessions(self) -> None:
        """Stopping (after the listener closed): every console ends, every connection still signing in
        is cut and counted, and then what the tally holds is written."""
        await asyncio.gather(*(session.finish("the server was stopped") for session in list(self.sessions)))
        await asyncio.gather(*(gate.cut() for gate in list(self.signing_in)), return_exceptions=True)
        await self.tally.close()

    def banner(self) -> str:
        return (f"omeconsole: sign in with an SSH key listed for you on this server; passwords and "
                f"keyboard-interactive sign-in are refused. Sessions close after "
                f"{human_span(self.settings.idle_timeout)} without input.\r\n")


class ConnectionGate(asyncssh.SSHServer):
    """One connection's sign-in: which keys it offered, which identity (if any) it signed in as."""

    conn: asyncssh.SSHServerConnection  # given by asyncssh before anything else: connection_made

    def __init__(self, door: SshDoor):
        self.door = door
        self.peer_host, self.peer_port = "?", 0
        self.username = ""
        self.refused: dict[str, str] = {}  # fingerprint -> why
        self.accepted: tuple[str, str] | None = None  # identity, fingerprint of the key last found acceptable
        self.authenticated = False
        self.sessions_opened = 0
        self.dropped = False  # over the door's count of connections signing in: closed at once
        self.signed_in: asyncio.Future = asyncio.get_running_loop().create_future()
        self.gone: asyncio.Future = asyncio.get_running_loop().create_future()

    @property
    def peer(self) -> str:
        return f"{self.peer_host}:{self.peer_port}"

    def connection_made(self, conn) -> None:
        self.conn = conn
        self.peer_host, self.peer_port = conn.get_extra_info("peername")[:2]
        if why := self.door.no_room_to_sign_in(self.peer_host):
            self.dropped = True
            self.door.refused_before_sign_in(self.peer_host, f"connection from {self.peer} dropped: {why}")
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        self.door.signing_in.add(self)

    async def cut(self) -> None:
        """Close this connection (the server is stopping), and wait until its end is counted."""
        self.conn.abort()
        await asyncio.wait_for(asyncio.shield(self.gone), LOGIN_TIMEOUT)

    def begin_auth(self, username: str) -> bool:
        self.username = username
        self.conn.send_auth_banner(self.door.banner())
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint()
        if fingerprint in self.refused:
            return False
        if len(self.refused) >= MAX_KEYS_PER_CONNECTION:
            self.door.refused_before_sign_in(self.peer_host, f"connection from {self.peer} closed: more than "
                                             f"{MAX_KEYS_PER_CONNECTION} keys offered")
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                 f"too many keys offered (at most {MAX_KEYS_PER_CONNECTION})")
            return False
        judged = await asyncio.to_thread(self._judge, key)
        if isinstance(judged, str):
            self.accepted = (judged, fingerprint)
            return True
        identity, why, told = judged
        self.refused[fingerprint] = why
        who = f" ({identity})" if identity else ""
        self.door.refused_before_sign_in(self.peer_host, f"key {fingerprint}{who} from {self.peer}: {why}")
        self.conn.send_auth_banner(f"omeconsole: key {fingerprint} was refused: {shown(told)}.\r\n")
        return False

    def _judge(self, key: asyncssh.SSHKey) -> str | tuple[str | None, str, str]:
        """The identity the key signs in as; or, refused, the identity it names (if any), why, and what
        the client is told."""
        try:
            entry = self.door.keys.identity_for(key)
            if entry is None:
                why = "it is not in this server's authorized-keys file; ask an administrator to add it"
                return None, why, why
            refusal = self.door.desk.refusal(entry.identity)
            return entry.identity if refusal is None else (entry.identity, refusal, refusal)
        except OmeError as error:  # the full reason (paths and all) is for the audit log, not the client
            return None, str(error), "the server cannot check keys right now; tell its administrator"

    def auth_completed(self) -> None:
        self.authenticated = True
        self.door.signing_in.discard(self)
        asyncio.create_task(self._record_sign_in())
        asyncio.get_running_loop().call_later(LOGIN_TIMEOUT, self._close_if_idle)

    def _close_if_idle(self) -> None:
        """A connection that signed in but opened no session (ssh -N) does not hold on for ever."""
        if not self.sessions_opened:
            self.conn.close()

    async def _record_sign_in(self) -> None:
        assert self.accepted is not None  # asyncssh completes the sign-in only after a key was accepted
        identity, fingerprint = self.accepted
        try:
            await self.door.record(identity, SIGN_IN, "success",
                                   f"key {fingerprint}; SSH user name {self.username[:64]!r}", self.peer)
        except OmeError as error:
            self.signed_in.set_exception(error)
            return
        self.signed_in.set_result(identity)

    def session_requested(self) -> ConsoleSession:
        self.sessions_opened += 1
        return ConsoleSession(self)

    def connection_lost(self, exc) -> None:
        self.door.signing_in.discard(self)
        if not self.authenticated and not self.dropped:
            offered = f"{len(self.refused)} refused key(s)" if self.refused else "no public key was offered"
            self.door.refused_before_sign_in(
                self.peer_host, f"connection from {self.peer} closed without signing in ({offered}; only public "
                                f"keys are accepted); SSH user name '{shown(self.username[:64])}'")
        if not self.gone.done():
            self.gone.set_result(None)
