"""Tables of packing and shipping: stations, printers, print jobs, parcels, returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from wms.models.common import created_at_field, timestamp_field


class PackStation(SQLModel, table=True):
    """A packing bench: its label printer (ZPL), document printer (PDF) and optional scale."""

    __tablename__ = "pack_station"

    code: str = Field(primary_key=True, max_length=32)  # also the code of its pack location
    name: str = Field(default="", max_length=100)
    label_printer_url: str = Field(max_length=300)
    document_printer_url: str = Field(default="", max_length=300)
    scale_url: str = Field(default="", max_length=300)  # a pyserial URL, "" when none
    label_dpi: int = 203
    active: bool = True


class Printer(SQLModel, table=True):
    """What a printer last said about itself (kept by the print dispatcher)."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=300, unique=True, index=True)
    name: str = Field(default="", max_length=100)  # what the admin calls it ("Bench 1 labels")
    active: bool = True  # a disabled printer is offered to no new station
    status: str = Field(default="unknown", max_length=20)  # ready | paper_out | offline | ...
    message: str = Field(default="", max_length=120)  # what the packer should do
    checked_at: datetime | None = timestamp_field()


class PrintJob(SQLModel, table=True):
    __tablename__ = "print_job"

    id: int | None = Field(default=None, primary_key=True)
    printer_url: str = Field(max_length=300, index=True)
    kind: str = Field(max_length=16)  # label | document
    content_type: str = Field(default="application/zpl", max_length=40)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="queued", max_length=12, index=True)  # queued|printing|done|failed
    attempts: int = 0
    error: str = Field(default="", max_length=300)
    ref: str = Field(default="", max_length=120)  # e.g. "parcel 12 label"
    station: str = Field(default="", max_length=32)
    parcel_id: int | None = Field(default=None, index=True)
    reprint_of: int | None = None
    created_at: datetime = created_at_field()
    printed_at: datetime | None = timestamp_field()


class PackSession(SQLModel, table=True):
    """An order on a pack bench: what has been verified so far, per order line."""

    __tablename__ = "pack_session"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", unique=True)
    station: str = Field(max_length=32)
    status: str = Field(default="packing", max_length=12)  # packing | done
    verified: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    totes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # scanned
    user_id: int | None = Field(default=None, foreign_key="user.id")
    started_at: datetime = created_at_field()
    closed_at: datetime | None = timestamp_field()


class Shipment(SQLModel, table=True):
    """One per order: the parcels that carry it and where they stand."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", unique=True)
    carrier: str = Field(max_length=40)
    service: str = Field(default="", max_length=60)
    status: str = Field(default="open", max_length=12)  # open | packed | shipped
    created_at: datetime = created_at_field()
    shipped_at: datetime | None = timestamp_field()


class Parcel(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    number: int  # 1, 2, ... within the order
    station: str = Field(default="", max_length=32)
    carton: str = Field(max_length=32)
    weight_g: int
    carrier: str = Field(max_length=40)
    service: str = Field(default="", max_length=60)
    # Set right after the row has its id (the carrier numbers parcels by it); unique.
    tracking: str | None = Field(default=None, max_length=40, unique=True)
    sscc: str | None = Field(default=None, max_length=18, unique=True)
    tracking_url: str = Field(default="", max_length=300)  # as the carrier's answer gave it
    contents: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    label_job_id: int | None = None
    slip_job_id: int | None = None
    status: str = Field(default="packed", max_length=12)  # packed | shipped
    manifest_id: int | None = Field(default=None, foreign_key="manifest.id", index=True)
    created_at: datetime = created_at_field()
    shipped_at: datetime | None = timestamp_field()


class Manifest(SQLModel, table=True):
    """A carrier's collection: parcels scanned onto it are handed over (shipped)."""

    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(max_length=40)
    status: str = Field(default="open", max_length=12)  # open | closed
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    closed_at: datetime | None = timestamp_field()


class Return(SQLModel, table=True):
    __tablename__ = "return"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    external_id: str | None = Field(default=None, max_length=64)  # the channel's return id
    source: str = Field(default="manual", max_length=12)  # manual | channel
    status: str = Field(default="open", max_length=12)  # open | received | done
    reason: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()
    received_at: datetime | None = timestamp_field()
    closed_at: datetime | None = timestamp_field()


class ReturnLine(SQLModel, table=True):
    __tablename__ = "return_line"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    product_id: int = Field(foreign_key="product.id")
    sku: str = Field(max_length=64)
    qty: int  # expected back
    restocked: int = 0
    quarantined: int = 0
    scrapped: int = 0

    @property
    def graded(self) -> int:
        return self.restocked + self.quarantined + self.scrapped
