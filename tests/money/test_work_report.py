"""The warehouse side of the sales: picking and packing minutes from scan times, late
shipments and backordered lines, per channel and per order, as JSON and CSV."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
)
from tests.support import api
from wms.db import reads
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus
from wms.models import OrderLine, SalesOrder
from wms.models.picking import PickBatch, PickTask, PickTaskLine
from wms.models.shipping import PackSession, Shipment
from wms.services import orders
from wms.services.backorder_history import BR

T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = {"from": "2026-11-20", "to": "2026-11-20"}


def _scanned_at(s: Session, a: int, b: int) -> None:
    """The two orders' scans as the floor made them, at known times: one batch handed over
    at 9:00, A's three units scanned by 9:04, B's one at 9:10 (a 10-minute batch, shared
    3 : 1); A packed 9:20-9:23, B 9:25-9:27; A shipped after its ship-by, B before."""
    batch = None
    for oid, minute in ((a, 4), (b, 10)):
        ids = s.execute(
            select(PickTask.id, PickTask.batch_id)
            .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
            .join(SalesOrder, SalesOrder.id == oid)
            .where(PickTaskLine.order_line_id.in_(_line_ids(s, oid)))
        ).all()
        batch = batch or ids[0][1]
        s.execute(
            update(PickTask)
            .where(PickTask.id.in_([i for i, _ in ids]))
            .values(batch_id=batch, picked_at=T + timedelta(minutes=minute))
        )
    s.execute(update(PickBatch).where(PickBatch.id == batch).values(assigned_at=T))
    for oid, start, end in ((a, 20, 23), (b, 25, 27)):
        s.execute(
            update(PackSession)
            .where(PackSession.order_id == oid)
            .values(started_at=T + timedelta(minutes=start), closed_at=T + timedelta(minutes=end))
        )
    for oid, ship_by, shipped in ((a, 60, 120), (b, 180, 120)):
        s.execute(
            update(SalesOrder)
            .where(SalesOrder.id == oid)
            .values(placed_at=T, ship_by=T + timedelta(minutes=ship_by))
        )
        s.execute(
            update(Shipment)
            .where(Shipment.order_id == oid)
            .values(shipped_at=T + timedelta(minutes=shipped))
        )


@reads
def _reserved(s: Session, order_id: int) -> int:
    return int(s.scalar(select(OrderLine.reserved).where(OrderLine.order_id == order_id)) or 0)


def _line_ids(s: Session, order_id: int) -> list[int]:
    return list(s.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)))


def _placed(s: Session, order_id: int, ship_by_minutes: int) -> None:
    s.execute(
        update(SalesOrder)
        .where(SalesOrder.id == order_id)
        .values(placed_at=T, ship_by=T + timedelta(minutes=ship_by_minutes))
    )
    # Its backorder began when it was placed (the record counts it by that day).
    s.execute(update(BR).where(BR.c.order_id == order_id).values(began_at=T))


def _scans(packer: httpx.Client, order_id: int) -> list[str]:
    view = packer.post(
        "/api/v1/packing/start", json={"station": "PACK-01", "scan": str(order_id)},
        headers=api.idem(),
    ).json()  # fmt: skip
    return [line["barcodes"][0] for line in view["lines"] for _ in range(line["qty"])]


async def test_minutes_late_shipments_and_backorders_per_channel_and_order(
    packer, db, supervisor
) -> None:
    a = await picked_order(db, [("SKU-0002", 2), ("SKU-0003", 1)])
    b = await picked_order(db, [("SKU-0002", 1)])
    for oid in (a, b):
        pack(packer, oid, _scans(packer, oid), carton="BOX-M", weight=1500, start=False)
    # More than the warehouse holds: the line waits (backordered), nobody's units taken.
    waiting = await orders.intake(db, "own-main", OrderIn(
        channel_kind=ChannelKind.OWN, external_id="990000000001", reference="#WAIT-1",
        status=OrderStatus.READY, currency="USD",
        lines=(OrderLineIn(sku="SKU-0003", qty=9000, unit_price=Decimal("9.99")),),
        ship_to=Address(name="Ada Buyer", line1="5 Main St", city="Springfield",
                        postal_code="62701", country="US", region="IL"),
    ))  # fmt: skip
    assert waiting.order.status == OrderStatus.BACKORDERED
    await db.run(_scanned_at, a, b)
    await db.run(_placed, waiting.order.id, 30)

    r = supervisor.get("/api/v1/reports/work", params={"group": "channel", **DAY})
    assert r.status_code == 200, r.text
    own = {row["key"]: row for row in r.json()["rows"]}["own-main"]
    assert own["orders"] == 3 and own["shipped"] == 2
    assert (own["pick_minutes"], own["pick_minutes_per_order"]) == (10.0, 5.0)
    assert (own["pack_minutes"], own["pack_minutes_per_order"]) == (5.0, 2.5)
    assert (own["late"], own["late_unshipped"]) == (1, 1)
    assert (own["backordered_orders"], own["backordered_lines"]) == (1, 1)
    reserved = await db.run(_reserved, waiting.order.id)
    assert own["backordered_units"] == 9000 - reserved

    by_order = supervisor.get("/api/v1/reports/work", params={"group": "order", **DAY}).json()
    rows = {row["key"]: row for row in by_order["rows"]}
    assert (rows[str(a)]["pick_minutes"], rows[str(b)]["pick_minutes"]) == (7.5, 2.5)
    assert (rows[str(a)]["pack_minutes"], rows[str(b)]["pack_minutes"]) == (3.0, 2.0)
    assert (rows[str(a)]["late"], rows[str(b)]["late"]) == (1, 0)
    assert rows[str(a)]["ship_by"] == (T + timedelta(hours=1)).isoformat()

    download = supervisor.get("/api/v1/reports/work.csv", params={"group": "order", **DAY})
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert {row["key"]: row["pick_minutes"] for row in table}[str(a)] == "7.5"
    assert table[-1]["label"] == "total" and table[-1]["orders"] == "3"
    await no_violations(db)


def test_a_bad_work_report_request_is_a_problem_and_the_floor_may_not_read_it(
    supervisor: httpx.Client, picker: httpx.Client
) -> None:
    for params, code in (({"group": "picker", **DAY}, "bad_group"),
                         ({"from": "2026-11-20"}, "bad_date"),
                         ({"from": "2026-11-21", "to": "2026-11-20"}, "bad_range")):  # fmt: skip
        r = supervisor.get("/api/v1/reports/work", params=params)
        assert len(api.problem(r, 422, code)["title"]) <= 20
    api.problem(picker.get("/api/v1/reports/work", params=DAY), 403, "forbidden")
