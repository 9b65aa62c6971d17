"""Answers of the report routes: the floor board, throughput, alert counts, the margin."""

from __future__ import annotations

import msgspec

from wms.api.answers import Answer


class BoardBatch(Answer):
    id: int
    status: str
    kind: str
    picker_id: int | None
    picker: str | None
    stops: int
    stops_done: int
    pct: int
    last_scan: str | None
    age_s: int | None
    stalled: bool
    stall_s: int


class BoardWave(Answer):
    id: int
    created_at: str | None
    carriers: list[str]
    orders: int
    lines: int
    units: int
    picked_units: int
    pct_picked: int
    pct_packed: int
    pct_shipped: int
    batches: list[BoardBatch]


class CarrierPace(Answer):
    carrier: str
    cutoff: str | None
    orders_not_packed: int
    lines_left: int
    seconds_left: int | None
    needed_s: int | None
    at_risk: bool


class FloorBoard(Answer):
    at: str
    waves: list[BoardWave]
    pace_lines_per_hour: float
    carriers: list[CarrierPace]


class PersonRate(Answer):
    user_id: int | None
    name: str
    lines: int
    units: int
    lines_per_hour: float
    units_per_hour: float


class Throughput(Answer):
    since: str
    pickers: list[PersonRate]
    packers: list[PersonRate]
    lines_by_hour: list[int]  # 24 hours, UTC


class ExceptionCounts(Answer):
    short_picks: int
    backorders: int
    failed_prints: int
    printers_in_fault: int
    held_orders: int
    stalled_batches: int
    failing_pushes: int
    pending_counts: int
    no_address: int


class MarginRow(Answer):
    """Amounts as exact decimal text in the report's currency."""

    key: str
    label: str
    revenue: str
    goods: str
    fee: str
    commission: str
    shipping: str
    packaging: str
    returns: str
    margin: str
    margin_pct: str | None
    units: int
    orders: int
    aov: str | None
    return_rate: str | None
    missing_rate: list[str]  # "day currency" pairs with no exchange rate


class Excluded(Answer):
    cancelled: int
    unpaid: int


class MarginReport(Answer):
    group: str
    from_: str = msgspec.field(name="from")
    to: str
    currency: str
    channel: str | None
    rows: list[MarginRow]
    total: MarginRow
    excluded: Excluded
    missing_rate: bool
    count: int  # rows in the whole report; group=order answers one page of them
    offset: int
    limit: int | None  # None: every row is here
    sort: str | None  # the order report's sort (a leading '-' for descending)
