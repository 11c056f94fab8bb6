"""The console's searches in a process of their own, so that they cannot hold the console's interpreter lock.

A Message Trace or an Encryption Report of a large store computes for seconds. In a thread of the console
it shares one interpreter lock with the event loop, and a key pressed meanwhile waits (350-500 ms on a
million messages with the cores busy). Here each console has one long-lived child, a fresh interpreter
started once with the console (as multiprocessing's `spawn` does, by exec, never `fork`: the console is
multi-threaded). It takes a request (a trace or a report, the store, the acting identity, the clock, the
filters and the row limit), opens its own Context on the store, calls the same core function the console
would, and answers with the result.

The wire is two pipes with multiprocessing's message framing, and nothing else: no semaphores and no
resource-tracker process (what multiprocessing's own `spawn` would add to the console for its life).

- Only the newest request of each lane (the trace pane's, the report pane's) matters: a newer one, or the
  asker's `stop`, sends the child a cancel for the older, which its core function hears between days.
- The result comes back as one pickle stream cut in chunks of rows with one memo (a message shared by
  rows stays one object). The asking thread unpickles a chunk at a time and lets the interpreter lock go
  in between: one `pickle.loads` of 50,000 rows holds it for 0.7 s without a break.
- Errors come back as the same OmeError subclass and line; a child's unexpected failure is not shown as
  such: the search runs in the asking thread instead, as it did before, and fails there if it fails.
- A child that died is replaced by the next request, which says so once, in one line.

The caller decides nothing of this: `SearchProcess.run` keeps in its thread what gains nothing in the
child (see `takes`), and a console with no search process searches in its thread as before.
"""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import count
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, TypeVar

from omeconsole.core.context import Context
from omeconsole.core.dkm.keyring import Keyring
from omeconsole.core.dkm.unlocking import env_passphrase, has_keyring
from omeconsole.core.encryption_report.report import ReportFilter, ReportResult, get_encryption_report
from omeconsole.core.errors import Cancelled, OmeError
from omeconsole.core.gcpause import collection_paused
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.message_trace.records import TraceResult
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.store.trace_index import DAYS

# Below this many bytes of day partitions a search stays in the console's thread: it is short, and the child
# would only add its round trip (opening the store, pickling, the pipe). Measured here on demo stores: ten
# days of 120 messages (6 KB) took 3.5 ms for the trace and 16 ms for the report in a thread, 18 and 29 ms
# through the child; ten days of 1,000 (18 KB) 21 and 35 ms, 37 and 44 ms through the child; ninety days of
# 1,000 (150 KB) 100 and 110 ms, 185 and 243 ms. Above it a search is one the keyboard would feel.
THREAD_BELOW = 32 * 1024
CHUNK_ROWS = 128  # rows unpickled at a time: about 1 ms here, 8 at worst with the cores busy; then the loop's turn
POLL_SECONDS = 0.02  # how often a waiting asker looks whether it was cancelled (a Textual worker has no event)
STOP_SECONDS = 2.0  # at exit, how long the child has to finish a search's day before it is killed
Lane = Literal["trace", "report"]
R = TypeVar("R", TraceResult, ReportResult)

# One message each way: an 8-byte request number and a 1-byte kind, then the body.
_HEADER = struct.Struct("!QB")
_SEARCH, _CANCEL = 1, 2  # to the child
_READY, _ROWS, _CANCELLED, _FAILED, _BROKEN = 1, 2, 3, 4, 5  # from the child
_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
         "from omeconsole.core.search_process import serve; serve(int(sys.argv[2]), int(sys.argv[3]))")


class SearchProcessLost(OmeError):
    """The search process died while a search was running in it."""


class _ChildBroke(Exception):
    """The child failed unexpectedly (not an OmeError): the search is run in the asking thread instead."""


# -- what is asked ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asker:
    """Who asks, on which store, by which clock: what the child needs to open the same Context."""

    store_dir: Path
    identity: str
    origin: str  # the console's, so anything the child audits (a refusal) names the same door and host
    clock: Callable[[], datetime]

    @classmethod
    def of(cls, context: Context) -> Asker:
        return cls(context.store.root, context.actor.address, context.origin, context.clock)

    def open(self) -> Context:
        """The console's passphrase, if any, came from OMECONSOLE_PASSPHRASE, which the child inherits."""
        context = Context.open(self.store_dir, self.identity, face="console", clock=self.clock,
                               passphrase=env_passphrase())
        context.origin = self.origin
        return context


@dataclass(frozen=True)
class TraceRequest:
    query: TraceQuery
    limit: int | None
    lane: Lane = field(default="trace", init=False)

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        return self.query.start, self.query.end

    def run(self, context: Context, stop: Callable[[], bool]) -> TraceResult:
        return get_message_trace(context, self.query, limit=self.limit, stop=stop)


@dataclass(frozen=True)
class ReportRequest:
    start: datetime | None
    end: datetime | None
    filters: ReportFilter
    limit: int | None
    lane: Lane = field(default="report", init=False)

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        return self.start, self.end

    def run(self, context: Context, stop: Callable[[], bool]) -> ReportResult:
        return get_encryption_report(context, start=self.start, end=self.end, limit=self.limit, stop=stop,
                                     filters=self.filters)


Request = TraceRequest | ReportRequest


# -- the parent's side ----------------------------------------------------------------------------------


@dataclass
class Ticket:
    """One request sent to the child, until it is answered (or the child is gone)."""

    number: int
    lane: Lane
    child: _Child | None = None  # the child it was sent to
    answered: threading.Event = field(default_factory=threading.Event)
    cancel_sent: threading.Event = field(default_factory=threading.Event)  # the child was told to stop it
    outcome: str = ""  # rows, cancelled, failed, broken, lost or stopped: what the child (or its end) said
    body: bytes = b""

    def answer(self, outcome: str, body: bytes = b"") -> None:
        if not self.answered.is_set():
            self.outcome, self.body = outcome, body
            self.answered.set()


_OUTCOMES = {_ROWS: "rows", _CANCELLED: "cancelled", _FAILED: "failed", _BROKEN: "broken"}


class _Child:
    """One running child: its process, its two pipe ends, and the thread that reads its answers."""

    def __init__(self, on_answer: Callable[[int, int, bytes], None], on_end: Callable[[_Child], None]) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, json.dumps([str(p) for p in sys.path]), str(to_child_r),
                 str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, close_fds=True)
        except BaseException:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:  # the child's ends are the child's: holding them here would hide its end from the reader
            os.close(to_child_r)
            os.close(from_child_w)
        self.requests = Connection(to_child_w, readable=False)
        self.answers = Connection(from_child_r, writable=False)
        self.ready = threading.Event()  # it has imported what it needs and reads requests
        self.ended = threading.Event()
        self.end_line = ""  # how it ended: 'killed by SIGKILL', 'exit status 1'
        self.buried = False  # whoever was waiting on it has been told
        self._send_lock = threading.Lock()
        self._on_answer, self._on_end = on_answer, on_end
        self.reader = threading.Thread(target=self._read, name="search-process-answers", daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return not self.ended.is_set() and self.process.poll() is None

    def send(self, number: int, kind: int, body: bytes = b"") -> None:
        """Raises OSError when the child is gone. Requests are small: the pipe never fills while it lives."""
        with self._send_lock:
            self.requests.send_bytes(_HEADER.pack(number, kind) + body)

    def _read(self) -> None:
        try:
            while True:
                message = self.answers.recv_bytes()
                number, kind = _HEADER.unpack_from(message)
                if kind == _READY:
                    self.ready.set()
                else:
                    self._on_answer(number, kind, message[_HEADER.size:])
        except (EOFError, OSError):
            pass
        self.end_line = _ended(self.process)
        self.answers.close()
        self.ended.set()
        self._on_end(self)

    def close(self) -> None:
        """End of requests: the child stops its searches at their next day and exits; killed if it has not
        within STOP_SECONDS. Reaped before this returns: no zombie, no orphan."""
        try:
            self.requests.close()
        except OSError:
            pass
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(STOP_SECONDS)


def _ended(process: subprocess.Popen) -> str:
    """How the child ended, in a few words: 'killed by SIGKILL', 'exit status 1'."""
    try:
        code = process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        return "its answers stopped"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class SearchProcess:
    """The console's search process: started once, asked from worker threads, stopped when the console ends.

    Nothing here runs on the event loop but `start` (one exec, a few milliseconds) and `stop` (at exit)."""

    def __init__(self, thread_below: int | None = None) -> None:
        self.thread_below = THREAD_BELOW if thread_below is None else thread_below
        self._lock = threading.Lock()
        self._numbers = count(1)
        self._child: _Child | None = None
        self._tickets: dict[int, Ticket] = {}
        self._newest: dict[Lane, Ticket] = {}
        self._untold = ""  # how the last child ended, until a search has said so
        self.broken = ""  # why no child can run here (it could not start): every search stays in its thread
        self._broken_told = False
        self._stopped = False
        self._finalizer: weakref.finalize | None = None

    # -- life --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the child now, so that its interpreter is ready by the first search."""
        with self._lock:
            try:
                self._ensure_child()
            except _ChildBroke:
                pass  # said by the first search that would have used it

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            child, self._child = self._child, None
            if self._finalizer is not None:
                self._finalizer.detach()
        if child is not None:
            child.close()
        with self._lock:
            tickets, self._tickets = self._tickets, {}
        for ticket in tickets.values():
            ticket.answer("stopped")

    @property
    def pid(self) -> int | None:
        """The running child's process id (None when there is none)."""
        child = self._child
        return child.pid if child is not None and child.alive else None

    def _ensure_child(self) -> _Child:
        """The running child, started anew if there is none or it died. Under self._lock."""
        if self._stopped:
            raise Cancelled()  # the console is ending: nobody is waiting for this search
        if self.broken:
            raise _ChildBroke(self.broken)
        child = self._child
        if child is not None and child.alive:
            return child
        if child is not None:
            child.ended.wait(STOP_SECONDS)  # its reader sees the end at once: the process is gone
            self._bury(child)
            if self.broken:
                raise _ChildBroke(self.broken)
        try:
            self._child = child = _Child(self._answered, self._child_ended)
        except (OSError, ValueError, TypeError) as error:  # no interpreter to run, no pipes or processes left
            self.broken = f"could not start ({getattr(error, 'strerror', None) or error})"
            raise _ChildBroke(self.broken) from None
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _Child.close, child)  # a console that never said stop
        return child

    def _child_ended(self, child: _Child) -> None:
        """From the reader thread, once the child's answers have ended."""
        with self._lock:
            self._bury(child)

    def _bury(self, child: _Child) -> None:
        """Whoever waits on a child that ended is told, once; if nobody was, the next search says so. A child
        that exited by itself before it was ever ready cannot start here (its interpreter or imports failed):
        searches stay in their threads. Under lock."""
        if child.buried:
            return
        child.buried = True
        waiting = [t for t in self._tickets.values() if t.child is child]
        for ticket in waiting:
            del self._tickets[ticket.number]
        if self._stopped:
            outcome = "stopped"
        elif not child.ready.is_set() and (child.process.returncode or 0) >= 0:
            self.broken = f"could not start ({child.end_line})"
            outcome = "broken"
        else:
            outcome = "lost"
            if not waiting:
                self._untold = child.end_line
        for ticket in waiting:
            ticket.answer(outcome, child.end_line.encode())

    def _answered(self, number: int, kind: int, body: bytes) -> None:
        with self._lock:
            ticket = self._tickets.pop(number, None)
        if ticket is not None:  # a cancelled search's last word is kept as its outcome, without its rows
            ticket.answer(_OUTCOMES.get(kind, "broken"), b"" if ticket.cancel_sent.is_set() else body)

    # -- asking ------------------------------------------------------------------------------------------

    def takes(self, context: Context, request: Request) -> bool:
        """Whether the child should run this search: when it covers enough of the store to take more than
        a frame, and the child can do everything the search may need (see _child_can_audit)."""
        return (not self.broken and _weight(context, request) >= self.thread_below
                and _child_can_audit(context.store.root))

    def run(self, context: Context, request: Request, in_thread: Callable[[], R], stop: Callable[[], bool],
            told: Callable[[str], None]) -> R:
        """The result of REQUEST: from the child when it takes it, else from IN_THREAD (the same core call,
        made in the asking thread). Cancelled when STOP says so; an OmeError as the core raised it; TOLD
        gets a line when the person should know something about the search process itself."""
        if not self.takes(context, request):
            self._tell_broken(told)
            return in_thread()
        envelope = _envelope(Asker.of(context), request)
        if envelope is None:  # a clock (or filter) that does not pickle exists only here
            return in_thread()
        try:
            return self.ask(envelope, request.lane, stop, told)
        except _ChildBroke as broke:
            if self.broken:
                self._tell_broken(told)
            else:
                told(f"The search process failed ({broke}); this search ran in the console instead")
            return in_thread()

    def _tell_broken(self, told: Callable[[str], None]) -> None:
        if self.broken and not self._broken_told:
            self._broken_told = True
            told(f"The search process {self.broken}; searches run in the console itself")

    def submit(self, envelope: bytes, lane: Lane) -> tuple[Ticket, str]:
        """Send one request, cancelling the older one of its lane: the ticket, and a line to tell the person
        if the child had died since the last search (it is replaced)."""
        with self._lock:
            ticket = Ticket(next(self._numbers), lane)
            older, self._newest[lane] = self._newest.get(lane), ticket
            for attempt in (1, 2):  # a child found gone as it is sent to is replaced once
                child = self._ensure_child()
                try:
                    if older is not None and not older.answered.is_set() and older.child is child:
                        self._send_cancel(child, older)
                    child.send(ticket.number, _SEARCH, envelope)
                except OSError:
                    child.process.kill()
                    child.process.wait()
                    if attempt == 2:
                        raise SearchProcessLost("the search process could not be reached; search again") from None
                    continue
                ticket.child = child
                self._tickets[ticket.number] = ticket
                break
            notice, self._untold = self._untold, ""
        return ticket, notice

    def ask(self, envelope: bytes, lane: Lane, stop: Callable[[], bool], told: Callable[[str], None]):
        ticket, notice = self.submit(envelope, lane)
        if notice:
            told(f"The search process had stopped ({notice}); a new one was started")
        try:
            while not ticket.answered.wait(POLL_SECONDS):
                if stop():
                    raise Cancelled()
            return _outcome(ticket, stop)
        finally:
            if not ticket.answered.is_set():
                self._cancel(ticket)

    def _cancel(self, ticket: Ticket) -> None:
        """Tell the child to stop TICKET's search. Its answer (cancelled, or rows if it had just finished) still
        comes, and is dropped: the ticket says which it was."""
        with self._lock:
            if ticket.number in self._tickets and ticket.child is not None:
                self._send_cancel(ticket.child, ticket)

    @staticmethod
    def _send_cancel(child: _Child, ticket: Ticket) -> None:
        if ticket.cancel_sent.is_set():
            return
        try:
            child.send(ticket.number, _CANCEL)
            ticket.cancel_sent.set()
        except OSError:
            pass  # it is gone, and the search with it


def _outcome(ticket: Ticket, stop: Callable[[], bool]):
    if ticket.cancel_sent.is_set():  # a newer search of its lane took its place
        raise Cancelled()
    if ticket.outcome == "rows":
        body, ticket.body = ticket.body, b""  # the ticket outlives the rows (the newest of a lane is kept)
        return decode(body, stop)
    if ticket.outcome in ("cancelled", "stopped"):
        raise Cancelled()
    if ticket.outcome == "failed":
        raise _rebuilt(*pickle.loads(ticket.body))
    if ticket.outcome == "lost":
        raise SearchProcessLost(f"the search process stopped ({ticket.body.decode()}) before this search "
                                "finished; search again to start a new one")
    lines = ticket.body.decode("utf-8", "replace").strip().splitlines()
    raise _ChildBroke(lines[-1] if lines else "no reason given")


def _envelope(asker: Asker, request: Request) -> bytes | None:
    try:
        return pickle.dumps((asker, request), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


def _weight(context: Context, request: Request) -> int:
    """The bytes of the day partitions the request's dates cover: what a search by date reads, and a measure
    of the store around those dates for one by address or Message ID. A store with no index is read whole."""
    store = context.store
    if not store.indexed:
        return sys.maxsize
    days = store.index.dir / DAYS
    total = 0
    for day in store.index.days(*request.span):
        try:
            total += (days / f"{day}.json").stat().st_size
        except OSError:
            pass  # a day written since the listing, or never: the search finds what there is
    return total


def _child_can_audit(root: Path) -> bool:
    """A search that is refused (or a user's look-up of a message they may not see) is audited, and the
    audit chain is keyed by the keyring. The child unlocks it as the console does: from the key file, or the
    OMECONSOLE_PASSPHRASE it inherits. A passphrase given any other way exists only in this process and is
    not sent down a pipe: those searches stay in the console's thread."""
    if not has_keyring(root) or env_passphrase() is not None:
        return True
    try:
        return Keyring.metadata(root).protection != "passphrase"
    except OmeError:
        return False  # the thread meets the same problem and says so, as before


# -- results on the wire ----------------------------------------------------------------------------------


def encode(result: TraceResult | ReportResult) -> bytes:
    """The result with no rows, the row count, then the rows CHUNK_ROWS at a time, in one memo."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    empty: TraceResult | ReportResult = replace(result, rows=[])  # type: ignore[arg-type]
    with collection_paused():  # the collector would walk every row at each pass: twice the time (measured)
        pickler.dump((empty, len(result.rows)))
        for start in range(0, len(result.rows), CHUNK_ROWS):
            pickler.dump(result.rows[start:start + CHUNK_ROWS])
    return buffer.getvalue()


def decode(body: bytes, stop: Callable[[], bool] = lambda: False):
    """The result again, a chunk at a time, with the interpreter lock let go between chunks. The cyclic
    collector is paused meanwhile, and the rows are frozen before it resumes (as PagedTable.set_records
    does): else the first allocation after would collect them all as one young generation, holding the
    lock for 80-100 ms at 17,000 rows (measured)."""
    unpickler = pickle.Unpickler(io.BytesIO(body))
    with collection_paused():
        empty, total = unpickler.load()
        rows: list[Any] = []
        while len(rows) < total:
            time.sleep(0)  # the event loop takes the lock here if it wants it
            if stop():
                raise Cancelled()
            rows.extend(unpickler.load())
        gc.freeze()  # long-lived, and never cyclic garbage: still freed when the rows are dropped
    return replace(empty, rows=rows)


def _error_parts(error: OmeError) -> tuple[type[OmeError], str, dict]:
    """An OmeError as its class, its line and its attributes. (Not the error itself: some subclasses take
    other arguments than their message, and would not unpickle.)"""
    state = dict(vars(error))
    try:
        pickle.dumps((type(error), state))
    except (pickle.PicklingError, AttributeError, TypeError):
        state = {}
    return type(error), str(error), state


def _rebuilt(kind: type[OmeError], line: str, state: dict) -> OmeError:
    error = kind.__new__(kind)
    Exception.__init__(error, line)
    error.__dict__.update(state)
    return error


# -- the child's side --------------------------------------------------------------------------------------


class _Searches:
    """The child's running searches, each with its stop event, answered over one pipe."""

    def __init__(self, answers: Connection) -> None:
        self.answers = answers
        self.lock = threading.Lock()
        self.stops: dict[int, threading.Event] = {}
        self.threads: list[threading.Thread] = []

    def send(self, number: int, kind: int, body: bytes = b"") -> None:
        with self.lock:
            self.answers.send_bytes(_HEADER.pack(number, kind) + body)

    def start(self, number: int, envelope: bytes) -> None:
        stopped = threading.Event()
        with self.lock:
            self.stops[number] = stopped
            self.threads = [t for t in self.threads if t.is_alive()]
        thread = threading.Thread(target=self._answer, args=(number, envelope, stopped), daemon=True)
        self.threads.append(thread)
        thread.start()

    def cancel(self, number: int) -> None:
        with self.lock:
            stopped = self.stops.get(number)
        if stopped is not None:
            stopped.set()

    def cancel_all(self) -> None:
        with self.lock:
            for stopped in self.stops.values():
                stopped.set()

    def _answer(self, number: int, envelope: bytes, stopped: threading.Event) -> None:
        try:
            kind, body = _searched(envelope, stopped)
            self.send(number, kind, body)
        except OSError:
            pass  # the console is gone; so is the one who asked
        finally:
            with self.lock:
                self.stops.pop(number, None)


def _searched(envelope: bytes, stopped: threading.Event) -> tuple[int, bytes]:
    if stopped.is_set():  # cancelled before it began
        return _CANCELLED, b""
    try:
        asker, request = pickle.loads(envelope)
        return _ROWS, encode(request.run(asker.open(), stopped.is_set))
    except Cancelled:
        return _CANCELLED, b""
    except OmeError as error:
        return _FAILED, pickle.dumps(_error_parts(error))
    except Exception as error:  # noqa: BLE001 - the console runs the search itself instead, and sees it there
        return _BROKEN, "".join(traceback.format_exception_only(error)).encode("utf-8", "replace")


def serve(requests_fd: int, answers_fd: int) -> None:
    """The child: answer requests until the console closes its end (or goes), then stop what runs and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ctrl+c is the console's to act on, not the child's
    requests = Connection(requests_fd, writable=False)
    searches: _Searches = _Searches(Connection(answers_fd, readable=False))
    searches.send(0, _READY)
    for number, kind, body in _requests(requests):
        if kind == _SEARCH:
            searches.start(number, body)
        elif kind == _CANCEL:
            searches.cancel(number)
    searches.cancel_all()
    deadline = time.monotonic() + STOP_SECONDS
    for thread in list(searches.threads):
        thread.join(max(0.0, deadline - time.monotonic()))


def _requests(requests: Connection) -> Iterator[tuple[int, int, bytes]]:
    while True:
        try:
            message = requests.recv_bytes()
        except (EOFError, OSError):
            return
        number, kind = _HEADER.unpack_from(message)
        yield number, kind, message[_HEADER.size:]
