"""The record of every backorder: a line that waited for units instead of being sold twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field, timestamp_field

RESOLUTIONS = ("allocated", "cancelled", "shipped_short")


class BackorderRecord(SQLModel, table=True):
    """Append-only: a row is written when a line begins to wait and closed once, when it
    stops (allocated, cancelled, or shipped short); rows are never deleted. The line id is
    kept without a foreign key: a cancelled line may be deleted, its record stays."""

    __tablename__ = "backorder_record"
    __table_args__ = (
        # At most one open record a line; the check and the writer both rely on it.
        Index(
            "ux_backorder_record_open_line",
            "order_line_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_backorder_record_began", "began_at", "channel_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_line_id: int
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    channel_id: int = Field(foreign_key="channel.id")
    product_id: int = Field(foreign_key="product.id")
    sku: str = Field(max_length=64)
    line_qty: int  # the line's quantity when it began to wait
    qty_short: int  # the most units it waited for at once
    began_at: datetime = created_at_field()
    resolved_at: datetime | None = timestamp_field()
    resolution: str | None = Field(default=None, max_length=20)
