"""The warehouse side of the same sales: minutes of picking and packing per order and per
channel (from scan times), late shipments, and oversold orders avoided (backordered lines).

Orders are those placed in the range, as in the margin report (cancelled and unpaid left
out). Picking time is a batch's span, from its hand-over to the picker (or its first scan)
to its last scan, shared among its orders by the units picked for each; packing time is
the pack session's span, from the order's first scan at the bench to its last parcel.
A shipment is late when it was handed over after the order's ship-by time; one still
waiting past its ship-by is counted apart. A backorder is an oversell avoided: a line that
waited for units rather than taking units promised to another order. Every backorder that
began in the range is counted from its record, resolved or not, with its units and the
minutes it waited; an order's row shows its own. The figures are summed by the database
(`margin_work_sql`); the per-order grouping is a sorted page (`limit`, `offset`, `sort`)
with the count of rows and the total, and its CSV streams every row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import long_reads
from wms.errors import WmsError
from wms.models import Channel
from wms.models.common import utcnow
from wms.reports import margin_work_sql as q

GROUPS = ("channel", "order")
# Fields a page may be sorted by (a leading "-" sorts descending); label is the default.
SORTS = ("label", "key", "orders", "pick_minutes", "pack_minutes", "late", "late_unshipped",
         "shipped_at", "ship_by", "backordered_lines", "backordered_units",
         "backorder_wait_minutes")  # fmt: skip
MAX_LIMIT = 1000


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
    backorders_open: int = 0  # of those, still waiting
    backorder_wait_minutes: float = 0.0  # summed over the lines (until now if still waiting)
    ship_by: str | None = None  # an order's row only
    shipped_at: str | None = None  # an order's row only


class WorkReport(msgspec.Struct, kw_only=True):
    group: str
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    channel: str | None
    sort: str
    limit: int
    offset: int
    count: int  # rows in the whole report; `rows` is the page from `offset`
    rows: list[WorkRow]
    total: WorkRow


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _iso(at: datetime | None) -> str | None:
    # SQLite hands back naive timestamps; every timestamp we store is UTC.
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at).isoformat() if at else None


def _fill(row: WorkRow, work: Any, bo: Any) -> WorkRow:
    """Figures summed in seconds by the database; minutes rounded once, here."""
    row.orders, row.picked_orders, row.packed_orders = (
        work.orders,
        work.picked_orders,
        work.packed_orders,
    )
    row.pick_minutes, row.pack_minutes = _minutes(work.pick_s), _minutes(work.pack_s)
    if work.picked_orders:
        row.pick_minutes_per_order = _minutes(work.pick_s / work.picked_orders)
    if work.packed_orders:
        row.pack_minutes_per_order = _minutes(work.pack_s / work.packed_orders)
    row.shipped, row.late, row.late_unshipped = (
        work.shipped,
        int(work.late),
        int(work.late_unshipped),
    )
    if bo is not None:
        row.backordered_orders, row.backordered_lines = int(bo.orders), int(bo.lines)
        row.backordered_units, row.backorders_open = int(bo.units or 0), int(bo.open or 0)
        row.backorder_wait_minutes = _minutes(float(bo.wait_s or 0.0))
    return row


def _order_row(r: Any) -> WorkRow:
    picked, packed = r.pick_s is not None, r.pack_s is not None
    return WorkRow(
        key=str(r.order_id), label=r.label, orders=1, picked_orders=int(picked),
        packed_orders=int(packed), pick_minutes=_minutes(r.pick_s or 0.0),
        pack_minutes=_minutes(r.pack_s or 0.0),
        pick_minutes_per_order=_minutes(r.pick_s) if picked else None,
        pack_minutes_per_order=_minutes(r.pack_s) if packed else None,
        shipped=int(r.shipped_at is not None), late=int(r.late),
        late_unshipped=int(r.late_unshipped), backordered_orders=int(r.bo_lines > 0),
        backordered_lines=int(r.bo_lines), backordered_units=int(r.bo_units),
        backorders_open=int(r.bo_open), backorder_wait_minutes=_minutes(float(r.bo_wait_s)),
        ship_by=_iso(r.ship_by), shipped_at=_iso(r.shipped_at),
    )  # fmt: skip


def _check(group: str, sort: str, limit: int, offset: int) -> tuple[str, bool]:
    if group not in GROUPS:
        raise WmsError("bad_group", "Unknown grouping", f"group is one of {', '.join(GROUPS)}")
    field = sort.removeprefix("-")
    if field not in SORTS:
        raise WmsError("bad_sort", "Unknown sort", f"sort is one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise WmsError("bad_page", "Bad page", f"limit is 1 to {MAX_LIMIT}, offset 0 or more")
    return field, sort.startswith("-")


def _span(first: date, last: date) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time.min, UTC),
            datetime.combine(last + timedelta(days=1), time.min, UTC))  # fmt: skip


_BY_BACKORDER = ("backordered_lines", "backordered_units", "backorder_wait_minutes")
_NO_WORK = SimpleNamespace(orders=0, picked_orders=0, packed_orders=0, pick_s=0.0, pack_s=0.0,
                           shipped=0, late=0, late_unshipped=0)  # fmt: skip


_WORK = tuple(vars(_NO_WORK))
_BACKORDERS = ("lines", "orders", "units", "open", "wait_s")


def _added(rows: list[Any], names: tuple[str, ...]) -> SimpleNamespace:
    """The channels' figures added up (an order belongs to one channel)."""
    return SimpleNamespace(**{n: sum(getattr(r, n) or 0 for r in rows) for n in names})


def _sort_value(row: WorkRow, field: str) -> tuple[bool, Any]:
    value = getattr(row, field)
    return value is None, value if value is not None else 0


# Sort expressions of the per-order rows (w) for each field; ties broken by the order id.
def _order_by(w: Any, field: str, desc: bool) -> list[Any]:
    column = {
        "label": w.c.label, "key": w.c.order_id, "orders": w.c.order_id,
        "pick_minutes": w.c.pick_s, "pack_minutes": w.c.pack_s, "late": w.c.late,
        "late_unshipped": w.c.late_unshipped, "shipped_at": w.c.shipped_at,
        "ship_by": w.c.ship_by, "backordered_lines": w.c.bo_lines,
        "backordered_units": w.c.bo_units, "backorder_wait_minutes": w.c.bo_wait_s,
    }[field]  # fmt: skip
    return [column.desc() if desc else column.asc(), w.c.order_id]


@long_reads
def work_report(
    s: Session, group: str, first: date, last: date, channel: str | None = None,
    *, sort: str = "label", limit: int = 100, offset: int = 0,
) -> WorkReport:  # fmt: skip
    """Picking and packing minutes, late shipments and backorders, per channel or order."""
    field, desc = _check(group, sort, limit, offset)
    start, end = _span(first, last)
    cid, now = q.channel_id(s, channel), utcnow()
    w = q.per_order(s, start, end, cid, now)
    bo_all = s.execute(q.backorders(s, start, end, cid, now, by=q.BR.c.channel_id)).all()
    work = [SimpleNamespace(**r) for r in q.by_channel(s, start, end, cid, now)]
    total = WorkRow(key="", label="total")
    totals = _added(work, _WORK)  # the channels' figures: the orders are summed once
    _fill(total, totals, _added(bo_all, _BACKORDERS) if bo_all else None)
    if group == "channel":
        channels = s.execute(select(Channel.id, Channel.code, Channel.name))
        names = {c.id: (c.code, c.name) for c in channels}
        by_bo = {r.key: r for r in bo_all}
        figures = {r.channel_id: r for r in work}
        rows = [
            _fill(WorkRow(key=names[cid_][0], label=names[cid_][1]),
                  figures.get(cid_, _NO_WORK), by_bo.get(cid_))
            for cid_ in set(figures) | set(by_bo)  # a channel may have backorders only
        ]  # fmt: skip
        rows.sort(key=lambda r: (r.label, r.key))
        rows.sort(key=lambda r: _sort_value(r, field), reverse=desc)
        page, count = rows[offset : offset + limit], len(rows)
    else:
        count = int(totals.orders)
        if field not in _BY_BACKORDER:
            # The page is chosen without the backorders (no sort needs them), and only its
            # orders' backorders are joined: a year's orders are not each looked up.
            w = q.per_order(s, start, end, cid, now, only=[])
            ids = list(s.execute(
                select(w.c.order_id).order_by(*_order_by(w, field, desc)).limit(limit)
                .offset(offset)
            ).scalars())  # fmt: skip
            w = q.per_order(s, start, end, cid, now, only=ids)
            chosen = select(w).where(w.c.order_id.in_(ids))
        else:
            chosen = select(w).limit(limit).offset(offset)
        page = [_order_row(r) for r in s.execute(chosen.order_by(*_order_by(w, field, desc)))]
    return WorkReport(
        group=group, start=first.isoformat(), end=last.isoformat(), channel=channel or None,
        sort=sort, limit=limit, offset=offset, count=count, rows=page, total=total,
    )  # fmt: skip


CSV_COLUMNS = tuple(f for f in WorkRow.__struct_fields__)


def _csv_line(row: WorkRow) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        ["" if (v := getattr(row, c)) is None else v for c in CSV_COLUMNS]
    )
    return out.getvalue()


def as_csv(report: WorkReport) -> str:
    """The report's rows (this page) and its total row as CSV."""
    return "".join(as_csv_lines(report.rows, report.total))


def as_csv_lines(rows: Iterator[WorkRow] | list[WorkRow], total: WorkRow) -> Iterator[str]:
    """The header, each row, then the total row: one CSV line at a time (for streaming)."""
    yield ",".join(CSV_COLUMNS) + "\n"
    for row in rows:
        yield _csv_line(row)
    yield _csv_line(total)


@long_reads
def every_row(
    s: Session, group: str, first: date, last: date, channel: str | None = None,
    *, sort: str = "label",
) -> tuple[list[WorkRow], WorkRow]:  # fmt: skip
    """Every row of the report (no page) and its total, for the CSV download."""
    if group == "channel":
        report = work_report(s, group, first, last, channel, sort=sort, limit=MAX_LIMIT)
        return report.rows, report.total
    report = work_report(s, group, first, last, channel, sort=sort, limit=1)
    field, desc = _check(group, sort, 1, 0)
    start, end = _span(first, last)
    w = q.per_order(s, start, end, q.channel_id(s, channel), utcnow())
    rows = s.execute(select(w).order_by(*_order_by(w, field, desc)))
    return [_order_row(r) for r in rows], report.total
