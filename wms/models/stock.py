"""Stock per place, its append-only ledger, and the sellable summary per product."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from wms.models.common import created_at_field


class Stock(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", "lot"),
        CheckConstraint("on_hand >= 0", name="stock_on_hand_not_negative"),
        CheckConstraint("allocated >= 0 AND allocated <= on_hand", name="stock_allocated_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    lot: str = Field(default="", max_length=40)  # "" when the product is not lot-tracked
    expiry: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))
    on_hand: int = 0
    allocated: int = 0  # promised to pick tasks


class StockMove(SQLModel, table=True):
    """One line of the ledger. Never updated, never deleted."""

    __tablename__ = "stock_move"
    __table_args__ = (CheckConstraint("qty > 0", name="stock_move_qty_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    from_location_id: int | None = Field(default=None, foreign_key="location.id")
    to_location_id: int | None = Field(default=None, foreign_key="location.id")
    lot: str = Field(default="", max_length=40)
    qty: int
    reason: str = Field(max_length=24)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    ref: str = Field(default="", max_length=120)
    at: datetime = created_at_field()


class ProductAvailability(SQLModel, table=True):
    """What can be promised: kept in step with stock so a reservation is one UPDATE."""

    __tablename__ = "product_availability"
    __table_args__ = (
        CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand_pickable", name="availability_no_oversell"
        ),
    )

    product_id: int = Field(foreign_key="product.id", primary_key=True)
    on_hand_pickable: int = 0
    reserved: int = 0
