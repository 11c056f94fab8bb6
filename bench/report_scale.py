"""The Encryption Report, its exports and the store's size at scale, beside plain TinyDB in the same run.

    python bench/report_scale.py                          # 100,000 and 1,000,000 messages
    python bench/report_scale.py --sizes 100000 --repeat 3

For each size it builds (once; cached under bench/.cache/v2-N) a demo store with `omeconsole demo` (timed,
with its peak memory) and the plain single-file TinyDB of the same documents (bench/plain_tinydb.py), then
runs each operation as a cold process on both, alternately, and prints medians, the ratio (plain / ours)
and the issue's target. Peak memory is the process's maximum resident set, from /usr/bin/time.
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
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (100_000, 1_000_000)
TARGETS = {"report --summary, 90 days (cold)": 1.0, "report --csv, 90 days": 30.0,
           "  its peak memory (MB)": 200, "console: 90-day report, first page and charts": 1.0,
           "store size per message (bytes)": 2048, "demo --messages N": 120.0, "  demo peak memory (MB)": 1024}


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMECONSOLE_")}
    env["PYTHONPATH"] = str(HERE.parent)
    return env


def measured(argv: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """(seconds, peak resident MB) of one cold process."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%M", *argv], stdout=stdout,
                                stderr=subprocess.PIPE, text=True, env=_env())
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:6])} failed: {result.stderr.strip()}")
        return seconds, int(report.read().split()[-1]) / 1024


def omeconsole(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "omeconsole", "--store", str(store), *args]


def plain(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "plain_tinydb.py"), *args]


def build(size: int, cache: Path) -> tuple[Path, Path, dict | None]:
    home = cache / f"v2-{size}"
    store, plain_file, done = home / "omeconsole", home / "plain.json", home / "complete"
    built = None
    if not done.exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        print(f"  building {size:,} messages: omeconsole demo ...", flush=True)
        seconds, peak = measured(omeconsole(store, "demo", "--messages", str(size)))
        built = {"seconds": seconds, "peak_mb": peak}
        print(f"  building the plain TinyDB file of {size:,} messages ...", flush=True)
        measured(plain("build", str(store), str(plain_file)))
        done.write_text(json.dumps(built))
    return store, plain_file, built


def alternate(ours: list[str], theirs: list[str], repeat: int, output: bool = False) -> dict:
    runs: dict[str, list] = {"ours": [], "plain": [], "ours_mb": [], "plain_mb": [], "lines": []}
    for _ in range(repeat):
        for side, argv in (("ours", ours), ("plain", theirs)):
            with tempfile.TemporaryFile() as out:
                seconds, peak = measured(argv, stdout=out if output else subprocess.DEVNULL)
                if output:
                    out.seek(0)
                    runs["lines"].append((side, sum(1 for _ in out)))
            runs[side].append(seconds)
            runs[f"{side}_mb"].append(peak)
    return runs


def row(name: str, ours: float, theirs: float | None, note: str = "", unit: str = "s") -> dict:
    return {"operation": name, "ours": ours, "plain": theirs, "unit": unit, "note": note,
            "ratio": theirs / ours if theirs and ours else None}


def size_rows(store: Path, plain_file: Path, messages: int) -> list[dict]:
    def bytes_under(*subs: str) -> int:
        return sum(p.stat().st_size for sub in subs for p in (store / sub).rglob("*") if p.is_file())

    everything = bytes_under(".")
    index, shards = bytes_under("index"), bytes_under("messages")
    plain_size = plain_file.stat().st_size
    return [row("store size per message (bytes)", everything / messages, plain_size / messages,
                f"{everything / 2**30:.2f} GB in all; plain: one file of {plain_size / 2**30:.2f} GB", unit="B"),
            row("  index / messages (bytes per message)", index / messages, None,
                f"messages {shards / messages:.0f} B, data keys {bytes_under('datakeys') / messages:.0f} B; "
                f"index {'no larger than' if index <= shards else 'LARGER than'} the messages", unit="B")]


def report_rows(store: Path, plain_file: Path, repeat: int) -> list[dict]:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - timedelta(days=89)).strftime("%Y-%m-%dT%H:%M:%SZ")  # 90 whole UTC days, as the console asks
    summary = alternate(omeconsole(store, "report", "--summary", "--json", "--start", start),
                        plain("report-summary", str(plain_file), "90"), repeat)
    csv_runs = alternate(omeconsole(store, "report", "--csv", "--start", start),
                         plain("report-csv", str(plain_file), "90"), max(1, repeat // 2), output=True)
    lines = {side: count for side, count in csv_runs["lines"]}
    probes = [json.loads(subprocess.run([sys.executable, str(HERE / "report_probe.py"), str(store)], env=_env(),
                                        capture_output=True, text=True, check=True).stdout) for _ in range(repeat)]
    return [
        row("report --summary, 90 days (cold)", statistics.median(summary["ours"]), statistics.median(summary["plain"]),
            "plain: the database read and every matching document tallied"),
        row("report --csv, 90 days", statistics.median(csv_runs["ours"]), statistics.median(csv_runs["plain"]),
            f"{lines['ours'] - 1:,} rows; plain: {lines['plain'] - 1:,} rows, sorted in memory"),
        row("  its peak memory (MB)", max(csv_runs["ours_mb"]), max(csv_runs["plain_mb"]), unit="MB"),
        row("console: 90-day report, first page and charts", statistics.median(p["first_page_s"] for p in probes), None,
            f"the newest {probes[0]['first_rows']:,} rows and charts of {probes[0]['messages_counted']:,} messages; "
            f"the newest {probes[0]['rows_shown']:,} rows in {statistics.median(p['all_rows_s'] for p in probes):.1f} s"),
    ]


def verdict(item: dict, size: int) -> str:
    target = TARGETS.get(item["operation"])
    if target is None or size != 1_000_000:
        return ""
    return "met" if item["ours"] < target else f"NOT MET (target {target:g} {item['unit']})"


def show(size: int, rows: list[dict]) -> None:
    print(f"\n{size:,} messages")
    print(f"  {'operation':48} {'omeconsole':>12} {'plain TinyDB':>13} {'ratio':>8}  note")
    for item in rows:
        unit = item["unit"]
        fmt = (lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{v:,.0f} {unit}")
        base = "" if item["plain"] is None else fmt(item["plain"])
        ratio = "" if item["ratio"] is None else f"{item['ratio']:.1f}x"
        note = "; ".join(n for n in (verdict(item, size), item["note"]) if n)
        print(f"  {item['operation']:48} {fmt(item['ours']):>12} {base:>13} {ratio:>8}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = parser.parse_args()
    print(f"omeconsole report-scale benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; medians of {args.repeat} runs "
          f"(the CSV export: of {max(1, args.repeat // 2)}); ratio = plain TinyDB / omeconsole")
    for size in (int(s) for s in args.sizes.split(",")):
        store, plain_file, built = build(size, args.cache)
        rows = report_rows(store, plain_file, args.repeat) + size_rows(store, plain_file, size)
        if built:
            rows += [row("demo --messages N", built["seconds"], None, "built in this run"),
                     row("  demo peak memory (MB)", built["peak_mb"], None, unit="MB")]
        show(size, rows)


if __name__ == "__main__":
    main()
