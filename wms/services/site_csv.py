"""The site's CSV files: catalogue (ours or a Shopify export), barcodes, stock, listings."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from wms.services.site_reading import (
    BARCODE_COLUMNS,
    LISTING_COLUMNS,
    PRODUCT_COLUMNS,
    SHOPIFY_COLUMNS,
    STOCK_COLUMNS,
    Report,
    Row,
    Site,
    barcode_problem,
    read_csv,
    row_bool,
    row_decimal,
    row_int,
    row_required,
    symbology_of,
)


def read_products(r: Report, site: Site) -> None:
    text = (site.folder / "products.csv").read_text(encoding="utf-8-sig", errors="replace")
    header = next((ln for ln in text.splitlines() if ln.strip() and ln[:1] != "#"), "")
    shopify = all(c in next(csv.reader([header]), []) for c in SHOPIFY_COLUMNS)
    rows = read_csv(r, site, "products.csv", SHOPIFY_COLUMNS if shopify else PRODUCT_COLUMNS)
    if rows is None:
        return
    seen: dict[str, int] = {}
    titles: dict[str, str] = {}
    for row in rows:
        if shopify:
            product = _shopify_product(r, row, titles)
            if product is None:
                continue
        else:
            product = {
                "sku": row_required(r, row, "sku"),
                "name": row_required(r, row, "name"),
                "length_mm": row_int(r, row, "length_mm", 0),
                "width_mm": row_int(r, row, "width_mm", 0),
                "height_mm": row_int(r, row, "height_mm", 0),
                "weight_g": row_int(r, row, "weight_g", 0),
                "unit_cost": row_decimal(r, row, "unit_cost"),
                "lot_tracked": row_bool(r, row, "lot_tracked"),
                "expiry_tracked": row_bool(r, row, "expiry_tracked"),
                "active": row_bool(r, row, "active", True),
            }
            if row.get("barcode"):
                _barcode_from_product(r, site, row, "barcode", product["sku"])
        sku = product["sku"]
        if not sku:
            continue
        if sku in seen:
            col = row.col("Variant SKU" if shopify else "sku")
            r.add(row.file, row.line, col, f"duplicate sku {sku!r} (first on line {seen[sku]})")
            continue
        seen[sku] = row.line
        site.products.append(product)


def _shopify_product(r: Report, row: Row, titles: dict[str, str]) -> dict[str, Any] | None:
    """A Shopify product export row: one per variant; image-only rows carry no SKU."""
    handle = row.get("Handle")
    if row.get("Title"):
        titles[handle] = row.get("Title")
    sku = row.get("Variant SKU")
    if not sku:
        return None
    options = [row.get(f"Option{i} Value") for i in (1, 2, 3)]
    options = [o for o in options if o and o != "Default Title"]
    name = " / ".join([titles.get(handle, handle), *options])
    grams_raw = row.get("Variant Grams")
    grams = 0
    if grams_raw:
        try:
            grams = round(float(grams_raw))
        except ValueError:
            r.add(
                row.file,
                row.line,
                row.col("Variant Grams"),
                f"Variant Grams: not a number: {grams_raw!r}",
            )
    product = {
        "sku": sku,
        "name": name[:200],
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": grams,
        "unit_cost": row_decimal(r, row, "Cost per item"),
        "lot_tracked": False,
        "expiry_tracked": False,
        "active": row.get("Status").lower() in ("", "active"),
        "_barcode": row.get("Variant Barcode").lstrip("'"),  # spreadsheets keep the zeros so
        "_row": row,
    }
    return product


def _barcode_from_product(r: Report, site: Site, row: Row, col: str, sku: str) -> None:
    value = row.get(col).lstrip("'")
    problem = barcode_problem(value, symbology_of(value) if value.isdigit() else "")
    if problem:
        r.add(row.file, row.line, row.col(col), problem)
        return
    site.barcodes.append(
        {
            "value": value,
            "sku": sku,
            "pack_qty": 1,
            "symbology": symbology_of(value),
            "_at": (row.file, row.line, row.col(col)),
        }
    )


def read_barcodes(r: Report, site: Site) -> None:
    rows = read_csv(r, site, "barcodes.csv", BARCODE_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"] for p in site.products}
    for row in rows:
        value, sku = row_required(r, row, "value"), row_required(r, row, "sku")
        pack_qty = row_int(r, row, "pack_qty", 1, minimum=1)
        symbology = row.get("symbology").upper() or symbology_of(value)
        if value:
            problem = barcode_problem(value, symbology)
            if problem:
                r.add(row.file, row.line, row.col("value"), problem)
                continue
        if sku and skus and sku not in skus and "products.csv" in site.files:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
            continue
        site.barcodes.append(
            {
                "value": value,
                "sku": sku,
                "pack_qty": pack_qty,
                "symbology": symbology[:16],
                "_at": (row.file, row.line, row.col("value")),
            }
        )


def check_unique_barcodes(r: Report, site: Site) -> None:
    # Shopify rows carry their barcode in the catalogue itself.
    for product in site.products:
        row = product.pop("_row", None)
        value = product.pop("_barcode", "")
        if row is not None and value:
            _barcode_from_product(r, site, row, "Variant Barcode", product["sku"])
    first: dict[str, tuple[str, int, int]] = {}
    kept = []
    for b in site.barcodes:
        at = b.pop("_at")
        if not b["value"]:
            continue
        if b["value"] in first:
            f = first[b["value"]]
            r.add(*at, f"duplicate barcode {b['value']!r} (first in {f[0]} line {f[1]})")
            continue
        first[b["value"]] = at
        kept.append(b)
    site.barcodes = kept


def read_stock(r: Report, site: Site) -> None:
    rows = read_csv(r, site, "stock.csv", STOCK_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"]: p for p in site.products}
    codes = {loc.code for loc in site.locations}
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        sku, code = row_required(r, row, "sku"), row_required(r, row, "location")
        qty = row_int(r, row, "qty", minimum=1)
        lot, expiry_raw = row.get("lot"), row.get("expiry")
        expiry = None
        if expiry_raw:
            try:
                expiry = date.fromisoformat(expiry_raw)
            except ValueError:
                r.add(
                    row.file,
                    row.line,
                    row.col("expiry"),
                    f"expiry: not a date (YYYY-MM-DD): {expiry_raw!r}",
                )
        product = skus.get(sku)
        if sku and product is None and "products.csv" in site.files:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
        if code and site.locations and code not in codes:
            r.add(
                row.file,
                row.line,
                row.col("location"),
                f"unknown location {code!r} (not in layout.json)",
            )
        if product is not None and product["lot_tracked"] and not lot:
            r.add(row.file, row.line, row.col("lot"), f"{sku} is lot-tracked: lot is required")
        if product is not None and product["expiry_tracked"] and expiry is None:
            r.add(
                row.file,
                row.line,
                row.col("expiry"),
                f"{sku} is expiry-tracked: expiry is required",
            )
        key = (sku, code, lot)
        if key in seen:
            r.add(
                row.file,
                row.line,
                row.col("sku"),
                f"{sku} at {code} lot {lot!r} listed twice (first on line {seen[key]})",
            )
            continue
        seen[key] = row.line
        site.stock.append({"sku": sku, "location": code, "qty": qty, "lot": lot, "expiry": expiry})


def read_listings(r: Report, site: Site) -> None:
    rows = read_csv(r, site, "listings.csv", LISTING_COLUMNS)
    if rows is None:
        return
    skus = {p["sku"] for p in site.products}
    channels = {c.code for c in site.channels}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        channel, sku = row_required(r, row, "channel"), row_required(r, row, "sku")
        ref = row_required(r, row, "product_ref")
        if channel and channel not in channels:
            r.add(
                row.file,
                row.line,
                row.col("channel"),
                f"unknown channel {channel!r} (not in channels.json)",
            )
        if sku and sku not in skus:
            r.add(row.file, row.line, row.col("sku"), f"unknown sku {sku!r} (not in products.csv)")
        if (channel, sku) in seen:
            r.add(
                row.file,
                row.line,
                row.col("sku"),
                f"{channel} lists {sku} twice (first on line {seen[(channel, sku)]})",
            )
            continue
        seen[(channel, sku)] = row.line
        site.listings.append(
            {
                "channel": channel,
                "sku": sku,
                "product_ref": ref,
                "variant_ref": row.get("variant_ref"),
            }
        )
