"""SVG snapshots of every pane, in the states screenshots/ shows (pytest-textual-snapshot).

After a deliberate change to the look: pytest tests/test_snapshots.py --snapshot-update

A mismatch is looked at once more, from a fresh copy of the store: a picture that differs twice fails
with the screen lines that differ; one that differed only the first time passes with a warning that
holds those lines. (CI failed twice on the approve dialog and it never happened in about 40 runs here,
alone, under CPU burners or after the server tests; the warning is there to catch what it was.)
syrupy's summary still counts the first look as a failed snapshot; the test's own outcome is what counts.
"""

import shutil
import warnings

import pytest
from pytest_textual_snapshot import node_to_report_path
from support.screen_text import counted_as_passed, difference, reported_difference, stored_snapshot, svg_matches
from textual._doc import take_svg_screenshot

from omeconsole.ui.headless import console_app, settle
from omeconsole.ui.screenshots import SHOTS, make_shot_store


@pytest.fixture(scope="module")
def shot_template(tmp_path_factory):
    return make_shot_store(tmp_path_factory.mktemp("shots") / "demo")


def shot(name, template, where):
    """The console for this picture, on its own copy of the store, and the steps that bring it there."""
    store = shutil.copytree(template, where)
    identity, steps, size = SHOTS[name]
    app = console_app(store, identity)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await steps(app, pilot, store)
        await settle(app, pilot)

    return app, size, run_before


@pytest.mark.parametrize("name", list(SHOTS))
def test_pane_snapshot(name, shot_template, tmp_path, snap_compare, request):
    app, size, run_before = shot(name, shot_template, tmp_path / "demo")
    if snap_compare(app, terminal_size=size, run_before=run_before):
        return
    report = node_to_report_path(request.node)
    first = reported_difference(report)
    app, size, run_before = shot(name, shot_template, tmp_path / "again")
    again = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
    assert svg_matches(again, stored_snapshot(report)), (
        f"the first time {first}\nthe second time {difference(stored_snapshot(report), again)}")
    counted_as_passed(report)
    warnings.warn(f"snapshot {name} differed the first time and matched the second; the first time {first}",
                  stacklevel=1)
