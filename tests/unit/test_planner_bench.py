"""The planner bench: OR-Tools re-routes our batches when it is installed, and only then."""

from __future__ import annotations

import random

import pytest

from wms.bench import ortools_routing, planner
from wms.domain.routing import route


def _small_instances() -> list[planner.Instance]:
    return [
        planner.Instance(i.name, i.policy, i.capacity, i.orders[:12])
        for i in planner.generate_instances(0)[:2]
    ]


def test_the_planner_bench_works_without_ortools(monkeypatch):
    monkeypatch.setattr(ortools_routing, "available", lambda: False)
    result = planner.run_instances(
        _small_instances(), 100.0, 0, 1, work=20_000, parallel=False, ortools_seconds=0.01
    )
    assert "total_ortools_distance" not in result
    assert result["total_distance"] <= result["total_fcfs_distance"]


@pytest.mark.skipif(not ortools_routing.available(), reason="OR-Tools (bench extra) not installed")
def test_ortools_routes_our_batches_no_shorter_than_our_optimal_router():
    result = planner.run_instances(
        _small_instances(), 100.0, 0, 1, work=20_000, parallel=False, ortools_seconds=0.01
    )
    assert result["ortools_shorter_batches"] == 0
    assert result["total_ortools_distance"] >= result["total_distance"] - 1e-6
    assert all("ortools_distance" in r for r in result["instances"])


@pytest.mark.skipif(not ortools_routing.available(), reason="OR-Tools (bench extra) not installed")
def test_ortools_finds_the_optimal_tour_of_a_few_stops():
    geo = planner.w5a_geometry()
    rng = random.Random(3)
    for n in (1, 2, 4):
        stops = list(
            {geo.aisle_point(rng.randrange(10), 1.5 + rng.randrange(45)) for _ in range(n)}
        )
        length = ortools_routing.route_length(geo, stops, 0.05)
        assert length == pytest.approx(route(geo, set(stops)).distance)
