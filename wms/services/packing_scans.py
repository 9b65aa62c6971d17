"""What an item or order scan at the bench names: a product (and its units), an order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.domain.scans import classify, looks_like_tote
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Product, SalesOrder
from wms.models.picking import Tote


def product_for_scan(s: Session, raw: str) -> tuple[Product, int]:
    """The product an item scan names and how many units it stands for (case barcodes)."""
    scan = classify(raw)
    if scan.kind == "empty":
        raise WmsError("unknown_scan", "Scan an item", "the scan was empty")
    if scan.bad_check_digit:
        raise WmsError("bad_check_digit", "Bad check digit", f"{scan.text!r}: rescan")
    for value in scan.barcode_candidates():
        barcode = s.get(Barcode, value)
        if barcode is not None:
            product = s.get(Product, barcode.product_id)
            assert product is not None
            return product, barcode.pack_qty * (scan.count or 1)
    product = (s.execute(select(Product).where(Product.sku == scan.text))).scalar_one_or_none()
    if product is None:
        raise NotFound("unknown_scan", "Unknown item", f"nothing known as {scan.text!r}")
    return product, 1


def order_for_scan(s: Session, raw: str) -> SalesOrder:
    """A tote bound to an order, an order's reference or channel id, or its number."""
    text = classify(raw).text
    if looks_like_tote(text):
        tote = s.get(Tote, text.upper())
        if tote is None or tote.order_id is None:
            raise NotFound("unknown_scan", "Tote has no order", f"tote {text} holds no order")
        order = s.get(SalesOrder, tote.order_id)
        assert order is not None
        return order
    found = list(
        (
            s.execute(
                select(SalesOrder)
                .where((SalesOrder.reference == text) | (SalesOrder.external_id == text))
                .limit(2)
            )
        ).scalars()
    )
    if len(found) > 1:
        raise Conflict("ambiguous_scan", "Several orders match", f"{text!r} names several orders")
    if not found and text.isdigit() and int(text) < 2**31:
        order = s.get(SalesOrder, int(text))
        found = [order] if order is not None else []
    if not found:
        raise NotFound("unknown_scan", "Unknown order", f"no order or tote {text!r}")
    return found[0]
