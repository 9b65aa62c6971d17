"""Returns: opened by the channel or by hand, received by a scan, graded per item via the ledger.

Every graded unit enters at the returns desk (a `returns` location) and goes on from there:
restock to a pick place (sellable again at once: apply_move tells the channels), quarantine,
or scrap (out of stock again). So the ledger shows each unit's path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.orders import OrderStatus
from wms.domain.scans import classify
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Location, OrderLine, Product, SalesOrder, Stock
from wms.models.common import utcnow
from wms.models.layout import SELLABLE_KINDS, LocationKind
from wms.models.shipping import Return, ReturnLine
from wms.services import money_facts
from wms.services.orders import lines_of
from wms.services.packing import order_for_scan, product_for_scan
from wms.services.shipping import parcel_for_scan
from wms.services.stock import apply_move, location_by_code

RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
GRADES = ("restock", "quarantine", "scrap")


def _returned_so_far(s: Session, order_id: int) -> dict[int, int]:
    rows = s.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.qty))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(n) for line_id, n in rows.all()}


def open_return(
    s: Session,
    order: SalesOrder,
    wanted: list[tuple[str, int]] | None,
    *,
    reason: str = "",
    source: str = "manual",
    channel_id: int | None = None,
    external_id: str | None = None,
) -> Return:
    """A return of `wanted` (sku, qty), or of everything shipped and not yet returned."""
    if order.status == OrderStatus.RETURNED:
        raise Conflict("nothing_to_return", "Nothing to return", f"{order.reference} is back")
    if order.status not in RETURNABLE:
        raise Conflict("not_shipped", "Order not shipped", f"{order.reference} is {order.status}")
    lines = lines_of(s, order.id)  # type: ignore[arg-type]
    left = {line.id: line.packed for line in lines}
    for line_id, n in (_returned_so_far(s, order.id)).items():  # type: ignore[arg-type]
        left[line_id] -= n
    picked: list[tuple[OrderLine, int]] = []
    if wanted is None:
        picked = [(line, left[line.id]) for line in lines if left[line.id] > 0]
    for sku, qty in wanted or []:
        mine = [line for line in lines if line.sku == sku]
        if not mine:
            raise WmsError("not_in_order", "Not in this order", f"{sku} not in {order.reference}")
        line = mine[0]
        if qty > left[line.id]:
            raise WmsError("too_many", "More than shipped", f"{sku}: {left[line.id]} returnable")
        left[line.id] -= qty
        picked.append((line, qty))
    if not picked:
        raise Conflict("nothing_to_return", "Nothing to return", f"{order.reference} is back")
    ret = Return(
        order_id=order.id,  # type: ignore[arg-type]
        channel_id=channel_id,
        external_id=external_id,
        source=source,
        reason=reason[:200],
    )
    s.add(ret)
    s.flush()
    s.add_all(
        ReturnLine(
            return_id=ret.id,  # type: ignore[arg-type]
            order_line_id=line.id,  # type: ignore[arg-type]
            product_id=line.product_id,
            sku=line.sku,
            qty=qty,
        )
        for line, qty in picked
    )
    s.flush()
    return ret


def receive(s: Session, scan: str) -> Return:
    """The parcel (tracking, SSCC) or order scanned at the returns desk."""
    try:
        order_id = parcel_for_scan(s, scan).order_id
    except NotFound:
        order_id = order_for_scan(s, scan).id  # type: ignore[assignment]
    ret = (
        s.execute(
            select(Return)
            .where(Return.order_id == order_id, Return.status == "open")
            .order_by(Return.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if ret is None:  # nobody announced it: open one for what was shipped
        order = s.get(SalesOrder, order_id)
        assert order is not None
        ret = open_return(s, order, None, reason="received unannounced")
    ret.status, ret.received_at = "received", utcnow()
    return ret


def grade(
    s: Session,
    return_id: int,
    scan: str,
    grade_as: str,
    qty: int,
    location: str | None,
    user_id: int | None,
) -> Return:
    ret = s.get(Return, return_id, with_for_update=True)  # one grader at a time
    if ret is None:
        raise NotFound("unknown_return", "Unknown return", f"no return {return_id}")
    if ret.status == "open":
        raise Conflict("not_received", "Receive it first", f"return {return_id} not received")
    if ret.status == "done":
        raise Conflict("return_closed", "Return already done", f"return {return_id} is done")
    product, pack = product_for_scan(s, scan)
    units = pack * qty  # an inner pack or case counts all its units
    line = next(
        (x for x in _lines(s, return_id) if x.product_id == product.id and x.graded < x.qty),
        None,
    )
    if line is None:
        raise WmsError("not_in_return", "Not in this return", f"{product.sku} is not expected",
                       sku=product.sku)  # fmt: skip
    if line.graded + units > line.qty:
        left = line.qty - line.graded
        if pack > 1:
            raise WmsError("pack_exceeds_qty", "Pack too big",
                           f"the pack holds {pack}, {left} left: scan a unit",
                           sku=product.sku, pack_qty=pack, expected=left)  # fmt: skip
        raise WmsError("too_many", "More than returned", f"{line.qty - line.graded} left",
                       sku=product.sku)  # fmt: skip
    lot = classify(scan).lot or ""
    if grade_as == "restock" and product.lot_tracked and not lot:
        raise WmsError("lot_required", "Scan lot barcode", f"{product.sku} is tracked by lot")
    if not product.lot_tracked:
        lot = ""
    desk = _first_of_kind(s, LocationKind.RETURNS)
    ref = f"return {ret.id} order {ret.order_id}"
    apply_move(s, product=product, qty=units, reason="return", target=desk, lot=lot,
                     user_id=user_id, ref=ref)  # fmt: skip
    if grade_as == "restock":
        target = _restock_place(s, product, location)
        apply_move(s, product=product, qty=units, reason="restock", source=desk,
                         target=target, lot=lot, user_id=user_id, ref=ref)  # fmt: skip
        line.restocked += units
    elif grade_as == "quarantine":
        quarantine = _first_of_kind(s, LocationKind.QUARANTINE)
        apply_move(s, product=product, qty=units, reason="quarantine", source=desk,
                         target=quarantine, lot=lot, user_id=user_id, ref=ref)  # fmt: skip
        line.quarantined += units
    else:
        apply_move(s, product=product, qty=units, reason="scrap", source=desk, lot=lot,
                         user_id=user_id, ref=ref)  # fmt: skip
        line.scrapped += units
    s.flush()
    money_facts.record_graded(s, ret.order_id, line.order_line_id, units, grade_as)
    if all(x.graded >= x.qty for x in _lines(s, return_id)):
        ret.status, ret.closed_at = "done", utcnow()
        _maybe_returned(s, ret.order_id)
    return ret


def _lines(s: Session, return_id: int) -> list[ReturnLine]:
    query = select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(ReturnLine.id)
    return list((s.execute(query)).scalars())


def _first_of_kind(s: Session, kind: LocationKind) -> Location:
    loc = (
        (
            s.execute(
                select(Location)
                .where(Location.kind == kind, Location.active)
                .order_by(Location.code)
            )
        )
        .scalars()
        .first()
    )
    if loc is None:
        raise Conflict("no_location", "No place set up", f"no {kind} location in the layout")
    return loc


def _restock_place(s: Session, product: Product, code: str | None) -> Location:
    """The given sellable place, else where the product is picked from (most stock first)."""
    if code:
        loc = location_by_code(s, code)
        if loc.kind not in SELLABLE_KINDS:
            raise WmsError("not_sellable_location", "Not a pick place", f"{code} is {loc.kind}")
        return loc
    loc = (
        (
            s.execute(
                select(Location)
                .join(Stock, Stock.location_id == Location.id)
                .where(Stock.product_id == product.id, Location.kind == LocationKind.PICK)
                .order_by(Stock.on_hand.desc(), Location.code)
            )
        )
        .scalars()
        .first()
    )
    if loc is None:
        raise Conflict("no_pick_location", "Say where to put it", f"{product.sku} has no home")
    return loc


def _maybe_returned(s: Session, order_id: int) -> None:
    """RETURNED once every packed unit of the order came back (a partial return keeps SHIPPED)."""
    order = s.get(SalesOrder, order_id)
    lines = lines_of(s, order_id)
    back = _returned_so_far(s, order_id)
    done = all(back.get(line.id, 0) >= line.packed for line in lines)  # type: ignore[arg-type]
    if order is not None and done:
        order.status, order.updated_at = OrderStatus.RETURNED, utcnow()


def view(s: Session, ret: Return) -> dict[str, Any]:
    order = s.get(SalesOrder, ret.order_id)
    return {
        "id": ret.id,
        "order_id": ret.order_id,
        "reference": order.reference if order else None,
        "status": ret.status,
        "source": ret.source,
        "external_id": ret.external_id,
        "reason": ret.reason,
        "lines": [
            {
                "sku": x.sku,
                "qty": x.qty,
                "restocked": x.restocked,
                "quarantined": x.quarantined,
                "scrapped": x.scrapped,
                "left": x.qty - x.graded,
            }
            for x in _lines(s, ret.id)  # type: ignore[arg-type]
        ],
    }


# -- transactions (what the API calls) -------------------------------------------------------


async def open_manual(
    db: Database, scan: str, wanted: list[tuple[str, int]] | None, reason: str
) -> dict[str, Any]:
    return await db.run(_open_manual, scan, wanted, reason)


def _open_manual(
    s: Session, scan: str, wanted: list[tuple[str, int]] | None, reason: str
) -> dict[str, Any]:
    return view(s, open_return(s, order_for_scan(s, scan), wanted, reason=reason))


async def receive_scan(db: Database, scan: str) -> dict[str, Any]:
    return await db.run(_receive_scan, scan)


def _receive_scan(s: Session, scan: str) -> dict[str, Any]:
    return view(s, receive(s, scan))


async def grade_item(
    db: Database,
    return_id: int,
    scan: str,
    grade_as: str,
    qty: int,
    location: str | None,
    user_id: int | None,
) -> dict[str, Any]:
    return await db.run(_grade_item, return_id, scan, grade_as, qty, location, user_id)


def _grade_item(
    s: Session,
    return_id: int,
    scan: str,
    grade_as: str,
    qty: int,
    location: str | None,
    user_id: int | None,
) -> dict[str, Any]:
    return view(s, grade(s, return_id, scan, grade_as, qty, location, user_id))


async def get_return(db: Database, return_id: int) -> dict[str, Any]:
    return await db.run(_get_return, return_id)


@reads
def _get_return(s: Session, return_id: int) -> dict[str, Any]:
    ret = s.get(Return, return_id)
    if ret is None:
        raise NotFound("unknown_return", "Unknown return", f"no return {return_id}")
    return view(s, ret)
