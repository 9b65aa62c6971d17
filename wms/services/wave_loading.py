"""What a wave is planned from: the candidate orders, their lines and their free stock.

Read in one snapshot (``load``); ``free_stock_sync`` and ``allocate_stock_sync`` are the
allocation rules that picking re-uses for short picks (through ``wms.services.waves``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wms.db import reads
from wms.domain import addresses
from wms.domain.layout import Point
from wms.domain.orders import OPEN_STATUSES, OrderStatus
from wms.domain.waves import Free, PlanLine, PlanOrder, WaveRules
from wms.errors import Conflict
from wms.models import Channel, Location, OrderLine, SalesOrder, Stock
from wms.models.layout import SELLABLE_KINDS

ST = Stock.__table__
SO = SalesOrder.__table__
OL = OrderLine.__table__
CHUNK = 5000  # ids per IN (...): well under SQLite's and asyncpg's parameter limits


# -- allocation (also used by picking) ----------------------------------------------------


def point_of(loc: Location) -> Point:
    """Rack locations stand on their aisle's centre line (x, y come from the layout)."""
    assert loc.aisle is not None
    return Point(loc.x, loc.y, loc.aisle - 1)


def free_stock_sync(s: Session, product_ids: list[int]) -> dict[int, list[Free]]:
    """Free units per product in sellable rack locations (routes walk aisles only)."""
    out: dict[int, list[Free]] = defaultdict(list)
    for chunk in chunks(sorted(set(product_ids))):
        rows = s.execute(
            select(Stock, Location)
            .join(Location, Location.id == Stock.location_id)
            .where(
                Stock.product_id.in_(chunk),
                Stock.on_hand > Stock.allocated,
                Location.kind.in_([str(k) for k in SELLABLE_KINDS]),
                Location.aisle.is_not(None),
                Location.active.is_(True),
            )
            .order_by(Stock.id)
        ).all()
        for st, loc in rows:
            out[st.product_id].append(
                Free(
                    st.id,  # type: ignore[arg-type]
                    st.product_id,
                    loc.id,  # type: ignore[arg-type]
                    loc.code,
                    loc.kind,
                    st.lot,
                    st.expiry,
                    st.on_hand - st.allocated,
                    point_of(loc),
                )
            )
    for rows_of in out.values():
        rows_of.sort(key=lambda r: r.stock_id)
    return out


def allocate_stock_sync(s: Session, stock_id: int, qty: int) -> None:
    """Promise `qty` units of a stock row to a pick task; refused if they are not free."""
    result = s.execute(
        update(ST)
        .where(ST.c.id == stock_id, ST.c.on_hand - ST.c.allocated >= qty)
        .values(allocated=ST.c.allocated + qty)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stock_changed", "Stock changed, retry", "planned stock is gone")


# -- loading ------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the planner is given, and what the write checks is still so."""

    candidates: list[PlanOrder]
    stock: dict[str, list[Free]]
    orders: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # status, updated
    lines: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)  # line figures


@reads
def load(s: Session, rules: WaveRules) -> Loaded:
    """The orders the rules may consider (by id, or every open order) and their stock."""
    query = select(
        SO.c.id,
        SO.c.reference,
        SO.c.status,
        SO.c.updated_at,
        SO.c.priority,
        SO.c.ship_by,
        SO.c.carrier,
        SO.c.placed_at,
        SO.c.created_at,
        *_SHIP_TO,
        Channel.__table__.c.code,
    ).join(Channel.__table__, Channel.__table__.c.id == SO.c.channel_id)
    if rules.order_ids:
        orders = [
            r
            for ids in chunks(rules.order_ids)
            for r in s.execute(query.where(SO.c.id.in_(ids))).all()
        ]
    else:
        orders = list(s.execute(query.where(SO.c.status.in_(sorted(OPEN_STATUSES)))).all())
    ready = {o.id for o in orders if o.status == OrderStatus.READY}
    lines: dict[int, list[Any]] = defaultdict(list)
    line_query = select(OL).order_by(OL.c.order_id, OL.c.line_no)
    if rules.order_ids:
        queries = [line_query.where(OL.c.order_id.in_(ids)) for ids in chunks(sorted(ready))]
    else:  # a join, not thousands of ids
        queries = [
            line_query.join(SO, SO.c.id == OL.c.order_id).where(SO.c.status == OrderStatus.READY)
        ]
    for q in queries:
        for line in s.execute(q).all():
            if line.order_id in ready:
                lines[line.order_id].append(line)
    loaded = Loaded([], {})
    sku_of: dict[int, str] = {}
    for o in orders:
        mine = lines.get(o.id, [])
        loaded.orders[o.id] = (o.status, o.updated_at)
        for line in mine:
            loaded.lines[line.id] = (line.qty, line.reserved, line.allocated, line.picked)
            sku_of[line.product_id] = line.sku
        loaded.candidates.append(
            PlanOrder(
                o.id,
                tuple(
                    PlanLine(line.sku, need(line), line_id=line.id)
                    for line in mine
                    if need(line) > 0
                ),
                ship_by=o.ship_by,
                priority=o.priority,
                carrier=o.carrier,
                channel=o.code,
                created_at=o.placed_at or o.created_at,
                reference=o.reference,
                status=o.status,
                unreserved=sum(max(0, ln.qty - ln.reserved - ln.picked) for ln in mine),
                has_address=addresses.is_complete(addresses.of_row(o)),
            )
        )
    free = free_stock_sync(s, list(sku_of))
    loaded.stock = {sku_of[p]: rows for p, rows in free.items()}
    return loaded


_SHIP_TO = (
    SO.c.ship_name,
    SO.c.ship_line1,
    SO.c.ship_city,
    SO.c.ship_region,
    SO.c.ship_postal_code,
    SO.c.ship_country,
    SO.c.ship_masked,
)


def need(line: Any) -> int:
    """Units of a line still to be given pick tasks: held, and not yet on a task."""
    return int(line.reserved - (line.allocated - line.picked))


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for k in range(0, len(ids), CHUNK):
        yield list(ids[k : k + CHUNK])
