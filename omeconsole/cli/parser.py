"""The command line, shaped after the Exchange cmdlets admins already know."""

from __future__ import annotations

import argparse

from omeconsole import __version__
from omeconsole.core.errors import UsageError


class Parser(argparse.ArgumentParser):
    """argparse that raises one-line UsageErrors instead of printing usage and exiting."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common() -> Parser:
    common = Parser(add_help=False)
    common.add_argument("--store", metavar="DIR", default=argparse.SUPPRESS,
                        help="the store directory (env OMECONSOLE_STORE; default: a per-user data directory)")
    common.add_argument("--as", dest="as_address", metavar="ADDRESS", default=argparse.SUPPRESS,
                        help="the acting identity (env OMECONSOLE_AS; default: the tenant's first global admin)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON with the PowerShell property names")
    return common


def build_parser() -> Parser:
    common = _common()
    parser = Parser(prog="omeconsole", parents=[common],
                    description="Office 365 Message Encryption revocation, on a local store. "
                                "With no command, opens the console.")
    parser.add_argument("--version", action="version", version=f"omeconsole {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="with no command: create the Contoso demo tenant in an empty store, then open the console")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name, help_text, **kwargs):
        return commands.add_parser(name, parents=[common], help=help_text, description=help_text, **kwargs)

    _tenant_commands(command)
    _mail_commands(command)
    _key_commands(command)
    _serve_commands(command)
    return parser


def _serve_commands(command) -> None:
    serve = _subcommands(command, "serve", "front doors: the console over SSH or in a browser on this machine; "
                                           "the mail flow and the OME portal")
    ssh = serve("ssh", "serve the console over SSH: public keys sign in as tenant identities")
    ssh.add_argument("--listen", default="127.0.0.1:2222", metavar="HOST:PORT",
                     help="where to listen (default 127.0.0.1:2222; port 0 lets the system choose)")
    ssh.add_argument("--host-key", metavar="FILE", help="the server's private key, created (0600) if missing "
                     "(default: ssh_host_ed25519_key in the per-user config directory)")
    ssh.add_argument("--authorized-keys", metavar="FILE", help='one line per key: as="address" ssh-ed25519 AAAA... '
                     "(default: authorized_keys in the per-user config directory)")
    ssh.add_argument("--max-sessions", type=_int, default=8, metavar="N",
                     help="consoles open at once; more are refused with a message (default 8)")
    ssh.add_argument("--idle-timeout", default="15m", metavar="DURATION",
                     help="close a session after this long without input, e.g. 30m, 1h, 90s (default 15m)")
    web = serve("web", "serve the console in a browser (textual-serve) as the --as identity, to whoever has the URL "
                       "it prints (a new token each start); loopback only")
    web.add_argument("--listen", default="127.0.0.1:8000", metavar="HOST:PORT",
                     help="where to listen (default 127.0.0.1:8000)")
    web.add_argument("--allow-remote", action="store_true",
                     help="listen on an address other machines can reach (plain HTTP: whoever reads the URL on the "
                          "way acts as --as)")
    web.add_argument("--max-sessions", type=_int, default=4, metavar="N",
                     help="consoles open at once, 1 to 100; a tab over it is told why (default 4)")
    _mail_server(serve("mail", "the tenant's outbound SMTP server, as Exchange Online: encrypts by the user or by mail "
                               "flow rules, then delivers to a relay or a drop folder; loopback only"))
    portal = serve("portal", "the OME portal: link-based recipients sign in with a one-time passcode and read")
    portal.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                        help="where to listen (default 127.0.0.1:8080)")
    portal.add_argument("--public-url", metavar="URL",
                        help="the URL recipients' links start with, when it is not http://HOST:PORT (a proxy)")


def _mail_server(mail) -> None:
    mail.add_argument("--listen", default="127.0.0.1:2525", metavar="HOST:PORT",
                      help="where to take SMTP (default 127.0.0.1:2525; port 0 lets the system choose)")
    target = mail.add_mutually_exclusive_group(required=True)
    target.add_argument("--relay", metavar="HOST:PORT", help="hand each message to this smart host")
    target.add_argument("--drop-dir", metavar="DIR",
                        help="write each message as a .eml file into DIR instead (for demos)")
    mail.add_argument("--portal-url", required=True, metavar="URL",
                      help="where `serve portal` is reached, e.g. http://127.0.0.1:8080: link-based recipients' "
                           "links start with it")
    mail.add_argument("--retry-window", default="24h", metavar="DURATION",
                      help="how long to retry a delivery the relay defers, before it fails, e.g. 2h, 30m "
                           "(default 24h)")


def _tenant_commands(command) -> None:
    init = command("init", "create a tenant in a new store")
    init.add_argument("--org", required=True, help="organisation name")
    init.add_argument("--domain", action="append", required=True, help="an accepted domain (repeatable)")
    init.add_argument("--admin", required=True, help="the first Global Administrator's address")
    init.add_argument("--license", required=True, metavar="SKU", help="E5, A5, E3+E5Compliance or E3")
    init.add_argument("--no-premium-encryption", action="store_true",
                      help="the Premium Encryption in Office 365 service plan is disabled")
    init.add_argument("--passphrase-stdin", action="store_true",
                      help="protect the keyring with a passphrase read from standard input (Argon2id), "
                           "instead of a 0600 key file")

    user = command("user", "tenant users and their roles").add_subparsers(
        dest="subcommand", metavar="ACTION", required=True, parser_class=Parser)
    add = user.add_parser("add", parents=[_common()], help="add a user")
    add.add_argument("address")
    add.add_argument("--role", required=True, help="global-admin, helpdesk or user")
    user.add_parser("list", parents=[_common()], help="list users")

    template = command("template", "branding templates (OME configurations)").add_subparsers(
        dest="subcommand", metavar="ACTION", required=True, parser_class=Parser)
    add = template.add_parser("add", parents=[_common()], help="add a custom branding template")
    add.add_argument("name")
    add.add_argument("--expiry-days", type=_int, default=0,
                     help="ExternalMailExpiryInDays, 0 to 730 (0 = never; default 0)")
    _branding_options(add)
    change = template.add_parser("set", parents=[_common()], help="change a branding template (Set-OMEConfiguration)")
    change.add_argument("name")
    change.add_argument("--expiry-days", type=_int, help="ExternalMailExpiryInDays, 0 to 730 (0 = never)")
    _branding_options(change)
    template.add_parser("list", parents=[_common()], help="list branding templates")

    rule = command("rule", "mail flow rules that encrypt (New-TransportRule -ApplyRightsProtectionTemplate)"
                   ).add_subparsers(dest="subcommand", metavar="ACTION", required=True, parser_class=Parser)
    add = rule.add_parser("add", parents=[_common()], help="add a mail flow rule (Global Administrator)")
    add.add_argument("name")
    condition = add.add_mutually_exclusive_group(required=True)
    condition.add_argument("--subject-contains", metavar="TEXT", help="the subject contains TEXT (any case)")
    condition.add_argument("--sent-to-domain", metavar="DOMAIN", help="a recipient is in DOMAIN")
    condition.add_argument("--from", dest="from_address", metavar="ADDR", help="the sender is ADDR")
    add.add_argument("--encrypt", required=True, help="encrypt-only or do-not-forward")
    add.add_argument("--template", metavar="NAME", help="branding template (default \"OME Configuration\")")
    rule.add_parser("remove", parents=[_common()], help="remove a mail flow rule").add_argument("name")
    rule.add_parser("list", parents=[_common()], help="list mail flow rules, in priority order")

    native = command("native-domain", "other Microsoft 365 tenants' domains (native experience)").add_subparsers(
        dest="subcommand", metavar="ACTION", required=True, parser_class=Parser)
    for action in ("add", "remove"):
        native.add_parser(action, parents=[_common()], help=f"{action} a domain").add_argument("domain")
    native.add_parser("list", parents=[_common()], help="list native domains")

    settings = command("tenant", "the tenant's settings").add_subparsers(
        dest="subcommand", metavar="ACTION", required=True, parser_class=Parser)
    settings.add_parser("show", parents=[_common()], help="show the tenant's settings")
    change = settings.add_parser("set", parents=[_common()], help="change a setting (Global Administrator)")
    change.add_argument("--approvals-require-door", required=True, choices=("ssh", "off"),
                        help="ssh: approving, denying or ending an elevation counts only through the SSH door "
                             "(on the command line, --as proves nothing); off: from anywhere (the default)")

    demo = command("demo", "create the Contoso demo tenant in a new store")
    demo.add_argument("--messages", type=_int, default=300, help="how many messages (default 300)")
    demo.add_argument("--seed", type=_int, default=7, help="random seed (default 7)")

    command("reindex", "rebuild the trace index from the messages (after an upgrade or a damaged index file)")
    command("upgrade", "bring the store to the newest format (packed files, the report's counts); safe to rerun")

    audit = command("audit", "the audit log: who did what, when, with what outcome")
    audit.add_argument("--last", type=_int, metavar="N", help="only the last N entries")
    audit.add_argument("--csv", action="store_true", help="print CSV")
    audit_actions = audit.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    verify = audit_actions.add_parser("verify", parents=[_common()], help="check the whole hash chain")
    verify.add_argument("--checkpoint", metavar="FILE", help="a checkpoint kept elsewhere: also detects truncation")
    audit_actions.add_parser("checkpoint", parents=[_common()], help="print a signed head (Ed25519) to keep elsewhere")


def _subcommands(command, name: str, help_text: str):
    actions = command(name, help_text).add_subparsers(dest="subcommand", metavar="ACTION", required=True,
                                                      parser_class=Parser)
    return lambda action, text: actions.add_parser(action, parents=[_common()], help=text, description=text)


def _key_commands(command) -> None:
    keys = _subcommands(command, "keys", "the Distributed Key Manager's keyring")
    keys("status", "key versions, their state and data keys, and the next rollover")
    keys("rotate", "roll a new primary key version now")
    keys("rewrap", "move every wrapped data key to the primary, without opening any secret")
    keys("destroy", "destroy old key versions (refused while anything is wrapped under them)").add_argument(
        "--below", type=_int, required=True, metavar="N", help="destroy versions below N")
    keys("purge-expired", "destroy the content keys of expired messages")
    keys("decrypt", "read a message's content for troubleshooting (needs an active elevation)").add_argument(
        "--message-id", required=True, metavar="ID")
    keys("policy", "set the automated rollover period").add_argument(
        "--rotation-days", type=_int, required=True, metavar="DAYS")
    keys("group", "the DKM security group's members (service accounts only)")
    keys("group-add", "add a member to the DKM security group (a person is always refused)").add_argument("address")

    access = _subcommands(command, "access", "elevation: time-bound access to key material, approved in two stages")
    request = access("request", "ask for an elevation")
    request.add_argument("--reason", required=True, help="the justification")
    request.add_argument("--duration", required=True, help="e.g. 2h, 90m, 1h30m (at most 8h)")
    for action, text in (("approve", "approve a pending request (two stages, two different admins)"),
                         ("deny", "deny a pending request"), ("end", "end an active elevation early")):
        access(action, text).add_argument("id", metavar="ID")
    access("list", "every request with its state and time left")

    accounts = _subcommands(command, "accounts", "connected accounts (third-party mailboxes)")
    add = accounts("add", "connect an account; the password is read from standard input")
    add.add_argument("--mailbox", required=True, metavar="ADDR")
    add.add_argument("--provider", required=True, help="gmail, yahoo, outlook or imap")
    add.add_argument("--login", required=True)
    add.add_argument("--password-stdin", action="store_true", required=True)
    accounts("list", "list connected accounts")
    show = accounts("show", "one connected account")
    show.add_argument("id", metavar="ID")
    show.add_argument("--reveal", action="store_true", help="show the credential (needs an active elevation)")
    accounts("remove", "remove a connected account").add_argument("id", metavar="ID")


def _mail_commands(command) -> None:
    send = command("send", "simulate the mail flow: send a message")
    send.add_argument("--from", dest="sender", required=True, metavar="ADDR")
    send.add_argument("--to", dest="recipients", action="append", required=True, metavar="ADDR")
    send.add_argument("--subject", required=True)
    body = send.add_mutually_exclusive_group(required=True)
    body.add_argument("--body")
    body.add_argument("--body-file", metavar="FILE", help="a UTF-8 file, or - for standard input")
    send.add_argument("--encrypt", metavar="KIND", help="encrypt-only or do-not-forward")
    send.add_argument("--template", metavar="NAME", help="branding template (default \"OME Configuration\")")
    send.add_argument("--applied-by", metavar="METHOD", default="user",
                      help="who applied the encryption: user (default) or policy (a mail flow rule)")
    send.add_argument("--received", metavar="ISO8601", help="when Exchange received it (default now)")

    trace = command("trace", "Message Trace (Get-MessageTrace): one row per recipient")
    trace.add_argument("--sender", action="append", metavar="PATTERN", help="address or *@domain (repeatable)")
    trace.add_argument("--recipient", action="append", metavar="PATTERN", help="address or *@domain (repeatable)")
    _date_range(trace)
    trace.add_argument("--status", action="append", metavar="S", help="a Status value (repeatable)")
    trace.add_argument("--message-id", metavar="ID")
    trace.add_argument("--message-trace-id", action="append", metavar="GUID", help="a Message Trace ID (repeatable)")
    trace.add_argument("--from-ip", action="append", metavar="IP", help="the sending client's IP (repeatable)")
    trace.add_argument("--to-ip", action="append", metavar="IP", help="the receiving server's IP (repeatable)")
    trace.add_argument("--subject")
    trace.add_argument("--subject-filter", default="contains", metavar="HOW",
                       help="contains (default), startswith or endswith")
    trace.add_argument("--result-size", type=_positive_int, metavar="N",
                       help="at most N rows, the newest (default: every row that matches)")
    trace.add_argument("--csv", action="store_true", help="print CSV as Export-Csv -NoTypeInformation does")

    detail = command("trace-detail", "Get-MessageTraceDetail: the events for one recipient")
    detail.add_argument("--message-id", required=True, metavar="ID")
    detail.add_argument("--recipient", required=True, metavar="ADDR")

    report = command("report", "Encryption report: the Details table")
    _date_range(report)
    report.add_argument("--sender", action="append", metavar="PATTERN", help="address or *@domain (repeatable)")
    report.add_argument("--recipient", action="append", metavar="PATTERN", help="address or *@domain (repeatable)")
    report.add_argument("--method", metavar="M", help="user or policy")
    report.add_argument("--protection", metavar="P", help="encrypt-only or do-not-forward")
    report.add_argument("--template", metavar="NAME", help="a branding template, e.g. 'Contoso Secure'")
    report.add_argument("--revocation-status", metavar="S", help="Revocable, Revoked or 'Not revocable'")
    report.add_argument("--summary", action="store_true",
                        help="the charts' counts instead of the rows: by method, protection, branding template, "
                             "recipient domain and revocation status, counted by message and by recipient")
    report.add_argument("--csv", action="store_true")

    status = command("status", "Get-OMEMessageStatus: IsRevocable, Revoked, and why")
    status.add_argument("--message-id", required=True, metavar="ID")

    revoke = command("revoke", "Set-OMEMessageRevocation -Revoke $true (or the sender's Remove external access)")
    revoke.add_argument("--message-id", required=True, metavar="ID")

    portal = command("portal", "what a recipient sees in the OME portal")
    portal.add_argument("--message-id", required=True, metavar="ID")
    portal.add_argument("--recipient", required=True, metavar="ADDR")

    imp = command("import", "import a trace export: Get-MessageTrace CSV or JSON, the Enhanced summary or Extended "
                            "report, Graph messageTraces, the Reporting web service")
    imp.add_argument("file")
    imp.add_argument("--date-order", metavar="DMY|MDY|YMD",
                     help="how the file writes its dates, when the file itself cannot tell (day-first or month-first)")
    imp.add_argument("--culture", metavar="NAME",
                     help="the culture that wrote the file (en-US, en-GB, de-DE ...): its dates and list separator")


def _date_range(parser) -> None:
    parser.add_argument("--start", metavar="ISO", help="from this date/time (UTC unless an offset is given)")
    parser.add_argument("--end", metavar="ISO", help="up to this date/time")


def _branding_options(parser) -> None:
    """The OME configuration's texts and colour, and whether recipients may use a one-time passcode."""
    parser.add_argument("--introduction-text", metavar="TEXT", help="IntroductionText, beside the sender's name")
    parser.add_argument("--read-button-text", metavar="TEXT", help="ReadButtonText, on the wrapper mail's button")
    parser.add_argument("--email-text", metavar="TEXT", help="EmailText, in the wrapper mail")
    parser.add_argument("--disclaimer-text", metavar="TEXT", help="DisclaimerText, at the foot of the wrapper mail")
    parser.add_argument("--portal-text", metavar="TEXT", help="PortalText, on the OME portal's pages")
    parser.add_argument("--background-color", metavar="#RRGGBB", help="BackgroundColor")
    parser.add_argument("--otp-enabled", choices=("true", "false"), help="OTPEnabled: one-time passcodes")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive_int(text: str) -> int:
    number = _int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number
