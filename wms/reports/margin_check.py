"""`wms check`'s comparison of the margin summary (margin_day) with the facts, in one query.

The facts are joined to their order, line, attribution and channel once, summed per line
and currency (`money`), and the counted lines are read once with their quantities and
returned units (`lines`); every grouping of the summary is then a plain GROUP BY over
those two, beside margin_day's own rows, and only the (day, channel, grouping, key,
currency) groups whose two sides differ, or exist on one side only, come back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from wms.reports.margin_summary import (
    _CH,
    _LA,
    _MF,
    _OL,
    _RL,
    _SO,
    _STALE,
    AMOUNTS,
    FIGURES,
    GRPS,
    MD,
    counted,
    day_of,
)

_KEYS = ("day", "channel_id", "grp", "key", "currency")


def _keyed(s: Session, query: Any) -> Any:
    """`query` (over orders, lines and attributions) with every grouping's key and label."""
    content = (
        func.coalesce(_LA.c.content_type, "") + literal(":") + func.coalesce(_LA.c.content_id, "")
    )
    creator = func.coalesce(_LA.c.creator, "")
    return query.add_columns(
        day_of(s).label("day"),
        _SO.c.channel_id.label("channel_id"),
        _CH.c.code.label("k_channel"),
        func.coalesce(_OL.c.sku, "").label("k_product"),
        creator.label("k_creator"),
        content.label("k_content"),
        cast(_SO.c.id, String).label("k_order"),
    ).where(counted())


def _sources(s: Session) -> tuple[Any, Any]:
    sums = [func.sum(case((_MF.c.kind == k, _MF.c.amount_e4), else_=0)).label(k) for k in FIGURES]
    per_line = (
        select(_MF.c.order_id, _MF.c.line_id, _MF.c.currency, *sums)
        .where(_MF.c.current, _MF.c.kind.in_(FIGURES))
        .group_by(_MF.c.order_id, _MF.c.line_id, _MF.c.currency)
        .subquery("per_line")
    )
    money = (
        _keyed(
            s,
            select(per_line.c.currency, *(per_line.c[k] for k in FIGURES))
            .select_from(per_line)
            .join(_SO, _SO.c.id == per_line.c.order_id)
            .join(_CH, _CH.c.id == _SO.c.channel_id)
            .outerjoin(_OL, _OL.c.id == per_line.c.line_id)
            .outerjoin(_LA, _LA.c.line_id == _OL.c.id),
        )
        .cte("money")
        .prefix_with("MATERIALIZED")
    )
    returned = (
        select(_RL.c.order_line_id, func.sum(_RL.c.qty).label("qty"))
        .group_by(_RL.c.order_line_id)
        .subquery("returned")
    )
    lines = (
        _keyed(
            s,
            select(
                _SO.c.id.label("order_id"),
                _OL.c.qty.label("units"),
                func.coalesce(returned.c.qty, 0).label("returned"),
            )
            .select_from(_OL)
            .join(_SO, _SO.c.id == _OL.c.order_id)
            .join(_CH, _CH.c.id == _SO.c.channel_id)
            .outerjoin(_LA, _LA.c.line_id == _OL.c.id)
            .outerjoin(returned, returned.c.order_line_id == _OL.c.id),
        )
        .cte("lines")
        .prefix_with("MATERIALIZED")
    )
    return money, lines


def _want(s: Session) -> list[Any]:
    """Every grouping's summary rows as the facts give them (columns as margin_day's)."""
    money, lines = _sources(s)
    out = []
    for grp in GRPS:
        for per_channel in (True, False):
            for src, amounts, currency in (
                (money, [func.sum(money.c[k]) for k in FIGURES]
                 + [literal(0) for _ in range(3)], money.c.currency),
                (lines, [literal(0) for _ in FIGURES]
                 + [func.sum(lines.c.units), func.count(func.distinct(lines.c.order_id)),
                    func.sum(lines.c.returned)], literal("")),
            ):  # fmt: skip
                key = src.c.day if grp == "day" else src.c[f"k_{grp}"]
                channel = src.c.channel_id if per_channel else literal(0)
                by = [src.c.day, key] + ([src.c.channel_id] if per_channel else [])
                if src is money:
                    by.append(money.c.currency)
                out.append(
                    select(
                        src.c.day.label("day"), channel.label("channel_id"),
                        literal(grp).label("grp"), key.label("key"),
                        currency.label("currency"),
                        *(a.label(f"w_{n}") for a, n in zip(amounts, AMOUNTS, strict=True)),
                    ).group_by(*by)
                )  # fmt: skip
    return out


def violations(s: Session) -> list[str]:
    """Summary rows that differ from the facts re-summed (stale days are not compared)."""
    want = union_all(*_want(s)).subquery("want")
    n = len(AMOUNTS)

    def zeros(side: str) -> list[Any]:
        return [literal(0).label(f"{side}_{a}") for a in AMOUNTS]

    sides = union_all(
        select(*(want.c[k] for k in _KEYS), *list(want.c)[5:], *zeros("h"),
               literal(1).label("w"), literal(0).label("h")),
        select(*(MD.c[k] for k in _KEYS), *zeros("w"),
               *(MD.c[a].label(f"h_{a}") for a in AMOUNTS),
               literal(0).label("w"), literal(1).label("h")),
    ).subquery("sides")  # fmt: skip
    cols = list(sides.c)
    w_sums = [func.sum(c) for c in cols[5 : 5 + n]]
    h_sums = [func.sum(c) for c in cols[5 + n : 5 + 2 * n]]
    w_in, h_in = func.max(sides.c.w), func.max(sides.c.h)
    differ = (
        select(*cols[:5], w_in, h_in, *w_sums, *h_sums)
        .where(cols[0].notin_(select(_STALE.c.day)))
        .group_by(*cols[:5])
        .having(or_(w_in != h_in, *(a != b for a, b in zip(w_sums, h_sums, strict=True))))
    )
    found = []
    for day, channel_id, grp, key, currency, w_has, h_has, *amounts in s.execute(differ):
        facts = [int(a or 0) for a in amounts[:n]] if w_has else [None] * n
        kept = [int(a or 0) for a in amounts[n:]] if h_has else [None] * n
        differ_text = [
            f"{name} {h} (facts {w})"
            for name, h, w in zip(AMOUNTS, kept, facts, strict=True)
            if h != w
        ]
        found.append(
            f"margin summary: {day} channel {channel_id} {grp} {key!r} {currency}: "
            + ", ".join(differ_text)
        )
    return sorted(found)
