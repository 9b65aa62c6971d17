"""Contribution margin by channel, product, creator, content, day or week: queries over facts.

Sums are taken in SQL over exact integers (money_fact.amount_e4), per group, order day,
currency and kind; each such sum is converted to the reporting currency at that day's
rate and rounded to the cent once. A sum whose day has no rate is left out of the
figures and flagged (never converted at 1.0). Cancelled and unpaid orders are excluded
and counted apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, String, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from wms.domain.money import CENT, KNOWN_CURRENCIES, RateTable, cents, margin_pct
from wms.domain.orders import OrderStatus
from wms.errors import WmsError
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.money import E4, LineAttribution, MoneyFact
from wms.models.shipping import ReturnLine
from wms.services.money_facts import COSTS
from wms.services.rates import rate_table

GROUPS = ("channel", "product", "creator", "content", "day", "week", "order")
EXCLUDED = {OrderStatus.CANCELLED.value: "cancelled", OrderStatus.AWAITING_PAYMENT.value: "unpaid"}
MAX_DAYS = 366 * 2
FIGURES = ("revenue", *COSTS)

_MF = MoneyFact.__table__
_SO = SalesOrder.__table__
_OL = OrderLine.__table__
_LA = LineAttribution.__table__
_CH = Channel.__table__
_RL = ReturnLine.__table__


@dataclass
class Row:
    key: str
    label: str
    figures: dict[str, Decimal] = field(
        default_factory=lambda: {k: Decimal("0.00") for k in FIGURES}
    )
    units: int = 0
    orders: int = 0
    returned_units: int = 0
    missing_rate: set[tuple[str, str]] = field(default_factory=set)  # (day, currency)

    def as_dict(self) -> dict[str, Any]:
        f = self.figures
        margin = f["revenue"] - sum((f[k] for k in COSTS), Decimal(0))
        pct = margin_pct(f["revenue"], margin)
        return {
            "key": self.key,
            "label": self.label,
            **{k: str(cents(v)) for k, v in f.items()},
            "margin": str(cents(margin)),
            "margin_pct": None if pct is None else str(pct),
            "units": self.units,
            "orders": self.orders,
            "aov": str(cents(f["revenue"] / self.orders)) if self.orders else None,
            "return_rate": str(cents(Decimal(self.returned_units) * 100 / self.units))
            if self.units
            else None,
            "missing_rate": sorted(f"{d} {c}" for d, c in self.missing_rate),
        }


def parse_range(start: str | None, end: str | None) -> tuple[date, date]:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise WmsError("bad_date", "Bad date", "from and to are YYYY-MM-DD days") from None
    if first is None or last is None:
        raise WmsError("bad_date", "Bad date", "from and to are both needed (YYYY-MM-DD)")
    if last < first:
        raise WmsError("bad_range", "Range ends early", f"to {last} is before from {first}")
    if (last - first).days > MAX_DAYS:
        raise WmsError("range_too_long", "Range too long", f"at most {MAX_DAYS} days")
    return first, last


def _day(s: Session) -> Any:
    """The order's day (UTC), as 'YYYY-MM-DD' text on both engines."""
    when = func.coalesce(_SO.c.placed_at, _SO.c.created_at)
    if s.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        return func.substr(when, 1, 10)
    return cast(cast(func.timezone("UTC", when), Date), String)


def _key(s: Session, group: str, day: Any) -> tuple[Any, Any]:
    if group == "channel":
        return _CH.c.code, _CH.c.name
    if group == "product":
        return _OL.c.sku, _OL.c.name
    if group == "creator":
        return func.coalesce(_LA.c.creator, ""), func.coalesce(_LA.c.creator, "")
    if group == "content":
        key = (
            func.coalesce(_LA.c.content_type, "")
            + literal(":")
            + func.coalesce(_LA.c.content_id, "")
        )
        return key, func.coalesce(_LA.c.creator, "")
    if group == "order":
        return cast(_SO.c.id, String), _SO.c.reference
    return day, day  # day; weeks are folded from days in Python


_UNSEEN = Decimal(-1)
LINE_GROUPS = ("product", "creator", "content")
"""Groupings whose key is on the line or its attribution (the others need neither join)."""


def _base(query: Any, with_lines: bool) -> Any:
    query = query.join(_CH, _CH.c.id == _SO.c.channel_id)
    if with_lines:
        query = query.outerjoin(_LA, _LA.c.line_id == _OL.c.id)
    return query


def margin_report(
    s: Session,
    group: str,
    first: date,
    last: date,
    reporting: str,
    channel: str | None = None,
) -> dict[str, Any]:
    """The margin report: one row per group key, a total row, and what was left out."""
    if group not in GROUPS:
        raise WmsError("bad_group", "Unknown grouping", f"group is one of {', '.join(GROUPS)}")
    if reporting not in KNOWN_CURRENCIES:
        raise WmsError("unknown_currency", "Unknown currency", f"no rates are kept for {reporting}")
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    when = func.coalesce(_SO.c.placed_at, _SO.c.created_at)
    in_range = and_(when >= start, when < end)
    if channel:
        in_range = and_(in_range, _CH.c.code == channel)
    counted = _SO.c.status.notin_(list(EXCLUDED))
    day = _day(s)
    key, label = _key(s, group, day)

    money = (
        _base(
            select(
                key.label("k"),
                func.max(label).label("l"),
                day.label("d"),
                _MF.c.currency,
                _MF.c.kind,
                cast(func.sum(_MF.c.amount_e4), BigInteger).label("e4"),
            ).select_from(  # fmt: skip
                _MF.join(_SO, _SO.c.id == _MF.c.order_id).outerjoin(_OL, _OL.c.id == _MF.c.line_id)
                if group in LINE_GROUPS
                else _MF.join(_SO, _SO.c.id == _MF.c.order_id)
            ),
            with_lines=group in LINE_GROUPS,
        )
        .where(in_range, counted, _MF.c.current, _MF.c.kind.in_(FIGURES))
        .group_by(key, day, _MF.c.currency, _MF.c.kind)
    )
    volume = (
        _base(
            select(
                key.label("k"),
                func.max(label).label("l"),
                func.sum(_OL.c.qty).label("units"),
                func.count(func.distinct(_SO.c.id)).label("orders"),
            )  # fmt: skip
            .select_from(_OL)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=True,
        )
        .where(in_range, counted)
        .group_by(key)
    )
    returned = (
        _base(
            select(key.label("k"), func.sum(_RL.c.qty).label("units"))
            .select_from(_RL)
            .join(_OL, _OL.c.id == _RL.c.order_line_id)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=True,
        )
        .where(in_range, counted)
        .group_by(key)
    )
    excluded = (
        select(_SO.c.status, func.count())
        .select_from(_SO)
        .join(_CH, _CH.c.id == _SO.c.channel_id)
        .where(in_range, _SO.c.status.in_(list(EXCLUDED)))
        .group_by(_SO.c.status)
    )

    rates: RateTable = rate_table(s, first, last)
    rows: dict[str, Row] = {}

    def row(k: Any, lbl: Any) -> Row:
        k, lbl = str(k if k is not None else ""), str(lbl if lbl is not None else "")
        if group == "week":
            monday = date.fromisoformat(k) - timedelta(days=date.fromisoformat(k).weekday())
            k = lbl = monday.isoformat()
        if k not in rows:
            rows[k] = Row(k, lbl)
        return rows[k]

    # A day's sum in the reporting currency needs no rate: rounded to the cent (half up, as
    # `cents`) and added up in SQL, in exact integers, so only the other currencies' sums
    # come back one per day (a year by product is ~10^5 of them otherwise).
    per_day = money.subquery()
    e4 = per_day.c.e4
    to_cents = case((e4 >= 0, (e4 + 50) // 100), else_=-((50 - e4) // 100))
    mine = per_day.c.currency == reporting
    when = case((mine, literal("")), else_=per_day.c.d)
    folded = select(
        per_day.c.k, func.max(per_day.c.l), when, per_day.c.currency, per_day.c.kind,
        func.sum(to_cents), func.sum(e4),
    ).group_by(per_day.c.k, when, per_day.c.currency, per_day.c.kind)  # fmt: skip
    # One rate per (currency, day), looked up once.
    factors: dict[tuple[str, str], Decimal | None] = {}
    for k, lbl, d, currency, kind, n, e4_sum in s.execute(folded).tuples():
        target = row(k, lbl)
        if not d:  # the reporting currency's days, already in cents
            target.figures[kind] += Decimal(int(n)) * CENT
            continue
        factor = factors.get((currency, d), _UNSEEN)
        if factor is _UNSEEN:
            found = rates.rate(currency, reporting, date.fromisoformat(d))
            factor = factors[(currency, d)] = None if found is None else found[0]
        if factor is None:
            target.missing_rate.add((d, currency))
            continue
        # As `convert` does: the sum at the day's rate, rounded to the cent once.
        target.figures[kind] += cents(Decimal(int(e4_sum)) * E4 * factor)
    if group not in ("day", "week"):
        for r in s.execute(volume):
            target = row(r.k, r.l)
            target.units, target.orders = int(r.units or 0), int(r.orders or 0)
    else:
        per_day = (
            _base(
                select(
                    day.label("k"),
                    func.sum(_OL.c.qty).label("units"),
                    func.count(func.distinct(_SO.c.id)).label("orders"),
                )  # fmt: skip
                .select_from(_OL)
                .join(_SO, _SO.c.id == _OL.c.order_id),
                with_lines=False,
            )
            .where(in_range, counted)
            .group_by(day)
        )
        for r in s.execute(per_day):
            target = row(r.k, r.k)
            target.units += int(r.units or 0)
            target.orders += int(r.orders or 0)
    for r in s.execute(returned):
        row(r.k, r.k if group in ("day", "week") else None).returned_units += int(r.units or 0)

    total = Row("", "total")
    total_orders = s.execute(
        select(func.count(func.distinct(_SO.c.id)), func.sum(_OL.c.qty))
        .select_from(_OL)
        .join(_SO, _SO.c.id == _OL.c.order_id)
        .join(_CH, _CH.c.id == _SO.c.channel_id)
        .where(in_range, counted)
    ).one()
    for r in rows.values():
        for k in FIGURES:
            total.figures[k] += r.figures[k]
        total.returned_units += r.returned_units
        total.missing_rate |= r.missing_rate
    total.orders, total.units = int(total_orders[0] or 0), int(total_orders[1] or 0)
    if group in ("creator", "content", "product"):
        # A line belongs to one product and one creator, so these groups partition the
        # lines and the units; an order with two creators counts once in the total.
        total.returned_units = sum(r.returned_units for r in rows.values())
    counts = {name: 0 for name in EXCLUDED.values()}
    for status, n in s.execute(excluded):
        counts[EXCLUDED[status]] = int(n)
    return {
        "group": group,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "currency": reporting,
        "channel": channel or None,
        "rows": [rows[k].as_dict() for k in sorted(rows)],
        "total": total.as_dict(),
        "excluded": counts,
        "missing_rate": bool(total.missing_rate),
    }


CSV_COLUMNS = ("key", "label", "revenue", *COSTS, "margin", "margin_pct", "units", "orders",
               "aov", "return_rate", "missing_rate")  # fmt: skip


def as_csv(report: dict[str, Any]) -> str:
    """The report's rows and total as CSV (amounts as exact decimal text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in [*report["rows"], report["total"]]:
        writer.writerow(
            [
                " ".join(r[c]) if c == "missing_rate" else ("" if r[c] is None else r[c])
                for c in CSV_COLUMNS
            ]  # fmt: skip
        )
    return out.getvalue()
