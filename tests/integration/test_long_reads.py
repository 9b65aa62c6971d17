"""A long read (a report, the live board's re-read) runs beside the event loop on SQLite."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from wms.db import Database, long_reads, reads


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.sqlite'}")
    await database.run(lambda s: s.execute(text("CREATE TABLE mark (who TEXT)")))
    await database.run(lambda s: s.execute(text("INSERT INTO mark VALUES ('committed')")))
    yield database
    await database.dispose()


@reads
def _short_read(s: Session) -> tuple[int, list[str]]:
    return threading.get_ident(), list(s.execute(text("SELECT who FROM mark")).scalars())


async def test_a_short_read_runs_on_the_event_loop_and_sees_what_was_committed(db):
    ident, rows = await db.run(_short_read)
    assert ident == threading.get_ident()
    assert rows == ["committed"]


async def test_a_long_read_runs_in_a_worker_thread_while_the_loop_goes_on(db):
    release = threading.Event()
    ticks: list[int] = []

    @long_reads
    def slow_report(s: Session) -> tuple[int, list[str]]:
        rows = list(s.execute(text("SELECT who FROM mark")).scalars())
        assert release.wait(10), "the loop never ran while the read was open"
        return threading.get_ident(), rows

    async def loop_goes_on() -> None:
        for k in range(3):  # the loop serves other work while the read waits
            ticks.append(k)
            await asyncio.sleep(0)
        release.set()

    (ident, rows), _ = await asyncio.gather(db.run(slow_report), loop_goes_on())
    assert ident != threading.get_ident()
    assert rows == ["committed"]
    assert ticks == [0, 1, 2]


async def test_a_long_read_that_raises_hands_its_error_to_the_caller(db):
    @long_reads
    def broken(s: Session) -> None:
        s.execute(text("SELECT nothing FROM nowhere"))

    with pytest.raises(Exception, match="nowhere"):
        await db.run(broken)
    assert (await db.run(_short_read))[1] == ["committed"]
