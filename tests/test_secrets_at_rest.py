"""No plaintext message body, credential or passphrase anywhere under the store directory."""

import base64

from omeconsole.core.store.files import unpack
from support.cli import CLI

PASSPHRASE = "passphrase never stored 7731"
BODY = "BODY-MARKER-5d1f2 the quarterly numbers"
CREDENTIAL = "CREDENTIAL-MARKER-9a7e app password"


def _needles(text: str) -> list[bytes]:
    raw = text.encode("utf-8")
    return [raw, text.encode("utf-16-le"), base64.b64encode(raw), raw[:12]]


def test_secrets_never_reach_the_store_files(cli: CLI, store_dir):
    env = {"OMECONSOLE_PASSPHRASE": PASSPHRASE}
    cli("init", "--org", "Woodgrove", "--domain", "woodgrovebank.com", "--admin", "a@woodgrovebank.com",
        "--license", "E5", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    cli("user", "add", "u@woodgrovebank.com", "--role", "user", env=env)
    cli("template", "add", "Woodgrove Secure", env=env)
    for protection in ("encrypt-only", "do-not-forward"):
        cli("send", "--from", "u@woodgrovebank.com", "--to", "bob@gmail.com", "--subject", "Numbers", "--body", BODY,
            "--encrypt", protection, "--template", "Woodgrove Secure", env=env)
    cli("send", "--from", "u@woodgrovebank.com", "--to", "bob@gmail.com", "--subject", "Plain", "--body", BODY, env=env)
    cli("accounts", "add", "--mailbox", "u@woodgrovebank.com", "--provider", "imap", "--login", "u@mail.example",
        "--password-stdin", stdin=CREDENTIAL + "\n", env=env)
    cli("keys", "rotate", env=env)
    cli("keys", "rewrap", env=env)
    cli("audit", "checkpoint", env=env)
    files = [p for p in store_dir.rglob("*") if p.is_file()]
    assert len(files) > 8
    for path in files:
        data = unpack(path, path.read_bytes())  # a packed shard is searched as what it holds
        for secret in (PASSPHRASE, BODY, CREDENTIAL):
            for needle in _needles(secret):
                assert needle not in data, (path, secret)
        assert path.stat().st_mode & 0o077 == 0, path
    assert not (store_dir / "master.key").exists()


def test_errors_and_exports_never_carry_secrets(demo_cli: CLI):
    demo_cli("accounts", "add", "--mailbox", "megan.bowen@contoso.com", "--provider", "gmail", "--login", "m@gmail.com",
             "--password-stdin", stdin=CREDENTIAL + "\n")
    outputs = [demo_cli("accounts", "show", "CA-0001", "--reveal", check=1),
               demo_cli("audit", "--csv"), demo_cli("audit", "--json"), demo_cli("trace", "--csv"),
               demo_cli("report", "--json"), demo_cli("accounts", "list", "--json")]
    for result in outputs:
        assert CREDENTIAL not in result.stdout + result.stderr
        assert "Please find the details below" not in result.stdout + result.stderr


def test_screenshots_and_snapshots_show_no_message_body_or_key(demo_cli: CLI):
    """What the README and the snapshot tests publish: the portal preview shown is of a revoked message."""
    from support.paths import ROOT

    from omeconsole.core.demo.contoso import BODY

    fragments = [BODY.split("{n}")[0].split("\n\n")[1][:40], "BEGIN OPENSSH PRIVATE KEY", "PRIVATE KEY"]
    files = [*(ROOT / "screenshots").iterdir(), *(ROOT / "tests" / "__snapshots__").rglob("*.svg")]
    assert len(files) >= 8
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")  # a PNG too (the browser door's)
        for fragment in fragments:
            assert fragment not in text, (path, fragment)


def test_a_wrong_passphrase_is_never_echoed(cli: CLI):
    cli("init", "--org", "Woodgrove", "--domain", "woodgrovebank.com", "--admin", "a@woodgrovebank.com",
        "--license", "E5", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    wrong = "wrong passphrase 55aa"
    result = cli("keys", "rotate", env={"OMECONSOLE_PASSPHRASE": wrong}, check=1)
    assert "wrong passphrase for the keyring" in result.stderr
    assert wrong not in result.stdout + result.stderr and PASSPHRASE not in result.stdout + result.stderr
