"""Cartons: the planner's packing rule (wms.domain.cartons), on the catalogue's cartons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.domain import cartons
from wms.models import CartonType


def all_cartons(s: Session) -> list[CartonType]:
    rows = list((s.execute(select(CartonType))).scalars())
    return sorted(rows, key=lambda c: (c.length_mm * c.width_mm * c.height_mm, c.code))


class Sized(Protocol):
    """What the packing rule needs of an item: a product, or a row with its columns."""

    sku: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int


def suggest_carton(s: Session, items: Sequence[tuple[Sized, int]]) -> CartonType:
    return choose_carton(all_cartons(s), items)


def choose_carton(options: list[CartonType], items: Sequence[tuple[Sized, int]]) -> CartonType:
    """The smallest carton the items pack into (three dimensions, rotations, weight limit);
    when they need several parcels, the first parcel's carton; the largest if nothing fits."""
    plan = cartons.suggest(
        [
            cartons.Item(p.sku, p.length_mm, p.width_mm, p.height_mm, p.weight_g, qty)
            for p, qty in items
        ],
        [
            cartons.CartonType(
                c.code, c.length_mm, c.width_mm, c.height_mm, c.max_weight_g - c.tare_g
            )
            for c in options
        ],
    )
    first = plan.parcels[0].carton if plan.parcels else None
    return next((c for c in options if first and c.code == first.code), options[-1])
