"""Run inside `unshare -m` by test_fail_closed.py: put a copy of a store on a full tmpfs or a read-only
bind mount, try changes through the real CLI, and write what happened as JSON."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

KIND, TEMPLATE, MOUNT, OUT, REVOCABLE = sys.argv[1:]
COMMANDS = [
    ["send", "--from", "megan.bowen@contoso.com", "--to", "bob.kelly@gmail.com", "--subject", "Full",
     "--body", "b", "--encrypt", "encrypt-only", "--template", "Contoso Secure"],
    ["revoke", "--message-id", REVOCABLE], ["keys", "rotate"], ["keys", "rewrap"],
    ["template", "add", "Mounted"], ["user", "add", "new@contoso.com", "--role", "user"],
    ["access", "request", "--reason", "Ticket 14: mounted store", "--duration", "1h"],
]


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-m", "omeconsole", "--store", str(root), *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


def state(root: Path) -> list[str]:
    return [cli(root, *args).stdout for args in (["trace", "--json"], ["status", "--message-id", REVOCABLE, "--json"],
                                                  ["template", "list", "--json"], ["user", "list", "--json"])]


def fill(directory: Path) -> Path:
    """Write a file until the file system has not one byte left."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * chunk)
            except OSError:
                continue
    return filler


def main() -> None:
    mount = Path(MOUNT)
    mount.mkdir(parents=True)
    if KIND == "full":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
        root = mount / "store"
        shutil.copytree(TEMPLATE, root)
        before = state(root)
        filler = fill(mount)
    else:
        source = Path(OUT).parent / "store-source"
        shutil.copytree(TEMPLATE, source)
        root = mount
        subprocess.run(["mount", "--bind", str(source), str(root)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(root)], check=True)
        before = state(root)
    commands = [{"args": args, **_ran(cli(root, *args))} for args in COMMANDS]
    if KIND == "full":
        filler.unlink()
    Path(OUT).write_text(json.dumps({"before": before, "after": state(root), "commands": commands,
                                     "verify": cli(root, "audit", "verify").returncode}))


def _ran(result: subprocess.CompletedProcess) -> dict:
    return {"exit": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


if __name__ == "__main__":
    main()
