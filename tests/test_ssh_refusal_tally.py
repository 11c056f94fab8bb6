"""RefusalTally: a flood of refusals from one host costs the audit log two entries a window, with the count."""

import asyncio

from omeconsole.serve.refusal_tally import SAMPLES, RefusalTally
from support.waiting import within


class Recorder:
    """The audit log's stand-in: what was written, and an event for each write."""

    def __init__(self):
        self.written: list[tuple[str, str, int]] = []
        self.wrote = asyncio.Event()

    async def __call__(self, peer_host: str, detail: str, count: int) -> None:
        self.written.append((peer_host, detail, count))
        self.wrote.set()

    async def until(self, entries: int) -> None:
        async def written() -> None:
            while len(self.written) < entries:
                self.wrote.clear()
                await self.wrote.wait()

        await within(10, written(), lambda: f"{entries} entries written; there are {self.written}")


async def test_the_first_refusal_is_written_at_once_and_the_rest_of_its_window_as_one_counted_entry():
    record = Recorder()
    tally = RefusalTally(record, window=0.05)
    for n in range(20):
        tally.refused("192.0.2.7", f"key {n} refused")
    tally.refused("198.51.100.1", "no key offered")
    await record.until(2)
    assert record.written == [("192.0.2.7", "key 0 refused", 1), ("198.51.100.1", "no key offered", 1)]
    await record.until(3)  # the window's end
    host, detail, count = record.written[2]
    assert (host, count) == ("192.0.2.7", 19)
    assert detail.startswith("19 more refusal(s) from 192.0.2.7") and "key 1 refused" in detail
    assert f"key {SAMPLES} refused" in detail and f"key {SAMPLES + 1} refused" not in detail
    assert detail.endswith(f"and {19 - SAMPLES} more")
    tally.refused("192.0.2.7", "key 20 refused")  # a new window: written at once again
    await record.until(4)
    assert record.written[3] == ("192.0.2.7", "key 20 refused", 1)
    await tally.close()
    assert len(record.written) == 4  # 198.51.100.1's window held nothing more


async def test_closing_writes_what_is_pending_and_cuts_long_reasons():
    record = Recorder()
    tally = RefusalTally(record)
    tally.refused("192.0.2.7", "first")
    tally.refused("192.0.2.7", "x" * 10_000)
    await tally.close()
    assert [count for _, _, count in record.written] == [1, 1]
    assert len(record.written[1][1]) < 500
