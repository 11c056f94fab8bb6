"""Every action against every identity: exactly the allowed ones succeed; every other is refused and audited.

Each cell runs on its own copy of one prepared store, through the services both faces call.
"""

import shutil
from datetime import timedelta

import pytest

from support.clock import Clock
from support.paths import FIXTURES
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.tenant.connected_accounts import ConnectedAccounts
from omeconsole.core.audit.log import AuditLog
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.dkm.group import PORTAL_SERVICE
from omeconsole.core.errors import NotFound, Refused
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.context import Context
from omeconsole.core.tenant.model import Role
from omeconsole.core.tenant.admin import TenantAdmin, TenantDirectory
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.mail.send import send_message
from omeconsole.core.message_trace.reindex import rebuild_trace_index
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.message_trace.search import get_message_trace_detail
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status

ADMIN, HELPDESK = "admin@contoso.com", "lynne.robbins@contoso.com"
SENDER, OTHER_USER = "megan.bowen@contoso.com", "diego.siciliani@contoso.com"
OUTSIDER, SERVICE = "stranger@fabrikam.com", PORTAL_SERVICE
ELEVATED, EXPIRED = "isaiah.langer@contoso.com", "alex.wilber@contoso.com"  # admins, one elevation active, one over
IDENTITIES = {"global admin": ADMIN, "helpdesk": HELPDESK, "sender": SENDER, "other user": OTHER_USER,
              "outsider": OUTSIDER, "service account": SERVICE, "elevated operator": ELEVATED,
              "expired-elevation operator": EXPIRED}
RECIPIENT = "bob.kelly@gmail.com"

USERS = {"global admin", "helpdesk", "sender", "other user", "elevated operator", "expired-elevation operator"}
READERS_OF_M = USERS - {"other user"}
ADMINS = {"global admin", "elevated operator", "expired-elevation operator"}
OVERSEERS = ADMINS | {"helpdesk"}
MAILBOX_MANAGERS = ADMINS | {"sender"}

# action: (what it does, given the console and the prepared store's facts; who may)
ACTIONS = {
    "trace": (lambda c, f: get_message_trace(c, TraceQuery()), USERS),
    "report": (lambda c, f: get_encryption_report(c), USERS),
    "status": (lambda c, f: get_ome_message_status(c, f["M"]), READERS_OF_M),
    "trace-detail": (lambda c, f: get_message_trace_detail(c, f["M"], RECIPIENT), READERS_OF_M),
    "portal (state)": (lambda c, f: open_in_portal(c, f["M"], RECIPIENT), READERS_OF_M),
    "revoke": (lambda c, f: set_ome_message_revocation(c, f["M"]), ADMINS | {"sender"}),
    "send as the sender": (lambda c, f: send_message(c, sender=SENDER, recipients=[RECIPIENT], subject="p", body="b"),
                           ADMINS | {"sender"}),
    "user add": (lambda c, f: TenantAdmin(c).add_user("new.person@contoso.com", Role.USER), ADMINS),
    "template add": (lambda c, f: TenantAdmin(c).add_template("Permission Table"), ADMINS),
    "native-domain add": (lambda c, f: TenantAdmin(c).set_native_domain("tailspin.example", True), ADMINS),
    "user list": (lambda c, f: TenantDirectory(c).users(), USERS),
    "template list": (lambda c, f: TenantDirectory(c).templates(), USERS),
    "native-domain list": (lambda c, f: TenantDirectory(c).native_domains(), USERS),
    "tenant show": (lambda c, f: TenantDirectory(c).settings(), USERS),
    "tenant set": (lambda c, f: TenantAdmin(c).set_approvals_door("ssh"), ADMINS),
    "import": (lambda c, f: TraceImport(c).import_file(FIXTURES / "messagetrace-ps51.csv"), ADMINS),
    "reindex": (lambda c, f: rebuild_trace_index(c), ADMINS),
    "audit": (lambda c, f: AuditTrail(c).entries(), OVERSEERS),
    "audit verify": (lambda c, f: AuditTrail(c).verify(), OVERSEERS),
    "audit checkpoint": (lambda c, f: AuditTrail(c).checkpoint(), ADMINS),
    "keys status": (lambda c, f: KeyManager(c).status(), OVERSEERS),
    "keys rotate": (lambda c, f: KeyManager(c).rotate(), ADMINS),
    "keys rewrap": (lambda c, f: KeyManager(c).rewrap(), ADMINS),
    "keys policy": (lambda c, f: KeyManager(c).set_rotation_days(60), ADMINS),
    "keys purge-expired": (lambda c, f: KeyManager(c).purge_expired(), ADMINS),
    "keys decrypt": (lambda c, f: KeyManager(c).decrypt(f["M"]), {"elevated operator"}),
    # one open request or elevation at a time: the admin's is pending, the elevated operator's active
    "access request": (lambda c, f: ElevatedAccess(c).request("Ticket 9: the permission table", parse_duration("1h")),
                       {"expired-elevation operator"}),
    "access approve": (lambda c, f: ElevatedAccess(c).approve(f["pending"]), ADMINS - {"global admin"}),  # not one's own
    "access list": (lambda c, f: ElevatedAccess(c).list(), USERS),
    "accounts add": (lambda c, f: ConnectedAccounts(c).add(SENDER, "gmail", "megan@gmail.com", "app password"),
                     MAILBOX_MANAGERS),
    "accounts show": (lambda c, f: ConnectedAccounts(c).show(f["account"]), MAILBOX_MANAGERS | {"helpdesk"}),
    "accounts reveal": (lambda c, f: ConnectedAccounts(c).reveal(f["account"]), {"elevated operator"}),
    "accounts remove": (lambda c, f: ConnectedAccounts(c).remove(f["account"]), MAILBOX_MANAGERS),
}


@pytest.fixture(scope="module")
def prepared(demo_template, tmp_path_factory):
    """The demo, with one elevation active (isaiah), one over (alex), one pending (admin) and an account."""
    root = tmp_path_factory.mktemp("permissions") / "store"
    shutil.copytree(demo_template, root)
    clock = Clock()
    now = clock.now
    clock.now = now - timedelta(hours=2)
    over = ElevatedAccess(Context.open(root, EXPIRED, clock=clock)).request("Ticket 7: a short look", parse_duration("5m"))
    for approver in (ADMIN, ELEVATED):
        ElevatedAccess(Context.open(root, approver, clock=clock)).approve(over.id)
    clock.now = now - timedelta(hours=1)
    active = ElevatedAccess(Context.open(root, ELEVATED, clock=clock)).request("Ticket 8: a long look",
                                                                         parse_duration("8h"))
    for approver in (ADMIN, EXPIRED):
        ElevatedAccess(Context.open(root, approver, clock=clock)).approve(active.id)
    clock.now = now
    admin = Context.open(root, ADMIN, clock=clock)
    pending = ElevatedAccess(admin).request("Ticket 10: waiting for approval", parse_duration("1h"))
    account = ConnectedAccounts(admin).add(SENDER, "imap", "megan@mail.example", "an app password")
    message = next(m for m in admin.store.iter_messages() if m.subject == CASE_SUBJECTS["revocable"])
    assert admin.decide(message).allowed
    return root, clock, {"M": message.message_id, "pending": pending.id, "account": account.id}


def _refusals(root, actor: str) -> int:
    return sum(1 for e in AuditLog(root).entries() if e.actor == actor and e.outcome == "refused")


@pytest.mark.parametrize("action", ACTIONS)
def test_every_identity_may_do_exactly_what_its_role_allows(prepared, tmp_path, action):
    base, clock, facts = prepared
    run, allowed = ACTIONS[action]
    outcomes = {}
    for name, address in IDENTITIES.items():
        root = tmp_path / name.replace(" ", "-")
        shutil.copytree(base, root)
        before = _refusals(root, address)
        try:
            run(Context.open(root, address, clock=clock), facts)
            outcomes[name] = "allowed"
        except (Refused, NotFound):
            outcomes[name] = "refused"
            assert _refusals(root, address) == before + 1, f"{action} refused for {name} but not audited"
    assert outcomes == {name: "allowed" if name in allowed else "refused" for name in IDENTITIES}
