"""A lookup takes what people paste: header lines, URL-encoded IDs, several IDs, Message Trace IDs; a
not-found answer stays on screen with the IDs that match but for case; a lookup leaves the trace alone."""

from __future__ import annotations

import pytest

from omeconsole.core.context import Context
from omeconsole.core.errors import UsageError
from omeconsole.core.ome.lookup import look_up
from omeconsole.core.text.pasted_ids import KeyKind, LookupKey, keys_in_paste
from omeconsole.ui.screens.lookup import LookupScreen
from omeconsole.ui.widgets.paged_table import PagedTable
from support.cli import CLI, assert_one_line_error
from support.ui import case_id, console_app, enter_lookup, fixed_clock, note_details_frames, settle, text_of, until

ID = "<BY5PR19MB3384A1B2@BY5PR19MB3384.namprd19.prod.outlook.com>"
CANONICAL = "<BY5PR19MB3384A1B2@by5pr19mb3384.namprd19.prod.outlook.com>"
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize("pasted", [
    f"Message-ID: {ID}", f"message-id:{ID}", f"In-Reply-To: {ID}\r\n", f"Message-Id:\r\n {ID}",
    "%3CBY5PR19MB3384A1B2%40BY5PR19MB3384.namprd19.prod.outlook.com%3E", ID[1:-1] + ".",
])
def test_each_shape_gives_the_one_message_id(pasted):
    assert keys_in_paste(pasted) == [LookupKey(KeyKind.MESSAGE_ID, CANONICAL)]


@pytest.mark.parametrize("pasted", [GUID, GUID.upper(), "{" + GUID + "}", GUID.replace("-", "")])
def test_a_guid_is_a_message_trace_id(pasted):
    assert keys_in_paste(pasted) == [LookupKey(KeyKind.TRACE_ID, GUID)]


def test_several_ids_give_one_key_each_in_order_once():
    pasted = f"References: <a@x.com> <b@x.com>\n <a@x.com>, {GUID}"
    keys = keys_in_paste(pasted)
    assert [k.value for k in keys] == ["<a@x.com>", "<b@x.com>"]  # the bracketed ones, once each
    assert [k.value for k in keys_in_paste(f"a@x.com, b@x.com; {GUID}")] == ["<a@x.com>", "<b@x.com>", GUID]


@pytest.mark.parametrize("pasted, needle", [
    ("", "paste a Message ID"), ("[@click=app.quit]x[/]", "RFC 5322"), ("\x1b[2J junk\x07", "RFC 5322"),
    ("x" * 100_001, "at most 100,000"), (" ".join(f"<m{n}@x.com>" for n in range(51)), "at most 50"),
])
def test_what_is_not_an_id_gets_one_line(pasted, needle):
    with pytest.raises(UsageError) as refused:
        keys_in_paste(pasted)
    assert needle in str(refused.value) and "\n" not in str(refused.value)


def test_a_wrong_case_id_is_not_found_but_offered_and_never_one_you_may_not_read(ui_store):
    message_id = case_id(ui_store, "revocable")  # sent by megan.bowen
    retyped = "<" + message_id[1:].split("@")[0].lower() + "@" + message_id.split("@")[1]
    assert retyped != message_id
    [answer] = look_up(Context.open(ui_store, clock=fixed_clock), retyped)
    assert answer.message is None and answer.near == [message_id]
    [other] = look_up(Context.open(ui_store, "lee.gu@contoso.com", clock=fixed_clock), retyped)
    assert other.message is None and other.near == [] and "among the messages you sent" in other.why


def test_a_message_trace_id_finds_its_message(ui_store):
    context = Context.open(ui_store, clock=fixed_clock)
    message = context.load(case_id(ui_store, "mixed"))
    [answer] = look_up(context, message.trace_id.upper())
    assert answer.message.message_id == message.message_id


def test_the_cli_takes_a_header_line_and_a_url_encoded_id(ui_store):
    message_id = case_id(ui_store, "revocable")
    cli = CLI(ui_store)
    assert cli.json("status", "--message-id", f"Message-ID: {message_id}")["MessageId"] == message_id
    encoded = message_id.replace("<", "%3C").replace("@", "%40").replace(">", "%3E")
    assert cli.json("status", "--message-id", encoded)["MessageId"] == message_id
    assert_one_line_error(cli("status", "--message-id", "Message-ID: nothing", check=2), "RFC 5322")


async def _paste(app, pilot, text: str) -> None:
    await enter_lookup(app, pilot, text)
    await settle(app, pilot)


@pytest.mark.parametrize("shape", ["header", "encoded", "trace-id"])
async def test_each_pasted_shape_opens_details_and_leaves_the_trace_as_it_was(ui_store, shape):
    context = Context.open(ui_store, clock=fixed_clock)
    message = context.load(case_id(ui_store, "mixed"))
    pasted = {"header": f"Message-ID: {message.message_id}",
              "encoded": message.message_id.replace("<", "%3C").replace("@", "%40").replace(">", "%3E"),
              "trace-id": message.trace_id}[shape]
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        before = list(app.main.query_one("#trace-results", PagedTable).records)
        await _paste(app, pilot, pasted)
        assert app.main.active_pane == "details" and app.main.details.status.message.message_id == message.message_id
        assert app.main.query_one("#message-id").value == "" and app.main.query_one("#range").value == "10d"
        assert app.main.query_one("#trace-results", PagedTable).records == before


async def test_not_found_stays_on_screen_offering_the_id_in_its_case(ui_store):
    message_id = case_id(ui_store, "revocable")
    retyped = "<" + message_id[1:].split("@")[0].lower() + "@" + message_id.split("@")[1]
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await _paste(app, pilot, f"{retyped} <nobody@nowhere.example>")
        assert isinstance(app.screen, LookupScreen)
        answers = app.screen.query_one("#lookup-answers")
        lines = [answers.get_option_at_index(i).prompt.plain for i in range(answers.option_count)]
        assert "0 of 2 found" in text_of(app.screen.query_one("#lookup-error"))
        assert any("did you mean " + message_id in line for line in lines)
        assert any("nobody@nowhere.example" in line for line in lines)
        answers.highlighted = next(i for i, line in enumerate(lines) if "did you mean" in line)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main.active_pane == "details" and app.main.details.status.message.message_id == message_id


async def test_one_message_found_opens_its_details_as_the_dialog_closes(ui_store, monkeypatch):
    """The dialog checks the status before it closes, and has the console show it before it goes: Details is
    open and filled underneath as the dialog leaves, so the first frame after it holds them (a callback on
    the closing ran a step later, after a frame of the Message Trace, which a busy machine paid for), and no
    second check runs."""
    from textual.app import App

    from omeconsole.ui.screens.console_screen import ConsoleScreen
    from omeconsole.ui.screens.lookup import LookupScreen

    message_id = case_id(ui_store, "mixed")
    at_close, checks = [], []
    pop = App.pop_screen

    def pop_screen(app):
        if isinstance(app.screen, LookupScreen):
            main = app.main
            at_close.append((main.active_pane, main.details and main.details.status.message.message_id))
        return pop(app)

    monkeypatch.setattr(App, "pop_screen", pop_screen)
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(ConsoleScreen, "_check_status", lambda screen, *args: checks.append(args))
        await _paste(app, pilot, message_id)
        assert at_close == [("details", message_id)] and checks == []
        assert app.main.details.audit is not None and not app.main.details.audit_loading  # then its audit entries


async def test_the_first_frame_after_the_dialog_has_details_laid_out(ui_store, monkeypatch):
    """The widgets a pane switch changes ask their screen for a layout by message, once their own queues are
    idle. On a busy machine those messages came after the frame the console draws as the dialog leaves: it
    showed the Message Trace again, and Details a layout later. The switch asks its screen for the layout
    itself. Here the widgets' messages are held until the console has written a frame."""
    from textual.app import App

    from omeconsole.ui.panes.details import DetailsPane
    from omeconsole.ui.screens.console_screen import ConsoleScreen
    from omeconsole.ui.screens.lookup import LookupScreen

    message_id = case_id(ui_store, "mixed")
    frames: list[bool] = []  # each frame of the console with the message looked up: Details laid out?
    held: list = []
    display, on_layout = App._display, ConsoleScreen._on_layout

    def written(app, screen, update):
        details = screen.details if isinstance(screen, ConsoleScreen) else None
        if update is not None and details and details.status.message.message_id == message_id:
            frames.append(bool(screen.query_one(DetailsPane).region))
            for message in held:
                screen.post_message(message)
            held.clear()
        return display(app, screen, update)

    async def late(screen, message):
        if frames or screen.details is None or screen.details.status.message.message_id != message_id:
            return await on_layout(screen, message)
        message.prevent_default()  # Screen's own handler would take it next
        held.append(message)

    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(App, "_display", written)
        monkeypatch.setattr(ConsoleScreen, "_on_layout", late)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")
        app.screen.query_one("#lookup-input").value = message_id
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main.active_pane == "details" and frames and frames[0], frames


@pytest.mark.parametrize("way", ["lookup", "row"])
async def test_audit_entries_are_read_once_details_is_drawn(ui_store, monkeypatch, way):
    """Reading the audit log in a thread while the console draws Details would take turns with the drawing
    for the interpreter: the entries are read after the frame that shows the status."""
    from omeconsole.ui.screens.console_screen import ConsoleScreen

    steps: list[tuple[str, str | None]] = []
    load_audit = ConsoleScreen._load_audit

    def audit(screen, message_id):
        steps.append(("audit", message_id))
        return load_audit(screen, message_id)

    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        note_details_frames(monkeypatch, lambda shown: steps.append(("drawn", shown.details.status.message.message_id)))
        monkeypatch.setattr(ConsoleScreen, "_load_audit", audit)
        steps.clear()
        if way == "lookup":
            await _paste(app, pilot, case_id(ui_store, "mixed"))
        else:
            await pilot.press("down")
            await settle(app, pilot)
        message_id = app.main.details.status.message.message_id
        assert ("audit", message_id) in steps and app.main.details.audit is not None
        assert ("drawn", message_id) in steps[:steps.index(("audit", message_id))], steps


async def test_a_lookup_before_details_has_its_widgets_waits_for_them(ui_store, monkeypatch):
    """Details mounts just after the first frame and composes its widgets after that: a lookup answered in
    between (a busy machine, the first search running) showed into a pane with no widgets, and the console
    failed. It waits for them now. Here the answer arrives as Details starts composing, for a sender, whose
    console has no Key manager pane to mount after it."""
    from textual.widget import Widget

    from omeconsole.ui.panes.details import DetailsPane, checked_details

    message_id = case_id(ui_store, "revocable")  # megan.bowen's
    answered: list[bool] = []

    async def compose_after_an_answer(pane, event):
        screen = pane.screen
        answered.append(screen.lazy_panes_mounted)
        screen.lookup(message_id, checked_details(screen.context, message_id))  # as the dialog's answer does
        await Widget._on_compose(pane, event)

    monkeypatch.setattr(DetailsPane, "_on_compose", compose_after_an_answer, raising=False)
    app = console_app(ui_store, "megan.bowen@contoso.com")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert answered == [False]
        assert app.main.active_pane == "details" and app.main.details.status.message.message_id == message_id
        assert message_id in text_of(app.main.query_one("#details-body"))


async def test_looking_up_is_said_without_laying_the_dialog_out_again(ui_store, monkeypatch):
    """A layout of the dialog draws the dimmed console behind it again: 16 ms of a quiet core, spent while
    the answer is on its way. The "… looking up" line takes the empty line's place, so it needs none."""
    import threading

    from omeconsole.ui.screens import lookup as lookup_dialog

    reached, release = threading.Event(), threading.Event()
    look_up_now = lookup_dialog.look_up

    def held(context, text):
        reached.set()
        release.wait(30)
        return look_up_now(context, text)

    layouts: list[int] = []
    lay_out = LookupScreen._refresh_layout

    def counted(screen, *args, **kwargs):
        layouts.append(1)
        return lay_out(screen, *args, **kwargs)

    monkeypatch.setattr(lookup_dialog, "look_up", held)
    app = console_app(ui_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the Look up dialog open")
        app.screen.query_one("#lookup-input").value = case_id(ui_store, "mixed")
        await pilot.pause()
        monkeypatch.setattr(LookupScreen, "_refresh_layout", counted)
        await pilot.press("enter")
        await until(pilot, reached.is_set, "the lookup running")
        await pilot.pause()
        assert "looking up" in text_of(app.screen.query_one("#lookup-error")) and layouts == []
        release.set()
        await settle(app, pilot)
        assert app.main.active_pane == "details"
