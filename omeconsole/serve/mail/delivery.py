"""The delivery loop of `serve mail`: what the outbound queue holds goes to the relay or the drop folder.

Each recipient's answer settles it in the queue and the Message Trace: a 2xx is delivered (Send to a
relay, Deliver into the drop folder), a 4xx or no answer at all is deferred (retried with backoff,
Failed after the retry window), a 5xx fails at once. The queue is files, and the portal (another
process) queues passcode mail there too, so the loop also looks at it twice a second.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from omeconsole.core.errors import OmeError
from omeconsole.core.mail.outbound import Delivery, OutboundQueue, Outcome
from omeconsole.serve.listen import shown

LOOK_AGAIN = 0.5  # seconds: new queue files from the portal are seen at least this often
AT_ONCE = 4  # deliveries in flight at once; their outcomes are settled in the store in batches
RELAY_TIMEOUT = 20.0  # seconds without an answer from the relay: deferred
INDEX_EVERY = 1.0  # seconds between filings of the trace index


@dataclass(frozen=True)
class Answer:
    """One recipient's answer: an SMTP code and its text, or code None when nobody answered."""

    code: int | None
    text: str

    @property
    def verdict(self) -> Literal["delivered", "deferred", "failed"]:
        if self.code is not None and 200 <= self.code < 300:
            return "delivered"
        return "failed" if self.code is not None and self.code >= 500 else "deferred"


@dataclass(frozen=True)
class Handed:
    answers: dict[str, Answer]
    to_ip: str | None = None


class Target(Protocol):
    event: Literal["Send", "Deliver"]

    def hand(self, delivery: Delivery, data: bytes) -> Handed: ...

    def describe(self) -> str: ...


class Relay:
    """A smart host: smtplib, one connection per delivery, each recipient's answer kept."""

    event: Literal["Send", "Deliver"] = "Send"

    def __init__(self, host: str, port: int, helo: str, timeout: float = RELAY_TIMEOUT):
        self.host, self.port, self.helo, self.timeout = host, port, helo, timeout

    def describe(self) -> str:
        return f"the relay {shown(self.host, self.port)}"

    def hand(self, delivery: Delivery, data: bytes) -> Handed:
        try:
            client = smtplib.SMTP(self.host, self.port, local_hostname=self.helo, timeout=self.timeout)
        except smtplib.SMTPConnectError as refused:  # it answered, but not with a greeting
            return self._everyone(delivery, refused.smtp_code, _text(refused.smtp_error))
        except (OSError, smtplib.SMTPException) as error:
            return self._everyone(delivery, None, f"{self.describe()} did not answer: {_reason(error)}")
        try:
            to_ip = str(client.sock.getpeername()[0]) if client.sock else None
            answers = self._converse(client, delivery, data)
        except (OSError, smtplib.SMTPException) as error:
            return self._everyone(delivery, None, f"{self.describe()} broke off: {_reason(error)}")
        except UnicodeError:  # an address that needs SMTPUTF8, and the relay does not offer it
            return self._everyone(delivery, 553, "5.6.7 Non-ASCII address: the relay does not offer SMTPUTF8")
        finally:
            _quietly_quit(client)
        return Handed(answers, to_ip)

    def _converse(self, client: smtplib.SMTP, delivery: Delivery, data: bytes) -> dict[str, Answer]:
        client.ehlo_or_helo_if_needed()
        code, text = client.mail(delivery.mail_from, _mail_options(client, delivery, data))
        if code != 250:
            return self._everyone(delivery, code, _text(text)).answers
        answers, taken = {}, []
        for recipient in delivery.recipients:
            code, text = client.rcpt(recipient)
            if code in (250, 251):
                taken.append(recipient)
            else:
                answers[recipient] = self._answer(code, _text(text))
        if taken:
            said: bytes | str
            try:
                code, said = client.data(data)
            except smtplib.SMTPDataError as refused:
                code, said = refused.smtp_code, refused.smtp_error
            answers.update({recipient: self._answer(code, _text(said)) for recipient in taken})
        return answers

    def _answer(self, code: int, text: str) -> Answer:
        return Answer(code, f"{code} {text} from {self.describe()}")

    def _everyone(self, delivery: Delivery, code: int | None, text: str) -> Handed:
        answer = self._answer(code, text) if code is not None else Answer(None, text)
        return Handed({recipient: answer for recipient in delivery.recipients})


def _mail_options(client: smtplib.SMTP, delivery: Delivery, data: bytes) -> list[str]:
    options = [f"SIZE={len(data)}"] if client.has_extn("size") else []
    if not data.isascii() and client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not (delivery.mail_from + "".join(delivery.recipients)).isascii() or _header_is_8bit(data):
        options.append("SMTPUTF8")  # smtplib then speaks UTF-8; a relay without it refuses MAIL with 5xx
    return options


def _header_is_8bit(data: bytes) -> bool:
    return not data.split(b"\r\n\r\n", 1)[0].isascii()


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    return " ".join((getattr(error, "strerror", None) or str(error) or type(error).__name__).split()).lower()


def _quietly_quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


class DropFolder:
    """IIS's drop directory: one .eml per delivery, named by its id (a repeat overwrites), written whole."""

    event: Literal["Send", "Deliver"] = "Deliver"

    def __init__(self, path: Path):
        self.path = path

    def describe(self) -> str:
        return f"the drop folder {self.path}"

    def hand(self, delivery: Delivery, data: bytes) -> Handed:
        target = self.path / f"{delivery.id}.eml"
        envelope = (f"X-Sender: {delivery.mail_from}\r\n"
                    + "".join(f"X-Receiver: {r}\r\n" for r in delivery.recipients)).encode("utf-8")
        try:
            _write_whole(target, envelope + data)
        except OSError as error:
            answer = Answer(None, f"could not write to {self.describe()}: {_reason(error)}")
        else:
            answer = Answer(250, f"Delivered to {self.describe()} as {target.name}")
        return Handed({recipient: answer for recipient in delivery.recipients})


def _write_whole(target: Path, data: bytes) -> None:
    """Temp file, fsync, rename, fsync the folder: a reader sees no file or the whole file."""
    temporary = target.with_name(f".{target.name}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class DeliveryLoop:
    """Hands each due delivery to the target, AT_ONCE at a time; sleeps until the next is due, new mail
    is accepted (`wake`), or LOOK_AGAIN has passed."""

    def __init__(self, queue: OutboundQueue, target: Target, say: Callable[[str], None],
                 file_index: Callable[[], None] = lambda: None):
        self.queue, self.target, self.say = queue, target, say
        self.file_index = file_index
        self.wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task] = {}
        self._slots = asyncio.Semaphore(AT_ONCE)
        self._last_problem = ""
        self._filed_at = 0.0
        self._unsettled: list[tuple[list[Outcome], asyncio.Future]] = []
        self._settler: asyncio.Task | None = None

    async def run(self) -> None:
        while True:
            self.wake.clear()
            pause = await self._start_due()
            await self._file_index()
            try:
                await asyncio.wait_for(self.wake.wait(), pause)
            except TimeoutError:
                pass

    async def _file_index(self) -> None:
        """The trace index, brought up to date with what was accepted and delivered, once a second at
        most: one rewrite of each partition for all of it, not one per message (see MailFlow.file_index)."""
        now = asyncio.get_running_loop().time()
        if now - self._filed_at < INDEX_EVERY:
            return
        self._filed_at = now
        await self.file_index_now()

    async def file_index_now(self) -> None:
        try:
            await asyncio.to_thread(self.file_index)
        except (OmeError, OSError) as problem:
            self._tell(f"serve mail: cannot file the trace index: {_one_line(problem)}")

    async def finish(self) -> None:
        """Let the deliveries in flight settle (each is bounded by the relay's timeout)."""
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _start_due(self) -> float:
        """Start what is due; how long until the next delivery is due (at most LOOK_AGAIN)."""
        try:
            waiting = [d for d in await asyncio.to_thread(self.queue.all) if d.id not in self._in_flight]
        except (OmeError, OSError) as problem:
            self._tell(f"serve mail: cannot read the outbound queue: {_one_line(problem)}")
            return LOOK_AGAIN
        for damaged in self.queue.damaged:
            self._tell(f"serve mail: {_one_line(damaged)}; it stays as it is, and the rest of the queue goes on")
        now = self.queue.clock()
        pause = LOOK_AGAIN
        for delivery in waiting:
            if delivery.due_at <= now:
                self._in_flight[delivery.id] = asyncio.create_task(self._deliver(delivery))
            else:
                pause = min(pause, (delivery.due_at - now).total_seconds())
        return pause

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            try:
                async with self._slots:
                    outcomes = await asyncio.to_thread(self._hand, delivery)
            except Exception as problem:  # noqa: BLE001 - one line for a person, and the loop goes on
                self._tell(f"serve mail: delivery {delivery.id} stays queued: {_one_line(problem)}")
                await self._back_off(delivery, _one_line(problem))
                return
            try:
                await self._settled(outcomes)
            except Exception as problem:  # noqa: BLE001 - the store refused the record; it stays queued as it was
                self._tell(f"serve mail: cannot record delivery {delivery.id}: {_one_line(problem)}")
        finally:
            self._in_flight.pop(delivery.id, None)

    async def _back_off(self, delivery: Delivery, reason: str) -> None:
        """Tried again later, not at every look at the queue (and failed once the retry window is over)."""
        try:
            await asyncio.to_thread(self.queue.deferred, delivery, list(delivery.recipients), reason)
        except Exception as problem:  # noqa: BLE001 - the store itself is in trouble; said once already
            self._tell(f"serve mail: cannot record a delivery's trouble: {_one_line(problem)}")

    def _hand(self, delivery: Delivery) -> list[Outcome]:
        """Hand the delivery on; each recipient's outcome (settled in the store by `_settled`)."""
        handed = self.target.hand(delivery, self.queue.wire_bytes(delivery))
        settled: dict[tuple[str, str], list[str]] = {}
        deferred: dict[str, list[str]] = {}
        for recipient, answer in handed.answers.items():
            if answer.verdict == "deferred":
                deferred.setdefault(answer.text, []).append(recipient)
            else:
                settled.setdefault((answer.verdict, answer.text), []).append(recipient)
        outcomes = [Outcome(delivery, recipients, "delivered", text, self.target.event, handed.to_ip)
                    if verdict == "delivered" else Outcome(delivery, recipients, "failed", text)
                    for (verdict, text), recipients in settled.items()]
        if deferred:  # one attempt, however many reasons
            outcomes.append(Outcome(delivery, [r for group in deferred.values() for r in group], "deferred",
                                    "; ".join(deferred)))
        return outcomes

    async def _settled(self, outcomes: list[Outcome]) -> None:
        """Wait until these outcomes are in the store. What finishes while one batch is being written goes
        in the next, so under load many deliveries share one change of the store."""
        done = asyncio.get_running_loop().create_future()
        self._unsettled.append((outcomes, done))
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._settle_batches())
        await done

    async def _settle_batches(self) -> None:
        while self._unsettled:
            batch, self._unsettled = self._unsettled, []
            try:
                await asyncio.to_thread(self.queue.settle, [o for outcomes, _ in batch for o in outcomes])
            except Exception as problem:  # noqa: BLE001 - each waiting delivery reports it
                for _, done in batch:
                    done.set_exception(problem)
            else:
                for _, done in batch:
                    done.set_result(None)

    def _tell(self, line: str) -> None:
        if line != self._last_problem:  # said once, not twice a second
            self._last_problem = line
            self.say(line)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
