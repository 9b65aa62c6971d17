"""Order endpoints: the merchant's own shop (JSON and CSV), look-ups, cancellation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wms.api.answers.orders import Imported, ImportedOrders, OrderView, TakenOrder
from wms.api.deps import DbDep, UserDep
from wms.api.security import INTEGRATION, OFFICE, require_channel, requires
from wms.api.views import order_view
from wms.channels import csv_import, own
from wms.db import reads
from wms.errors import NotFound, WmsError
from wms.models import Channel, OrderLine, SalesOrder
from wms.services import orders
from wms.services.auth import Principal


async def _visible_order(db: DbDep, user: Principal, order_id: int) -> tuple[Any, ...]:
    """The order, if the caller may see it: another channel's order is unknown to a token."""
    found = await orders.get(db, order_id)
    if not user.acts_on(found[2]):
        raise NotFound("unknown_order", "Unknown order", f"no order {order_id}")
    return found


@reads
def _orders_with_lines(s: Session, query: Select[Any]) -> list[OrderView]:
    rows = s.execute(query).all()
    ids = [o.id for o, _ in rows]
    by_order: dict[int, list[OrderLine]] = {}
    for line in s.execute(select(OrderLine).where(OrderLine.order_id.in_(ids))).scalars():
        by_order.setdefault(line.order_id, []).append(line)
    return [order_view(o, by_order.get(o.id, []), code) for o, code in rows]


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @post("/", status_code=201, guards=[requires(*INTEGRATION)])
    async def create(
        self, request: Request, db: DbDep, user: UserDep, channel: FromQuery[str] = "own"
    ) -> TakenOrder:
        """An order from the merchant's own shop (`OwnOrderPayload`), reserved at once."""
        require_channel(user, channel)
        order = own.parse_order(await request.body())
        result = await orders.intake(db, channel, order)
        view = order_view(result.order, result.lines, channel)
        return TakenOrder(**msgspec.structs.asdict(view), created=result.created)

    @post("/import", status_code=201, guards=[requires(*INTEGRATION)])
    async def import_csv(
        self, request: Request, db: DbDep, user: UserDep, channel: FromQuery[str] = "own"
    ) -> ImportedOrders:
        """A CSV of orders: every row is checked before the first order is taken."""
        require_channel(user, channel)
        try:
            text = (await request.body()).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WmsError("bad_csv", "CSV is not UTF-8", str(exc)) from exc
        parsed = csv_import.parse_orders_csv(text)
        results = await orders.intake_many(db, channel, parsed)
        return ImportedOrders(
            orders=[
                Imported(
                    id=r.order.id,  # type: ignore[arg-type]
                    external_id=r.order.external_id,
                    status=r.order.status,
                    created=r.created,
                )
                for r in results
            ]
        )

    @get("/", guards=[requires(*OFFICE, "packer", "integration")])
    async def list_orders(
        self,
        db: DbDep,
        user: UserDep,
        status: FromQuery[str | None] = None,
        channel: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[OrderView]:
        query = (
            select(SalesOrder, Channel.code)
            .join(Channel, Channel.id == SalesOrder.channel_id)
            .order_by(SalesOrder.id.desc())
            .limit(limit)
        )
        if status:
            query = query.where(SalesOrder.status == status)
        if channel:
            require_channel(user, channel)
            query = query.where(Channel.code == channel)
        elif user.role == "integration":  # its own channels' orders, never the others'
            query = query.where(Channel.code.in_(user.channels))
        return await db.run(_orders_with_lines, query)

    @get("/{order_id:int}", guards=[requires(*OFFICE, "packer", "picker", "integration")])
    async def get_order(self, db: DbDep, user: UserDep, order_id: FromPath[int]) -> OrderView:
        return order_view(*await _visible_order(db, user, order_id))

    @post("/{order_id:int}/cancel", status_code=200, guards=[requires(*INTEGRATION)])
    async def cancel(self, db: DbDep, user: UserDep, order_id: FromPath[int]) -> OrderView:
        await _visible_order(db, user, order_id)
        await orders.cancel(db, order_id)
        return order_view(*await orders.get(db, order_id))
