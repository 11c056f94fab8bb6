"""The real `omeconsole` command in a child process, and what its answers must look like."""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from omeconsole.core.demo.contoso import CASE_SUBJECTS

# The installed omeconsole, never the checkout: -P keeps the working directory off sys.path.
OMECONSOLE = [sys.executable, "-P", "-m", "omeconsole"]
STATE_DIR = Path(tempfile.mkdtemp(prefix="omeconsole-test-state-"))
os.environ["OMECONSOLE_STATE_DIR"] = str(STATE_DIR)  # crash reports from tests never land in $HOME
atexit.register(shutil.rmtree, STATE_DIR, True)


def clean_env() -> dict[str, str]:
    """This process's environment for a child omeconsole: no identity or store of the caller's,
    nothing that would put the checkout on its path, and crash reports kept out of $HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_") and k != "PYTHONPATH"}
    env["OMECONSOLE_STATE_DIR"] = str(STATE_DIR)
    if os.environ.get("OMECONSOLE_TEST_SOURCE") and os.environ.get("PYTHONPATH"):
        # the tests run a checkout's source (a worktree beside an editable install of another): so does the child
        import omeconsole

        env["PYTHONPATH"] = str(Path(omeconsole.__file__).resolve().parent.parent)
    return env


class CLI:
    """The real `omeconsole` command, in a subprocess, on one store."""

    def __init__(self, store: Path):
        self.store = store

    def __call__(self, *args, stdin: str | None = None, env: dict | None = None, check: int | None = 0):
        full_env = clean_env()
        full_env.update({"OMECONSOLE_STORE": str(self.store)})
        full_env.update(env or {})
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        result = subprocess.run([*OMECONSOLE, *map(str, args)], **feed,
                                capture_output=True, text=True, env=full_env, timeout=120)
        if check is not None:
            assert result.returncode == check, (result.returncode, result.stdout, result.stderr)
        return result

    def json(self, *args, **kwargs):
        return json.loads(self(*args, "--json", **kwargs).stdout)


def assert_one_line_error(result, *needles):
    assert result.stdout == ""
    assert result.stderr.startswith("omeconsole: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def case_id(cli: CLI, case: str) -> str:
    """The Message ID of one of the demo's cases, found as a person would: a trace by its subject."""
    rows = [r for r in cli.json("trace", "--subject", CASE_SUBJECTS[case]) if r["Subject"] == CASE_SUBJECTS[case]]
    assert len({r["MessageId"] for r in rows}) == 1, rows
    return rows[0]["MessageId"]
