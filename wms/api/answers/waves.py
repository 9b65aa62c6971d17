"""Answers of the wave and floor-exception routes (plans and releases: `wms.services.waves`)."""

from __future__ import annotations

from typing import Any

from wms.api.answers import Answer


class Cancelled(Answer):
    id: int
    status: str
    orders: int  # orders back to READY


class WaveRow(Answer):
    id: int
    status: str
    orders: int
    units: int
    distance_m: float
    est_seconds: float
    created_at: str
    # The rules it was released with, as stored (see the `Rules` request of POST /waves).
    rules: dict[str, Any]


class WaveBatch(Answer):
    id: int
    kind: str
    status: str
    picker_id: int | None
    stops: int
    distance_m: float
    est_seconds: float


class WaveDetail(WaveRow):
    batches: list[WaveBatch]


class FloorException(Answer):
    id: int
    kind: str
    status: str
    batch_id: int | None
    task_id: int | None
    order_id: int | None
    sku: str | None
    location: str | None
    qty: int
    message: str
    created_at: str
    resolved_by: str | None  # a user, or "system" when its cause went away by itself
    resolved_at: str | None
    resolution: str


class Resolved(Answer):
    id: int
    status: str
    resolved_at: str | None
    resolution: str
