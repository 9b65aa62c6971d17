"""Past backorders leave a record: begun when a line waits, closed when it is allocated,
cancelled or shipped short, and counted by the warehouse-work report."""
# ruff: noqa: F811  (pytest fixtures are imported from the floor's fixture modules)

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.floor.conftest import new_order, release_wave  # noqa: F401  (fixtures)
from tests.floor.shipping_fixtures import db, no_violations  # noqa: F401  (fixtures)
from tests.support.api import idem
from tests.support.databases import new_database
from wms import migrate
from wms.db import Database, reads
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus
from wms.models import SalesOrder
from wms.models.backorder_history import BackorderRecord
from wms.models.order_work import OrderWork
from wms.services import check, orders, short_lines
from wms.services.backorder_history import BR


@reads
def _records(s: Session, order_id: int) -> list[dict[str, Any]]:
    rows = s.execute(select(BackorderRecord).where(BackorderRecord.order_id == order_id)).scalars()
    return [r.model_dump() for r in rows]


def _empty(client: httpx.Client, location: str) -> None:
    body = {"location": location, "lines": [], "confirm_empty": True}
    r = client.post("/api/v1/stock/count", json=body, headers=idem())
    assert r.status_code == 201, r.text


def _work_total(client: httpx.Client, channel: str = "own-main") -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    params = {"group": "channel", "channel": channel, "from": today, "to": today}
    r = client.get("/api/v1/reports/work", params=params)
    assert r.status_code == 200, r.text
    return r.json()["total"]


async def test_a_line_backordered_at_intake_then_received_leaves_an_allocated_record(
    supervisor, new_order, db
):
    _empty(supervisor, "A01-05-1")  # SKU-0005 is kept nowhere else
    before = _work_total(supervisor)
    order = new_order(("SKU-0005", 2), ("SKU-0001", 1))
    assert order["status"] == "backordered"
    [record] = await db.run(_records, order["id"])
    assert (record["sku"], record["qty_short"], record["line_qty"]) == ("SKU-0005", 2, 2)
    assert record["resolved_at"] is None and record["resolution"] is None
    await no_violations(db)  # the open record matches a line that waits
    r = supervisor.post(
        "/api/v1/stock/receive",
        json={"sku": "SKU-0005", "location": "A01-05-1", "qty": 2, "ref": "PO-77"},
        headers=idem(),
    )
    assert r.status_code == 201, r.text
    [record] = await db.run(_records, order["id"])
    assert record["resolution"] == "allocated"
    assert record["resolved_at"] >= record["began_at"]
    after = _work_total(supervisor)
    # Counted although the line waits no more: an oversell avoided is history, not a state.
    assert after["backordered_lines"] == before["backordered_lines"] + 1
    assert after["backordered_units"] == before["backordered_units"] + 2
    assert after["backorders_open"] == before["backorders_open"]
    await no_violations(db)


async def test_a_backordered_order_cancelled_leaves_a_cancelled_record(supervisor, new_order, db):
    _empty(supervisor, "A01-06-1")  # SKU-0006 is kept nowhere else
    order = new_order(("SKU-0006", 3))
    assert order["status"] == "backordered"
    [record] = await db.run(_records, order["id"])
    assert record["resolved_at"] is None
    r = supervisor.post(f"/api/v1/orders/{order['id']}/cancel", headers=idem())
    assert r.status_code in (200, 201), r.text
    [record] = await db.run(_records, order["id"])
    assert (record["resolution"], record["qty_short"]) == ("cancelled", 3)
    await no_violations(db)


async def test_a_short_picked_line_whose_rest_is_cancelled_leaves_a_shipped_short_record(
    picker, supervisor, new_order, release_wave, db
):
    order = new_order(("SKU-0003", 3), ("SKU-0002", 1))
    release_wave([order["id"]])
    batch = picker.post("/api/v1/picking/next", headers=idem()).json()
    r = picker.post(
        f"/api/v1/picking/batches/{batch['id']}/totes",
        json={"slot": 1, "tote": f"T{batch['id']:04d}"},
        headers=idem(),
    )
    assert r.status_code == 200, r.text
    stop = next(s for s in r.json()["stops"] if s["sku"] == "SKU-0003")
    body = {"found": 1, "item": stop["barcodes"][0], "tote": stop["tote"]}
    r = picker.post(f"/api/v1/picking/tasks/{stop['task_id']}/short", json=body, headers=idem())
    assert r.status_code == 200, r.text
    [record] = await db.run(_records, order["id"])
    assert (record["sku"], record["qty_short"], record["resolved_at"]) == ("SKU-0003", 2, None)
    await no_violations(db)
    [exc] = [e for e in supervisor.get("/api/v1/exceptions").json() if e["order_id"] == order["id"]]
    out = await short_lines.cancel_line(db, exc["id"], None, "supervisor")
    assert out["cancelled"] == 2
    [record] = await db.run(_records, order["id"])
    assert record["resolution"] == "shipped_short"  # one unit goes, two will never come
    await no_violations(db)


def _reopen(s: Session, order_id: int) -> None:
    s.execute(update(BR).where(BR.c.order_id == order_id).values(resolved_at=None, resolution=None))


def _close_all(s: Session, order_id: int) -> None:
    at = datetime.now(UTC)
    s.execute(update(BR).where(BR.c.order_id == order_id).values(resolved_at=at, resolution="x"))


async def test_wms_check_names_a_record_that_disagrees_with_its_line(
    supervisor, new_order, db: Database
):
    order = new_order(("SKU-0001", 1))  # in stock: no backorder
    assert order["status"] == "ready"
    waiting = new_order(("SKU-0006", 1))  # SKU-0006 was emptied above
    assert waiting["status"] == "backordered"
    await db.run(_close_all, waiting["id"])
    found = await check.violations(db)
    assert any("without an open record" in v for v in found), found
    await db.run(_reopen, waiting["id"])
    await no_violations(db)
    r = supervisor.post(f"/api/v1/orders/{waiting['id']}/cancel", headers=idem())
    assert r.status_code in (200, 201), r.text
    await db.run(_reopen, waiting["id"])  # a record left open by a path that forgot it
    found = await check.violations(db)
    assert any("does not wait" in v for v in found), found
    await db.run(_close_all, waiting["id"])
    await no_violations(db)


def _shipped_outside(s: Session, order_id: int) -> None:
    s.execute(update(SalesOrder).where(SalesOrder.id == order_id).values(status="shipped"))


@reads
def _kept_and_open(s: Session) -> tuple[list[str], list[tuple[str, int]]]:
    kept = list(s.execute(select(OrderWork.reference)).scalars())
    records = s.execute(
        select(BackorderRecord.sku, BackorderRecord.qty_short).where(
            BackorderRecord.resolved_at.is_(None)
        )
    ).all()
    return kept, [tuple(r) for r in records]


@pytest.fixture
def fresh_url(backend: str, db_folder: Path) -> str:
    """A database of its own: this test migrates it down and up again."""
    return new_database(backend, db_folder)


async def test_the_migration_back_fills_the_lines_that_wait_and_the_orders_shipped(
    fresh_url: str,
) -> None:
    url = fresh_url
    database = Database(url)
    try:
        address = Address(name="Ada Buyer", line1="5 Main St", city="Springfield",
                          postal_code="62701", country="US", region="IL")  # fmt: skip
        orders_in = [
            OrderIn(channel_kind=ChannelKind.OWN, external_id=f"99000000000{n}",
                    reference=f"#MIG-{n}", status=OrderStatus.READY, currency="USD",
                    lines=(OrderLineIn(sku="SKU-0003", qty=qty, unit_price=Decimal("9.99")),),
                    ship_to=address)
            for n, qty in ((1, 9000), (2, 1))
        ]  # fmt: skip
        waiting = await orders.intake(database, "own-main", orders_in[0])
        sent = await orders.intake(database, "own-main", orders_in[1])
        assert waiting.order.status == OrderStatus.BACKORDERED
        await database.run(_shipped_outside, sent.order.id)
        await database.dispose()
        # As before this change, then this change's migration (alembic runs its own loop).
        await asyncio.to_thread(command.downgrade, migrate.alembic_config(url), "0004v")
        await migrate.upgrade_async(url)
        database = Database(url)
        kept, open_records = await database.run(_kept_and_open)
        assert kept == ["#MIG-2"]
        [(sku, short)] = open_records
        assert sku == "SKU-0003" and 0 < short <= 9000
        assert await check.violations(database) == []
    finally:
        await database.dispose()
