"""`omeconsole` with no command: open the Textual console. Textual is imported only here."""

from __future__ import annotations

import sys

from omeconsole.cli.context import (
    behind_ssh_door,
    console_passphrase,
    door_pass,
    identity,
    served_in_a_browser,
    store_dir,
)
from omeconsole.cli.output import warn
from omeconsole.cli.streams import is_terminal
from omeconsole.core.context import Context
from omeconsole.core.errors import StoreError, UsageError
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
    acting = identity(args)
    reason = empty_store_reason(root)
    if args.demo and reason:
        from omeconsole.cli.commands.tenant import cmd_demo

        args.messages, args.seed = 300, 7
        cmd_demo(args)
        reason = None
    elif args.demo:
        warn(f"the store at {root} already holds a tenant; opening it")
    context = None if reason else Context.open(root, acting, face="console", passphrase=console_passphrase(),
                                               door_pass=door_pass())
    if not (is_terminal(sys.stdin) and is_terminal(sys.stdout) or served_in_a_browser()):
        if reason:
            raise StoreError(f"{reason} Run 'omeconsole --demo' or 'omeconsole init ...'")
        raise UsageError("the console needs a terminal; without one, use a command (omeconsole --help)")
    from omeconsole.ui.app import OmeConsoleApp

    app = OmeConsoleApp(root, context, identity=acting, passphrase=console_passphrase(), empty_reason=reason or "",
                        remote=behind_ssh_door())
    app.run()
    if app.failure:  # the terminal is restored by now; the full report is in a file
        warn(app.failure)
    return app.return_code or (1 if app.failure else 0)
