"""What a command acts with: the store, the identity, the passphrase. The one place the CLI reads
the environment (OMECONSOLE_AS, OMECONSOLE_PASSPHRASE, the door pass, the front door)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from omeconsole.cli.streams import is_terminal
from omeconsole.core.context import Context
from omeconsole.core.door_pass import DOOR_PASS_ENV
from omeconsole.core.store.store import default_store_dir


def store_dir(args) -> Path:
    given = getattr(args, "store", None)
    return Path(given).expanduser() if given else default_store_dir()


def identity(args) -> str | None:
    """--as, else OMECONSOLE_AS, else none (the tenant's first Global Administrator)."""
    return getattr(args, "as_address", None) or os.environ.get("OMECONSOLE_AS") or None


def open_context(args) -> Context:
    return Context.open(store_dir(args), identity(args), passphrase=passphrase_source())


def passphrase_source():
    """OMECONSOLE_PASSPHRASE, else a prompt on a terminal, else none (the keyring says what is missing)."""
    if os.environ.get("OMECONSOLE_PASSPHRASE"):
        return lambda: os.environ["OMECONSOLE_PASSPHRASE"]
    if is_terminal(sys.stdin):
        import getpass

        return lambda: getpass.getpass("Keyring passphrase: ")
    return None


def console_passphrase():
    """The console owns the terminal, so a passphrase can only come from OMECONSOLE_PASSPHRASE."""
    return passphrase_source() if os.environ.get("OMECONSOLE_PASSPHRASE") else None


def door_pass() -> str | None:
    """The pass a front door started this console with, if any."""
    return os.environ.get(DOOR_PASS_ENV) or None


def behind_ssh_door() -> bool:
    return os.environ.get("OMECONSOLE_FRONT_DOOR") == "ssh"


def served_in_a_browser() -> bool:
    """textual-serve runs the console on pipes, with its web driver named in the environment."""
    return os.environ.get("TEXTUAL_DRIVER", "").startswith("textual.drivers.web_driver")


def debugging() -> bool:
    """OMECONSOLE_DEBUG: let an unexpected error's traceback through, for a developer."""
    return bool(os.environ.get("OMECONSOLE_DEBUG"))
