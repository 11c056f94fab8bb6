"""What the SSH door reads before it serves: the authorized-keys file, the host key, HOST:PORT, its limits."""

import pytest

from omeconsole.core.errors import OmeError, StoreError, UsageError
from omeconsole.serve.ssh.authorized_keys import AuthorizedKeys
from omeconsole.serve.ssh.host_key import load_or_create_host_key
from omeconsole.serve.listen import is_loopback, parse_listen
from omeconsole.serve.ssh.run import idle_timeout, max_sessions
from support.ssh import make_key
from support.cli import assert_one_line_error


@pytest.fixture
def key_line(tmp_path):
    return make_key(tmp_path / "k").export_public_key().decode().strip()


def load(tmp_path, text):
    path = tmp_path / "authorized_keys"
    path.write_text(text)
    return AuthorizedKeys(path).load()


def test_each_key_names_its_identity_in_the_as_option(tmp_path, key_line):
    keys = load(tmp_path, f'# helpdesk\n\nas="Lynne.Robbins@contoso.com" {key_line}\n')
    [entry] = keys.values()
    assert entry.identity == "lynne.robbins@contoso.com" and entry.line == 3
    assert entry.fingerprint.startswith("SHA256:")


@pytest.mark.parametrize("line, problem", [
    ("{key}", "names no identity"),
    ('from="10.0.0.1" {key}', "the only option accepted"),
    ('as="admin@contoso.com",command="x" {key}', "the only option accepted"),
    ('as="not an address" {key}', "not an email address"),
    ('as="admin@contoso.com" ssh-ed25519 AAAAnotbase64', "a public key like ssh-ed25519"),
    ('as="admin@contoso.com"', "a public key like ssh-ed25519"),
])
def test_a_line_it_cannot_use_is_reported_by_number(tmp_path, key_line, line, problem):
    with pytest.raises(UsageError, match=problem) as raised:
        load(tmp_path, "# first\n" + line.format(key=key_line) + "\n")
    assert "line 2" in str(raised.value)


def test_one_key_cannot_sign_in_as_two_identities(tmp_path, key_line):
    with pytest.raises(UsageError, match="already on line 1 as admin@contoso.com"):
        load(tmp_path, f'as="admin@contoso.com" {key_line}\nas="lynne.robbins@contoso.com" {key_line}\n')


def test_a_missing_or_unreadable_file_says_how_to_write_one(tmp_path):
    with pytest.raises(StoreError, match='as="admin@contoso.com" ssh-ed25519'):
        AuthorizedKeys(tmp_path / "absent").load()
    (tmp_path / "latin1").write_bytes(b"as=\"\xe9@contoso.com\" ssh-ed25519 AAAA\n")
    with pytest.raises(StoreError, match="not UTF-8"):
        AuthorizedKeys(tmp_path / "latin1").load()


def test_the_host_key_is_made_once_private_and_then_reused(tmp_path):
    path = tmp_path / "conf" / "host_key"
    key, created = load_or_create_host_key(path)
    assert created and path.stat().st_mode & 0o777 == 0o600
    again, created = load_or_create_host_key(path)
    assert not created and again.get_fingerprint() == key.get_fingerprint()
    path.chmod(0o644)
    with pytest.raises(StoreError, match="can be read by others.*chmod 600"):
        load_or_create_host_key(path)
    path.chmod(0o600)
    path.write_text("not a key")
    with pytest.raises(StoreError, match="not an SSH private key"):
        load_or_create_host_key(path)
    assert path.read_text() == "not a key"


def test_listen_addresses_and_limits():
    assert parse_listen("127.0.0.1:2222") == ("127.0.0.1", 2222)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("2222", "127.0.0.1:", ":22", "host:99999", "host:port"):
        with pytest.raises(UsageError, match="HOST:PORT"):
            parse_listen(bad)
    assert is_loopback("localhost") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.com")
    assert idle_timeout("90s").total_seconds() == 90 and idle_timeout("1h30m").total_seconds() == 5400
    for bad in ("0s", "25h", "soon"):
        with pytest.raises(OmeError):
            idle_timeout(bad)
    with pytest.raises(UsageError, match="from 1 to 1000"):
        max_sessions(0)


def test_the_server_will_not_start_on_a_bad_file_and_says_which_line(demo_cli, tmp_path):
    keys = tmp_path / "authorized_keys"
    keys.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaWHsMVY0Utt\n")
    base = ("serve", "ssh", "--listen", "127.0.0.1:0", "--host-key", tmp_path / "hk", "--authorized-keys", keys)
    assert_one_line_error(demo_cli(*base, check=2), "line 1", "names no identity")
    assert_one_line_error(demo_cli(*base[:-1], tmp_path / "none", check=1), "no authorized-keys file")
    assert_one_line_error(demo_cli(*base, "--idle-timeout", "forever", check=2), "idle timeout")
    assert_one_line_error(demo_cli(*base, "--as", "admin@contoso.com", check=2), "not --as")
