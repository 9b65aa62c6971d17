"""Stock and tracking pushes delivered to the fake channel APIs are accepted and recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes import FakeChannelApis
from wms.channels.config import load_listings
from wms.channels.delivery import deliver
from wms.channels.errors import ChannelApiError, ChannelUnavailable
from wms.channels.pushes import build_stock_push, build_tracking_push
from wms.domain.orders import ChannelKind

ROOT = Path(__file__).resolve().parents[2]
LISTINGS = {(x.channel, x.sku): x for x in load_listings(ROOT / "fixtures/demo/listings.csv")}
CODES = ["tiktok-main", "shopify-main", "woo-main", "own-main"]
ORDER = {
    "tiktok-main": "576461413038785752",
    "shopify-main": "5791234567890",
    "woo-main": "4127",
    "own-main": "OWN-2026-000731",
}
CARRIER = {"tiktok-main": "6617675021119438849"}
LINE_REFS = {"tiktok-main": ["577086512123755123"], "shopify-main": ["1046000818"]}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChannelApis]:
    with FakeChannelApis() as server:
        yield server


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=2.0) as c:
        yield c


@pytest.mark.parametrize("code", CODES)
async def test_a_stock_push_is_accepted_and_recorded_with_its_event_id(fake, client, code):
    config = fake.config(code)
    listing = LISTINGS[(code, "SKU-0118")]
    await deliver(build_stock_push(config, listing, 17, f"stock-{code}"), client)
    push = fake.pushes_for(config.kind, "stock")[-1]
    assert push.event_id == f"stock-{code}" and not push.duplicate
    ref = {
        ChannelKind.TIKTOK: f"{listing.product_ref}/{listing.variant_ref}",
        ChannelKind.SHOPIFY: listing.variant_ref,
        ChannelKind.WOOCOMMERCE: f"{listing.product_ref}/{listing.variant_ref}",
        ChannelKind.OWN: listing.sku,
    }[config.kind]
    assert fake.stock[(config.kind, ref)] == 17


@pytest.mark.parametrize("code", CODES)
async def test_a_tracking_push_is_accepted_and_recorded(fake, client, code):
    config = fake.config(code)
    request = build_tracking_push(
        config,
        ORDER[code],
        "1Z5R89390357567127",
        CARRIER.get(code, "UPS"),
        LINE_REFS.get(code, []),
        f"track-{code}",
        tracking_url="https://example.com/t",
    )
    await deliver(request, client)
    push = fake.pushes_for(config.kind, "tracking")[-1]
    assert push.event_id == f"track-{code}"
    assert "1Z5R89390357567127" in str(push.body)


async def test_a_redelivered_push_is_recognisable_as_a_duplicate(fake, client):
    config = fake.config("shopify-main")
    request = build_stock_push(config, LINES := LISTINGS[("shopify-main", "SKU-0001")], 4, "dup-1")
    await deliver(request, client)
    await deliver(request, client)
    pushes = [p for p in fake.pushes_for("shopify") if p.event_id == "dup-1"]
    assert [p.duplicate for p in pushes] == [False, True]
    assert fake.stock[(ChannelKind.SHOPIFY, LINES.variant_ref)] == 4


@pytest.mark.parametrize("code", CODES)
async def test_a_push_with_wrong_credentials_is_refused_and_not_retryable(fake, client, code):
    config = dataclasses.replace(fake.config(code), access_token="wrong", secret="wrong")
    before = len(fake.pushes)
    with pytest.raises(ChannelApiError) as err:
        await deliver(build_stock_push(config, LINES_0001(code), 1, "bad-cred"), client)
    assert not err.value.retryable and err.value.upstream_status == 401
    assert len(fake.pushes) == before


async def test_a_failing_channel_is_retryable_until_it_recovers(fake, client):
    config = fake.config("woo-main")
    request = build_stock_push(config, LINES_0001("woo-main"), 2, "retry-1")
    fake.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(ChannelUnavailable):
            await deliver(request, client)
    await deliver(request, client)
    assert [p.event_id for p in fake.pushes_for("woocommerce")].count("retry-1") == 1


async def test_a_rate_limited_push_is_retryable(fake, client):
    fake.fail_next(1, status=429)
    with pytest.raises(ChannelUnavailable):
        await deliver(
            build_stock_push(fake.config("own-main"), LINES_0001("own-main"), 1, "rl"), client
        )


def LINES_0001(code: str):  # noqa: N802 - reads like a constant table lookup in the tests
    return LISTINGS[(code, "SKU-0001")]


async def test_shopify_tracking_goes_to_the_fulfillment_orders_it_lists(fake, client):
    from wms.channels.shopify_fulfillment import (
        build_fulfillment_orders_request,
        fulfillable_order_ids,
    )

    config = fake.config("shopify-main")
    listed = await deliver(build_fulfillment_orders_request(config, "5791234567890"), client)
    refs = fulfillable_order_ids(listed.json(), config.location_id)
    assert refs == ["57912345678901"]
    push = build_tracking_push(config, "5791234567890", "1Z5R89390357567127", "UPS", refs, "fo-1")
    await deliver(push, client)
    assert fake.pushes_for("shopify", "tracking")[-1].ref == "57912345678901"
