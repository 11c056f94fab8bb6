"""The Details pane: everything about one message, and the status check with every reason."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from omeconsole.core.audit.log import AuditEntry
from omeconsole.core.context import Context
from omeconsole.core.encryption_report.rows import encryption_template_label
from omeconsole.core.ome.status import StatusResult, get_ome_message_status
from omeconsole.core.rules import sees_all_messages
from omeconsole.core.text.untrusted import shown
from omeconsole.ui.plain import plain
from omeconsole.ui.states import state_text
from omeconsole.ui.time_shown import audit_time, labelled_time, shown_time, with_zone, zone_label
from omeconsole.ui.widgets.rendered_once import RichStatic


@dataclass(frozen=True)
class MessageDetails:
    """What the Details pane shows; loaded in a worker, rendered on the UI thread."""

    status: StatusResult
    audit: list[AuditEntry] | None  # None: this identity may not read the audit log
    audit_loading: bool = False  # the status shows at once; the audit entries follow from a worker


def checked_details(context: Context, message_id: str) -> MessageDetails:
    """The status check (Get-OMEMessageStatus) as Details shows it, for a worker: the message's audit
    entries follow (for admins and helpdesk, who may read them)."""
    status = get_ome_message_status(context, message_id)
    overseer = sees_all_messages(context.actor)
    return MessageDetails(status, [] if overseer else None, audit_loading=overseer)


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold cyan underline")


LABEL = "italic"  # field names: told apart from values by shape, never dimmed (NO_COLOR made dim unreadable)


def _fields(pairs: list[tuple[str, str]]) -> Text:
    """Label and value lines: plain Text draws several times faster than a Rich grid."""
    width = max(len(key) for key, _ in pairs) + 2
    text = Text()
    for n, (key, value) in enumerate(pairs):
        text.append(("\n" if n else "") + key.ljust(width), style=LABEL)
        text.append(shown(value))
    return text


def status_block(details: MessageDetails) -> Group:
    decision = details.status.decision
    verdict = Text()
    verdict.append("IsRevocable ", style=LABEL)
    verdict.append_text(_flag(decision.is_revocable, "✓", "bold green", "✗", "bold red"))
    verdict.append("   Revoked ", style=LABEL)
    verdict.append_text(_flag(decision.revoked, "✗", "bold red", "–", "bold"))
    verdict.append("   Content key ", style=LABEL)
    verdict.append_text(state_text(details.status.content_key))
    lines = [verdict]
    for reason in decision.reasons:
        lines.append(plain(f"  • {reason}", style="yellow"))
    if decision.allowed:
        lines.append(Text(f"  You may revoke it (as {decision.acting_as}): press r", style="green"))
    elif decision.is_revocable:
        for reason in decision.actor_reasons:
            lines.append(plain(f"  You may not revoke it: {reason}", style="yellow"))
    return Group(*lines)


def _flag(value: bool, yes: str, yes_style: str, no: str, no_style: str) -> Text:
    """True or False with a symbol: a state read without colour."""
    return Text(f"{yes} True", style=yes_style) if value else Text(f"{no} False", style=no_style)


def render_details(details: MessageDetails) -> Group:
    message = details.status.message
    title = plain(message.subject, style="bold")
    parts: list[RenderableType] = [title, _section("Status check (Get-OMEMessageStatus)"), status_block(details)]
    if message.revocation:
        r = message.revocation
        parts.append(plain(f"  ✗ Revoked {labelled_time(r.revoked_at)} by {r.revoked_by} as {r.as_role}",
                           style="bold red"))
    parts += [_section("Trace"), _recipients(details), _section("More information"), _fields([
        ("Message ID", message.message_id), ("Message Trace ID", message.trace_id),
        ("Received", labelled_time(message.received)), ("Sender", message.sender), ("Size", f"{message.size:,} bytes"),
        ("From IP", message.from_ip or ""), ("To IP", ", ".join(sorted({r.to_ip for r in message.recipients
                                                                          if r.to_ip})) or ""),
        *_copies(message),
    ]), _section("Encryption"), _fields(_encryption(message)), _section("Events"), _events(message)]
    return Group(*parts)


def _copies(message) -> list[tuple[str, str]]:
    """A bifurcated message's other copies: each its own Message Trace ID, Received time and recipients."""
    copies: dict[str, list] = {}
    for r in message.recipients:
        if r.trace_id:
            copies.setdefault(r.trace_id, []).append(r)
    return [("Bifurcated copy", f"{trace_id}, received {labelled_time(rs[0].received or message.received)}, to "
             + ", ".join(r.address for r in rs)) for trace_id, rs in copies.items()]


def render_audit(details: MessageDetails) -> Group | Text:
    """The Audit section, drawn apart: it arrives after the rest, and redrawing it alone is cheap."""
    if details.audit is None:
        return Text("")
    if details.audit_loading:
        return Group(_section("Audit"), Text("  … reading the audit log", style="italic"))
    return Group(_section("Audit"), _audit(details.audit))


def _recipients(details: MessageDetails) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style=LABEL)
    opens = details.status.portal_opens
    columns = ("Recipient", "Status", "Experience", "To IP") + (("Opened in portal",) if opens else ())
    for column in columns:  # an address is folded only below 20 characters; the portal's column wraps
        table.add_column(column, no_wrap=column not in ("Recipient", "Opened in portal"),
                         overflow="ellipsis" if column == "Opened in portal" else "fold",
                         min_width=min(20, _longest_address(details)) if column == "Recipient" else None)
    for r in details.status.message.recipients:
        experience = r.experience.value if r.experience else "—"
        cells = [plain(r.address), state_text(r.status_shown),
                 plain(experience, style="cyan" if experience == "link-based" else ""), plain(r.to_ip or "")]
        if opens:
            cells.append(_opened(opens.get(r.address)))
        table.add_row(*cells)
    return table


def _longest_address(details: MessageDetails) -> int:
    return max((len(r.address) for r in details.status.message.recipients), default=9)


def _opened(times) -> Text:
    """Whether and when a link-based recipient read the message in the OME portal."""
    if times is None:
        return Text("—")
    if not times:
        return Text("not opened")
    opened = Text(f"{shown_time(times[0])} {zone_label()}", style="bold")
    if len(times) > 1:
        opened.append(f"\n+{len(times) - 1} more", style=LABEL)
    return opened


def _encryption(message) -> list[tuple[str, str]]:
    if message.protection is None:
        return [("Record", "none: imported from a trace export")]
    if not message.is_encrypted:
        return [("Protection", "not encrypted")]
    expiry = labelled_time(message.expires_at) if message.expires_at else "never"
    return [("Protection", message.protection.label), ("Method", message.method.label if message.method else ""),
            ("Template", encryption_template_label(message) if message.has_custom_template
             else f"{message.template} (default)"), ("Link-based expiry", expiry)]


def _events(message) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style=LABEL)
    for column in (with_zone("Date"), "Recipient", "Event", "Detail"):
        table.add_column(column, overflow="fold", no_wrap=column != "Detail")
    for r in message.recipients:
        for event in r.events:
            table.add_row(plain(shown_time(event.date, seconds=True)), plain(r.address), plain(event.event),
                          plain(event.detail))
    return table


def _audit(entries: list[AuditEntry]) -> Table | Text:
    if not entries:
        return Text("  no audit entries for this message", style="italic")
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style=LABEL)
    for column in (with_zone("Time"), "Actor", "Action", "Outcome", "Detail"):
        table.add_column(column, overflow="fold", no_wrap=column not in ("Actor", "Action", "Detail"))
    for e in entries:
        table.add_row(plain(audit_time(e.time)), plain(e.actor), plain(e.action), state_text(e.outcome),
                      plain(e.detail))
    return table


NOTHING_SELECTED = Text("Nothing is selected. Highlight a message in the Message Trace or the Encryption Report, "
                        "or press ctrl+l to look up a Message ID.", style="italic")


def checking_text(message_id: str) -> Text:
    text = Text("Checking status… ", style="bold")
    text.append_text(plain(message_id))
    return text


class DetailsPane(VerticalScroll):
    """Shows MessageDetails; empty until a message is selected. Its buttons run the same actions as the keys."""

    def compose(self):
        with Horizontal(id="details-actions"):
            yield Button("Revoke message (r)", id="details-revoke", compact=True)
            yield Button("Portal preview (p)", id="details-portal", compact=True)
            yield Button("Copy Message ID (c)", id="details-copy", compact=True)
        yield RichStatic(NOTHING_SELECTED, id="details-body")
        yield RichStatic("", id="details-audit")

    def on_mount(self) -> None:
        self.query_one("#details-actions").display = False

    def clear(self) -> None:
        """Nothing is selected: no message, and no buttons to act on one."""
        self._say(NOTHING_SELECTED)

    def show_checking(self, message_id: str) -> None:
        """A message is selected and its status check runs in a worker: no buttons until it is shown."""
        self._say(checking_text(message_id))

    def _say(self, text: Text) -> None:
        self.query_one("#details-actions").display = False
        self.query_one("#details-body", Static).update(text)
        self.query_one("#details-audit", Static).update("")

    def show(self, details: MessageDetails, sender_view: bool) -> None:
        self.query_one("#details-actions").display = True
        revoke = self.query_one("#details-revoke", Button)
        revoke.label = "Remove external access (r)" if sender_view else "Revoke message (r)"
        revoke.variant = "error" if details.status.decision.allowed else "default"
        self.query_one("#details-body", Static).update(render_details(details))
        self.show_audit(details)
        self.scroll_home(animate=False)

    def show_audit(self, details: MessageDetails) -> None:
        self.query_one("#details-audit", Static).update(render_audit(details))
