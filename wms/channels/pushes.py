"""Outbound stock and tracking pushes as data, built by each channel's adapter.

Build the request when the outbox delivers it, not when the row is written: TikTok's
signature carries a timestamp that goes stale. Stock goes out in bulk
(``plan_stock_pushes``): the adapter says how many items a call carries and what one item
looks like; levels are grouped and chunked here, whatever the channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wms.channels.adapter import StockBatch, StockLevel, TrackingPush
from wms.channels.config import ChannelConfig, Listing
from wms.channels.errors import ConfigError
from wms.channels.outbound import EVENT_HEADER, OutboundRequest, api_base, bulk_event_id
from wms.channels.registry import adapter_for

__all__ = [
    "EVENT_HEADER",
    "OutboundRequest",
    "StockBatch",
    "StockLevel",
    "StockPlan",
    "TrackingPush",
    "api_base",
    "build_stock_push",
    "build_tracking_event",
    "build_tracking_push",
    "bulk_event_id",
    "plan_stock_pushes",
    "stock_item_failures",
]


@dataclass
class StockPlan:
    """The requests that set a pass's levels, and the levels no request can carry."""

    batches: list[StockBatch] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # event id -> why


_Entry = tuple[StockLevel, str, dict[str, Any]]


def _chunks(items: list[_Entry], size: int) -> Iterable[list[_Entry]]:
    """At most ``size`` items per request, and a listing at most once in each."""
    chunk: list[_Entry] = []
    keys: set[str] = set()
    for entry in items:
        if len(chunk) == size or entry[1] in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(entry)
        keys.add(entry[1])
    if chunk:
        yield chunk


def plan_stock_pushes(config: ChannelConfig, levels: Sequence[StockLevel]) -> StockPlan:
    """Set many listings' quantities on one channel in as few requests as its API allows.

    A level whose listing ids cannot be sent is rejected alone; a channel that cannot be
    called at all (no base URL, credentials, location) raises ``ConfigError``.
    """
    adapter = adapter_for(config.kind)
    adapter.check_stock_config(config)
    plan = StockPlan()
    groups: dict[tuple[str, ...], list[_Entry]] = {}
    for level in levels:
        try:
            group, key, item = adapter.stock_item(config, level)
        except ConfigError as exc:
            plan.rejected[level.event_id] = exc.message
            continue
        groups.setdefault(group, []).append((level, key, item))
    for group, items in groups.items():
        for chunk in _chunks(items, adapter.max_stock_items):
            chunk_levels = tuple(level for level, _, _ in chunk)
            key = bulk_event_id([level.event_id for level in chunk_levels])
            request = adapter.stock_request(config, group, [item for _, _, item in chunk], key)
            plan.batches.append(StockBatch(config.kind, request, chunk_levels))
    return plan


def build_stock_push(
    config: ChannelConfig, listing: Listing, quantity: int, event_id: str
) -> OutboundRequest:
    """Set the absolute sellable ``quantity`` of one listing (apply ``channel_quantity`` first).

    The same request as a bulk push of one level; raises ``ConfigError`` when it cannot be sent.
    """
    plan = plan_stock_pushes(config, [StockLevel(listing, quantity, event_id)])
    if plan.rejected:
        raise ConfigError(plan.rejected[event_id])
    return plan.batches[0].request


def stock_item_failures(batch: StockBatch, body: bytes) -> dict[str, str]:
    """Which levels of an accepted (2xx) bulk call the channel still refused: event id -> why.

    Raises ``ChannelApiError`` when the answer says the whole call failed.
    """
    return adapter_for(batch.kind).stock_item_failures(batch, body)


def build_tracking_push(
    config: ChannelConfig,
    order_external_id: str,
    tracking_number: str,
    carrier: str,
    line_refs: Sequence[str],
    event_id: str,
    *,
    tracking_url: str = "",
) -> OutboundRequest:
    """Tell the channel an order shipped (see ``adapter.TrackingPush`` for the fields)."""
    push = TrackingPush(order_external_id, tracking_number, carrier, tuple(line_refs), tracking_url)
    return adapter_for(config.kind).tracking_request(config, push, event_id)


def build_tracking_event(
    config: ChannelConfig,
    order_external_id: str,
    event: dict[str, Any],
    event_id: str,
    *,
    fulfillment_id: int | None = None,
) -> OutboundRequest | None:
    """Tell the channel a parcel's tracking state changed; None where it takes no such call.

    ``event``: tracking, status (karrio's), at (ISO), description, location.
    """
    return adapter_for(config.kind).tracking_event_request(
        config, order_external_id, event, event_id, fulfillment_id=fulfillment_id
    )
