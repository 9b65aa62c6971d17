"""Outbox handlers by row kind, registered by the module that owns each kind.

The worker (`wms.services.outbox`) knows no kind: a module that writes rows of a kind
registers how they are delivered (``@handles("print")``, or ``@bulk_handles("stock_push")``
for kinds a pass hands over all at once), and `wms.services.outbox_kinds` imports every
such module so the registry is complete wherever a worker runs. Handlers raise
``DeliveryError`` (or any exception) to have the row tried again later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from wms.channels.outbound import OutboundRequest

if TYPE_CHECKING:
    from wms.models import Outbox
    from wms.services.outbox import OutboxWorker

Deliver = Callable[["OutboxWorker", dict[str, Any], str], Awaitable[None]]
# All of a pass's rows of one kind at once -> what went wrong per row id ("" = delivered).
BulkDeliver = Callable[["OutboxWorker", list["Outbox"]], Awaitable[dict[int, str]]]

HANDLERS: dict[str, Deliver] = {}
BULK_HANDLERS: dict[str, BulkDeliver] = {}


class DeliveryError(Exception):
    """The other side did not take it; try again later."""


def describe(exc: BaseException) -> str:
    """What went wrong, as kept on the row (``last_error``)."""
    return f"{type(exc).__name__}: {exc}"[:500]


def handles(kind: str) -> Callable[[Deliver], Deliver]:
    """Register ``fn(worker, payload, event_id)`` as the delivery of ``kind`` rows, one by one."""

    def register(fn: Deliver) -> Deliver:
        HANDLERS[kind] = fn
        return fn

    return register


def bulk_handles(kind: str) -> Callable[[BulkDeliver], BulkDeliver]:
    """Register ``fn(worker, rows)`` as the delivery of a pass's ``kind`` rows all at once."""

    def register(fn: BulkDeliver) -> BulkDeliver:
        BULK_HANDLERS[kind] = fn
        return fn

    return register


async def send_request(client: httpx.AsyncClient, request: OutboundRequest) -> httpx.Response:
    """Send a built channel request; any transport failure or non-2xx is a ``DeliveryError``."""
    try:
        response = await client.request(
            request.method, request.url, headers=request.headers, content=request.body or None
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{request.method} {request.url}: {exc!r}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"{request.method} {request.url}: HTTP {response.status_code}")
    return response
