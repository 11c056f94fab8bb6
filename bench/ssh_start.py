"""What the SSH door costs a user: from `connect` to the console drawn, beside the same console on a local PTY.

    python bench/ssh_start.py [--repeat 7] [--messages 10000]

Both sides run in this one process, alternately: the SSH side connects with asyncssh to a real
`omeconsole serve ssh` (key exchange, sign-in and its audit entry, a PTY, a console process);
the plain side starts `omeconsole --store ... --as ...` on a fresh PTY here, the way the
server does but with no SSH. Each run ends when "Message Trace" and the first trace row's
date are on the screen (a pyte terminal). Medians, and the ratio, are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
sys.path[:0] = [str(CHECKOUT), str(CHECKOUT / "tests")]

from support.ssh import LocalConsole, SshServer, authorized_line, make_key, open_console  # noqa: E402

DRAWN = ("Message Trace", " of ")  # the tabs, and the table's "1–N of N" line once the search is in
IDENTITY = "lynne.robbins@contoso.com"


def drawn(text: str) -> bool:
    return all(word in text for word in DRAWN)


async def over_ssh(port: int, key: Path) -> float:
    start = time.perf_counter()
    console = await open_console(port, key, 120, 40)
    await console.wait_for(lambda c: drawn(c.text))
    took = time.perf_counter() - start
    await console.close()
    return took


async def on_local_pty(store: Path) -> float:
    start = time.perf_counter()
    console = LocalConsole(store, IDENTITY, 120, 40)
    await console.start()
    await console.shows(*DRAWN, timeout=60)
    took = time.perf_counter() - start
    await console.process.stop()
    return took


async def measure(store: Path, work: Path, repeat: int) -> dict[str, list[float]]:
    key = work / "key"
    (work / "authorized_keys").write_text(authorized_line(IDENTITY, make_key(key)) + "\n")
    server = SshServer(store, work).start()
    times: dict[str, list[float]] = {"over SSH": [], "local PTY": []}
    try:
        for _ in range(repeat):
            times["over SSH"].append(await over_ssh(server.port, key))
            times["local PTY"].append(await on_local_pty(store))
    finally:
        server.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omeconsole-ssh-bench-"))
    try:
        store = work / "store"
        subprocess.run([sys.executable, "-m", "omeconsole", "--store", str(store), "demo", "--messages",
                        str(args.messages)], check=True, capture_output=True, env={**os.environ,
                                                                                 "PYTHONPATH": str(CHECKOUT)})
        times = asyncio.run(measure(store, work, args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ssh, local = (statistics.median(times[k]) for k in ("over SSH", "local PTY"))
    print(f"console drawn, {args.messages:,} messages, median of {args.repeat} alternate runs:")
    print(f"  over SSH (connect, sign in, audit, PTY, console)  {ssh:.3f} s")
    print(f"  on a local PTY (the same console, no SSH)          {local:.3f} s")
    print(f"  ratio                                              {ssh / local:.2f}x")


if __name__ == "__main__":
    main()
