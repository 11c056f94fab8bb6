"""HOST:PORT as the front doors take it, and whether an address stays on this machine."""

from __future__ import annotations

import ipaddress
import socket

from omeconsole.core.errors import UsageError


def parse_listen(text: str) -> tuple[str, int]:
    """127.0.0.1:2222, [::1]:2222, localhost:8000; port 0 lets the system choose."""
    cleaned = (text or "").strip()
    host, sep, port = cleaned.rpartition(":")
    if cleaned.startswith("[") and "]:" in cleaned:
        host = cleaned[1:cleaned.index("]:")]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {text!r} is not HOST:PORT, like 127.0.0.1:2222")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def names_of(host: str) -> frozenset[str]:
    """The host names and addresses (lower case, IPv6 without brackets) that reach a door listening on
    HOST: HOST, the addresses it resolves to, and the names this machine gives those addresses (its
    /etc/hosts: `localhost` for 127.0.0.1). A door on every address (0.0.0.0, ::) also answers to this
    machine's own names and its loopback addresses' names; which of its addresses a browser used is
    seen per connection."""
    host = host.lower()
    addresses = _resolved(host)
    names = {host, *addresses}
    if _unspecified(host):
        loopback = "::1" if ":" in host else "127.0.0.1"
        addresses |= {loopback}
        names |= {loopback, socket.gethostname().lower(), socket.getfqdn().lower()}
    for address in addresses:
        names |= _names_given(address)
    return frozenset(names)


def _resolved(host: str) -> set[str]:
    try:
        return {str(info[4][0]).lower() for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return set()


def _names_given(address: str) -> set[str]:
    try:
        name, aliases, _ = socket.gethostbyaddr(address)
    except (OSError, UnicodeError):
        return set()
    return {name.lower(), *(alias.lower() for alias in aliases)}


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False
