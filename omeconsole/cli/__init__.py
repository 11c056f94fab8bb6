"""The command-line face: `omeconsole COMMAND ...`. Never imports Textual."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from omeconsole.cli.commands import HANDLERS
    from omeconsole.cli.key_commands import HANDLERS as KEY_HANDLERS
    from omeconsole.cli.parser import build_parser
    from omeconsole.cli.serve_commands import HANDLERS as SERVE_HANDLERS
    from omeconsole.core.errors import OmeError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            from omeconsole.cli.launch import open_console

            return open_console(args)
        return {**HANDLERS, **KEY_HANDLERS, **SERVE_HANDLERS}[args.command](args)
    except OmeError as error:
        _fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        _fail("interrupted; nothing acknowledged was lost")
        return 130
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    except Exception as error:  # noqa: BLE001 - a person must never read a traceback
        if os.environ.get("OMECONSOLE_DEBUG"):
            raise
        _fail(f"internal error ({type(error).__name__}: {' '.join(str(error).split())[:200]}); "
              "set OMECONSOLE_DEBUG=1 to see the traceback")
        return 70


def _fail(message: str) -> None:
    sys.stderr.write(f"omeconsole: {message}\n")
    sys.stderr.flush()


def _quiet_broken_pipe() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
