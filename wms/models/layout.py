"""Locations of the warehouse, derived from the layout file by `wms load`."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel


class LocationKind(StrEnum):
    PICK = "pick"
    RESERVE = "reserve"
    STAGING = "staging"
    PACK = "pack"
    DOCK = "dock"
    RETURNS = "returns"
    QUARANTINE = "quarantine"


SELLABLE_KINDS = frozenset({LocationKind.PICK, LocationKind.RESERVE})
"""Stock in these locations can be promised to a channel."""


class Location(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    kind: str = Field(max_length=16, index=True)
    zone: str = Field(default="", max_length=16)
    aisle: int | None = None
    bay: int | None = None
    level: int | None = None
    side: str = Field(default="", max_length=1)
    x: float = 0.0
    y: float = 0.0
    walk_seq: int = 0
    check_code: str = Field(default="", max_length=2)
    active: bool = True
