"""One app, many shops: the delivery names its shop, and that shop's settings and pushes apply."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tests.fakes.channel_apis import FakeChannelApis
from tests.fakes.payloads import (
    make_shopify_order,
    make_tiktok_order,
    make_tiktok_webhook,
    make_woo_order,
)
from tests.fakes.webhooks import signed_webhook
from tests.support.api import problem
from tests.support.waiting import wait_until
from wms.channels.config import ChannelConfig
from wms.db import Database, reads
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer
from wms.models import Channel, ChannelListing, InboundEvent, Product, SalesOrder

TIKTOK_EU_SKU = "SKU-0131"
EU_REF = ("1739000000000000131", "1739500000000000131")


def _second_shops(fake: FakeChannelApis) -> dict[str, ChannelConfig]:
    tiktok = fake.configs["tiktok-main"]
    shopify = fake.configs["shopify-main"]
    woo = fake.configs["woo-main"]
    return {
        "tiktok-eu": dataclasses.replace(
            tiktok,  # the same app (key and secret): another shop of it
            code="tiktok-eu",
            name="TikTok Shop (EU)",
            access_token="TTP_eu_shop_token_Zr81",
            shop_id="7495999999999999999",
            shop_cipher="ROW_euCipher_ZZZ",
            warehouse_id="7309999999999999999",
            buffer=0,
            currency="EUR",
        ),
        "shopify-ca": dataclasses.replace(
            shopify,
            code="shopify-ca",
            secret="ca-store-client-secret-77",
            access_token="shpat_ca0000000000000000000000000002",
            shop_id="ca-store.myshopify.com",
            location_id="11111111111",
            currency="CAD",
        ),
        "woo-eu": dataclasses.replace(
            woo,
            code="woo-eu",
            secret="eu-woo-webhook-secret-1",
            shop_id="https://eu.example.com",
            currency="EUR",
        ),
    }


def _insert_channels(s: Session, configs: list[ChannelConfig], base: FakeChannelApis) -> None:
    # The first WooCommerce site declares itself, as a second one makes necessary.
    s.execute(
        update(Channel).where(Channel.code == "woo-main").values(shop_id="https://shop.example.com")
    )
    pid = s.execute(select(Product.id).where(Product.sku == TIKTOK_EU_SKU)).scalar()
    for c in configs:
        result = s.execute(
            insert(Channel).values(
                code=c.code,
                kind=str(c.kind),
                name=c.name,
                secret=c.secret,
                app_key=c.app_key,
                api_base_url=base.base_url(c.kind),
                access_token=c.access_token,
                shop_id=c.shop_id,
                shop_cipher=c.shop_cipher,
                location_id=c.location_id,
                warehouse_id=c.warehouse_id,
                buffer=c.buffer,
                fee_pct=c.fee_pct,
                fee_fixed=c.fee_fixed,
                currency=c.currency,
                active=True,
            )
        )
        s.execute(
            insert(ChannelListing).values(
                channel_id=result.inserted_primary_key[0],
                product_id=pid,
                product_ref=EU_REF[0],
                variant_ref=EU_REF[1],
            )
        )


async def _add_channels(url: str, configs: list[ChannelConfig], base: FakeChannelApis) -> None:
    db = Database(url)
    try:
        await db.run(_insert_channels, configs, base)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def shops(
    server: ThreadServer, database_url: str, fake_channels: FakeChannelApis
) -> Iterator[tuple[FakeChannelApis, dict[str, ChannelConfig]]]:
    """The second shop of each kind, answering on a fake API of its own."""
    configs = _second_shops(fake_channels)
    with FakeChannelApis(list(configs.values())) as second:
        asyncio.run(_add_channels(database_url, list(configs.values()), second))
        yield second, configs


@reads
def _counted(s: Session, model: Any) -> int:
    return int(s.execute(select(func.count()).select_from(model)).scalar())


def _count(url: str, model: Any) -> int:
    async def go() -> int:
        db = Database(url)
        try:
            return await db.run(_counted, model)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _order(client: httpx.Client, channel: str, external_id: str) -> dict[str, Any] | None:
    rows = client.get("/api/v1/orders/", params={"channel": channel, "limit": 1000}).json()
    return next((o for o in rows if o["external_id"] == external_id), None)


def _in(currency: str, payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload).replace('"USD"', f'"{currency}"'))


def test_a_tiktok_envelope_for_the_second_shop_lands_there_with_its_cipher_and_currency(
    anonymous: httpx.Client, supervisor: httpx.Client, fake_channels: FakeChannelApis, shops: Any
) -> None:
    second, configs = shops
    eu = configs["tiktok-eu"]
    order_id = "5780" + str(uuid.uuid4().int)[:15]
    second.tiktok.add_order(_in("EUR", make_tiktok_order(order_id, {TIKTOK_EU_SKU: 2})))
    envelope = make_tiktok_webhook(order_id, f"n-{order_id}", "AWAITING_SHIPMENT")
    envelope["shop_id"] = eu.shop_id
    headers, body = signed_webhook(eu, envelope)
    r = anonymous.post("/webhooks/tiktok-main", content=body, headers=headers)  # the app's URL
    assert r.status_code == 200, r.text
    order = wait_until(lambda: _order(supervisor, "tiktok-eu", order_id), "the EU shop's order")
    assert order["currency"] == "EUR"
    assert _order(supervisor, "tiktok-main", order_id) is None
    # Fetched from the EU shop's API: the fake refuses any other shop's cipher or token.
    assert second.tiktok.detail_calls and order_id in second.tiktok.detail_calls[-1]
    assert all(order_id not in ids for ids in fake_channels.tiktok.detail_calls)
    # Each shop gets its own push of the new quantity, at its own API and listing.
    ref = f"{EU_REF[0]}/{EU_REF[1]}"
    wait_until(lambda: (ChannelKind.TIKTOK, ref) in second.stock, "a stock push to the second shop")
    assert any(p.kind == ChannelKind.TIKTOK for p in fake_channels.pushes_for(ChannelKind.TIKTOK))


def test_an_envelope_for_a_shop_we_do_not_serve_is_refused_and_nothing_is_written(
    anonymous: httpx.Client, database_url: str, fake_channels: FakeChannelApis, shops: Any
) -> None:
    second, _ = shops
    before = (_count(database_url, InboundEvent), _count(database_url, SalesOrder))
    calls = (len(second.tiktok.detail_calls), len(fake_channels.tiktok.detail_calls))
    order_id = "5781" + str(uuid.uuid4().int)[:15]
    envelope = make_tiktok_webhook(order_id, f"n-{order_id}", "AWAITING_SHIPMENT")
    envelope["shop_id"] = "7000000000000000001"
    headers, body = signed_webhook(fake_channels.config("tiktok-main"), envelope)
    r = anonymous.post("/webhooks/tiktok-main", content=body, headers=headers)
    problem(r, 404, "unknown_shop")
    assert (_count(database_url, InboundEvent), _count(database_url, SalesOrder)) == before
    assert (len(second.tiktok.detail_calls), len(fake_channels.tiktok.detail_calls)) == calls


def test_a_shopify_store_is_chosen_by_its_shop_domain(
    anonymous: httpx.Client, supervisor: httpx.Client, database_url: str, shops: Any
) -> None:
    _, configs = shops
    ca = configs["shopify-ca"]
    number = 880000 + uuid.uuid4().int % 100000
    headers, body = signed_webhook(ca, _in("CAD", make_shopify_order(number, {TIKTOK_EU_SKU: 1})))
    r = anonymous.post("/webhooks/shopify-main", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "created", r.text
    assert _order(supervisor, "shopify-ca", str(number))["currency"] == "CAD"
    before = _count(database_url, SalesOrder)
    headers, body = signed_webhook(ca, make_shopify_order(number + 1, {TIKTOK_EU_SKU: 1}))
    headers["X-Shopify-Shop-Domain"] = "someone-else.myshopify.com"
    problem(
        anonymous.post("/webhooks/shopify-main", content=body, headers=headers), 404, "unknown_shop"
    )
    assert _count(database_url, SalesOrder) == before


def test_a_woocommerce_site_is_chosen_by_its_webhook_source(
    anonymous: httpx.Client, supervisor: httpx.Client, database_url: str, shops: Any
) -> None:
    _, configs = shops
    eu = configs["woo-eu"]
    number = 9900 + uuid.uuid4().int % 10000
    headers, body = signed_webhook(eu, _in("EUR", make_woo_order(number, {TIKTOK_EU_SKU: 1})))
    headers["X-WC-Webhook-Source"] = "https://EU.example.com/"
    r = anonymous.post("/webhooks/woo-main", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "created", r.text
    assert _order(supervisor, "woo-eu", str(number))["currency"] == "EUR"
    # Signed with the EU site's secret but claiming the first site: its secret refuses it.
    headers["X-WC-Webhook-Source"] = "https://shop.example.com/"
    headers["X-WC-Webhook-Delivery-ID"] = str(uuid.uuid4())
    before = _count(database_url, SalesOrder)
    r = anonymous.post("/webhooks/woo-main", content=body, headers=headers)
    assert r.status_code == 401, r.text
    headers["X-WC-Webhook-Source"] = "https://nobody.example.com/"
    problem(
        anonymous.post("/webhooks/woo-main", content=body, headers=headers), 404, "unknown_shop"
    )
    assert _count(database_url, SalesOrder) == before
