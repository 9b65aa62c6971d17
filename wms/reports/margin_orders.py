"""The order-level margin report: a range's totals, then a sorted page of its orders.

A year holds ~10^5 orders, too many to build in Python or ship to a page. The orders are
ranked in SQL over the daily summary (margin_day's order rows; facts for stale days),
each figure converted to the reporting currency at its day's rate and rounded to the cent
as the report does, so the ranking is the figures'. Only the page's orders are then worked
out exactly from their facts (`margin.figures`, the other reports' code), and the total row
is the day report's, the range's figures summed per day (a sum of the rows may differ from
it by the per-order roundings). The CSV download walks every order in id order, a chunk
a transaction (`chunk`), so its memory stays flat whatever the range.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from wms.db import long_reads, reads
from wms.errors import WmsError
from wms.reports import margin, margin_rates
from wms.reports import margin_summary as summary
from wms.reports.margin_summary import _CH, _LA, _MF, _OL, _SO, FIGURES
from wms.services.money_facts import COSTS
from wms.services.rates import rate_table

SORTS = ("margin", "revenue", *COSTS, "margin_pct", "units", "label", "key")
"""What a page can be sorted by (a leading '-' for descending)."""
DEFAULT_SORT = "margin"
PAGE = 100
MAX_PAGE = 1000
CHUNK = 2000
DRILL = ("channel", "day", "product", "creator", "content")
"""The figures whose orders the console drills down to."""


def drill_ids(s: Session, by: str, key: str) -> Any:
    """The ids of the orders a figure (by channel, day, product, creator or content) is made of."""
    if by not in DRILL:
        raise WmsError("bad_group", "Unknown grouping", f"by is one of {', '.join(DRILL)}")
    ids = select(_SO.c.id).join(_CH, _CH.c.id == _SO.c.channel_id)
    if by == "channel":
        return ids.where(_CH.c.code == key)
    if by == "day":
        return ids.where(summary.day_of(s) == key)
    ids = ids.join(_OL, _OL.c.order_id == _SO.c.id)
    if by == "product":
        return ids.where(_OL.c.sku == key)
    ids = ids.outerjoin(_LA, _LA.c.line_id == _OL.c.id)
    if by == "creator":
        return ids.where(func.coalesce(_LA.c.creator, "") == key)
    kind, _, content_id = key.partition(":")
    return ids.where(
        func.coalesce(_LA.c.content_type, "") == kind,
        func.coalesce(_LA.c.content_id, "") == content_id,
    )


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``margin`` or ``-margin`` (descending): the column and whether it is descending."""
    raw = (sort or DEFAULT_SORT).strip()
    column, descending = raw.removeprefix("-"), raw.startswith("-")
    if column not in SORTS:
        raise WmsError("bad_sort", "Unknown sort", f"sort is one of {', '.join(SORTS)}")
    return column, descending


def parse_page(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = PAGE if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise WmsError("bad_page", "Bad page", f"limit is 1 to {MAX_PAGE}, offset 0 or more")
    return limit, offset


def _ranked(
    s: Session, sources: list[Any], column: str, reporting: str, first: date, last: date
) -> Any:
    """One row per order: its key, label and the figure `column` sorts by (in cents)."""
    money = union_all(*(src.money for src in sources)).subquery("money")
    need = {"margin": FIGURES, "margin_pct": FIGURES}.get(column, (column,))
    need = tuple(f for f in FIGURES if f in need)  # label, key and units need no money
    factors = (
        margin_rates.factors(s, rate_table(s, first, last), reporting, first, last)
        if need
        else None
    )
    mine = money.c.currency == reporting
    parts = [
        select(
            money.c.k,
            money.c.l,
            *(margin_rates.in_cents(s, money.c[f], factors.c.factor, mine).label(f) for f in need),
            literal(0).label("units"),
        ).select_from(  # fmt: skip
            money.outerjoin(
                factors, and_(factors.c.currency == money.c.currency, factors.c.day == money.c.d)
            )
            if factors is not None
            else money
        )
    ]
    if column == "units":  # an order's units are on its volume rows
        volume = union_all(*(src.volume for src in sources)).subquery("volume")
        parts.append(select(volume.c.k, volume.c.l, volume.c.units))
    rows = union_all(*parts).subquery("parts")
    sums = {f: func.sum(rows.c[f]) for f in (*need, "units")}
    if column in ("margin", "margin_pct"):
        margin_c = sums["revenue"] - sum((sums[c] for c in COSTS), literal(0))
        figure = margin_c if column == "margin" else case(
            (sums["revenue"] != 0, cast(margin_c, Float) / sums["revenue"]), else_=None
        )  # fmt: skip
    elif column in ("label", "key"):
        figure = literal(0)
    else:
        figure = sums[column]
    return (
        select(rows.c.k.label("k"), func.max(rows.c.l).label("l"), figure.label("figure"))
        .group_by(rows.c.k)
        .subquery("ranked")
    )


def order_page(
    s: Session,
    first: date,
    last: date,
    reporting: str,
    channel: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    drill: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The range's totals and one sorted page of its orders (`drill`: those behind a figure)."""
    margin.checked("order", reporting)
    column, descending = parse_sort(sort)
    limit, offset = parse_page(limit, offset)
    in_range = margin.in_range_of(first, last, channel)
    only = None if drill is None else drill_ids(s, *drill)
    if only is None:
        sources = margin.sources_of(s, "order", first, last, channel)
    else:  # a drill-down's orders: from their facts (the summary is kept per day, not per set)
        sources = [margin._from_facts(s, "order", and_(in_range, _SO.c.id.in_(only)))]
    ranked = _ranked(s, sources, column, reporting, first, last)
    by = {"label": ranked.c.l, "key": cast(ranked.c.k, BigInteger)}.get(column, ranked.c.figure)
    # No figure (a margin % without revenue) sorts as the lowest, on both engines.
    order = [
        by.desc().nulls_last() if descending else by.asc().nulls_first(),
        cast(ranked.c.k, BigInteger),
    ]
    # The count rides on the page's rows; only a page past the end asks for it apart.
    found = list(
        s.execute(
            select(ranked.c.k, func.count().over()).order_by(*order).limit(limit).offset(offset)
        )
    )
    count = (
        int(found[0][1])
        if found
        else int(s.execute(select(func.count()).select_from(ranked)).scalar_one())
    )
    page = [int(k) for k, _n in found]
    rows = _exact(s, in_range, page, reporting, first, last)
    day = margin.margin_report(s, "day", first, last, reporting, channel)
    return {
        **{k: day[k] for k in ("from", "to", "currency", "channel", "excluded", "missing_rate")},
        "group": "order",
        "rows": [rows[str(k)] for k in page if str(k) in rows],
        "total": day["total"],
        "count": count,
        "offset": offset,
        "limit": limit,
        "sort": ("-" if descending else "") + column,
    }


def _exact(
    s: Session, in_range: Any, ids: list[int], reporting: str, first: date, last: date
) -> dict[str, dict[str, Any]]:
    """These orders' rows, worked out exactly from their facts."""
    if not ids:
        return {}
    source = margin._from_facts(s, "order", and_(in_range, _SO.c.id.in_(ids)))
    rates = rate_table(s, first, last)
    rows, _total = margin.figures(s, "order", [source], rates, reporting, first, last)
    return {k: r.as_dict() for k, r in rows.items()}


@long_reads
def page(
    s: Session,
    first: date,
    last: date,
    reporting: str,
    channel: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    drill: tuple[str, str] | None = None,
) -> dict[str, Any]:
    return order_page(s, first, last, reporting, channel, sort, limit, offset, drill)


@long_reads
def chunk(
    s: Session,
    first: date,
    last: date,
    reporting: str,
    channel: str | None,
    after: int,
    drill: tuple[str, str] | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """The next orders after id `after` (in id order), exactly; and the last id, None at the end."""
    in_range = margin.in_range_of(first, last, channel)
    has = or_(
        exists().where(_OL.c.order_id == _SO.c.id), exists().where(_MF.c.order_id == _SO.c.id)
    )
    ids_q = (
        select(_SO.c.id)
        .join(_CH, _CH.c.id == _SO.c.channel_id)
        .where(in_range, summary.counted(), _SO.c.id > after, has)
        .order_by(_SO.c.id)
        .limit(CHUNK)
    )
    if drill is not None:
        ids_q = ids_q.where(_SO.c.id.in_(drill_ids(s, *drill)))
    ids = list(s.execute(ids_q).scalars())
    if not ids:
        return [], None
    rows = _exact(s, in_range, ids, reporting, first, last)
    return [rows[str(k)] for k in ids if str(k) in rows], ids[-1]


@reads
def _day_total(
    s: Session, first: date, last: date, reporting: str, channel: str | None
) -> dict[str, Any]:
    return margin.margin_report(s, "day", first, last, reporting, channel)["total"]  # type: ignore[no-any-return]


async def csv_chunks(
    db: Any,
    first: date,
    last: date,
    reporting: str,
    channel: str | None,
    drill: tuple[str, str] | None = None,
) -> AsyncIterator[str]:
    """Every order of the range (or behind a figure) as CSV, a chunk (one read) at a time,
    then the range's total row."""
    margin.checked("order", reporting)
    yield margin.csv_text([], header=True)
    after = 0
    while True:
        rows, last_id = await db.run(chunk, first, last, reporting, channel, after, drill)
        if rows:
            yield margin.csv_text(rows)
        if last_id is None:
            break
        after = last_id
    if drill is None:  # a drill-down's orders are part of the range: its total is not theirs
        yield margin.csv_text([await db.run(_day_total, first, last, reporting, channel)])
