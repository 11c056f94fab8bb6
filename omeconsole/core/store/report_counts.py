"""The Encryption Report's counts per UTC day, kept as mail arrives: index/counts/YYYY-MM-DD.json.

The report's charts over 90 days would otherwise read every summary of 90 days. A day's file holds
what those charts count, each way (by message, and by recipient row): method, the report's template
column, protection, branding template, recipient domain, and the revocation status. Only encrypted
messages count, as in the report.

The revocation status changes with time (a message expires) and with the tenant's licence, neither
of which writes anything. So a file keeps what cannot change by itself: Revoked, and Not revocable
for a lasting reason (rules.lasting_reasons); the rest is Revocable until its expiry, kept by that
moment (to the second) and decided when the counts are read.

A message whose copies were received on different days (a bifurcated import) is not in any day's
numbers: each of its days keeps its summary, and a reader counts it exactly, once.

The counts change in the same all-or-nothing write as the message (shards.put_messages, revoke), so
they are never ahead of or behind the shards; a crash between the files of that write leaves a
journal (the trace index's pending.json, or revoking.json), and the next writer recounts those days
from the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from omeconsole.core.errors import StoreDamaged
from omeconsole.core.mail.labels import message_labels
from omeconsole.core.mail.model import Message
from omeconsole.core.rules import NOT_REVOCABLE, REVOCABLE, REVOKED, lasting_reasons
from omeconsole.core.store.files import dump_json, read_json, write_atomic
from omeconsole.core.text.addresses import domain_of
from omeconsole.core.text.times import format_iso

COUNTS = "counts"
WAYS = ("by_message", "by_recipient")
DayCounts = dict  # {"messages", "recipients", "by_message", "by_recipient", "status", "expires", "exact", "spanning"}
EXACT = "exact"  # a day's expiries to the second: kept in a file of their own (D.expires.json), read for one hour


def row_days(message: Message) -> dict[str, int]:
    """The report's rows of this message by the UTC day of each (its copy's Received), in order."""
    days: dict[str, int] = defaultdict(int)
    own = format_iso(message.received)[:10]
    for recipient in message.recipients:
        days[format_iso(recipient.received)[:10] if recipient.received else own] += 1
    return days


def standing(message: Message) -> str | tuple[str, str]:
    """What its revocation status can be told now for good: Revoked, Not revocable, Revocable (no
    expiry); or ("expires", when), Revocable until then."""
    if message.revocation is not None:
        return REVOKED
    if next(lasting_reasons(message), None) is not None:
        return NOT_REVOCABLE
    return REVOCABLE if message.expires_at is None else ("expires", format_iso(message.expires_at))


Path_ = tuple  # where a count sits in a day's file: ("by_message", "method", "By user"); a pair ends in 0 or 1


def contributions(message: Message, summary: dict) -> dict[str, DayCounts]:
    """What one message adds to each day's counts (nothing when it was not encrypted)."""
    if not message.is_encrypted:
        return {}
    days = row_days(message)
    if len(days) > 1:
        return {day: {"spanning": {message.message_id: summary}} for day in days}
    (day, rows), = days.items()
    return {day: nested(counted_items(message, rows))}


def counted_items(message: Message, rows: int) -> list[tuple[Path_, int]]:
    """The counts one encrypted message adds to its day, flat: (where, how many)."""
    items: list[tuple[Path_, int]] = [(("messages",), 1), (("recipients",), rows)]
    for name, label in message_labels(message).items():
        if label is not None:
            items += [(("by_message", name, label), 1), (("by_recipient", name, label), rows)]
    domains = [domain_of(r.address) for r in message.recipients]
    items += [(("by_message", "domains", domain), 1) for domain in dict.fromkeys(domains)]  # in order: the same file
    items += [(("by_recipient", "domains", domain), count) for domain, count in _tally(domains).items()]
    status = standing(message)
    if isinstance(status, tuple):  # by the hour its expiry falls in, and to the second apart
        hour, exact = ("expires", hour_of(status[1])), (EXACT, status[1])
        return items + [((*hour, 0), 1), ((*hour, 1), rows), ((*exact, 0), 1), ((*exact, 1), rows)]
    return items + [(("status", status, 0), 1), (("status", status, 1), rows)]


def hour_of(moment: str) -> str:
    """2026-12-01T10:04:05Z -> 2026-12-01T10: the hour an expiry is counted under (ISO text sorts as time)."""
    return moment[:13]


def nested(items) -> DayCounts:
    """Flat counts as a day's file holds them: nested objects, and [messages, rows] pairs."""
    counts: DayCounts = {}
    for path, value in items:
        *parents, last = path
        node = counts
        for key in parents[:-1] if isinstance(last, int) else parents:
            node = node.setdefault(key, {})
        if isinstance(last, int):
            pair = node.setdefault(parents[-1], [0, 0])
            pair[last] += value
        else:
            node[last] = node.get(last, 0) + value
    return counts


def merge(total: DayCounts, part: DayCounts, sign: int = 1) -> None:
    """Add (sign 1) or take away (-1) one message's part; counts that reach zero are dropped."""
    for key, value in part.items():
        if key == "spanning":
            spanning = total.setdefault("spanning", {})
            for message_id, summary in value.items():
                if sign > 0:
                    spanning[message_id] = summary
                else:
                    spanning.pop(message_id, None)
        elif isinstance(value, dict):
            merge(total.setdefault(key, {}), value, sign)
        elif isinstance(value, list):
            pair = [have + sign * add for have, add in zip(total.get(key, [0, 0]), value, strict=True)]
            total[key] = pair
        else:
            total[key] = total.get(key, 0) + sign * value
        if not total[key] or total[key] == [0, 0]:
            del total[key]


def _checked(path: Path, counts) -> dict:
    if counts is None:
        return {}
    if not isinstance(counts, dict) or not isinstance(counts.get("messages", 0), int):
        raise StoreDamaged(path, "it is not a day of the Encryption Report's counts; 'omeconsole reindex' "
                                 "counts them again from the messages")
    return counts


def _tally(items: Iterable[str]) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for item in items:
        counted[item] += 1
    return dict(counted)


class ReportCounts:
    """The counts directory: one file per day that has encrypted mail."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir) / COUNTS

    def create(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, day: str) -> Path:
        return self.dir / f"{day}.json"

    def _exact_path(self, day: str) -> Path:
        return self.dir / f"{day}.expires.json"

    def days(self) -> list[str]:
        return sorted(path.stem for path in self.dir.glob("*.json") if "." not in path.stem)

    def read(self, day: str, exact: bool = False) -> DayCounts:
        """A day's counts; exact: with its expiries to the second (what a change rewrites)."""
        counts = _checked(self._path(day), read_json(self._path(day)))
        if exact:
            counts[EXACT] = _checked(self._exact_path(day), read_json(self._exact_path(day)))
        return counts

    def read_exact(self, day: str) -> dict[str, list[int]]:
        """A day's expiries to the second: [messages, rows] by the moment each expires."""
        return _checked(self._exact_path(day), read_json(self._exact_path(day)))

    def write(self, day: str, counts: DayCounts) -> None:
        counts = dict(counts)
        exact = counts.pop(EXACT, {})
        for path, data in ((self._path(day), counts), (self._exact_path(day), exact)):
            if data:
                write_atomic(path, dump_json(data))
            elif path.exists():
                write_atomic(path, b"{}")  # an all-or-nothing write can replace a file, not remove one

    def change(self, before: Iterable[tuple[Message, dict]], after: Iterable[tuple[Message, dict]]) -> None:
        """Take away what these messages added, add what they add now: each day's file read and
        written once (inside the caller's all_or_nothing, so they land with the messages)."""
        parts: list[tuple[dict[str, DayCounts], int]] = [(contributions(m, s), -1) for m, s in before]
        parts += [(contributions(m, s), 1) for m, s in after]
        days = sorted({day for by_day, _ in parts for day in by_day})
        for day in days:
            counts = self.read(day, exact=True)
            for by_day, sign in parts:
                if day in by_day:
                    merge(counts, by_day[day], sign)
            self.write(day, counts)

    def write_all(self, tally: CountsTally, days: Iterable[str] | None = None) -> None:
        """Replace the counts with a fresh count: of every day (reindex, the demo), or of `days` only
        (a repair, from those days' index partitions)."""
        self.create()
        wanted = self.days() if days is None else sorted(set(days))
        counted = tally.days
        for day in wanted:
            if day not in counted:
                self.write(day, {})
        for day, counts in counted.items():
            if days is None or day in wanted:
                self.write(day, counts)


class CountsTally:
    """Counts made afresh, message by message, in memory (a day's counts are small), kept flat while
    they are made, a flat table for each day: a million messages add up fast."""

    def __init__(self) -> None:
        self.flat: dict[str, dict[Path_, int]] = defaultdict(dict)
        self.spanning: dict[str, dict[str, dict]] = defaultdict(dict)

    def add(self, message: Message, summary: dict) -> None:
        if not message.is_encrypted:
            return
        days = row_days(message)
        if len(days) > 1:
            for day in days:
                self.spanning[day][message.message_id] = summary
            return
        (day, rows), = days.items()
        _add_up(self.flat[day], counted_items(message, rows))

    def absorb(self, other: CountsTally) -> None:
        for day, counted in other.flat.items():
            _add_up(self.flat[day], counted.items())
        for day, summaries in other.spanning.items():
            self.spanning[day].update(summaries)

    @property
    def days(self) -> dict[str, DayCounts]:
        counted = {day: nested(items.items()) for day, items in self.flat.items()}
        for day, summaries in self.spanning.items():
            counted.setdefault(day, {})["spanning"] = dict(summaries)
        return counted


def _add_up(counted: dict[Path_, int], items: Iterable[tuple[Path_, int]]) -> None:
    get = counted.get
    for path, count in items:
        counted[path] = get(path, 0) + count
