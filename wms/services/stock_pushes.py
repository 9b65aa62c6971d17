"""The outbox's ``stock_push`` rows, delivered in bulk: per channel, as few calls as it allows.

A pass hands each channel's levels to ``pushes.plan_stock_pushes``, which packs them into
as few calls as the channel's adapter allows (one Shopify mutation per 250, one Woo batch
per 100 or per parent product, one TikTok call per product, one list for the own shop). A
failed call reschedules every row it carried; an item the channel refuses by name fails
that row alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import httpx

from wms.channels import delivery
from wms.channels.config import Listing
from wms.channels.errors import ChannelUnavailable
from wms.channels.pushes import StockBatch, StockLevel, plan_stock_pushes, stock_item_failures
from wms.channels.registry import adapter_for
from wms.models import Outbox
from wms.services import channels
from wms.services.outbox_handlers import bulk_handles, describe

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker

log = logging.getLogger("wms.outbox")
# A kept-alive connection the other side closed as we reused it: httpx's own errors, and
# aiohttp's under the transport (which reports them as other httpx errors).
STALE_CONNECTION = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


@bulk_handles("stock_push")
async def deliver_stock_pushes(worker: OutboxWorker, rows: list[Outbox]) -> dict[int, str]:
    """Bulk handler for a pass's ``stock_push`` rows: per channel, as few calls as it allows.

    Returns what went wrong per row id ("" = sent). A failed call fails all its rows; an item
    the channel refused by name (Shopify userErrors, a Woo batch item error) fails that row
    alone. Shopify applies none of a refused mutation, so its other items go again at once.
    """
    by_channel: dict[str, list[Outbox]] = {}
    for row in rows:
        by_channel.setdefault(str(row.payload.get("channel", "")), []).append(row)
    outcomes = await asyncio.gather(
        *(_deliver_channel_stock(worker, code, group) for code, group in by_channel.items())
    )
    return {row_id: error for outcome in outcomes for row_id, error in outcome.items()}


async def _deliver_channel_stock(
    worker: OutboxWorker, code: str, rows: list[Outbox]
) -> dict[int, str]:
    errors: dict[str, str] = {}
    levels: list[StockLevel] = []
    for row in rows:
        p = row.payload
        try:
            listing = Listing(code, p["sku"], p["product_ref"], p.get("variant_ref") or "")
            levels.append(StockLevel(listing, int(p["quantity"]), row.event_id))
        except (KeyError, TypeError, ValueError) as exc:
            errors[row.event_id] = f"bad stock_push payload: {exc!r}"
    try:
        _, config = await channels.config_for(worker.db, code)
        plan = plan_stock_pushes(config, levels)
    except Exception as exc:  # unknown channel, bad config: retried like any failure
        log.warning("stock pushes to %s not sent: %s", code, exc)
        return {row.id: errors.get(row.event_id) or describe(exc) for row in rows}  # type: ignore[misc]
    errors.update(plan.rejected)
    for failures in await asyncio.gather(
        *(_send_stock_batch(worker, batch) for batch in plan.batches)
    ):
        errors.update(failures)
    return {row.id: errors.get(row.event_id, "") for row in rows}  # type: ignore[misc]


async def _send_stock_batch(
    worker: OutboxWorker, batch: StockBatch, *, again: bool = True
) -> dict[str, str]:
    """Send one bulk request; returns event id -> error for the levels that did not land."""
    try:
        client, slots = worker.channel_http(batch.levels[0].listing.channel)
        async with slots:
            try:
                response = await delivery.deliver(batch.request, client)
            except ChannelUnavailable as exc:
                if not _stale_connection(exc):
                    raise
                # A kept-alive connection the server had just closed: the call never got
                # there. Setting absolute quantities again is harmless, so go at once.
                response = await delivery.deliver(batch.request, client)
        failures = stock_item_failures(batch, response.content)
    except Exception as exc:  # the call failed as a whole: every row it carried goes again
        error = describe(exc)
        log.warning("stock push %s (%d rows) failed: %s", _where(batch), len(batch.levels), error)
        return dict.fromkeys(batch.event_ids, error)
    if failures:
        log.warning(
            "stock push %s: %d of %d items refused",
            _where(batch),
            len(failures),
            len(batch.levels),
        )
    rest = [level for level in batch.levels if level.event_id not in failures]
    if failures and rest and adapter_for(batch.kind).atomic_stock_batches:
        if not again:
            applied_none = "not applied: the channel refused another item of the call"
            return {**dict.fromkeys(batch.event_ids, applied_none), **failures}
        _, config = await channels.config_for(worker.db, rest[0].listing.channel)
        for retry in plan_stock_pushes(config, rest).batches:
            failures.update(await _send_stock_batch(worker, retry, again=False))
    return failures


def _stale_connection(exc: BaseException) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, STALE_CONNECTION):
            return True
        cause = cause.__cause__
    return False


def _where(batch: StockBatch) -> str:
    return batch.request.url.partition("?")[0]  # TikTok's query carries the signature
