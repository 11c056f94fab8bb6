"""A store of format 1 (made by the omeconsole before packing and kept counts: tests/fixtures/store-v1.tar.gz)
is read and written as it is, answers every query after `omeconsole upgrade` exactly as before, and a
crash during the upgrade leaves a store that answers the same and that a second upgrade finishes."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from omeconsole.core.store import upgrade as upgrade_module
from omeconsole.core.store.files import PACKED, read_bytes
from omeconsole.core.store.store import Store
from support.cli import CLI, assert_one_line_error

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1.tar.gz"
QUERIES = [("trace",), ("trace", "--sender", "megan.bowen@contoso.com"), ("trace", "--recipient", "*@gmail.com"),
           ("trace", "--start", "2026-11-01T00:00:00Z", "--end", "2026-11-15T06:30:00Z"),
           ("report",), ("report", "--summary"), ("report", "--start", "2026-10-20T08:00:00Z"),
           ("report", "--summary", "--start", "2026-10-20T08:00:00Z", "--end", "2026-11-18T00:00:00Z"),
           ("report", "--protection", "do-not-forward")]


@pytest.fixture
def v1_store(tmp_path) -> Path:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "store-v1"


def answers(cli: CLI) -> dict:
    found = {" ".join(query): cli.json(*query) for query in QUERIES}
    ids = sorted({row["MessageId"] for row in found["trace"]})
    found["status"] = [cli.json("status", "--message-id", message_id) for message_id in ids]
    return found


def bulk_files(root: Path) -> list[Path]:
    return [p for sub in ("messages", "datakeys", "index/days", "index/senders", "index/recipients")
            for p in sorted((root / sub).glob("*.json"))]


def packed(path: Path) -> bool:
    return path.read_bytes().startswith(PACKED)


def test_a_format_1_store_is_read_and_written_unpacked(v1_store):
    cli = CLI(v1_store)
    assert cli.json("trace") and not any(packed(p) for p in bulk_files(v1_store))
    message_id = next(r["MessageId"] for r in cli.json("report") if r["RevocationStatus"] == "Revocable")
    cli("revoke", "--message-id", message_id)
    assert cli.json("status", "--message-id", message_id)["Revoked"] is True
    assert not any(packed(p) for p in bulk_files(v1_store))
    assert json.loads((v1_store / "store.json").read_text())["version"] == 1


def test_upgrade_packs_the_store_and_every_answer_stays_the_same(v1_store):
    cli = CLI(v1_store)
    before = answers(cli)
    size_before = sum(p.stat().st_size for p in bulk_files(v1_store))
    out = cli("upgrade").stdout
    assert out.startswith("Upgraded the store from format 1: ") and "rebuilt for 60 messages" in out
    manifest = json.loads((v1_store / "store.json").read_text())
    assert manifest["version"] == 2 and manifest["report_counts"] is True
    assert all(packed(p) for p in bulk_files(v1_store))
    assert sum(p.stat().st_size for p in bulk_files(v1_store)) < size_before / 2
    assert answers(cli) == before
    assert cli("upgrade").stdout == "The store is already in the newest format; nothing was changed\n"
    assert any(e["Action"] == "upgrade" for e in cli.json("audit"))
    assert cli("audit", "verify").returncode == 0


def test_a_crash_during_the_upgrade_leaves_a_store_that_answers_the_same_and_a_rerun_finishes(v1_store,
                                                                                           monkeypatch):
    cli = CLI(v1_store)
    before = answers(cli)
    real, packed_so_far = upgrade_module._pack, []

    def crash_after_ten(path):
        if len(packed_so_far) == 10:
            raise KeyboardInterrupt  # stands in for SIGKILL part way through the files
        packed_so_far.append(real(path))
        return packed_so_far[-1]

    monkeypatch.setattr(upgrade_module, "_pack", crash_after_ten)
    with pytest.raises(KeyboardInterrupt):
        upgrade_module.upgrade(Store.open(v1_store))
    monkeypatch.undo()
    files = bulk_files(v1_store)
    assert 0 < sum(map(packed, files)) < len(files)  # half packed
    assert not Store.open(v1_store).counted  # the counts are not trusted until the rebuild finishes
    assert answers(cli) == before
    assert cli("upgrade").stdout.startswith("Upgraded the store from format 2: ")
    assert all(packed(p) for p in bulk_files(v1_store)) and answers(cli) == before


def test_only_a_global_administrator_upgrades(v1_store):
    result = CLI(v1_store)("upgrade", "--as", "lynne.robbins@contoso.com", check=1)
    assert_one_line_error(result)
    assert json.loads((v1_store / "store.json").read_text())["version"] == 1


def test_a_store_of_a_newer_format_is_refused_in_one_line(v1_store):
    manifest = v1_store / "store.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": 3}))
    assert_one_line_error(CLI(v1_store)("trace", check=1), "format version 3", "reads versions 1 and 2")


def test_a_damaged_packed_file_is_named_in_one_line_and_left_as_it_is(v1_store):
    cli = CLI(v1_store)
    cli("upgrade")
    shard = max((v1_store / "messages").glob("*.json"), key=lambda p: p.stat().st_size)
    message_id = next(iter(json.loads(read_bytes(shard))["messages"].values()))["message_id"]
    broken = shard.read_bytes()[:-40]
    shard.write_bytes(broken)
    assert_one_line_error(cli("status", "--message-id", message_id, check=1), shard.name, "packing is broken")
    assert shard.read_bytes() == broken
    day = sorted((v1_store / "index" / "days").glob("*.json"))[-1]
    day.write_bytes(day.read_bytes()[:-40])
    assert_one_line_error(cli("trace", check=1), day.name, "reindex")
