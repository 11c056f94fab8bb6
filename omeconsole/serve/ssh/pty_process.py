"""One console in its own process, its own session and its own PTY.

The PTY is what makes a remote console behave like a local one: the console reads its size
from the terminal (never from COLUMNS/LINES, which would freeze it), and a TIOCSWINSZ on the
master makes the kernel send the console SIGWINCH when the client's window changes.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Callable

_READ_CHUNK = 65536
_MAX_PENDING_INPUT = 1024 * 1024


def _take_terminal() -> None:
    """In the child, after setsid(): make its PTY (stdin) the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def set_window_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(rows, 1), max(columns, 1), 0, 0))


class PtyProcess:
    """A child on a fresh PTY. Output goes to on_output; input is queued without blocking the loop."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, on_output: Callable[[bytes], None]):
        self.argv, self.env, self.cwd = argv, env, cwd
        self.on_output = on_output
        self.process: asyncio.subprocess.Process | None = None
        self._master: int | None = None
        self._pending = bytearray()
        self._reading = False

    async def start(self, columns: int, rows: int) -> None:
        master, child_end = pty.openpty()
        try:
            set_window_size(master, columns, rows)
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=child_end, stdout=child_end, stderr=child_end, env=self.env, cwd=self.cwd,
                start_new_session=True, preexec_fn=_take_terminal, close_fds=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(child_end)
        os.set_blocking(master, False)
        self._master = master
        self.resume()

    async def wait(self) -> int:
        """The exit status, once the child has ended and its last output was passed on."""
        assert self.process is not None, "started first"
        status = await self.process.wait()
        self._drain()
        self._close()
        return status

    def write(self, data: bytes) -> None:
        if self._master is None or len(self._pending) + len(data) > _MAX_PENDING_INPUT:
            return
        self._pending += data
        self._flush(self._master)

    def resize(self, columns: int, rows: int) -> None:
        if self._master is not None:
            set_window_size(self._master, columns, rows)

    def pause(self) -> None:
        """The client is not keeping up: stop reading, so the console blocks on its own output."""
        if self._reading and self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
        self._reading = False

    def resume(self) -> None:
        if not self._reading and self._master is not None:
            asyncio.get_running_loop().add_reader(self._master, self._read, self._master)
            self._reading = True

    async def stop(self, grace: float = 2.0) -> None:
        """End the child's whole process group: SIGHUP, as a hang-up would, then SIGKILL after grace."""
        if self.process is not None and self.process.returncode is None:
            _signal_group(self.process, signal.SIGHUP)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                _signal_group(self.process, signal.SIGKILL)
                await self.process.wait()
        self._close()

    def _read(self, master: int) -> None:
        try:
            data = os.read(master, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: the console's side is closed
            data = b""
        if data:
            self.on_output(data)
        else:
            self.pause()

    def _drain(self) -> None:
        """After the child ended: pass on what is left in the PTY (reading ends at EIO)."""
        while self._master is not None:
            try:
                data = os.read(self._master, _READ_CHUNK)
            except OSError:
                return
            if not data:
                return
            self.on_output(data)

    def _flush(self, master: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            written = os.write(master, self._pending)
        except BlockingIOError:
            written = 0
        except OSError:
            self._pending.clear()
            return
        del self._pending[:written]
        if self._pending:
            loop.add_writer(master, self._flush_from_loop)
        else:
            loop.remove_writer(master)

    def _flush_from_loop(self) -> None:
        if self._master is not None:
            self._flush(self._master)

    def _close(self) -> None:
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        os.close(self._master)
        self._master = None
        self._reading = False


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
