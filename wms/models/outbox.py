"""Side effects written in the same transaction as the change, delivered later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, text
from sqlmodel import Column, Field, SQLModel

from wms.models.common import UtcDateTime, created_at_field, timestamp_field, utcnow


class Outbox(SQLModel, table=True):
    __table_args__ = (
        # At most one undelivered push per key: later changes update it (coalescing).
        Index(
            "outbox_one_pending_per_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("outbox_due", "status", "next_attempt_at"),
        # The rows still to deliver, by kind in id order: the worker claims each kind's oldest
        # without walking the backlog of the others (or the delivered rows) each pass.
        Index(
            "outbox_live",
            "kind",
            "id",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # Is another row of this key out on a lease: one look a candidate row (with the
        # lease's end in it, SQLite's planner takes this index over outbox_due).
        Index(
            "outbox_sending_key",
            "dedupe_key",
            "next_attempt_at",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=24)  # stock_push | tracking_push | print
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    dedupe_key: str = Field(max_length=120)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=12)  # pending | sending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False, default=utcnow)
    )
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = timestamp_field()
    # The worker holding a `sending` row's lease (a random id per worker start): a restart
    # releases the leases of workers that are gone instead of waiting them out.
    lease_owner: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The event_id of the row this one follows: not claimed while that one is pending or
    # sending (a parcel's tracking changes are told in order, without failing the later one).
    after_event: str | None = Field(default=None, max_length=40)


PENDING = text("status = 'pending'")
"""The partial index's predicate, as a literal: PostgreSQL matches ON CONFLICT ... WHERE
against the index only when the predicate is the same expression, not a bound parameter."""
