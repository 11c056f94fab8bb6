"""The import benchmark: `omeconsole import` of each real trace export format, beside a plain TinyDB insert of
the same rows, in the same run; and the import's peak memory for a 100 MB export.

    .venv/bin/python bench/import_exports.py                           # 100,000 and 1,000,000 messages
    .venv/bin/python bench/import_exports.py --sizes 10000 --repeat 1 --big-megabytes 5   # a quick look

For each size, the cached demo store (bench/.cache/SIZE, built by bench/run.py's build()) and its plain
TinyDB file (bench/.cache/SIZE/plain.json, built the same way when missing):
  - each format's export of --rows new rows (bench/export_files.py; an Extended report: that many events)
    is imported by `omeconsole --store COPY import FILE --json`, a cold process, into a fresh copy of the
    cached store for every run (`cp -al`: hard links, which the store only ever replaces by rename;
    audit.jsonl, appended in place, and store.lock, flocked, are copied for real);
  - beside it, alternately, bench/plain_import.py (a cold process) reads the same file with csv/json and
    inserts the rows into a fresh copy of plain.json with insert_multiple, 10,000 rows a call;
  - rows/s = the rows the import read / the wall seconds of its process; ratio = plain seconds / ours.
Peak memory is each process's own ru_maxrss, from os.wait4 on it. The cache is checked afterwards: every
file's inode, size and mtime, and the SHA-256 of audit.jsonl and of a message shard the imports rewrote.
Then a ~100 MB export of some formats is imported into a fresh 1,000-message demo store (peak memory,
target under 200 MB), beside the plain baseline reading the same file (csv / json.loads, no insert).
The table is printed and written to --results (newest run first).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from export_files import FORMATS, write  # noqa: E402
from run import _env, build, omeconsole  # noqa: E402

SIZES = (100_000, 1_000_000)
BIG_FORMATS = ("ps-csv-en-us", "graph", "extended")
MEMORY_TARGET_MB = 200
COPIED_FOR_REAL = ("audit.jsonl", "store.lock")  # appended in place / flocked: never shared with the cache


# -- processes ------------------------------------------------------------------------------------

def measured(argv: list[str]) -> dict:
    """Run a cold process; its wall seconds, its own peak RSS (MB, from wait4), exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=_env())
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "code": process.returncode,
                "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}


def plain_import(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "plain_import.py"), *args]


def ours_import(store: Path, export: Path) -> dict:
    run = measured(omeconsole(store, "import", str(export), "--json"))
    if run["code"] not in (0, 1):
        raise SystemExit(f"omeconsole import {export.name} failed ({run['code']}): {run['stderr'].strip()[-800:]}")
    run["summary"] = json.loads(run["stdout"])
    return run


def plain_run(*args: str) -> dict:
    run = measured(plain_import(*args))
    if run["code"] != 0:
        raise SystemExit(f"plain_import {args[0]} failed: {run['stderr'].strip()[-800:]}")
    run["rows"] = json.loads(run["stdout"])["rows"]
    return run


# -- stores ---------------------------------------------------------------------------------------

def fresh_copy(store: Path, target: Path) -> Path:
    """A copy of the cached store that an import may change: hard links for every file the store only
    replaces by rename, real copies of the files it changes in place."""
    subprocess.run(["cp", "-al", str(store), str(target)], check=True)
    for name in COPIED_FOR_REAL:
        if (store / name).exists():
            (target / name).unlink()
            shutil.copy2(store / name, target / name)
    return target


def shard_path(store: Path, message_id: str) -> Path:
    shards = json.loads((store / "store.json").read_text())["shards"]
    number = int.from_bytes(hashlib.sha256(message_id.encode("utf-8")).digest()[:4], "big") % shards
    return store / "messages" / (f"{number:03x}.json" if shards > 256 else f"{number:02x}.json")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CacheGuard:
    """What the cached store looked like before the runs, to show it is unchanged after them."""

    def __init__(self, store: Path):
        self.store = store
        self.files = self._stats()
        self.digests = {store / "audit.jsonl": sha256(store / "audit.jsonl")}
        self.rewritten_in_copy: set[str] = set()

    def _stats(self) -> dict[str, tuple[int, int, int]]:
        found = {}
        for path in self.store.rglob("*"):
            if path.is_file():
                info = path.stat()
                found[str(path.relative_to(self.store))] = (info.st_ino, info.st_size, info.st_mtime_ns)
        return found

    def watch(self, path: Path) -> None:
        self.digests.setdefault(path, sha256(path))

    def saw_copy(self, copy: Path) -> None:
        """After an import into a copy: the watched files it replaced (a new inode there, not here)."""
        for path in self.digests:
            relative = path.relative_to(self.store)
            if (copy / relative).stat().st_ino != path.stat().st_ino:
                self.rewritten_in_copy.add(str(relative))

    def verdict(self) -> str:
        now = self._stats()
        changed = sorted(set(self.files) ^ set(now) | {k for k in self.files if k in now and self.files[k] != now[k]})
        bad = [str(p.relative_to(self.store)) for p, d in self.digests.items() if sha256(p) != d]
        if changed or bad:
            raise SystemExit(f"THE CACHE CHANGED: {(bad + changed)[:10]}")
        return (f"cache unchanged: {len(now):,} files, same inode, size and mtime; SHA-256 unchanged for "
                f"{', '.join(sorted(str(p.relative_to(self.store)) for p in self.digests))} "
                f"(replaced or appended in the copies: {', '.join(sorted(self.rewritten_in_copy)) or 'none'})")


# -- the runs -------------------------------------------------------------------------------------

def at_size(size: int, args, work: Path) -> tuple[list[dict], str]:
    store, plain_file, _ = build(size, args.cache, with_plain=True)
    guard = CacheGuard(store)
    rows = []
    for kind in args.formats:
        export = work / f"{size}-{kind}"
        written = write(kind, export, args.rows, None)
        guard.watch(shard_path(store, written.first_message_id))
        ours, plain, notes = [], [], set()
        for i in range(args.repeat):
            copy = fresh_copy(store, work / "store")
            try:
                run = ours_import(copy, export)
                guard.saw_copy(copy)
            finally:
                shutil.rmtree(copy)
            notes |= check(run["summary"], written)
            ours.append(run)
            plain_copy = work / "plain.json"
            shutil.copyfile(plain_file, plain_copy)
            try:
                base = plain_run("insert", str(plain_copy), str(export), kind)
            finally:
                plain_copy.unlink()
            if base["rows"] != run["summary"]["RowsRead"]:
                notes.add(f"plain read {base['rows']:,} rows, ours {run['summary']['RowsRead']:,}")
            plain.append(base)
            print(f"    {kind} run {i + 1}: ours {run['seconds']:.2f} s {run['peak_mb']:.0f} MB, "
                  f"plain {base['seconds']:.2f} s {base['peak_mb']:.0f} MB", flush=True)
        export.unlink()
        rows.append(row(kind, written, ours, plain, notes))
    return rows, guard.verdict()


def check(summary: dict, written) -> set[str]:
    notes = set()
    if summary["Format"] != written.format:
        notes.add(f"read as {summary['Format']}")
    if summary["RowsRead"] != written.trace_rows:
        notes.add(f"{summary['RowsRead']:,} rows read of {written.trace_rows:,} written")
    if summary["RowsRejected"]:
        notes.add(f"{summary['RowsRejected']:,} REJECTED, e.g. {summary.get('Rejected', [''])[:1]}")
    if summary["RowsAdded"] + summary["RowsAlreadyPresent"] + summary["RowsRejected"] != summary["RowsRead"]:
        notes.add(f"added {summary['RowsAdded']:,} + present {summary['RowsAlreadyPresent']:,} + rejected "
                  f"{summary['RowsRejected']:,} != read {summary['RowsRead']:,}")
    return notes


def row(kind: str, written, ours: list[dict], plain: list[dict], notes: set[str]) -> dict:
    rows = ours[0]["summary"]["RowsRead"]
    mine = statistics.median(r["seconds"] for r in ours)
    base = statistics.median(r["seconds"] for r in plain) if plain else None
    summary = ours[0]["summary"]
    return {"format": summary["Format"], "kind": kind, "encoding": summary.get("Encoding"),
            "culture": summary.get("Culture"), "rows": rows, "file_rows": written.file_rows,
            "megabytes": written.bytes / 1e6,
            "ours_s": mine, "ours_rows_s": rows / mine, "ours_peak_mb": max(r["peak_mb"] for r in ours),
            "plain_s": base, "plain_rows_s": rows / base if base else None,
            "plain_peak_mb": max(r["peak_mb"] for r in plain) if plain else None,
            "ratio": base / mine if base else None, "runs": len(ours), "notes": sorted(notes),
            "ours_all_s": [round(r["seconds"], 3) for r in ours],
            "plain_all_s": [round(r["seconds"], 3) for r in plain]}


def big_exports(args, work: Path) -> list[dict]:
    """A ~100 MB export of each --big-formats into a fresh 1,000-message demo store."""
    demo = work / "small-demo"
    made = measured(omeconsole(demo, "demo", "--messages", "1000"))
    if made["code"] != 0:
        raise SystemExit(f"demo --messages 1000 failed: {made['stderr'].strip()[-500:]}")
    results = []
    for kind in args.big_formats:
        export = work / f"big-{kind}"
        written = write(kind, export, None, args.big_megabytes)
        ours, plain, notes = [], [], set()
        for i in range(args.big_repeat):
            copy = work / "small-store"
            shutil.copytree(demo, copy)
            try:
                run = ours_import(copy, export)
            finally:
                shutil.rmtree(copy)
            notes |= check(run["summary"], written)
            ours.append(run)
            base = plain_run("read", str(export), kind)
            plain.append(base)
            print(f"    {args.big_megabytes:g} MB {kind} run {i + 1}: ours {run['seconds']:.1f} s "
                  f"{run['peak_mb']:.0f} MB, plain read {base['seconds']:.1f} s {base['peak_mb']:.0f} MB", flush=True)
        export.unlink()
        results.append(row(kind, written, ours, plain, notes))
    return results


# -- the table ------------------------------------------------------------------------------------

def table(size: int, rows: list[dict], args) -> list[str]:
    lines = [f"| format ({size:,}-message store) | rows | omeconsole | plain TinyDB | ratio | peak MB | plain peak MB "
             "| note |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {label(r)} | {r['rows']:,} | {r['ours_rows_s']:,.0f} rows/s ({r['ours_s']:.2f} s) | "
                     f"{r['plain_rows_s']:,.0f} rows/s ({r['plain_s']:.2f} s) | {r['ratio']:.1f}x | "
                     f"{r['ours_peak_mb']:.0f} | {r['plain_peak_mb']:,.0f} | {'; '.join(r['notes'])} |")
    return lines


def big_table(rows: list[dict], args) -> list[str]:
    lines = [f"| ~{args.big_megabytes:g} MB export (1,000-message store) | MB | rows | omeconsole | peak MB "
             f"| target | plain read only (csv / json.loads) | plain peak MB | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        met = "met" if r["ours_peak_mb"] < MEMORY_TARGET_MB else "**NOT MET**"
        lines.append(f"| {label(r)} | {r['megabytes']:.1f} | {r['rows']:,} | {r['ours_rows_s']:,.0f} rows/s "
                     f"({r['ours_s']:.1f} s) | {r['ours_peak_mb']:.0f} | < {MEMORY_TARGET_MB} MB: {met} | "
                     f"{r['plain_rows_s']:,.0f} rows/s ({r['plain_s']:.1f} s) | {r['plain_peak_mb']:,.0f} | "
                     f"{'; '.join(r['notes'])} |")
    return lines


def label(r: dict) -> str:
    extra = [r["encoding"]] if r.get("encoding") else []
    if r["kind"].startswith("ps-csv"):
        extra.append(r["culture"] or "")
    return f"{r['format']} ({', '.join(e for e in extra if e)})" if extra else r["format"]


def machine() -> str:
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    system = next((line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                   if line.startswith("PRETTY_NAME")), platform.system())
    commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    state = " with uncommitted changes" if dirty else ""
    return (f"{platform.machine()}, {os.cpu_count()} cores shared with other work, {memory:,} MB of memory, "
            f"Python {platform.python_version()}, {system}; commit {commit}{state}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each import (medians are shown)")
    parser.add_argument("--rows", type=int, default=20_000, help="rows per export (events for the Extended report)")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"of: {', '.join(FORMATS)}")
    parser.add_argument("--big-megabytes", type=float, default=100.0, help="the memory check's export size (0: skip)")
    parser.add_argument("--big-formats", default=",".join(BIG_FORMATS))
    parser.add_argument("--big-repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--results", type=Path, default=HERE / "results-import.md",
                        help="the markdown file the tables are added to, newest first ('-': none)")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    args = parser.parse_args()
    args.formats = [f for f in args.formats.split(",") if f]
    args.big_formats = [f for f in args.big_formats.split(",") if f]
    for kind in args.formats + args.big_formats:
        if kind not in FORMATS:
            parser.error(f"unknown format {kind}; use {', '.join(FORMATS)}")
    command = " ".join([".venv/bin/python", "bench/import_exports.py", *sys.argv[1:]])
    started = datetime.now(UTC)
    header = (f"omeconsole import benchmark, {started:%Y-%m-%d %H:%M} UTC, {machine()}; medians of {args.repeat} "
              f"runs; ratio = plain TinyDB seconds / omeconsole seconds")
    print(header, flush=True)
    work = Path(tempfile.mkdtemp(prefix="omeconsole-bench-import-"))
    if os.stat(work).st_dev != os.stat(args.cache).st_dev:
        raise SystemExit(f"{work} is not on the cache's file system: cp -al cannot link")
    sections, everything = [], {}
    try:
        for size in (int(s) for s in args.sizes.split(",") if s):
            print(f"\n{size:,} messages: {args.rows:,} rows per format", flush=True)
            rows, verdict = at_size(size, args, work)
            lines = table(size, rows, args) + ["", verdict]
            print("\n".join(lines), flush=True)
            sections += lines + [""]
            everything[size] = rows
        if args.big_megabytes and args.big_formats:
            print(f"\n~{args.big_megabytes:g} MB exports into a 1,000-message demo store", flush=True)
            big = big_exports(args, work)
            lines = big_table(big, args)
            print("\n".join(lines), flush=True)
            sections += lines + [""]
            everything["big"] = big
    finally:
        shutil.rmtree(work, ignore_errors=True)
    took = (datetime.now(UTC) - started).total_seconds() / 60
    if str(args.results) != "-":
        previous = args.results.read_text() if args.results.exists() else ""
        title = "# Import benchmark results (bench/import_exports.py), newest first\n\n"
        body = previous.removeprefix(title)
        section = (f"## {started:%Y-%m-%d %H:%M} UTC\n\n{header}.\n\n`{command}` ({took:.0f} minutes; rows: "
                   f"{args.rows:,} per export, fresh store copy per run; peak MB: the process's ru_maxrss from "
                   f"os.wait4)\n\n" + "\n".join(sections) + "\n")
        args.results.write_text(title + section + body)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2, default=str))


if __name__ == "__main__":
    main()
