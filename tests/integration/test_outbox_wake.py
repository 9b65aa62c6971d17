"""The outbox worker is woken by the commit of a transaction that wrote outbox rows, only then."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wms.db import Database, long_running
from wms.errors import Conflict
from wms.models import Outbox, Product
from wms.services import availability, check, outbox_rows, stock


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def wakes(db: Database) -> list[str]:
    woken: list[str] = []
    db.after_outbox_commit.append(lambda: woken.append("wake"))
    return woken


def _row(key: str) -> dict[str, object]:
    return {"kind": "mystery", "dedupe_key": key, "payload": {"test": key}}


def _pending(s: Session, key: str) -> int:
    return int(
        s.scalar(select(func.count()).select_from(Outbox).where(Outbox.dedupe_key == key)) or 0
    )


def _like(s: Session, pattern: str) -> int:
    query = (
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.dedupe_key.like(pattern), Outbox.status == "pending")
    )
    return int(s.scalar(query) or 0)


async def test_a_commit_that_wrote_an_outbox_row_wakes_the_worker_once(db, wakes):
    await db.run(lambda s: outbox_rows.add(s, [_row("wake:a"), _row("wake:b")]))
    assert wakes == ["wake"]
    assert await db.run(_pending, "wake:a") == 1


async def test_a_long_running_write_of_outbox_rows_wakes_the_worker_too(db, wakes):
    @long_running
    def write(s: Session) -> int:
        return outbox_rows.add(s, [_row("wake:long")])

    assert await db.run(write) == 1
    assert wakes == ["wake"]


async def test_a_commit_that_wrote_no_outbox_row_does_not_wake_the_worker(db, wakes):
    def rename(s: Session) -> None:
        s.execute(update(Product).where(Product.sku == "SKU-0001").values(name="Renamed"))

    await db.run(rename)
    await db.run(lambda s: outbox_rows.add(s, []))  # nothing to write: nothing written
    assert wakes == []


async def test_a_write_that_rolls_back_wakes_nothing_and_leaves_no_row(db, wakes):
    def write_then_fail(s: Session) -> None:
        outbox_rows.add(s, [_row("wake:rolled-back")])
        raise Conflict("test_refused", "Refused", "the transaction must roll back")

    with pytest.raises(Conflict):
        await db.run(write_then_fail)
    assert wakes == []
    assert await db.run(_pending, "wake:rolled-back") == 0
    # The next transaction writing none does not inherit the failed one's mark.
    await db.run(lambda s: None)
    assert wakes == []


async def test_a_stock_change_that_a_channel_hears_of_wakes_the_worker(db, wakes):
    await stock.adjust(
        db, sku="SKU-0002", location="A01-02-1", delta=1, reason="found one", ref="wake test"
    )
    assert wakes == ["wake"]
    product_id = await db.run(
        lambda s: s.scalar(select(Product.id).where(Product.sku == "SKU-0002"))
    )
    key = f"stock:%:{product_id}"
    before = await db.run(_like, key)
    # The same pushes coalesce into the pending rows ("replace"): no new row, still a wake.
    assert await db.run(lambda s: availability.push_sellable(s, [product_id])) >= 1
    assert wakes == ["wake", "wake"]
    assert await db.run(_like, key) == before
    assert await check.violations(db) == []
