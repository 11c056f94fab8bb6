"""The recipients' mail servers: an aiosmtpd sink on 127.0.0.1 that keeps every message it is given.

`serve mail --relay` hands mail to it; tests read what arrived (envelope and bytes), wait for a
number of messages, make it answer 451 or 550 for a while, or stop it and start it again on the
same port (a relay that is down, then back).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from support.waiting import within


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.refusal("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self.sink.refusal("DATA")
        if refusal:
            return refusal
        self.sink.keep(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 OK queued by the sink"


class _Controller(Controller):
    def _trigger_server(self):
        if not self.port:  # asked for a free port: learn which one before the readiness check uses it
            assert self.server is not None
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """An SMTP server on 127.0.0.1 that records what it receives. Thread-safe; use as a context manager."""

    def __init__(self):
        self.port = 0
        self.messages: list[Received] = []
        self.refused: list[str] = []  # every refusal it answered, in order
        self._lock = threading.Condition()
        self._reply: tuple[str, str, int | None] | None = None  # (stage, reply, how many more times)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future, int]] = []
        self._controller: _Controller | None = None

    # -- running -------------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        """Start listening: on a free port the first time, on the same port after `stop`."""
        controller = _Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                 server_hostname="sink.test", ready_timeout=30)
        controller.start()
        self.port, self._controller = controller.port, controller
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """HOST:PORT, as `serve mail --relay` takes it."""
        return f"127.0.0.1:{self.port}"

    # -- answers -------------------------------------------------------------------------------

    def answer(self, reply: str, *, stage: str = "RCPT", times: int | None = None) -> None:
        """Answer REPLY (like "451 4.3.0 Try again later" or "550 5.1.1 No such user") at RCPT or DATA,
        TIMES times (None: until `accept_all`)."""
        assert stage in ("RCPT", "DATA"), stage
        with self._lock:
            self._reply = (stage, reply, times)

    def accept_all(self) -> None:
        with self._lock:
            self._reply = None

    def refusal(self, stage: str) -> str | None:
        with self._lock:
            if self._reply is None or self._reply[0] != stage:
                return None
            _, reply, times = self._reply
            if times is not None:
                self._reply = (stage, reply, times - 1) if times > 1 else None
            self.refused.append(reply)
            self._lock.notify_all()
            return reply

    # -- what arrived --------------------------------------------------------------------------

    def keep(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)
            count = len(self.messages)
            ready = [(loop, future) for loop, future, wanted in self._waiters if count >= wanted]
            self._waiters = [w for w in self._waiters if count < w[2]]
            self._lock.notify_all()
        for loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def to(self, recipient: str) -> list[Received]:
        """The messages whose envelope names RECIPIENT."""
        return [m for m in self.received() if recipient in m.rcpt_tos]

    async def wait_for(self, count: int, seconds: float = 20) -> list[Received]:
        """Wait (in a test's event loop) until at least COUNT messages arrived; all of them."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if len(self.messages) >= count:
                return list(self.messages)
            self._waiters.append((loop, future, count))
        try:
            await within(seconds, future, lambda: f"{count} message(s) at the sink; it has {len(self.received())}")
        finally:
            with self._lock:
                self._waiters = [w for w in self._waiters if w[1] is not future]
        return self.received()

    def wait_for_sync(self, count: int, seconds: float = 20) -> list[Received]:
        """The same, for a test that has no event loop of its own."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.messages) >= count, timeout=seconds):
                raise AssertionError(f"not within {seconds}s: {count} message(s) at the sink; "
                                     f"it has {len(self.messages)}")
            return list(self.messages)

    def wait_for_refusals(self, count: int, seconds: float = 20) -> list[str]:
        """Wait until the sink answered COUNT refusals (a delivery attempt happened); all of them."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.refused) >= count, timeout=seconds):
                raise AssertionError(f"not within {seconds}s: {count} refusal(s) by the sink; "
                                     f"it answered {len(self.refused)}")
            return list(self.refused)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
