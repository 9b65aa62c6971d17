"""TikTok order statements: asked for once an order is delivered, through the outbox.

The statement (what TikTok settled: its fees, the affiliate commission) replaces the fee
estimated at intake. Until TikTok settles the order it answers with no transactions; the
outbox asks again later, with its back-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.channels.errors import ChannelApiError
from wms.channels.registry import adapter_for
from wms.domain.orders import OrderIn, OrderStatus
from wms.errors import WmsError
from wms.models import Channel, SalesOrder
from wms.services import affiliates, channel_money, channels, outbox_rows
from wms.services.outbox_handlers import DeliveryError, handles

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
    row_values = {
        "kind": KIND,
        "channel_id": row.channel_id,
        "dedupe_key": f"statement:{row.channel_id}:{row.external_id}",
        "payload": {"channel": code, "order_id": row.external_id},
    }
    outbox_rows.add(s, [row_values], on_pending="keep")


def settle(s: Session, channel_code: str, data: dict[str, Any]) -> int:
    """Apply the statement; one that paid a creator commission asks who the creators were."""
    written = channel_money.apply_statement(s, channel_code, {"data": data})
    paid = any(
        channel_money.money_field(tx.get("affiliate_commission_amount"), "commission")
        for tx in data["statement_transactions"]
    )
    if paid:
        affiliates.queue_fetch(
            s, channel_money.order_by_external(s, channel_code, data["order_id"])
        )
    return written


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
        await worker.db.run(settle, payload["channel"], data)
    except WmsError as exc:
        raise DeliveryError(f"{exc.code}: {exc.detail}") from exc
