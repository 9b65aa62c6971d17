"""Products, their barcodes, and the carton types they ship in."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Field, SQLModel

from wms.models.common import money_field


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    weight_g: int = 0
    unit_cost: Decimal = money_field()
    lot_tracked: bool = False
    expiry_tracked: bool = False
    active: bool = True


class Barcode(SQLModel, table=True):
    value: str = Field(primary_key=True, max_length=64)
    product_id: int = Field(foreign_key="product.id", index=True)
    pack_qty: int = 1  # an inner or case barcode stands for several units
    symbology: str = Field(default="EAN13", max_length=16)


class CartonType(SQLModel, table=True):
    __tablename__ = "carton_type"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_g: int
    tare_g: int = 0
    cost: Decimal = money_field()
