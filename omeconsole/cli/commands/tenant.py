"""init, demo, tenant, user, template, native-domain: the tenant and its administration."""

from __future__ import annotations

import sys
import time

from omeconsole.cli import render
from omeconsole.cli.context import open_context, store_dir
from omeconsole.cli.output import emit, emit_records, wants_json
from omeconsole.cli.streams import is_terminal, stdin_line
from omeconsole.core.dkm.master import check_new_passphrase
from omeconsole.core.tenant.admin import TenantAdmin, TenantDirectory
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, License, Role
from omeconsole.core.tenant.setup import initialize


def cmd_init(args) -> int:
    passphrase = check_new_passphrase(stdin_line("the passphrase")) if args.passphrase_stdin else None
    tenant = initialize(store_dir(args), organization=args.org, domains=args.domain, admin=args.admin,
                        license=License.parse(args.license), premium_encryption=not args.no_premium_encryption,
                        passphrase=passphrase)
    if wants_json(args):
        emit(render.as_json({"Organization": tenant.organization, **_tenant_record(tenant)}))
    else:
        emit(f"Created tenant {tenant.organization} ({tenant.license.label}) in {store_dir(args)}; "
             f"Global Administrator: {tenant.users[0].address}; keyring protected by "
             + ("a passphrase" if passphrase else "the key file master.key (0600)"))
    return 0


def _tenant_record(tenant) -> dict:
    return {"AcceptedDomains": tenant.accepted_domains, "License": tenant.license.value,
            "PremiumEncryption": tenant.premium_encryption,
            "AdvancedMessageEncryption": tenant.has_advanced_message_encryption}


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
