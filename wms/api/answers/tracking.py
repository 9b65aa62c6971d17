"""Answers of the tracking routes: a carrier's webhook, a poll pass, a parcel's story."""

from __future__ import annotations

from wms.api.answers import Answer


class Recorded(Answer):
    tracking: str
    status: str
    new_events: int
    applied: int
    order_delivered: bool


class PollPass(Answer):
    asked: int
    failed: int
    new_events: int
    delivered_orders: int
    late: int


class Event(Answer):
    at: str
    status: str
    description: str
    location: str
    applied: bool


class ParcelTracking(Answer):
    parcel_id: int
    tracking: str
    carrier: str
    status: str
    estimated_delivery: str | None
    delivered_at: str | None
    events: list[Event]
