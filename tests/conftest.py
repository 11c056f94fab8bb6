import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from omeconsole.core.demo.contoso import create_demo

# Hypothesis, for every test module: HYPOTHESIS_PROFILE=long runs ten times the examples (see README).
settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent
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
    return env


def pytest_configure(config):
    """Run against what a user installs: a file missing from the wheel must fail here, not for them."""
    import omeconsole

    imported = Path(omeconsole.__file__).resolve().parent
    if imported == (ROOT / "omeconsole").resolve() and not os.environ.get("OMECONSOLE_TEST_SOURCE"):
        raise pytest.UsageError(
            f"the tests imported omeconsole from the checkout ({imported}), not from an installed package; "
            "install it (pip install '.[test]') and run 'python -P -m pytest', as the README says "
            "(with an editable install, set OMECONSOLE_TEST_SOURCE=1)")


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


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def cli(store_dir) -> CLI:
    return CLI(store_dir)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "store"
    create_demo(root, messages=120, seed=11)
    return root


@pytest.fixture
def demo_store(demo_template, tmp_path) -> Path:
    """A private copy of a small demo store, made once per session."""
    import shutil

    root = tmp_path / "demo"
    shutil.copytree(demo_template, root)
    return root


@pytest.fixture
def demo_cli(demo_store) -> CLI:
    return CLI(demo_store)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


class Clock:
    """An injected clock for the services: tests move time, never sleep."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def as_user(demo_store, clock):
    """Console.open on the demo store as ADDRESS, on the shared injected clock."""
    from omeconsole.core.context import Context

    return lambda address=None: Context.open(demo_store, address, clock=clock)


@pytest.fixture(scope="session")
def ui_template(tmp_path_factory) -> Path:
    from ui_support import make_demo

    return make_demo(tmp_path_factory.mktemp("ui") / "store")


@pytest.fixture
def ui_store(ui_template, tmp_path) -> Path:
    from ui_support import copy_store

    return copy_store(ui_template, tmp_path / "ui-store")
