"""SVG snapshots of each pane at 80x24, 120x40 and 200x50, with data as long as real mail gets it (a
56-character sender, a 59-character recipient, a 200-character subject), and each at 80x24 in NO_COLOR.

After a deliberate change to the look: pytest tests/test_snapshots_sizes.py --snapshot-update
"""

import random
import shutil
from datetime import timedelta
from types import SimpleNamespace

import pytest

from omeconsole.core.context import Context
from omeconsole.core.mail.model import Protection
from omeconsole.core.mail import send as send_module
from omeconsole.core.mail.send import send_message
from omeconsole.core.tenant.admin import TenantAdmin
from omeconsole.core.tenant.model import Role
from omeconsole.ui.headless import NOW, console_app, fixed_clock, settle
from omeconsole.ui.screenshots import SHOTS, make_shot_store

LONG_SENDER = "maximiliane.schwarzenberger-oppenheim.finops@contoso.com"
LONG_RECIPIENT = "procurement.notifications.team@adventure-works-intl.example"
LONG_SUBJECT = ("Quarterly reconciliation of the intercompany procurement ledger for the Adventure Works "
                "international subsidiaries, with the revised payment schedule and the audit findings [b]x[/b]")
SIZES = {"80x24": (80, 24), "120x40": (120, 40), "200x50": (200, 50)}
PANES = {"message-trace": None, "encryption-report": None, "details": None, "key-manager": "alex.wilber@contoso.com"}


def _plant_long_mail(store) -> None:
    """Three long messages, with the same Message IDs on every run (the service draws them from a seeded
    generator here, so each snapshot is the same picture every time)."""
    generator = random.Random(17)
    seeded = SimpleNamespace(SystemRandom=lambda: generator)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(send_module, "random", seeded)
        _send_long_mail(store)


def _send_long_mail(store) -> None:
    admin = Context.open(store, clock=fixed_clock)
    TenantAdmin(admin).add_user(LONG_SENDER, Role.USER)
    admin.reload_tenant()
    for minutes in (5, 15, 25):
        send_message(admin, sender=LONG_SENDER, recipients=[LONG_RECIPIENT, "bob.kelly@gmail.com"],
                     subject=LONG_SUBJECT, body="Attached.", protection=Protection.ENCRYPT_ONLY,
                     template="Contoso Secure", received=NOW - timedelta(minutes=minutes))


@pytest.fixture(scope="module")
def long_template(tmp_path_factory):
    store = make_shot_store(tmp_path_factory.mktemp("long") / "demo")
    _plant_long_mail(store)
    return store


async def _details_of_long_mail(app, pilot, store):
    context = Context.open(store, clock=fixed_clock)
    app.main.select(next(m.message_id for m in context.store.iter_messages() if m.subject == LONG_SUBJECT),
                    show=True)


def _steps(pane: str):
    return _details_of_long_mail if pane == "details" else SHOTS[pane][1]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("pane", list(PANES))
def test_pane_at_size_with_long_data(pane, size, long_template, tmp_path, snap_compare):
    _compare(pane, SIZES[size], long_template, tmp_path, snap_compare)


@pytest.mark.parametrize("pane", list(PANES))
def test_pane_in_no_color(pane, long_template, tmp_path, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _compare(pane, (80, 24), long_template, tmp_path, snap_compare)


def _compare(pane, size, template, tmp_path, snap_compare) -> None:
    store = shutil.copytree(template, tmp_path / "demo")
    app = console_app(store, PANES[pane])
    steps = _steps(pane)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await steps(app, pilot, store)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
