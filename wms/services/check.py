"""`wms check`: the design's invariants, each violation named so a person can act on it."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.orders import OrderStatus
from wms.models import (
    Location,
    OrderLine,
    Product,
    ProductAvailability,
    SalesOrder,
    Stock,
    StockMove,
)
from wms.models.layout import SELLABLE_KINDS
from wms.reports import margin_check
from wms.services import backorder_history

ACTIVE_ORDER = [s for s in OrderStatus if s not in (OrderStatus.CANCELLED,)]


async def violations(db: Database) -> list[str]:
    """Every invariant the design promises that does not hold now, each named; [] when sound."""
    return await db.run(_violations)


@reads
def _violations(s: Session) -> list[str]:
    found: list[str] = []
    skus = dict((s.execute(select(Product.id, Product.sku))).all())
    codes = dict((s.execute(select(Location.id, Location.code))).all())

    # 1. No oversell: 0 <= reserved <= on_hand_pickable, and both agree with their sources.
    pa = {r.product_id: r for r in (s.execute(select(ProductAvailability))).scalars()}
    for pid, row in pa.items():
        if not 0 <= row.reserved <= row.on_hand_pickable:
            found.append(
                f"oversell: {skus.get(pid)} reserved {row.reserved} > sellable "
                f"{row.on_hand_pickable}"
            )
    sellable = dict(
        (
            s.execute(
                select(Stock.product_id, func.sum(Stock.on_hand))
                .join(Location, Location.id == Stock.location_id)
                .where(Location.kind.in_([str(k) for k in SELLABLE_KINDS]))
                .group_by(Stock.product_id)
            )
        ).all()
    )
    on_hand = {pid: row.on_hand_pickable for pid, row in pa.items()}
    found += _differences("availability", "sellable", "stock holds", on_hand, sellable, skus)
    held = dict(
        (
            s.execute(
                select(OrderLine.product_id, func.sum(OrderLine.reserved))
                .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
                .where(SalesOrder.status.in_([str(x) for x in ACTIVE_ORDER]))
                .group_by(OrderLine.product_id)
            )
        ).all()
    )
    reserved = {pid: row.reserved for pid, row in pa.items()}
    found += _differences("reservation", "reserved", "order lines hold", reserved, held, skus)

    # 2. The ledger is the truth: on_hand of every (product, location, lot) = its moves.
    inflow = select(
        StockMove.product_id.label("p"),
        StockMove.to_location_id.label("l"),
        StockMove.lot.label("lot"),
        StockMove.qty.label("q"),
    ).where(StockMove.to_location_id.is_not(None))
    outflow = select(
        StockMove.product_id,
        StockMove.from_location_id,
        StockMove.lot,
        -StockMove.qty,
    ).where(StockMove.from_location_id.is_not(None))
    flows = inflow.union_all(outflow).subquery()
    ledger = {
        (p, loc, lot): q
        for p, loc, lot, q in (
            s.execute(
                select(flows.c.p, flows.c.l, flows.c.lot, func.sum(flows.c.q)).group_by(
                    flows.c.p, flows.c.l, flows.c.lot
                )
            )
        )
    }
    stock = {(r.product_id, r.location_id, r.lot): r for r in (s.execute(select(Stock))).scalars()}
    for key in set(ledger) | set(stock):
        on_hand = stock[key].on_hand if key in stock else 0
        if on_hand != (ledger.get(key) or 0):
            pid, lid, lot = key
            found.append(
                f"ledger: {skus.get(pid)} at {codes.get(lid)}"
                + (f" lot {lot}" if lot else "")
                + f" has {on_hand}, ledger says {ledger.get(key) or 0}"
            )
        if key in stock and not 0 <= stock[key].allocated <= stock[key].on_hand:
            found.append(f"allocation: {skus.get(key[0])} at {codes.get(key[1])} out of range")

    # 4. Work adds up on every order line.
    bad = (
        s.execute(
            select(OrderLine.id, OrderLine.sku).where(
                (OrderLine.picked > OrderLine.allocated)
                | (OrderLine.packed > OrderLine.picked)
                | (OrderLine.reserved + OrderLine.picked > OrderLine.qty)
            )
        )
    ).all()
    for line_id, sku in bad:
        found.append(f"work: order line {line_id} ({sku}) does not add up")
    for name, sql in WORK_CHECKS.items():
        for ident in (s.execute(text(sql))).scalars():
            found.append(f"work: {name} (id {ident})")
    # 5. The margin reports' daily summary equals the facts re-summed (days not stale).
    found += margin_check.violations(s)
    # 6. The record of backorders: open exactly while its line waits.
    found += backorder_history.violations(s)
    return sorted(found)


def _differences(
    name: str,
    what: str,
    source: str,
    summary: dict[int, int],
    truth: dict[int, int],
    skus: dict[int, str],
) -> list[str]:
    """Products whose kept summary disagrees with what it summarises."""
    return [
        f"{name}: {skus.get(pid)} says {summary.get(pid, 0)} {what}, {source} {truth.get(pid) or 0}"
        for pid in sorted(set(summary) | set(truth))
        if summary.get(pid, 0) != (truth.get(pid) or 0)
    ]


# Invariant 4 on the floor tables: a line's pick tasks add up to what it has allocated, a
# task to its lines, and a stock row's allocation to what its open tasks still have to take.
WORK_CHECKS = {
    "order line allocated differs from its pick tasks": """
        SELECT l.id FROM order_line l
        LEFT JOIN (SELECT order_line_id, SUM(qty) q FROM pick_task_line GROUP BY order_line_id) t
          ON t.order_line_id = l.id
        WHERE l.allocated != COALESCE(t.q, 0)""",
    "pick task differs from its lines": """
        SELECT t.id FROM pick_task t
        LEFT JOIN (SELECT task_id, SUM(qty) q, SUM(picked) p FROM pick_task_line GROUP BY task_id) x
          ON x.task_id = t.id
        WHERE t.qty != COALESCE(x.q, 0) OR t.picked != COALESCE(x.p, 0)""",
    "stock allocated differs from open pick tasks": """
        SELECT s.id FROM stock s
        LEFT JOIN (SELECT stock_id, SUM(qty - picked) q FROM pick_task
                   WHERE status IN ('open', 'skipped') GROUP BY stock_id) t
          ON t.stock_id = s.id
        WHERE s.allocated != COALESCE(t.q, 0)""",
}
