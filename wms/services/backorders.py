"""Floor exceptions that close themselves: a backorder filled, an order shipped, a location counted.

The fill itself (sellable units to the orders that wait, by priority, ship-by and age) is
`availability.fill_backorders`; it calls `resolve_filled` here with what caused the
stock to come back, so the supervisor sees who or what resolved each exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wms.models import OrderLine
from wms.models.common import utcnow
from wms.models.picking import FloorException

FE = FloorException.__table__


@dataclass(frozen=True)
class Cause:
    """What made stock sellable again (a ledger move's reason and ref), and by whom."""

    what: str
    user_id: int | None = None


SYSTEM = Cause("stock change")


def _close(s: Session, where: list, resolution: str, user_id: int | None) -> int:
    result = s.execute(
        update(FE)
        .where(FE.c.status == "open", *where)
        .values(
            status="resolved",
            resolved_at=utcnow(),
            resolved_by=user_id,
            resolution=resolution[:300],
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def resolve_filled(s: Session, order_ids: Iterable[int], cause: Cause | None) -> None:
    """Short-pick exceptions of orders whose every line is held again are resolved."""
    cause = cause or SYSTEM
    for order_id in sorted(set(order_ids)):
        short = s.execute(
            select(OrderLine.id).where(
                OrderLine.order_id == order_id,
                OrderLine.qty > OrderLine.reserved + OrderLine.picked,
            )
        ).first()
        if short is None:
            _close(
                s,
                [FE.c.order_id == order_id, FE.c.kind == "short_pick"],
                f"backorder filled by {cause.what}",
                cause.user_id,
            )


def resolve_order(s: Session, order_id: int, resolution: str, user_id: int | None) -> None:
    """An order that ships (or is cancelled) has nothing left to wait for."""
    _close(s, [FE.c.order_id == order_id], resolution, user_id)


def close_count_tasks(
    s: Session,
    location_id: int,
    location_code: str,
    product_ids: Iterable[int],
    user_id: int | None,
) -> list[int]:
    """A count of a location answers its count tasks; returns the products counted, sorted.

    The fill that may follow (units sellable while an order waited) is
    `availability.after_count`, which calls this first.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return ids
    _close(
        s,
        [FE.c.kind == "count_task", FE.c.location_id == location_id, FE.c.product_id.in_(ids)],
        f"counted at {location_code}",
        user_id,
    )
    return ids
