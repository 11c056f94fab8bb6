"""Remembered work: recent and saved searches, Find related, the keymap file, the theme, and `:`."""

from __future__ import annotations

import json

import pytest
from textual.command import CommandPalette

from omeconsole.core.context import Context
from omeconsole.core.preferences.personal import RECENT, Preferences
from omeconsole.ui.panes.message_trace import TracePane
from omeconsole.ui.screens.choose import ChoiceScreen, NameScreen
from omeconsole.ui.screens.confirm_revoke import ConfirmRevokeScreen
from omeconsole.ui.screens.help import HelpScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from support.ui import capture_notifications, case_id, console_app, fixed_clock, settle, text_of, until

SIZE = (120, 40)
HOSTILE_NAME = "[@click=app.quit]Failed\x1b[2J to gmail"


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    """The keymap file lives in the per-user config directory: a fresh one per test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "omeconsole"


def prefs(store) -> Preferences:
    return Preferences(Context.open(store, clock=fixed_clock))


def trace(app) -> TracePane:
    return app.main.query_one(TracePane)


async def search_for(app, pilot, **fields) -> None:
    form = trace(app)
    for widget_id, value in fields.items():
        form.query_one(f"#{widget_id}").value = value
    form.search()
    await settle(app, pilot)


async def test_the_last_ten_searches_are_kept_newest_first_once_each_across_restarts(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for n in range(12):
            await search_for(app, pilot, subject=f"subject {n}")
        await search_for(app, pilot, subject="subject 5")  # again: to the top, not twice
    recent = prefs(ui_store).read().recent
    assert len(recent) == RECENT
    assert [s.fields["subject"] for s in recent[:3]] == ["subject 5", "subject 11", "subject 10"]
    assert sum(s.fields["subject"] == "subject 5" for s in recent) == 1

    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the searches offered")
        await until(pilot, lambda: app.screen.query_one("#choice-list").has_focus, "the choices focused")
        await pilot.press("down", "enter")  # the second newest: subject 11
        await settle(app, pilot)
        assert trace(app).query_one("#subject").value == "subject 11"
        assert trace(app).searched["subject"] == "subject 11"


async def test_a_saved_search_is_recalled_from_the_form_and_from_the_palette(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await search_for(app, pilot, recipient="*@gmail.com", status="Delivered")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, NameScreen), "the name asked for")
        app.screen.query_one("#name-input").value = HOSTILE_NAME
        await pilot.press("enter")
        await settle(app, pilot)
        saved = prefs(ui_store).read().saved
        assert [s.name for s in saved] == [" ".join(HOSTILE_NAME.split())]
        await search_for(app, pilot, recipient="", status="")
        await pilot.click("#searches")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the searches offered")
        shown = app.screen.query_one("#choice-list").get_option_at_index(0).prompt.plain
        assert "★" in shown and "\x1b" not in shown and "[@click" in shown  # shown, never obeyed
        await pilot.press("enter")
        await settle(app, pilot)
        rows = app.main.query_one("#trace-results", PagedTable).records
        assert trace(app).query_one("#recipient").value == "*@gmail.com" and rows
        assert {r.recipient.status_shown for r in rows} == {"Delivered"}
        assert all(r.recipient.address.endswith("@gmail.com") for r in rows)


async def test_a_damaged_preferences_file_is_reported_and_left_as_it_is(ui_store):
    path = prefs(ui_store).path
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b'{"version": 1, "recent": [{"sender": 5}]')
    before = path.read_bytes()
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(app, pilot)
        await search_for(app, pilot, subject="anything")
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert any("is damaged" in note and "left as it is" in note for note in seen)
        assert not isinstance(app.screen, ChoiceScreen)
    assert path.read_bytes() == before


async def test_find_related_runs_the_same_sender_recipient_and_message_id(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        row = app.main.query_one("#trace-results", PagedTable).current
        for choice, check in ((0, lambda r: r.message.sender == row.message.sender),
                              (1, lambda r: r.recipient.address == row.recipient.address),
                              (2, lambda r: r.message.message_id == row.message.message_id)):
            app.main.query_one("#trace-results DataTable").focus()
            await settle(app, pilot)
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "Find related offered")
            await pilot.press(*["down"] * choice, "enter")
            await settle(app, pilot)
            rows = app.main.query_one("#trace-results", PagedTable).records
            assert rows and all(check(r) for r in rows)
            assert trace(app).query_one("#range").value == "90d"
            app.main.query_one("#trace-results", PagedTable).table.move_cursor(
                row=[r.message.message_id for r in rows].index(row.message.message_id))
            await settle(app, pilot)


async def test_a_keymap_file_remaps_a_key_and_the_help_shows_it(ui_store, own_config):
    own_config.mkdir(parents=True)
    (own_config / "keymap.toml").write_text('revoke = "x"\nfrobnicate = "z"\n', encoding="utf-8")
    message_id = case_id(ui_store, "revocable")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(app, pilot)
        assert app.keymap_load.keymap == {"revoke": "x"}
        assert any("frobnicate" in problem for problem in app.keymap_load.problems)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help open")
        note = text_of(app.screen.query_one("#help-note"))
        assert "1 key remapped" in note and "frobnicate" in note
        assert any(line.split()[:1] == ["x"] and "revoke" in line
                   for line in text_of(app.screen.query_one("#help-table")).splitlines())
        await pilot.press("escape")
        app.main.select(message_id, show=True)
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmRevokeScreen)
        del seen


async def test_a_keymap_that_is_not_toml_is_reported_and_changes_nothing(ui_store, own_config):
    own_config.mkdir(parents=True)
    (own_config / "keymap.toml").write_text('revoke = "x\n', encoding="utf-8")
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.keymap_load.keymap == {} and "not TOML" in app.keymap_load.problems[0]


async def test_the_theme_is_kept_for_the_person(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.theme = "nord"
        await settle(app, pilot)
    assert prefs(ui_store).read().theme == "nord"
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "nord"
    other = console_app(ui_store, "lynne.robbins@contoso.com")
    async with other.run_test(size=SIZE) as pilot:
        await settle(other, pilot)
        assert other.theme != "nord"  # each person's own


async def test_colon_opens_the_palette_but_is_a_character_in_a_field(ui_store):
    app = console_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("colon", "ctrl+p"):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), f"the palette open by {key}")
            await pilot.press("escape")
            await settle(app, pilot)
        trace(app).query_one("#subject").focus()
        await pilot.press("a", "colon", "b")
        await settle(app, pilot)
        assert trace(app).query_one("#subject").value == "a:b" and not isinstance(app.screen, CommandPalette)


def test_a_preferences_file_holds_no_more_than_its_fields(ui_store):
    keep = prefs(ui_store)
    keep.save("mine", {"sender": "megan.bowen@contoso.com"})
    doc = json.loads(keep.path.read_text(encoding="utf-8"))
    assert set(doc) == {"version", "theme", "recent", "saved"}
    with pytest.raises(Exception, match="no field"):
        keep.save("bad", {"password": "x"})
