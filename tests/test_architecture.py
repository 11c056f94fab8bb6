"""The core and the CLI never import Textual: checked by importing them in a clean process."""

import subprocess
import sys

from support.paths import ROOT

CHECK = """
import importlib, pkgutil, sys
import omeconsole.core, omeconsole.cli
for module in pkgutil.walk_packages(omeconsole.core.__path__, "omeconsole.core."):
    importlib.import_module(module.name)
for module in pkgutil.walk_packages(omeconsole.cli.__path__, "omeconsole.cli."):
    importlib.import_module(module.name)
from omeconsole.cli import main
main(["--store", sys.argv[1], "trace"])
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL:", loaded)
"""


def test_core_and_cli_never_import_textual(demo_store):
    result = subprocess.run([sys.executable, "-P", "-c", CHECK, str(demo_store)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "TEXTUAL: []"


def test_no_core_file_names_textual():
    for path in (ROOT / "omeconsole" / "core").rglob("*.py"):
        for line in path.read_text().splitlines():
            assert not line.lstrip().startswith(("import textual", "from textual")), path


def test_the_revocation_decision_is_made_in_one_place():
    """Only rules.py calls the conditions; faces and services go through check_revocation (or, for the
    report's one word, rules.revocation_status, built on the same conditions)."""
    callers = [p for p in (ROOT / "omeconsole").rglob("*.py")
               if "check_revocation(" in p.read_text() and p.name != "rules.py"]
    assert [p.relative_to(ROOT).as_posix() for p in callers] == ["omeconsole/core/context.py"]
    assert all("_message_reasons" not in p.read_text() for p in (ROOT / "omeconsole").rglob("*.py")
               if p.name != "rules.py")


def test_the_console_without_a_terminal_says_what_to_do(cli, demo_cli):
    from support.cli import assert_one_line_error

    assert_one_line_error(cli(check=1), "no omeconsole store", "omeconsole --demo")
    assert_one_line_error(demo_cli(check=2), "needs a terminal")
    created = cli("--demo", check=2)
    assert "Created the Contoso demo tenant" in created.stdout and "needs a terminal" in created.stderr
    assert (cli.store / "tenant.json").exists()


def test_commands_that_do_not_draw_never_import_textual(demo_store):
    for argv in (["trace"], ["trace", "--sender", "megan.bowen@contoso.com"], ["status", "--message-id", "<x@y.com>"],
                 ["revoke", "--message-id", "<x@y.com>"], ["report"], ["reindex"], ["keys", "status"],
                 ["audit", "verify"]):
        code = ("import sys; from omeconsole.cli import main; main(sys.argv[1:]);"
                "print('TEXTUAL:', any(m.startswith('textual') for m in sys.modules))")
        result = subprocess.run([sys.executable, "-P", "-c", code, "--store", str(demo_store), *argv],
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.stdout.splitlines()[-1] == "TEXTUAL: False", (argv, result.stderr)


def test_the_ssh_server_itself_never_loads_textual():
    """Only each session's console process draws; the server stays small and quick to start."""
    code = ("import sys, omeconsole.serve.ssh.run, omeconsole.serve.web.door;"
            "print('TEXTUAL:', any(m.startswith('textual') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.splitlines()[-1] == "TEXTUAL: False", result.stderr
