"""The wave planner's values: its rules (``WaveRules``) and their defaults, what it is given
(``PlanOrder``, ``Free``) and what it returns (``WavePlan``), and why an order stays out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NamedTuple

from wms.domain.batching import BatchOrder, Cart
from wms.domain.layout import Geometry, Point

WALK_M_PER_S = 1.0  # a picker pushing a cart
# A stop is four inputs on the terminal (location, item, quantity, tote) besides finding
# the face; each unit is taken and scanned on top (SECONDS_PER_UNIT).
SECONDS_PER_STOP = 12.0
SECONDS_PER_UNIT = 3.0
REASONS = {
    "not_ready": "the order is not ready for a wave (in a wave already, shipped, cancelled)",
    "awaiting_payment": "the channel has not captured the payment yet",
    "on_hold": "held by the channel or the merchant",
    "backordered": "some units could not be reserved",
    "no_address": "no complete ship-to address (name, street, city, postal code, country)",
    "channel": "its channel is not in this wave",
    "carrier": "its carrier is not in this wave",
    "priority": "priority below the wave's minimum",
    "not_due": "ship-by later than the wave's horizon",
    "not_reserved": "a line is not fully reserved",
    "nothing_to_pick": "every unit already has a pick task",
    "segment": "single-unit or multi-unit order outside the wave's segment",
    "max_orders": "the wave's order cap is reached",
    "max_units": "the wave's unit cap is reached",
    "no_location": "a line has no known pick location",
    "no_stock_in_racks": "not enough free stock in rack locations for a line",
    "max_batches": "the wave's cap on cart trips is reached",
}
"""Why an order stays out of a wave: code -> what a supervisor reads."""

STATUS_REASONS = {"awaiting_payment", "on_hold", "backordered"}


@dataclass(frozen=True)
class WaveRules:
    """What goes into a wave, and how it is batched. Empty filters mean "any"."""

    channels: frozenset[str] = frozenset()
    carriers: frozenset[str] = frozenset()
    cutoffs: Mapping[str, str] = field(default_factory=dict)  # carrier -> "HH:MM" pickup
    ship_by_before: datetime | None = None  # only orders due at or before this
    min_priority: int = 0
    segment: str = "all"  # all | single | multi (units per order)
    order_ids: tuple[int, ...] = ()  # only these orders (the service loads no others)
    max_orders: int = 200
    max_units: int = 5000
    max_batches: int = 50
    cart_totes: int = 8
    cart_articles: int = 200
    # Two single-unit orders of one SKU already save a stop and a tote in a bulk trip,
    # and scan-and-ship packing sorts them at no cost; the floor is built on it.
    bulk_min_orders: int = 2
    seed: int = 0
    iterations: int = 30
    time_budget_s: float = 2.0

    def problems(self) -> list[str]:
        """What is wrong with these rules, as sentences (empty when they can be used)."""
        out = []
        if self.segment not in ("all", "single", "multi"):
            out.append("segment is all, single or multi")
        for carrier, hhmm in self.cutoffs.items():
            try:
                time.fromisoformat(hhmm)
            except ValueError:
                out.append(f"cutoff of {carrier}: {hhmm!r} is not HH:MM")
        return out

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["ship_by_before"] = self.ship_by_before.isoformat() if self.ship_by_before else None
        out["channels"], out["carriers"] = sorted(self.channels), sorted(self.carriers)
        out["order_ids"], out["cutoffs"] = list(self.order_ids), dict(self.cutoffs)
        return out


DEFAULT_RULES = WaveRules()


@dataclass
class Free:
    """A stock row with units no pick task was promised, and where it stands."""

    stock_id: int
    product_id: int
    location_id: int
    code: str
    kind: str
    lot: str
    expiry: date | None
    free: int
    point: Point


@dataclass(frozen=True)
class PlanLine:
    sku: str
    qty: int  # units still to be given pick tasks
    location: str = ""  # a pick location fixed before planning; "" allocates from stock
    line_id: int = 0


@dataclass(frozen=True)
class PlanOrder:
    id: int | str
    lines: tuple[PlanLine, ...]
    ship_by: datetime | None = None
    priority: int = 0  # higher goes first
    carrier: str = ""
    channel: str = ""
    cutoff: datetime | None = None  # the order's own collection cutoff, if any
    volume: float = 0.0  # litres
    weight: float = 0.0  # kg
    created_at: datetime | None = None
    totes: int = 1
    reference: str = ""
    status: str = "ready"
    unreserved: int = 0  # units of its lines not held against stock
    has_address: bool = True

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)


WaveCandidate = PlanOrder  # the name the service may prefer


class LeftOut(NamedTuple):
    order: PlanOrder
    reason: str  # a key of REASONS


@dataclass(frozen=True)
class Pick:
    """Units of one order line taken from one stock row."""

    order_id: int | str
    line_id: int
    sku: str
    qty: int
    row: Free


@dataclass(frozen=True)
class Stop:
    location: str
    sku: str
    qty: int
    order_id: int | str | None  # None: a bulk stop serving several orders
    tote: int | None  # the order's first tote slot; None on a bulk trip
    picks: tuple[Pick, ...] = ()


@dataclass(frozen=True)
class Batch:
    kind: str  # cart | bulk
    orders: tuple[int | str, ...]
    totes: dict[int | str, tuple[int, ...]]  # order id -> tote slots (cart trips only)
    stops: tuple[Stop, ...]  # in walking order
    distance_m: float
    est_pick_seconds: float

    @property
    def units(self) -> int:
        return sum(s.qty for s in self.stops)


@dataclass(frozen=True)
class BulkPick:
    sku: str
    location: str
    qty: int
    orders: tuple[int | str, ...]


@dataclass(frozen=True)
class WavePlan:
    batches: tuple[Batch, ...]
    left_out: tuple[LeftOut, ...]
    oversized: tuple[int | str, ...] = ()  # orders alone in a trip: no cart holds them
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def orders(self) -> tuple[int | str, ...]:
        return tuple(o for b in self.batches for o in b.orders)

    @property
    def bulk_picks(self) -> tuple[BulkPick, ...]:
        return tuple(
            BulkPick(s.sku, s.location, s.qty, tuple(p.order_id for p in s.picks))
            for b in self.batches
            if b.kind == "bulk"
            for s in b.stops
        )


Batcher = Callable[[Geometry, Sequence[BatchOrder], Cart], Sequence[Sequence[int]]]
"""Batches (indices into the orders) for a cart: ``plan_batches``, or the planner pool."""
