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

# Another process's request write: it says it wants the writer and takes the turn, waits
# for a line on stdin, then writes its mark and gives the turn back.
OTHER_PROCESS = """
import sqlite3, sys
from wms.db_sqlite import WriterTurn
turn = WriterTurn(sys.argv[1]); turn.want(); turn.take()
print("writing", flush=True)
sys.stdin.readline()
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("INSERT INTO mark VALUES ('other request')")
conn.close()
turn.give_back(); turn.unwant()
print("written", flush=True)
"""

# Another process whose writes never stop wanting the writer (until its stdin closes).
WANTING_FOR_EVER = """
import sys
from wms.db_sqlite import WriterTurn
turn = WriterTurn(sys.argv[1]); turn.want()
print("wanting", flush=True)
sys.stdin.readline()
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


def _other(db: Database, program: str) -> subprocess.Popen[str]:
    path = db.url.removeprefix("sqlite+aiosqlite:///")
    return subprocess.Popen(
        [sys.executable, "-c", program, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


async def test_a_background_write_looks_whether_another_process_wants_the_writer(db):
    other = _other(db, OTHER_PROCESS)
    assert db.turn is not None
    looked_in_vain = threading.Event()
    looks = db.turn.unwanted_now

    def unwanted_now() -> bool:  # the real look, telling the test when it found a writer
        found = looks()
        if not found:
            looked_in_vain.set()
        return found

    db.turn.unwanted_now = unwanted_now  # type: ignore[method-assign]
    try:
        assert other.stdin is not None and other.stdout is not None
        assert other.stdout.readline().strip() == "writing"
        writing = asyncio.create_task(db.run(_mark_in_background))
        await await_until(looked_in_vain.is_set, "the background write to see the other's")
        assert not writing.done()
        other.stdin.write("go\n")
        other.stdin.flush()
        await writing
        assert other.stdout.readline().strip() == "written"
    finally:
        other.wait(timeout=10)
    assert await db.run(_marks) == ["other request", "background"]


async def test_a_background_write_still_gets_its_turn_when_other_writes_never_stop(db):
    other = _other(db, WANTING_FOR_EVER)
    try:
        assert other.stdout is not None and other.stdin is not None
        assert other.stdout.readline().strip() == "wanting"
        assert db.turn is not None and not db.turn.unwanted_now()
        await asyncio.wait_for(db.run(_mark_in_background), timeout=10)
        assert other.poll() is None  # it went while the other still wanted the writer
    finally:
        if other.stdin is not None:
            other.stdin.close()
        other.wait(timeout=10)
    assert await db.run(_marks) == ["background"]
