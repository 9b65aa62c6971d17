"""Pick routes: heuristics are real walks, the optimal router matches brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from wms.domain import aisle_dp
from wms.domain.layout import Geometry, Point
from wms.domain.routing import POLICIES, route, tour_length


def _brute_force(geo: Geometry, stops: list[Point]) -> float:
    """Independent optimum: Held–Karp over shortest walks (permutations when tiny)."""
    if len(stops) <= 6:
        return min(tour_length(geo, list(p)) for p in itertools.permutations(stops))
    nodes = [geo.depot, *stops]
    n = len(stops)
    d = [[geo.distance(p, q) for q in nodes] for p in nodes]
    dp = {(1 << k, k): d[0][k + 1] for k in range(n)}
    for size in range(2, n + 1):
        for combo in itertools.combinations(range(n), size):
            mask = sum(1 << k for k in combo)
            for k in combo:
                prev = mask & ~(1 << k)
                dp[(mask, k)] = min(dp[(prev, m)] + d[m + 1][k + 1] for m in combo if m != k)
    full = (1 << n) - 1
    return min(dp[(full, k)] + d[k + 1][0] for k in range(n))


def _case(rng: random.Random, blocks: int, depot_on_aisle: bool) -> tuple[Geometry, list[Point]]:
    aisles = rng.randint(2, 7)
    xs = [3.0 + 4.0 * i for i in range(aisles)]
    ys = [0.0]
    for _ in range(blocks):
        ys.append(ys[-1] + rng.choice([10.0, 14.0, 20.0]))
    depot = rng.choice(xs) if depot_on_aisle else rng.choice([0.0, 5.0, 3.0 + 4 * aisles])
    geo = Geometry(xs, ys, depot)
    stops = {
        geo.aisle_point(rng.randrange(aisles), float(rng.randint(1, int(ys[-1]) - 1)))
        for _ in range(rng.randint(1, 10))
    }
    return geo, sorted(stops, key=lambda p: (p.aisle, p.y))


@pytest.mark.parametrize("seed", range(6))
def test_the_optimal_router_equals_brute_force_on_one_block(seed):
    rng = random.Random(seed)
    for n in range(40):
        geo, stops = _case(rng, 1, depot_on_aisle=n % 3 != 0)
        best = route(geo, stops, "optimal")
        assert best.distance == pytest.approx(_brute_force(geo, stops))
        assert sorted(best.stops, key=lambda p: (p.aisle, p.y)) == stops
        assert tour_length(geo, best.stops) == pytest.approx(best.distance)


@pytest.mark.parametrize("seed", range(4))
def test_on_several_blocks_the_optimal_router_is_never_beaten_by_a_heuristic(seed):
    rng = random.Random(100 + seed)
    for n in range(30):
        geo, stops = _case(rng, rng.choice([2, 3]), depot_on_aisle=n % 2 == 0)
        best = route(geo, stops, "optimal")
        assert best.distance >= _brute_force(geo, stops) - 1e-9
        assert tour_length(geo, best.stops) == pytest.approx(best.distance)
        for policy in ("s_shape", "largest_gap", "combined"):
            assert best.distance <= route(geo, stops, policy).distance + 1e-9


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_visits_every_stop_once_and_walks_at_least_the_shortest_order(policy):
    rng = random.Random(7)
    for blocks in (1, 2):
        for _ in range(40):
            geo, stops = _case(rng, blocks, depot_on_aisle=True)
            r = route(geo, stops, policy)
            assert sorted(r.stops, key=lambda p: (p.aisle, p.y)) == stops
            assert r.distance >= tour_length(geo, r.stops) - 1e-9


def test_the_heuristics_follow_their_textbook_walks_on_one_block():
    geo = Geometry([0.0, 5.0, 10.0], [0.0, 47.0], 0.0)
    stops = [
        geo.aisle_point(0, 10.0),
        geo.aisle_point(1, 5.0),
        geo.aisle_point(1, 40.0),
        geo.aisle_point(2, 30.0),
    ]
    # S-shape: three aisles, two traversed, the last one in and out from the front.
    assert route(geo, stops, "s_shape").distance == pytest.approx(20 + 2 * 47 + 2 * 30)
    # Largest gap: first and last traversed, the middle one from both ends around its gap.
    assert route(geo, stops, "largest_gap").distance == pytest.approx(
        10 + 10 + 2 * 47 + 2 * (47 - 35)
    )
    assert route(geo, [], "optimal").distance == 0


def test_the_fast_programme_agrees_with_the_one_that_keeps_the_edges():
    rng = random.Random(3)
    for _ in range(300):
        cols = []
        for k in range(rng.randint(1, 9)):
            ys = sorted({float(rng.randint(1, 46)) for _ in range(rng.randint(0, 4))})
            if k == 0:
                ys = [0.0, *ys]
            cols.append(aisle_dp.column_costs(ys, 47.0))
        if not any(c[0] != 0.0 for c in cols[-1:]):  # last column must hold a pick
            cols.append(aisle_dp.column_costs([20.0], 47.0))
        dxs = [float(rng.choice([3, 5])) for _ in cols[1:]]
        assert aisle_dp.tour_cost(cols, dxs) == pytest.approx(aisle_dp.solve(cols, dxs).cost)


def test_the_generated_sweep_step_and_transfer_are_the_minima_they_stand_for():
    rng = random.Random(4)
    inf = aisle_dp.INF
    for _ in range(200):
        c = tuple(rng.choice([inf, float(rng.randint(0, 94))]) for _ in range(6))
        dx = float(rng.randint(1, 9))
        e = aisle_dp.transfer(c, dx)
        for k, moves in enumerate(aisle_dp._PAIR_MOVES):
            assert e[k] == min((h * dx + c[v] for h, v in moves), default=inf)
        d = tuple(rng.choice([inf, float(rng.randint(0, 300))]) for _ in aisle_dp.STATES)
        out = aisle_dp.step(d, e)
        for t in range(len(aisle_dp.STATES)):
            ins = [d[s] + e[k] for k, (s, u) in enumerate(aisle_dp.PAIRS) if u == t]
            assert out[t] == min(ins, default=inf)
