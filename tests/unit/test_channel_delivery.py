"""Delivery classifies every answer: accepted, retry later, or give up and tell a person."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from wms.channels.config import Listing, load_channels
from wms.channels.delivery import deliver
from wms.channels.errors import ChannelApiError, ChannelUnavailable
from wms.channels.pushes import build_stock_push
from wms.channels.tiktok_api import get_order_details

CHANNELS = load_channels(Path(__file__).resolve().parents[2] / "fixtures/demo/channels.json")
TIKTOK_LISTING = Listing("tiktok-main", "SKU-0001", "1729000000000844119", "1729500000000566977")
OWN_LISTING = Listing("own-main", "SKU-0001", "SKU-0001")


def client_answering(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_a_tiktok_envelope_error_under_http_200_is_an_api_error():
    request = build_stock_push(CHANNELS["tiktok-main"], TIKTOK_LISTING, 1, "e")
    answer = {"code": 12019001, "message": "sku not found", "request_id": "r1"}
    async with client_answering(lambda r: httpx.Response(200, json=answer)) as client:
        with pytest.raises(ChannelApiError) as err:
            await deliver(request, client)
    assert err.value.api_code == "12019001" and not err.value.retryable


async def test_a_tiktok_success_envelope_is_accepted():
    request = build_stock_push(CHANNELS["tiktok-main"], TIKTOK_LISTING, 1, "e")
    answer = {"code": 0, "message": "Success", "data": {}}
    async with client_answering(lambda r: httpx.Response(200, json=answer)) as client:
        assert (await deliver(request, client)).status_code == 200


@pytest.mark.parametrize(
    ("status", "retry"),
    [(500, True), (503, True), (429, True), (400, False), (404, False), (422, False)],
)
async def test_http_statuses_are_classified_for_the_outbox(status, retry):
    request = build_stock_push(CHANNELS["own-main"], OWN_LISTING, 1, "e")
    async with client_answering(lambda r: httpx.Response(status, text="nope")) as client:
        with pytest.raises(ChannelApiError) as err:
            await deliver(request, client)
    assert err.value.retryable is retry
    assert isinstance(err.value, ChannelUnavailable) is retry


async def test_a_connection_failure_is_retryable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    request = build_stock_push(CHANNELS["own-main"], OWN_LISTING, 1, "e")
    async with client_answering(refuse) as client:
        with pytest.raises(ChannelUnavailable):
            await deliver(request, client)


async def test_tiktok_answering_html_is_an_api_error_not_a_crash():
    async with client_answering(lambda r: httpx.Response(200, text="<html>")) as client:
        with pytest.raises(ChannelApiError):
            await get_order_details(CHANNELS["tiktok-main"], ["1"], client)


async def test_tiktok_order_detail_without_orders_is_a_bad_payload():
    answer = {"code": 0, "message": "Success", "data": {}}
    async with client_answering(lambda r: httpx.Response(200, json=answer)) as client:
        with pytest.raises(Exception) as err:
            await get_order_details(CHANNELS["tiktok-main"], ["1"], client)
    assert getattr(err.value, "code", "") == "bad_payload"


async def test_no_ids_means_no_call():
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    async with client_answering(fail) as client:
        assert await get_order_details(CHANNELS["tiktok-main"], ["", "  "], client) == []
