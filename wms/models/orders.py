"""Orders from every channel in one shape, and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field, money_field, timestamp_field


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    external_id: str = Field(max_length=64)
    reference: str = Field(default="", max_length=64)
    status: str = Field(max_length=20, index=True)
    channel_status: str = Field(default="", max_length=40)
    priority: int = 0
    placed_at: datetime | None = timestamp_field()
    ship_by: datetime | None = timestamp_field()
    carrier: str = Field(default="", max_length=40)
    service: str = Field(default="", max_length=60)
    ship_name: str = Field(default="", max_length=120)
    ship_line1: str = Field(default="", max_length=200)
    ship_line2: str = Field(default="", max_length=200)
    ship_city: str = Field(default="", max_length=100)
    ship_region: str = Field(default="", max_length=100)
    ship_postal_code: str = Field(default="", max_length=20)
    ship_country: str = Field(default="", max_length=2)
    ship_phone: str = Field(default="", max_length=40)
    ship_email: str = Field(default="", max_length=200)
    ship_masked: bool = False
    currency: str = Field(default="USD", max_length=3)
    subtotal: Decimal = money_field()
    shipping: Decimal = money_field()
    discount: Decimal = money_field()
    tax: Decimal = money_field()
    total: Decimal = money_field()
    channel_fee: Decimal = money_field()
    creator: str = Field(default="", max_length=100)
    content_type: str = Field(default="", max_length=16)
    content_id: str = Field(default="", max_length=64)
    commission: Decimal = money_field()
    note: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="order_line_qty_positive"),
        CheckConstraint("reserved >= 0 AND reserved <= qty", name="order_line_reserved_range"),
        CheckConstraint("picked <= allocated AND packed <= picked", name="order_line_work_adds_up"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    sku: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    qty: int
    unit_price: Decimal = money_field()
    discount: Decimal = money_field()
    unit_cost: Decimal = money_field()  # cost at intake, for margin reports
    external_line_ids: str = Field(default="", max_length=2000)  # comma-separated
    channel_product_ref: str = Field(default="", max_length=64)
    reserved: int = 0  # units held against sellable stock, until picked
    allocated: int = 0  # units given pick tasks
    picked: int = 0
    packed: int = 0

    @property
    def backordered(self) -> int:
        return self.qty - self.reserved - self.picked
