"""The outbox's ``order_fetch`` rows: orders a webhook only named, fetched from the channel.

The channel's adapter fetches (TikTok's Get Order Detail today) outside every transaction;
each order is then taken in like any webhook's, deduplicated on its event id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wms.channels.errors import ChannelApiError
from wms.channels.registry import adapter_for
from wms.services import channels, orders
from wms.services.outbox_handlers import DeliveryError, handles

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker


@handles("order_fetch")
async def deliver_order_fetch(worker: OutboxWorker, payload: dict[str, Any], event_id: str) -> None:
    _, config = await channels.config_for(worker.db, payload["channel"])
    adapter = adapter_for(config.kind)
    try:
        fetched = await adapter.fetch_orders(config, [payload["order_id"]], worker.http)
    except ChannelApiError as exc:
        raise DeliveryError(str(exc)) from exc
    if not fetched:
        raise DeliveryError(f"order {payload['order_id']} not returned by the channel yet")
    for order in fetched:
        await orders.intake(
            worker.db,
            payload["channel"],
            order,
            event_id=payload["event_id"],
            topic=payload.get("topic", ""),
        )
