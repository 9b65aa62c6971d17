"""Planning one wave with two processes that swap their best plan: repeatable, valid."""

from __future__ import annotations

import random

import pytest

from wms.domain.batching import BatchOrder, Cart, plan_batches
from wms.domain.layout import Geometry
from wms.domain.route_cost import RouteCost
from wms.services.planner_pool import PlannerPool

GEO = Geometry([5.0 * i for i in range(10)], [0.0, 47.0], 0.0)


def _orders(seed: int, n: int) -> list[BatchOrder]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        stops = {GEO.aisle_point(rng.randrange(10), 1.5 + rng.randrange(45)) for _ in range(6)}
        out.append(
            BatchOrder(k, tuple(sorted(stops, key=lambda p: (p.aisle, p.y))), rng.randint(3, 12))
        )
    return out


@pytest.fixture(scope="module")
def pool():
    with PlannerPool(2) as p:
        yield p


def test_parallel_planning_gives_the_same_plan_twice(pool):
    orders = _orders(1, 40)
    cart = Cart(articles=30)
    plans = [pool.plan(GEO, orders, cart, seed=5, work=120_000, rounds=3) for _ in range(2)]
    assert plans[0].batches == plans[1].batches
    assert plans[0].distances == plans[1].distances
    assert plans[0].stats["clock_stops"] == 0


def test_parallel_planning_puts_every_order_in_one_cart_that_holds_it(pool):
    orders = _orders(2, 50)
    cart = Cart(articles=25)
    plan = pool.plan(GEO, orders, cart, seed=1, work=100_000, rounds=2)
    assert sorted(i for b in plan.batches for i in b) == list(range(50))
    for b in plan.batches:
        assert sum(orders[i].articles for i in b) <= 25
    rc = RouteCost(GEO, [o.stops for o in orders])
    assert plan.total_distance == pytest.approx(sum(rc.of(b) for b in plan.batches))


def test_the_cooperative_search_is_never_worse_than_the_plan_it_starts_from(pool):
    orders = _orders(3, 40)
    cart = Cart(articles=30)
    # what the first round starts from: the construction and its local optimum
    start = plan_batches(GEO, orders, cart, time_budget_s=float("inf"), max_iterations=0)
    plan = pool.plan(GEO, orders, cart, seed=2, work=400_000, rounds=2)
    assert plan.total_distance <= start.total_distance + 1e-9
