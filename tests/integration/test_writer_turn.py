"""SQLite's writers across processes take turns on a file lock; short writes run on the loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.support.waiting import await_until
from wms.db import Database, WriterTurn, long_running

HOLD_S = 0.5


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'turns.sqlite'}")
    await database.run(lambda s: s.execute(text("CREATE TABLE mark (at REAL)")))
    yield database
    await database.dispose()


def _path(db: Database) -> str:
    return db.url.removeprefix("sqlite+aiosqlite:///")


def _mark(s: Session) -> float:
    at = time.time()
    s.execute(text("INSERT INTO mark VALUES (:at)"), {"at": at})
    return at


def _mark_zero(s: Session) -> None:
    s.execute(text("INSERT INTO mark VALUES (0)"))


async def test_a_short_write_runs_on_the_event_loop_while_no_other_process_writes(db):
    loop_thread = threading.get_ident()

    def where(s: Session) -> int:
        _mark(s)
        return threading.get_ident()

    assert await db.run(where) == loop_thread
    assert await db.run(long_running(lambda s: where(s))) != loop_thread  # an import, a pass


async def test_a_write_waits_in_a_thread_for_another_process_to_give_the_turn_back(db):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from wms.db import WriterTurn\n"
            "turn = WriterTurn(sys.argv[1]); turn.take()\n"
            "print('taken', flush=True); time.sleep(float(sys.argv[2]))\n"
            "given = time.time(); turn.give_back(); print(given, flush=True)\n",
            _path(db),
            str(HOLD_S),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "taken"
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        wrote_at = await db.run(_mark)
        ticker.cancel()
        given_at = float(holder.stdout.readline())
    finally:
        holder.wait(timeout=10)
    # It wrote only after the other process gave its turn back (SQLite itself was free:
    # the other held the turn, not a transaction), and the loop served on meanwhile.
    assert wrote_at >= given_at
    assert ticks >= 10


async def test_a_cancelled_wait_for_the_turn_does_not_keep_the_turn(db):
    other = WriterTurn(_path(db))  # as another process holds it
    other.take()
    assert db.turn is not None
    waits, takes = threading.Event(), threading.Event()
    blocking_take = db.turn.take

    def take() -> None:  # the real take, telling the test when the thread waits and has it
        waits.set()
        blocking_take()
        takes.set()

    db.turn.take = take  # type: ignore[method-assign]
    writing = asyncio.create_task(db.run(_mark_zero))
    await await_until(waits.is_set, "the write to wait for the turn in a thread")
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    other.give_back()
    await await_until(takes.is_set, "the cancelled waiter's thread to take the turn")
    # ... and it was handed back at once.
    await await_until(other.take_now, "the turn to be given back", timeout=5)
    other.give_back()
    other.close()
    assert await db.run(lambda s: _mark(s) > 0)
