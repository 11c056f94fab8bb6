"""`omeconsole serve ssh|web|mail|portal`: the front doors, the mail flow and the portal. Their libraries load
only when one is started."""

from __future__ import annotations

import sys
from pathlib import Path

from omeconsole.cli.context import open_context, store_dir
from omeconsole.cli.output import emit
from omeconsole.core.errors import UsageError

HOST_KEY_FILE = "ssh_host_ed25519_key"
AUTHORIZED_KEYS_FILE = "authorized_keys"


def _config_file(given: str | None, name: str) -> Path:
    if given:
        return Path(given).expanduser()
    from platformdirs import user_config_path

    return user_config_path("omeconsole") / name


def _say(line: str) -> None:
    emit(line)
    sys.stdout.flush()


def cmd_serve(args) -> int:
    if args.subcommand == "mail":
        return _serve_mail(args)
    if args.subcommand == "portal":
        return _serve_portal(args)
    if args.subcommand == "ssh":
        if getattr(args, "as_address", None):
            raise UsageError("serve ssh takes each session's identity from the authorized-keys file, not --as")
        from omeconsole.serve.ssh.run import serve_ssh

        return serve_ssh(store_dir(args), args.listen, _config_file(args.host_key, HOST_KEY_FILE),
                         _config_file(args.authorized_keys, AUTHORIZED_KEYS_FILE), args.max_sessions,
                         args.idle_timeout, _say)
    from omeconsole.serve.web.door import (
        check_web_listen,
        check_web_sessions,
        serve_web,
    )

    host, port = check_web_listen(args.listen, args.allow_remote)
    limit = check_web_sessions(args.max_sessions)
    context = open_context(args)  # the identity every browser tab acts as, checked before serving
    return serve_web(store_dir(args), context.actor.address, context.actor.label, host, port, limit, _say)


def _no_identity(args, door: str) -> None:
    if getattr(args, "as_address", None):
        raise UsageError(f"serve {door} takes no --as: {_WHO[door]}")


_WHO = {"mail": "each message's sender is its MAIL FROM", "portal": "each recipient signs in with a passcode"}


def _serve_mail(args) -> int:
    _no_identity(args, "mail")
    from omeconsole.serve.mail.run import serve_mail

    drop_dir = Path(args.drop_dir) if args.drop_dir else None
    return serve_mail(store_dir(args), args.listen, args.relay, drop_dir, args.portal_url, args.retry_window, _say)


def _serve_portal(args) -> int:
    _no_identity(args, "portal")
    from omeconsole.serve.listen import parse_listen
    from omeconsole.serve.portal.run import serve_portal

    host, port = parse_listen(args.listen)
    return serve_portal(store_dir(args), host, port, args.public_url, _say)


HANDLERS = {"serve": cmd_serve}
