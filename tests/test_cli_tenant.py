"""The real CLI in a subprocess: init, users, templates, native domains, send, and their errors."""

import subprocess

import pytest

from support.cli import OMECONSOLE, assert_one_line_error, clean_env

ADMIN = "admin@fourthcoffee.com"


@pytest.fixture
def tenant_cli(cli):
    cli("init", "--org", "Fourth Coffee", "--domain", "fourthcoffee.com", "--admin", ADMIN, "--license", "E5")
    return cli


def test_init_creates_the_tenant_with_the_default_template(tenant_cli):
    assert tenant_cli.json("user", "list") == [{"Address": ADMIN, "Role": "global-admin"}]
    [default] = tenant_cli.json("template", "list")
    assert default["Identity"] == "OME Configuration" and default["IsDefault"] is True


def test_init_twice_is_refused_and_changes_nothing(tenant_cli, store_dir):
    before = (store_dir / "tenant.json").read_bytes()
    result = tenant_cli("init", "--org", "X", "--domain", "x.com", "--admin", "a@x.com", "--license", "E5", check=1)
    assert_one_line_error(result, "already holds")
    assert (store_dir / "tenant.json").read_bytes() == before


@pytest.mark.parametrize("domain,admin,license,needle", [
    ("x.com", "a@x.com", "P2", "is not one of E5"),
    ("x.com", "a@elsewhere.com", "E5", "not in an accepted domain"),
    ("nodot", "a@x.com", "E5", "not a domain name"),
    ("x.com", "not-an-address", "E5", "not an email address"),
])
def test_init_errors_are_usage_errors(cli, store_dir, domain, admin, license, needle):
    result = cli("init", "--org", "X", "--domain", domain, "--admin", admin, "--license", license, check=2)
    assert_one_line_error(result, needle)
    assert not (store_dir / "tenant.json").exists()


def test_a_missing_option_is_a_one_line_usage_error(cli):
    assert_one_line_error(cli("init", "--org", "X", check=2), "required")
    assert_one_line_error(cli("frobnicate", check=2), "invalid choice")


def test_licences_are_accepted_in_their_usual_spellings(cli):
    cli("init", "--org", "X", "--domain", "x.com", "--admin", "a@x.com", "--license", "e3+e5compliance",
        "--no-premium-encryption")


def test_users_and_roles(tenant_cli):
    assert "Added lynne@fourthcoffee.com as helpdesk" in tenant_cli(
        "user", "add", "Lynne@FourthCoffee.com", "--role", "helpdesk").stdout
    assert_one_line_error(tenant_cli("user", "add", "lynne@fourthcoffee.com", "--role", "user", check=1),
                          "already a user")
    assert_one_line_error(tenant_cli("user", "add", "x@gmail.com", "--role", "user", check=2), "accepted domain")
    assert_one_line_error(tenant_cli("user", "add", "y@fourthcoffee.com", "--role", "boss", check=2), "role")
    assert_one_line_error(tenant_cli("user", "add", "z@fourthcoffee.com", "--role", "user",
                                     "--as", "lynne@fourthcoffee.com", check=1), "Global Administrator")
    assert [u["Address"] for u in tenant_cli.json("user", "list")] == [ADMIN, "lynne@fourthcoffee.com"]


def test_templates(tenant_cli):
    tenant_cli("template", "add", "Fourth Coffee Secure", "--expiry-days", "30")
    assert_one_line_error(tenant_cli("template", "add", "fourth coffee secure", check=1), "already exists")
    assert_one_line_error(tenant_cli("template", "add", "OME Configuration", "--expiry-days", "5", check=1),
                          "default template")
    assert_one_line_error(tenant_cli("template", "add", "Too long", "--expiry-days", "731", check=2), "0 to 730")
    assert_one_line_error(tenant_cli("template", "add", "x" * 65, check=2), "at most 64")
    assert_one_line_error(tenant_cli("template", "add", "Never", "--expiry-days", "ten", check=2), "whole number")
    names = {t["Identity"]: t["ExternalMailExpiryInDays"] for t in tenant_cli.json("template", "list")}
    assert names == {"OME Configuration": 0, "Fourth Coffee Secure": 30}


def test_native_domains_change_the_experience_of_new_messages(tenant_cli):
    def experience():
        out = tenant_cli.json("send", "--from", ADMIN, "--to", "ray@fabrikam.com", "--subject", "s", "--body", "b",
                              "--encrypt", "encrypt-only")
        return out["Recipients"][0]["Experience"]

    assert experience() == "link-based"
    tenant_cli("native-domain", "add", "Fabrikam.com")
    assert tenant_cli.json("native-domain", "list") == [{"Domain": "fabrikam.com"}]
    assert experience() == "native"
    assert_one_line_error(tenant_cli("native-domain", "add", "fabrikam.com", check=1), "already")
    assert_one_line_error(tenant_cli("native-domain", "add", "fourthcoffee.com", check=1), "accepted domains")
    tenant_cli("native-domain", "remove", "fabrikam.com")
    assert experience() == "link-based"


def test_send_prints_the_message_id_first(tenant_cli):
    result = tenant_cli("send", "--from", ADMIN, "--to", "bob@gmail.com", "--to", "amy@fourthcoffee.com",
                        "--subject", "Hello", "--body", "Hi")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("<") and lines[0].endswith(".prod.outlook.com>")
    assert "to bob@gmail.com" in result.stdout
    assert tenant_cli.json("status", "--message-id", lines[0])["MessageId"] == lines[0]


def test_send_reads_the_body_from_a_file_or_stdin(tenant_cli, tmp_path):
    tenant_cli("template", "add", "Secure")
    body = tmp_path / "body.txt"
    body.write_text("From a file ✓\n", encoding="utf-8")
    first = tenant_cli("send", "--from", ADMIN, "--to", "bob@gmail.com", "--subject", "F", "--body-file", body,
                       "--encrypt", "do-not-forward", "--template", "secure").stdout.splitlines()[0]
    second = tenant_cli("send", "--from", ADMIN, "--to", "bob@gmail.com", "--subject", "S", "--body-file", "-",
                        "--encrypt", "encrypt-only", "--template", "Secure", stdin="From stdin").stdout.splitlines()[0]
    bob = ("--recipient", "bob@gmail.com", "--as", "bob@gmail.com")
    assert "From a file ✓" in tenant_cli("portal", "--message-id", first, *bob).stdout
    assert "From stdin" in tenant_cli("portal", "--message-id", second, *bob).stdout


@pytest.mark.parametrize("extra,code,needle", [
    (["--template", "Secure"], 2, "applies only to encrypted mail"),
    (["--encrypt", "encrypt-only", "--template", "Nope"], 1, "no branding template named"),
    (["--encrypt", "sometimes"], 2, "encryption 'sometimes' is not one of"),
    (["--encrypt", "none"], 2, "leave out --encrypt"),
    (["--received", "2999-01-01"], 2, "in the future"),
    (["--received", "last tuesday"], 2, "not an ISO 8601"),
    (["--applied-by", "robot"], 2, "encryption method"),
])
def test_send_errors_change_nothing(tenant_cli, store_dir, extra, code, needle):
    before = sorted(p.name for p in (store_dir / "messages").iterdir())
    result = tenant_cli("send", "--from", ADMIN, "--to", "bob@gmail.com", "--subject", "s", "--body", "b", *extra,
                        check=code)
    assert_one_line_error(result, needle)
    assert sorted(p.name for p in (store_dir / "messages").iterdir()) == before


def test_who_may_send(tenant_cli):
    tenant_cli("user", "add", "amy@fourthcoffee.com", "--role", "user")
    tenant_cli("user", "add", "hd@fourthcoffee.com", "--role", "helpdesk")
    send = ("send", "--from", "amy@fourthcoffee.com", "--to", "bob@gmail.com", "--subject", "s", "--body", "b")
    tenant_cli(*send, "--as", "amy@fourthcoffee.com")
    assert_one_line_error(tenant_cli(*send, "--as", "hd@fourthcoffee.com", check=1), "changes nothing")
    tenant_cli("user", "add", "ben@fourthcoffee.com", "--role", "user")
    assert_one_line_error(tenant_cli(*send, "--as", "ben@fourthcoffee.com", check=1), "may not send as")
    assert_one_line_error(tenant_cli("send", "--from", "x@gmail.com", "--to", "bob@gmail.com", "--subject", "s",
                                     "--body", "b", check=2), "not in an accepted domain")


def test_the_identity_and_store_come_from_flags_or_the_environment(tenant_cli, store_dir, tmp_path):
    tenant_cli("user", "add", "hd@fourthcoffee.com", "--role", "helpdesk")
    refused = tenant_cli("user", "add", "q@fourthcoffee.com", "--role", "user",
                         env={"OMECONSOLE_AS": "hd@fourthcoffee.com"}, check=1)
    assert "hd@fourthcoffee.com" in refused.stderr
    elsewhere = tenant_cli("--store", tmp_path / "nowhere", "user", "list", check=1)
    assert "no omeconsole store" in elsewhere.stderr
    assert tenant_cli("user", "list", "--store", store_dir).returncode == 0


def test_an_identity_that_is_not_an_address_is_a_usage_error(tenant_cli):
    assert_one_line_error(tenant_cli("user", "list", "--as", "nobody", check=2), "identity")


def test_a_closed_standard_input_is_a_clear_error_not_a_crash(tenant_cli, store_dir):
    """Scripts and CI may run omeconsole with standard input closed (Python then sets sys.stdin to None)."""
    def closed(*args):
        command = " ".join(f"'{a}'" for a in (*OMECONSOLE, "--store", store_dir, *args))
        return subprocess.run(["bash", "-c", command + " <&-"], capture_output=True, text=True, timeout=60,
                              cwd=str(store_dir.parent), env=clean_env())

    assert closed("user", "list").returncode == 0
    result = closed("send", "--from", ADMIN, "--to", "bob@gmail.com", "--subject", "s", "--body-file", "-")
    assert result.returncode == 2 and "standard input, which is closed" in result.stderr
    result = closed()
    assert result.returncode == 2 and "needs a terminal" in result.stderr and "Traceback" not in result.stderr
