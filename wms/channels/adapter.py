"""The one interface every sales channel implements, and the values that cross it.

A channel is one adapter module (``tiktok_adapter``, ``shopify_adapter``, ...) holding a
class that implements ``ChannelAdapter``; ``wms.channels.registry`` registers it by kind.
Nothing else in ``wms/`` asks which kind a channel is: it asks the adapter. Adapters are
pure but for the HTTP client they are handed (no database, no global state); the outbox
calls their ``push_*`` methods outside every transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import httpx

from wms.channels.config import ChannelConfig, Listing
from wms.channels.delivery import deliver
from wms.channels.errors import ConfigError
from wms.channels.events import WebhookEvent
from wms.channels.outbound import OutboundRequest, api_base
from wms.domain.orders import ChannelKind, OrderIn


@dataclass(frozen=True)
class StockLevel:
    """One outbox row: the absolute sellable ``quantity`` of one listing (buffer applied)."""

    listing: Listing
    quantity: int
    event_id: str

    @property
    def sellable(self) -> int:
        return max(0, int(self.quantity))  # a channel cannot hold a negative quantity


@dataclass(frozen=True)
class StockBatch:
    """One request and the levels it carries, in the order of its items."""

    kind: ChannelKind
    request: OutboundRequest
    levels: tuple[StockLevel, ...]

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(level.event_id for level in self.levels)


@dataclass(frozen=True)
class TrackingPush:
    """An order shipped: what the channel is told.

    ``carrier`` / ``line_refs`` mean, per channel: TikTok — its shipping_provider_id and the
    order's line item ids; Shopify — the carrier name and fulfillment order ids (the adapter
    asks Shopify for them when it pushes); the others — free text and our line refs.
    """

    order_external_id: str
    tracking_number: str
    carrier: str
    line_refs: tuple[str, ...] = ()
    tracking_url: str = ""


# One level as (group, item key, item): a group becomes one request per chunk, and a
# listing (item key) goes at most once into each request.
StockItem = tuple[tuple[str, ...], str, dict[str, Any]]


class ChannelAdapter(Protocol):
    """What the services need from a channel, whatever its kind."""

    kind: ClassVar[ChannelKind]
    max_stock_items: ClassVar[int]  # items one stock request may carry
    # True: a call whose answer refuses one item applied none (Shopify's mutation).
    atomic_stock_batches: ClassVar[bool]
    # True: the channel settles each delivered order in a statement we fetch (TikTok).
    settles_by_statement: ClassVar[bool]

    def parse_webhook(
        self,
        config: ChannelConfig,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> WebhookEvent:
        """Verify the signature on the raw ``body``, then map it (orders, cancels, returns)."""
        ...

    def shop_key(self, headers: Mapping[str, str], body: bytes) -> str:
        """Which shop of an app a delivery is for ("" when it does not say), unverified."""
        ...

    async def fetch_orders(
        self, config: ChannelConfig, order_ids: Iterable[str], client: httpx.AsyncClient
    ) -> list[OrderIn]:
        """The orders a webhook only named (``needs_fetch``); ConfigError if it never does."""
        ...

    async def fetch_statement(
        self, config: ChannelConfig, order_id: str, client: httpx.AsyncClient
    ) -> dict[str, Any]:
        """An order's settlement (``statement_transactions``, empty until settled)."""
        ...

    def check_stock_config(self, config: ChannelConfig) -> None:
        """Raise ConfigError when no stock request of this channel could be sent."""
        ...

    def stock_item(self, config: ChannelConfig, level: StockLevel) -> StockItem:
        """One level in the channel's format; ConfigError rejects that level alone."""
        ...

    def stock_request(
        self,
        config: ChannelConfig,
        group: tuple[str, ...],
        items: list[dict[str, Any]],
        key: str,
    ) -> OutboundRequest:
        """One request setting ``items`` (of one group), idempotency key ``key``."""
        ...

    def stock_item_failures(self, batch: StockBatch, body: bytes) -> dict[str, str]:
        """Levels of an accepted (2xx) call the channel still refused: event id -> why."""
        ...

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        """The request that tells the channel the order shipped."""
        ...

    async def push_tracking(
        self, config: ChannelConfig, push: TrackingPush, event_id: str, client: httpx.AsyncClient
    ) -> None:
        """Tell the channel the order shipped (asking it first for what it needs)."""
        ...

    def tracking_event_request(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        *,
        fulfillment_id: int | None = None,
    ) -> OutboundRequest | None:
        """A parcel's tracking state changed; None where the channel takes no such call."""
        ...

    async def push_tracking_event(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        client: httpx.AsyncClient,
    ) -> None:
        """Send ``tracking_event_request`` (asking the channel first for what it needs)."""
        ...


class BaseAdapter:
    """Defaults an adapter may keep: no shops, no order fetch, per-call stock answers."""

    max_stock_items: ClassVar[int] = 100
    atomic_stock_batches: ClassVar[bool] = False
    settles_by_statement: ClassVar[bool] = False

    def shop_key(self, headers: Mapping[str, str], body: bytes) -> str:
        return ""

    async def fetch_orders(
        self, config: ChannelConfig, order_ids: Iterable[str], client: httpx.AsyncClient
    ) -> list[OrderIn]:
        raise ConfigError(f"channel {config.code} sends whole orders: nothing to fetch")

    async def fetch_statement(
        self, config: ChannelConfig, order_id: str, client: httpx.AsyncClient
    ) -> dict[str, Any]:
        raise ConfigError(f"channel {config.code} sends no statements")

    def check_stock_config(self, config: ChannelConfig) -> None:
        api_base(config)

    def stock_item_failures(self, batch: StockBatch, body: bytes) -> dict[str, str]:
        return {}  # the channel answers for the call as a whole

    def tracking_request(
        self, config: ChannelConfig, push: TrackingPush, event_id: str
    ) -> OutboundRequest:
        raise NotImplementedError

    def tracking_event_request(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        *,
        fulfillment_id: int | None = None,
    ) -> OutboundRequest | None:
        return None

    async def push_tracking(
        self, config: ChannelConfig, push: TrackingPush, event_id: str, client: httpx.AsyncClient
    ) -> None:
        await deliver(self.tracking_request(config, push, event_id), client)

    async def push_tracking_event(
        self,
        config: ChannelConfig,
        order_external_id: str,
        event: dict[str, Any],
        event_id: str,
        client: httpx.AsyncClient,
    ) -> None:
        request = self.tracking_event_request(config, order_external_id, event, event_id)
        if request is not None:
            await deliver(request, client)
