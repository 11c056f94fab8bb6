"""The audit index (omeconsole/core/audit/index.py): a target's entries read through it equal a full pass,
however the log grew; `audit --last N` reads the tail; a damaged index is rebuilt saying so, and a log that
disagrees with it is reported, never hidden."""

import json
import random
import shutil
import subprocess
import sys

import pytest

from omeconsole.core.audit import index as index_module
from omeconsole.core.audit import trail as trail_module
from omeconsole.core.audit.index import INDEX_DIR, STATE_FILE, AuditIndex
from omeconsole.core.audit.log import AuditLog
from omeconsole.core.audit.trail import AuditTrail
from omeconsole.core.context import Context
from omeconsole.core.errors import Refused, StoreDamaged
from omeconsole.core.store.store import Store
from support.cli import OMECONSOLE, assert_one_line_error, clean_env
from support.hostile import BIG, CORPUS, NUL

ADMIN = "admin@contoso.com"
TARGETS = ["<AM6PR07MB5272E64D52A0989062{:02d}@am6pr07mb5272.namprd15.prod.outlook.com>".format(n) for n in range(12)]
TARGETS += ["audit log", "key version 3", "AR-0007", "megan.bowen@contoso.com"]


@pytest.fixture(autouse=True)
def through_the_index(monkeypatch):
    """The demo's logs are small enough to be read whole for one target; here they go through the index."""
    monkeypatch.setattr(trail_module, "READ_WHOLE_UP_TO", 0)


def append(log: AuditLog, count: int, seed: int, targets=TARGETS) -> None:
    rng = random.Random(seed)
    for n in range(count):
        log.append(actor=ADMIN, role="global-admin", action=rng.choice(["revoke", "send", "portal open"]),
                   target=rng.choice(targets), outcome="success", detail=f"entry {seed}/{n}")


def by_full_pass(store) -> dict[str, list]:
    """Every target's entries, as a filter of the whole log read and checked."""
    found: dict[str, list] = {}
    for entry in Store.open(store).audit.entries():
        found.setdefault(entry.target, []).append(entry)
    return found


def assert_index_agrees(store, persist_after: int | None = None) -> None:
    expected = by_full_pass(store)
    log = Context.open(store).store.audit
    for target, entries in expected.items():
        index = AuditIndex(log) if persist_after is None else AuditIndex(log, persist_after=persist_after)
        assert index.about(target) == entries, target
        assert index.note is None
    assert AuditIndex(log).about("<nobody@example.com>") == []


def lines_of(store) -> list[bytes]:
    return (store / "audit.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(store, lines: list[bytes]) -> None:
    (store / "audit.jsonl").write_bytes(b"".join(lines))


def edit_entry(line: bytes, **changes) -> bytes:
    record = json.loads(line)
    record.update(changes)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


# -- entries about a target -------------------------------------------------------------------------------


@pytest.mark.parametrize("persist_after", [1, 7, None])
def test_a_targets_entries_equal_a_full_pass_after_many_mixed_appends(demo_store, persist_after):
    """persist_after 1: every new entry filed at once; 7: some filed, some looked through in memory; None:
    the default (1,000), every appended entry looked through in memory past the index built first."""
    log = Context.open(demo_store).store.audit
    assert_index_agrees(demo_store, persist_after)
    for seed in range(4):
        append(log, 60, seed)
        assert_index_agrees(demo_store, persist_after)


def test_entries_filed_in_the_recent_buckets_and_merged_into_the_main_ones_are_all_found(demo_store, monkeypatch):
    monkeypatch.setattr(index_module, "RECENT_UP_TO", 25)
    log = Context.open(demo_store).store.audit
    seen_recent = seen_merged = False
    for seed in range(12):
        append(log, 4, seed)
        assert_index_agrees(demo_store, persist_after=3)
        recent = {p.name[:2] for p in (demo_store / INDEX_DIR).glob("r?-*.json")}
        seen_recent, seen_merged = seen_recent or bool(recent), seen_merged or (seen_recent and not recent)
    assert seen_recent and seen_merged


def test_the_index_catches_up_with_appends_by_another_audit_log_and_another_process(demo_store, demo_cli):
    trail = AuditTrail(Context.open(demo_store))
    assert trail.about(TARGETS[0]) == []  # the index is built here
    append(Store.open(demo_store).audit, 40, seed=1)  # a second AuditLog object
    assert_index_agrees(demo_store)
    code = ("import sys, random; from pathlib import Path; from omeconsole.core.store.store import Store\n"
            "log = Store.open(Path(sys.argv[1])).audit\n"
            "for n in range(30):\n"
            "    log.append(actor='admin@contoso.com', role='global-admin', action='revoke', outcome='success',"
            " target=sys.argv[2 + n % 2])\n")
    subprocess.run([*OMECONSOLE[:2], "-c", code, str(demo_store), TARGETS[0], TARGETS[1]], check=True,
                   env=clean_env(), timeout=120)
    for _ in range(3):
        demo_cli("audit", "checkpoint")  # the real CLI appends an entry about "audit log"
    assert_index_agrees(demo_store, persist_after=1)
    assert len(trail.about("audit log")) >= 3 and len(trail.about(TARGETS[0])) >= 15


def test_an_old_copy_of_the_index_put_back_is_caught_up_not_believed(demo_store, tmp_path):
    log = Context.open(demo_store).store.audit
    append(log, 30, seed=2)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    shutil.copytree(demo_store / INDEX_DIR, tmp_path / "old-index")
    append(log, 30, seed=3)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    shutil.rmtree(demo_store / INDEX_DIR)
    shutil.copytree(tmp_path / "old-index", demo_store / INDEX_DIR)
    assert_index_agrees(demo_store, persist_after=1)


def test_hostile_targets_are_stored_and_found_literally(demo_store):
    hostile = [*CORPUS.values(), NUL, BIG, "line\nbreak", 'quote " and \\ backslash', "\\u0041 not an escape",
               "'; DROP TABLE audit; --", "x" * 3 + "\u202e"]
    log = Context.open(demo_store).store.audit
    AuditIndex(log).about("anything")  # built before: the hostile entries are found in memory first
    for n, target in enumerate(hostile):
        log.append(actor=ADMIN, role="global-admin", action="status", target=target, outcome="refused",
                   detail=f"hostile {n}")
    for persist_after in (None, 1):  # looked through in memory, then filed
        for target in hostile:
            index = AuditIndex(log) if persist_after is None else AuditIndex(log, persist_after=persist_after)
            [found] = index.about(target)
            assert found.target == target and found.detail.startswith("hostile")
    assert AuditIndex(log).about(BIG[:-1]) == [] and AuditIndex(log).about("line") == []
    assert_index_agrees(demo_store)


def test_a_small_log_is_read_whole_for_a_target_and_no_index_is_kept(demo_store, monkeypatch):
    monkeypatch.setattr(trail_module, "READ_WHOLE_UP_TO", 128 * 1024)
    append(Store.open(demo_store).audit, 30, seed=16)
    assert AuditTrail(Context.open(demo_store)).about(TARGETS[0]) == by_full_pass(demo_store).get(TARGETS[0], [])
    assert not (demo_store / INDEX_DIR).exists()


def test_reading_by_target_is_for_admins_and_helpdesk_as_before(as_user):
    assert AuditTrail(as_user("lynne.robbins@contoso.com")).about("audit log") is not None
    for read in (lambda t: t.about("audit log"), lambda t: t.last(5), lambda t: t.check()):
        with pytest.raises(Refused, match="audit log"):
            read(AuditTrail(as_user("megan.bowen@contoso.com")))


# -- the last N entries --------------------------------------------------------------------------------------


def test_audit_last_n_through_the_cli_equals_the_tail_of_a_full_pass(demo_store, demo_cli):
    append(Store.open(demo_store).audit, 45, seed=4)
    full = [e.to_record() for e in Store.open(demo_store).audit.entries()]
    for n in (1, 7, 45, len(full), len(full) + 10):
        assert demo_cli.json("audit", "--last", n) == full[-n:]
    assert demo_cli.json("audit", "--last", 0) == []
    assert demo_cli("audit", "--last", 3, "--csv").stdout.count("\n") == 4


def test_audit_last_reads_only_the_tail(demo_store, demo_cli):
    """Damage further back than the entries asked for is `audit verify`'s to find; damage among them (or
    to the link from the one before them) is reported in one line."""
    append(Store.open(demo_store).audit, 20, seed=5)
    lines = lines_of(demo_store)
    lines[2] = edit_entry(lines[2], detail="rewritten")
    write_lines(demo_store, lines)
    assert len(demo_cli.json("audit", "--last", 10)) == 10
    assert_one_line_error(demo_cli("audit", "verify", check=1), "entry 3 at line 3 was edited")
    lines[-4] = edit_entry(lines[-4], outcome="refused")
    write_lines(demo_store, lines)
    assert_one_line_error(demo_cli("audit", "--last", 10, check=1), "audit.jsonl", "was edited", "line 4 from the end")
    write_lines(demo_store, lines[:-4] + lines[-3:])  # the edited one removed: a gap
    assert_one_line_error(demo_cli("audit", "--last", 10, check=1), "were removed")


def test_an_entry_longer_than_a_tail_read_does_not_stop_appends(demo_store):
    log = Store.open(demo_store).audit
    log.append(actor=ADMIN, role="global-admin", action="status", target=BIG * 2, outcome="refused")
    log.append(actor=ADMIN, role="global-admin", action="status", target="after", outcome="refused")
    assert [e.target for e in log.last(2)] == [BIG * 2, "after"]
    assert log.entries()[-1].target == "after"


# -- a damaged index, and a log that disagrees with it -------------------------------------------------------


def test_a_deleted_index_is_built_again(demo_store):
    log = Store.open(demo_store).audit
    append(log, 30, seed=6)
    assert_index_agrees(demo_store)
    shutil.rmtree(demo_store / INDEX_DIR)
    assert_index_agrees(demo_store)


def _damage_state(store) -> None:
    (store / INDEX_DIR / STATE_FILE).write_text("{not json")


def _forge_state(store) -> None:
    """A well-formed state claiming less than it covers, its seal recomputed as plain SHA-256 (the algorithm
    is public, the chain key is not)."""
    import hashlib

    path = store / INDEX_DIR / STATE_FILE
    state = json.loads(path.read_text())
    state["buckets"] = {}
    body = {k: v for k, v in state.items() if k != "seal"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    state["seal"] = "sha256:" + hashlib.sha256(canonical).hexdigest()
    path.write_text(json.dumps(state))


def _drop_a_posting(store) -> None:
    """A bucket rewritten to leave out one entry: what someone hiding a revoke from Details would do."""
    bucket = max((store / INDEX_DIR).glob("??-*.json"), key=lambda p: p.stat().st_size)
    postings = json.loads(bucket.read_text())
    target = next(iter(postings))
    postings[target] = " ".join(postings[target].split()[1:])
    bucket.write_text(json.dumps(postings))


def _remove_a_bucket(store) -> None:
    next((store / INDEX_DIR).glob("??-*.json")).unlink()


@pytest.mark.parametrize("damage,said", [(_damage_state, "not valid JSON"), (_forge_state, "does not match its seal"),
                                         (_drop_a_posting, "does not match the digest"),
                                         (_remove_a_bucket, "is missing")])
def test_a_damaged_index_is_rebuilt_from_the_log_and_says_so(demo_store, damage, said):
    log = Store.open(demo_store).audit
    append(log, 40, seed=7)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    damage(demo_store)
    expected = by_full_pass(demo_store)
    index = AuditIndex(Context.open(demo_store).store.audit)
    for target in sorted(expected):
        assert index.about(target) == expected[target]
    assert index.note and "the audit index was damaged" in index.note and said in index.note
    assert "rebuilt from the log" in index.note
    assert_index_agrees(demo_store)  # and it stays so: no note the next time


def test_an_edited_log_line_read_through_the_index_is_reported_not_shown(demo_store):
    log = Store.open(demo_store).audit
    append(log, 30, seed=8, targets=TARGETS[:3])
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    lines = lines_of(demo_store)
    number = next(n for n, line in enumerate(lines) if json.loads(line)["target"] == TARGETS[0]
                  and json.loads(line)["action"] != "revoke")
    lines[number] = edit_entry(lines[number], action="revoke")  # the same length would be no different
    write_lines(demo_store, lines)
    context = Context.open(demo_store)
    with pytest.raises(StoreDamaged) as raised:
        AuditTrail(context).about(TARGETS[0])
    assert raised.value.path == str(demo_store / "audit.jsonl")
    assert f"entry {number + 1}" in raised.value.problem and "was edited" in raised.value.problem
    assert "\n" not in str(raised.value)


def test_an_entry_edited_after_the_index_was_built_is_reported_even_if_it_moved_others(demo_store):
    """A longer line moves every later one: the index's places no longer hold their entries, the whole log
    is checked, and the edit is named as `audit verify` names it."""
    log = Store.open(demo_store).audit
    append(log, 30, seed=9, targets=TARGETS[:2])
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    lines = lines_of(demo_store)
    lines[5] = edit_entry(lines[5], detail="a much longer detail than the entry was written with")
    write_lines(demo_store, lines)
    target = json.loads(lines[-1])["target"]
    with pytest.raises(StoreDamaged, match="entry 6 at line 6 was edited"):
        AuditIndex(Context.open(demo_store).store.audit).about(target)


def test_a_log_truncated_below_what_the_index_covered_is_reported(demo_store):
    """The chain that is left is whole, so only a checkpoint kept elsewhere or the index can tell."""
    log = Store.open(demo_store).audit
    append(log, 20, seed=10)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    write_lines(demo_store, lines_of(demo_store)[:-3])
    with pytest.raises(StoreDamaged) as raised:
        AuditTrail(Context.open(demo_store)).about(TARGETS[0])
    assert raised.value.path == str(demo_store / "audit.jsonl")
    assert "entries were removed from its end" in raised.value.problem


def test_the_same_entries_written_in_other_bytes_rebuild_the_index_saying_so(demo_store):
    """Lines rewritten with other spacing hold the same entries (their hashes are of the canonical form):
    the index's places move, the log checks whole and still holds the entry the index covered to."""
    log = Store.open(demo_store).audit
    append(log, 20, seed=11)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    write_lines(demo_store, [json.dumps(json.loads(line), ensure_ascii=True).encode() + b"\n"
                             for line in lines_of(demo_store)])
    expected = by_full_pass(demo_store)
    index = AuditIndex(Context.open(demo_store).store.audit)
    assert index.about(TARGETS[0]) == expected.get(TARGETS[0], [])
    assert index.note and "disagreed with the log" in index.note
    assert_index_agrees(demo_store)


def test_an_unfinished_last_line_is_left_for_later_by_the_index(demo_store):
    """An append may be writing it; `audit verify` and the next append report it if it stays so."""
    log = Store.open(demo_store).audit
    append(log, 5, seed=12, targets=TARGETS[:1])
    expected = by_full_pass(demo_store)[TARGETS[0]]
    with open(demo_store / "audit.jsonl", "ab") as handle:
        handle.write(b'{"seq":99,"target":"' + TARGETS[0].encode())
    assert AuditIndex(log, persist_after=1).about(TARGETS[0]) == expected
    assert "incomplete" in log.walk(None)[1]


# -- the Key manager's check -------------------------------------------------------------------------------


def test_the_key_manager_checks_a_long_log_from_the_index_and_says_what_it_checked(demo_store, monkeypatch):
    from omeconsole.ui.panes.key_manager import audit_summary

    monkeypatch.setattr(trail_module, "FULL_PASS_UP_TO", 10)
    context = Context.open(demo_store)
    append(context.store.audit, 30, seed=13)
    AuditIndex(context.store.audit, persist_after=1).about(TARGETS[0])
    covered = len(context.store.audit.entries())
    append(context.store.audit, 12, seed=14)
    checked = AuditTrail(context).check()
    assert checked.ok and checked.checked_from == covered + 1 and checked.entries == covered + 12
    assert checked.full_pass and checked.full_pass["through"] == covered
    said = audit_summary(checked).plain
    assert f"entries {covered + 1} to {covered + 12} checked now, chained onto entry {covered}" in said
    assert "chain intact, keyed from entry" in said and "'omeconsole audit verify' checks it all" in said
    AuditTrail(context).verify()
    assert AuditTrail(context).check().full_pass["through"] == covered + 12

    lines = lines_of(demo_store)
    lines[-2] = edit_entry(lines[-2], outcome="refused")
    write_lines(demo_store, lines)
    checked = AuditTrail(Context.open(demo_store)).check()
    assert not checked.ok and f"entry {covered + 11} at line {covered + 11} was edited" in checked.problem
    assert audit_summary(checked).plain.startswith("NOT verified")


def test_a_short_log_is_still_verified_whole_by_the_key_manager(demo_store):
    checked = AuditTrail(Context.open(demo_store)).check()
    assert checked.ok and checked.checked_from is None
    assert checked.entries == len(Store.open(demo_store).audit.entries())


def test_index_files_are_private_and_inside_the_store(demo_store):
    log = Store.open(demo_store).audit
    append(log, 10, seed=15)
    AuditIndex(log, persist_after=1).about(TARGETS[0])
    files = list((demo_store / INDEX_DIR).iterdir())
    assert files and all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    assert (demo_store / INDEX_DIR).stat().st_mode & 0o777 == 0o700
    assert not any(p.name.endswith(".tmp") for p in files)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
