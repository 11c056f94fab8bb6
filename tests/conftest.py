import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from omeconsole.core.demo import create_demo

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


class CLI:
    """The real `omeconsole` command, in a subprocess, on one store."""

    def __init__(self, store: Path):
        self.store = store

    def __call__(self, *args, stdin: str | None = None, env: dict | None = None, check: int | None = 0):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_")}
        full_env.update({"OMECONSOLE_STORE": str(self.store), "PYTHONPATH": str(ROOT)})
        full_env.update(env or {})
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        result = subprocess.run([sys.executable, "-m", "omeconsole", *map(str, args)], **feed,
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
    from omeconsole.core.services import Console

    return lambda address=None: Console.open(demo_store, address, clock=clock)


@pytest.fixture(scope="session")
def ui_template(tmp_path_factory) -> Path:
    from ui_support import make_demo

    return make_demo(tmp_path_factory.mktemp("ui") / "store")


@pytest.fixture
def ui_store(ui_template, tmp_path) -> Path:
    from ui_support import copy_store

    return copy_store(ui_template, tmp_path / "ui-store")
