"""Adding, editing and disabling products and their barcodes while the warehouse runs.

Each change is one short transaction that checks everything first and raises before
writing, so a refused change leaves nothing behind; every change adds an audit line (who,
what, which) in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.domain.checkdigits import is_valid_gtin
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Barcode, Product, ProductAvailability
from wms.services import audit, availability
from wms.services.admin_common import changed_fields

PRODUCT_FIELDS = frozenset(
    {"name", "length_mm", "width_mm", "height_mm", "weight_g", "unit_cost", "lot_tracked",
     "expiry_tracked", "active"}
)  # fmt: skip


def product_view(row: Product, barcodes: list[str]) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "length_mm": row.length_mm,
        "width_mm": row.width_mm,
        "height_mm": row.height_mm,
        "weight_g": row.weight_g,
        "unit_cost": str(row.unit_cost),
        "lot_tracked": row.lot_tracked,
        "expiry_tracked": row.expiry_tracked,
        "active": row.active,
        "barcodes": barcodes,
    }


def _values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out and not str(out["name"]).strip():
        raise WmsError("bad_product", "Bad product", "a product needs a name")
    for key in ("length_mm", "width_mm", "height_mm", "weight_g"):
        if key in out and not 0 <= int(out[key]) <= 10_000_000:
            raise WmsError("bad_product", "Bad product", f"{key}: 0 or more")
    if "unit_cost" in out:
        try:
            cost = Decimal(str(out["unit_cost"]))
        except InvalidOperation as exc:
            raise WmsError("bad_product", "Bad product", "unit_cost: a decimal amount") from exc
        if not cost.is_finite() or cost < 0:
            raise WmsError("bad_product", "Bad product", "unit_cost: 0 or more")
        out["unit_cost"] = cost
    return out


def _check_barcodes(s: Session, values: list[str], product_id: int | None) -> None:
    for value in values:
        if not is_valid_gtin(value):
            raise WmsError(
                "bad_barcode", "Bad barcode", f"{value}: not a GTIN with a right check digit"
            )
    if len(set(values)) != len(values):
        raise WmsError("bad_barcode", "Bad barcode", "a barcode is listed twice")
    owners = s.execute(
        select(Barcode.value, Barcode.product_id).where(Barcode.value.in_(values))  # type: ignore[attr-defined]
    ).all()
    for value, owner in owners:
        if owner != product_id:
            raise Conflict("barcode_taken", "Barcode taken", f"{value} is another product's")


def _barcodes_of(s: Session, product_id: int) -> list[str]:
    return sorted(
        s.execute(select(Barcode.value).where(Barcode.product_id == product_id)).scalars()
    )


def _product(s: Session, sku: str) -> Product:
    row = s.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product {sku!r}")
    return row


@reads
def list_products(s: Session, after: str, limit: int) -> list[dict[str, Any]]:
    """Products by SKU, a page at a time (``after`` the last SKU of the previous page)."""
    rows = list(
        s.execute(
            select(Product).where(Product.sku > after).order_by(Product.sku).limit(limit)
        ).scalars()
    )
    codes: dict[int, list[str]] = {}
    for value, pid in s.execute(
        select(Barcode.value, Barcode.product_id)
        .where(Barcode.product_id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
        .order_by(Barcode.value)
    ):
        codes.setdefault(pid, []).append(value)
    return [product_view(r, codes.get(r.id, [])) for r in rows]  # type: ignore[arg-type]


@reads
def get_product(s: Session, sku: str) -> dict[str, Any]:
    row = _product(s, sku)
    return product_view(row, _barcodes_of(s, row.id))  # type: ignore[arg-type]


def create_product(s: Session, actor: str, values: dict[str, Any]) -> dict[str, Any]:
    sku = str(values.get("sku", "")).strip()
    if not sku or len(sku) > 64:
        raise WmsError("bad_product", "Bad product", "sku: 1 to 64 characters")
    barcodes = list(values.get("barcodes", []))
    fields = _values({k: v for k, v in values.items() if k in PRODUCT_FIELDS})
    if "name" not in fields:
        raise WmsError("bad_product", "Bad product", "a product needs a name")
    if s.execute(select(Product.id).where(Product.sku == sku)).first():
        raise Conflict("product_exists", "Product exists", f"product {sku!r} exists")
    _check_barcodes(s, barcodes, None)
    row = Product(sku=sku, **fields)
    s.add(row)
    s.flush()
    # Sellable from its first receipt on: the availability row the reservations update.
    s.add(ProductAvailability(product_id=row.id, on_hand_pickable=0, reserved=0))  # type: ignore[arg-type]
    for value in barcodes:
        s.add(Barcode(value=value, product_id=row.id))  # type: ignore[arg-type]
    s.flush()
    audit.record(s, actor, "product.create", sku, f"barcodes={','.join(barcodes)}")
    return product_view(row, sorted(barcodes))


def update_product(s: Session, actor: str, sku: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change fields; ``barcodes`` (when given) is the product's whole new list."""
    unknown = set(changes) - PRODUCT_FIELDS - {"barcodes"}
    if unknown:
        raise WmsError("bad_product", "Bad product", f"cannot change {sorted(unknown)}")
    row = _product(s, sku)
    barcodes = changes.pop("barcodes", None)
    fields = _values(changes)
    if barcodes is not None:
        _check_barcodes(s, list(barcodes), row.id)
    changed = changed_fields(row, fields)
    if barcodes is not None:
        old = set(_barcodes_of(s, row.id))  # type: ignore[arg-type]
        for value in sorted(old - set(barcodes)):
            s.delete(s.get(Barcode, value))
        for value in sorted(set(barcodes) - old):
            s.add(Barcode(value=value, product_id=row.id))  # type: ignore[arg-type]
        if old != set(barcodes):
            changed.append("barcodes")
    s.flush()
    if "active" in changed:
        # Disabled: every channel listing it is told zero now; enabled again: the true figure.
        availability.push_sellable(s, [row.id])  # type: ignore[list-item]
    audit.record(s, actor, "product.update", sku, "changed=" + ",".join(changed))
    return product_view(row, _barcodes_of(s, row.id))  # type: ignore[arg-type]
