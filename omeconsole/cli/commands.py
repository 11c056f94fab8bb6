"""Each command: parse its words, call one service, print. No rule lives here."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

from omeconsole.cli import render
from omeconsole.cli.streams import is_terminal, read_bounded, stdin_line, write_out
from omeconsole.core.text.addresses import parse_patterns
from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace.records import (
    DETAIL_PROPERTIES, TRACE_PROPERTIES, event_record,
)
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.context import Context
from omeconsole.core.encryption_report.rows import REPORT_PROPERTIES
from omeconsole.core.tenant.setup import initialize
from omeconsole.core.tenant.admin import TenantAdmin, TenantDirectory
from omeconsole.core.mail.model import EncryptionMethod, Protection, TraceStatus
from omeconsole.core.store.store import default_store_dir
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, License, Role
from omeconsole.core.dkm.master import check_new_passphrase
from omeconsole.core.text.times import format_iso, parse_iso
from omeconsole.core.text.untrusted import shown
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.mail.send import MAX_BODY_BYTES, send_message
from omeconsole.core.message_trace.reindex import rebuild_trace_index
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.message_trace.search import get_message_trace_detail
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status

_TRACE_LIMITS = {"Subject": 40}


def store_dir(args) -> Path:
    given = getattr(args, "store", None)
    return Path(given).expanduser() if given else default_store_dir()


def open_context(args) -> Context:
    identity = getattr(args, "as_address", None) or os.environ.get("OMECONSOLE_AS") or None
    return Context.open(store_dir(args), identity, passphrase=passphrase_source())


def passphrase_source():
    """OMECONSOLE_PASSPHRASE, else a prompt on a terminal, else none (the keyring says what is missing)."""
    if os.environ.get("OMECONSOLE_PASSPHRASE"):
        return lambda: os.environ["OMECONSOLE_PASSPHRASE"]
    if is_terminal(sys.stdin):
        import getpass

        return lambda: getpass.getpass("Keyring passphrase: ")
    return None


def wants_json(args) -> bool:
    return bool(getattr(args, "json", False))


def emit(text: str) -> None:
    """A line (or lines) on standard output. Data in it is shown, never obeyed: a control character
    or escape sequence prints as a visible escape, and only line breaks are kept."""
    text = shown(text, lines=True)
    write_out(text if text.endswith("\n") else text + "\n")


def warn(text: str) -> None:
    """One line on standard error, data in it shown, never obeyed."""
    sys.stderr.write(f"omeconsole: {shown(text)}\n")


def emit_records(args, records: list[dict], columns, table_columns=None, limits=None) -> None:
    if wants_json(args) and getattr(args, "csv", False):
        raise UsageError("choose one of --json and --csv")
    if wants_json(args):
        emit(render.as_json(records))
    elif getattr(args, "csv", False):
        write_out(render.as_csv(records, columns, for_terminal=is_terminal(sys.stdout)))
    elif not records:
        emit("No results.")
    else:
        emit(render.as_table(records, table_columns or columns, limits, short_dates=("Received", "Date", "Time")))


# -- tenant -----------------------------------------------------------------------------

def cmd_init(args) -> int:
    passphrase = check_new_passphrase(stdin_line("the passphrase")) if args.passphrase_stdin else None
    tenant = initialize(store_dir(args), organization=args.org, domains=args.domain, admin=args.admin,
                        license=License.parse(args.license), premium_encryption=not args.no_premium_encryption,
                        passphrase=passphrase)
    if wants_json(args):
        emit(render.as_json({"Organization": tenant.organization, **_tenant_record(tenant)}))
    else:
        emit(f"Created tenant {tenant.organization} ({tenant.license.title}) in {store_dir(args)}; "
             f"Global Administrator: {tenant.users[0].address}; keyring protected by "
             + ("a passphrase" if passphrase else "the key file master.key (0600)"))
    return 0


def _tenant_record(tenant) -> dict:
    return {"AcceptedDomains": tenant.accepted_domains, "License": tenant.license.value,
            "PremiumEncryption": tenant.premium_encryption,
            "AdvancedMessageEncryption": tenant.has_advanced_message_encryption}


def cmd_user(args) -> int:
    context = open_context(args)
    if args.subcommand == "add":
        user = TenantAdmin(context).add_user(args.address, Role.parse(args.role))
        if wants_json(args):
            emit(render.as_json({"Address": user.address, "Role": user.role.value}))
        else:
            emit(f"Added {user.address} as {user.role.value}")
        return 0
    records = [{"Address": u.address, "Role": u.role.value} for u in TenantDirectory(context).users()]
    emit_records(args, records, ("Address", "Role"))
    return 0


def cmd_template(args) -> int:
    context = open_context(args)
    if args.subcommand == "add":
        template = TenantAdmin(context).add_template(args.name, args.expiry_days)
        records = [template]
    else:
        records = TenantDirectory(context).templates()
    rows = [{"Identity": t.name, "ExternalMailExpiryInDays": t.expiry_days, "OTPEnabled": t.otp_enabled,
             "SocialIdSignIn": t.social_id_sign_in, "IsDefault": t.name == DEFAULT_TEMPLATE} for t in records]
    if args.subcommand == "add" and not wants_json(args):
        emit(f"Added branding template \"{rows[0]['Identity']}\" (ExternalMailExpiryInDays "
             f"{rows[0]['ExternalMailExpiryInDays']})")
        return 0
    emit_records(args, rows, tuple(rows[0]) if rows else ("Identity",))
    return 0


def cmd_native_domain(args) -> int:
    context = open_context(args)
    if args.subcommand in ("add", "remove"):
        domain = TenantAdmin(context).set_native_domain(args.domain, args.subcommand == "add")
        emit(f"{domain}: recipients there now get the {'native' if args.subcommand == 'add' else 'link-based'} "
             "experience in new messages")
        return 0
    emit_records(args, [{"Domain": d} for d in TenantDirectory(context).native_domains()], ("Domain",))
    return 0


def cmd_demo(args) -> int:
    from omeconsole.core.demo.contoso import create_demo

    root = store_dir(args)
    progress = _progress_bar() if args.messages >= 20_000 and is_terminal(sys.stderr) else None
    tenant, count = create_demo(root, messages=args.messages, seed=args.seed, progress=progress)
    if progress:
        sys.stderr.write("\n")
    if wants_json(args):
        emit(render.as_json({"Organization": tenant.organization, "Store": str(root), "Messages": count}))
    else:
        emit(f"Created the {tenant.organization} demo tenant with {count} messages in {root}\n"
             f"Try: omeconsole trace --recipient '*@gmail.com'   (acting as {tenant.users[0].address})")
    return 0


def cmd_reindex(args) -> int:
    count, skipped = rebuild_trace_index(open_context(args))
    if wants_json(args):
        emit(render.as_json({"Messages": count, "Skipped": skipped}))
        return 0
    emit(f"The trace index holds {count:,} messages")
    for problem in skipped[:20]:
        warn(f"not filed: {problem}")
    if len(skipped) > 20:
        warn(f"and {len(skipped) - 20:,} more message document(s) not filed")
    return 0


def _progress_bar():
    started = time.monotonic()

    def show(done: int, total: int, phase: str) -> None:
        filled = done * 30 // max(total, 1)
        elapsed = time.monotonic() - started
        eta = f", about {elapsed * (total - done) / done:.0f} s left" if 0 < done < total else ""
        sys.stderr.write(f"\r\x1b[K[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} messages: "
                         f"{phase} ({elapsed:.0f} s{eta})")
        sys.stderr.flush()
    return show


# -- mail -------------------------------------------------------------------------------

def cmd_send(args) -> int:
    context = open_context(args)
    protection = Protection.parse(args.encrypt) if args.encrypt else Protection.NONE
    message = send_message(context,
        sender=args.sender, recipients=args.recipients, subject=args.subject, body=_body(args),
        protection=protection, method=EncryptionMethod.parse(args.applied_by), template=args.template,
        received=parse_iso(args.received, "--received") if args.received else None,
    )
    if wants_json(args):
        emit(render.as_json({
            "MessageId": message.message_id, "MessageTraceId": message.trace_id,
            "Recipients": [{"RecipientAddress": r.address,
                            "Experience": r.experience.value if r.experience else None} for r in message.recipients],
        }))
        return 0
    emit(message.message_id)
    emit(f"MessageTraceId: {message.trace_id}")
    for r in message.recipients:
        emit(f"  to {r.address}" + (f" ({r.experience.value})" if r.experience else ""))
    return 0


def _body(args) -> str:
    if args.body is not None:
        return args.body
    what = "the body (standard input)" if args.body_file == "-" else "--body-file"
    return read_bounded(args.body_file, what, MAX_BODY_BYTES)


def _range(args):
    start = parse_iso(args.start, "--start") if args.start else None
    end = parse_iso(args.end, "--end") if args.end else None
    if start and end and start > end:
        raise UsageError("--start is after --end")
    return start, end


def cmd_trace(args) -> int:
    start, end = _range(args)
    if args.subject_filter.lower() not in ("contains", "startswith", "endswith"):
        raise UsageError("--subject-filter must be contains, startswith or endswith")
    query = TraceQuery(
        senders=parse_patterns(args.sender), recipients=parse_patterns(args.recipient), start=start, end=end,
        statuses=[TraceStatus.parse(s) for s in args.status or []], message_id=args.message_id,
        subject=args.subject, subject_filter=args.subject_filter.lower(),
        trace_ids=[_guid(g) for g in args.message_trace_id or []],
        from_ips=[ip.strip() for ip in args.from_ip or []], to_ips=[ip.strip() for ip in args.to_ip or []],
    )
    result = get_message_trace(open_context(args), query, limit=args.result_size)
    if result.truncated:
        warn(f"showing the newest {result.limit:,} rows; more match this search")
    emit_records(args, [r.to_record() for r in result.rows], TRACE_PROPERTIES,
                 table_columns=("Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "MessageId"),
                 limits=_TRACE_LIMITS)
    return 0


def _guid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip().strip("{}")))
    except ValueError:
        raise UsageError(f"Message Trace ID {text!r} is not a GUID") from None


def cmd_trace_detail(args) -> int:
    message, events = get_message_trace_detail(open_context(args), args.message_id, args.recipient)
    emit_records(args, [event_record(e) for e in events], DETAIL_PROPERTIES)
    return 0


def cmd_report(args) -> int:
    start, end = _range(args)
    rows = get_encryption_report(open_context(args), start, end).rows
    emit_records(args, [r.to_record() for r in rows], REPORT_PROPERTIES,
                 table_columns=("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate",
                                "EncryptionMethod", "RevocationStatus", "MessageId"),
                 limits=_TRACE_LIMITS)
    return 0


def cmd_status(args) -> int:
    record = get_ome_message_status(open_context(args), args.message_id).to_record()
    emit(render.as_json(record) if wants_json(args) else render.as_list(record))
    return 0


def cmd_revoke(args) -> int:
    message = set_ome_message_revocation(open_context(args), args.message_id)
    if wants_json(args):
        emit(render.as_json({"MessageId": message.message_id, "Subject": message.subject, "Revoked": True,
                             "RevokedBy": message.revocation.revoked_by,
                             "RevokedAt": format_iso(message.revocation.revoked_at)}))
    else:
        emit(f"The encrypted email with the subject \"{shown(message.subject)}\" and Message ID "
             f"\"{message.message_id}\" was successfully revoked")
    return 0


def cmd_portal(args) -> int:
    view = open_in_portal(open_context(args), args.message_id, args.recipient)
    if wants_json(args):
        emit(render.as_json(view.to_record()))
    elif view.body is not None:
        emit(f"OME portal, signed in as {view.recipient}\nFrom:    {view.message.sender}\n"
             f"Subject: {shown(view.message.subject)}\n\n{view.body}")
    else:
        emit(f"OME portal, signed in as {view.recipient}\n{view.text}")
    return 0


def cmd_import(args) -> int:
    result = TraceImport(open_context(args)).import_file(Path(args.file))
    if wants_json(args):
        emit(render.as_json(result.to_record()))
    else:
        emit(f"Imported {result.path} ({result.format}): {result.rows_read} row(s) read, {result.rows_added} added "
             f"({result.messages_added} new message(s)), {result.rows_already_present} already present, "
             f"{len(result.errors)} rejected")
        for error in result.errors:
            warn(f"{result.path}: {error}")
    return 0


def cmd_tenant(args) -> int:
    context = open_context(args)
    if args.subcommand == "set":
        door = None if args.approvals_require_door == "off" else args.approvals_require_door
        TenantAdmin(context).set_approvals_door(door)
    tenant = TenantDirectory(context).settings()
    record = {"Organization": tenant.organization, **_tenant_record(tenant),
              "ApprovalsRequireDoor": tenant.approvals_require_door or "off"}
    emit(render.as_json(record) if wants_json(args) else render.as_list(record))
    return 0


HANDLERS = {
    "tenant": cmd_tenant, "init": cmd_init, "user": cmd_user, "template": cmd_template, "native-domain": cmd_native_domain,
    "demo": cmd_demo, "reindex": cmd_reindex, "send": cmd_send, "trace": cmd_trace, "trace-detail": cmd_trace_detail,
    "report": cmd_report, "status": cmd_status, "revoke": cmd_revoke, "portal": cmd_portal, "import": cmd_import,
}
