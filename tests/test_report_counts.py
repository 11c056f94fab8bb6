"""The Encryption Report's counts kept by day: after sends, revokes, imports, expiries, a crash
mid-write and a reindex, the summary read from them equals a full count of the messages."""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta

import pytest

from omeconsole.core.context import Context
from omeconsole.core.demo.contoso import ADMINS, LINK_BASED, USERS, create_demo
from omeconsole.core.encryption_report.kept_counts import kept_summary
from omeconsole.core.encryption_report.report import ReportFilter, get_encryption_report
from omeconsole.core.encryption_report.selection import Selection
from omeconsole.core.encryption_report.summary import ReportTally
from omeconsole.core.errors import StoreError
from omeconsole.core.mail.model import Protection
from omeconsole.core.mail.send import send_message
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.store import files
from omeconsole.core.store.store import Store
from support.clock import Clock, utc
from test_trace_index import write_import

NOW = utc(2026, 11, 20, 12, 0)
RANGES = [(None, None), (NOW - timedelta(days=90), NOW), (NOW - timedelta(days=7), NOW),
          (NOW - timedelta(days=30, hours=5), NOW - timedelta(days=2, minutes=17)),
          (utc(2026, 11, 1), utc(2026, 11, 10) - timedelta(microseconds=1)),
          (NOW - timedelta(hours=3), NOW)]


def full_count(context: Context, start, end):
    """The summary counted from every message in the shards, as the report's rows are made."""
    selection, tally = Selection(context, start, end, ReportFilter()), ReportTally()
    for message in context.store.iter_messages():
        if selection.wanted(message):
            tally.add(selection.rows_of(message))
    return tally.summary()


def assert_counts_match(root, clock: Clock) -> None:
    context = Context.open(root, ADMINS[0], clock=clock)
    assert context.store.counted
    for start, end in RANGES:
        with context.store.reading():
            kept = kept_summary(Selection(context, start, end, ReportFilter()))
        assert kept == full_count(context, start, end), (start, end)
        assert get_encryption_report(context, start, end).summary == kept


def send_some(context: Context, rng: random.Random, count: int, days: int = 92) -> None:
    for n in range(count):
        protection = rng.choice(list(Protection))
        send_message(context, sender=rng.choice(USERS), recipients=rng.sample(LINK_BASED + USERS, rng.choice((1, 2, 3))),
                     subject=f"Counted {n}", body="b", protection=protection,
                     template=rng.choice(("Contoso Secure", "Contoso Legal", None)) if protection is not Protection.NONE
                     else None, received=NOW - timedelta(days=rng.randrange(days), seconds=rng.randrange(86400)))


@pytest.fixture
def counted_store(tmp_path):
    root = tmp_path / "store"
    create_demo(root, messages=150, seed=4, now=NOW)
    return root


def test_the_demo_counts_equal_a_full_count(counted_store):
    assert_counts_match(counted_store, Clock(NOW))


def test_sends_revokes_and_imports_keep_the_counts_equal_to_a_full_count(counted_store, tmp_path):
    clock, rng = Clock(NOW), random.Random(8)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    send_some(admin, rng, 40)
    assert_counts_match(counted_store, clock)
    revocable = [m.message_id for m in admin.store.iter_messages() if admin.decide(m).allowed]
    for message_id in rng.sample(revocable, 6):
        set_ome_message_revocation(admin, message_id)
    assert_counts_match(counted_store, clock)
    senders: dict = {}
    for number, rows in enumerate((range(20), range(20, 40))):  # bifurcated copies on other days among them
        write_import(tmp_path / f"export{number}.csv", rng, rows, senders)
        TraceImport(admin).import_file(tmp_path / f"export{number}.csv")
    assert_counts_match(counted_store, clock)


def test_expiry_moves_counts_to_not_revocable_with_no_write(counted_store):
    clock = Clock(NOW)
    before = full_count(Context.open(counted_store, ADMINS[0], clock=clock), None, None)
    clock.advance(days=400)  # past every template's expiry
    assert_counts_match(counted_store, clock)
    later = Context.open(counted_store, ADMINS[0], clock=clock)
    after = full_count(later, None, None)
    never_expire = sum(1 for m in later.store.iter_messages() if later.decide(m).is_revocable)
    assert all(m.expires_at is None for m in later.store.iter_messages() if later.decide(m).is_revocable)
    assert dict(before.by_message.by_revocation_status)["Revocable"] > never_expire
    assert dict(after.by_message.by_revocation_status).get("Revocable", 0) == never_expire


def test_a_disk_failure_mid_write_changes_neither_the_message_nor_the_counts(counted_store, monkeypatch):
    clock = Clock(NOW)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    counts_before = _counts_files(counted_store)
    real = files._write_all
    calls = []

    def fail_on_the_third(fd, data):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(files, "_write_all", fail_on_the_third)
    with pytest.raises(StoreError):
        send_message(admin, sender=USERS[0], recipients=[LINK_BASED[0]], subject="Never sent", body="b",
                     protection=Protection.ENCRYPT_ONLY, template="Contoso Secure")
    monkeypatch.undo()
    assert _counts_files(counted_store) == counts_before
    assert_counts_match(counted_store, clock)


def test_a_crash_between_the_files_of_a_change_is_counted_again_by_the_next_writer(counted_store, monkeypatch):
    """A kill after the shards were moved into place and before the counts were: the journal the
    change began with makes the next writer count those days again; a reader meanwhile counts them exactly."""
    clock = Clock(NOW)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    real = os.replace

    def die_before_the_counts(tmp, path):
        if "counts" in str(path):
            raise KeyboardInterrupt  # stands in for SIGKILL
        real(tmp, path)

    monkeypatch.setattr(files.os, "replace", die_before_the_counts)
    with pytest.raises(KeyboardInterrupt):
        send_message(admin, sender=USERS[0], recipients=[LINK_BASED[0]], subject="Half written", body="b",
                     protection=Protection.ENCRYPT_ONLY, template="Contoso Secure",
                     received=NOW - timedelta(days=5))
    monkeypatch.undo()
    assert (counted_store / "index" / "pending.json").exists()
    assert_counts_match(counted_store, clock)  # the reader counts the journal's days exactly
    send_message(Context.open(counted_store, ADMINS[0], clock=clock), sender=USERS[1], recipients=[LINK_BASED[1]],
                 subject="Next", body="b")
    assert not (counted_store / "index" / "pending.json").exists()
    assert_counts_match(counted_store, clock)


def test_a_crash_in_a_revocation_is_counted_again(counted_store, monkeypatch):
    clock = Clock(NOW)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    message_id = next(m.message_id for m in admin.store.iter_messages() if admin.decide(m).allowed)
    real = os.replace

    def die_before_the_counts(tmp, path):
        if "counts" in str(path):
            raise KeyboardInterrupt
        real(tmp, path)

    monkeypatch.setattr(files.os, "replace", die_before_the_counts)
    with pytest.raises(KeyboardInterrupt):
        set_ome_message_revocation(admin, message_id)
    monkeypatch.undo()
    assert (counted_store / "revoking.json").exists()
    assert_counts_match(counted_store, clock)
    send_message(Context.open(counted_store, ADMINS[0], clock=clock), sender=USERS[1], recipients=[LINK_BASED[1]],
                 subject="Next", body="b")
    assert not (counted_store / "revoking.json").exists()
    assert_counts_match(counted_store, clock)


def test_a_revocation_that_lands_counts_no_day_again(counted_store, monkeypatch):
    """The counts land with the revocation: counting its day again (a whole day's partition, over a second at
    a million messages) is only for a journal a crash left."""
    clock = Clock(NOW)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    message_id = next(m.message_id for m in admin.store.iter_messages() if admin.decide(m).allowed)

    def no_recount(self, days):
        if days:
            raise AssertionError(f"counted {sorted(days)} again")

    monkeypatch.setattr(type(admin.store), "recount", no_recount)
    set_ome_message_revocation(admin, message_id)
    monkeypatch.undo()
    assert not (counted_store / "revoking.json").exists()
    assert_counts_match(counted_store, clock)


def test_reindex_counts_again_what_the_changes_kept(counted_store, tmp_path):
    clock, rng = Clock(NOW), random.Random(2)
    admin = Context.open(counted_store, ADMINS[0], clock=clock)
    send_some(admin, rng, 20)
    write_import(tmp_path / "export.csv", rng, range(30), {})
    TraceImport(admin).import_file(tmp_path / "export.csv")
    kept = _counts_files(counted_store)
    Store.open(counted_store).reindex()
    assert _counts_files(counted_store) == kept
    for path in (counted_store / "index" / "counts").glob("*.json"):
        path.unlink()
    Store.open(counted_store).reindex()
    assert {k: v for k, v in _counts_files(counted_store).items() if v} == {k: v for k, v in kept.items() if v}
    assert_counts_match(counted_store, clock)


def test_a_store_without_counts_reports_from_the_rows_until_reindex(counted_store):
    manifest = counted_store / "store.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "report_counts": False}))
    context = Context.open(counted_store, ADMINS[0], clock=Clock(NOW))
    assert not context.store.counted
    assert get_encryption_report(context).summary == full_count(context, None, None)
    Store.open(counted_store).reindex()
    assert Store.open(counted_store).counted
    assert_counts_match(counted_store, Clock(NOW))


def test_filters_and_a_user_who_sees_only_their_mail_are_counted_row_by_row(counted_store):
    user = Context.open(counted_store, USERS[0], clock=Clock(NOW))
    assert not Selection(user, None, None, ReportFilter()).dates_only
    assert get_encryption_report(user).summary == full_count(user, None, None)
    admin = Context.open(counted_store, ADMINS[0], clock=Clock(NOW))
    only = ReportFilter(protection=Protection.DO_NOT_FORWARD)
    assert not Selection(admin, None, None, only).dates_only
    summary = get_encryption_report(admin, filters=only).summary
    assert [label for label, _ in summary.by_message.by_protection] == ["Do Not Forward"]


def test_a_damaged_counts_file_is_reported_in_one_line(counted_store):
    day = sorted((counted_store / "index" / "counts").glob("*.json"))[-1]
    day.write_text("[1, 2]")
    with pytest.raises(StoreError, match="reindex"):
        get_encryption_report(Context.open(counted_store, ADMINS[0], clock=Clock(NOW)))
    assert day.read_text() == "[1, 2]"


def _counts_files(root) -> dict[str, dict]:
    return {p.name: json.loads(p.read_bytes()) for p in sorted((root / "index" / "counts").glob("*.json"))}


def test_within_the_hour_an_expiry_falls_in_the_counts_are_read_to_the_second(counted_store):
    """Expiries are kept by the hour; in the hour one falls in, each second before it, at it and after it."""
    context = Context.open(counted_store, ADMINS[0], clock=Clock(NOW))
    expiry = min(m.expires_at for m in context.store.iter_messages()
                 if m.expires_at and m.expires_at > NOW and context.decide(m).is_revocable)
    assert expiry.minute or expiry.second  # inside its hour, not on it
    for moment in (expiry - timedelta(seconds=1), expiry, expiry + timedelta(seconds=1)):
        assert_counts_match(counted_store, Clock(moment))
