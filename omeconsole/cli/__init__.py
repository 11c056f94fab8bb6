"""The command-line face: `omeconsole COMMAND ...`. Never imports Textual."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from omeconsole.cli.commands import HANDLERS
    from omeconsole.cli.parser import build_parser
    from omeconsole.cli.streams import flush_out, require_stdout
    from omeconsole.core.errors import OmeError

    parser = build_parser()
    command = "omeconsole"
    try:
        argv = check_utf8(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(argv)
        command = f"omeconsole {args.command or '(the console)'}"
        if not args.command:
            from omeconsole.cli.launch import open_console

            return open_console(args)
        require_stdout()
        status = HANDLERS[args.command](args)
        flush_out()
        return status
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
        from omeconsole.cli.context import debugging

        if debugging():
            raise
        from omeconsole.crash_report import one_line, write_report

        _fail(one_line(error, write_report(error, command)))
        return 70


def check_utf8(argv: list[str]) -> list[str]:
    """Arguments that were not UTF-8 reach Python as lone surrogates; say which one, once, here."""
    from omeconsole.core.errors import UsageError
    from omeconsole.core.text.untrusted import shown

    for number, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UsageError(f"argument {number} ('{shown(arg[:60])}') is not UTF-8 text "
                             f"(a byte that is not UTF-8 at character {exc.start + 1})") from None
    return argv


def _fail(message: str) -> None:
    from omeconsole.core.text.untrusted import shown

    if sys.stderr is None:  # closed: the exit status is all that can be said
        return
    try:
        sys.stderr.write(f"omeconsole: {shown(message)}\n")
        sys.stderr.flush()
    except OSError:
        pass


def _quiet_broken_pipe() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
