"""The floor's exceptions (short picks, count tasks, parcels in trouble): listed, resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.errors import NotFound
from wms.models import Location, Product, User
from wms.models.common import utcnow
from wms.models.picking import (
    FloorException,
)

_RESOLVER = User.__table__.alias("resolver")


@reads
def exception_list(s: Session, status: str | None) -> list[dict[str, Any]]:
    fe = FloorException.__table__
    query = (
        select(fe, Product.sku, Location.code, _RESOLVER.c.username.label("resolver"))
        .outerjoin(Product, Product.id == fe.c.product_id)
        .outerjoin(Location, Location.id == fe.c.location_id)
        .outerjoin(_RESOLVER, _RESOLVER.c.id == fe.c.resolved_by)
        .order_by(fe.c.id)
    )
    if status and status != "all":
        query = query.where(fe.c.status == status)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "status": e.status,
            "batch_id": e.batch_id,
            "task_id": e.task_id,
            "order_id": e.order_id,
            "sku": e.sku,
            "location": e.code,
            "qty": e.qty,
            "message": e.message,
            "created_at": e.created_at.isoformat(),
            # Who resolved it: a user, or "system" when its cause went away by itself.
            "resolved_by": (e.resolver or "system") if e.status == "resolved" else None,
            "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
            "resolution": e.resolution,
        }
        for e in s.connection().execute(query).all()
    ]


def resolve(s: Session, exception_id: int, user_id: int | None, note: str) -> dict[str, Any]:
    e = s.get(FloorException, exception_id)
    if e is None:
        raise NotFound("unknown_exception", "Unknown exception", f"no exception {exception_id}")
    if e.status != "resolved":
        e.status, e.resolved_at, e.resolved_by = "resolved", utcnow(), user_id
        e.resolution = (note or "resolved by hand")[:300]
    return {
        "id": e.id,
        "status": e.status,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
        "resolution": e.resolution,
    }
