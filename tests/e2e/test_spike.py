"""The viral spike: 200 orders from four channels at once for a SKU with 37 units."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.payloads import (
    make_shopify_order,
    make_tiktok_order,
    make_tiktok_webhook,
    make_woo_order,
)
from tests.fakes.webhooks import signed_webhook
from tests.support import api
from tests.support.databases import point_channels_at
from tests.support.waiting import wait_until
from wms.db import Database
from wms.domain.orders import ChannelKind
from wms.loopback import ProcessServer
from wms.services.check import violations

SKU = "SKU-0250"
UNITS = 37
ORDERS_PER_CHANNEL = 50


@pytest.fixture(scope="module")
def servers(backend: str, database_url: str, fake_channels) -> Iterator[list[ProcessServer]]:
    """One server process on SQLite; two behind a (round-robin) balancer on PostgreSQL."""
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    procs = [ProcessServer(database_url) for _ in range(2 if backend == "postgres" else 1)]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def _leave_exactly(url: str, units: int) -> None:
    with api.client(url, api.login(url, "supervisor")) as c:
        rows = c.get("/api/v1/stock/", params={"sku": SKU}).json()
        for n, row in enumerate(rows):
            r = c.post(
                "/api/v1/stock/count",
                json={
                    "location": row["location"],
                    "lines": [{"sku": SKU, "qty": units if n == 0 else 0}],
                },
            )
            assert r.status_code == 201, r.text
        assert c.get(f"/api/v1/stock/availability/{SKU}").json()["sellable"] == units


def _requests(fake) -> list[tuple[str, dict[str, str], bytes]]:
    """(path, headers, body) for 200 orders, 1 or 2 units each, interleaved by channel."""
    out = []
    for i in range(ORDERS_PER_CHANNEL):
        qty = 1 + i % 2
        tiktok_id = f"57790000000{i:07d}"
        fake.tiktok.add_order(make_tiktok_order(tiktok_id, {SKU: qty}))
        env = make_tiktok_webhook(tiktok_id, f"spike-{i}", "AWAITING_SHIPMENT")
        own = {
            "order_id": f"SPIKE-OWN-{i}",
            "currency": "USD",
            "lines": [{"sku": SKU, "qty": qty, "unit_price": "19.90"}],
            "ship_to": {
                "name": "A B",
                "line1": "1 St",
                "city": "X",
                "postal_code": "1",
                "country": "US",
            },
        }
        for code, payload in (
            ("tiktok-main", env),
            ("shopify-main", make_shopify_order(880000 + i, {SKU: qty})),
            ("woo-main", make_woo_order(990000 + i, {SKU: qty})),
            ("own-main", own),
        ):
            headers, body = signed_webhook(fake.config(code), payload)
            out.append((f"/webhooks/{code}", headers, body))
    return out


async def _fire(urls: list[str], requests: list[tuple[str, dict[str, str], bytes]]) -> list[int]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(n: int, path: str, headers: dict[str, str], body: bytes) -> int:
            r = await client.post(urls[n % len(urls)] + path, content=body, headers=headers)
            return r.status_code

        return await asyncio.gather(*(one(n, *req) for n, req in enumerate(requests)))


def test_two_hundred_concurrent_orders_never_take_more_than_the_37_units_there_are(
    servers, database_url, fake_channels
):
    urls = [s.url for s in servers]
    _leave_exactly(urls[0], UNITS)
    requests = _requests(fake_channels)
    statuses = asyncio.run(_fire(urls, requests))
    assert statuses == [200] * len(requests)

    with api.client(urls[0], api.login(urls[0], "supervisor")) as c:

        def every_order() -> list | None:
            orders = [
                o
                for o in c.get("/api/v1/orders/", params={"limit": 1000}).json()
                if o["lines"] and o["lines"][0]["sku"] == SKU
            ]
            return orders if len(orders) == 4 * ORDERS_PER_CHANNEL else None

        # TikTok orders are fetched from TikTok after the webhook is answered.
        orders = wait_until(every_order, f"all {4 * ORDERS_PER_CHANNEL} orders", 60, every=0.1)
        reserved = sum(o["lines"][0]["reserved"] for o in orders)
        backordered = sum(o["lines"][0]["backordered"] for o in orders)
        wanted = sum(o["lines"][0]["qty"] for o in orders)
        assert reserved == UNITS
        assert backordered == wanted - UNITS
        assert {o["status"] for o in orders} <= {"ready", "backordered"}
        assert c.get(f"/api/v1/stock/availability/{SKU}").json()["sellable"] == 0

    async def check() -> list[str]:
        db = Database(database_url)
        try:
            return await violations(db)
        finally:
            await db.dispose()

    assert asyncio.run(check()) == []
