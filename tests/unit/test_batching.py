"""Order batching: capacities hold, every order rides once, the search beats FCFS."""

from __future__ import annotations

import random

import pytest

from wms.domain.batching import BatchOrder, Cart, fcfs, plan_batches
from wms.domain.layout import Geometry
from wms.domain.route_cost import RouteCost
from wms.domain.routing import route

GEO = Geometry([5.0 * i for i in range(10)], [0.0, 47.0], 0.0)


def _orders(seed: int, n: int, geo: Geometry = GEO) -> list[BatchOrder]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        size = rng.randint(1, 8)
        stops = {
            geo.aisle_point(rng.randrange(len(geo.aisle_x)), 1.5 + rng.randrange(45))
            for _ in range(size)
        }
        out.append(
            BatchOrder(
                k,
                tuple(sorted(stops, key=lambda p: (p.aisle, p.y))),
                size,
                volume=rng.uniform(1, 10),
                weight=rng.uniform(0.1, 5),
            )
        )
    return out


def _stops(orders: list[BatchOrder], batch) -> set:
    return {p for i in batch for p in orders[i].stops}


def test_the_fast_route_cost_equals_the_optimal_router_on_one_block():
    orders = _orders(1, 40)
    rc = RouteCost(GEO, [o.stops for o in orders])
    rng = random.Random(2)
    for _ in range(200):
        group = rng.sample(range(40), rng.randint(1, 5))
        assert rc.of(group) == pytest.approx(route(GEO, _stops(orders, group)).distance)


def test_the_fast_route_cost_is_a_real_walk_on_two_blocks_with_the_depot_between_aisles():
    geo = Geometry([3.0 + 4 * i for i in range(8)], [0.0, 25.0, 50.0], 9.0)
    orders = _orders(3, 30, geo)
    rc = RouteCost(geo, [o.stops for o in orders])
    rng = random.Random(4)
    for _ in range(100):
        group = rng.sample(range(30), rng.randint(1, 4))
        r = route(geo, _stops(orders, group))
        assert r.distance <= rc.of(group) + 1e-9
        for policy in ("s_shape", "largest_gap", "combined"):
            assert rc.of(group) <= route(geo, _stops(orders, group), policy).distance + 1e-9


def test_fcfs_fills_carts_in_arrival_order_and_sends_an_oversized_order_alone():
    orders = [
        BatchOrder(k, (GEO.aisle_point(1, 10.0),), articles=a)
        for k, a in enumerate([4, 5, 12, 3, 6, 2])
    ]
    assert fcfs(orders, Cart(articles=10)) == [[0, 1], [3, 4], [5], [2]]


def _check_plan(orders, cart, plan):
    ridden = sorted(i for b in plan.batches for i in b)
    assert ridden == list(range(len(orders)))
    for b in plan.batches:
        if len(b) == 1 and b[0] in plan.oversized:
            continue
        assert len(b) <= cart.totes
        assert sum(orders[i].articles for i in b) <= cart.articles
        assert sum(orders[i].volume for i in b) <= cart.volume + 1e-9
        assert sum(orders[i].weight for i in b) <= cart.weight + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_the_planned_batches_respect_every_cart_capacity_and_beat_fcfs(seed):
    orders = _orders(seed, 60)
    cart = Cart(totes=6, articles=20, volume=30.0, weight=12.0)
    plan = plan_batches(GEO, orders, cart, seed=seed, time_budget_s=float("inf"), max_iterations=15)
    _check_plan(orders, cart, plan)
    rc = RouteCost(GEO, [o.stops for o in orders])
    fcfs_total = sum(rc.of(b) for b in fcfs(orders, cart))
    assert plan.total_distance < fcfs_total
    assert plan.total_distance == pytest.approx(sum(rc.of(b) for b in plan.batches))


def test_the_same_input_and_seed_give_the_same_plan():
    orders = _orders(5, 30)
    cart = Cart(articles=25)
    plans = [
        plan_batches(GEO, orders, cart, seed=9, time_budget_s=float("inf"), max_iterations=15)
        for _ in range(2)
    ]
    assert plans[0].batches == plans[1].batches
    assert plans[0].distances == plans[1].distances


def test_a_work_budget_gives_the_same_plan_whatever_the_clock_says():
    orders = _orders(7, 50)
    cart = Cart(articles=24)
    ticks = iter(range(10**9))
    plans = [
        plan_batches(GEO, orders, cart, seed=3, time_budget_s=float("inf"), work_budget=300_000),
        plan_batches(
            GEO,
            orders,
            cart,
            seed=3,
            time_budget_s=float("inf"),
            work_budget=300_000,
            clock=lambda: float(next(ticks)),  # a clock running wild changes nothing
        ),
    ]
    assert plans[0].batches == plans[1].batches
    assert plans[0].iterations == plans[1].iterations > 0
    assert plans[0].stats["work"] < 300_000 + 100_000  # stops soon after the budget
    _check_plan(orders, cart, plans[0])


def test_an_order_no_cart_can_hold_rides_alone_and_is_reported():
    orders = _orders(6, 20)
    big = BatchOrder("big", (GEO.aisle_point(3, 20.0),), articles=500)
    plan = plan_batches(
        GEO,
        [*orders, big],
        Cart(articles=20),
        seed=1,
        time_budget_s=float("inf"),
        max_iterations=10,
    )
    assert plan.oversized == (20,)
    assert (20,) in plan.batches
    _check_plan([*orders, big], Cart(articles=20), plan)


def _articles_only(seed: int, n: int) -> list[BatchOrder]:
    """Small orders, so that far more orders fit a cart than construction prices."""
    return [BatchOrder(o.id, o.stops, articles=1 + k % 3) for k, o in enumerate(_orders(seed, n))]


@pytest.mark.parametrize("seed", range(2))
def test_with_one_binding_capacity_every_order_rides_once_in_a_cart_that_holds_it(seed):
    orders = _articles_only(seed, 80)
    cart = Cart(articles=12)
    plan = plan_batches(GEO, orders, cart, seed=seed, time_budget_s=float("inf"), max_iterations=20)
    _check_plan(orders, cart, plan)
    for b, d in zip(plan.batches, plan.distances, strict=True):
        assert d == pytest.approx(route(GEO, _stops(orders, b)).distance)  # optimal routing
    rc = RouteCost(GEO, [o.stops for o in orders])
    assert plan.total_distance <= sum(rc.of(b) for b in fcfs(orders, cart))


def test_the_quick_single_capacity_check_decides_every_move_as_the_general_check_would():
    orders = _articles_only(4, 60)
    one = Cart(articles=12)
    # A second capacity that never binds sends the search through the general check.
    two = Cart(articles=12, volume=999_999.0)
    plans = [
        plan_batches(GEO, orders, cart, seed=2, time_budget_s=float("inf"), max_iterations=20)
        for cart in (one, two)
    ]
    assert plans[0].batches == plans[1].batches
    assert plans[0].distances == plans[1].distances


def test_a_search_from_a_start_plan_is_never_worse_than_the_start():
    orders = _orders(8, 50)
    cart = Cart(articles=24)
    start = fcfs(orders, cart)
    rc = RouteCost(GEO, [o.stops for o in orders])
    plan = plan_batches(
        GEO, orders, cart, seed=4, time_budget_s=float("inf"), max_iterations=10, start=start
    )
    _check_plan(orders, cart, plan)
    assert plan.total_distance <= sum(rc.of(b) for b in start) + 1e-9


def test_a_search_from_a_start_plan_with_no_time_left_returns_the_start():
    orders = _orders(8, 30)
    cart = Cart(articles=24)
    start = fcfs(orders, cart)
    plan = plan_batches(GEO, orders, cart, seed=4, time_budget_s=0.0, start=start)
    assert sorted(plan.batches) == sorted(tuple(sorted(b)) for b in start)


def test_a_start_plan_that_misses_an_order_or_overfills_a_cart_is_refused():
    orders = _orders(8, 30)
    cart = Cart(articles=24)
    start = fcfs(orders, cart)
    with pytest.raises(ValueError, match="every order"):
        plan_batches(GEO, orders, cart, max_iterations=1, start=start[1:])
    with pytest.raises(ValueError, match="exceeds the cart"):
        plan_batches(GEO, orders, cart, max_iterations=1, start=[[i for b in start for i in b]])
