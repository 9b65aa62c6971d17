"""The warehouse-work report's queries: every figure aggregated in SQL, one row per order.

Picking time is a batch's span (hand-over, else first scan, to last scan) shared among its
orders by the units picked for each; packing time is the pack session's span. Both are
seconds computed by the database (`julianday` on SQLite, `epoch` on PostgreSQL), so no
row of a scan reaches Python. Backorders come from their record (`backorder_record`):
those that began in the range, each with the minutes it waited (until now if it waits).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select, Subquery

from wms.domain.orders import OrderStatus
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.backorder_history import BackorderRecord
from wms.models.order_work import OrderWork
from wms.models.picking import PickBatch, PickTask, PickTaskLine
from wms.models.shipping import PackSession, Shipment
from wms.reports.margin import EXCLUDED

SO = SalesOrder.__table__
OL = OrderLine.__table__
PB = PickBatch.__table__
PT = PickTask.__table__
PTL = PickTaskLine.__table__
PS = PackSession.__table__
SH = Shipment.__table__
BR = BackorderRecord.__table__
# Statuses whose orders are kept (hand-over, or intake of an order that arrives shipped).
SHIPPED = (OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value, OrderStatus.RETURNED.value)
UNSHIPPED = sorted(s.value for s in OrderStatus if s.value not in (*SHIPPED, *EXCLUDED))
OW = OrderWork.__table__


def seconds(dialect: str, began: Any, ended: Any) -> ColumnElement[float]:
    """`ended - began` in seconds, never below zero, in the engine's own arithmetic."""
    if dialect == "sqlite":
        # julianday is a float of days: rounded to the millisecond the clock stores.
        span: Any = func.round((func.julianday(ended) - func.julianday(began)) * 86400.0, 3)
    else:
        span = func.extract("epoch", ended - began)
    span = cast(span, Float)
    return case((span > 0, span), else_=0.0)


def channel_id(s: Session, code: str | None) -> int | None:
    """The channel's id, or -1 for a code no channel has (the report is then empty)."""
    if not code:
        return None
    found = s.execute(select(Channel.id).where(Channel.code == code)).scalar()
    return int(found) if found is not None else -1


def in_range(start: datetime, end: datetime, channel: int | None) -> list[Any]:
    """The orders placed in [start, end) the margin report counts (by the day index)."""
    when = func.coalesce(SO.c.placed_at, SO.c.created_at)
    where = [when >= start, when < end, SO.c.status.notin_(list(EXCLUDED))]
    if channel is not None:
        where.append(SO.c.channel_id == channel)
    return where


def _pick_pack(dialect: str, ids: Any) -> tuple[Any, Any]:
    """CTEs of the seconds of picking and of packing of the orders `ids` selects."""
    # Units each order took from each batch, and each batch's span and units picked.
    ob = (
        select(PT.c.batch_id, OL.c.order_id, func.sum(PTL.c.picked).label("units"))
        .select_from(
            PTL.join(PT, PT.c.id == PTL.c.task_id).join(OL, OL.c.id == PTL.c.order_line_id)
        )
        .where(OL.c.order_id.in_(ids), PTL.c.picked > 0)
        .group_by(PT.c.batch_id, OL.c.order_id)
        .cte("ob")
    )
    first_scan, last_scan = func.min(PT.c.picked_at), func.max(PT.c.picked_at)
    began = func.coalesce(func.max(PB.c.assigned_at), first_scan)
    bs = (
        select(PT.c.batch_id, seconds(dialect, began, last_scan).label("secs"),
               func.sum(PTL.c.picked).label("units"))
        .select_from(PT.join(PTL, PTL.c.task_id == PT.c.id).join(PB, PB.c.id == PT.c.batch_id))
        .where(PT.c.batch_id.in_(select(ob.c.batch_id)), PT.c.picked_at.is_not(None))
        .group_by(PT.c.batch_id)
        .cte("bs")
    )  # fmt: skip
    pick = (
        select(ob.c.order_id, func.sum(bs.c.secs * ob.c.units / cast(bs.c.units, Float)).label("s"))
        .join(bs, bs.c.batch_id == ob.c.batch_id)
        .where(bs.c.units > 0)
        .group_by(ob.c.order_id)
        .cte("pick")
    )
    pack = (
        select(PS.c.order_id, seconds(dialect, PS.c.started_at, PS.c.closed_at).label("s"))
        .where(PS.c.order_id.in_(ids), PS.c.closed_at.is_not(None))
        .cte("pack")
    )
    return pick, pack


def keep(conn: Connection, order_ids: list[int]) -> None:
    """Keep the orders' work (those not kept yet): at hand-over, in its transaction, and for
    an order that arrives shipped; the migration and the bench call it for orders before."""
    kept = select(OW.c.order_id).where(OW.c.order_id.in_(order_ids))
    ids = sorted(set(order_ids) - set(conn.execute(kept).scalars()))
    if not ids:
        return
    pick, pack = _pick_pack(conn.dialect.name, ids)
    rows = conn.execute(
        select(SO.c.id.label("order_id"), SO.c.channel_id,
               func.coalesce(SO.c.placed_at, SO.c.created_at).label("placed_at"),
               SO.c.reference, SO.c.ship_by, SH.c.shipped_at, pick.c.s.label("pick_s"),
               pack.c.s.label("pack_s"))
        .select_from(SO.outerjoin(SH, SH.c.order_id == SO.c.id)
                     .outerjoin(pick, pick.c.order_id == SO.c.id)
                     .outerjoin(pack, pack.c.order_id == SO.c.id))
        .where(SO.c.id.in_(ids))
    ).all()  # fmt: skip
    if rows:
        conn.execute(insert(OW), [dict(r._mapping) for r in rows])


def _late(shipped_at: Any, ship_by: Any, now: datetime) -> tuple[Any, Any]:
    """Late (handed over after its ship-by) and late still waiting (past it, not shipped)."""
    late = case(
        (and_(shipped_at.is_not(None), ship_by.is_not(None), shipped_at > ship_by), 1), else_=0
    )
    waiting = case((and_(shipped_at.is_(None), ship_by.is_not(None), ship_by < now), 1), else_=0)
    return late.label("late"), waiting.label("late_unshipped")


def _parts(
    s: Session, start: datetime, end: datetime, channel: int | None, now: datetime
) -> tuple[Select[Any], Select[Any]]:
    """The orders in range, in two parts of one shape: the shipped ones as kept (narrow
    rows, read from their index by day) and the others, their seconds summed from scans."""
    dialect = s.get_bind().dialect.name
    # Orders not shipped yet (few, by the status index); a shipped one is always kept.
    live = select(SO.c.id).where(*in_range(start, end, channel), SO.c.status.in_(UNSHIPPED))
    live = live.cte("live")
    pick, pack = _pick_pack(dialect, select(live.c.id))
    kept_where = [OW.c.placed_at >= start, OW.c.placed_at < end]
    if channel is not None:
        kept_where.append(OW.c.channel_id == channel)
    kept = select(
        OW.c.order_id, OW.c.reference.label("label"), OW.c.channel_id, OW.c.ship_by,
        OW.c.shipped_at, OW.c.pick_s, OW.c.pack_s, *_late(OW.c.shipped_at, OW.c.ship_by, now),
    ).where(*kept_where)  # fmt: skip
    unshipped = select(
        SO.c.id.label("order_id"), SO.c.reference.label("label"), SO.c.channel_id,
        SO.c.ship_by, SH.c.shipped_at, pick.c.s.label("pick_s"), pack.c.s.label("pack_s"),
        *_late(SH.c.shipped_at, SO.c.ship_by, now),
    ).select_from(
        live.join(SO, SO.c.id == live.c.id)
        .outerjoin(SH, SH.c.order_id == SO.c.id)
        .outerjoin(pick, pick.c.order_id == SO.c.id)
        .outerjoin(pack, pack.c.order_id == SO.c.id)
    )  # fmt: skip
    return kept, unshipped


def per_order(
    s: Session, start: datetime, end: datetime, channel: int | None, now: datetime,
    only: list[int] | None = None,
) -> Subquery:  # fmt: skip
    """A subquery: one row per order in range with its seconds, shipping and backorders
    (the backorders of the orders `only` names, when given: a page's)."""
    kept, unshipped = _parts(s, start, end, channel, now)
    u = kept.union_all(unshipped).subquery("u")
    bo = backorders(s, start, end, channel, now, by=BR.c.order_id)
    if only is not None:
        bo = bo.where(BR.c.order_id.in_(only))
    bo = bo.cte("bo")
    return (
        select(
            u.c.order_id, u.c.label, u.c.channel_id, u.c.ship_by, u.c.shipped_at, u.c.pick_s,
            u.c.pack_s, u.c.late, u.c.late_unshipped,
            func.coalesce(bo.c.lines, 0).label("bo_lines"),
            func.coalesce(bo.c.units, 0).label("bo_units"),
            func.coalesce(bo.c.open, 0).label("bo_open"),
            func.coalesce(bo.c.wait_s, 0.0).label("bo_wait_s"),
        )
        .select_from(u.outerjoin(bo, bo.c.key == u.c.order_id))
        .subquery("w")
    )  # fmt: skip


def by_channel(
    s: Session, start: datetime, end: datetime, channel: int | None, now: datetime
) -> list[dict[str, Any]]:
    """The figures of the orders in range per channel: each part summed by the database
    on its own (no row of an order leaves it), the two parts added here."""
    out: dict[int, dict[str, Any]] = {}
    for part in _parts(s, start, end, channel, now):
        p = part.subquery()
        for row in s.execute(select(p.c.channel_id, *sums(p)).group_by(p.c.channel_id)):
            figures = dict(row._mapping)
            mine = out.setdefault(row.channel_id, dict.fromkeys(figures, 0))
            for k, v in figures.items():
                mine[k] = row.channel_id if k == "channel_id" else mine[k] + (v or 0)
    return list(out.values())


def sums(w: Any) -> list[Any]:
    """The figures of a set of per-order rows, summed (orders, picked, packed, seconds ...)."""
    return [
        func.count().label("orders"),
        func.count(w.c.pick_s).label("picked_orders"),
        func.count(w.c.pack_s).label("packed_orders"),
        func.coalesce(func.sum(w.c.pick_s), 0.0).label("pick_s"),
        func.coalesce(func.sum(w.c.pack_s), 0.0).label("pack_s"),
        func.count(w.c.shipped_at).label("shipped"),
        func.coalesce(func.sum(w.c.late), 0).label("late"),
        func.coalesce(func.sum(w.c.late_unshipped), 0).label("late_unshipped"),
    ]


def backorders(
    s: Session, start: datetime, end: datetime, channel: int | None, now: datetime, by: Any
) -> Select[Any]:
    """Backorders that began in [start, end), per `by` (order or channel id): lines, units,
    orders, how many still wait, and the seconds they waited (until now for those)."""
    where = [BR.c.began_at >= start, BR.c.began_at < end]
    if channel is not None:
        where.append(BR.c.channel_id == channel)
    until = func.coalesce(BR.c.resolved_at, literal(now, BR.c.began_at.type))
    return (
        select(
            by.label("key"),
            func.count().label("lines"),
            func.count(func.distinct(BR.c.order_id)).label("orders"),
            func.sum(BR.c.qty_short).label("units"),
            func.sum(case((BR.c.resolved_at.is_(None), 1), else_=0)).label("open"),
            func.sum(seconds(s.get_bind().dialect.name, BR.c.began_at, until)).label("wait_s"),
        )
        .where(*where)
        .group_by(by)
    )
