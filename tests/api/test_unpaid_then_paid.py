"""An order that arrives unpaid, then paid, takes its address and changes from the paid one."""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fakes.channel_apis import FakeChannelApis
from tests.fakes.payloads import make_tiktok_order, make_tiktok_webhook
from tests.fakes.webhooks import signed_webhook
from tests.support.waiting import wait_until
from wms.db import Database, reads
from wms.models import InboundEvent, SalesOrder

SELLER_SHIPPED_ADDRESS = {
    "name": "Jane Doe",
    "phone_number": "(+1)2135550191",
    "full_address": "1 Main St, Los Angeles, California, United States",
    "address_line1": "1 Main St",
    "address_line2": "Apt 4",
    "postal_code": "90012",
    "region_code": "US",
    "district_info": [
        {"address_level_name": "State", "address_name": "California", "address_level": "L1"},
        {"address_level_name": "City", "address_name": "Los Angeles", "address_level": "L3"},
    ],
}


def _order(client: httpx.Client, external_id: str) -> dict[str, Any] | None:
    rows = client.get("/api/v1/orders/", params={"channel": "tiktok-main", "limit": 1000}).json()
    found = next((o for o in rows if o["external_id"] == external_id), None)
    return client.get(f"/api/v1/orders/{found['id']}").json() if found else None


def _notify(client: httpx.Client, fake: FakeChannelApis, order_id: str, status: str) -> str:
    event_id = f"n-{uuid.uuid4().hex}"
    headers, body = signed_webhook(
        fake.config("tiktok-main"), make_tiktok_webhook(order_id, event_id, status)
    )
    r = client.post("/webhooks/tiktok-main", content=body, headers=headers)
    assert r.status_code == 200, r.text
    return event_id


@reads
def _found(s: Session, model: Any, *where: Any) -> Any:
    return s.execute(select(model).where(*where)).scalar_one_or_none()


def _row(url: str, model: Any, *where: Any) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            return await db.run(_found, model, *where)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_the_paid_version_brings_the_address_and_every_changed_field(
    anonymous: httpx.Client,
    supervisor: httpx.Client,
    fake_channels: FakeChannelApis,
    database_url: str,
) -> None:
    order_id = "5790" + str(uuid.uuid4().int)[:15]
    paid = make_tiktok_order(order_id, {"SKU-0141": 1}, status="AWAITING_SHIPMENT")
    paid.update(
        shipping_type="SELLER",
        recipient_address=SELLER_SHIPPED_ADDRESS,
        buyer_message="Leave at the door",
        shipping_provider="UPS",
    )
    unpaid = copy.deepcopy(paid)
    unpaid.update(status="UNPAID", buyer_message="", shipping_provider="")
    del unpaid["recipient_address"]  # TikTok withholds it until payment
    for key in ("rts_sla_time", "shipping_due_time"):
        unpaid.pop(key, None)
    fake_channels.tiktok.add_order(unpaid)
    _notify(anonymous, fake_channels, order_id, "UNPAID")
    first = wait_until(lambda: _order(supervisor, order_id), "the unpaid order")
    assert first["status"] == "awaiting_payment"
    assert first["ship_to"]["line1"] == "" and first["ship_by"] is None

    fake_channels.tiktok.add_order(paid)
    _notify(anonymous, fake_channels, order_id, "AWAITING_SHIPMENT")
    order = wait_until(
        lambda: (o := _order(supervisor, order_id)) and o["status"] == "ready" and o,
        "the paid order to be ready",
    )
    ship_to = order["ship_to"]
    assert (ship_to["name"], ship_to["line1"], ship_to["line2"]) == (
        "Jane Doe",
        "1 Main St",
        "Apt 4",
    )
    assert (ship_to["city"], ship_to["region"], ship_to["postal_code"], ship_to["country"]) == (
        "Los Angeles",
        "California",
        "90012",
        "US",
    )
    assert ship_to["masked"] is False
    assert order["ship_by"] is not None and order["carrier"] == "UPS"
    stored = _row(database_url, SalesOrder, SalesOrder.id == order["id"])
    assert "Leave at the door" in stored.note
    assert order["id"] == first["id"] and order["lines"][0]["reserved"] == 1

    # A late, older delivery of the unpaid version takes nothing back.
    fake_channels.tiktok.add_order(unpaid)
    late = _notify(anonymous, fake_channels, order_id, "UNPAID")
    wait_until(
        lambda: (
            (e := _row(database_url, InboundEvent, InboundEvent.event_id == late))
            and e.status == "done"
        ),
        "the late UNPAID event to be handled",
    )
    again = _order(supervisor, order_id)
    assert again is not None and again["status"] == "ready"
    assert again["ship_to"] == ship_to and again["carrier"] == "UPS"
