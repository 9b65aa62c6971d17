"""Send one built OutboundRequest and classify the answer for the outbox (retry or give up)."""

from __future__ import annotations

import httpx

from wms.channels.errors import ChannelApiError, ChannelUnavailable
from wms.channels.outbound import OutboundRequest


async def deliver(request: OutboundRequest, client: httpx.AsyncClient) -> httpx.Response:
    """Return the response when the channel accepted the push.

    Raises ``ChannelUnavailable`` (timeout, connection error, 5xx, 429: retry with backoff)
    or ``ChannelApiError`` with ``retryable=False`` (4xx, TikTok ``code != 0``: a person must
    look — bad credentials, unknown listing). TikTok answers some errors with HTTP 200 and
    a non-zero ``code``, so its envelope is checked too.
    """
    try:
        response = await client.request(
            request.method, request.url, headers=request.headers, content=request.body or None
        )
    except httpx.TimeoutException as exc:
        raise ChannelUnavailable(f"timed out: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise ChannelUnavailable(f"unreachable: {exc!r}") from exc
    status = response.status_code
    if status >= 500 or status == 429:
        raise ChannelUnavailable(f"HTTP {status}", http_status=status)
    if status >= 400:
        raise ChannelApiError(f"HTTP {status}: {response.text[:200]}", http_status=status)
    if "x-tts-access-token" in request.headers:
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError):
            code = None
        if code != 0:
            raise ChannelApiError(
                f"TikTok error {code}: {response.text[:200]}",
                api_code=str(code),
                http_status=status,
            )
    return response
