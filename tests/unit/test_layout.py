"""The demo layout file and the walking geometry of a multi-block warehouse."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from pathlib import Path

import pytest

from wms.domain.layout import KINDS, Geometry, Layout, Point

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "layout.json"


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout.from_file(DEMO)


def test_the_demo_layout_has_more_than_a_thousand_pick_locations(layout):
    kinds = Counter(loc.kind for loc in layout.locations())
    assert kinds["pick"] >= 1000
    assert set(kinds) <= set(KINDS)
    assert {"reserve", "staging", "pack", "dock", "returns", "quarantine"} <= set(kinds)


def test_location_codes_are_unique_and_pack_stations_are_named(layout):
    codes = [loc.code for loc in layout.locations()]
    assert len(codes) == len(set(codes))
    assert {f"PACK-0{i}" for i in range(1, 7)} <= set(codes)


def test_a_rack_code_reads_zone_aisle_bay_level(layout):
    loc = layout.location("A03-12-2")
    assert (loc.zone, loc.aisle, loc.bay, loc.level, loc.side) == ("A", 3, 12, 2, "R")
    assert layout.location("B14-01-1").side == "L"


def test_check_codes_are_two_digits_deterministic_and_spread(layout):
    again = Layout.from_file(DEMO)
    codes = {loc.code: loc.check_code for loc in layout.locations()}
    assert codes == {loc.code: loc.check_code for loc in again.locations()}
    assert all(len(c) == 2 and c.isdigit() for c in codes.values())
    assert len(set(codes.values())) == 100  # all two-digit values occur: not a pattern
    salted = Layout.from_dict({**layout.data, "check_salt": "other"})
    other = {loc.code: loc.check_code for loc in salted.locations()}
    assert sum(codes[c] == other[c] for c in codes) < len(codes) / 5


def test_the_walk_sequence_is_a_serpentine_over_pick_locations(layout):
    picks = [loc for loc in layout.locations() if loc.kind == "pick"]
    assert sorted(loc.walk_seq for loc in picks) == list(range(1, len(picks) + 1))
    by_seq = sorted(picks, key=lambda loc: loc.walk_seq)
    aisles = [loc.aisle for loc in by_seq]
    assert aisles == sorted(aisles)
    first = [loc.y for loc in by_seq if loc.aisle == 1]
    second = [loc.y for loc in by_seq if loc.aisle == 2]
    assert first == sorted(first) and second == sorted(second, reverse=True)
    assert all(loc.walk_seq == 0 for loc in layout.locations() if loc.kind != "pick")


def test_the_demo_has_two_blocks_and_the_depot_on_the_front(layout):
    geo = layout.geometry
    assert geo.blocks == 2
    assert geo.depot.y == geo.cross_y[0]


def _dijkstra_distance(geo: Geometry, p: Point, q: Point) -> float:
    """Independent check: Dijkstra on the explicit graph of intersections and points."""
    nodes: set[tuple[float, float]] = {(x, y) for x in geo.aisle_x for y in geo.cross_y}
    nodes |= {(p.x, p.y), (q.x, q.y)}
    for r in (p, q):
        if r.aisle is None:  # a point on a cross aisle off the aisles
            nodes.add((r.x, r.y))
    edges: dict[tuple[float, float], list[tuple[float, tuple[float, float]]]] = {}

    def link(a: tuple[float, float], b: tuple[float, float]) -> None:
        d = abs(a[0] - b[0]) + abs(a[1] - b[1])
        edges.setdefault(a, []).append((d, b))
        edges.setdefault(b, []).append((d, a))

    for y in geo.cross_y:  # consecutive nodes along each cross aisle
        row = sorted(n for n in nodes if n[1] == y)
        for a, b in zip(row, row[1:], strict=False):
            link(a, b)
    for x in geo.aisle_x:  # consecutive nodes along each aisle
        col = sorted((n for n in nodes if n[0] == x), key=lambda n: n[1])
        for a, b in zip(col, col[1:], strict=False):
            link(a, b)
    dist = {(p.x, p.y): 0.0}
    heap = [(0.0, (p.x, p.y))]
    while heap:
        d, n = heapq.heappop(heap)
        if n == (q.x, q.y):
            return d
        if d > dist[n]:
            continue
        for w, m in edges.get(n, []):
            if d + w < dist.get(m, float("inf")):
                dist[m] = d + w
                heapq.heappush(heap, (d + w, m))
    raise AssertionError("unreachable")


def _random_point(rng: random.Random, geo: Geometry) -> Point:
    if rng.random() < 0.2:
        return Point(round(rng.uniform(0, geo.aisle_x[-1] + 3), 1), rng.choice(geo.cross_y))
    a = rng.randrange(len(geo.aisle_x))
    return geo.aisle_point(a, round(rng.uniform(geo.cross_y[0], geo.cross_y[-1]), 1))


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_the_distance_equals_dijkstra_on_the_aisle_graph(blocks):
    rng = random.Random(blocks)
    geo = Geometry([2.0 + 3 * i for i in range(6)], [10.0 * b for b in range(blocks + 1)], 0.5)
    for _ in range(300):
        p, q = _random_point(rng, geo), _random_point(rng, geo)
        assert geo.distance(p, q) == pytest.approx(_dijkstra_distance(geo, p, q))
        assert geo.distance(p, q) == pytest.approx(geo.distance(q, p))


def test_a_walk_from_the_depot_to_a_back_corner_goes_around_the_blocks(layout):
    geo = layout.geometry
    far = geo.aisle_point(len(geo.aisle_x) - 1, geo.cross_y[-1])
    expected = (geo.aisle_x[-1] - geo.depot.x) + geo.cross_y[-1]
    assert geo.distance(geo.depot, far) == pytest.approx(expected)
