"""The keyring: envelope encryption, rotation, rewrap, destroy, rollover, master key protection."""

import os
from datetime import timedelta

import pytest

from omeconsole.core.dkm.envelope import PORTAL_CONTENT, open_sealed, rewrap, seal
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.errors import Refused, StoreDamaged, StoreError
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.mail.model import Protection

from support.clock import utc
from support.cli import assert_one_line_error
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.mail.send import send_message
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status

NOW = utc(2026, 11, 22, 12)


@pytest.fixture
def keyring(tmp_path):
    return Keyring.create(tmp_path, NOW)


def test_encrypt_rotate_rewrap_decrypt(keyring, tmp_path):
    sealed, wrapped = seal(keyring, PORTAL_CONTENT, "<a@x.com>", b"body one")
    assert sealed["key_version"] == wrapped["key_version"] == 1
    keyring.rotate(NOW + timedelta(days=1))
    assert [v.state for v in keyring.versions] == ["archived", "primary"]
    assert open_sealed(keyring, PORTAL_CONTENT, "<a@x.com>", sealed, wrapped) == b"body one"  # archived decrypts
    sealed_2, wrapped_2 = seal(keyring, PORTAL_CONTENT, "<b@x.com>", b"body two")
    assert wrapped_2["key_version"] == 2  # archived versions no longer encrypt
    moved = rewrap(keyring, PORTAL_CONTENT, "<a@x.com>", wrapped)
    assert moved["key_version"] == 2 and moved["wrapped_key"] != wrapped["wrapped_key"]
    keyring.destroy([1], NOW)
    reopened = Keyring.unlock(tmp_path, None)
    assert open_sealed(reopened, PORTAL_CONTENT, "<a@x.com>", sealed, moved) == b"body one"
    with pytest.raises(StoreError, match="key version 1 was destroyed"):
        open_sealed(reopened, PORTAL_CONTENT, "<a@x.com>", sealed, wrapped)


def test_what_a_secret_belongs_to_is_bound(keyring):
    sealed, wrapped = seal(keyring, PORTAL_CONTENT, "<a@x.com>", b"body")
    with pytest.raises(StoreError):
        open_sealed(keyring, PORTAL_CONTENT, "<b@x.com>", sealed, wrapped)
    with pytest.raises(StoreError):
        open_sealed(keyring, "account-credential", "<a@x.com>", sealed, wrapped)
    with pytest.raises(StoreError):
        open_sealed(keyring, PORTAL_CONTENT, "<a@x.com>", sealed, {**wrapped, "key_version": 2})


def test_a_passphrase_protects_the_keyring(tmp_path):
    Keyring.create(tmp_path, NOW, "correct horse battery staple")
    assert not (tmp_path / "master.key").exists()
    assert Keyring.unlock(tmp_path, lambda: "correct horse battery staple").primary.version == 1
    before = (tmp_path / "keyring.json").read_bytes()
    with pytest.raises(StoreError, match="wrong passphrase"):
        Keyring.unlock(tmp_path, lambda: "incorrect horse")
    with pytest.raises(StoreError, match="OMECONSOLE_PASSPHRASE"):
        Keyring.unlock(tmp_path, None)
    assert (tmp_path / "keyring.json").read_bytes() == before


def test_a_missing_or_altered_key_file_is_a_clear_error(keyring, tmp_path):
    key = tmp_path / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    os.chmod(key, 0o640)
    with pytest.raises(StoreError, match="readable by others"):
        Keyring.unlock(tmp_path, None)
    os.chmod(key, 0o600)
    key.write_bytes(os.urandom(32))
    with pytest.raises(StoreError, match="does not open the keyring"):
        Keyring.unlock(tmp_path, None)
    key.unlink()
    with pytest.raises(StoreError, match="is missing"):
        Keyring.unlock(tmp_path, None)


def test_a_hand_edited_keyring_is_reported(keyring, tmp_path):
    text = (tmp_path / "keyring.json").read_text().replace('"primary"', '"archived"')
    (tmp_path / "keyring.json").write_text(text)
    with pytest.raises(StoreDamaged, match="0 primary key versions"):
        Keyring.unlock(tmp_path, None)


def test_init_with_a_passphrase_through_the_cli(cli, store_dir):
    init = ("init", "--org", "Tailspin", "--domain", "tailspintoys.com", "--admin", "a@tailspintoys.com",
            "--license", "E5", "--passphrase-stdin")
    assert_one_line_error(cli(*init, stdin="short\n", check=2), "at least 12 characters")
    assert "protected by a passphrase" in cli(*init, stdin="a long enough passphrase\n").stdout
    send = ("send", "--from", "a@tailspintoys.com", "--to", "bob@gmail.com", "--subject", "s", "--body", "b",
            "--encrypt", "encrypt-only")
    assert_one_line_error(cli(*send, check=1), "OMECONSOLE_PASSPHRASE")
    assert_one_line_error(cli(*send, env={"OMECONSOLE_PASSPHRASE": "wrong one entirely"}, check=1), "wrong passphrase")
    cli(*send, env={"OMECONSOLE_PASSPHRASE": "a long enough passphrase"})
    assert cli.json("keys", "status")["Protection"] == "passphrase"  # status needs no passphrase


def test_rollover_happens_on_schedule_and_is_audited(as_user, clock):
    admin = as_user()
    first = KeyManager(admin).status()
    clock.now = first.next_rollover - timedelta(minutes=1)
    send = dict(sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject="s", body="b",
                protection=Protection.ENCRYPT_ONLY, template="Contoso Secure")
    send_message(admin, **send)
    assert KeyManager(as_user()).status().versions[-1].version == 4
    clock.advance(minutes=2)
    message = send_message(as_user(), **send)
    status = KeyManager(as_user()).status()
    assert [v.state for v in status.versions][-2:] == ["archived", "primary"]
    assert status.versions[-1].version == 5 and status.next_rollover == clock.now + timedelta(days=30)
    assert status.wrapped[5] == 1
    entries = AuditTrail(as_user()).entries()
    rollover = next(e for e in entries if e.action == "keys rollover")
    assert rollover.actor == "svc-transport@dkm.omeconsole" and rollover.seq < entries[-1].seq
    assert entries[-1].target == message.message_id


def test_destroy_is_refused_while_anything_is_wrapped(as_user):
    manager = KeyManager(as_user())
    with pytest.raises(Refused, match="version 1 wraps"):
        manager.destroy_below(4)
    assert AuditTrail(as_user()).entries()[-1].outcome == "refused"
    with pytest.raises(Refused, match="primary"):
        manager.destroy_below(9)
    before = KeyManager(as_user()).status().wrapped
    assert manager.rewrap() == sum(before.values()) - before[4]
    assert set(KeyManager(as_user()).status().wrapped) == {4}
    assert manager.destroy_below(4) == [1, 2, 3]
    assert [v.state for v in KeyManager(as_user()).status().versions] == ["destroyed"] * 3 + ["primary"]


def test_rewrap_never_opens_a_secret_and_everything_still_opens(as_user):
    admin = as_user()
    sent = send_message(admin, sender="megan.bowen@contoso.com", recipients=["bob.kelly@gmail.com"], subject="s",
                      body="still readable", protection=Protection.ENCRYPT_ONLY, template="Contoso Secure")
    KeyManager(admin).rotate()
    KeyManager(admin).rewrap()
    KeyManager(admin).destroy_below(5)
    view = open_in_portal(as_user("bob.kelly@gmail.com"), sent.message_id, "bob.kelly@gmail.com")
    assert view.body == "still readable"


def test_keys_commands_need_a_global_admin(demo_cli):
    for args in (("rotate",), ("rewrap",), ("destroy", "--below", "2"), ("purge-expired",),
                 ("policy", "--rotation-days", "7")):
        assert_one_line_error(demo_cli("keys", *args, "--as", "lynne.robbins@contoso.com", check=1),
                              "Global Administrator")
    assert demo_cli.json("keys", "status", "--as", "lynne.robbins@contoso.com")["RotationPeriodDays"] == 30
    assert_one_line_error(demo_cli("keys", "status", "--as", "megan.bowen@contoso.com", check=1), "admins and helpdesk")
    assert demo_cli.json("keys", "policy", "--rotation-days", "7") == {"RotationPeriodDays": 7}
    assert_one_line_error(demo_cli("keys", "policy", "--rotation-days", "0", check=2), "1 to 365")


def test_no_person_joins_the_dkm_security_group(demo_cli):
    members = demo_cli.json("keys", "group")
    assert {m["Kind"] for m in members} == {"service account"} and len(members) == 2
    for person in ("admin@contoso.com", "lynne.robbins@contoso.com", "mallory@evil.example"):
        assert_one_line_error(demo_cli("keys", "group-add", person, check=1), "service accounts only")
        last = demo_cli.json("audit")[-1]
        assert (last["Action"], last["Target"], last["Outcome"]) == ("keys group add", person, "refused")
    assert_one_line_error(demo_cli("user", "list", "--as", "svc-ome-portal@dkm.omeconsole", check=1), "never sign in")


def test_revoke_leaves_no_usable_data_key(as_user, demo_store):
    admin = as_user()
    message = next(m for m in admin.store.iter_messages() if admin.decide(m).allowed and len(m.recipients) == 1)
    wrapped = admin.store.get_data_key(message.message_id)["wrapped_key"]
    set_ome_message_revocation(admin, message.message_id)
    assert get_ome_message_status(admin, message.message_id).content_key == "destroyed"
    assert admin.store.get_data_key(message.message_id) is None
    for path in demo_store.rglob("*"):
        if path.is_file():
            assert wrapped.encode() not in path.read_bytes(), path
    view = open_in_portal(as_user(message.recipients[0].address), message.message_id, message.recipients[0].address)
    assert (view.state, view.text) == ("revoked", "The message has been revoked by the sender")


def test_expired_messages_keep_their_keys_until_purged(as_user):
    admin = as_user()
    expired = [m for m in admin.store.iter_messages() if m.is_expired(admin.clock()) and not m.revocation]
    assert expired and all(get_ome_message_status(admin, m.message_id).content_key == "present" for m in expired)
    purged = KeyManager(admin).purge_expired()
    assert sorted(purged) == sorted(m.message_id for m in expired)
    assert all(get_ome_message_status(admin, m.message_id).content_key == "destroyed" for m in expired)
    assert AuditTrail(admin).entries()[-1].action == "keys purge-expired"
    view = open_in_portal(as_user(expired[0].link_based_recipients[0].address),
        expired[0].message_id, expired[0].link_based_recipients[0].address)
    assert view.text == "The message has expired"
    assert KeyManager(admin).purge_expired() == []


def test_keys_status_through_the_cli(demo_cli):
    table = demo_cli("keys", "status").stdout
    assert "Keyring protected by: a key file (master.key, 0600)" in table and "Rotation period:      30 days" in table
    status = demo_cli.json("keys", "status")
    assert [v["State"] for v in status["Versions"]] == ["archived", "archived", "archived", "primary"]
    assert sum(v["DataKeys"] for v in status["Versions"]) > 100
    assert demo_cli.json("keys", "rotate")["Primary"] == 5
    assert demo_cli.json("keys", "rewrap")["Rewrapped"] == sum(v["DataKeys"] for v in status["Versions"])
    assert demo_cli.json("keys", "destroy", "--below", "5")["Destroyed"] == [1, 2, 3, 4]
    assert_one_line_error(demo_cli("keys", "destroy", "--below", "5", check=1), "left to destroy")
