"""A merchant's own site, sharing nothing with the demo: check, load, edit, reload, orders, wave.

The site (tests/sites/three_blocks) has three blocks of aisles, a Shopify product export as
its catalogue, two TikTok shops of one app in two currencies, a Shopify store and a
WooCommerce site. It runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.fakes.channel_apis import FakeChannelApis
from tests.fakes.payloads import (
    make_shopify_order,
    make_tiktok_order,
    make_tiktok_webhook,
    make_woo_order,
)
from tests.fakes.webhooks import signed_webhook
from tests.support.api import idem
from tests.support.databases import new_empty_database, point_channels_at
from tests.support.waiting import wait_until
from wms.channels.config import load_channels
from wms.db import Database, reads
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer
from wms.models import Channel
from wms.services import loader
from wms.services.check import violations
from wms.services.site_files import read_site

SITE = Path(__file__).resolve().parent.parent / "sites" / "three_blocks"
CONFIGS = load_channels(SITE / "channels.json")
ORDERS: dict[str, str] = {}  # channel code -> external id of the order it sent


def _run(coro_fn: Any, url: str, *args: Any) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            return await coro_fn(db, *args)
        finally:
            await db.dispose()

    return asyncio.run(go())


@reads
def _channel_row(s: Session, code: str) -> Any:
    return s.execute(select(Channel).where(Channel.code == code)).scalar_one()


async def _channel(db: Database, code: str) -> Any:
    return await db.run(_channel_row, code)


def _point_channel(s: Session, code: str, base: str) -> None:
    s.execute(update(Channel).where(Channel.code == code).values(api_base_url=base))


async def _point(db: Database, code: str, base: str) -> None:
    await db.run(_point_channel, code, base)


def _point_all(url: str, fake: FakeChannelApis, fake_de: FakeChannelApis) -> None:
    point_channels_at(url, {k.value: fake.base_url(k) for k in ChannelKind})
    _run(_point, url, "tts-de", fake_de.base_url(ChannelKind.TIKTOK))


@pytest.fixture(scope="module")
def folder(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the site that the tests may edit (one per database engine)."""
    return Path(shutil.copytree(SITE, tmp_path_factory.mktemp(f"own-{backend}") / "site"))


@pytest.fixture(scope="module")
def fake_channels() -> Iterator[FakeChannelApis]:
    """The US TikTok shop, the Shopify store and the WooCommerce site."""
    with FakeChannelApis([CONFIGS["tts-us"], CONFIGS["shop-main"], CONFIGS["woo-b2b"]]) as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_de() -> Iterator[FakeChannelApis]:
    """The German TikTok shop: its own token and cipher, so its own API."""
    with FakeChannelApis([CONFIGS["tts-de"]]) as fake:
        yield fake


@pytest.fixture(scope="module")
def database_url(backend: str, db_folder: Path, folder: Path) -> str:
    assert read_site(folder)[1] == []
    url = new_empty_database(backend, db_folder)
    _run(loader.load_warehouse, url, folder)
    return url


@pytest.fixture(scope="module")
def server(
    database_url: str, fake_channels: FakeChannelApis, fake_de: FakeChannelApis
) -> Iterator[ThreadServer]:
    _point_all(database_url, fake_channels, fake_de)
    with ThreadServer(database_url) as srv:
        yield srv


@pytest.fixture(scope="module")
def lead(server: ThreadServer) -> Iterator[httpx.Client]:
    r = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": "NH-100", "pin": "2468"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as c:
        yield c


def _order(client: httpx.Client, channel: str, external_id: str) -> dict[str, Any] | None:
    rows = client.get("/api/v1/orders/", params={"channel": channel, "limit": 500}).json()
    return next((o for o in rows if o["external_id"] == external_id), None)


def _in(currency: str, payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload).replace('"USD"', f'"{currency}"'))


def test_the_site_loads_with_its_own_layout_and_keeps_the_invariants(
    database_url: str, server: ThreadServer
) -> None:
    from wms.services.site import current_layout

    layout = _run(current_layout, database_url)
    assert layout.name == "Nordhafen DC" and layout.geometry.blocks == 3
    assert _run(violations, database_url) == []


def test_an_edit_and_a_reload_change_the_running_site(
    database_url: str,
    folder: Path,
    server: ThreadServer,
    fake_channels: FakeChannelApis,
    fake_de: FakeChannelApis,
) -> None:
    with open(folder / "products.csv", "a") as f:
        f.write("rye-crisps,Rye crisps,Title,Default Title,RC-1,200,4260000000066,1.10,active\n")
    with open(folder / "stock.csv", "a") as f:
        f.write("RC-1,S04-02-1,40,,\n")
    channels = json.loads((folder / "channels.json").read_text())
    channels["channels"][0]["buffer"] = 3
    (folder / "channels.json").write_text(json.dumps(channels))
    counts = _run(loader.load_warehouse, database_url, folder)
    assert counts["products"] == 6 and counts["stock_lines"] == 1
    assert _run(_channel, database_url, "tts-us").buffer == 3
    # The file is the truth: its channels name no API address, so the fakes' are set again.
    assert _run(_channel, database_url, "tts-us").api_base_url == ""
    _point_all(database_url, fake_channels, fake_de)
    assert _run(violations, database_url) == []


def test_orders_from_two_tiktok_shops_a_shopify_store_and_a_woocommerce_site_land_apart(
    anonymous: httpx.Client,
    lead: httpx.Client,
    fake_channels: FakeChannelApis,
    fake_de: FakeChannelApis,
) -> None:
    us, de = ("5800" + str(uuid.uuid4().int)[:15] for _ in range(2))
    fake_channels.tiktok.add_order(make_tiktok_order(us, {"LS-M": 1, "TT-100": 1}))
    fake_de.tiktok.add_order(_in("EUR", make_tiktok_order(de, {"TT-100": 2})))
    for code, order_id in (("tts-us", us), ("tts-de", de)):
        envelope = make_tiktok_webhook(order_id, f"n-{order_id}", "AWAITING_SHIPMENT")
        envelope["shop_id"] = CONFIGS[code].shop_id
        headers, body = signed_webhook(CONFIGS[code], envelope)
        r = anonymous.post("/webhooks/tts-us", content=body, headers=headers)  # the app's URL
        assert r.status_code == 200, r.text
    number = 700000 + uuid.uuid4().int % 100000
    headers, body = signed_webhook(
        CONFIGS["shop-main"], _in("EUR", make_shopify_order(number, {"LS-S": 1}))
    )
    r = anonymous.post("/webhooks/shop-main", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "created", r.text
    headers, body = signed_webhook(
        CONFIGS["woo-b2b"], _in("EUR", make_woo_order(number, {"TT-100": 3}))
    )
    headers["X-WC-Webhook-Source"] = "https://b2b.nordhafen.example/"
    r = anonymous.post("/webhooks/woo-b2b", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "created", r.text

    ORDERS.update({"tts-us": us, "tts-de": de, "shop-main": str(number), "woo-b2b": str(number)})
    currencies = {"tts-us": "USD", "tts-de": "EUR", "shop-main": "EUR", "woo-b2b": "EUR"}
    for code, external_id in ORDERS.items():
        order = wait_until(lambda c=code, x=external_id: _order(lead, c, x), f"{code}'s order", 15)
        assert order["currency"] == currencies[code], code
        assert order["status"] == "ready", (code, order["status"])


def test_each_tiktok_shop_gets_its_own_stock_pushes(
    fake_channels: FakeChannelApis, fake_de: FakeChannelApis
) -> None:
    us_ref = ("TIKTOK", "1731000000000000009/1731500000000000009")
    de_ref = ("TIKTOK", "1732000000000000009/1732500000000000009")
    # TT-100: 150 on hand; the orders hold 1 + 2 + 3; the US shop keeps a buffer of 3.
    wait_until(
        lambda: fake_de.stock.get((ChannelKind.TIKTOK, de_ref[1])) == 150 - 6,
        "the DE shop to be pushed 150 less 6",
        15,
    )
    wait_until(
        lambda: fake_channels.stock.get((ChannelKind.TIKTOK, us_ref[1])) == 150 - 6 - 3,
        "the US shop to be pushed 150 less 6 and its buffer",
        15,
    )
    assert (ChannelKind.TIKTOK, us_ref[1]) not in fake_de.stock


def test_a_wave_is_planned_and_drawn_on_the_site_s_three_blocks(
    lead: httpx.Client, database_url: str
) -> None:
    ids = [_order(lead, code, x)["id"] for code, x in ORDERS.items()]  # type: ignore[index]
    plan = lead.post("/api/v1/waves/plan", json={"order_ids": ids}).json()
    assert plan["orders"] == 4 and plan["distance_m"] > 0, plan
    r = lead.post("/api/v1/waves/", json={"order_ids": ids, "iterations": 5}, headers=idem())
    assert r.status_code == 201, r.text
    wave = lead.get(f"/api/v1/waves/{r.json()['id']}").json()
    stops: list[str] = []
    for b in wave["batches"]:
        batch = lead.get(f"/api/v1/batches/{b['id']}").json()
        stops += [s["location"] for s in batch["stops"]]
        assert batch["drop_location"].startswith("OUT-")
        svg = lead.get(f"/api/v1/batches/{b['id']}/route.svg").text
        assert svg.count('class="rack"') == 3 * 6 * 2  # three blocks of six aisles
    assert stops and all(code[0] in "NS" for code in stops), stops
    assert _run(violations, database_url) == []
