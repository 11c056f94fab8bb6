"""SVG snapshots of every pane, in the states screenshots/ shows (pytest-textual-snapshot).

After a deliberate change to the look: pytest tests/test_snapshots.py --snapshot-update
"""

import shutil

import pytest
from pytest_textual_snapshot import node_to_report_path
from support.screen_text import reported_difference

from omeconsole.ui.headless import console_app, settle
from omeconsole.ui.screenshots import SHOTS, make_shot_store


@pytest.fixture(scope="module")
def shot_template(tmp_path_factory):
    return make_shot_store(tmp_path_factory.mktemp("shots") / "demo")


@pytest.mark.parametrize("name", list(SHOTS))
def test_pane_snapshot(name, shot_template, tmp_path, snap_compare, request):
    store = shutil.copytree(shot_template, tmp_path / "demo")
    identity, steps, size = SHOTS[name]
    app = console_app(store, identity)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await steps(app, pilot, store)
        await settle(app, pilot)

    same = snap_compare(app, terminal_size=size, run_before=run_before)
    assert same, reported_difference(node_to_report_path(request.node))
