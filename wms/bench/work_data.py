"""The floor's side of `wms bench reports`' orders: what the warehouse-work report reads.

Each shipped order of a chunk gets its pick batch (20 orders a cart), one pick task a line
with its scan time, a closed pack session and a shipment; some are shipped after their
ship-by; a few lines were backordered for some hours first (their record, resolved). Rows
are bulk Core inserts with ids given here, like the rest of the bench's load.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from wms.models import Location, Stock
from wms.models.backorder_history import BackorderRecord
from wms.models.picking import PickBatch, PickTask, PickTaskLine, Wave
from wms.models.shipping import PackSession, Shipment
from wms.reports import margin_work_sql

SHIPPED = ("shipped", "delivered")
CART = 20
BACKORDERED = 0.03  # of lines: waited for stock before they were allocated


def _rng(orders: list[dict[str, Any]], salt: int) -> random.Random:
    # Its own random stream: the rest of the bench's data stays as it was without this.
    return random.Random(orders[0]["id"] * 2 + salt if orders else salt)


def ship_by(orders: list[dict[str, Any]]) -> None:
    """Each order's ship-by: a day after it was placed (before the orders are written)."""
    rng = _rng(orders, 0)
    for o in orders:
        o["ship_by"] = o["placed_at"] + timedelta(hours=rng.choice((24, 24, 24, 48)))


def _template(model: Any, **required: Any) -> dict[str, Any]:
    """Every column's default (SQLModel's defaults are Python-side), without the id."""
    row = model(**required).model_dump()
    row.pop("id", None)
    return row


def _next_id(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _stock_rows(conn: Connection, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(stock id, location id) per product: one empty stock row each at the first location."""
    ST = Stock.__table__
    found = {r.product_id: (r.id, r.location_id) for r in conn.execute(select(ST))}
    missing = [p for p in sorted(set(product_ids)) if p not in found]
    if missing:
        location = conn.execute(select(func.min(Location.__table__.c.id))).scalar_one()
        conn.execute(insert(ST), [{"product_id": p, "location_id": location, "lot": "",
                                   "on_hand": 0, "allocated": 0} for p in missing])  # fmt: skip
        return _stock_rows(conn, product_ids)
    return found


def add(conn: Connection, orders: list[dict[str, Any]], lines: list[dict[str, Any]]) -> None:
    """Batches, pick tasks, pack sessions, shipments and backorder records of these orders."""
    rng = _rng(orders, 1)
    shipped = [o for o in orders if o["status"] in SHIPPED]
    if not shipped:
        return
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        by_order.setdefault(line["order_id"], []).append(line)
    stock = _stock_rows(conn, [line["product_id"] for line in lines])
    wave = _template(Wave) | {"status": "done"}
    wave_id = conn.execute(insert(Wave.__table__).values(**wave).returning(Wave.__table__.c.id))
    wave_id = wave_id.scalar_one()
    t_batch = _template(PickBatch, wave_id=wave_id)
    t_task = _template(PickTask, batch_id=0, seq=0, location_id=0, stock_id=0, product_id=0, qty=0)
    t_pack = _template(PackSession, order_id=0, station="PACK-01")
    t_ship = _template(Shipment, order_id=0, carrier="generic")
    batch_id, task_id = _next_id(conn, PickBatch.__table__), _next_id(conn, PickTask.__table__)
    link_id = _next_id(conn, PickTaskLine.__table__)
    batches, tasks, links, packs, shipments, records = [], [], [], [], [], []
    for n, o in enumerate(shipped):
        if n % CART == 0:
            anchor = o["placed_at"] + timedelta(hours=2)
            batch = batch_id + n // CART
            batches.append(t_batch | {"id": batch, "status": "done", "route": [],
                                      "created_at": anchor, "assigned_at": anchor,
                                      "finished_at": anchor + timedelta(minutes=25)})  # fmt: skip
            scan = anchor
        for line in by_order.get(o["id"], []):
            scan += timedelta(seconds=rng.randint(20, 90))
            stock_id, location_id = stock[line["product_id"]]
            tasks.append(t_task | {"id": task_id, "batch_id": batch, "seq": len(tasks),
                          "location_id": location_id, "stock_id": stock_id,
                          "product_id": line["product_id"], "lot": "", "qty": line["qty"],
                          "picked": line["qty"], "shorted": 0, "status": "done",
                          "picked_at": scan})  # fmt: skip
            links.append({"id": link_id, "task_id": task_id, "order_line_id": line["id"],
                          "qty": line["qty"], "picked": line["qty"]})  # fmt: skip
            task_id, link_id = task_id + 1, link_id + 1
            if rng.random() < BACKORDERED:
                began = o["placed_at"]
                records.append({"order_line_id": line["id"], "order_id": o["id"],
                                "channel_id": o["channel_id"], "product_id": line["product_id"],
                                "sku": line["sku"], "line_qty": line["qty"],
                                "qty_short": line["qty"], "began_at": began,
                                "resolved_at": began + timedelta(hours=rng.randint(1, 72)),
                                "resolution": "allocated"})  # fmt: skip
        packed = o["placed_at"] + timedelta(hours=3, minutes=rng.randint(0, 120))
        packs.append(t_pack | {"order_id": o["id"], "status": "done",
                      "verified": {}, "totes": [], "started_at": packed,
                      "closed_at": packed + timedelta(seconds=rng.randint(60, 400))})  # fmt: skip
        late = rng.random() < 0.08
        sent = o["ship_by"] + timedelta(hours=2 if late else -4)
        shipments.append(t_ship | {"order_id": o["id"], "status": "shipped",
                                   "created_at": packed, "shipped_at": sent})  # fmt: skip
    for model, rows in ((PickBatch, batches), (PickTask, tasks), (PickTaskLine, links),
                        (PackSession, packs), (Shipment, shipments),
                        (BackorderRecord, records)):  # fmt: skip
        if rows:
            conn.execute(insert(model.__table__), rows)
    margin_work_sql.keep(conn, [o["id"] for o in shipped])  # as hand-over keeps them
