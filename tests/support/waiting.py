"""Waiting for an event in a test: poll a condition until a deadline, then fail naming it.

A test never sleeps for a fixed time to let something happen: it waits for the thing itself,
and when it does not come the failure says what was awaited (`what`) and for how long.
`wait_until` is for plain tests (the server runs in its own thread or process);
`await_until` for async ones, whose own event loop must keep running while they wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
EVERY_S = 0.02  # how often the condition is asked: small next to any timeout


def _failed(what: str, timeout: float, last: object) -> AssertionError:
    seen = f" (last seen: {last!r})" if last not in (None, False) else ""
    return AssertionError(f"timed out after {timeout:g} s waiting for {what}{seen}")


def wait_until(
    condition: Callable[[], T], what: str, timeout: float = 10.0, every: float = EVERY_S
) -> T:
    """The condition's first truthy value; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise _failed(what, timeout, found)
        time.sleep(every)


async def await_until(
    condition: Callable[[], T | Awaitable[T]],
    what: str,
    timeout: float = 10.0,
    every: float = EVERY_S,
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """`wait_until` for async tests; `condition` may be a coroutine function, `pause` the
    way to give the loop its turn (Textual's `pilot.pause`, say)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = condition()
        if isinstance(found, Awaitable):
            found = await found
        if found:
            return found  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise _failed(what, timeout, found)
        await pause(every)
