"""init, demo, tenant, user, template, rule, native-domain: the tenant and its administration."""

from __future__ import annotations

import sys
import time

from omeconsole.cli import render
from omeconsole.cli.context import open_context, store_dir
from omeconsole.cli.output import emit, emit_records, wants_json
from omeconsole.cli.streams import is_terminal, stdin_line
from omeconsole.core.dkm.master import check_new_passphrase
from omeconsole.core.tenant.admin import TenantAdmin, TenantDirectory
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, BrandingTemplate, License, Role
from omeconsole.core.tenant.setup import initialize
from omeconsole.core.tenant.transport_rules import rule_condition


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
    if args.subcommand in ("add", "set"):
        admin = TenantAdmin(context)
        change = admin.add_template if args.subcommand == "add" else admin.set_template
        records = [change(args.name, args.expiry_days, **_branding(args))]
    else:
        records = TenantDirectory(context).templates()
    rows = [_template_record(t) for t in records]
    if args.subcommand != "list" and not wants_json(args):
        verb = "Added" if args.subcommand == "add" else "Changed"
        emit(f"{verb} branding template \"{rows[0]['Identity']}\" (ExternalMailExpiryInDays "
             f"{rows[0]['ExternalMailExpiryInDays']}, OTPEnabled {rows[0]['OTPEnabled']})")
        return 0
    columns = ("Identity", "ExternalMailExpiryInDays", "OTPEnabled", "SocialIdSignIn", "BackgroundColor",
               "IsDefault")
    emit_records(args, rows, tuple(rows[0]) if wants_json(args) and rows else columns)
    return 0


def _branding(args) -> dict:
    otp = {"true": True, "false": False}.get(args.otp_enabled) if args.otp_enabled else None
    return {"introduction_text": args.introduction_text, "read_button_text": args.read_button_text,
            "email_text": args.email_text, "disclaimer_text": args.disclaimer_text,
            "portal_text": args.portal_text, "background_color": args.background_color, "otp_enabled": otp}


def _template_record(t: BrandingTemplate) -> dict:
    return {"Identity": t.name, "ExternalMailExpiryInDays": t.expiry_days, "OTPEnabled": t.otp_enabled,
            "SocialIdSignIn": t.social_id_sign_in, "BackgroundColor": t.background_color,
            "IntroductionText": t.introduction_text, "ReadButtonText": t.read_button_text,
            "EmailText": t.email_text, "DisclaimerText": t.disclaimer_text, "PortalText": t.portal_text,
            "IsDefault": t.name == DEFAULT_TEMPLATE}


def cmd_rule(args) -> int:
    context = open_context(args)
    admin = TenantAdmin(context)
    if args.subcommand == "add":
        condition = rule_condition(args.subject_contains, args.sent_to_domain, args.from_address)
        rules = [admin.add_transport_rule(args.name, condition, args.encrypt, args.template)]
    elif args.subcommand == "remove":
        rule = admin.remove_transport_rule(args.name)
        emit(f"Removed the mail flow rule \"{rule.name}\"")
        return 0
    else:
        rules = TenantDirectory(context).transport_rules()
    rows = [{"Priority": n, "Name": r.name, "Condition": r.describe(), "Encrypt": r.protection,
             "Template": r.template or DEFAULT_TEMPLATE} for n, r in enumerate(rules)]
    if args.subcommand == "add" and not wants_json(args):
        emit(f"Added the mail flow rule \"{rules[0].name}\": when {rules[0].describe()}, "
             f"{rows[0]['Encrypt']} with \"{rows[0]['Template']}\"")
        return 0
    emit_records(args, rows, ("Priority", "Name", "Condition", "Encrypt", "Template"))
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
