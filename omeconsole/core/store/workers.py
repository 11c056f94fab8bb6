"""Work on a search's partitions in worker processes, the results taken in the search's order.

An export of 90 days at a million messages spends most of its time parsing partitions and
making rows, one partition after another; a second core can do half of that. The workers are
forked while the store is held for reading (they inherit the open search, the caller's rules and
clock, and never write), and each partition's result comes back as plain values (rows as text).
At most `ahead` partitions are under way or waiting, so memory stays that of a few days; closing
the results early (a row limit, a reader that went away) ends the workers at once.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from omeconsole.core.errors import StoreError

_In = TypeVar("_In")
_Out = TypeVar("_Out")

_work: Callable | None = None  # set before the fork: what each worker runs


def spare_cores() -> int:
    """How many worker processes help this one: none on a single core, or where fork is not offered."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


def in_order(work: Callable[[_In], _Out], items: Sequence[_In], workers: int, ahead: int = 4) -> Iterator[_Out]:
    """work(item) for each item, in the items' order: by `workers` forked processes, or here when there
    are none (or one item). Close the iterator when done early: the workers end."""
    if workers < 1 or len(items) < 2:
        yield from map(work, items)
        return
    global _work
    _work = work
    pool = multiprocessing.get_context("fork").Pool(min(workers, ahead, len(items)), initializer=_quiet)
    started = _workers_of(pool)
    try:
        waiting: deque = deque()
        upcoming = iter(items)
        for item in upcoming:
            waiting.append(pool.apply_async(_run, (item,)))
            if len(waiting) == ahead:
                break
        while waiting:
            done, result = _result(waiting.popleft(), pool, started)
            for item in upcoming:
                waiting.append(pool.apply_async(_run, (item,)))
                break
            if not done:
                raise result
            yield result
    finally:
        pool.terminate()
        pool.join()
        _work = None


def _quiet() -> None:
    """In a worker: Ctrl-C is for the export, which ends its workers (a worker would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _workers_of(pool) -> set[int]:
    return {process.pid for process in pool._pool}  # the pool's processes: no public way to name them


def _result(pending, pool, started: set[int]) -> tuple[bool, Any]:
    """The result of `pending`; a StoreError if a worker ended meanwhile (killed: its task's result would
    never come, and the pool would start another in its place)."""
    while not pending.ready():
        pending.wait(0.5)
        if not pending.ready() and _workers_of(pool) != started:
            raise StoreError("a worker process of this export ended unexpectedly (killed?); nothing more is "
                             "written")
    return pending.get()


def _run(item) -> tuple[bool, object]:
    """In a worker: (True, the result), or (False, the exception as the parent can take it)."""
    assert _work is not None
    try:
        return True, _work(item)
    except Exception as exc:  # the parent raises it where the result was wanted
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            return False, RuntimeError(f"{type(exc).__name__}: {exc}")
        return False, exc
