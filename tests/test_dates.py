"""Dates, numbers and nesting as weapons: every stored time has a four-digit year, a received time before
1990 or over a day ahead is refused, a store an earlier version damaged with one still opens, and every
odd value gives one clear line (exit 1 or 2), never exit 70."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given, settings, strategies as st

from support.cli import OMECONSOLE, clean_env, assert_one_line_error
from omeconsole.cli import main
from omeconsole.core.context import Context
from omeconsole.core.text.times import format_iso, load_iso
from omeconsole.core.mail.send import send_message
from omeconsole.core.store.files import read_bytes

MEGAN = "megan.bowen@contoso.com"


def now_iso(**delta) -> str:
    return format_iso(datetime.now(timezone.utc) + timedelta(**delta))


def test_every_stored_time_has_a_four_digit_year():
    assert format_iso(datetime(999, 6, 1, tzinfo=timezone.utc)) == "0999-06-01T00:00:00Z"
    assert format_iso(datetime(1, 1, 1, tzinfo=timezone.utc)) == "0001-01-01T00:00:00Z"
    assert load_iso("0999-06-01T00:00:00Z") == datetime(999, 6, 1, tzinfo=timezone.utc)
    assert load_iso("999-06-01T00:00:00Z") == datetime(999, 6, 1, tzinfo=timezone.utc)  # as earlier versions wrote


def test_format_iso_tells_apart_the_two_instants_of_a_dst_fold():
    """01:30 on the night New York's clocks go back happens twice (fold 0, then fold 1, an hour later):
    equal as datetimes, so a cache keyed by them would write the first for both."""
    try:
        new_york = ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    first, second = (datetime(2026, 11, 1, 1, 30, tzinfo=new_york, fold=f) for f in (0, 1))
    assert first == second  # as keys, the same
    assert (format_iso(first), format_iso(second)) == ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z")
    assert (format_iso(second), format_iso(first)) == ("2026-11-01T06:30:00Z", "2026-11-01T05:30:00Z")


@given(moment=st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), None])))
def test_format_iso_writes_what_isoformat_writes_to_the_second_and_load_iso_reads_it_back(moment):
    """format_iso formats the fields itself (faster than isoformat); the text must stay isoformat's."""
    try:
        utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except OverflowError:
        return  # outside the years 1 to 9999 in UTC: never stored
    text = format_iso(moment)
    assert text == utc.isoformat(timespec="seconds")[:-6] + "Z"
    assert load_iso(text) == utc.replace(microsecond=0)
    assert load_iso(text[1:] if text.startswith("0") else text) == utc.replace(microsecond=0)  # an unpadded year


@pytest.mark.parametrize("received,needle", [
    ("0999-06-01T00:00:00Z", "before 1990"),
    ("1989-12-31T23:59:59Z", "before 1990"),
    (None, "more than a day in the future"),
    ("9999-12-31T23:59:59-01:00", "outside the years 1 to 9999"),
    ("0001-01-01T00:00:00+01:00", "outside the years 1 to 9999"),
])
def test_send_refuses_a_received_time_that_cannot_be_right(demo_cli, received, needle):
    before = demo_cli("trace", "--json").stdout
    result = demo_cli("send", "--as", MEGAN, "--from", MEGAN, "--to", "bob.kelly@gmail.com", "--subject", "s",
                      "--body", "b", "--received", received or now_iso(days=1, minutes=5), check=2)
    assert_one_line_error(result, needle)
    assert demo_cli("trace", "--json").stdout == before


def test_send_takes_a_received_time_up_to_a_day_ahead_and_from_1990(demo_cli):
    for received in (now_iso(hours=23), "1990-01-01T00:00:00Z"):
        demo_cli("send", "--as", MEGAN, "--from", MEGAN, "--to", "bob.kelly@gmail.com", "--subject", "s",
                 "--body", "b", "--received", received)


def test_import_rejects_each_row_dated_before_1990_or_ahead_with_its_place(demo_cli, tmp_path):
    rows = [("2026-11-01T10:00:00Z", "<good@example.com>"), ("0999-06-01T00:00:00Z", "<old@example.com>"),
            (now_iso(days=3), "<ahead@example.com>"), ("0001-01-01T00:00:00+05:00", "<overflow@example.com>")]
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"value": [
        {"messageId": mid, "receivedDateTime": when, "senderAddress": "a@fabrikam.com",
         "recipientAddress": "lee.gu@contoso.com", "subject": "s", "status": "Delivered"} for when, mid in rows]}))
    result = demo_cli("import", str(path))
    assert "1 added" in result.stdout and "3 rejected" in result.stdout
    lines = result.stderr.splitlines()
    assert [line.split(": ")[2] for line in lines] == ["value[1]", "value[2]", "value[3]"]
    assert "before 1990" in lines[0] and "more than a day in the future" in lines[1]
    assert "outside the years 1 to 9999" in lines[2]
    assert demo_cli("trace", "--message-id", "<good@example.com>", "--json").stdout.count("MessageId") == 1


def plant_a_message_as_earlier_versions_wrote_it(store, monkeypatch) -> str:
    """An earlier version let `send --received 0999-06-01` through and wrote '999-06-01T...' (strftime does not
    pad the year), filing it under the index partition 'days/999-06-01T'. Do exactly that again here."""
    import omeconsole.core.mail.model as model
    import omeconsole.core.mail.send as services

    with monkeypatch.context() as patch:
        patch.setattr(model, "format_iso", lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ") if m else None)
        patch.setattr(services, "received_problem", lambda received, now: None)
        message = send_message(Context.open(store), sender=MEGAN, recipients=["bob.kelly@gmail.com"], subject="From 999",
                               body="b", received=datetime(999, 6, 1, tzinfo=timezone.utc))
    assert (store / "index" / "days" / "999-06-01T.json").exists()
    return message.message_id


def test_a_store_an_earlier_version_gave_a_year_999_still_opens_and_reindex_refiles_it(demo_store, demo_cli,
                                                                                       monkeypatch):
    message_id = plant_a_message_as_earlier_versions_wrote_it(demo_store, monkeypatch)
    for command in (["trace"], ["report"], ["keys", "purge-expired"], ["status", "--message-id", message_id]):
        demo_cli(*command)
    assert demo_cli("reindex").stdout.strip() == "The trace index holds 121 messages"
    assert not (demo_store / "index" / "days" / "999-06-01T.json").exists()
    assert (demo_store / "index" / "days" / "0999-06-01.json").exists()
    found = demo_cli.json("trace", "--start", "0999-01-01", "--end", "0999-12-31")
    assert [(r["MessageId"], r["Received"]) for r in found] == [(message_id, "0999-06-01T00:00:00Z")]


def test_reindex_reports_and_skips_a_message_it_cannot_read(demo_store, demo_cli):
    shard = next(p for p in sorted((demo_store / "messages").glob("*.json")) if json.loads(read_bytes(p))["messages"])
    data = json.loads(read_bytes(shard))
    doc_id, doc = next(iter(data["messages"].items()))
    doc["received"] = "the day before yesterday"
    shard.write_text(json.dumps(data))
    result = demo_cli("reindex")
    assert result.stdout.strip() == "The trace index holds 119 messages"
    assert result.stderr.count("\n") == 1 and f"message document {doc_id} ({doc['message_id']})" in result.stderr
    assert "not filed" in result.stderr
    assert doc["message_id"] not in demo_cli("trace", "--start", "2000-01-01").stdout
    assert demo_cli("audit", "verify").returncode == 0


def test_json_nested_too_deeply_is_one_line(demo_cli, demo_store, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    assert_one_line_error(demo_cli("import", str(deep), check=2), "not a trace export")  # read item by item
    (demo_store / "tenant.json").write_text('{"settings": ' + "[" * 200_000 + "]" * 200_000 + "}")
    assert_one_line_error(demo_cli("trace", check=1), "tenant.json", "nested too deeply")


def test_arguments_that_are_not_utf8_are_one_line(demo_store):
    result = subprocess.run([*map(str.encode, OMECONSOLE), b"--store", str(demo_store).encode(), b"send",
                             b"--from", MEGAN.encode(), b"--to", b"bob.kelly@gmail.com", b"--subject", b"caf\xe9",
                             b"--body", b"b"], capture_output=True, env=clean_env(), timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().startswith("omeconsole: argument 9 ('caf\\udce9') is not UTF-8 text")
    assert result.stderr.count(b"\n") == 1


ODD_NUMBERS = st.one_of(st.integers(min_value=-10**30, max_value=10**30).map(str),
                        st.sampled_from(["1e5", "0x10", "", " ", "9" * 5000, "-0", "+7", "٣", "NaN", "inf"]))
ODD_DATES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(datetime.isoformat),
    st.tuples(st.integers(1, 9999), st.integers(-23, 23)).map(lambda t: f"{t[0]:04d}-01-01T00:00:00{t[1]:+03d}:00"),
    st.sampled_from(["0000-01-01", "999-06-01", "10000-01-01", "2026-02-30", "2026-11-20T25:00", "T", "Z"]),
    st.text(max_size=30),
)


@settings(max_examples=30, deadline=None)
@given(number=ODD_NUMBERS, date=ODD_DATES)
def test_odd_numbers_and_dates_are_one_line_never_exit_70(demo_store, number, date, capsys):
    store = str(demo_store)  # each command reads, or is refused before it changes anything
    for argv in (["trace", "--start", date], ["trace", "--end", date], ["report", "--start", date],
                 ["send", "--as", "lynne.robbins@contoso.com", "--from", MEGAN, "--to", "x@gmail.com",
                  "--subject", "s", "--body", "b", "--received", date],
                 ["trace", "--result-size", number], ["audit", "--last", number],
                 ["demo", "--messages", number], ["template", "add", "X", "--expiry-days", number, "--as", MEGAN],
                 ["keys", "policy", "--rotation-days", number, "--as", MEGAN],
                 ["keys", "destroy", "--below", number, "--as", MEGAN]):
        code = main(["--store", store, *argv])
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (argv, code, err)
        assert code == 0 or err.count("\n") == 1, (argv, err)

