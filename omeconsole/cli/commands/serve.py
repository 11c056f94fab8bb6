"""`omeconsole serve ssh|web`: the front doors. Their libraries load only when a door is opened."""

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


HANDLERS = {"serve": cmd_serve}
