"""Waits on events, each with a deadline and a name: when the thing waited for never happens, the test
fails with an AssertionError that says what it was (and what was seen instead), never a bare timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def within(seconds: float, awaitable: Awaitable[T], what: str | Callable[[], str]) -> T:
    """AWAITABLE's result; if it takes longer than SECONDS, an AssertionError saying WHAT did not happen
    (a callable WHAT is asked at that moment, so it can show what was seen instead)."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        said = what() if callable(what) else what
        raise AssertionError(f"not within {seconds}s: {said}") from None
