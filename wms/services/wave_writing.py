"""A planned wave written in one transaction, after checking that what it relied on holds.

What ``recheck`` compares is what ``wms.services.wave_loading.load`` read: keep the two in step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from wms.db import long_running
from wms.domain.orders import OrderStatus
from wms.errors import Conflict
from wms.models import Location, OrderLine, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.layout import LocationKind
from wms.models.picking import PickBatch, PickSlot, PickTask, PickTaskLine, Wave
from wms.services import events
from wms.services.wave_loading import chunks

if TYPE_CHECKING:
    from wms.services.waves import Made

ST = Stock.__table__
SO = SalesOrder.__table__
OL = OrderLine.__table__
WV = Wave.__table__
PB = PickBatch.__table__
PS = PickSlot.__table__
PT = PickTask.__table__
PTL = PickTaskLine.__table__


# A big wave writes thousands of rows: a worker thread on SQLite, so scans go on meanwhile.
@long_running
def write(s: Session, made: Made, user_id: int | None) -> int:
    """The whole wave, after checking (rows locked) that the plan still holds."""
    recheck(s, made)
    p, now = made.preview, utcnow()
    wave_id = s.execute(
        insert(WV)
        .values(
            status="released",
            rules=made.rules.as_json(),
            orders=p.orders,
            units=p.units,
            distance_m=p.distance_m,
            est_seconds=p.est_seconds,
            created_by=user_id,
            created_at=now,
        )
        .returning(WV.c.id)
    ).scalar_one()
    drops = list(
        s.execute(
            select(Location.id)
            .where(Location.kind == LocationKind.STAGING, Location.active.is_(True))
            .order_by(Location.code)
        ).scalars()
    )
    slots: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    task_picks: list[Sequence[Any]] = []
    for n, b in enumerate(made.plan.batches):
        batch_id = s.execute(
            insert(PB)
            .values(
                wave_id=wave_id,
                status="released",
                kind=b.kind,
                distance_m=round(b.distance_m, 1),
                est_seconds=round(b.est_pick_seconds),
                route=[stop.location for stop in b.stops],
                drop_location_id=drops[n % len(drops)] if drops else None,
                created_at=now,
            )
            .returning(PB.c.id)
        ).scalar_one()
        if b.kind == "bulk":
            slots.append({"batch_id": batch_id, "slot": 1, "order_id": None, "tote": None})
        else:
            slots += [
                {"batch_id": batch_id, "slot": k, "order_id": o, "tote": None}
                for k, o in enumerate(b.orders, start=1)
            ]
        slot_of = {o: k for k, o in enumerate(b.orders, start=1)}
        for seq, stop in enumerate(b.stops, start=1):
            row = stop.picks[0].row
            tasks.append(
                {
                    "batch_id": batch_id,
                    "seq": seq,
                    "location_id": row.location_id,
                    "stock_id": row.stock_id,
                    "product_id": row.product_id,
                    "lot": row.lot,
                    "qty": stop.qty,
                    "picked": 0,
                    "shorted": 0,
                    "slot": None if b.kind == "bulk" else slot_of[stop.order_id],
                    "status": "open",
                }
            )
            task_picks.append(stop.picks)
    if slots:
        s.execute(insert(PS), slots)
    task_ids = (
        s.execute(insert(PT).returning(PT.c.id, sort_by_parameter_order=True), tasks)
        .scalars()
        .all()
    )
    links = [
        {"task_id": task_id, "order_line_id": p.line_id, "qty": p.qty, "picked": 0}
        for task_id, picks in zip(task_ids, task_picks, strict=True)
        for p in picks
    ]
    s.execute(insert(PTL), links)
    on_stock: dict[int, int] = defaultdict(int)
    on_line: dict[int, int] = defaultdict(int)
    for picks in task_picks:
        for p in picks:
            on_stock[p.row.stock_id] += p.qty
            on_line[p.line_id] += p.qty
    s.execute(
        update(ST)
        .where(ST.c.id == bindparam("b_id"))
        .values(allocated=ST.c.allocated + bindparam("b_qty")),
        [{"b_id": k, "b_qty": q} for k, q in sorted(on_stock.items())],
    )
    s.execute(
        update(OL)
        .where(OL.c.id == bindparam("b_id"))
        .values(allocated=OL.c.allocated + bindparam("b_qty")),
        [{"b_id": k, "b_qty": q} for k, q in sorted(on_line.items())],
    )
    s.execute(
        update(SO)
        .where(SO.c.id == bindparam("b_id"))
        .values(status=OrderStatus.IN_WAVE, updated_at=now),
        [{"b_id": o} for o in sorted(made.plan.orders)],
    )
    events.note(s, "wave", wave=int(wave_id))
    return int(wave_id)


def recheck(s: Session, made: Made) -> None:
    """Refuse the plan unless its orders are as they were read (status, last change, every
    line's figures) and its stock rows still have the units it takes. The rows are locked
    (PostgreSQL; SQLite's write transaction holds the whole database) until the commit."""
    loaded = made.loaded
    order_ids = sorted(int(o) for o in made.plan.orders)
    stale: list[str] = []
    for ids in chunks(order_ids):
        for o in s.execute(
            select(SO.c.id, SO.c.reference, SO.c.status, SO.c.updated_at)
            .where(SO.c.id.in_(ids))
            .order_by(SO.c.id)
            .with_for_update()
        ).all():
            if (o.status, o.updated_at) != loaded.orders[o.id] or o.status != OrderStatus.READY:
                stale.append(f"order {o.reference or o.id} is {o.status} now")
        for line in s.execute(select(OL).where(OL.c.order_id.in_(ids))).all():
            was = loaded.lines.get(line.id)
            if was != (line.qty, line.reserved, line.allocated, line.picked):
                stale.append(f"a line of order {line.order_id} changed")
    need: dict[int, int] = defaultdict(int)
    for b in made.plan.batches:
        for stop in b.stops:
            need[stop.picks[0].row.stock_id] += stop.qty
    for ids in chunks(sorted(need)):
        rows = s.execute(
            select(ST.c.id, ST.c.on_hand, ST.c.allocated)
            .where(ST.c.id.in_(ids))
            .order_by(ST.c.id)
            .with_for_update()
        ).all()
        have = {r.id: r.on_hand - r.allocated for r in rows}
        stale += [
            f"stock row {k} has {have.get(k, 0)} free, not {need[k]}"
            for k in ids
            if have.get(k, 0) < need[k]
        ]
    if stale:
        raise Conflict(
            "plan_stale",
            "Plan is stale",
            f"changed since planned: {'; '.join(stale[:5])}; plan again",
            changes=len(stale),
        )
