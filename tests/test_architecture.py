"""The core and the CLI never import Textual: checked by importing them in a clean process."""

import subprocess
import sys

from conftest import ROOT

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
    result = subprocess.run([sys.executable, "-c", CHECK, str(demo_store)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "TEXTUAL: []"


def test_no_core_file_names_textual():
    for path in (ROOT / "omeconsole" / "core").rglob("*.py"):
        for line in path.read_text().splitlines():
            assert not line.lstrip().startswith(("import textual", "from textual")), path


def test_the_revocation_decision_is_made_in_one_place():
    """Only rules.py calls the conditions; faces and services go through check_revocation."""
    callers = [p for p in (ROOT / "omeconsole").rglob("*.py")
               if "check_revocation(" in p.read_text() and p.name != "rules.py"]
    assert [p.relative_to(ROOT).as_posix() for p in callers] == ["omeconsole/core/services.py"]
    assert all("_message_reasons" not in p.read_text() for p in (ROOT / "omeconsole").rglob("*.py")
               if p.name != "rules.py")
