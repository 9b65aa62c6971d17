"""The tests' one way to wait: the awaited value comes back, a timeout names what was awaited."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.support.waiting import await_until, wait_until


def test_waiting_returns_the_condition_s_first_truthy_value() -> None:
    asked = itertools.count()
    assert wait_until(lambda: next(asked) >= 3 and "ready", "the third ask") == "ready"


def test_a_wait_that_times_out_fails_the_test_with_what_it_waited_for() -> None:
    with pytest.raises(
        AssertionError, match=r"after 0.05 s waiting for the label \(last seen: \[\]\)"
    ):
        wait_until(list, "the label", timeout=0.05)


async def test_an_async_wait_lets_the_loop_run_and_takes_a_coroutine_condition() -> None:
    done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, done.set)

    async def is_set() -> bool:
        return done.is_set()

    assert await await_until(is_set, "the event") is True
    with pytest.raises(AssertionError, match="waiting for nothing at all"):
        await await_until(lambda: 0, "nothing at all", timeout=0.05)
