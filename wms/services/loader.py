"""Loads a warehouse from fixture files: layout, catalogue, cartons, users, channels, stock."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from wms.channels.config import load_channels, load_listings
from wms.db import Database
from wms.domain.layout import Layout
from wms.models import (
    ApiToken,
    Barcode,
    CartonType,
    Channel,
    ChannelListing,
    Location,
    Product,
    ProductAvailability,
    Stock,
    StockMove,
    User,
)
from wms.models.layout import SELLABLE_KINDS
from wms.services import stations
from wms.services.auth import hash_pin, token_hash


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def is_empty(db: Database) -> bool:
    async with db.read() as s:
        return not (await s.execute(select(func.count()).select_from(Product))).scalar()


async def load_warehouse(db: Database, folder: Path) -> dict[str, int]:
    """Everything in one transaction: a half-loaded warehouse is worse than none."""
    layout = Layout.from_file(folder / "layout.json")
    counts: dict[str, int] = {}
    async with db.write() as s:
        specs = layout.locations()
        await s.execute(
            insert(Location),
            [
                {
                    "code": p.code,
                    "kind": p.kind,
                    "zone": p.zone,
                    "aisle": p.aisle,
                    "bay": p.bay,
                    "level": p.level,
                    "side": p.side,
                    "x": p.x,
                    "y": p.y,
                    "walk_seq": p.walk_seq,
                    "check_code": p.check_code,
                    "active": True,
                }
                for p in specs
            ],
        )
        counts["locations"] = len(specs)
        products = _rows(folder / "products.csv")
        await s.execute(
            insert(Product),
            [
                {
                    "sku": r["sku"],
                    "name": r["name"],
                    "length_mm": int(r["length_mm"]),
                    "width_mm": int(r["width_mm"]),
                    "height_mm": int(r["height_mm"]),
                    "weight_g": int(r["weight_g"]),
                    "unit_cost": Decimal(r["unit_cost"]),
                    "lot_tracked": r["lot_tracked"] == "True",
                    "expiry_tracked": r["expiry_tracked"] == "True",
                    "active": True,
                }
                for r in products
            ],
        )
        counts["products"] = len(products)
        ids = dict((await s.execute(select(Product.sku, Product.id))).all())
        await s.execute(
            insert(ProductAvailability),
            [{"product_id": pid, "on_hand_pickable": 0, "reserved": 0} for pid in ids.values()],
        )
        codes = _rows(folder / "barcodes.csv")
        await s.execute(
            insert(Barcode),
            [
                {
                    "value": r["value"],
                    "product_id": ids[r["sku"]],
                    "pack_qty": int(r["pack_qty"]),
                    "symbology": r["symbology"],
                }
                for r in codes
            ],
        )
        counts["barcodes"] = len(codes)
        cartons = json.loads((folder / "cartons.json").read_text())
        s.add_all(CartonType(**{**c, "cost": Decimal(c["cost"])}) for c in cartons)
        counts["cartons"] = len(cartons)
        counts["users"] = await _load_users(s, json.loads((folder / "users.json").read_text()))
        counts["channels"] = await _load_channels(s, folder, ids)
        await s.flush()
        counts["stock_lines"] = await _load_stock(s, folder / "stock.csv", ids)
        if (folder / "stations.json").exists():
            raw = json.loads((folder / "stations.json").read_text())
            counts["stations"] = await stations.upsert_stations(s, raw["stations"])
    return counts


async def _load_users(s: AsyncSession, users: list[dict[str, object]]) -> int:
    for u in users:
        user = User(
            username=str(u["username"]),
            name=str(u.get("name", "")),
            role=str(u["role"]),
            badge=u.get("badge") or None,  # type: ignore[arg-type]
            pin_hash=hash_pin(str(u["pin"])) if u.get("pin") else "",
            channels=",".join(str(c) for c in u.get("channels") or ()),  # type: ignore[attr-defined]
        )
        s.add(user)
        if u.get("token"):
            await s.flush()
            s.add(
                ApiToken(
                    user_id=user.id,
                    token_hash=token_hash(str(u["token"])),  # type: ignore[arg-type]
                    name="fixture",
                )
            )
    return len(users)


async def _load_channels(s: AsyncSession, folder: Path, ids: dict[str, int]) -> int:
    configs = load_channels(folder / "channels.json")
    by_code: dict[str, int] = {}
    for config in configs.values():
        row = Channel(
            code=config.code,
            kind=str(config.kind),
            name=config.name,
            secret=config.secret,
            app_key=config.app_key,
            api_base_url=config.api_base_url,
            access_token=config.access_token,
            shop_id=config.shop_id,
            shop_cipher=config.shop_cipher,
            location_id=config.location_id,
            warehouse_id=config.warehouse_id,
            buffer=config.buffer,
            fee_pct=config.fee_pct,
            fee_fixed=config.fee_fixed,
            currency=config.currency,
        )
        s.add(row)
        await s.flush()
        by_code[config.code] = row.id  # type: ignore[assignment]
    listings = [x for x in load_listings(folder / "listings.csv") if x.sku in ids]
    if listings:
        await s.execute(
            insert(ChannelListing),
            [
                {
                    "channel_id": by_code[x.channel],
                    "product_id": ids[x.sku],
                    "product_ref": x.product_ref,
                    "variant_ref": x.variant_ref,
                }
                for x in listings
                if x.channel in by_code
            ],
        )
    return len(configs)


async def _load_stock(s: AsyncSession, path: Path, ids: dict[str, int]) -> int:
    """Opening stock enters through the ledger like any receipt, so invariant 2 holds."""
    if not path.exists():
        return 0
    rows = _rows(path)
    locs = dict((await s.execute(select(Location.code, Location.id))).all())
    kinds = dict((await s.execute(select(Location.id, Location.kind))).all())
    pickable: dict[int, int] = {}
    stock_rows, moves = [], []
    for r in rows:
        pid, lid, qty = ids[r["sku"]], locs[r["location"]], int(r["qty"])
        expiry = date.fromisoformat(r["expiry"]) if r.get("expiry") else None
        stock_rows.append(
            {
                "product_id": pid,
                "location_id": lid,
                "lot": r.get("lot", ""),
                "expiry": expiry,
                "on_hand": qty,
                "allocated": 0,
            }
        )
        moves.append(
            {
                "product_id": pid,
                "from_location_id": None,
                "to_location_id": lid,
                "lot": r.get("lot", ""),
                "qty": qty,
                "reason": "opening",
                "ref": "opening stock",
            }
        )
        if kinds[lid] in SELLABLE_KINDS:
            pickable[pid] = pickable.get(pid, 0) + qty
    await s.execute(insert(Stock), stock_rows)
    await s.execute(insert(StockMove), moves)
    for pid, qty in pickable.items():
        row = await s.get(ProductAvailability, pid)
        row.on_hand_pickable += qty
    return len(rows)
