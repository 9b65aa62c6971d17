"""A background write (a tracking poll's batch) yields SQLite's writer to every other write."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.support.waiting import await_until
from wms.db import Database, background, long_running, reads

# Another process's request write: it says it wants the writer, waits for a line on stdin,
# then takes the turn, writes its mark and gives the turn back.
OTHER_PROCESS = """
import sqlite3, sys
from wms.db_sqlite import WriterTurn
turn = WriterTurn(sys.argv[1]); turn.want()
print("wanting", flush=True)
sys.stdin.readline()
turn.take()
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("INSERT INTO mark VALUES ('other request')")
conn.close()
turn.give_back(); turn.unwant()
print("written", flush=True)
"""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'background.sqlite'}")
    await database.run(lambda s: s.execute(text("CREATE TABLE mark (who TEXT)")))
    yield database
    await database.dispose()


def _mark(s: Session, who: str) -> None:
    s.execute(text("INSERT INTO mark VALUES (:who)"), {"who": who})


@background
def _mark_in_background(s: Session) -> None:
    _mark(s, "background")


@reads
def _marks(s: Session) -> list[str]:
    return list(s.scalars(text("SELECT who FROM mark ORDER BY rowid")))


async def test_a_background_write_waits_for_a_request_write_queued_after_it(db):
    inside, release = threading.Event(), threading.Event()

    @long_running
    def holding(s: Session) -> None:  # an outbox pass holding the writer
        _mark(s, "holder")
        inside.set()
        release.wait(10)

    holder = asyncio.create_task(db.run(holding))
    await await_until(inside.is_set, "the holder to be inside its transaction")
    queued_first = asyncio.create_task(db.run(_mark_in_background))
    request = asyncio.create_task(db.run(_mark, "request"))
    await asyncio.sleep(0)  # one turn of the loop: both tasks now wait at the writer
    assert not queued_first.done() and not request.done()
    release.set()
    await asyncio.gather(holder, queued_first, request)
    # FIFO would have let the background write, queued first, go before the request.
    assert await db.run(_marks) == ["holder", "request", "background"]


async def test_a_background_write_waits_for_another_process_wanting_the_writer(db):
    path = db.url.removeprefix("sqlite+aiosqlite:///")
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert db.turn is not None
    waiting = threading.Event()
    blocking_wait = db.turn.wait_unwanted

    def wait_unwanted() -> None:  # the real wait, telling the test when it begins
        waiting.set()
        blocking_wait()

    db.turn.wait_unwanted = wait_unwanted  # type: ignore[method-assign]
    try:
        assert other.stdin is not None and other.stdout is not None
        assert other.stdout.readline().strip() == "wanting"
        writing = asyncio.create_task(db.run(_mark_in_background))
        await await_until(waiting.is_set, "the background write to wait for the other process")
        assert not writing.done()
        other.stdin.write("go\n")
        other.stdin.flush()
        await writing
        assert other.stdout.readline().strip() == "written"
    finally:
        other.wait(timeout=10)
    assert await db.run(_marks) == ["other request", "background"]


async def test_a_request_write_does_not_wait_for_background_writes_to_drain(db):
    inside, release = threading.Event(), threading.Event()

    @background
    def long_background(s: Session) -> None:
        _mark(s, "background")
        inside.set()
        release.wait(10)

    first = asyncio.create_task(db.run(long_background))
    await await_until(inside.is_set, "the background write to be inside its transaction")
    more = [asyncio.create_task(db.run(_mark_in_background)) for _ in range(3)]
    request = asyncio.create_task(db.run(_mark, "request"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, request, *more)
    # The request waited for the one background transaction running, none of the others.
    assert await db.run(_marks) == ["background", "request", *["background"] * 3]
