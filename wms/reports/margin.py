"""Contribution margin by channel, product, creator, content, day or week: queries over facts.

Sums are taken in SQL over exact integers (money_fact.amount_e4, or the daily summary
margin_day that holds the same sums per day), per group, order day, currency and kind; each
such sum is converted to the reporting currency at that day's rate and rounded to the cent
once. A sum whose day has no rate is left out of the figures and flagged (never converted
at 1.0). Cancelled and unpaid orders are excluded and counted apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from wms.domain.money import CENT, KNOWN_CURRENCIES, RateTable, cents, margin_pct
from wms.errors import WmsError
from wms.models.money import E4
from wms.reports import margin_rates
from wms.reports import margin_summary as summary
from wms.reports.margin_summary import EXCLUDED, FIGURES, LINE_GROUPS, MD
from wms.services.money_facts import COSTS
from wms.services.rates import rate_table

GROUPS = ("channel", "product", "creator", "content", "day", "week", "order")
MAX_DAYS = 366 * 2

_MF = summary._MF
_SO = summary._SO
_OL = summary._OL
_CH = summary._CH
_RL = summary._RL
_UNSEEN = Decimal(-1)
__all__ = ["EXCLUDED", "FIGURES", "GROUPS", "LINE_GROUPS", "margin_report", "parse_range"]


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
            # Each figure is a sum of amounts already in whole cents (`margin_report`).
            **{k: str(v) for k, v in f.items()},
            "margin": str(margin),
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


@dataclass
class _Source:
    """One source's queries: money (k, l, d, currency, kind, e4) per key and day; volume
    (k, l, units, orders) per key; returned (k, units) per key; totals (orders, units)."""

    money: Any
    volume: Any
    returned: Any
    totals: Any


def _from_summary(group: str, days: Any) -> _Source:
    """The figures of the days `where` picks (one channel's rows, or channel 0's), read from
    margin_day: one row per key, day and currency already, so none is grouped before."""
    grp = "day" if group == "week" else group
    k = MD.c.key
    where = and_(days, MD.c.grp == grp)
    volume = where & (MD.c.currency == "")
    return _Source(
        money=select(
            k.label("k"),
            MD.c.label.label("l"),
            MD.c.day.label("d"),
            MD.c.currency,
            *(MD.c[f] for f in FIGURES),
        ).where(where, MD.c.currency != ""),  # fmt: skip
        volume=select(
            k.label("k"),
            func.max(MD.c.label).label("l"),
            func.sum(MD.c.units).label("units"),
            func.sum(MD.c.orders).label("orders"),
            func.sum(MD.c.returned).label("returned"),
        )
        .where(volume)
        .group_by(k),
        returned=None,  # on the volume rows: one scan
        totals=select(func.sum(MD.c.orders), func.sum(MD.c.units)).where(
            and_(days, MD.c.grp == "day", MD.c.currency == "")
        ),
    )


def _from_facts(s: Session, group: str, in_range: Any) -> _Source:
    """The figures of the orders `in_range` picks, summed from the facts themselves."""
    day = summary.day_of(s)
    key, label = summary.key_of(group, day)
    counted = summary.counted()
    lines = group in LINE_GROUPS
    base = summary.with_channel
    sums = [
        cast(func.sum(case((_MF.c.kind == f, _MF.c.amount_e4), else_=0)), BigInteger).label(f)
        for f in FIGURES
    ]
    money = (
        base(
            select(
                key.label("k"),
                func.max(label).label("l"),
                day.label("d"),
                _MF.c.currency,
                *sums,
            ).select_from(  # fmt: skip
                _MF.join(_SO, _SO.c.id == _MF.c.order_id).outerjoin(_OL, _OL.c.id == _MF.c.line_id)
                if lines
                else _MF.join(_SO, _SO.c.id == _MF.c.order_id)
            ),
            with_lines=lines,
        )
        .where(in_range, counted, _MF.c.current, _MF.c.kind.in_(FIGURES))
        .group_by(key, day, _MF.c.currency)
    )
    # The day and week reports count every line once (the channel rows of the summary too).
    by_day = group in ("day", "week")
    volume = (
        base(
            select(
                key.label("k"),
                func.max(label).label("l"),
                func.sum(_OL.c.qty).label("units"),
                func.count(func.distinct(_SO.c.id)).label("orders"),
            )  # fmt: skip
            .select_from(_OL)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=not by_day and group != "channel",
        )
        .where(in_range, counted)
        .group_by(key)
    )
    returned = (
        base(
            select(key.label("k"), func.sum(_RL.c.qty).label("units"))
            .select_from(_RL)
            .join(_OL, _OL.c.id == _RL.c.order_line_id)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=not by_day and group != "channel",
        )
        .where(in_range, counted)
        .group_by(key)
    )
    totals = (
        select(func.count(func.distinct(_SO.c.id)), func.sum(_OL.c.qty))
        .select_from(_OL)
        .join(_SO, _SO.c.id == _OL.c.order_id)
        .join(_CH, _CH.c.id == _SO.c.channel_id)
        .where(in_range, counted)
    )
    return _Source(money, volume, returned, totals)


def in_range_of(first: date, last: date, channel: str | None) -> Any:
    """The orders placed (or, lacking that, created) on those days, on that channel."""
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    when = func.coalesce(_SO.c.placed_at, _SO.c.created_at)
    in_range = and_(when >= start, when < end)
    if channel:
        in_range = and_(in_range, _CH.c.code == channel)
    return in_range


def sources_of(
    s: Session, group: str, first: date, last: date, channel: str | None
) -> list[_Source]:
    """Days the summary has up to date are read from it; the days marked stale since its
    last refresh are summed from the facts, so the answer is the facts' either way."""
    stale = [d for d in summary.stale_days(s) if first.isoformat() <= d <= last.isoformat()]
    fresh = and_(MD.c.day >= first.isoformat(), MD.c.day <= last.isoformat())
    if stale:
        fresh = and_(fresh, MD.c.day.notin_(stale))
    # Channel 0's rows hold every channel's sums at once (no grouping needed to read them).
    fresh = and_(fresh, MD.c.channel_id == (
        select(_CH.c.id).where(_CH.c.code == channel).scalar_subquery() if channel else 0
    ))  # fmt: skip
    sources = [_from_summary(group, fresh)]
    if stale:
        in_range = in_range_of(first, last, channel)
        sources.append(_from_facts(s, group, and_(in_range, summary.day_of(s).in_(stale))))
    return sources


def checked(group: str, reporting: str) -> None:
    if group not in GROUPS:
        raise WmsError("bad_group", "Unknown grouping", f"group is one of {', '.join(GROUPS)}")
    if reporting not in KNOWN_CURRENCIES:
        raise WmsError("unknown_currency", "Unknown currency", f"no rates are kept for {reporting}")


def margin_report(
    s: Session,
    group: str,
    first: date,
    last: date,
    reporting: str,
    channel: str | None = None,
) -> dict[str, Any]:
    """The margin report: one row per group key, a total row, and what was left out."""
    checked(group, reporting)
    sources = sources_of(s, group, first, last, channel)
    rows, total = figures(s, group, sources, rate_table(s, first, last), reporting, first, last)
    return {
        "group": group,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "currency": reporting,
        "channel": channel or None,
        "rows": [rows[k].as_dict() for k in sorted(rows)],
        "total": total.as_dict(),
        "excluded": excluded(s, in_range_of(first, last, channel)),
        "missing_rate": bool(total.missing_rate),
        "count": len(rows),
        "offset": 0,
        "limit": None,
        "sort": None,
    }


def excluded(s: Session, in_range: Any) -> dict[str, int]:
    """Cancelled and unpaid orders in the range, counted apart."""
    counts = {name: 0 for name in EXCLUDED.values()}
    query = (
        select(_SO.c.status, func.count())
        .select_from(_SO)
        .join(_CH, _CH.c.id == _SO.c.channel_id)
        .where(in_range, _SO.c.status.in_(list(EXCLUDED)))
        .group_by(_SO.c.status)
    )
    for status, n in s.execute(query):
        counts[EXCLUDED[status]] = int(n)
    return counts


def figures(
    s: Session,
    group: str,
    sources: list[_Source],
    rates: RateTable,
    reporting: str,
    first: date,
    last: date,
) -> tuple[dict[str, Row], Row]:
    """The rows of every key the sources hold, and their total row.

    Each (key, day, currency) sum is converted at that day's rate and rounded to the cent
    once, then added up per key. In SQL: the reporting currency's sums (no rate needed) and
    the others' through `margin_rates` (exact on PostgreSQL; on SQLite wherever the REAL
    product is clearly away from a half cent). Only the sums left (no rate that day, or too
    near a half cent for REAL) come back to Python one by one, for Decimal or a flag.
    """
    rows: dict[str, Row] = {}

    def row(k: Any, lbl: Any) -> Row:
        k, lbl = str(k if k is not None else ""), str(lbl if lbl is not None else "")
        if group == "week":
            monday = date.fromisoformat(k) - timedelta(days=date.fromisoformat(k).weekday())
            k = lbl = monday.isoformat()
        if k not in rows:
            rows[k] = Row(k, lbl)
        return rows[k]

    def add_cents(query: Any) -> None:
        for k, lbl, *amounts in s.execute(query):
            target = row(k, lbl)
            for f, c in zip(FIGURES, amounts, strict=True):
                if c:
                    target.figures[f] += Decimal(int(c)) * CENT

    total = Row("", "total")
    factors = margin_rates.factors(s, rates, reporting, first, last)
    # One rate per (currency, day), looked up once.
    known: dict[tuple[str, str], Decimal | None] = {}
    for source in sources:
        per_day = source.money.subquery()
        mine = per_day.c.currency == reporting
        # The reporting currency's sums need no rate (nor the rates' join).
        add_cents(
            select(per_day.c.k, func.max(per_day.c.l),
                   *(func.sum(margin_rates.in_cents(s, per_day.c[f], None, mine)) for f in FIGURES))
            .where(mine)
            .group_by(per_day.c.k)
        )  # fmt: skip
        factor = factors.c.factor
        exact = margin_rates.exact_enough(s, [per_day.c[f] for f in FIGURES], factor)
        on = and_(factors.c.currency == per_day.c.currency, factors.c.day == per_day.c.d)
        add_cents(
            select(
                per_day.c.k, func.max(per_day.c.l),
                *(func.sum(margin_rates.in_cents(s, per_day.c[f], factor, None)) for f in FIGURES),
            )
            .select_from(per_day.join(factors, on))
            .where(~mine, exact)
            .group_by(per_day.c.k)
        )  # fmt: skip
        left = (
            select(per_day.c.k, per_day.c.l, per_day.c.d, per_day.c.currency,
                   *(per_day.c[f] for f in FIGURES))
            .select_from(per_day.outerjoin(factors, on))
            .where(~mine, or_(factor.is_(None), ~exact))
        )  # fmt: skip
        for k, lbl, d, currency, *amounts in s.execute(left):
            target = row(k, lbl)
            factor = known.get((currency, d), _UNSEEN)
            if factor is _UNSEEN:
                found = rates.rate(currency, reporting, date.fromisoformat(d))
                factor = known[(currency, d)] = None if found is None else found[0]
            if factor is None:
                target.missing_rate.add((d, currency))
                continue
            # As `convert` does: the sum at the day's rate, rounded to the cent once.
            for f, e4_sum in zip(FIGURES, amounts, strict=True):
                if e4_sum:
                    target.figures[f] += cents(Decimal(int(e4_sum)) * E4 * factor)
        for r in s.execute(source.volume):
            target = row(r.k, r.l)
            target.units += int(r.units or 0)
            target.orders += int(r.orders or 0)
            if source.returned is None:
                target.returned_units += int(r.returned or 0)
        for r in s.execute(source.returned) if source.returned is not None else ():
            target = row(r.k, r.k if group in ("day", "week") else None)
            target.returned_units += int(r.units or 0)
        orders, units = s.execute(source.totals).one()
        total.orders += int(orders or 0)
        total.units += int(units or 0)

    for r in rows.values():
        for k in FIGURES:
            total.figures[k] += r.figures[k]
        total.returned_units += r.returned_units
        total.missing_rate |= r.missing_rate
    return rows, total


CSV_COLUMNS = ("key", "label", "revenue", *COSTS, "margin", "margin_pct", "units", "orders",
               "aov", "return_rate", "missing_rate")  # fmt: skip


def csv_text(rows: list[dict[str, Any]], header: bool = False) -> str:
    """Report rows as CSV lines (amounts as exact decimal text), the header first if asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                " ".join(r[c]) if c == "missing_rate" else ("" if r[c] is None else r[c])
                for c in CSV_COLUMNS
            ]  # fmt: skip
        )
    return out.getvalue()


def as_csv(report: dict[str, Any]) -> str:
    """The report's rows and total as CSV."""
    return csv_text([*report["rows"], report["total"]], header=True)
