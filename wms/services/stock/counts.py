"""Counting a location: differences go to the ledger, or wait for a supervisor's decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Location, Product, StockCount
from wms.models.common import utcnow
from wms.services import audit, availability, events
from wms.services.stock.moves import (
    ST,
    apply_move,
    check_lot,
    check_qty,
    location_by_code,
    product_by_sku,
)


@dataclass(frozen=True)
class CountLine:
    sku: str
    qty: int
    lot: str = ""


# Stock rows as Core rows: `apply_move` changes them with Core statements, so they are
# never ORM objects here (an ORM copy would go stale in the same transaction).
_AT_LOCATION = select(ST.c.product_id, ST.c.lot, ST.c.on_hand, ST.c.allocated)


async def count(
    db: Database,
    *,
    location: str,
    lines: list[CountLine],
    user_id: int | None = None,
    ref: str = "",
    confirm_empty: bool = False,
    max_variance: int | None = None,
) -> dict[str, Any]:
    """A full count of one location: what is not listed was counted as zero.

    No lines means "the location is empty" only with ``confirm_empty``: an Enter pressed
    too early must not wipe a location. With ``max_variance`` (a floor role's count), a
    count differing by more units than that on any line changes nothing yet: it waits as
    a pending ``stock_count`` for a supervisor (``decide_count``). Otherwise each
    difference is written to the ledger as a `count` move. Returns the differences found,
    and ``pending``/``count_id``.
    """
    if not lines and not confirm_empty:
        raise WmsError(
            "empty_count_unconfirmed",
            "Confirm empty count",
            "no lines: send confirm_empty=true if the location is really empty",
        )
    if lines and confirm_empty:
        raise WmsError(
            "empty_count_has_lines", "Count is not empty", "confirm_empty goes with no lines"
        )
    for line in lines:
        check_qty(line.qty, allow_zero=True)
    keys = [(line.sku, line.lot) for line in lines]
    if len(set(keys)) != len(keys):
        raise WmsError("duplicate_line", "Item counted twice", "one line per SKU and lot")
    return await db.run(_count, location, lines, user_id, ref, max_variance)


def _count(
    s: Session,
    location: str,
    lines: list[CountLine],
    user_id: int | None,
    ref: str,
    max_variance: int | None,
) -> dict[str, Any]:
    loc = location_by_code(s, location)
    counted: dict[tuple[int, str], tuple[Product, int]] = {}
    for line in lines:
        product = product_by_sku(s, line.sku)
        check_lot(product, line.lot, None, receiving=False)
        counted[(product.id, line.lot)] = (product, line.qty)  # type: ignore[index]
    rows = s.execute(_AT_LOCATION.where(ST.c.location_id == loc.id)).all()
    system = {(r.product_id, r.lot): r for r in rows}
    found: list[tuple[Product, str, int, int]] = []
    for key in sorted(set(system) | set(counted)):
        row = system.get(key)
        have = row.on_hand if row else 0
        product, qty = counted.get(key) or (s.get(Product, key[0]), 0)  # type: ignore[assignment]
        if qty == have:
            continue
        if row is not None and qty < row.allocated:
            raise Conflict(
                "count_below_allocated",
                "Count below picks",
                f"{product.sku}: {row.allocated} units are allocated to pick tasks here",
            )
        found.append((product, key[1], have, qty))
    diffs: list[dict[str, Any]] = [
        {"sku": p.sku, "lot": lot, "expected": have, "counted": qty} for p, lot, have, qty in found
    ]
    ref = ref or f"count {loc.code}"
    if max_variance is not None and any(abs(q - h) > max_variance for _, _, h, q in found):
        pending = StockCount(
            location_id=loc.id,  # type: ignore[arg-type]
            user_id=user_id,
            ref=ref[:120],
            lines=[{**d, "product_id": p.id} for d, (p, *_) in zip(diffs, found, strict=True)],
        )
        s.add(pending)
        s.flush()
        events.note(s, "count", count=pending.id)  # the board's alert strip counts it
        return {"differences": diffs, "pending": True, "count_id": pending.id}
    for product, lot, have, qty in found:
        _apply_count(s, loc, product, lot, qty - have, user_id, ref)
    # A count (even one that finds no difference) may free stock for backorders.
    counted_ids = [pid for pid, _ in counted] + [pid for pid, _ in system]
    availability.after_count(s, loc.id, loc.code, counted_ids, user_id)  # type: ignore[arg-type]
    return {"differences": diffs, "pending": False, "count_id": None}


def _apply_count(
    s: Session,
    loc: Location,
    product: Product,
    lot: str,
    delta: int,
    user_id: int | None,
    ref: str,
) -> None:
    where = "target" if delta > 0 else "source"
    apply_move(
        s,
        product=product,
        qty=abs(delta),
        reason="count",
        lot=lot,
        user_id=user_id,
        ref=ref,
        **{where: loc},
    )


def count_view(row: StockCount, code: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "location": code,
        "status": row.status,
        "ref": row.ref,
        "user_id": row.user_id,
        "created_at": row.created_at.isoformat(),
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "differences": [
            {k: line[k] for k in ("sku", "lot", "expected", "counted")} for line in row.lines
        ],
    }


async def pending_counts(db: Database, status: str = "pending") -> list[dict[str, Any]]:
    """Counts waiting for a supervisor (or, by ``status``, those decided)."""
    return await db.run(_counts, status)


@reads
def _counts(s: Session, status: str) -> list[dict[str, Any]]:
    rows = s.execute(
        select(StockCount, Location.code)
        .join(Location, Location.id == StockCount.location_id)
        .where(StockCount.status == status)
        .order_by(StockCount.id.desc())
        .limit(500)
    ).all()
    return [count_view(row, code) for row, code in rows]


async def decide_count(
    db: Database, count_id: int, *, approve: bool, by_user_id: int, by_username: str
) -> dict[str, Any]:
    """A supervisor approves a pending count (its differences go to the ledger) or rejects it.

    The differences found at counting are applied, not the counted totals: picks and moves
    made since stay right. Either way the audit log says who decided, when, which count.
    """
    return await db.run(_decide_count, count_id, approve, by_user_id, by_username)


def _decide_count(
    s: Session, count_id: int, approve: bool, by_user_id: int, by_username: str
) -> dict[str, Any]:
    row = s.get(StockCount, count_id, with_for_update=True)
    if row is None:
        raise NotFound("unknown_count", "Unknown count", f"no pending count {count_id}")
    if row.status != "pending":
        raise Conflict("count_decided", "Count decided", f"count is {row.status}")
    loc = s.get(Location, row.location_id)
    assert loc is not None
    if approve:
        for line in row.lines:
            product = s.get(Product, line["product_id"])
            assert product is not None
            delta = int(line["counted"]) - int(line["expected"])
            if delta < 0:
                now = s.execute(
                    _AT_LOCATION.where(
                        ST.c.product_id == product.id,
                        ST.c.location_id == loc.id,
                        ST.c.lot == line["lot"],
                    )
                ).first()
                if now is None or now.on_hand + delta < now.allocated:
                    raise Conflict(
                        "count_below_allocated",
                        "Below picks due",
                        f"{product.sku}: stock moved since the count; count again",
                    )
            _apply_count(s, loc, product, line["lot"], delta, row.user_id, f"{row.ref} (approved)")
        product_ids = [int(line["product_id"]) for line in row.lines]
        availability.after_count(s, loc.id, loc.code, product_ids, row.user_id)  # type: ignore[arg-type]
    row.status = "approved" if approve else "rejected"
    row.decided_by = by_user_id
    row.decided_at = utcnow()
    audit.record(
        s,
        by_username,
        f"count_{row.status}",
        f"count:{row.id}",
        f"{loc.code}: {len(row.lines)} difference(s)",
    )
    events.note(s, "count", count=row.id)
    return count_view(row, loc.code)
