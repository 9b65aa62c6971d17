"""Wave planning rules: which orders go into a wave, bulk picks, batches and their routes.

The server's service turns database rows into ``PlanOrder`` values and calls
``plan_wave``; nothing here touches the database. The plan says, for every order
left out, why (a rule, a cap, or no pick location), so nothing is silently dropped.

Selection: orders are ranked by urgency — the earlier of carrier cutoff and ship-by
first, then higher priority, then older — filtered by the rules (carriers, channels,
ship-by horizon, minimum priority, single- or multi-unit), and taken in that order
while the caps on orders and units allow. Single-unit orders of one SKU, when at least
``bulk_min_orders`` of them are chosen, become one bulk pick (one stop, N units,
sorted at packing). The rest is batched for the cart and each batch routed optimally;
if the wave needs more carts than ``max_batches``, the batches holding the least
urgent orders are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from wms.domain.batching import BatchOrder, Cart, plan_batches
from wms.domain.layout import Layout, Point
from wms.domain.routing import route

WALK_M_PER_S = 1.0  # a picker pushing a cart
SECONDS_PER_STOP = 8.0  # stop, find the bay, scan the location
SECONDS_PER_UNIT = 3.0  # take, scan, drop in the tote


@dataclass(frozen=True)
class PlanLine:
    sku: str
    qty: int
    location: str  # pick location code, allocated before planning


@dataclass(frozen=True)
class PlanOrder:
    id: str
    lines: tuple[PlanLine, ...]
    ship_by: datetime | None = None
    priority: int = 0  # higher goes first
    carrier: str = ""
    channel: str = ""
    cutoff: datetime | None = None  # the carrier's collection cutoff for this order
    volume: float = 0.0  # litres
    weight: float = 0.0  # kg
    created_at: datetime | None = None
    totes: int = 1

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)


WaveCandidate = PlanOrder  # the name the service may prefer


@dataclass(frozen=True)
class WaveRules:
    max_orders: int | None = None
    max_units: int | None = None
    max_batches: int | None = None
    carriers: frozenset[str] | None = None  # None: any carrier
    channels: frozenset[str] | None = None
    ship_by_before: datetime | None = None  # only orders due before this
    min_priority: int | None = None
    units: str = "any"  # "any", "single" (one unit only) or "multi"
    bulk_min_orders: int = 20  # single-unit orders of one SKU from which a bulk pick pays


@dataclass(frozen=True)
class Stop:
    location: str
    sku: str
    qty: int
    order_id: str
    tote: int


@dataclass(frozen=True)
class Batch:
    orders: tuple[str, ...]
    totes: dict[str, tuple[int, ...]]  # order id -> tote slots on the cart
    stops: tuple[Stop, ...]  # in walking order
    distance_m: float
    est_pick_seconds: float


@dataclass(frozen=True)
class BulkPick:
    sku: str
    location: str
    qty: int
    orders: tuple[str, ...]


@dataclass(frozen=True)
class WavePlan:
    batches: tuple[Batch, ...]
    bulk_picks: tuple[BulkPick, ...]
    left_out: tuple[tuple[PlanOrder, str], ...]
    oversized: tuple[str, ...] = ()  # orders planned alone because no cart holds them
    stats: dict[str, float] = field(default_factory=dict)


def urgency(o: PlanOrder) -> tuple:
    """Sort key: the earliest deadline first, then priority, then age, then id."""
    deadlines = [d for d in (o.cutoff, o.ship_by) if d is not None]
    due = min(deadlines).timestamp() if deadlines else float("inf")
    age = o.created_at.timestamp() if o.created_at else float("inf")
    return (due, -o.priority, age, o.id)


def select_orders(
    candidates: Sequence[PlanOrder], rules: WaveRules
) -> tuple[list[PlanOrder], list[tuple[PlanOrder, str]]]:
    """Orders for the wave, most urgent first, and the others with the reason."""
    chosen: list[PlanOrder] = []
    left: list[tuple[PlanOrder, str]] = []
    units = 0
    for o in sorted(candidates, key=urgency):
        reason = _rule_refusal(o, rules)
        if reason is None and rules.max_orders is not None and len(chosen) >= rules.max_orders:
            reason = "order cap reached"
        if reason is None and rules.max_units is not None and units + o.units > rules.max_units:
            reason = "unit cap reached"
        if reason:
            left.append((o, reason))
        else:
            chosen.append(o)
            units += o.units
    return chosen, left


def _rule_refusal(o: PlanOrder, rules: WaveRules) -> str | None:
    if not o.lines or o.units <= 0:
        return "nothing to pick"
    if rules.carriers is not None and o.carrier not in rules.carriers:
        return f"carrier {o.carrier or '-'} not in this wave"
    if rules.channels is not None and o.channel not in rules.channels:
        return f"channel {o.channel or '-'} not in this wave"
    if rules.min_priority is not None and o.priority < rules.min_priority:
        return "priority below the wave's minimum"
    if rules.ship_by_before is not None and (
        o.ship_by is None or o.ship_by >= rules.ship_by_before
    ):
        return "ship-by later than the wave's horizon"
    if rules.units == "single" and o.units != 1:
        return "multi-unit order in a single-unit wave"
    if rules.units == "multi" and o.units == 1:
        return "single-unit order in a multi-unit wave"
    return None


def bulk_picks(
    orders: Sequence[PlanOrder], min_orders: int
) -> tuple[list[BulkPick], list[PlanOrder]]:
    """Group single-unit orders by (SKU, location): groups of at least ``min_orders``
    become one bulk pick of N units; everything else is returned for batching."""
    groups: dict[tuple[str, str], list[PlanOrder]] = defaultdict(list)
    for o in orders:
        if o.units == 1:
            line = o.lines[0]
            groups[(line.sku, line.location)].append(o)
    bulk: list[BulkPick] = []
    taken: set[str] = set()
    for (sku, location), group in sorted(groups.items()):
        if len(group) >= max(min_orders, 2):
            bulk.append(BulkPick(sku, location, len(group), tuple(o.id for o in group)))
            taken.update(o.id for o in group)
    return bulk, [o for o in orders if o.id not in taken]


def plan_wave(
    candidates: Sequence[PlanOrder],
    rules: WaveRules,
    layout: Layout,
    cart: Cart,
    seed: int = 0,
    time_budget_s: float = 2.0,
    max_iterations: int | None = None,
) -> WavePlan:
    """Select, bulk, batch and route a wave. Deterministic for a given ``seed`` when
    ``max_iterations`` is set and the time budget is not the binding stop."""
    chosen, left = select_orders(candidates, rules)
    bulk, rest = bulk_picks(chosen, rules.bulk_min_orders)
    routable: list[PlanOrder] = []
    for o in rest:
        try:
            [layout.point_of(line.location) for line in o.lines]
        except KeyError:
            left.append((o, "a line has no known pick location"))
            continue
        routable.append(o)
    geo = layout.geometry
    items = [
        BatchOrder(
            o.id,
            tuple(sorted({layout.point_of(line.location) for line in o.lines}, key=_pkey)),
            articles=o.units,
            volume=o.volume,
            weight=o.weight,
            totes=o.totes,
        )
        for o in routable
    ]
    plan = plan_batches(
        geo, items, cart, seed=seed, time_budget_s=time_budget_s, max_iterations=max_iterations
    )
    rank = {o.id: k for k, o in enumerate(routable)}  # routable keeps urgency order
    groups = sorted(plan.batches, key=lambda b: min(rank[routable[i].id] for i in b))
    if rules.max_batches is not None and len(groups) > rules.max_batches:
        for b in groups[rules.max_batches :]:
            left.extend((routable[i], "batch cap reached") for i in b)
        groups = groups[: rules.max_batches]
    batches = tuple(_batch(layout, [routable[i] for i in b]) for b in groups)
    oversized = tuple(items[i].id for i in plan.oversized)
    stats = {"iterations": plan.iterations, **plan.stats}
    return WavePlan(batches, tuple(bulk), tuple(left), oversized, stats)  # type: ignore[arg-type]


def _pkey(p: Point) -> tuple:
    return (p.aisle if p.aisle is not None else -1, p.y, p.x)


def _batch(layout: Layout, orders: list[PlanOrder]) -> Batch:
    """Tote slots in order, the stops in the optimal route's order, the time estimate."""
    totes: dict[str, tuple[int, ...]] = {}
    slot = 1
    for o in orders:
        totes[o.id] = tuple(range(slot, slot + o.totes))
        slot += o.totes
    by_point: dict[Point, list[Stop]] = defaultdict(list)
    for o in orders:
        for line in o.lines:
            p = layout.point_of(line.location)
            by_point[p].append(Stop(line.location, line.sku, line.qty, o.id, totes[o.id][0]))
    r = route(layout.geometry, by_point, "optimal")
    stops = tuple(s for p in r.stops for s in sorted(by_point[p], key=lambda s: s.location))
    units = sum(s.qty for s in stops)
    est = r.distance / WALK_M_PER_S + len(r.stops) * SECONDS_PER_STOP + units * SECONDS_PER_UNIT
    return Batch(tuple(o.id for o in orders), totes, stops, r.distance, est)
