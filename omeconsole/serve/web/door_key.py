"""The browser door's key: one random token per start, and the checks every page and WebSocket pass.

The token is what makes the browser door a door: only someone with the URL printed at start can
open the console, and a web page elsewhere cannot drive it (it knows no token, and a browser
names the page that opens a WebSocket in its Origin header, which must be the door's own).
It does not stop whoever sees the URL; stopping the door is what revokes it.

The door's own origin is the one in the URL it printed, or the one the browser actually used when
that names this door: a door on 127.0.0.1 opened as http://localhost:PORT (its page then points
its WebSocket there too), or a door on 0.0.0.0 reached at one of its addresses. The names come from
the listening address and this machine's resolver (omeconsole.serve.listen.names_of); any other
site is refused.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from omeconsole.core.text.times import format_iso, utcnow
from omeconsole.core.text.untrusted import shown
from omeconsole.serve.listen import names_of
from omeconsole.serve.listen import shown as host_port

TOKEN_BYTES = 32  # 256 bits from the system's CSPRNG
ORIGIN_SHOWN = 100  # how much of a foreign Origin the audit entry keeps
_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?")

REFUSED_PAGE = ("omeconsole: this browser door opens only with the URL it printed when it started, token and "
                "all. Ask whoever started it for that URL.")
REFUSED_ORIGIN = "omeconsole: this browser door takes WebSockets from its own page only."


class Refusal(NamedTuple):
    why: str  # for the audit log
    told: str  # the body of the 403


def door_url(host: str, port: int) -> str:
    """http://HOST:PORT as a browser writes it (and so as it sends it in Origin)."""
    bracketed = f"[{host}]" if ":" in host else host
    return f"http://{bracketed.lower()}" if port == 80 else f"http://{host_port(host.lower(), port)}"


class DoorKey:
    """One start's token, when it was made, and the door's own origin and names."""

    def __init__(self, host: str, port: int):
        self.token = secrets.token_urlsafe(TOKEN_BYTES)
        self.started: datetime = utcnow()
        self.origin = door_url(host, port)  # the printed URL's
        self.port = port
        self.names = names_of(host)

    @property
    def started_iso(self) -> str:
        return format_iso(self.started)

    @property
    def page_url(self) -> str:
        return f"{self.origin}/?token={self.token}"

    def socket_url(self, origin: str) -> str:
        """In the path: textual-serve's page adds its own `?width=..&height=..` to this URL."""
        return f"ws{origin[4:]}/ws/{self.token}"

    def used_origin(self, host: str | None, local_address: str | None) -> str | None:
        """http://HOST, from the Host header the browser sent, when HOST names this door: its port, and one
        of its names or the address this connection reached. None for any other."""
        host = (host or "").lower()
        if not _HOST_HEADER.fullmatch(host):
            return None
        try:
            parts = urlsplit(f"http://{host}")
            name, port = parts.hostname, parts.port or 80
        except ValueError:
            return None
        if port != self.port or not name or (name not in self.names and name != local_address):
            return None
        return f"http://{host}"

    def opens(self, given: str | None) -> bool:
        """Whether `given` is this start's token, compared in constant time."""
        if given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.token.encode())

    def page_refusal(self, given: str | None) -> Refusal | None:
        if given is None:
            return Refusal("a page request without the token", REFUSED_PAGE)
        return None if self.opens(given) else Refusal("a page request with a wrong token", REFUSED_PAGE)

    def socket_refusal(self, given: str | None, origin: str | None, host: str | None = None,
                       local_address: str | None = None) -> Refusal | None:
        """A missing Origin is refused too: every browser sends one, and a program can send the door's own.
        `host` and `local_address` are the request's Host header and the address its connection reached."""
        if given is None:
            return Refusal("a WebSocket without the token", REFUSED_PAGE)
        if not self.opens(given):
            return Refusal("a WebSocket with a wrong token", REFUSED_PAGE)
        if origin is None or origin not in (self.origin, self.used_origin(host, local_address)):
            seen = "none" if origin is None else f"'{shown(origin[:ORIGIN_SHOWN])}'"
            return Refusal(f"a WebSocket from another origin ({seen}; the door's own is {self.origin})",
                           REFUSED_ORIGIN)
        return None
