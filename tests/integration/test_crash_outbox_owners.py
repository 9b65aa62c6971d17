"""Which leases a worker releases: those of owners that are gone, never a live worker's."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.models import Outbox
from wms.models.common import utcnow
from wms.services.outbox import OutboxWorker


def _queue(s: Session, n: int) -> None:
    s.execute(
        insert(Outbox),
        [
            {
                "event_id": uuid.uuid4().hex,
                "kind": "note",
                "dedupe_key": f"note:{uuid.uuid4().hex}",
                "payload": {},
            }
            for _ in range(n)
        ],
    )


@reads
def _due(s: Session) -> int:
    rows = s.execute(
        select(Outbox.id).where(Outbox.kind == "note", Outbox.next_attempt_at <= utcnow())
    )
    return len(rows.all())


def test_a_worker_releases_the_leases_of_a_dead_owner_and_leaves_a_live_ones(database_url):
    async def go() -> None:
        one, other = Database(database_url), Database(database_url)
        alive, looking = OutboxWorker(one), OutboxWorker(other)
        try:
            await one.run(_queue, 3)
            claimed = await alive._claim()
            assert len([r for r in claimed if r.kind == "note"]) == 3
            assert await one.run(_due) == 0  # out on a lease
            assert await looking.release_orphans() == 0  # its owner lives: left alone
            assert await one.run(_due) == 0
            await alive.owner.release()  # what the process's death does to its lock
            assert await looking.release_orphans() == 3
            assert await one.run(_due) == 3
        finally:
            await alive.aclose()
            await looking.aclose()
            await one.dispose()
            await other.dispose()

    asyncio.run(go())
