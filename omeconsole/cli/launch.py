"""`omeconsole` with no command: open the Textual console. Textual is imported only here."""

from __future__ import annotations

import os
import sys

from omeconsole.cli.commands import passphrase_source, store_dir, warn
from omeconsole.cli.streams import is_terminal
from omeconsole.core.door_pass import DOOR_PASS_ENV
from omeconsole.core.errors import StoreError, UsageError
from omeconsole.core.context import Context
from omeconsole.core.store.store import Store


def empty_store_reason(root) -> str | None:
    """Why the store cannot be opened as a tenant yet (no store, no tenant), or None if it can."""
    if not (root / "store.json").exists():
        return f"There is no omeconsole store at {root} yet."
    if not Store.open(root).has_tenant():
        return f"The store at {root} holds no tenant yet."
    return None


def open_console(args) -> int:
    root = store_dir(args)
    identity = getattr(args, "as_address", None) or os.environ.get("OMECONSOLE_AS") or None
    reason = empty_store_reason(root)
    if args.demo and reason:
        from omeconsole.cli.commands import cmd_demo

        args.messages, args.seed = 300, 7
        cmd_demo(args)
        reason = None
    elif args.demo:
        warn(f"the store at {root} already holds a tenant; opening it")
    context = None if reason else Context.open(root, identity, face="console", passphrase=_env_passphrase(),
                                           door_pass=os.environ.get(DOOR_PASS_ENV) or None)
    if not (is_terminal(sys.stdin) and is_terminal(sys.stdout) or _served_in_a_browser()):
        if reason:
            raise StoreError(f"{reason} Run 'omeconsole --demo' or 'omeconsole init ...'")
        raise UsageError("the console needs a terminal; without one, use a command (omeconsole --help)")
    from omeconsole.ui.app import OmeConsoleApp

    app = OmeConsoleApp(root, context, identity=identity, passphrase=_env_passphrase(), empty_reason=reason or "",
                        remote=os.environ.get("OMECONSOLE_FRONT_DOOR") == "ssh")
    app.run()
    if app.failure:  # the terminal is restored by now; the full report is in a file
        warn(app.failure)
    return app.return_code or (1 if app.failure else 0)


def _served_in_a_browser() -> bool:
    """textual-serve runs the console on pipes, with its web driver named in the environment."""
    return os.environ.get("TEXTUAL_DRIVER", "").startswith("textual.drivers.web_driver")


def _env_passphrase():
    """The console owns the terminal, so a passphrase can only come from OMECONSOLE_PASSPHRASE."""
    return passphrase_source() if os.environ.get("OMECONSOLE_PASSPHRASE") else None
