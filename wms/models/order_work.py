"""An order's warehouse work, kept once it ships: the work report reads these narrow rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from wms.models.common import timestamp_field

COVERED = ("placed_at", "channel_id", "order_id", "shipped_at", "ship_by", "pick_s", "pack_s",
           "reference")  # fmt: skip


class OrderWork(SQLModel, table=True):
    """Written when the order is handed over (or arrives already shipped): its batch share
    and pack session are final then (a cart is finished before its totes are packed).
    `placed_at` is the order's day (placed, else created); null seconds: no such scan."""

    __tablename__ = "order_work"
    # Every column the report reads: a year's rows are read from the index alone.
    __table_args__ = (Index("ix_order_work_placed", *COVERED),)

    order_id: int = Field(primary_key=True, foreign_key="sales_order.id")
    channel_id: int
    placed_at: datetime = timestamp_field(nullable=False)
    reference: str = Field(default="", max_length=64)
    ship_by: datetime | None = timestamp_field()
    shipped_at: datetime | None = timestamp_field()
    pick_s: float | None = None
    pack_s: float | None = None
