"""A parcel's tracking state in karrio's vocabulary, and the rule that moves it (no I/O).

Events come from carriers late, twice and out of order. The state follows the newest event
only: an event older than the last one applied is recorded but moves nothing, and a final
state (delivered, cancelled) is never left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TrackingStatus(StrEnum):
    PENDING = "pending"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    DELIVERY_DELAYED = "delivery_delayed"
    DELIVERY_FAILED = "delivery_failed"
    ON_HOLD = "on_hold"
    RETURN_TO_SENDER = "return_to_sender"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


FINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.CANCELLED})


@dataclass(frozen=True)
class TrackingEventIn:
    """One carrier event as the adapter or webhook read it; ``key`` identifies it for dedupe."""

    key: str
    occurred_at: datetime
    status: TrackingStatus
    description: str = ""
    location: str = ""
    code: str = ""


@dataclass(frozen=True)
class Tracker:
    """What a carrier says about one tracking number: its events, oldest first."""

    tracking: str
    events: tuple[TrackingEventIn, ...]
    estimated_delivery: datetime | None = None


def status_of(value: str) -> TrackingStatus:
    """A status by its karrio name; anything else is ``unknown`` (never an error)."""
    try:
        return TrackingStatus(value)
    except ValueError:
        return TrackingStatus.UNKNOWN


def moves(current: str, last_event_at: datetime | None, event: TrackingEventIn) -> bool:
    """Whether ``event`` moves a parcel that is in ``current`` since ``last_event_at``."""
    if current in FINAL or event.status == TrackingStatus.UNKNOWN:
        return False
    return last_event_at is None or event.occurred_at >= last_event_at


def order_delivered(statuses: list[str]) -> bool:
    """An order is delivered when every one of its parcels is."""
    return bool(statuses) and all(s == TrackingStatus.DELIVERED for s in statuses)
