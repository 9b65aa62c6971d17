"""Sellable stock never loops or goes negative, even when its figures are already wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict
from wms.models import OrderLine, Product, ProductAvailability
from wms.services import availability

PA = ProductAvailability.__table__


def _promise_every_unit(s: Session) -> int:
    pid = s.execute(select(Product.id).where(Product.sku == "SKU-0420")).scalar()
    lines = s.execute(select(OrderLine.id).where(OrderLine.product_id == pid)).all()
    assert pid is not None and not lines  # no order to take a reservation back from
    # Figures a bug could leave behind: every unit promised, and to no open order.
    s.execute(update(PA).where(PA.c.product_id == pid).values(on_hand_pickable=5, reserved=5))
    return pid


@reads
def _figures(s: Session, pid: int) -> tuple[int, int]:
    row = s.execute(select(PA).where(PA.c.product_id == pid)).one()
    return row.on_hand_pickable, row.reserved


async def test_removing_stock_held_only_by_reservations_it_cannot_take_back_is_refused(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        pid = await db.run(_promise_every_unit)
        with pytest.raises(Conflict) as refused:
            await db.run(availability.change_pickable, pid, -1)
        assert refused.value.code == "stock_allocated"
        assert await db.run(_figures, pid) == (5, 5)  # nothing changed
    finally:
        await db.dispose()
