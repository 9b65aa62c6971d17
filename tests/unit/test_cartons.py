"""Carton suggestions are checked by an independent feasibility test."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from wms.domain.cartons import CartonType, Item, suggest

CARTONS = [
    CartonType("S", 200, 150, 100, 2000),
    CartonType("M", 300, 250, 150, 5000),
    CartonType("L", 400, 300, 250, 10000),
    CartonType("XL", 600, 400, 400, 20000),
]


def _feasible(items, suggestion) -> None:
    """Every unit placed once, in a rotation of its size, inside its carton, no two
    boxes sharing volume, and no carton over its weight limit."""
    want = Counter({i.sku: i.qty for i in items})
    got = Counter(p.sku for parcel in suggestion.parcels for p in parcel.placements)
    assert got == want
    sizes = {i.sku: sorted((i.length, i.width, i.height)) for i in items}
    weights = {i.sku: i.weight for i in items}
    for parcel in suggestion.parcels:
        c = parcel.carton
        if c is None:  # a unit no carton takes ships alone
            assert len(parcel.placements) == 1
            continue
        assert sum(weights[p.sku] for p in parcel.placements) <= c.max_weight
        boxes = []
        for p in parcel.placements:
            assert sorted((p.dx, p.dy, p.dz)) == sizes[p.sku]
            assert min(p.x, p.y, p.z) >= 0
            assert p.x + p.dx <= c.length and p.y + p.dy <= c.width and p.z + p.dz <= c.height
            boxes.append(((p.x, p.x + p.dx), (p.y, p.y + p.dy), (p.z, p.z + p.dz)))
        for k, a in enumerate(boxes):
            for b in boxes[k + 1 :]:
                shared = [min(a[d][1], b[d][1]) - max(a[d][0], b[d][0]) for d in range(3)]
                assert min(shared) <= 0, "two units overlap"


@pytest.mark.parametrize("seed", range(8))
def test_every_suggestion_passes_an_independent_feasibility_check(seed):
    rng = random.Random(seed)
    for _ in range(25):
        items = [
            Item(
                f"SKU{k}",
                rng.randint(20, 350),
                rng.randint(20, 250),
                rng.randint(10, 200),
                rng.randint(50, 3000),
                rng.randint(1, 4),
            )
            for k in range(rng.randint(1, 5))
        ]
        _feasible(items, suggest(items, CARTONS))


def test_the_smallest_carton_that_holds_the_items_is_chosen():
    one = [Item("MUG", 120, 90, 90, 350)]
    assert suggest(one, CARTONS).parcels[0].carton.code == "S"
    # Two 180 mm cubes exceed S's volume and M's height: L is the first that holds them.
    cubes = [Item("CUBE", 180, 180, 180, 400, 2)]
    parcels = suggest(cubes, CARTONS).parcels
    assert [p.carton.code for p in parcels] == ["L"]


def test_a_long_item_is_rotated_to_fit():
    rod = [Item("ROD", 100, 90, 280, 300)]  # longer than S in every direction; M lengthwise
    parcel = suggest(rod, CARTONS).parcels[0]
    assert parcel.carton.code == "M"
    assert max(parcel.placements[0].dx, parcel.placements[0].dy) == 280


def test_an_order_too_big_for_any_carton_is_split_into_parcels():
    items = [Item("BOOK", 240, 170, 50, 900, 30)]  # 27 kg: over every weight limit
    s = suggest(items, CARTONS)
    assert s.split
    _feasible(items, s)


def test_a_unit_larger_than_every_carton_ships_on_its_own():
    items = [Item("BIKE", 1500, 300, 800, 12000), Item("BELL", 60, 60, 40, 80)]
    s = suggest(items, CARTONS)
    _feasible(items, s)
    assert any(p.carton is None and p.placements[0].sku == "BIKE" for p in s.parcels)
    assert any(p.carton is not None and p.placements[0].sku == "BELL" for p in s.parcels)
