"""The real `omeconsole serve web` in a subprocess, as the browser door's tests start it."""

import signal
import socket
import subprocess

from support.cli import OMECONSOLE, clean_env

DEADLINE = 30
HELPDESK = "lynne.robbins@contoso.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebDoor:
    """`omeconsole serve web` in a subprocess, started and listening (it speaks once it listens), working
    in the directory that holds the store (so a file a console wrongly wrote would be found there)."""

    def __init__(self, store, *args: str, identity: str = HELPDESK):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*OMECONSOLE, "--store", str(store), "--as", identity, "serve", "web",
             "--listen", f"127.0.0.1:{self.port}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=clean_env(),
            cwd=store.parent)
        self.said = [self.process.stdout.readline() for _ in range(3)]
        assert self.said[0].startswith("omeconsole in a browser: "), self.said + [self.process.stderr.read()]
        self.url = self.said[0].split()[4]
        self.token = self.url.partition("?token=")[2]
        self.console_socket = f"{self.base}/ws/{self.token}"

    def stop(self) -> tuple[str, str]:
        """Stop it as ctrl+c would; what it printed after its start-up text, and on standard error."""
        self.process.send_signal(signal.SIGINT)
        return self.process.communicate(timeout=DEADLINE)
