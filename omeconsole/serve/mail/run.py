"""`omeconsole serve mail`: check everything it needs, say where it listens and delivers, then serve
SMTP and deliver the queue until stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from omeconsole.core.errors import OmeError, UsageError
from omeconsole.core.mail.portal_link import LINK_PATH
from omeconsole.core.mail.transport import MailFlow
from omeconsole.core.store.store import Store
from omeconsole.core.text.times import human_span, parse_span, utcnow
from omeconsole.serve.listen import is_loopback, parse_listen, shown
from omeconsole.serve.mail.delivery import DeliveryLoop, DropFolder, Relay, Target
from omeconsole.serve.mail.smtp import MailHandler, MailSmtp, Sessions
from omeconsole.serve.refusal_tally import RefusalTally

RETRY_RANGE = (timedelta(seconds=1), timedelta(days=7))
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def check_mail_listen(listen: str) -> tuple[str, int]:
    host, port = parse_listen(listen)
    if not is_loopback(host):
        raise UsageError(f"serve mail takes mail only from this machine for now: --listen {listen!r} is not a "
                         "loopback address (127.0.0.1, ::1 or localhost)")
    return host, port


def check_portal_url(url: str) -> str:
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise UsageError(f"--portal-url {url!r} is not an http or https URL with a host and no query or fragment, "
                         "like http://127.0.0.1:8080")
    return parts.geturl().rstrip("/")


def check_relay(relay: str) -> tuple[str, int]:
    try:
        host, port = parse_listen(relay)
    except UsageError:
        host, port = "", 0
    if not host or not 1 <= port <= 65535:
        raise UsageError(f"--relay {relay!r} is not HOST:PORT, like 127.0.0.1:25")
    return host, port


def check_retry_window(text: str) -> timedelta:
    span = parse_span(text, "retry window")
    if not RETRY_RANGE[0] <= span <= RETRY_RANGE[1]:
        raise UsageError(f"the retry window is from 1s to 168h; {text!r} is {human_span(span)}")
    return span


def check_drop_dir(path: Path) -> Path:
    path = path.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--drop-dir {path}: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--drop-dir {path} is not a folder this user can write to")
    return path


def serve_mail(store_root: Path, listen: str, relay: str | None, drop_dir: Path | None, portal_url: str,
               retry_window: str, say: Callable[[str], None],
               clock: Callable[[], datetime] = utcnow) -> int:
    host, port = check_mail_listen(listen)
    url = check_portal_url(portal_url)
    retry = check_retry_window(retry_window)
    if (relay is None) == (drop_dir is None):
        raise UsageError("serve mail delivers to exactly one of --relay HOST:PORT or --drop-dir DIR")
    relay_address = check_relay(relay) if relay else None
    flow = MailFlow(Store.open(store_root), portal_url=url, clock=clock)
    flow.queue.retry_window = retry
    target: Target = (Relay(*relay_address, helo=flow.host) if relay_address
                      else DropFolder(check_drop_dir(drop_dir or Path())))
    _quiet_library_logs()
    title = f"omeconsole serve mail for {flow.tenant().organization}, store {store_root}"
    return asyncio.run(_serve(flow, (host, port), target, title, say))


def _quiet_library_logs() -> None:
    """aiosmtpd logs each connection, and tracebacks; a person sees our one-line messages instead."""
    library = logging.getLogger("mail.log")
    library.addHandler(logging.NullHandler())
    library.propagate = False


async def _serve(flow: MailFlow, listen: tuple[str, int], target: Target, title: str,
                 say: Callable[[str], None]) -> int:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: say(f"serve mail: {_described(context)}"))
    deliveries = DeliveryLoop(flow.queue, target, say, flow.file_index)
    tally = RefusalTally(_audit_refusal(flow, say))
    sessions = Sessions()
    handler = MailHandler(flow, tally, deliveries.wake.set, say)
    server = await _listen(listen, lambda: MailSmtp(handler, flow.host, sessions))
    say(title)
    say(f"Listening on {shown(listen[0], server.sockets[0].getsockname()[1])} for SMTP from this machine; "
        f"delivering to {target.describe()}; portal links {flow.portal_url}{LINK_PATH}...; retrying for "
        f"{human_span(flow.queue.retry_window)}. Stop with ctrl+c.")
    stop = asyncio.Event()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    dropped = await asyncio.to_thread(flow.queue.drop_unacknowledged)
    if dropped:
        say(f"Dropped {dropped} queued deliveries of messages a crash kept from being stored (and so from a 250); "
            "their senders send them again.")
    delivering = asyncio.create_task(deliveries.run())
    await stop.wait()
    server.close()  # no new connection; each DATA in progress ends with its answer, then connections close
    await sessions.close()
    delivering.cancel()
    await deliveries.finish()
    await deliveries.file_index_now()  # what this run accepted, filed in the index before it stops
    await tally.close()
    say("Stopped; every acknowledged message not yet delivered stays queued for the next start.")
    return 0


async def _listen(listen: tuple[str, int], protocol: Callable[[], MailSmtp]) -> asyncio.Server:
    try:
        return await asyncio.get_running_loop().create_server(protocol, *listen)
    except OSError as error:
        raise OmeError(f"serve mail cannot listen on {shown(*listen)}: {error.strerror or error}") from None


def _audit_refusal(flow: MailFlow, say: Callable[[str], None]):
    async def record(peer: str, detail: str, count: int) -> None:
        try:
            await asyncio.to_thread(flow.audit_refusal, peer, detail, count)
        except Exception as error:  # noqa: BLE001 - the server goes on; a person is told in one line
            say(f"serve mail: could not audit a refusal from {peer}: {' '.join(str(error).split())}")
    return record


def _described(context: dict) -> str:
    error = context.get("exception")
    what = " ".join(str(error).split()) if error else ""
    return f"{context.get('message', 'error')}{': ' + what if what else ''}"
