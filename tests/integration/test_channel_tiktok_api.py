"""The TikTok client against the fake TikTok API on loopback: signing, batching, errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import FakeChannelApis, make_tiktok_order
from tests.fakes.payloads import fixture
from wms.channels.errors import ChannelApiError, ChannelUnavailable
from wms.channels.tiktok_api import get_order_details
from wms.domain.orders import OrderStatus

ORDER_ID = "576461413038785752"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChannelApis]:
    with FakeChannelApis() as server:
        server.tiktok.add_order(fixture("tiktok_order_detail.json")["data"]["orders"][0])
        for n in range(120):
            server.tiktok.add_order(make_tiktok_order(str(577000000000000000 + n), {"SKU-0001": 2}))
        yield server


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=2.0) as c:
        yield c


async def test_an_order_is_fetched_signed_and_mapped(fake, client):
    orders = await get_order_details(fake.config("tiktok-main"), [ORDER_ID], client)
    assert len(orders) == 1
    order = orders[0]
    assert order.external_id == ORDER_ID and order.status is OrderStatus.READY
    assert {line.sku: line.qty for line in order.lines} == {"SKU-0042": 3, "SKU-0007": 1}


async def test_more_than_fifty_ids_are_asked_in_batches_of_fifty(fake, client):
    ids = [str(577000000000000000 + n) for n in range(120)]
    before = len(fake.tiktok.detail_calls)
    orders = await get_order_details(fake.config("tiktok-main"), ids + ids[:5], client)
    assert [o.external_id for o in orders] == ids  # duplicates asked once, order kept
    assert [len(batch) for batch in fake.tiktok.detail_calls[before:]] == [50, 50, 20]


async def test_an_unknown_order_id_is_simply_absent(fake, client):
    assert await get_order_details(fake.config("tiktok-main"), ["123456789012345678"], client) == []


async def test_a_request_signed_with_the_wrong_secret_is_rejected(fake, client):
    wrong = dataclasses.replace(fake.config("tiktok-main"), secret="not-the-app-secret")
    with pytest.raises(ChannelApiError) as err:
        await get_order_details(wrong, [ORDER_ID], client)
    assert err.value.api_code == "106001" and err.value.upstream_status == 401
    assert not err.value.retryable


@pytest.mark.parametrize(
    "change",
    [{"app_key": "someone-else"}, {"access_token": "expired"}, {"shop_cipher": "ROW_other"}],
    ids=["app_key", "token", "shop_cipher"],
)
async def test_wrong_credentials_are_rejected_as_api_errors(fake, client, change):
    wrong = dataclasses.replace(fake.config("tiktok-main"), **change)
    with pytest.raises(ChannelApiError) as err:
        await get_order_details(wrong, [ORDER_ID], client)
    assert err.value.code == "channel_api_error"


async def test_a_stale_timestamp_is_rejected(fake, client):
    with pytest.raises(ChannelApiError):
        await get_order_details(fake.config("tiktok-main"), [ORDER_ID], client, timestamp=1)


async def test_a_server_error_is_retryable_and_the_retry_succeeds(fake, client):
    config = fake.config("tiktok-main")
    fake.fail_next(1, status=500)
    with pytest.raises(ChannelUnavailable) as err:
        await get_order_details(config, [ORDER_ID], client)
    assert err.value.retryable and err.value.code == "channel_unavailable"
    assert len(await get_order_details(config, [ORDER_ID], client)) == 1


async def test_a_slow_api_times_out_as_retryable(fake):
    fake.slow_next(1, 1.0)
    async with httpx.AsyncClient(timeout=0.2) as quick:
        with pytest.raises(ChannelUnavailable):
            await get_order_details(fake.config("tiktok-main"), [ORDER_ID], quick)


async def test_an_unreachable_api_is_retryable(client):
    with FakeChannelApis() as gone:
        config = gone.config("tiktok-main")
    with pytest.raises(ChannelUnavailable):
        await get_order_details(config, [ORDER_ID], client)
