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

from sqlalchemy import Date, String, cast, delete, func, insert, literal, select, true
from sqlalchemy.orm import Session

from wms.db import long_running
from wms.domain.orders import OrderStatus
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.money import LineAttribution, MarginDay, MarginStale, MoneyFact
from wms.models.shipping import ReturnLine
from wms.services.money_facts import COSTS

EXCLUDED = {OrderStatus.CANCELLED.value: "cancelled", OrderStatus.AWAITING_PAYMENT.value: "unpaid"}
FIGURES = ("revenue", *COSTS)
GRPS = ("channel", "product", "creator", "content", "order")
"""The summary's groupings; the day and week reports read the channel rows."""
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
_COLUMNS = ("day", "channel_id", "grp", "key", "label", "currency", "kind", "amount")


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


def fact_selects(s: Session, grp: str, where: Any) -> list[Any]:
    """The summary's rows of one grouping, summed from the facts of the orders `where` picks."""
    day = day_of(s)
    key, label = key_of(grp, day)
    head = (day, _SO.c.channel_id, literal(grp), func.coalesce(key, ""),
            func.coalesce(func.max(label), ""))  # fmt: skip
    lines = grp in LINE_GROUPS
    facts = _MF.join(_SO, _SO.c.id == _MF.c.order_id)
    if lines:
        facts = facts.outerjoin(_OL, _OL.c.id == _MF.c.line_id)
    money = (
        with_channel(
            select(*head, _MF.c.currency, _MF.c.kind, func.sum(_MF.c.amount_e4)).select_from(facts),
            with_lines=lines,
        )  # fmt: skip
        .where(where, counted(), _MF.c.current, _MF.c.kind.in_(FIGURES))
        .group_by(day, _SO.c.channel_id, key, _MF.c.currency, _MF.c.kind)
    )
    # The channel rows feed the day and week reports too, so they count every line once.
    volume_lines = grp != "channel"
    out = [money]
    for kind, amount in (("units", func.sum(_OL.c.qty)),
                         ("orders", func.count(func.distinct(_SO.c.id)))):  # fmt: skip
        out.append(
            with_channel(
                select(*head, literal(""), literal(kind), amount)
                .select_from(_OL)
                .join(_SO, _SO.c.id == _OL.c.order_id),
                with_lines=volume_lines,
            )  # fmt: skip
            .where(where, counted())
            .group_by(day, _SO.c.channel_id, key)
        )
    out.append(
        with_channel(
            select(*head, literal(""), literal("returned"), func.sum(_RL.c.qty))
            .select_from(_RL)
            .join(_OL, _OL.c.id == _RL.c.order_line_id)
            .join(_SO, _SO.c.id == _OL.c.order_id),
            with_lines=volume_lines,
        )
        .where(where, counted())
        .group_by(day, _SO.c.channel_id, key)
    )
    return out


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
    for grp in GRPS:
        for query in fact_selects(s, grp, where):
            conn.execute(insert(MD).from_select(_COLUMNS, query))


def stale_days(s: Session) -> list[str]:
    return [d for (d,) in s.execute(select(_STALE.c.day))]


def refresh(s: Session) -> int:
    """Rebuild the days marked stale, unmark them; the number of days rebuilt (a short write)."""
    days = stale_days(s)
    if days:
        s.execute(delete(_STALE).where(_STALE.c.day.in_(days)))
        rebuild(s, days)
    return len(days)


@long_running
def refresh_all(s: Session) -> int:
    """`refresh` for a database with many stale days (after a bulk load)."""
    return refresh(s)


def violations(s: Session) -> list[str]:
    """Summary rows that differ from the facts re-summed (stale days are not compared)."""
    stale = set(stale_days(s))
    want: dict[tuple[Any, ...], int] = {}
    for grp in GRPS:
        for query in fact_selects(s, grp, true()):
            for day, channel_id, g, key, _label, currency, kind, amount in s.execute(query):
                if day not in stale:
                    want[(day, channel_id, g, key, currency, kind)] = int(amount or 0)
    have: dict[tuple[Any, ...], int] = {}
    for r in s.execute(select(MD)):
        if r.day not in stale:
            k = (r.day, r.channel_id, r.grp, r.key, r.currency, r.kind)
            have[k] = have.get(k, 0) + int(r.amount)
    found = []
    for k in sorted(set(want) | set(have), key=str):
        if want.get(k) != have.get(k):
            day, channel_id, grp, key, currency, kind = k
            found.append(
                f"margin summary: {day} channel {channel_id} {grp} {key!r} {kind} {currency} "
                f"is {have.get(k)}, the facts say {want.get(k)}"
            )
    return found
