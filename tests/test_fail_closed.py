"""Fail closed: with the disk full at any one write of a change, or a read-only store, the change is
refused with one clear line and nothing a person can see has changed; or, when the failure came after
the change's commit point, it is reported done and is whole. The audit chain stays intact and says
when a change it recorded then failed.

The injected faults run everywhere; test_real_mounts also runs each command on a full tmpfs and on a
read-only bind mount, where the machine lets a test make them (unshare -m).
"""

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest

from support.cli import clean_env
from support.clock import Clock
from support.paths import FIXTURES, SUPPORT
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.tenant.connected_accounts import ConnectedAccounts
from omeconsole.core.audit.log import AuditLog
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.errors import OmeError
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.mail.model import Protection
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.context import Context
from omeconsole.core.tenant.model import Role
from omeconsole.core.tenant.admin import TenantAdmin
from omeconsole.core.mail.send import send_message
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status

ADMIN, SECOND, THIRD = "admin@contoso.com", "alex.wilber@contoso.com", "isaiah.langer@contoso.com"
CLOCK = Clock()

CHANGES = {
    "send": lambda root, f: send_message(Context.open(root, clock=CLOCK),
        sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com", "adele.vance@contoso.com"],
        subject="Full disk", body="b", protection=Protection.ENCRYPT_ONLY, template="Contoso Secure"),
    "revoke": lambda root, f: set_ome_message_revocation(Context.open(root, clock=CLOCK), f["revocable"]),
    "keys rotate": lambda root, f: KeyManager(Context.open(root, clock=CLOCK)).rotate(),
    "keys rewrap": lambda root, f: KeyManager(Context.open(root, clock=CLOCK)).rewrap(),
    "keys policy": lambda root, f: KeyManager(Context.open(root, clock=CLOCK)).set_rotation_days(45),
    "access request": lambda root, f: ElevatedAccess(Context.open(root, clock=CLOCK)).request(
        "Ticket 12: the disk is full", parse_duration("1h")),
    "access approve": lambda root, f: ElevatedAccess(Context.open(root, THIRD, clock=CLOCK)).approve(f["pending"]),
    "import": lambda root, f: TraceImport(Context.open(root, clock=CLOCK)).import_file(
        FIXTURES / "messagetrace-en-gb.csv"),
    "template add": lambda root, f: TenantAdmin(Context.open(root, clock=CLOCK)).add_template("Full Disk"),
    "user add": lambda root, f: TenantAdmin(Context.open(root, clock=CLOCK)).add_user("new@contoso.com", Role.USER),
    "accounts add": lambda root, f: ConnectedAccounts(Context.open(root, clock=CLOCK)).add(
        "megan.bowen@contoso.com", "gmail", "megan@gmail.com", "app password"),
}


@pytest.fixture(scope="module")
def base(demo_template, tmp_path_factory):
    """The demo after one rotation (so a rewrap has keys to move), with a request pending."""
    root = tmp_path_factory.mktemp("fail-closed") / "store"
    shutil.copytree(demo_template, root)
    app = Context.open(root, clock=CLOCK)
    KeyManager(app).rotate()
    pending = ElevatedAccess(Context.open(root, SECOND, clock=CLOCK)).request("Ticket 13: pending", parse_duration("1h"))
    revocable = next(m.message_id for m in app.store.iter_messages() if m.subject == CASE_SUBJECTS["revocable"])
    return root, {"pending": pending.id, "revocable": revocable}


def visible(root) -> dict:
    """What anyone could see, without the random parts (a new message's ID)."""
    app = Context.open(root, clock=CLOCK)
    messages = []
    for m in app.store.iter_messages():
        status = get_ome_message_status(app, m.message_id)
        messages.append((m.sender, m.subject, str(m.received), tuple(sorted((r.address, r.status.value)
                         for r in m.recipients)), status.decision.revoked, status.content_key))
    keys = KeyManager(app).status().to_record()
    return {
        "messages": sorted(messages),
        "trace rows": len(get_message_trace(app, TraceQuery()).rows),
        "megan's rows": len(get_message_trace(app, TraceQuery(senders=_patterns("megan.bowen@contoso.com"))).rows),
        "key versions": [(v.version, v.state) for v in Keyring.metadata(root).versions],
        "wrapped": sorted(KeyManager(app).count_wrapped().items()), "rotation": keys["RotationPeriodDays"],
        "requests": sorted((r.id, r.requester, tuple(a.by for a in r.approvals)) for r in ElevatedAccess(app).list()),
        "accounts": sorted((a.id, a.mailbox, a.login) for a in ConnectedAccounts(app).list()),
        "tenant": (sorted(u.address for u in app.tenant.users), sorted(t.name for t in app.tenant.templates)),
    }


def _patterns(address):
    from omeconsole.core.text.addresses import parse_patterns

    return parse_patterns([address])


class FullDisk:
    """os.write under the store fails with ENOSPC at its n-th call, and after it too if the disk stays
    full (persistent), or only then if space came back at once (n=None: only counts)."""

    def __init__(self, monkeypatch, root, fail_at: int | None, persistent: bool = True):
        self.root, self.fail_at, self.persistent, self.calls = str(root), fail_at, persistent, 0
        self.real = os.write
        monkeypatch.setattr(os, "write", self)

    def __call__(self, fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(self.root):
            self.calls += 1
            if self.fail_at is not None and (self.calls == self.fail_at or
                                             (self.persistent and self.calls > self.fail_at)):
                raise OSError(errno.ENOSPC, "No space left on device")
        return self.real(fd, data)


def _copy(base_root, tmp_path, name):
    root = tmp_path / name
    shutil.copytree(base_root, root)
    return root


@pytest.mark.parametrize("persistent", [True, False], ids=["stays full", "full once"])
@pytest.mark.parametrize("change", CHANGES)
def test_a_full_disk_at_any_write_refuses_the_change_or_completes_it_whole(base, tmp_path, monkeypatch, change,
                                                                          persistent):
    base_root, facts = base
    run = CHANGES[change]
    before = visible(base_root)
    done_root = _copy(base_root, tmp_path, "done")
    counter = FullDisk(monkeypatch, done_root, None)
    run(done_root, facts)
    monkeypatch.undo()
    done, writes = visible(done_root), counter.calls
    assert done != before and writes >= 2
    print(f"\n{change}: a full disk at each of its {writes} writes")
    for n in range(1, writes + 1):
        root = _copy(base_root, tmp_path, f"full-at-{n}")
        entries = len(AuditLog(root).entries())
        FullDisk(monkeypatch, root, n, persistent)
        try:
            run(root, facts)
            refused = None
        except OmeError as error:
            refused = str(error)
        monkeypatch.undo()
        now = visible(root)
        if refused:
            assert "\n" not in refused and ("No space left" in refused or "cannot" in refused), refused
            assert now == before or (change == "keys rewrap" and _rewrap_part_way(now, before)), (change, n)
        else:
            assert now == done, (change, n)
        assert AuditTrail(Context.open(root, clock=CLOCK)).verify().ok
        new = AuditLog(root).entries()[entries:]
        if refused and not persistent and any(e.outcome == "success" for e in new):  # recorded, then stopped
            assert new[-1].outcome == "failed", [e.outcome for e in new]


def _rewrap_part_way(now, before) -> bool:
    """A rewrap stopped part-way: some keys moved to the primary, none lost, nothing else changed."""
    def rest(state):
        return {k: v for k, v in state.items() if k != "wrapped"}
    return rest(now) == rest(before) and sum(n for _, n in now["wrapped"]) == sum(n for _, n in before["wrapped"])


class ReadOnly:
    """Every open for writing, rename or removal under the store fails with EROFS."""

    def __init__(self, monkeypatch, root):
        self.root = str(root)
        for name in ("replace", "rename", "unlink"):
            monkeypatch.setattr(os, name, self._refusing(getattr(os, name)))
        real_open = os.open

        def opener(path, flags, *args, **kwargs):
            if str(path).startswith(self.root) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise OSError(errno.EROFS, "Read-only file system")
            return real_open(path, flags, *args, **kwargs)
        monkeypatch.setattr(os, "open", opener)

    def _refusing(self, real):
        def refused(path, *args, **kwargs):
            if str(path).startswith(self.root):
                raise OSError(errno.EROFS, "Read-only file system")
            return real(path, *args, **kwargs)
        return refused


@pytest.mark.parametrize("change", CHANGES)
def test_a_read_only_store_refuses_every_change_and_keeps_every_byte(base, tmp_path, monkeypatch, change):
    base_root, facts = base
    root = _copy(base_root, tmp_path, "read-only")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    ReadOnly(monkeypatch, root)
    with pytest.raises(OmeError) as refused:
        CHANGES[change](root, facts)
    monkeypatch.undo()
    assert "\n" not in str(refused.value) and "Read-only file system" in str(refused.value)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _unshare_works(), reason="this machine does not let a test make mounts (unshare -m)")
@pytest.mark.parametrize("mount", ["full", "read-only"])
def test_real_mounts(base, tmp_path, mount):
    """The real CLI on a tmpfs filled to the last byte, and on a read-only bind mount."""
    base_root, facts = base
    script = SUPPORT / "mounted_store.py"
    out = tmp_path / "result.json"
    result = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, str(script), mount,
                             str(base_root), str(tmp_path / "mnt"), str(out), facts["revocable"]],
                            capture_output=True, text=True, timeout=300,
                            env=clean_env())
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["commands"], report
    for command in report["commands"]:
        assert command["exit"] != 0 and command["stderr"].count("\n") == 1, command
        assert command["stderr"].startswith("omeconsole: ") and "Traceback" not in command["stderr"]
    assert report["before"] == report["after"]
    assert report["verify"] == 0
