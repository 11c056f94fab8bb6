"""The key manager's commands: keys, access (elevation), accounts, audit."""

from __future__ import annotations

import sys
from pathlib import Path

from omeconsole.cli import render
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit, emit_records, wants_json, warn
from omeconsole.cli.streams import is_terminal, stdin_line
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.key_manager import KeyManager
from omeconsole.core.tenant.connected_accounts import ConnectedAccounts
from omeconsole.core.text.times import format_iso

ACCESS_COLUMNS = ("Id", "Requester", "Reason", "Duration", "State", "TimeLeft", "Created", "ApprovedBy", "DeniedBy",
                  "GrantedAt", "EndsAt", "EndedBy")


def cmd_keys(args) -> int:
    manager = KeyManager(open_context(args))
    action = args.subcommand
    if action == "status":
        _keys_status(args, manager.status().to_record())
    elif action == "rotate":
        version = manager.rotate()
        _say(args, {"Primary": version.version, "Created": format_iso(version.created)},
             f"Key version {version.version} is now the primary; older versions are archived "
             "(they decrypt, and no longer encrypt)")
    elif action == "rewrap":
        moved = manager.rewrap(_progress(args))
        _say(args, {"Rewrapped": moved}, f"Rewrapped {moved} data key(s) under the primary; no secret was opened")
    elif action == "destroy":
        gone = manager.destroy_below(args.below)
        _say(args, {"Destroyed": gone}, f"Destroyed key version(s) {', '.join(map(str, gone))}")
    elif action == "purge-expired":
        purged = manager.purge_expired()
        _say(args, {"Purged": purged}, f"Destroyed the content keys of {len(purged)} expired message(s)")
    elif action == "decrypt":
        elevation, body = manager.decrypt(args.message_id)
        _say(args, {"Elevation": elevation, "Body": body}, body)
    elif action == "policy":
        days = manager.set_rotation_days(args.rotation_days)
        _say(args, {"RotationPeriodDays": days}, f"Key versions now roll over every {days} day(s)")
    elif action == "group":
        emit_records(args, [{"Member": m.address, "Kind": "service account", "Purpose": m.purpose}
                            for m in manager.members()], ("Member", "Kind", "Purpose"))
    else:
        manager.add_member(args.address)
    return 0


def _keys_status(args, record: dict) -> None:
    if wants_json(args):
        emit(render.as_json(record))
        return
    protection = {"key-file": "a key file (master.key, 0600)", "passphrase": "a passphrase (Argon2id)"}
    emit(f"Keyring protected by: {protection.get(record['Protection'], record['Protection'])}\n"
         f"Rotation period:      {record['RotationPeriodDays']} days\n"
         f"Next rollover:        {record['NextRollover']}\n")
    emit(render.as_table(record["Versions"], ("Version", "Created", "State", "DataKeys"), short_dates=("Created",)))


def _progress(args):
    if wants_json(args) or not is_terminal(sys.stderr):
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rRewrapping: shard {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def _say(args, record: dict, sentence: str) -> None:
    emit(render.as_json(record) if wants_json(args) else sentence)


def cmd_access(args) -> int:
    context = open_context(args)
    elevation = ElevatedAccess(context)
    now = context.clock()
    if args.subcommand == "list":
        emit_records(args, [r.to_record(now) for r in elevation.list()], ACCESS_COLUMNS,
                     table_columns=("Id", "Requester", "State", "TimeLeft", "Duration", "ApprovedBy", "Reason"),
                     limits={"Reason": 40})
        return 0
    if args.subcommand == "request":
        request = elevation.request(args.reason, parse_duration(args.duration))
        sentence = (f"Requested {request.id} for {request.to_record(now)['Duration']}; it needs approval by two "
                    f"different Global Administrators (other than you) before {format_iso(request.pending_until)}")
    else:
        decide = {"approve": elevation.approve, "deny": elevation.deny, "end": elevation.end}[args.subcommand]
        request = decide(args.id)
        sentence = f"{request.id} is now {request.describe_state(context.clock())}" + (
            f" until {format_iso(request.ends_at)}" if request.state(context.clock()) == "active" else "")
    _say(args, request.to_record(context.clock()), sentence)
    return 0


def cmd_accounts(args) -> int:
    accounts = ConnectedAccounts(open_context(args))
    action = args.subcommand
    if action == "add":
        account = accounts.add(args.mailbox, args.provider, args.login, stdin_line("the password"))
        _say(args, account.to_record(), f"Connected {account.id}: {account.provider} account {account.login} "
                                        f"for {account.mailbox}; its password is sealed by the keyring")
    elif action == "list":
        records = [a.to_record() for a in accounts.list()]
        emit_records(args, records, ("Id", "Mailbox", "Provider", "Login", "Created", "CreatedBy"))
    elif action == "show" and args.reveal:
        account, elevation, credential = accounts.reveal(args.id)
        record = {**account.to_record(), "Password": credential, "Elevation": elevation}
        emit(render.as_json(record) if wants_json(args) else render.as_list(record))
    elif action == "show":
        record = accounts.show(args.id).to_record()
        emit(render.as_json(record) if wants_json(args) else render.as_list(record))
    else:
        account = accounts.remove(args.id)
        _say(args, account.to_record(), f"Removed {account.id}; its sealed password and data key are gone")
    return 0


def cmd_audit(args) -> int:
    context = open_context(args)
    if args.subcommand == "verify":
        return _audit_verify(args, AuditTrail(context).verify(Path(args.checkpoint) if args.checkpoint else None))
    if args.subcommand == "checkpoint":
        checkpoint = AuditTrail(context).checkpoint()
        emit(render.as_json(checkpoint))
        return 0
    trail = AuditTrail(context)
    entries = trail.entries() if args.last is None else trail.last(args.last)  # --last reads only the tail
    emit_records(args, [e.to_record() for e in entries],
                 ("Sequence", "Time", "Actor", "Role", "Action", "Target", "Outcome", "Detail", "Origin"),
                 table_columns=("Time", "Actor", "Action", "Target", "Outcome", "Detail"),
                 limits={"Target": 72, "Detail": 70})
    return 0


def _audit_verify(args, result) -> int:
    if wants_json(args):
        emit(render.as_json(result.to_record()))
    elif result.ok:
        keyed = (f"keyed (HMAC-SHA256) from entry {result.keyed_from}" if result.keyed_from else
                 "NOT keyed yet: no entry was written since the upgrade, or the log was rewritten whole "
                 "(a checkpoint kept elsewhere tells which)")
        emit(f"Audit log verified: {result.entries} entries, chain intact, {keyed}; head {result.head}"
             + (f"; the checkpoint {result.checkpoint}" if result.checkpoint else ""))
    else:
        warn(f"audit log NOT verified: {result.problem}")
    return 0 if result.ok else 1


HANDLERS = {"keys": cmd_keys, "access": cmd_access, "accounts": cmd_accounts, "audit": cmd_audit}
