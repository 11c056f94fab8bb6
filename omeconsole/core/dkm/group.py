"""The DKM security group: the only members are service accounts, never people."""

from __future__ import annotations

from dataclasses import dataclass

PORTAL_SERVICE = "svc-ome-portal@dkm.omeconsole"
TRANSPORT_SERVICE = "svc-transport@dkm.omeconsole"
KEY_ROLLOVER_SERVICE = TRANSPORT_SERVICE  # the transport service rolls the keyring over on schedule


@dataclass(frozen=True)
class ServiceAccount:
    address: str
    purpose: str


MEMBERS = (
    ServiceAccount(PORTAL_SERVICE, "the OME portal: opens message content for signed-in link-based recipients"),
    ServiceAccount(TRANSPORT_SERVICE, "the transport service: seals content as mail flows, rolls keys over"),
)


def is_service_account(address: str) -> bool:
    return any(member.address == address for member in MEMBERS)
