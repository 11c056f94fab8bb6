"""The fixtures every test module may ask for, and the session's settings. What tests share that is not
a fixture lives in tests/support/."""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from omeconsole.core.demo.contoso import create_demo
from support.cli import CLI
from support.clock import Clock
from support.paths import ROOT

# Hypothesis, for every test module: HYPOTHESIS_PROFILE=long runs ten times the examples (see README).
settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    """Run against what a user installs: a file missing from the wheel must fail here, not for them."""
    import omeconsole

    imported = Path(omeconsole.__file__).resolve().parent
    if imported == (ROOT / "omeconsole").resolve() and not os.environ.get("OMECONSOLE_TEST_SOURCE"):
        raise pytest.UsageError(
            f"the tests imported omeconsole from the checkout ({imported}), not from an installed package; "
            "install it (pip install '.[test]') and run 'python -P -m pytest', as the README says "
            "(with an editable install, set OMECONSOLE_TEST_SOURCE=1)")


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
    root = tmp_path / "demo"
    shutil.copytree(demo_template, root)
    return root


@pytest.fixture
def demo_cli(demo_store) -> CLI:
    return CLI(demo_store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def as_user(demo_store, clock):
    """Context.open on the demo store as ADDRESS, on the shared injected clock."""
    from omeconsole.core.context import Context

    return lambda address=None: Context.open(demo_store, address, clock=clock)


@pytest.fixture(scope="session")
def ui_template(tmp_path_factory) -> Path:
    from support.ui import make_demo

    return make_demo(tmp_path_factory.mktemp("ui") / "store")


@pytest.fixture
def ui_store(ui_template, tmp_path) -> Path:
    from support.ui import copy_store

    return copy_store(ui_template, tmp_path / "ui-store")


@pytest.fixture
def door(demo_template, tmp_path):
    """`omeconsole serve ssh` on a demo store: a server factory, with keys for an admin, a helpdesk user,
    someone who is no tenant user and one not listed (see support.ssh.SshDoor)."""
    from support.ssh import SshDoor

    start = SshDoor(demo_template, tmp_path)
    yield start
    start.stop_all()


@pytest.fixture
def web_door(demo_store):
    """`omeconsole serve web` on the demo store: a factory of started doors, stopped at the end."""
    from support.web import WebDoor

    doors = []

    def start(*args, **kwargs) -> WebDoor:
        doors.append(WebDoor(demo_store, *args, **kwargs))
        return doors[-1]

    yield start
    for door in doors:
        if door.process.poll() is None:
            door.stop()
