"""Tables of parcels after the handover: each parcel's tracking state and its events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field, timestamp_field


class ParcelTracking(SQLModel, table=True):
    """One per handed-over parcel: where it stands (karrio's vocabulary) and when to ask."""

    __tablename__ = "parcel_tracking"
    # The poller reads its due parcels in this order, a page at a time.
    __table_args__ = (Index("ix_parcel_tracking_next_poll_at", "next_poll_at"),)

    parcel_id: int = Field(primary_key=True, foreign_key="parcel.id")
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    carrier: str = Field(max_length=40, index=True)
    tracking: str = Field(max_length=40, unique=True)
    status: str = Field(default="pending", max_length=20, index=True)
    last_event_at: datetime | None = timestamp_field()
    estimated_delivery: datetime | None = timestamp_field()
    delivered_at: datetime | None = timestamp_field()
    # The poller's schedule: None once it stops asking (final state, or too old).
    next_poll_at: datetime | None = timestamp_field()
    poll_failures: int = 0
    # The trouble already raised as an exception (late, delivery_failed, ...): raised once.
    troubled: str = Field(default="", max_length=20)
    # The event_id of the outbox row that told its latest change: the next change follows it.
    last_told: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    handed_over_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class TrackingEvent(SQLModel, table=True):
    """A carrier's event, append-only: written once, never changed (dedupe on its key)."""

    __tablename__ = "tracking_event"
    __table_args__ = (UniqueConstraint("parcel_id", "event_key"),)

    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int = Field(foreign_key="parcel.id", index=True)
    event_key: str = Field(max_length=80)
    occurred_at: datetime = created_at_field()
    status: str = Field(max_length=20)
    code: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=300)
    location: str = Field(default="", max_length=200)
    source: str = Field(default="poll", max_length=12)  # poll | webhook
    applied: bool = True  # False: older than the state, or after a final state
    received_at: datetime = created_at_field()
