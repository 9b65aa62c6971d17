"""The outbox claim takes each kind's oldest rows in turn, and reads indexes, not the backlog."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, update
from sqlalchemy.orm import Session

from tests.support.databases import new_sqlite
from wms.db import Database, sync_url
from wms.models import Outbox
from wms.models.common import utcnow
from wms.services.outbox_sql import _LANE, _LIVE_KINDS_SQLITE, ROW_BATCH, claim

BACKLOG = 5 * ROW_BATCH


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.run(_nothing_left)
    yield database
    await database.dispose()


def _nothing_left(s: Session) -> None:
    s.execute(update(Outbox).where(Outbox.status.in_(("pending", "sending"))).values(status="sent"))


def _row(kind: str, key: str, after: str | None = None, **values: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "event_id": uuid.uuid4().hex, "kind": kind, "dedupe_key": key, "payload": {},
        "status": "pending", "attempts": 0, "next_attempt_at": now - timedelta(seconds=1),
        "last_error": "", "created_at": now, "lease_owner": 0, "after_event": after,
        **values,
    }  # fmt: skip


def _add(s: Session, rows: list[dict[str, Any]]) -> None:
    s.execute(insert(Outbox), rows)


def _claim(s: Session) -> list[tuple[str, str]]:
    rows = claim(s, 2000, s.connection().dialect.name != "sqlite", frozenset({"stock_push"}))
    return [(r.kind, r.dedupe_key) for r in rows]


async def test_a_backlog_of_one_kind_holds_back_no_other_kind(db: Database) -> None:
    # A poll's tracking changes first, then a packer's label and a stock level.
    backlog = [_row("tracking_event", f"t:{n}") for n in range(BACKLOG)]
    await db.run(_add, [*backlog, _row("print", "p:1"), _row("stock_push", "s:1")])

    claimed = await db.run(_claim)

    assert ("print", "p:1") in claimed and ("stock_push", "s:1") in claimed
    tracking = [key for kind, key in claimed if kind == "tracking_event"]
    # The row-by-row kinds share ROW_BATCH places, each kind's oldest first.
    assert tracking == [f"t:{n}" for n in range(ROW_BATCH - 1)]


async def test_a_lane_skips_rows_whose_key_is_out_and_rows_that_wait_for_another(
    db: Database,
) -> None:
    later = utcnow() + timedelta(seconds=60)
    first = _row("tracking_event", "t:a:1")
    out = _row("print", "p:out", status="sending", next_attempt_at=later)
    await db.run(_add, [
        first, _row("tracking_event", "t:a:2", after=first["event_id"]),
        out, _row("print", "p:out"), _row("print", "p:free"),
    ])  # fmt: skip

    claimed = await db.run(_claim)

    assert sorted(claimed) == [("print", "p:free"), ("tracking_event", "t:a:1")]


def test_the_claim_seeks_on_its_indexes_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(sync_url(new_sqlite(tmp_path)))
    try:
        with engine.connect() as c:
            lane = str(_LANE.compile(engine))
            args = ("tracking_event", "2026-12-02", "2026-12-02", ROW_BATCH, 0)
            plan = [r[3] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {lane}", args)]
            kinds = [r[3] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {_LIVE_KINDS_SQLITE}")]
    finally:
        engine.dispose()
    # Each kind's rows in id order on outbox_live, one seek a lease; no sort of the backlog.
    assert any("USING INDEX outbox_live (kind=?)" in step for step in plan), plan
    assert any("USING INDEX outbox_sending_key (dedupe_key=?" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert all("outbox_due" not in step for step in kinds), kinds
