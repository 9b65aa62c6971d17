"""An integration token acts on its own channel only; every refusal of auth is logged."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from tests.fakes.payloads import make_shopify_order
from tests.fakes.webhooks import signed_webhook
from tests.support import api
from tests.support.api import problem
from wms.services.auth import token_hash

SHIP_TO = {"name": "Ana", "line1": "1 Main St", "city": "Austin", "postal_code": "78701",
           "country": "US"}  # fmt: skip


def _own_order(external_id: str) -> dict[str, Any]:
    return {
        "order_id": external_id,
        "currency": "USD",
        "lines": [{"sku": "SKU-0130", "qty": 1, "unit_price": "5.00"}],
        "ship_to": SHIP_TO,
    }


def _count(supervisor: httpx.Client, channel: str) -> int:
    return len(supervisor.get("/api/v1/orders/", params={"channel": channel}).json())


def _shopify_order(anonymous: httpx.Client, fake, order_id: int) -> int:
    headers, body = signed_webhook(
        fake.config("shopify-main"), make_shopify_order(order_id, {"SKU-0131": 1})
    )
    r = anonymous.post("/webhooks/shopify-main", content=body, headers=headers)
    assert r.json()["status"] == "created", r.text
    return int(r.json()["order_id"])


def test_the_own_shops_token_cannot_take_orders_for_another_channel(integration, supervisor):
    before = _count(supervisor, "tiktok-main")
    for code in ("tiktok-main", "shopify-main", "own"):
        r = integration.post("/api/v1/orders/", params={"channel": code}, json=_own_order("X-1"))
        problem(r, 403, "channel_forbidden")
    csv = "order_id,sku,qty,unit_price,currency\nCSV-X,SKU-0130,1,9.99,USD\n"
    r = integration.post("/api/v1/orders/import", params={"channel": "tiktok-main"}, content=csv)
    problem(r, 403, "channel_forbidden")
    assert _count(supervisor, "tiktok-main") == before
    own = {"channel": "own-main"}
    mine = integration.post("/api/v1/orders/", params=own, json=_own_order("X-2"))
    assert mine.status_code == 201, mine.text


def test_another_channels_order_is_unknown_to_the_token_and_stays_as_it_was(
    integration, supervisor, anonymous, fake_channels
):
    order_id = _shopify_order(anonymous, fake_channels, 7101)
    problem(integration.get(f"/api/v1/orders/{order_id}"), 404, "unknown_order")
    problem(integration.post(f"/api/v1/orders/{order_id}/cancel"), 404, "unknown_order")
    assert supervisor.get(f"/api/v1/orders/{order_id}").json()["status"] == "ready"
    body = {"channel": "shopify-main", "order_external_id": "7101", "return_id": "RMA-X"}
    r = integration.post("/api/v1/returns/channel", json=body, headers=api.idem())
    problem(r, 403, "channel_forbidden")


def test_the_token_lists_only_its_own_channels_orders(
    integration, supervisor, anonymous, fake_channels
):
    _shopify_order(anonymous, fake_channels, 7102)
    assert integration.post(
        "/api/v1/orders/", params={"channel": "own-main"}, json=_own_order("X-3")
    ).status_code == 201  # fmt: skip
    listed = integration.get("/api/v1/orders/", params={"limit": 1000}).json()
    assert listed and {o["channel"] for o in listed} == {"own-main"}
    problem(integration.get("/api/v1/orders/", params={"channel": "shopify-main"}), 403,
            "channel_forbidden")  # fmt: skip
    assert "shopify-main" in {o["channel"] for o in supervisor.get("/api/v1/orders/").json()}


def test_refusals_are_logged_with_the_token_id_never_the_token(server, picker, caplog):
    bogus = "not-a-real-token-0123456789"
    with caplog.at_level(logging.WARNING, logger="wms.security"):
        problem(api.client(server.url, bogus).get("/api/v1/auth/me"), 401, "bad_token")
        problem(picker.get("/api/v1/waves/"), 403, "forbidden")
        problem(api.client(server.url).get("/api/v1/auth/me"), 401, "unauthorized")
    logged = [r.getMessage() for r in caplog.records if r.name == "wms.security"]
    assert any(token_hash(bogus)[:12] in m for m in logged), logged
    assert any("user=picker1" in m and "token id=" in m and "/api/v1/waves" in m for m in logged)
    assert any("no bearer token" in m for m in logged)
    assert not any(bogus in m for m in logged)
    assert not any(picker.headers["authorization"].split()[1] in m for m in logged)
