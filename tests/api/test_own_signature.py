"""The own shop's webhook signature covers topic, event id and time; replays do nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.fakes.webhooks import signed_webhook
from tests.support.api import problem

SHIP_TO = {"name": "Ana", "line1": "1 Main St", "city": "Austin", "postal_code": "78701",
           "country": "US"}  # fmt: skip


def _order(external_id: str, sku: str = "SKU-0120", status: str = "ready") -> dict[str, Any]:
    return {
        "order_id": external_id,
        "currency": "USD",
        "status": status,
        "lines": [{"sku": sku, "qty": 1, "unit_price": "9.50"}],
        "ship_to": SHIP_TO,
    }


def _send(client: httpx.Client, headers: dict[str, str], body: bytes) -> httpx.Response:
    return client.post("/webhooks/own-main", content=body, headers=headers)


def _status(supervisor: httpx.Client, external_id: str) -> str | None:
    rows = supervisor.get("/api/v1/orders/", params={"channel": "own-main", "limit": 1000})
    found = [o for o in rows.json() if o["external_id"] == external_id]
    return found[0]["status"] if found else None


def test_the_same_body_and_signature_under_another_topic_is_refused(
    anonymous, supervisor, fake_channels
):
    config = fake_channels.config("own-main")
    headers, body = signed_webhook(config, _order("OWN-SIG-1"), topic="order.created")
    assert _send(anonymous, headers, body).json()["status"] == "created"
    assert _status(supervisor, "OWN-SIG-1") == "ready"
    moved = {**headers, "X-WMS-Topic": "order.cancelled", "X-WMS-Event-Id": "other-event"}
    problem(_send(anonymous, moved, body), 401, "bad_signature")
    problem(_send(anonymous, {**headers, "X-WMS-Topic": "order.cancelled"}, body), 401,
            "bad_signature")  # fmt: skip
    problem(_send(anonymous, {**headers, "X-WMS-Event-Id": "evt-new"}, body), 401, "bad_signature")
    assert _status(supervisor, "OWN-SIG-1") == "ready"


def test_a_signature_too_old_or_from_the_future_is_refused(anonymous, supervisor, fake_channels):
    config = fake_channels.config("own-main")
    for skew in (-301, 301):
        headers, body = signed_webhook(
            config, _order(f"OWN-SIG-T{skew}"), timestamp=int(time.time()) + skew
        )
        problem(_send(anonymous, headers, body), 401, "bad_signature")
        assert _status(supervisor, f"OWN-SIG-T{skew}") is None


def test_a_replayed_cancel_is_answered_as_the_first_time_and_cancels_nothing(
    anonymous, supervisor, fake_channels
):
    config = fake_channels.config("own-main")
    event = f"evt-{uuid.uuid4().hex}"
    cancel = signed_webhook(
        config, {"order_id": "OWN-SIG-2"}, topic="order.cancelled", event_id=event
    )
    first = _send(anonymous, *cancel)  # the order is not known yet: nothing to cancel
    assert first.status_code == 200 and first.json() == {"status": "ignored"}
    created = _send(anonymous, *signed_webhook(config, _order("OWN-SIG-2")))
    assert created.json()["status"] == "created"
    again = _send(anonymous, *cancel)  # the same signed delivery, inside its window
    assert again.status_code == 200 and again.json() == first.json()
    assert _status(supervisor, "OWN-SIG-2") == "ready"


def test_a_replayed_order_event_returns_the_order_it_created_and_reserves_nothing_more(
    anonymous, supervisor, fake_channels
):
    config = fake_channels.config("own-main")
    sellable = supervisor.get("/api/v1/stock/availability/SKU-0121").json()["sellable"]
    delivery = signed_webhook(config, _order("OWN-SIG-4", sku="SKU-0121"), event_id="evt-own-4")
    first = _send(anonymous, *delivery)
    again = _send(anonymous, *delivery)
    assert first.json()["status"] == "created"
    assert again.json() == {**first.json(), "status": "duplicate"}
    after = supervisor.get("/api/v1/stock/availability/SKU-0121").json()["sellable"]
    assert after == sellable - 1
