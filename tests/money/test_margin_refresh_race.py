"""A fact written while its day is being rebuilt: the day ends stale or right, never wrong.

On PostgreSQL a writer and a refresh run at once on two connections; the refresh must wait
for the writer's uncommitted fact (marking a day already marked takes no row lock, so
without `refresh`'s table lock it would unmark the day and re-sum it without that fact).
SQLite has one writer at a time: a refresh cannot even start beside an open write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.databases import new_database
from wms.db import Database, reads
from wms.models import Channel, OrderLine, Product, SalesOrder
from wms.models.money import MoneyFact
from wms.reports import margin_check, margin_summary

PLACED = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)
DAY = "2026-11-05"


def _order(s: Session) -> int:
    """One shipped order on DAY with a line and its revenue (the triggers mark DAY)."""
    channel = s.execute(select(Channel.id).order_by(Channel.id)).scalars().first()
    product = s.execute(select(Product).order_by(Product.id)).scalars().first()
    assert channel is not None and product is not None
    order = SalesOrder(channel_id=channel, external_id="RACE-1", reference="RACE-1",
                       status="shipped", currency="USD", placed_at=PLACED)  # fmt: skip
    s.add(order)
    s.flush()
    line = OrderLine(order_id=order.id, line_no=1, product_id=product.id, sku=product.sku, qty=1)  # type: ignore[arg-type]
    s.add(line)
    s.flush()
    s.add(MoneyFact(order_id=order.id, line_id=line.id, kind="revenue", amount_e4=100_000,  # type: ignore[arg-type]
                    currency="USD", source="intake", at=PLACED))  # fmt: skip
    return order.id  # type: ignore[return-value]


def _fact(order_id: int) -> object:
    return insert(MoneyFact).values(
        order_id=order_id, kind="fee", amount_e4=12_300, currency="USD", source="fee_model",
        current=True, at=PLACED,
    )  # fmt: skip


def _another_fact(s: Session, order_id: int) -> None:
    s.execute(_fact(order_id))  # type: ignore[arg-type]


@reads
def _summary_wrong(s: Session) -> list[str]:
    return margin_check.violations(s)


@reads
def _stale(s: Session) -> list[str]:
    return margin_summary.stale_days(s)


async def _wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _race_on_postgres(url: str) -> None:
    db = Database(url)
    try:
        order_id = await db.run(_order)
        await db.run(margin_summary.refresh)
        await db.run(_another_fact, order_id)  # DAY marked, committed: the racy start
        assert await db.run(_stale) == [DAY]
        async with db.engine.connect() as writer, db.engine.connect() as watcher:
            await writer.begin()
            await writer.execute(_fact(order_id))  # its trigger finds DAY marked: no lock
            refresh = asyncio.create_task(db.run(margin_summary.refresh))

            async def waiting_or_done() -> bool:
                if refresh.done():
                    return True
                # Waiting for a lock the writer holds: a session of this database (the
                # suite's other process waits for locks of its own on other databases).
                found = await watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                        " WHERE NOT l.granted AND a.datname = current_database()"
                    )
                )
                return bool(found.scalar_one())

            await _wait_for(waiting_or_done, "the refresh to wait for the writer")
            # Waiting, not done: it would have re-summed DAY without the writer's fact.
            assert not refresh.done()
            await writer.commit()
            await asyncio.wait_for(refresh, timeout=60)
        assert await db.run(_stale) == [] or await db.run(_stale) == [DAY]
        assert await db.run(_summary_wrong) == []
    finally:
        await db.dispose()


async def _one_writer_on_sqlite(url: str) -> None:
    db = Database(url)
    try:
        order_id = await db.run(_order)
        await db.run(margin_summary.refresh)
        path = url.split("///", 1)[1]
        writer = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
        other = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
        with writer.connect() as w:
            w.exec_driver_sql("BEGIN IMMEDIATE")
            w.execute(_fact(order_id))  # type: ignore[arg-type]
            with Session(other) as s, pytest.raises(OperationalError, match="locked"):
                s.connection().exec_driver_sql("BEGIN IMMEDIATE")
                margin_summary.refresh(s)
            w.exec_driver_sql("COMMIT")
        writer.dispose()
        other.dispose()
        assert await db.run(_stale) == [DAY]  # the writer's trigger marked it
        await db.run(margin_summary.refresh)
        assert await db.run(_summary_wrong) == []
    finally:
        await db.dispose()


def test_a_fact_written_during_a_refresh_leaves_its_day_stale_or_right(
    backend: str, tmp_path: Path
) -> None:
    url = new_database(backend, tmp_path)
    if backend == "postgres":
        asyncio.run(_race_on_postgres(url))
    else:
        asyncio.run(_one_writer_on_sqlite(url))
