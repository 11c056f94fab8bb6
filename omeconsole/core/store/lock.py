"""The store lock: shared for reads, exclusive around each read-modify-write, across processes and threads.

It is a flock on store.lock. Each thread holds its own: its own descriptor and its own mode, so
two threads of one process reading at once (the console's workers: a 90-day report and a status
check) do not wait for each other. flock treats every open of the file as its own lock, so a
thread's exclusive hold also waits for the other threads' shared ones, as it does for other
processes'. An exclusive hold takes one process-wide lock first, so this process's writers queue
here, one at a time, rather than each in the kernel with a descriptor open. Within one thread the
lock is re-entrant; a shared hold cannot become exclusive (that would wait on itself).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from omeconsole.core.errors import StoreError
from omeconsole.core.store.files import FILE_MODE


class StoreLock:
    """One lock for the whole store: shared for reads, exclusive around each read-modify-write."""

    def __init__(self, path: Path):
        self.path = path
        self._mine = threading.local()  # this thread's hold: fd and exclusive, while it holds the lock
        self._writers = threading.Lock()  # this process's exclusive holders, one at a time

    @property
    def exclusive(self) -> bool:
        """Whether the calling thread holds the lock exclusively right now."""
        return getattr(self._mine, "fd", None) is not None and self._mine.exclusive

    @contextmanager
    def hold(self, exclusive: bool):
        if getattr(self._mine, "fd", None) is not None:  # re-entrant within one thread
            if exclusive and not self._mine.exclusive:
                raise RuntimeError("cannot upgrade a shared store lock to exclusive")
            yield
            return
        if exclusive:
            with self._writers, self._flock(exclusive=True):
                yield
        else:
            with self._flock(exclusive=False):
                yield

    @contextmanager
    def _flock(self, exclusive: bool):
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._mine.fd, self._mine.exclusive = fd, exclusive
            try:
                yield
            finally:
                self._mine.fd = None
                fcntl.flock(fd, fcntl.LOCK_UN)  # also for a child forked meanwhile, which shares the open file
        finally:
            os.close(fd)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                try:
                    return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    pass
            raise StoreError(f"cannot open the store lock {self.path}: {exc.strerror}") from None
