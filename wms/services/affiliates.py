"""TikTok affiliate orders: which creator and content each SKU line belongs to, fetched
through the outbox once TikTok's statement shows an affiliate commission.

The order itself does not say who sold it; TikTok's affiliate order search does, per SKU
line (creator, content type and id, commission rate, estimated then actual commission).
The record is applied by `channel_money.apply_affiliate`, in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.channels import tiktok_api
from wms.channels.errors import ChannelApiError
from wms.channels.tiktok_api import tiktok_request
from wms.errors import WmsError
from wms.models import Channel, SalesOrder
from wms.services import channel_money, channels, outbox_rows
from wms.services.outbox_handlers import DeliveryError, handles

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker

KIND = "affiliate_fetch"
SEARCH_PATH = "/affiliate_seller/202410/orders/search"


def queue_fetch(s: Session, row: SalesOrder) -> None:
    """One pending affiliate fetch per order, however often its settlement is read."""
    code = s.execute(select(Channel.code).where(Channel.id == row.channel_id)).scalar_one()
    row_values = {
        "kind": KIND,
        "channel_id": row.channel_id,
        "dedupe_key": f"affiliate:{row.channel_id}:{row.external_id}",
        "payload": {"channel": code, "order_id": row.external_id},
    }
    outbox_rows.add(s, [row_values], on_pending="keep")


def _record_for(data: dict[str, Any], order_id: str) -> dict[str, Any] | None:
    """This order's record in a search answer (``orders[]``, each keyed ``id`` or ``order_id``)."""
    for record in data.get("orders") or []:
        if isinstance(record, dict) and str(record.get("order_id", record.get("id"))) == order_id:
            return {**record, "order_id": order_id}
    return None


@handles(KIND)
async def deliver(worker: OutboxWorker, payload: dict[str, Any], _: str = "") -> None:
    """Search the order's affiliate record and apply it; not visible yet is tried again."""
    order_id = str(payload["order_id"])
    _, config = await channels.config_for(worker.db, payload["channel"])
    request = tiktok_request(
        config, "POST", SEARCH_PATH, query={"page_size": "20"}, payload={"order_ids": [order_id]}
    )
    try:
        data = await tiktok_api.send(request, worker.http)
    except ChannelApiError as exc:
        raise DeliveryError(str(exc)) from exc
    record = _record_for(data, order_id)
    if record is None:
        raise DeliveryError(f"order {order_id} has no affiliate record yet")
    try:
        await worker.db.run(channel_money.apply_affiliate, payload["channel"], record)
    except WmsError as exc:
        raise DeliveryError(f"{exc.code}: {exc.detail}") from exc

