"""The scale benchmark: omeconsole's store beside one plain TinyDB file holding the same mail.

    python bench/run.py                              # 10,000, 100,000 and 1,000,000 messages
    python bench/run.py --sizes 10000 --repeat 3     # a quick look
    python bench/run.py --sizes 30000,1000000 --status-only   # the status check while a report loads

For each size it builds (once; cached under bench/.cache) a demo store with `omeconsole demo`
and a plain single-file TinyDB store of the same message documents, then runs every
operation on both, alternately, in the same run, each as a cold process unless it says
otherwise, and prints the median of each, the ratio, and the issue's target. The console's
status check is timed idle and while a 90-day Encryption Report loads in the same console
(bench/status_probe.py); there the baseline is the idle figure, and the note gives the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (10_000, 100_000, 1_000_000)
TARGETS = {  # the targets at 1,000,000 messages, in seconds
    "status --message-id": 0.5, "revoke --message-id": 0.6, "trace --sender (~2,000 rows)": 3.0,
    "trace --message-id": 0.5, "demo --messages N": 180.0, "console first paint": 1.0,
    "console lookup, loaded": 0.05, "console status while a 90-day report loads": 0.1,
}


def timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:6])} failed: {result.stderr.strip()}")
    return elapsed, result.stdout


def _env() -> dict:
    """No OMECONSOLE_ settings, and this checkout's omeconsole first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_")}
    env["PYTHONPATH"] = str(HERE.parent)
    return env


def omeconsole(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "omeconsole", "--store", str(store), *args]


def plain(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "plain_tinydb.py"), *args]


# -- the stores ----------------------------------------------------------------------------

def build(size: int, cache: Path, with_plain: bool = True) -> tuple[Path, Path, float | None]:
    """(omeconsole store, plain TinyDB file, seconds the demo took if it was built now). The plain
    file is built only when asked for; "complete" says both are there, "store-built" the store."""
    home = cache / str(size)
    store, plain_file, done, store_done = home / "omeconsole", home / "plain.json", home / "complete", home / "store-built"
    demo_seconds = None
    if not (done.exists() or store_done.exists()):
        if home.exists():
            shutil.rmtree(home)  # an unfinished build
        home.mkdir(parents=True)
        print(f"  building {size:,} messages: omeconsole demo ...", flush=True)
        demo_seconds, _ = timed(omeconsole(store, "demo", "--messages", str(size)))
        store_done.write_text(json.dumps({"demo_seconds": demo_seconds, "built": datetime.now(timezone.utc).isoformat()}))
    if with_plain and not done.exists():
        plain_file.unlink(missing_ok=True)  # an unfinished build
        print(f"  building the plain TinyDB file of {size:,} messages ...", flush=True)
        timed(plain("build", str(store), str(plain_file)))
        done.write_text(json.dumps({"demo_seconds": demo_seconds, "built": datetime.now(timezone.utc).isoformat()}))
    return store, plain_file, demo_seconds


def samples(store: Path, count: int) -> dict:
    """Message IDs to look up, revocable ones to revoke, and a sender with about 2,000 rows."""
    sys.path.insert(0, str(HERE.parent))
    from omeconsole.core.context import Context

    console = Context.open(store)
    ids, revocable, rows_by_sender = [], [], {}
    for partition in sorted((store / "index" / "senders").glob("*.json")):
        for summary in console.store.index.read(f"senders/{partition.stem}").values():
            rows_by_sender[summary["sender"]] = rows_by_sender.get(summary["sender"], 0) + len(summary["recipients"])
            if len(ids) < count:
                ids.append(summary["message_id"])
            elif len(revocable) < count:
                message = console.store.get_message(summary["message_id"])
                if console.decide(message).allowed:
                    revocable.append(message.message_id)
    sender = min(rows_by_sender, key=lambda s: abs(rows_by_sender[s] - 2_000))
    return {"ids": ids, "revocable": revocable, "sender": sender, "sender_rows": rows_by_sender[sender]}


def rows_of(output: str) -> int:
    return len(json.loads(output))


# -- the operations ------------------------------------------------------------------------

def cli_operations(store: Path, plain_file: Path, picked: dict, repeat: int) -> list[dict]:
    ops = {
        "status --message-id": lambda i: (omeconsole(store, "status", "--message-id", picked["ids"][i], "--json"),
                                          plain("status", str(plain_file), picked["ids"][i])),
        "revoke --message-id": lambda i: (omeconsole(store, "revoke", "--message-id", picked["revocable"][i]),
                                          plain("revoke", str(plain_file), picked["revocable"][i])),
        "trace --sender (~2,000 rows)": lambda i: (omeconsole(store, "trace", "--sender", picked["sender"], "--json"),
                                                   plain("trace-sender", str(plain_file), picked["sender"])),
        "trace --message-id": lambda i: (omeconsole(store, "trace", "--message-id", picked["ids"][i], "--json"),
                                         plain("trace-id", str(plain_file), picked["ids"][i])),
    }
    results = []
    for name, argv_for in ops.items():
        ours, theirs, agree = [], [], True
        for i in range(repeat):
            mine, base = argv_for(i)
            seconds, out_mine = timed(mine)
            ours.append(seconds)
            seconds, out_base = timed(base)
            theirs.append(seconds)
            if name.startswith("trace"):
                agree &= rows_of(out_mine) == int(out_base)
        note = f"{picked['sender_rows']:,} rows" if "sender" in name else ""
        results.append(_row(name, ours, theirs, note if agree else "ROW COUNTS DIFFER"))
    return results


def console_operations(store: Path, plain_file: Path, picked: dict, repeat: int) -> list[dict]:
    probes = [json.loads(timed([sys.executable, str(HERE / "console_probe.py"), str(store), picked["ids"][i],
                                picked["ids"][i + 1]])[1]) for i in range(repeat)]
    first_screens = [timed(plain("first-screen", str(plain_file), "10")) for _ in range(repeat)]
    loaded = json.loads(timed(plain("lookup-loaded", str(plain_file), ",".join(picked["ids"][:repeat])))[1])
    plain_peak = max(json.loads(out)["peak_rss_mb"] for _, out in first_screens)
    return [
        _row("console first paint", [p["first_paint_s"] for p in probes], [s for s, _ in first_screens],
             "plain: open and read the last 10 days (draws nothing)"),
        _row("console lookup, loaded", [p["second_lookup_ms"] / 1000 for p in probes], [loaded["lookup_ms"] / 1000],
             "Enter to the details in the pane; plain: get() on a database held in memory"),
        _row("  the same, drawn on the screen", [p["second_lookup_drawn_ms"] / 1000 for p in probes], [],
             "Enter to the next frame drawn"),
        _row("  the first lookup, drawn", [p["lookup_drawn_ms"] / 1000 for p in probes], [],
             "also lays out the Details pane for the first time"),
        _row("console key while the first search runs", [p["key_during_load_ms"] / 1000 for p in probes], [],
             f"searching at the key press: {sum(p['search_running_at_key'] for p in probes)}/{len(probes)}"),
        _row("console first search on screen", [p["trace_shown_s"] for p in probes], [],
             f"{probes[0]['trace_rows']:,} rows (the 10-day default, newest 50,000 at most)"),
        {"operation": "console peak memory (MB)", "ours": max(p["peak_rss_mb"] for p in probes),
         "plain": plain_peak, "ratio": plain_peak / max(p["peak_rss_mb"] for p in probes), "note": "target 1,500 MB"},
    ]


def status_while_report(store: Path, repeat: int) -> list[dict]:
    """Enter on a Message Trace row to its status check, idle and while a 90-day Encryption Report loads
    in the same console (REPEAT Enters each, one console process)."""
    found = json.loads(timed([sys.executable, str(HERE / "status_probe.py"), str(store), str(repeat)])[1])
    idle, during = found["idle"], found["loading"]
    report = f"{found['reports']} report(s) of {found['report_rows']:,} rows, {found['report_s']:.1f} s each"
    rows = [_row("console status after Enter, idle", _seconds(idle, "in_pane_ms"), [],
                 "Enter on a row to its status in the Details pane")]
    if not during:
        return rows + [{"operation": "console status while a 90-day report loads", "ours": float("nan"),
                        "plain": None, "ratio": None, "note": f"no Enter while it loaded ({report})", "runs": 0}]
    loading = _row("console status while a 90-day report loads", _seconds(during, "in_pane_ms"), [])
    loading["note"] = f"{loading['ours'] / rows[0]['ours']:.1f}x idle; {report}"
    drawn_idle = _row("  idle, to the next frame drawn", _seconds(idle, "drawn_ms"), [])
    drawn = _row("  loading, to the next frame drawn", _seconds(during, "drawn_ms"), [])
    drawn["note"] = (f"{drawn['ours'] / drawn_idle['ours']:.1f}x idle; the report still loading when drawn: "
                     f"{sum(r['report_at_draw'] for r in during)}/{len(during)}")
    back = _row("  1 (back to the Message Trace) while it loads", _seconds(during, "back_ms"), [])
    back["note"] = f"{statistics.median(_seconds(idle, 'back_ms')):.3f} s idle; the pane shown, its table focused"
    return rows + [loading, drawn_idle, drawn, back]


def _seconds(rounds: list[dict], key: str) -> list[float]:
    return [r[key] / 1000 for r in rounds]


def _row(name: str, ours: list[float], theirs: list[float], note: str = "") -> dict:
    mine = statistics.median(ours)
    base = statistics.median(theirs) if theirs else None
    return {"operation": name, "ours": mine, "plain": base, "ratio": base / mine if base else None, "note": note,
            "runs": len(ours)}


# -- the table -----------------------------------------------------------------------------

def verdict(row: dict, size: int) -> str:
    target = TARGETS.get(row["operation"])
    if target is None or size != 1_000_000:
        return ""
    return "met" if row["ours"] < target else f"NOT MET (target {target:g} s)"


def show(size: int, rows: list[dict]) -> None:
    print(f"\n{size:,} messages")
    print(f"  {'operation':42} {'omeconsole':>11} {'plain TinyDB':>13} {'ratio':>8}  note")
    for row in rows:
        unit = "" if "MB" in row["operation"] else " s"
        ours = f"{row['ours']:.3f}{unit}" if unit else f"{row['ours']:.0f}"
        base = "" if row["plain"] is None else (f"{row['plain']:.3f}{unit}" if unit else f"{row['plain']:.0f}")
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.1f}x"
        note = "; ".join(n for n in (verdict(row, size), row.get("note", "")) if n)
        print(f"  {row['operation']:42} {ours:>11} {base:>13} {ratio:>8}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each operation (medians are shown)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--status-only", action="store_true",
                        help="only the console's status check, idle and while a 90-day report loads "
                             "(no plain TinyDB file is built)")
    args = parser.parse_args()
    print(f"omeconsole benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; medians of {args.repeat} runs; "
          "ratio = plain TinyDB time / omeconsole time")
    everything = {}
    for size in (int(s) for s in args.sizes.split(",")):
        store, plain_file, demo_seconds = build(size, args.cache, with_plain=not args.status_only)
        rows, picked = [], {}
        if not args.status_only:
            picked = samples(store, args.repeat + 1)
            rows = cli_operations(store, plain_file, picked, args.repeat)
            rows += console_operations(store, plain_file, picked, args.repeat)
        rows += status_while_report(store, args.repeat)
        if demo_seconds is not None:
            rows.append(_row("demo --messages N", [demo_seconds], [], "built in this run"))
        show(size, rows)
        everything[size] = {"rows": rows, "sender_rows": picked.get("sender_rows")}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
