"""TikTok Shop API client: Get Order Detail (batched, signed), error envelopes as typed errors."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import httpx

from wms.channels import tiktok, tiktok_sign
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadPayload, ChannelApiError, ChannelUnavailable, ConfigError
from wms.channels.outbound import OutboundRequest, api_base, common_headers, dumps
from wms.domain.orders import OrderIn

ORDER_DETAIL_PATH = "/order/202309/orders"
MAX_IDS = 50  # Get Order Detail accepts at most 50 ids per call


def check_credentials(config: ChannelConfig) -> None:
    if not (config.app_key and config.secret and config.access_token):
        raise ConfigError(f"channel {config.code} needs app_key, secret and access_token")


def tiktok_request(
    config: ChannelConfig,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    payload: Any = None,
    event_id: str = "",
    timestamp: int | None = None,
) -> OutboundRequest:
    """A signed TikTok Shop API request (``path`` like ``/order/202309/orders``)."""
    check_credentials(config)
    body = dumps(payload) if payload is not None else b""
    params = {
        **(query or {}),
        "app_key": config.app_key,
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    if config.shop_cipher:
        params["shop_cipher"] = config.shop_cipher
    params["sign"] = tiktok_sign.sign(config.secret, path, params, body)
    headers = {"x-tts-access-token": config.access_token, "Content-Type": "application/json"}
    if event_id:
        headers.update(common_headers(event_id))
    return OutboundRequest(method, f"{api_base(config)}{path}?{urlencode(params)}", headers, body)


async def send(request: OutboundRequest, client: httpx.AsyncClient) -> dict[str, Any]:
    """Send one built request; return ``data`` of a ``code == 0`` envelope, else raise."""
    try:
        response = await client.request(
            request.method, request.url, headers=request.headers, content=request.body or None
        )
    except httpx.TimeoutException as exc:
        raise ChannelUnavailable(f"TikTok timed out: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise ChannelUnavailable(f"TikTok unreachable: {exc!r}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise ChannelUnavailable(
            f"TikTok answered HTTP {response.status_code}", http_status=response.status_code
        )
    try:
        envelope = response.json()
    except ValueError:
        raise ChannelApiError(
            f"TikTok answered HTTP {response.status_code} without JSON",
            http_status=response.status_code,
        ) from None
    if not isinstance(envelope, dict):
        raise ChannelApiError("TikTok envelope is not an object", http_status=response.status_code)
    code = envelope.get("code")
    if code != 0 or response.status_code >= 400:
        raise ChannelApiError(
            f"TikTok error {code}: {envelope.get('message', '')}",
            api_code=str(code),
            http_status=response.status_code,
            # Only HTTP 5xx/429 are known to be transient; an envelope error (bad sign, expired
            # token, unknown order) needs a person or a token refresh, not a blind retry.
            retryable=False,
            request_id=str(envelope.get("request_id", "")),
        )
    data = envelope.get("data")
    return data if isinstance(data, dict) else {}


def _batches(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), MAX_IDS):
        yield ids[start : start + MAX_IDS]


async def get_order_details(
    config: ChannelConfig,
    order_ids: Iterable[str],
    client: httpx.AsyncClient,
    *,
    timestamp: int | None = None,
) -> list[OrderIn]:
    """Fetch and map orders, ≤ 50 ids per call, in the order TikTok returns them.

    Ids TikTok does not return (not this shop's, not yet visible) are simply absent from the
    result; duplicates are asked once. Raises ChannelUnavailable (retry) or ChannelApiError.
    """
    ids = list(dict.fromkeys(str(i).strip() for i in order_ids if str(i).strip()))
    orders: list[OrderIn] = []
    for batch in _batches(ids):
        request = tiktok_request(
            config, "GET", ORDER_DETAIL_PATH, query={"ids": ",".join(batch)}, timestamp=timestamp
        )
        data = await send(request, client)
        raw = data.get("orders")
        if not isinstance(raw, list):
            raise BadPayload("TikTok Get Order Detail without data.orders")
        orders.extend(tiktok.map_order(o) for o in raw)
    return orders


STATEMENT_PATH = "/finance/202309/orders/{order_id}/statement_transactions"


async def get_statement(
    config: ChannelConfig, order_id: str, client: httpx.AsyncClient, *, timestamp: int | None = None
) -> dict[str, Any]:
    """An order's statement transactions (``data``), ``{}``-like until TikTok settles it."""
    path = STATEMENT_PATH.format(order_id=str(order_id).strip())
    request = tiktok_request(config, "GET", path, timestamp=timestamp)
    return await send(request, client)
