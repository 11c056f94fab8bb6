"""Regenerate screenshots/: an SVG of each pane in a realistic state, from the demo tenant.

    python -m omeconsole.ui.screenshots [OUT_DIR]

The demo is made at a fixed moment, so the pictures change only when the console does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from omeconsole.core.context import Context
from omeconsole.core.demo.contoso import CASE_SUBJECTS
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.ui.headless import console_app, fixed_clock, make_demo, settle, until
from omeconsole.ui.panes.key_manager import KeysPane
from omeconsole.ui.screens.confirm_access import ConfirmAccessScreen

SIZE = (120, 40)


def _message_id(store: Path, case: str) -> str:
    context = Context.open(store, clock=fixed_clock)
    return next(m.message_id for m in context.store.iter_messages() if m.subject == CASE_SUBJECTS[case])


async def _trace(app, pilot, store):
    await pilot.press("down", "down", "down")


async def _report(app, pilot, store):
    await pilot.press("2")


async def _details(app, pilot, store):
    app.main.select(_message_id(store, "mixed"), show=True)


async def _confirm(app, pilot, store):
    app.main.select(_message_id(store, "revocable"), show=True)
    await settle(app, pilot)
    await pilot.press("r")


async def _keys(app, pilot, store):
    await pilot.press("4")
    await _requests_shown(app, pilot)


async def _approve(app, pilot, store):
    await _keys(app, pilot, store)
    app.screen.query_one("#access-requests").focus()
    await pilot.press("a")
    # the request is read afresh in a worker before the dialog opens
    await until(pilot, lambda: isinstance(app.screen, ConfirmAccessScreen), "the approve dialog open")


async def _requests_shown(app, pilot) -> None:
    """The Key manager loads once its pane is mounted, which may be a refresh after the key: no worker yet."""
    await settle(app, pilot)
    pane = app.screen.query_one(KeysPane)
    await until(pilot, lambda: bool(pane.requests), "the access requests shown")


async def _portal(app, pilot, store):
    app.main.select(_message_id(store, "revoked_by_sender"), show=True)
    await settle(app, pilot)
    await pilot.press("p")


SHOTS = {
    "message-trace": (None, _trace, SIZE),
    "encryption-report": (None, _report, SIZE),
    "details": (None, _details, SIZE),
    "revoke-confirmation": (None, _confirm, SIZE),
    "key-manager": ("alex.wilber@contoso.com", _keys, SIZE),
    "approve-confirmation": ("alex.wilber@contoso.com", _approve, SIZE),
    "portal-preview": ("lynne.robbins@contoso.com", _portal, SIZE),
    "message-trace-80x24": (None, _trace, (80, 24)),
}


def make_shot_store(root: Path) -> Path:
    """The demo as the screenshots show it: 300 messages and one pending access request."""
    store = make_demo(root, messages=300, seed=7)
    ElevatedAccess(Context.open(store, clock=fixed_clock)).request(
        "INC-20417: a recipient reports a garbled message in the portal", parse_duration("2h"))
    return store


async def shoot(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        store = make_shot_store(Path(tmp) / "demo")
        for name, (identity, steps, size) in SHOTS.items():
            app = console_app(store, identity)
            async with app.run_test(size=size) as pilot:
                await settle(app, pilot)
                await steps(app, pilot, store)
                await settle(app, pilot)
                await pilot.wait_for_scheduled_animations()  # the tabs' underline slides to the pane shown
                await pilot.pause()
                written.append(Path(app.save_screenshot(f"{name}.svg", str(out_dir))))
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else Path("screenshots")
    for path in asyncio.run(shoot(out_dir)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
