"""The demo tenant covers every case in domain.md."""

from collections import Counter
from datetime import timedelta

from omeconsole.core.mail.model import EncryptionMethod, Protection, TraceStatus
from omeconsole.core.context import Context
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, Experience


def test_the_demo_covers_every_case(demo_store):
    app = Context.open(demo_store)
    messages = list(app.store.iter_messages())
    assert len(messages) == 120
    recipients = [r for m in messages for r in m.recipients]
    assert {r.status for r in recipients} == set(TraceStatus)
    assert {r.experience for r in recipients} >= {Experience.NATIVE, Experience.LINK_BASED}
    assert any(len(m.recipients) > 1 and len({r.experience for r in m.recipients}) == 2 for m in messages)
    assert {m.protection for m in messages} == set(Protection)
    assert {m.method for m in messages if m.is_encrypted} == set(EncryptionMethod)
    templates = Counter(m.template for m in messages if m.is_encrypted)
    assert templates[DEFAULT_TEMPLATE] and len(templates) >= 3
    now = app.clock()
    assert any(m.is_expired(now) for m in messages) and any(m.expires_at and not m.is_expired(now) for m in messages)
    revoked = [m for m in messages if m.revocation]
    assert {m.revocation.as_role for m in revoked} == {"admin", "sender"}
    decisions = Counter(app.decide(m).is_revocable for m in messages)
    assert decisions[True] and decisions[False]
    assert min(m.received for m in messages) > now - timedelta(days=91)


def test_the_same_seed_gives_the_same_messages(tmp_path):
    from omeconsole.core.demo.contoso import create_demo

    ids = []
    for name in ("a", "b"):
        create_demo(tmp_path / name, messages=30, seed=5)
        ids.append(sorted(m.message_id for m in Context.open(tmp_path / name).store.iter_messages()))
    assert ids[0] == ids[1]
