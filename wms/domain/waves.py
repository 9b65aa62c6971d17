"""The wave planner: which orders go into a wave, from which stock, in which cart trips.

Pure: the service loads orders and free stock as plain values (``PlanOrder``, ``Free``),
calls ``plan_wave`` outside any transaction, and writes the ``WavePlan`` it returns. The
rules and their defaults (``WaveRules``) are the only ones: the API's request model takes
its defaults from here.

Selection: orders are ranked by urgency (the earliest of ship-by, the order's own cutoff
and its carrier's next pickup in ``rules.cutoffs``; then higher priority; then older) and
taken in that order while they pass the rules and the caps on orders and units allow, and
while every line can be allocated from free stock (FEFO, pick faces first, a row that
holds the whole line, the shortest walk: ``choose``). Every order not taken is listed in
``left_out`` with a stable reason code (``REASONS``), so nothing is silently dropped.
Single-unit orders of one SKU, at least ``bulk_min_orders`` of them, share bulk trips (one
stop per stock row, sorted at packing); the rest is batched for the cart, and each trip
routed optimally. If the wave needs more trips than ``max_batches``, the trips holding the
least urgent orders are left out.

The rules' values and reasons are in ``wms.domain.wave_rules`` (importable from here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from wms.domain import routing
from wms.domain.batching import BatchOrder, Cart, plan_batches
from wms.domain.layout import Geometry, Layout
from wms.domain.wave_rules import (  # the planner's values, importable from here too
    DEFAULT_RULES,
    REASONS,
    SECONDS_PER_STOP,
    SECONDS_PER_UNIT,
    STATUS_REASONS,
    WALK_M_PER_S,
    Batch,
    Batcher,
    BulkPick,
    Free,
    LeftOut,
    Pick,
    PlanLine,
    PlanOrder,
    Stop,
    WaveCandidate,
    WavePlan,
    WaveRules,
)

__all__ = [
    "DEFAULT_RULES", "REASONS", "Batch", "Batcher", "BulkPick", "Free", "LeftOut", "Pick",
    "PlanLine", "PlanOrder", "Stop", "WaveCandidate", "WavePlan", "WaveRules", "choose",
    "give_back", "plan_wave", "select_orders",
]  # fmt: skip

_LATEST = date.max


# -- selection ----------------------------------------------------------------------------


def deadline(o: PlanOrder, rules: WaveRules, now: datetime | None) -> datetime | None:
    """When the order must be picked: ship-by, its own cutoff, or its carrier's next pickup."""
    due = [d for d in (o.ship_by, o.cutoff) if d is not None]
    hhmm = rules.cutoffs.get(o.carrier) or rules.cutoffs.get(o.carrier.lower())
    if hhmm and now is not None:
        cut = datetime.combine(now.date(), time.fromisoformat(hhmm), tzinfo=now.tzinfo)
        due.append(cut + timedelta(days=1) if cut < now else cut)
    return min(due) if due else None


def urgency(o: PlanOrder, rules: WaveRules = DEFAULT_RULES, now: datetime | None = None) -> tuple:
    """Sort key: the earliest deadline first, then priority, then age, then id."""
    due = deadline(o, rules, now)
    age = o.created_at.timestamp() if o.created_at else float("inf")
    return (due.timestamp() if due else float("inf"), -o.priority, age, o.id)


def refusal(o: PlanOrder, rules: WaveRules) -> str | None:
    """The rule that keeps an order out of any wave with these rules, or None."""
    if o.status != "ready":
        return o.status if o.status in STATUS_REASONS else "not_ready"
    if not o.has_address:
        return "no_address"
    if rules.channels and o.channel not in rules.channels:
        return "channel"
    if rules.carriers and o.carrier not in rules.carriers:
        return "carrier"
    if o.priority < rules.min_priority:
        return "priority"
    # At or before the horizon: an order due exactly then is late if this wave skips it.
    if rules.ship_by_before is not None and (o.ship_by is None or o.ship_by > rules.ship_by_before):
        return "not_due"
    if o.unreserved > 0:
        return "not_reserved"
    if not o.lines or o.units <= 0:
        return "nothing_to_pick"
    if rules.segment == "single" and o.units != 1 or rules.segment == "multi" and o.units == 1:
        return "segment"
    return None


Allocator = Callable[[PlanOrder], tuple[tuple[Pick, ...], str | None]]
"""Gives an order its picks, or the reason (a key of REASONS) it gets none."""


def select_orders(
    candidates: Sequence[PlanOrder],
    rules: WaveRules,
    now: datetime | None = None,
    allocate: Allocator | None = None,
) -> tuple[list[PlanOrder], list[LeftOut]]:
    """Orders for the wave, most urgent first, and the others with their reason.

    ``allocate`` gives an order its picks (or the reason it has none) once it passed the
    rules and the caps; what it takes is no longer free for the orders after it.
    """
    chosen, (_picks, left) = _select(candidates, rules, now, allocate)
    return chosen, left


def _select(
    candidates: Sequence[PlanOrder],
    rules: WaveRules,
    now: datetime | None,
    allocate: Allocator | None,
) -> tuple[list[PlanOrder], tuple[dict[int | str, tuple[Pick, ...]], list[LeftOut]]]:
    chosen: list[PlanOrder] = []
    picks: dict[int | str, tuple[Pick, ...]] = {}
    left: list[LeftOut] = []
    units = 0
    for o in sorted(candidates, key=lambda o: urgency(o, rules, now)):
        reason = refusal(o, rules)
        if reason is None and len(chosen) >= rules.max_orders:
            reason = "max_orders"
        if reason is None and units + o.units > rules.max_units:
            reason = "max_units"
        if reason is None and allocate is not None:
            picks[o.id], reason = allocate(o)
        if reason:
            left.append(LeftOut(o, reason))
            continue
        chosen.append(o)
        units += o.units
    return chosen, (picks, left)


# -- allocation ---------------------------------------------------------------------------


def choose(
    geo: Geometry, rows: list[Free], need: int, exclude: set[int] | None = None
) -> list[tuple[Free, int]]:
    """Take `need` units from `rows` (lowering their `free`); [] when they hold too few.

    Earliest expiry first (FEFO; no expiry last; the oldest row first stands in for FIFO,
    as stock rows carry no receipt date), then pick faces before reserve levels, then a
    row that fills the whole need (one stop instead of two), then the shortest walk.
    """
    usable = [r for r in rows if r.free > 0 and r.location_id not in (exclude or set())]
    if need <= 0 or sum(r.free for r in usable) < need:
        return []
    usable.sort(
        key=lambda r: (
            r.expiry or _LATEST,
            r.kind != "pick",
            r.free < need,
            geo.distance(geo.depot, r.point),
            r.stock_id,
        )
    )
    taken: list[tuple[Free, int]] = []
    for r in usable:
        if need <= 0:
            break
        k = min(r.free, need)
        r.free -= k
        need -= k
        taken.append((r, k))
    return taken


def give_back(taken: list[tuple[Free, int]]) -> None:
    for r, k in taken:
        r.free += k


def allocator(
    geo: Geometry, stock: Mapping[str, list[Free]], layout: Layout | None = None
) -> Allocator:
    """Picks from ``stock`` (SKU -> free rows, consumed as orders take them); a line with
    a fixed ``location`` is taken there, if ``layout`` knows it."""

    def allocate(o: PlanOrder) -> tuple[tuple[Pick, ...], str | None]:
        taken: list[tuple[Free, int, PlanLine]] = []
        for line in o.lines:
            if line.location:
                try:
                    point = layout.point_of(line.location) if layout else None
                except KeyError:
                    point = None
                if point is None:
                    give_back([(r, k) for r, k, _ in taken])
                    return (), "no_location"
                row = Free(0, 0, 0, line.location, "pick", "", None, 0, point)
                taken.append((row, line.qty, line))
                continue
            got = choose(geo, stock.get(line.sku, []), line.qty)
            if line.qty > 0 and not got:
                give_back([(r, k) for r, k, _ in taken])
                return (), "no_stock_in_racks"
            taken += [(r, k, line) for r, k in got]
        return tuple(Pick(o.id, line.line_id, line.sku, k, r) for r, k, line in taken), None

    return allocate


# -- the wave -----------------------------------------------------------------------------


def plan_wave(
    candidates: Sequence[PlanOrder],
    rules: WaveRules,
    layout: Layout | Geometry,
    cart: Cart | None = None,
    seed: int | None = None,
    time_budget_s: float | None = None,
    max_iterations: int | None = None,
    *,
    stock: Mapping[str, list[Free]] | None = None,
    now: datetime | None = None,
    batcher: Batcher | None = None,
) -> WavePlan:
    """Select, allocate, bulk, batch and route a wave. Deterministic for a given seed when
    the iterations (not the time budget) end the search. ``stock`` is consumed."""
    geo = layout.geometry if isinstance(layout, Layout) else layout
    fixed = layout if isinstance(layout, Layout) else None
    cart = cart or Cart(totes=rules.cart_totes, articles=rules.cart_articles)
    if batcher is None:
        batcher = _in_process(
            rules.seed if seed is None else seed,
            rules.time_budget_s if time_budget_s is None else time_budget_s,
            rules.iterations if max_iterations is None else max_iterations,
        )
    chosen, (picks, left) = _select(candidates, rules, now, allocator(geo, stock or {}, fixed))
    singles: dict[str, list[PlanOrder]] = defaultdict(list)
    for o in chosen:
        if o.units == 1:
            singles[picks[o.id][0].sku].append(o)
    bulk = [g for g in singles.values() if len(g) >= max(rules.bulk_min_orders, 2)]
    in_bulk = {o.id for g in bulk for o in g}
    carts = [o for o in chosen if o.id not in in_bulk]
    trips: list[tuple[Batch, list[PlanOrder]]] = []
    # Cart orders: their own totes, batched under the cart's capacity.
    items = [
        BatchOrder(i, tuple(p.row.point for p in picks[o.id]), articles=o.units)
        for i, o in enumerate(carts)
    ]
    oversized = tuple(carts[i].id for i, item in enumerate(items) if not _fits(item, cart))
    for members in _batches(batcher, geo, items, cart):
        group = [carts[i] for i in members]
        stops = [[p] for o in group for p in picks[o.id]]
        trips.append((_routed(geo, "cart", group, stops), group))
    # Bulk groups: a SKU's single-unit orders share one stop per stock row, one bulk tote.
    items = [
        BatchOrder(i, tuple(picks[o.id][0].row.point for o in g), articles=len(g))
        for i, g in enumerate(bulk)
    ]
    for members in _batches(batcher, geo, items, Cart(articles=cart.articles)):
        group = [o for i in members for o in bulk[i]]
        per_row: dict[tuple[int, str], list[Pick]] = defaultdict(list)
        for o in group:
            for p in picks[o.id]:
                per_row[(p.row.stock_id, p.row.code)].append(p)
        trips.append((_routed(geo, "bulk", group, list(per_row.values())), group))
    rank = {o.id: k for k, o in enumerate(chosen)}
    trips.sort(key=lambda t: min(rank[o.id] for o in t[1]))
    for _, group in trips[rules.max_batches :]:
        left += [LeftOut(o, "max_batches") for o in group]
    kept = tuple(b for b, _ in trips[: rules.max_batches])
    stats = {"orders": float(sum(len(b.orders) for b in kept)), "batches": float(len(kept))}
    return WavePlan(kept, tuple(left), oversized, stats)


def _in_process(seed: int, budget: float, iterations: int | None) -> Batcher:
    def batcher(geo: Geometry, items: Sequence[BatchOrder], cart: Cart) -> list[tuple[int, ...]]:
        plan = plan_batches(
            geo, items, cart, seed=seed, time_budget_s=budget, max_iterations=iterations
        )
        return list(plan.batches)

    return batcher


def _fits(item: BatchOrder, cart: Cart) -> bool:
    load = (item.totes, item.articles, item.volume, item.weight)
    return all(x <= c for x, c in zip(load, cart.capacity(), strict=True))


def _batches(
    batcher: Batcher, geo: Geometry, items: list[BatchOrder], cart: Cart
) -> list[tuple[int, ...]]:
    if not items:
        return []
    return [tuple(b) for b in batcher(geo, items, cart) if b]


def _routed(geo: Geometry, kind: str, group: list[PlanOrder], stops: list[list[Pick]]) -> Batch:
    """The stops in the optimal route's order (stops at one point: by location code), the
    tote slots of a cart trip, and the time the trip should take."""
    route = routing.route(geo, {ps[0].row.point for ps in stops}, "optimal")
    order = {p: i for i, p in enumerate(route.stops)}
    stops.sort(key=lambda ps: (order[ps[0].row.point], ps[0].row.code, ps[0].line_id))
    totes: dict[int | str, tuple[int, ...]] = {}
    if kind == "cart":
        slot = 1
        for o in group:
            totes[o.id] = tuple(range(slot, slot + o.totes))
            slot += o.totes
    out = tuple(
        Stop(
            ps[0].row.code,
            ps[0].sku,
            sum(p.qty for p in ps),
            ps[0].order_id if kind == "cart" else None,
            totes[ps[0].order_id][0] if kind == "cart" else None,
            tuple(ps),
        )
        for ps in stops
    )
    units = sum(s.qty for s in out)
    est = route.distance / WALK_M_PER_S + len(out) * SECONDS_PER_STOP + units * SECONDS_PER_UNIT
    return Batch(kind, tuple(o.id for o in group), totes, out, route.distance, est)


def bulk_picks(
    orders: Sequence[PlanOrder], min_orders: int = DEFAULT_RULES.bulk_min_orders
) -> tuple[list[BulkPick], list[PlanOrder]]:
    """Single-unit orders grouped by SKU: groups of at least ``min_orders`` become bulk
    picks (one per location); everything else is returned for batching."""
    groups: dict[str, list[PlanOrder]] = defaultdict(list)
    for o in orders:
        if o.units == 1:
            groups[o.lines[0].sku].append(o)
    bulk: list[BulkPick] = []
    taken: set[int | str] = set()
    for sku, group in sorted(groups.items()):
        if len(group) < max(min_orders, 2):
            continue
        by_location: dict[str, list[PlanOrder]] = defaultdict(list)
        for o in group:
            by_location[o.lines[0].location].append(o)
        for location, here in sorted(by_location.items()):
            bulk.append(BulkPick(sku, location, len(here), tuple(o.id for o in here)))
        taken.update(o.id for o in group)
    return bulk, [o for o in orders if o.id not in taken]
