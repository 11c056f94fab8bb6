"""Who is acting, always on screen, and the last thing a narrow terminal gives up.

Narrow, the organization goes first, then "acting as", then the product badge; the address is
cut in its middle (an ellipsis marks it); the role is never cut: it says what `r` will do.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from omeconsole.core.rules import is_global_admin
from omeconsole.core.tenant.model import Role
from omeconsole.core.text.untrusted import shown

ROLE_TITLES = {Role.GLOBAL_ADMIN: "Global Administrator", Role.HELPDESK: "Helpdesk (read-only)",
               Role.USER: "User: your sent mail"}
OUTSIDER = "Not a user of this tenant: nothing to read"
BADGE = " omeconsole "


def _cut_middle(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def identity_line(organization: str, actor, width: int | None = None) -> Content:
    """The names are data: literal Content, never markup. `width`: the columns there are (None: all)."""
    role = ROLE_TITLES.get(actor.role, OUTSIDER)
    role_style = "$success" if is_global_admin(actor) else "$warning"
    org, address = shown(organization)[:80], shown(actor.address)
    full = len(BADGE) + 2 + len(org) + len("  │  acting as ") + len(address) + 2 + len(role)
    if width is None or full <= width:
        return Content.assemble((BADGE, "bold reverse"), "  ", (org, "bold"), "  │  acting as ",
                                (address, "bold $accent"), "  ", (role, role_style))
    room = width - len(role) - 2  # the address and what may stand before it
    if room >= len(BADGE) + len("  acting as ") + len(address):
        return Content.assemble((BADGE, "bold reverse"), "  acting as ", (address, "bold $accent"), "  ",
                                (role, role_style))
    if room >= len(BADGE) + 1 + len(address):
        return Content.assemble((BADGE, "bold reverse"), " ", (address, "bold $accent"), "  ", (role, role_style))
    return Content.assemble((_cut_middle(address, max(room, 1)), "bold $accent"), "  ", (role, role_style))


class IdentityBar(Static):
    """The identity line, drawn again for each width."""

    def __init__(self, organization: str, actor, **kwargs) -> None:
        super().__init__(identity_line(organization, actor), **kwargs)
        self.organization, self.actor = organization, actor

    def on_resize(self) -> None:
        self.update(identity_line(self.organization, self.actor, self.size.width or None))
