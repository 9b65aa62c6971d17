"""Order batching: group orders into cart trips so that the total walk is short.

- ``fcfs``: the baseline — orders in arrival order, a new cart when the next one
  does not fit.
- ``plan_batches``: seed construction (a batch grows from its farthest order by the
  cheapest route increase among the ``CONSTRUCT_NEAR`` orders nearest to it by
  ``closeness``; above ``sweep_above`` orders a linear sweep along the
  S-shaped walk instead), then iterated local search: shift and swap moves between
  batches to a local optimum, perturbed by ruin-and-recreate of a few related
  batches. Every move is priced by the optimal router (``route_cost``).

Capacities are per cart: totes, articles, volume, weight. An order that alone exceeds
any of them cannot share a cart: it becomes its own trip, flagged ``oversized`` (the
wave planner reports it; splitting it into tote-sized trips is the caller's choice).
Same input, same seed, same ``max_iterations`` or ``work_budget`` → same plan; the
time budget is a machine-dependent stop, so tests and the benchmark count work
(``Search.work``) instead and keep the clock only as a safety net.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from wms.domain import routing
from wms.domain.batch_search import INF, Search, fits
from wms.domain.layout import Geometry, Point
from wms.domain.route_cost import RouteCost

ACCEPT = 0.002  # threshold acceptance at the start, as a share of the best total


@dataclass(frozen=True)
class BatchOrder:
    """What batching needs to know of an order."""

    id: object
    stops: tuple[Point, ...]
    articles: int = 1
    volume: float = 0.0  # litres
    weight: float = 0.0  # kg
    totes: int = 1  # cart slots it takes (a large order may fill several totes)


@dataclass(frozen=True)
class Cart:
    totes: int = 1_000_000
    articles: int = 1_000_000
    volume: float = INF
    weight: float = INF

    def capacity(self) -> tuple[float, float, float, float]:
        return (self.totes, self.articles, self.volume, self.weight)


@dataclass(frozen=True)
class BatchPlan:
    """Batches as indices into the input orders, with their optimal route lengths."""

    batches: tuple[tuple[int, ...], ...]
    distances: tuple[float, ...]
    oversized: tuple[int, ...] = ()  # orders sent alone because no cart holds them
    iterations: int = 0
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def total_distance(self) -> float:
        return sum(self.distances)


def _load(o: BatchOrder) -> tuple[float, float, float, float]:
    return (o.totes, o.articles, o.volume, o.weight)


def fcfs(orders: Sequence[BatchOrder], cart: Cart) -> list[list[int]]:
    """First come, first served: fill a cart in order; oversized orders ride alone, last."""
    cap = cart.capacity()
    batches: list[list[int]] = []
    alone: list[list[int]] = []
    load = [0.0] * 4
    current: list[int] = []
    for i, o in enumerate(orders):
        add = _load(o)
        if not fits([0.0] * 4, add, cap):
            alone.append([i])
            continue
        if not fits(load, add, cap):
            batches.append(current)
            current, load = [], [0.0] * 4
        current.append(i)
        load = [a + b for a, b in zip(load, add, strict=True)]
    if current:
        batches.append(current)
    return batches + alone


def fcfs_distance(geo: Geometry, orders: Sequence[BatchOrder], cart: Cart) -> float:
    """The walk of the FCFS baseline's carts (optimal route of each): what planning saves."""
    return sum(
        routing.route(geo, {p for i in b for p in orders[i].stops}, "optimal").distance
        for b in fcfs(orders, cart)
    )


def plan_batches(
    geo: Geometry,
    orders: Sequence[BatchOrder],
    cart: Cart,
    *,
    seed: int = 0,
    time_budget_s: float = 1.0,
    max_iterations: int | None = None,
    window: int = 200,
    sweep_above: int = 1000,
    cost: RouteCost | None = None,
    clock: Callable[[], float] = time.perf_counter,
    work_budget: float | None = None,
    start: Sequence[Sequence[int]] | None = None,
    schedule: tuple[float, float] = (0.0, 1.0),
) -> BatchPlan:
    """Batches of orders for ``cart`` with a short total optimal route.

    Stops after ``max_iterations`` perturbations, ``work_budget`` units of effort
    (``Search.work``, counted from this call) or ``time_budget_s`` seconds,
    whichever comes first; a plan stopped by either of the first two does not depend on
    the machine's speed.

    ``start`` (batches as indices, e.g. an earlier plan's ``batches``) replaces the
    construction: the search continues from it and returns nothing worse. ``schedule``
    is the share of a longer search this call covers (from, to), so that the
    acceptance threshold of a search run in several calls decays once, not per call.
    """
    started = clock()
    deadline = started + time_budget_s
    rc = cost or RouteCost(geo, [o.stops for o in orders])
    cap = cart.capacity()
    loads = [_load(o) for o in orders]
    oversized = [i for i, load in enumerate(loads) if not fits([0.0] * 4, load, cap)]
    normal = [i for i in range(len(orders)) if i not in set(oversized)]
    rng = random.Random(seed)
    s = Search(rc, loads, cap, rng)
    work0 = s.work()  # a shared ``cost`` may have been used before
    counts0 = (rc.evaluations, rc.calls, rc.column_misses)
    if work_budget is not None:
        s.work_limit = work0 + work_budget
    if start is not None:
        alone = set(oversized)
        given = [list(m) for m in start if m and not (len(m) == 1 and m[0] in alone)]
        if sorted(i for m in given for i in m) != normal:
            raise ValueError("the start plan must hold every order that fits a cart once")
        for m in given:
            if not fits([0.0] * 4, [sum(loads[i][k] for i in m) for k in range(4)], cap):
                raise ValueError(f"a batch of the start plan exceeds the cart: {m}")
            s.add_batch(m)
        constructed = s.total()  # a local optimum already: the search goes on from it
    elif len(normal) > sweep_above:
        s.stops = [o.stops for o in orders]
        s.sweep_construct(normal, geo)
    else:
        s.seed_construct(normal, window)
    if start is None:
        constructed = s.total()
        s.local_search(None, deadline, clock)
    s.compact()
    best, best_cost = s.snapshot(), s.total()
    current = best_cost
    iterations = 0
    while (max_iterations is None or iterations < max_iterations) and len(best) > 1:
        if s.work() >= s.work_limit or clock() > deadline:
            break
        iterations += 1
        s.iterations = iterations
        s.scans += 2 * len(s.members)  # saving and restoring the state
        saved = s.state()
        touched = s.ruin_recreate(rng.randint(3, 8))
        s.local_search(touched, deadline, clock)
        total = s.total()
        # Threshold acceptance: a slightly worse plan may be kept early on, less so later.
        # (with a work budget the clock stays out of it, so that the plan is repeatable)
        progress = max(
            iterations / max_iterations if max_iterations else 0.0,
            (s.work() - work0) / work_budget if work_budget else 0.0,
            (clock() - started) / time_budget_s if time_budget_s < INF and not work_budget else 0.0,
        )
        progress = schedule[0] + (schedule[1] - schedule[0]) * progress
        threshold = ACCEPT * best_cost * max(0.0, 1.0 - progress)
        if total < current + threshold - 1e-9 or (total < current + 1e-9 and rng.random() < 0.5):
            current = total
            if total < best_cost - 1e-9:
                best, best_cost = s.snapshot(), total
        else:
            s.rollback(saved)
    batches = [tuple(sorted(m)) for m in best] + [(i,) for i in oversized]
    batches.sort()
    return BatchPlan(
        tuple(batches),
        tuple(rc.of(list(m)) for m in batches),
        tuple(oversized),
        iterations,
        {
            "construction": constructed,
            "seconds": clock() - started,
            "evaluations": rc.evaluations - counts0[0],
            "calls": rc.calls - counts0[1],
            "column_misses": rc.column_misses - counts0[2],
            "scans": s.scans,
            "work": s.work() - work0,
        },
    )
