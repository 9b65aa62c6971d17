"""TikTok order statements: asked for once an order is delivered, through the outbox.

The statement (what TikTok settled: its fees, the affiliate commission) replaces the fee
estimated at intake. Until TikTok settles the order it answers with no transactions; the
outbox asks again later, with its back-off.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.channels.errors import ChannelApiError
from wms.channels.registry import adapter_for
from wms.domain.orders import OrderIn, OrderStatus
from wms.errors import WmsError
from wms.models import Channel, Outbox, SalesOrder
from wms.models.outbox import PENDING
from wms.services import channels, money_facts
from wms.services.outbox_handlers import DeliveryError, handles
from wms.services.sql import upsert

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker

KIND = "statement_fetch"


def on_channel_status(s: Session, row: SalesOrder, order: OrderIn) -> None:
    """A known order's later delivery: one now delivered on a channel that settles orders
    in statements (TikTok) gets its statement asked."""
    settles = adapter_for(order.channel_kind).settles_by_statement
    if order.status is OrderStatus.DELIVERED and settles:
        queue_fetch(s, row)


def queue_fetch(s: Session, row: SalesOrder) -> None:
    """One pending statement fetch per order, however many deliveries announce it."""
    code = s.execute(select(Channel.code).where(Channel.id == row.channel_id)).scalar_one()
    stmt = upsert(s, Outbox.__table__).values(
        event_id=uuid.uuid4().hex,
        kind=KIND,
        channel_id=row.channel_id,
        dedupe_key=f"statement:{row.channel_id}:{row.external_id}",
        payload={"channel": code, "order_id": row.external_id},
        status="pending",
        attempts=0,
    )
    s.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=PENDING))


@handles(KIND)
async def deliver_statement_fetch(worker: OutboxWorker, payload: dict[str, Any], _: str) -> None:
    """Outbox handler for ``statement_fetch`` rows."""
    await deliver(worker, payload)


async def deliver(worker: OutboxWorker, payload: dict[str, Any]) -> None:
    """Fetch the statement and record it; not settled yet, or refused, is tried again."""
    _, config = await channels.config_for(worker.db, payload["channel"])
    try:
        data = await adapter_for(config.kind).fetch_statement(
            config, payload["order_id"], worker.http
        )
    except ChannelApiError as exc:
        raise DeliveryError(str(exc)) from exc
    if not data.get("statement_transactions"):
        raise DeliveryError(f"order {payload['order_id']} is not settled yet")
    try:
        await money_facts.record_statement(worker.db, payload["channel"], {"data": data})
    except WmsError as exc:
        raise DeliveryError(f"{exc.code}: {exc.detail}") from exc
