"""The audit log at a million entries: a message's entries through the audit index, `audit --last 50` and the
Key manager's check, beside the full read of the log that the code did before, in the same run.

    .venv/bin/python bench/audit_index.py                        # 1,000,000 entries, medians of 5 runs
    .venv/bin/python bench/audit_index.py --entries 100000 --runs 7

Builds once, cached under bench/.cache/audit-N/: `omeconsole demo --messages 200`, then N entries appended to
its audit log, with about 20 entries about one chosen Message ID spread evenly through them, then the audit
index (timed). The shortcut: the entries are made by the log's own code (chained_entry: the canonical JSON,
SHA-256 link and HMAC under the store's chain key that AuditLog.append writes) and written in large writes
with one fsync at the end, instead of one locked, fsynced append each; `audit verify` passes on the result.

Every operation is measured in-process (the Context opened once, as in the console), median of --runs runs,
on a warm page cache; `audit --last 50` is also run as a cold `omeconsole` process. The baseline is the
same answer from a full read of the log (AuditTrail.entries(), every entry parsed and checked: what Details,
the Key manager and `audit --last` did before), filtered or sliced. Appends and catch-ups are measured on a
copy of the store, so the cache stays as built.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from omeconsole.core.audit.index import (  # noqa: E402
    INDEX_DIR,
    PERSIST_AFTER,
    RECENT_UP_TO,
    STATE_FILE,
    AuditIndex,
)
from omeconsole.core.audit.log import AuditLog, chained_entry  # noqa: E402
from omeconsole.core.audit.trail import AuditTrail  # noqa: E402
from omeconsole.core.context import Context  # noqa: E402
from omeconsole.core.text.times import format_iso  # noqa: E402

CHOSEN = "<BN8PR07MB6755CHOSEN0000000001@bn8pr07mb6755.namprd07.prod.outlook.com>"
ABOUT_CHOSEN = 20
TARGET_MS = {"a message's entries (audit index)": 50.0}
ADMIN = "admin@contoso.com"
ORIGIN = "cli on bench-host; OS account bench (uid 1000)"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_")}
    env["PYTHONPATH"] = str(HERE.parent)
    return env


def omeconsole(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "omeconsole", "--store", str(store), *args]


def message_id(n: int) -> str:
    return f"<AM6PR07MB{n:010d}E64D52A098@am6pr07mb{n % 9973:04d}.namprd15.prod.outlook.com>"


def mixed_fields(count: int, seed: int = 7) -> Iterator[dict]:
    """What a busy tenant's log holds: mostly entries about messages (sends, status checks, revokes, portal
    opens; a message met a few times), and some about the audit log, key versions, requests and users."""
    rng = random.Random(seed)
    chosen_every = count // ABOUT_CHOSEN
    for n in range(count):
        if n % chosen_every == chosen_every // 2:
            action, target = rng.choice(["revoke", "portal open", "send"]), CHOSEN
        else:
            pick = rng.random()
            if pick < 0.85:
                action, target = rng.choice(["send", "revoke", "portal open", "portal sign-in"]), message_id(
                    rng.randrange(count // 3))
            elif pick < 0.90:
                action, target = "audit checkpoint", "audit log"
            elif pick < 0.94:
                action, target = "keys decrypt", f"key version {rng.randrange(1, 40)}"
            elif pick < 0.97:
                action, target = "access request", f"AR-{rng.randrange(1, 5000):04d}"
            else:
                action, target = "user add", f"user{rng.randrange(20000)}@contoso.com"
        yield {"actor": ADMIN, "role": "global-admin", "action": action, "target": target, "outcome": "success",
               "detail": f"bench entry {n}", "origin": ORIGIN}


def append_fast(log: AuditLog, fields: Iterator[dict], start: datetime) -> int:
    """The shortcut: entries made by chained_entry (as append makes them), written a megabyte at a time, one
    fsync at the end. Times one second apart from `start`."""
    key = log.chain_key()
    last = log.last(1)[0]
    written, pieces, size = 0, [], 0
    with open(log.path, "ab") as handle:
        for n, entry_fields in enumerate(fields):
            last, line = chained_entry(last, key, format_iso(start + timedelta(seconds=n)), entry_fields)
            pieces.append(line)
            size += len(line)
            written += 1
            if size >= 1 << 20:
                handle.write(b"".join(pieces))
                pieces, size = [], 0
        handle.write(b"".join(pieces))
        handle.flush()
        os.fsync(handle.fileno())
    return written


def build(entries: int, cache: Path) -> tuple[Path, dict]:
    home = cache / f"audit-{entries}"
    store, done = home / "store", home / "built.json"
    if done.exists():
        return store, json.loads(done.read_text())
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    print(f"  building: omeconsole demo --messages 200, then {entries:,} audit entries ...", flush=True)
    subprocess.run(omeconsole(store, "demo", "--messages", "200"), env=_env(), check=True, stdout=subprocess.DEVNULL)
    log = Context.open(store).store.audit
    started = time.perf_counter()
    append_fast(log, mixed_fields(entries), datetime(2026, 1, 1, tzinfo=timezone.utc))
    appended = time.perf_counter() - started
    print(f"  {entries:,} entries appended in {appended:.0f} s; building the audit index ...", flush=True)
    started = time.perf_counter()
    covered = AuditIndex(log).rebuild()
    built = {"entries": covered, "append_s": appended, "index_build_s": time.perf_counter() - started,
             "log_bytes": log.path.stat().st_size,
             "index_bytes": sum(p.stat().st_size for p in (store / INDEX_DIR).iterdir())}
    done.write_text(json.dumps(built))
    return store, built


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def cold_ms(argv: list[str], runs: int) -> float:
    return median_ms(lambda: subprocess.run(argv, env=_env(), check=True, stdout=subprocess.DEVNULL), runs)


def row(name: str, ours: float, baseline: float | None, note: str = "") -> dict:
    return {"operation": name, "ours": ours, "baseline": baseline, "note": note}


def reads(store: Path, runs: int) -> list[dict]:
    context = Context.open(store)
    trail = AuditTrail(context)
    everything = trail.entries()  # also warms the page cache
    expected = [e for e in everything if e.target == CHOSEN]
    assert trail.about(CHOSEN) == expected and len(expected) >= ABOUT_CHOSEN, "the index disagrees with a full pass"
    assert trail.last(50) == everything[-50:], "the tail disagrees with a full pass"
    del everything
    print(f"  measuring ({runs} runs each; a full read of the log is about a minute) ...", flush=True)
    about = median_ms(lambda: AuditTrail(context).about(CHOSEN), runs)
    last = median_ms(lambda: AuditTrail(context).last(50), runs)
    check = median_ms(lambda: AuditTrail(context).check(), runs)
    cold = cold_ms(omeconsole(store, "audit", "--last", "50", "--json"), runs)
    full = median_ms(lambda: AuditTrail(context).entries(), runs)
    verify = median_ms(lambda: AuditTrail(context).verify(), runs)
    return [
        row("a message's entries (audit index)", about, full, f"{len(expected)} entries; baseline: entries() filtered"),
        row("audit --last 50 (tail)", last, full, "baseline: entries()[-50:]"),
        row("audit --last 50, cold CLI process", cold, None, "python -m omeconsole ... --json, start to exit"),
        row("Key manager: the chain check", check, verify + full,
            "from the index's cover on; baseline: verify() + entries(), the two full passes the pane made"),
    ]


def writes(store: Path, runs: int, scratch: Path) -> list[dict]:
    """Appends and catch-ups, on a copy of the store: why the reader catches the index up, not the appender,
    and what the reader that files new entries pays."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(store, scratch)
    context = Context.open(scratch)
    log = context.store.audit
    start = datetime(2027, 1, 1, tzinfo=timezone.utc)

    def append_one() -> None:
        log.append(actor=ADMIN, role="global-admin", action="send", target=message_id(random.randrange(10**6)),
                   outcome="success", origin=ORIGIN)

    def about_after(count: int, seed: int) -> float:
        append_fast(log, mixed_fields(count, seed=seed), start)
        return median_ms(lambda: AuditTrail(context).about(CHOSEN), 1)

    def file_all() -> None:
        AuditIndex(log, persist_after=1).check()

    append = median_ms(append_one, runs)
    file_all()
    per_append = median_ms(lambda: (append_one(), file_all()), runs) - append
    pending = []
    for n in range(runs):
        pending.append(about_after(PERSIST_AFTER - 1, seed=n))  # one short: looked through in memory
        file_all()
    filed = [about_after(PERSIST_AFTER, seed=100 + n) for n in range(runs)]
    merged = []
    for n in range(runs):
        recent = json.loads((scratch / INDEX_DIR / STATE_FILE).read_text())["recent"]
        append_fast(log, mixed_fields(RECENT_UP_TO - PERSIST_AFTER - recent, seed=200 + n), start)
        file_all()  # the recent buckets one catch-up short of a merge
        merged.append(about_after(PERSIST_AFTER, seed=300 + n))
    shutil.rmtree(scratch, ignore_errors=True)
    return [
        row("append one entry (fsync), as today", append, None, "AuditLog.append on the copy"),
        row("  + filing it in the index at once", per_append, None,
            "what the appender would add to each action: buckets and state rewritten (not done)"),
        row(f"a message's entries, {PERSIST_AFTER - 1:,} entries not yet filed", statistics.median(pending), None,
            "the reader looks through them in memory"),
        row(f"a message's entries, {PERSIST_AFTER:,} new entries filed", statistics.median(filed), None,
            "the reader that reaches PERSIST_AFTER checks them and files them in the recent buckets"),
        row(f"  the same, merging {RECENT_UP_TO:,} recent entries", statistics.median(merged), None,
            f"once every {RECENT_UP_TO:,} entries: the main buckets rewritten"),
    ]


def table(rows: list[dict]) -> list[str]:
    out = ["| operation | median (ms) | baseline median (ms) | ratio | target | note |", "|---|---|---|---|---|---|"]
    for item in rows:
        base = "" if item["baseline"] is None else f"{item['baseline']:,.1f}"
        ratio = "" if item["baseline"] is None else f"{item['baseline'] / item['ours']:,.0f}x"
        target = TARGET_MS.get(item["operation"])
        verdict = "" if target is None else f"{target:g} ms: {'met' if item['ours'] < target else 'NOT MET'}"
        out.append(f"| {item['operation']} | {item['ours']:,.1f} | {base} | {ratio} | {verdict} | {item['note']} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"omeconsole audit index benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f}; "
          f"in-process medians of {args.runs} runs (ms)", flush=True)
    store, built = build(args.entries, args.cache)
    print(f"  store: {built['entries']:,} audit entries, log {built['log_bytes'] / 2**20:,.0f} MB, index "
          f"{built['index_bytes'] / 2**20:,.0f} MB; entries appended in {built['append_s']:.0f} s, index built in "
          f"{built['index_build_s']:.0f} s (once)", flush=True)
    rows = reads(store, args.runs) + writes(store, args.runs, args.cache / f"audit-{args.entries}-scratch")
    print("\n".join(table(rows)))
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
