"""HOST:PORT as the front doors take it, and whether an address stays on this machine."""

from __future__ import annotations

import ipaddress

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
