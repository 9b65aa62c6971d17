"""The warehouse side of the same sales: minutes of picking and packing per order and per
channel (from scan times), late shipments, and oversold orders avoided (backordered lines).

Orders are those placed in the range, as in the margin report (cancelled and unpaid left
out). Picking time is a batch's span, from its hand-over to the picker (or its first scan)
to its last scan, shared among its orders by the units picked for each; packing time is
the pack session's span, from the order's first scan at the bench to its last parcel.
A shipment is late when it was handed over after the order's ship-by time; one still
waiting past its ship-by is counted apart. A line is an oversell avoided when the order
waits for units it was not given (backordered) rather than taking units promised to
another order: it is counted while it waits.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import msgspec
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.domain.orders import OrderStatus
from wms.errors import WmsError
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import PickBatch, PickTask, PickTaskLine
from wms.models.shipping import PackSession, Shipment
from wms.reports.margin import EXCLUDED

GROUPS = ("channel", "order")
_DONE = (OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value, OrderStatus.CANCELLED.value)


class WorkRow(msgspec.Struct, kw_only=True):
    """One channel's (or one order's) warehouse work; minutes to a tenth."""

    key: str
    label: str
    orders: int = 0
    picked_orders: int = 0
    packed_orders: int = 0
    pick_minutes: float = 0.0
    pack_minutes: float = 0.0
    pick_minutes_per_order: float | None = None
    pack_minutes_per_order: float | None = None
    shipped: int = 0
    late: int = 0
    late_unshipped: int = 0
    backordered_orders: int = 0
    backordered_lines: int = 0
    backordered_units: int = 0
    ship_by: str | None = None  # an order's row only
    shipped_at: str | None = None  # an order's row only


class WorkReport(msgspec.Struct, kw_only=True):
    group: str
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    channel: str | None
    rows: list[WorkRow]
    total: WorkRow


def _aware(at: datetime | None) -> datetime | None:
    # SQLite hands back naive timestamps; every timestamp we store is UTC.
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


@reads
def work_report(
    s: Session, group: str, first: date, last: date, channel: str | None = None
) -> WorkReport:
    """Picking and packing minutes, late shipments and backorders, per channel or order."""
    if group not in GROUPS:
        raise WmsError("bad_group", "Unknown grouping", f"group is one of {', '.join(GROUPS)}")
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    when = func.coalesce(SalesOrder.placed_at, SalesOrder.created_at)
    where = and_(when >= start, when < end, SalesOrder.status.notin_(list(EXCLUDED)))
    if channel:
        where = and_(where, Channel.code == channel)
    orders = s.execute(
        select(SalesOrder.id, SalesOrder.reference, SalesOrder.status, SalesOrder.ship_by,
               Channel.code, Channel.name, Shipment.shipped_at)
        .join(Channel, Channel.id == SalesOrder.channel_id)
        .outerjoin(Shipment, Shipment.order_id == SalesOrder.id)
        .where(where)
    ).all()  # fmt: skip
    in_range = select(SalesOrder.id).join(Channel, Channel.id == SalesOrder.channel_id).where(where)
    picks = s.execute(
        select(PickTask.batch_id, OrderLine.order_id, func.sum(PickTaskLine.picked))
        .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
        .join(OrderLine, OrderLine.id == PickTaskLine.order_line_id)
        .where(OrderLine.order_id.in_(in_range), PickTaskLine.picked > 0)
        .group_by(PickTask.batch_id, OrderLine.order_id)
    ).all()
    batch_ids = {b for b, _, _ in picks}
    spans: dict[int, tuple[float, int]] = {}
    if batch_ids:
        for batch_id, assigned, first_scan, last_scan, units in s.execute(
            select(PickBatch.id, PickBatch.assigned_at, func.min(PickTask.picked_at),
                   func.max(PickTask.picked_at), func.sum(PickTaskLine.picked))
            .join(PickTask, PickTask.batch_id == PickBatch.id)
            .join(PickTaskLine, PickTaskLine.task_id == PickTask.id)
            .where(PickBatch.id.in_(sorted(batch_ids)), PickTask.picked_at.is_not(None))
            .group_by(PickBatch.id, PickBatch.assigned_at)
        ):  # fmt: skip
            began = _aware(assigned) or _aware(first_scan)
            ended = _aware(last_scan)
            seconds = max(0.0, (ended - began).total_seconds()) if began and ended else 0.0
            spans[batch_id] = (seconds, int(units or 0))
    pick_s: dict[int, float] = defaultdict(float)
    for batch_id, order_id, units in picks:
        seconds, batch_units = spans.get(batch_id, (0.0, 0))
        if batch_units:
            pick_s[order_id] += seconds * int(units or 0) / batch_units
    pack_s: dict[int, float] = {}
    for order_id, began, ended in s.execute(
        select(PackSession.order_id, PackSession.started_at, PackSession.closed_at).where(
            PackSession.order_id.in_(in_range), PackSession.closed_at.is_not(None)
        )
    ):
        pack_s[order_id] = max(0.0, (_aware(ended) - _aware(began)).total_seconds())  # type: ignore[operator]
    short: dict[int, tuple[int, int]] = {}
    for order_id, lines, units in s.execute(
        select(OrderLine.order_id, func.count(),
               func.sum(OrderLine.qty - OrderLine.reserved - OrderLine.picked))
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(OrderLine.order_id.in_(in_range), SalesOrder.status.notin_(_DONE),
               OrderLine.qty > OrderLine.reserved + OrderLine.picked)
        .group_by(OrderLine.order_id)
    ):  # fmt: skip
        short[order_id] = (int(lines), int(units or 0))

    now = utcnow()
    rows: dict[str, WorkRow] = {}
    total = WorkRow(key="", label="total")
    for oid, reference, _status, ship_by, code, name, shipped_at in orders:
        ship_by, shipped_at = _aware(ship_by), _aware(shipped_at)
        key, label = (code, name) if group == "channel" else (str(oid), reference)
        row = rows.setdefault(key, WorkRow(key=key, label=label))
        if group == "order":
            row.ship_by = ship_by.isoformat() if ship_by else None
            row.shipped_at = shipped_at.isoformat() if shipped_at else None
        lines, units = short.get(oid, (0, 0))
        for target in (row, total):
            target.orders += 1
            target.picked_orders += oid in pick_s
            target.packed_orders += oid in pack_s
            target.pick_minutes += pick_s.get(oid, 0.0)
            target.pack_minutes += pack_s.get(oid, 0.0)
            target.shipped += shipped_at is not None
            target.late += bool(shipped_at and ship_by and shipped_at > ship_by)
            target.late_unshipped += bool(not shipped_at and ship_by and ship_by < now)
            target.backordered_orders += lines > 0
            target.backordered_lines += lines
            target.backordered_units += units
    for target in (*rows.values(), total):
        # Summed in seconds above; minutes rounded once, here.
        pick, pack = target.pick_minutes, target.pack_minutes
        target.pick_minutes, target.pack_minutes = _minutes(pick), _minutes(pack)
        if target.picked_orders:
            target.pick_minutes_per_order = _minutes(pick / target.picked_orders)
        if target.packed_orders:
            target.pack_minutes_per_order = _minutes(pack / target.packed_orders)
    return WorkReport(
        group=group, start=first.isoformat(), end=last.isoformat(), channel=channel or None,
        rows=[rows[k] for k in sorted(rows, key=lambda k: (rows[k].label, k))], total=total,
    )  # fmt: skip


CSV_COLUMNS = tuple(f for f in WorkRow.__struct_fields__)


def as_csv(report: WorkReport) -> str:
    """The report's rows and its total row as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*report.rows, report.total]:
        writer.writerow(["" if (v := getattr(row, c)) is None else v for c in CSV_COLUMNS])
    return out.getvalue()
