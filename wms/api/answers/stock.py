"""Answers of the stock routes: changes, counts, look-ups of stock and the ledger."""

from __future__ import annotations

import msgspec

from wms.api.answers import Answer


class Received(Answer):
    ok: bool
    sku: str
    location: str
    qty: int


class Difference(Answer):
    sku: str
    lot: str
    expected: int
    counted: int


class Counted(Answer):
    ok: bool
    differences: list[Difference]
    pending: bool  # beyond a floor role's bound: waits for a supervisor (202)
    count_id: int | None


class CountView(Answer):
    id: int
    location: str
    status: str
    ref: str
    user_id: int | None
    created_at: str
    decided_by: int | None
    decided_at: str | None
    differences: list[Difference]


class StockRow(Answer):
    sku: str
    location: str
    lot: str
    expiry: str | None
    on_hand: int
    allocated: int


class MoveRow(Answer):
    id: int
    sku: str
    from_: str | None = msgspec.field(name="from")
    to: str | None
    lot: str
    qty: int
    reason: str
    user_id: int | None
    ref: str
    at: str


class Putaway(Answer):
    sku: str
    location: str
    reason: str


class Availability(Answer):
    sku: str
    on_hand_pickable: int
    reserved: int
    sellable: int
