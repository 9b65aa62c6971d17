"""Carton suggestion: the smallest carton an order's items fit in, or a split into parcels.

Packing is a heuristic with a sound answer: a carton is suggested only with explicit
placements (each unit's corner and rotated size) that lie inside it and do not
overlap, under its weight limit. Quick refusals first (a unit larger than the carton
in any rotation, total volume or weight over the limit), then extreme-point placement:
units largest first, each at the first corner point (lowest, then nearest the back
wall) where one of its six rotations fits. The heuristic may miss a packing that
exists — then a larger carton or a split is suggested, never an impossible one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

Box = tuple[float, float, float, float, float, float]  # x, y, z, dx, dy, dz


@dataclass(frozen=True)
class Item:
    """Units of one SKU in an order; sizes in millimetres, weight in grams."""

    sku: str
    length: float
    width: float
    height: float
    weight: float
    qty: int = 1


@dataclass(frozen=True)
class CartonType:
    code: str
    length: float  # inner size, mm
    width: float
    height: float
    max_weight: float  # grams of content

    @property
    def volume(self) -> float:
        return self.length * self.width * self.height


@dataclass(frozen=True)
class Placement:
    sku: str
    x: float
    y: float
    z: float
    dx: float
    dy: float
    dz: float


@dataclass(frozen=True)
class Parcel:
    carton: CartonType | None  # None: a unit larger than every carton ships as it is
    placements: tuple[Placement, ...]
    weight: float


@dataclass(frozen=True)
class CartonSuggestion:
    parcels: tuple[Parcel, ...]

    @property
    def split(self) -> bool:
        return len(self.parcels) > 1


def _units(items: Sequence[Item]) -> list[Item]:
    """One entry per unit, largest volume first (ties by SKU for determinism)."""
    units = [
        Item(i.sku, i.length, i.width, i.height, i.weight, 1) for i in items for _ in range(i.qty)
    ]
    units.sort(
        key=lambda u: (-u.length * u.width * u.height, -max(u.length, u.width, u.height), u.sku)
    )
    return units


def _fits_alone(u: Item, c: CartonType) -> bool:
    return all(
        a <= b
        for a, b in zip(
            sorted((u.length, u.width, u.height)),
            sorted((c.length, c.width, c.height)),
            strict=True,
        )
    )


def _overlap(a: Box, b: Box) -> bool:
    return (
        a[0] < b[0] + b[3]
        and b[0] < a[0] + a[3]
        and a[1] < b[1] + b[4]
        and b[1] < a[1] + a[4]
        and a[2] < b[2] + b[5]
        and b[2] < a[2] + a[5]
    )


def pack(items: Sequence[Item], carton: CartonType) -> list[Placement] | None:
    """Placements of every unit inside ``carton``, or None if the heuristic finds none."""
    units = _units(items)
    if sum(u.weight for u in units) > carton.max_weight:
        return None
    if sum(u.length * u.width * u.height for u in units) > carton.volume:
        return None
    if not all(_fits_alone(u, carton) for u in units):
        return None
    placed = _place(units, carton, stop_on_failure=True)
    return None if placed is None else placed[0]


def _place(
    units: list[Item], carton: CartonType, stop_on_failure: bool
) -> tuple[list[Placement], list[Item]] | None:
    """Extreme-point placement; returns (placements, units that did not fit)."""
    boxes: list[Box] = []
    out: list[Placement] = []
    rest: list[Item] = []
    points: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)]
    weight = 0.0
    L, W, H = carton.length, carton.width, carton.height
    for u in units:
        spot = None
        if weight + u.weight <= carton.max_weight:
            for x, y, z in sorted(points, key=lambda p: (p[2], p[1], p[0])):
                for dx, dy, dz in sorted(set(permutations((u.length, u.width, u.height)))):
                    if x + dx > L or y + dy > W or z + dz > H:
                        continue
                    box = (x, y, z, dx, dy, dz)
                    if not any(_overlap(box, b) for b in boxes):
                        spot = box
                        break
                if spot:
                    break
        if spot is None:
            if stop_on_failure:
                return None
            rest.append(u)
            continue
        boxes.append(spot)
        weight += u.weight
        x, y, z, dx, dy, dz = spot
        out.append(Placement(u.sku, x, y, z, dx, dy, dz))
        points.remove((x, y, z))
        points.extend([(x + dx, y, z), (x, y + dy, z), (x, y, z + dz)])
    return out, rest


def suggest(items: Sequence[Item], cartons: Sequence[CartonType]) -> CartonSuggestion:
    """The smallest carton (by volume) the whole order fits in; otherwise parcels: fill
    the largest carton as far as it goes, repeat, and shrink each parcel to the smallest
    carton its content fits in. A unit too big for every carton is its own parcel."""
    by_size = sorted(cartons, key=lambda c: (c.volume, c.max_weight, c.code))
    one = _smallest(items, by_size)
    if one is not None:
        return CartonSuggestion((one,))
    units = _units(items)
    parcels: list[Parcel] = []

    def boxable(u: Item) -> bool:
        return any(_fits_alone(u, c) and u.weight <= c.max_weight for c in by_size)

    for u in units:
        if not boxable(u):
            box = (Placement(u.sku, 0.0, 0.0, 0.0, u.length, u.width, u.height),)
            parcels.append(Parcel(None, box, u.weight))
    units = [u for u in units if boxable(u)]
    largest = by_size[-1] if by_size else None
    while units and largest is not None:
        placed = _place(units, largest, stop_on_failure=False)
        assert placed is not None
        done, units = placed
        if not done:  # cannot happen: every remaining unit fits the largest carton alone
            raise ValueError("packing made no progress")
        content = [_unit(items, p.sku) for p in done]
        weight = sum(u.weight for u in content)
        parcels.append(_smallest(content, by_size) or Parcel(largest, tuple(done), weight))
    return CartonSuggestion(tuple(parcels))


def _smallest(items: Sequence[Item], by_size: Sequence[CartonType]) -> Parcel | None:
    for carton in by_size:
        placements = pack(items, carton)
        if placements is not None:
            weight = sum(u.weight * u.qty for u in items)
            return Parcel(carton, tuple(placements), weight)
    return None


def _unit(items: Sequence[Item], sku: str) -> Item:
    src = next(i for i in items if i.sku == sku)
    return Item(sku, src.length, src.width, src.height, src.weight, 1)
