"""The packer's screen for an order at the bench (typed), and the totes the order is in."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from wms.models import Barcode, Location, OrderLine, Product, SalesOrder
from wms.models.picking import Tote
from wms.models.shipping import PackSession
from wms.services import shipping as parcels
from wms.services.packing_cartons import all_cartons, choose_carton


class BenchTote(msgspec.Struct):
    """A tote the order is in: where it is, and whether it was scanned at the bench."""

    tote: str
    location: str | None
    on_cart: bool
    scanned: bool


class PackLine(msgspec.Struct):
    sku: str
    name: str
    barcodes: list[str]
    packs: dict[str, int]  # a pack's or case's barcode → the units it holds
    qty: int
    picked: int
    verified: int
    packed: int


class PackView(msgspec.Struct):
    """The packer's screen: the answer of every packing call."""

    order_id: int
    reference: str
    station: str
    status: str
    lines: list[PackLine]
    suggested_carton: str | None
    cartons: list[str]
    parcels: list[dict[str, Any]]  # wms.services.shipping's parcel views
    complete: bool
    totes: list[BenchTote]
    totes_missing: list[str]


_ORDER_TOTES = (
    select(Tote.code, Tote.batch_id, Location.code.label("location"))
    .outerjoin(Location, Location.id == Tote.location_id)
    .where(Tote.order_id == bindparam("order_id"))
    .order_by(Tote.code)
)


def totes_of(s: Session, order_id: int, scanned: list[str]) -> list[BenchTote]:
    """Every tote the order is in, where it is, and whether it has been scanned at the bench."""
    return [
        BenchTote(
            tote=t.code, location=t.location, on_cart=t.batch_id is not None,
            scanned=t.code in scanned,
        )
        for t in s.connection().execute(_ORDER_TOTES, {"order_id": order_id}).all()
    ]  # fmt: skip


def missing_totes(totes: list[BenchTote]) -> list[str]:
    """Totes still to come: none when the order is in one tote (the packer has it)."""
    if len(totes) < 2:
        return []
    return [t.tote for t in totes if not t.scanned]


_SESSION = select(
    SalesOrder.id, SalesOrder.reference, PackSession.station, PackSession.status,
    PackSession.verified, PackSession.totes,
).join(PackSession, PackSession.order_id == SalesOrder.id).where(
    SalesOrder.id == bindparam("order_id")
)  # fmt: skip
_LINES = (
    select(
        OrderLine.id,
        OrderLine.product_id,
        OrderLine.sku,
        Product.name,  # ours, as the picker saw it; the channel's line name may differ
        OrderLine.qty,
        OrderLine.picked,
        OrderLine.packed,
        Product.length_mm,
        Product.width_mm,
        Product.height_mm,
        Product.weight_g,
    )  # fmt: skip
    .join(Product, Product.id == OrderLine.product_id)
    .where(OrderLine.order_id == bindparam("order_id"))
    .order_by(OrderLine.line_no)
)
_CODES = select(Barcode.value, Barcode.product_id, Barcode.pack_qty).where(
    Barcode.product_id.in_(bindparam("ids", expanding=True))
)


def view_of(s: Session, order_id: int) -> PackView:
    """The packer's screen for an order being packed (or just packed).

    Columns, not ORM entities: the packer's terminal asks for it after every scan.
    """
    conn = s.connection()
    head = conn.execute(_SESSION, {"order_id": order_id}).one()
    lines = conn.execute(_LINES, {"order_id": order_id}).all()
    codes: dict[int, list[str]] = {}
    packs: dict[int, dict[str, int]] = {}
    ids = sorted({line.product_id for line in lines})
    for value, pid, pack_qty in conn.execute(_CODES, {"ids": ids}):
        codes.setdefault(pid, []).append(value)
        if pack_qty > 1:
            packs.setdefault(pid, {})[value] = pack_qty
    verified = head.verified
    waiting = [(line, verified.get(str(line.id), line.packed) - line.packed) for line in lines]
    waiting = [(line, n) for line, n in waiting if n > 0] or [
        (line, line.qty - line.packed) for line in lines if line.qty > line.packed
    ]
    options = all_cartons(s)
    suggested = choose_carton(options, waiting) if waiting else None
    totes = totes_of(s, order_id, head.totes)
    return PackView(
        order_id=head.id,
        reference=head.reference,
        station=head.station,
        status=head.status,
        lines=[
            PackLine(
                sku=line.sku,
                name=line.name,
                barcodes=sorted(codes.get(line.product_id, [])),
                packs=packs.get(line.product_id, {}),
                qty=line.qty,
                picked=line.picked,
                verified=verified.get(str(line.id), 0),
                packed=line.packed,
            )
            for line in lines
        ],
        suggested_carton=suggested.code if suggested else None,
        cartons=[c.code for c in options],
        parcels=parcels.parcels_of(s, order_id),
        complete=all(line.packed >= line.qty for line in lines),
        totes=totes,
        totes_missing=missing_totes(totes),
    )
