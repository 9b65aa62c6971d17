"""The one scan resolver: what a raw scan names — location, product, tote, order, parcel, badge.

Every kind of thing is looked up; one match is the answer, several are `ambiguous_scan`
(the screen asks which), none is `unknown_scan` — or `bad_check_digit` when the scan
looks like a GTIN/SSCC whose check digit is wrong (a misread, scan again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain import scans
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Location, Product, SalesOrder, User
from wms.models import shipping as shipping_models
from wms.models.picking import Tote
from wms.services.packing import product_for_scan

MAX_SCAN = 200


# What a scan names, one shape per kind (tagged by "kind"): the resolver's typed answer.
class LocationMatch(msgspec.Struct, tag_field="kind", tag="location"):
    code: str
    check_code: str
    zone: str
    location_kind: str


class ProductMatch(msgspec.Struct, tag_field="kind", tag="product"):
    sku: str
    name: str
    pack_qty: int
    lot_tracked: bool
    expiry_tracked: bool
    lot: str | None  # what a GS1 scan carries
    expiry: str | None
    serial: str | None
    count: int | None


class ToteMatch(msgspec.Struct, tag_field="kind", tag="tote"):
    tote: str
    order_id: int | None


class BadgeMatch(msgspec.Struct, tag_field="kind", tag="badge"):
    badge: str
    username: str
    name: str


class OrderMatch(msgspec.Struct, tag_field="kind", tag="order"):
    order_id: int
    reference: str
    status: str


class SsccMatch(msgspec.Struct, tag_field="kind", tag="sscc"):
    sscc: str
    parcel_id: int
    order_id: int


class ShipmentMatch(msgspec.Struct, tag_field="kind", tag="shipment"):
    tracking: str
    parcel_id: int
    order_id: int


ScanMatch = (
    LocationMatch | ProductMatch | ToteMatch | BadgeMatch | OrderMatch | SsccMatch | ShipmentMatch
)


async def resolve(db: Database, raw: str, context: str | None = None) -> ScanMatch:
    if len(raw) > MAX_SCAN:
        raise WmsError("bad_scan", "Scan too long", f"a scan is at most {MAX_SCAN} characters")
    scan = scans.classify(raw)
    if scan.kind == "empty":
        raise NotFound("unknown_scan", "Unknown scan", "the scan was empty")
    found = await db.run(_matches, scan, context)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise Conflict(
            "ambiguous_scan",
            "Which one?",
            f"{scan.text!r} names {len(found)} things",
            candidates=msgspec.to_builtins(found),
        )
    if scan.bad_check_digit:
        raise WmsError("bad_check_digit", "Misread, scan again", f"{scan.text}: bad check digit")
    raise NotFound("unknown_scan", "Unknown scan", f"nothing is called {scan.text!r}")


@reads
def _matches(s: Session, scan: scans.Scan, context: str | None) -> list[ScanMatch]:
    if scan.kind == "check_code":
        return _check_code(s, scan.text, context)
    found: list[ScanMatch] = []
    if scan.kind in ("gtin", "gs1", "text"):
        found += _product(s, scan)
    if scan.kind == "gs1":
        return found  # an element string names an item, nothing else
    if scan.kind == "sscc":
        found += _parcels(s, sscc=scan.sscc)
        if scan.gs1_prefix:
            return found
        # 18 digits may also be a channel's order id (TikTok's are 18-19 digits).
        return found + _orders(s, scan.text)
    text = scan.text
    found += _location(s, text)
    found += _tote(s, text)
    found += _badge(s, text)
    found += _orders(s, text)
    found += _parcels(s, tracking=text)
    return found


def _check_code(s: Session, code: str, context: str | None) -> list[ScanMatch]:
    """Two digits mean something only at the location the picker was sent to."""
    if not context:
        return []
    loc = (
        s.execute(select(Location).where(Location.code == context.strip().upper()))
    ).scalar_one_or_none()
    return [_location_view(loc)] if loc is not None and loc.check_code == code else []


def _location_view(loc: Location) -> LocationMatch:
    return LocationMatch(
        code=loc.code, check_code=loc.check_code, zone=loc.zone, location_kind=loc.kind
    )


def _location(s: Session, text: str) -> list[ScanMatch]:
    loc = (s.execute(select(Location).where(Location.code == text.upper()))).scalar_one_or_none()
    return [_location_view(loc)] if loc is not None else []


def _product(s: Session, scan: scans.Scan) -> list[ScanMatch]:
    rows = (
        s.execute(
            select(Barcode, Product)
            .join(Product, Product.id == Barcode.product_id)
            .where(Barcode.value.in_(scan.barcode_candidates()))
        )
    ).all()
    # One product under two forms is still one; its barcode is the form nearest the scan
    # as read (a case's GTIN-14 before the shorter GTINs derived from it), for its pack_qty.
    rank = {value: n for n, value in enumerate(scan.barcode_candidates())}
    by_product: dict[int | None, tuple[Barcode, Product]] = {}
    for b, p in sorted(rows, key=lambda row: rank.get(row[0].value, len(rank))):
        by_product.setdefault(p.id, (b, p))
    return [
        ProductMatch(
            sku=p.sku,
            name=p.name,
            pack_qty=b.pack_qty,
            lot_tracked=p.lot_tracked,
            expiry_tracked=p.expiry_tracked,
            lot=scan.lot,
            expiry=scan.expiry.isoformat() if scan.expiry else None,
            serial=scan.serial,
            count=scan.count,
        )
        for b, p in by_product.values()
    ]


def _tote(s: Session, text: str) -> list[ScanMatch]:
    code = text.upper()
    if not scans.looks_like_tote(code):
        return []
    tote = s.get(Tote, code)
    return [ToteMatch(tote=code, order_id=tote.order_id if tote else None)]


def _badge(s: Session, text: str) -> list[ScanMatch]:
    user = (
        s.execute(select(User).where(User.badge == text, User.active.is_(True)))
    ).scalar_one_or_none()
    if user is None:
        return []
    return [BadgeMatch(badge=text, username=user.username, name=user.name)]


def _orders(s: Session, text: str) -> list[ScanMatch]:
    rows = (
        s.execute(
            select(SalesOrder)
            .where(or_(SalesOrder.reference == text, SalesOrder.external_id == text))
            .order_by(SalesOrder.id)
            .limit(5)
        )
    ).scalars()
    return [
        OrderMatch(order_id=o.id, reference=o.reference, status=o.status)  # type: ignore[arg-type]
        for o in rows
    ]


def _parcels(
    s: Session, *, sscc: str | None = None, tracking: str | None = None
) -> list[ScanMatch]:
    """Parcels live in the shipping tables; resolved only when that schema is installed."""
    parcel = getattr(shipping_models, "Parcel", None)
    if parcel is None or not _has_table(s, "parcel"):
        return []
    if sscc:
        rows = (s.execute(select(parcel).where(parcel.sscc == sscc))).scalars()
        return [SsccMatch(sscc=p.sscc, parcel_id=p.id, order_id=p.order_id) for p in rows]
    rows = (s.execute(select(parcel).where(parcel.tracking == tracking))).scalars()
    return [
        ShipmentMatch(tracking=p.tracking, parcel_id=p.id, order_id=p.order_id) for p in rows
    ]


def _has_table(s: Session, name: str) -> bool:
    return inspect(s.connection()).has_table(name)


# -- an item scan as units: receiving and counting by barcode --------------------------------


@dataclass(frozen=True)
class Item:
    """What an item scan names for a stock movement: the product and the units it stands for."""

    sku: str
    pack_qty: int  # units one scan counts: 1, or an inner pack's or case's quantity
    lot: str
    expiry: date | None


@reads
def _item(s: Session, raw: str) -> Item:
    product, units = product_for_scan(s, raw)
    scan = scans.classify(raw)
    return Item(product.sku, units, scan.lot or "", scan.expiry)


async def item(db: Database, raw: str) -> Item:
    if len(raw) > MAX_SCAN:
        raise WmsError("bad_scan", "Scan too long", f"a scan is at most {MAX_SCAN} characters")
    return await db.run(_item, raw)


def units(found: Item, qty: int | None) -> int:
    """Units `qty` means for a scanned item: null is one scan's worth; a pack counts whole."""
    if qty is None:
        return found.pack_qty
    if found.pack_qty > 1 and qty % found.pack_qty:
        raise WmsError(
            "not_whole_packs",
            "Whole packs only",
            f"{found.sku}: a pack holds {found.pack_qty}; {qty} is not whole packs",
            expected=found.pack_qty,
        )
    return qty
