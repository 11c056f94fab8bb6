"""The SMTP side of `serve mail`: aiosmtpd speaks the protocol, MailFlow decides.

Each refusal is answered with the code and text Exchange would give, and is audited through a
RefusalTally (the first at once, the rest of a client's minute as one entry with their count).
A message is acknowledged with 250 only once MailFlow.accept has made it durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.send import MAX_RECIPIENTS
from omeconsole.core.mail.transport import (
    BAD_RECIPIENT,
    BAD_SENDER,
    MAX_MESSAGE_BYTES,
    TOO_BIG,
    TOO_MANY_RECIPIENTS,
    MailFlow,
    SmtpEnvelope,
    SmtpReply,
)
from omeconsole.serve.refusal_tally import RefusalTally

TRY_LATER = SmtpReply(451, "4.3.0", "Temporary server error, please try again later")
CLOSING = SmtpReply(421, "4.3.2", "Service not available, closing transmission channel")

STOP_GRACE = 30.0  # seconds a stop waits for the DATA in progress to be answered

# aiosmtpd's own answers, in the words Exchange uses (some depend on the command they answer)
_REWORDED = {
    "552 Error: message size exceeds fixed maximum message size": TOO_BIG.line(),
    "552 Error: Too much mail data": TOO_BIG.line(),
    "503 Error: send HELO first": "503 5.5.2 Send hello first",
    "500 Line too long (see RFC5321 4.5.3.1.6)": "500 5.5.2 Line too long",
    "500 Command line too long": "500 5.5.2 Command line too long",
}
_REWORDED_FOR = {
    ("MAIL", "553 5.1.3 Error: malformed address"): BAD_SENDER.line(),
    ("RCPT", "553 5.1.3 Error: malformed address"): BAD_RECIPIENT.line(),
}


def client_ip(session: Session) -> str:
    return str(session.peer[0]) if isinstance(session.peer, tuple) else str(session.peer)


class MailHandler:
    """aiosmtpd's handler: each command checked by MailFlow, each refusal counted for the audit log."""

    def __init__(self, flow: MailFlow, tally: RefusalTally, accepted: Callable[[], None],
                 say: Callable[[str], None]):
        self.flow, self.tally, self.accepted, self.say = flow, tally, accepted, say

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        try:
            sender = await asyncio.to_thread(self.flow.check_sender, address, client_ip(session))
        except SmtpReply as reply:
            return reply.line()
        envelope.mail_from = sender
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS.line()
        try:
            recipient = self.flow.check_recipient(address)
        except SmtpReply as reply:
            return reply.line()
        if recipient not in envelope.rcpt_tos:
            envelope.rcpt_tos.append(recipient)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.mail_from is not None and envelope.original_content is not None
        incoming = SmtpEnvelope(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content,
                                client_ip(session), _server_ip(server), smtputf8=envelope.smtp_utf8)
        try:
            message = await asyncio.to_thread(self.flow.accept, incoming)
        except SmtpReply as reply:
            return reply.line()
        except (OmeError, OSError) as error:  # the store cannot take it now: the client keeps it and retries
            self.say(f"serve mail: could not store a message from {incoming.client_ip}: {error}")
            return TRY_LATER.line()
        self.accepted()
        return f"250 2.6.0 {message.message_id} Queued mail for delivery"

    async def handle_exception(self, error: Exception) -> str:
        self.say(f"serve mail: {type(error).__name__}: {' '.join(str(error).split())}")
        return TRY_LATER.line()

    def refused(self, session: Session | None, line: str) -> None:
        self.tally.refused(client_ip(session) if session else "unknown", line)


def _server_ip(server: SMTP) -> str:
    sockname = server.transport.get_extra_info("sockname") if server.transport else None
    return str(sockname[0]) if sockname else ""


class Sessions:
    """The open SMTP connections, so that a stop lets each DATA in progress end with its answer first."""

    def __init__(self) -> None:
        self.open: set[MailSmtp] = set()
        self.busy = 0
        self.closing = False
        self._idle = asyncio.Event()
        self._idle.set()

    def data_started(self) -> None:
        self.busy += 1
        self._idle.clear()

    def data_ended(self) -> None:
        self.busy -= 1
        if not self.busy:
            self._idle.set()

    async def close(self) -> None:
        self.closing = True
        try:
            await asyncio.wait_for(self._idle.wait(), STOP_GRACE)
        except TimeoutError:
            pass  # a client still sending after that: it was not answered 250, and will send again
        for session in list(self.open):
            if session.transport is not None:
                session.transport.close()


class MailSmtp(SMTP):
    """aiosmtpd's SMTP with Exchange's limits and words, and every refusal reported to the handler."""

    event_handler: MailHandler
    # RFC 5321 says 1,000 octets a line, but clients that write whole bodies on one line are common and
    # Exchange takes them: up to 64 KiB a line is kept; a longer one is refused (500 5.5.2)
    line_length_limit = 64 * 1024

    def __init__(self, handler: MailHandler, hostname: str, sessions: Sessions):
        # data_size_limit: aiosmtpd stops keeping DATA past the limit and reads the rest away.
        super().__init__(handler, data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True, decode_data=False,
                         hostname=hostname, ident="omeconsole serve mail", loop=asyncio.get_running_loop())
        self._command = ""
        self.sessions = sessions

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sessions.open.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.sessions.open.discard(self)
        super().connection_lost(error)

    async def smtp_MAIL(self, arg: str | None) -> None:
        await self._answering("MAIL", super().smtp_MAIL(arg))

    async def smtp_RCPT(self, arg: str | None) -> None:
        await self._answering("RCPT", super().smtp_RCPT(arg))

    async def smtp_DATA(self, arg: str) -> None:
        if self.sessions.closing:
            await self.push(CLOSING.line())
            return
        self.sessions.data_started()
        try:
            await self._answering("DATA", super().smtp_DATA(arg))
        finally:
            self.sessions.data_ended()

    async def _answering(self, command: str, handled: Coroutine[Any, Any, None]) -> None:
        self._command = command
        try:
            await handled
        finally:
            self._command = ""

    async def push(self, status: str | bytes) -> None:
        line = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        line = _REWORDED_FOR.get((self._command, line)) or _REWORDED.get(line, line)
        if line[:1] in ("4", "5") and not line.startswith("421"):  # 421: closing, not a refusal of mail
            self.event_handler.refused(self.session, f"{self._command or 'SMTP'}: {line}")
        await super().push(line)
