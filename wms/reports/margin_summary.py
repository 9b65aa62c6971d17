"""The margin reports' daily summary (margin_day): built from the facts, refreshed for the
days database triggers marked stale, and checked against the facts by `wms check`.

One row per (order day, channel, grouping, key, currency, kind) holds the exact integer sum
of the current facts (ten-thousandths) or a count (units, orders, returned units) of the
orders counted in a report (cancelled and unpaid left out). A day's sums never mix days, so
a report over a range adds day rows up and rounds exactly as it would over the facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from wms.db import long_running
from wms.domain.orders import OrderStatus
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.money import LineAttribution, MarginDay, MarginStale, MoneyFact
from wms.models.shipping import ReturnLine
from wms.services.money_facts import COSTS

EXCLUDED = {OrderStatus.CANCELLED.value: "cancelled", OrderStatus.AWAITING_PAYMENT.value: "unpaid"}
FIGURES = ("revenue", *COSTS)
GRPS = ("channel", "product", "creator", "content", "order", "day")
"""The summary's groupings; the week report reads the day rows."""
LINE_GROUPS = ("product", "creator", "content")
"""Groupings whose key is on the line or its attribution (the others need neither join)."""
VOLUMES = ("units", "orders", "returned")

_MF = MoneyFact.__table__
_SO = SalesOrder.__table__
_OL = OrderLine.__table__
_LA = LineAttribution.__table__
_CH = Channel.__table__
_RL = ReturnLine.__table__
MD = MarginDay.__table__
_STALE = MarginStale.__table__
AMOUNTS = (*FIGURES, *VOLUMES)
_COLUMNS = ("day", "channel_id", "grp", "key", "label", "currency", *AMOUNTS)


def day_of(s: Session) -> Any:
    """The order's day (UTC), as 'YYYY-MM-DD' text on both engines (as the triggers write it)."""
    when = func.coalesce(_SO.c.placed_at, _SO.c.created_at)
    if s.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        return func.substr(when, 1, 10)
    return cast(cast(func.timezone("UTC", when), Date), String)


def key_of(group: str, day: Any) -> tuple[Any, Any]:
    """A grouping's key and label over the facts' joins."""
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


def with_channel(query: Any, with_lines: bool) -> Any:
    query = query.join(_CH, _CH.c.id == _SO.c.channel_id)
    if with_lines:
        query = query.outerjoin(_LA, _LA.c.line_id == _OL.c.id)
    return query


def counted() -> Any:
    return _SO.c.status.notin_(list(EXCLUDED))


def fine_sums(where: Any = None) -> Any:
    """The current facts summed per order, line and currency, one column a figure: what
    every grouping's money rows are summed from when many days are (~6 facts a line)."""
    sums = [func.sum(case((_MF.c.kind == k, _MF.c.amount_e4), else_=0)).label(k) for k in FIGURES]
    query = select(_MF.c.order_id, _MF.c.line_id, _MF.c.currency, *sums).where(
        _MF.c.current, _MF.c.kind.in_(FIGURES)
    )
    if where is not None:
        query = query.where(where)
    return query.group_by(_MF.c.order_id, _MF.c.line_id, _MF.c.currency).cte("fine")


def fact_selects(
    s: Session, grp: str, where: Any, per_channel: bool = True, fine: Any = None
) -> list[Any]:
    """The summary's rows of one grouping, summed from the facts of the orders `where` picks:
    per channel, or for every channel at once (channel 0); from `fine_sums` when given."""
    day = day_of(s)
    key, label = key_of(grp, day)
    channel = _SO.c.channel_id if per_channel else literal(0)
    head = (day, channel, literal(grp), func.coalesce(key, ""),
            func.coalesce(func.max(label), ""))  # fmt: skip
    by = (day, _SO.c.channel_id, key) if per_channel else (day, key)
    zeros = [literal(0)] * len(FIGURES)
    lines = grp in LINE_GROUPS
    src = _MF if fine is None else fine
    facts = src.join(_SO, _SO.c.id == src.c.order_id)
    if lines:
        facts = facts.outerjoin(_OL, _OL.c.id == src.c.line_id)
    if fine is None:
        sums = [func.sum(case((_MF.c.kind == k, _MF.c.amount_e4), else_=0)) for k in FIGURES]
        current = and_(_MF.c.current, _MF.c.kind.in_(FIGURES))
    else:
        sums = [func.sum(fine.c[k]) for k in FIGURES]
        current = true()
    money = (
        with_channel(
            select(*head, src.c.currency, *sums, literal(0), literal(0), literal(0)).select_from(
                facts
            ),
            with_lines=lines,
        )  # fmt: skip
        .where(where, counted(), current)
        .group_by(*by, src.c.currency)
    )
    # The day rows feed the day and week reports, so they count every line once.
    volume_lines = grp not in ("channel", "day")
    volume = (
        with_channel(
            select(
                *head,
                literal(""),
                *zeros,
                func.sum(_OL.c.qty),
                func.count(func.distinct(_SO.c.id)),
                literal(0),
            )
            .select_from(_OL)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=volume_lines,
        )  # fmt: skip
        .where(where, counted())
        .group_by(*by)
    )
    returned = (
        with_channel(
            select(*head, literal(""), *zeros, literal(0), literal(0), func.sum(_RL.c.qty))
            .select_from(_RL)
            .join(_OL, _OL.c.id == _RL.c.order_line_id)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=volume_lines,
        )
        .where(where, counted())
        .group_by(*by)
    )
    # Named as the summary's columns, so a union of them reads as margin_day does.
    return [
        q.with_only_columns(
            *(c.label(n) for c, n in zip(q.selected_columns, _COLUMNS, strict=True)),
        )
        for q in (money, volume, returned)
    ]


FEW_DAYS = 31
"""Up to this many days a rebuild reads their orders by id (one scan for the ids); more
are read by the day of every order (a scan per query, cheaper than a long id list)."""


def rebuild(s: Session, days: Iterable[str] | None = None) -> None:
    """Replace the summary of these days (all when None) by the facts re-summed."""
    wanted = None if days is None else sorted(set(days))
    if wanted == []:
        return
    conn = s.connection()
    if wanted is None:
        conn.execute(delete(MD))
        where: Any = true()
    else:
        for at in range(0, len(wanted), 500):
            conn.execute(delete(MD).where(MD.c.day.in_(wanted[at : at + 500])))
        if len(wanted) <= FEW_DAYS:
            ids = list(conn.execute(select(_SO.c.id).where(day_of(s).in_(wanted))).scalars())
            if not ids:
                return
            where = _SO.c.id.in_(ids)
        else:
            where = day_of(s).in_(wanted)
    # Many days: the facts are summed per line once, then each grouping from those sums.
    many = wanted is None or len(wanted) > FEW_DAYS
    for grp in GRPS:
        for per_channel in (True, False):
            for query in fact_selects(s, grp, where, per_channel, fine_sums() if many else None):
                conn.execute(insert(MD).from_select(_COLUMNS, query))


def stale_days(s: Session) -> list[str]:
    return [d for (d,) in s.execute(select(_STALE.c.day))]


def refresh(s: Session) -> int:
    """Rebuild the days marked stale, unmark them; the number of days rebuilt (a short write)."""
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        # A writer marks its day in its own transaction, and marking a day already marked
        # takes no row lock: without this, a refresh could unmark the day and re-sum it
        # without that writer's uncommitted fact, leaving the day fresh and wrong. Taking
        # this lock waits for every transaction that has marked a day to end (its facts are
        # then seen), and holds new markers back until this refresh commits (their day is
        # then marked again). It is self-exclusive too: two refreshes run one after the other.
        s.execute(text("LOCK TABLE margin_stale IN SHARE ROW EXCLUSIVE MODE"))
    days = [d for (d,) in s.execute(select(_STALE.c.day))]
    if days:
        for at in range(0, len(days), 500):
            s.execute(delete(_STALE).where(_STALE.c.day.in_(days[at : at + 500])))
        rebuild(s, days)
    return len(days)


@long_running
def refresh_all(s: Session) -> int:
    """`refresh` for a database with many stale days (after a bulk load)."""
    return refresh(s)
