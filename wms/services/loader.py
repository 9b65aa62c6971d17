"""Loads a site folder into the database: creates what is new, updates what changed.

The folder is read and checked first (`site_files`), so a site with problems writes
nothing; then everything is applied in one transaction, so a failure half-way leaves the
database as it was. Reloading after an edit is the way to change a site: products,
barcodes, locations, cartons, users, stations, channels and listings are matched by
their codes and updated. Opening stock is received only for a (product, location, lot)
that holds no stock yet: once stock exists the ledger owns it, and a reload never
rewrites counted quantities behind its back.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from wms.db import Database, long_running, reads
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
from wms.models.common import utcnow
from wms.models.layout import SELLABLE_KINDS
from wms.models.shipping import PackStation
from wms.models.site import SiteDocument
from wms.services.auth import hash_pin, token_hash
from wms.services.site_files import Problem, Site, SiteInvalid, load_site
from wms.services.sql import upsert

SECRET_GRACE_S = 24 * 3600


async def is_empty(db: Database) -> bool:
    return await db.run(_is_empty)


@reads
def _is_empty(s: Session) -> bool:
    return not s.execute(select(func.count()).select_from(Product)).scalar()


async def load_warehouse(db: Database, folder: Path) -> dict[str, int]:
    """Check the site folder, then apply it in one transaction (SiteInvalid: nothing done)."""
    site = load_site(folder)
    return await db.run(apply_site, site)


@long_running
def apply_site(s: Session, site: Site) -> dict[str, int]:
    counts: dict[str, int] = {}
    counts["locations"] = _locations(s, site)
    counts["products"] = _products(s, site)
    skus = dict(s.execute(select(Product.sku, Product.id)).all())
    counts["barcodes"] = _barcodes(s, site, skus)
    if "cartons.json" in site.files:
        counts["cartons"] = _upsert(s, CartonType, "code", site.cartons)
    if "users.json" in site.files:
        counts["users"] = _users(s, site)
    if "stations.json" in site.files:
        counts["stations"] = _upsert(s, PackStation, "code", site.stations)
    if "channels.json" in site.files:
        counts["channels"] = _channels(s, site)
    if "listings.csv" in site.files:
        counts["listings"] = _listings(s, site, skus)
    if "carriers.json" in site.files:
        # The server rebuilds its carriers from it (wms.services.site_carriers).
        _upsert(
            s,
            SiteDocument,
            "name",
            [{"name": "carriers", "body": site.carriers, "updated_at": utcnow()}],
        )
        counts["carriers"] = len(site.carriers.get("carriers", []))
    counts["stock_lines"] = _stock(s, site, skus)
    return counts


def _upsert(s: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> int:
    """Insert the rows, or update the ones whose key exists (one executemany per shape)."""
    if not rows:
        return 0
    stmt = upsert(s, model.__table__)
    columns = [c for c in rows[0] if c != key]
    stmt = stmt.on_conflict_do_update(
        index_elements=[key], set_={c: stmt.excluded[c] for c in columns}
    )
    s.execute(stmt, rows)
    return len(rows)


def _refuse(file: str, message: str) -> None:
    raise SiteInvalid([Problem(file, 0, 0, message)])


def _locations(s: Session, site: Site) -> int:
    """Rack and areas from the layout; the layout itself is kept for planning and routes."""
    existing = {
        row.code: row
        for row in s.execute(select(Location.id, Location.code, Location.kind, Location.active))
    }
    holding = set(s.execute(select(Stock.location_id).where(Stock.on_hand > 0)).scalars())
    wanted = {p.code for p in site.locations}
    for p in site.locations:
        old = existing.get(p.code)
        if (
            old is not None
            and old.id in holding
            and (old.kind in SELLABLE_KINDS) != (p.kind in SELLABLE_KINDS)
        ):
            # Sellable stock would silently stop (or start) counting for the channels.
            _refuse("layout.json", f"{p.code} holds stock: its kind cannot change to {p.kind}")
    _upsert(
        s,
        Location,
        "code",
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
            for p in site.locations
        ],
    )
    gone = [code for code in existing if code not in wanted]
    if gone:
        s.execute(update(Location).where(Location.code.in_(gone)).values(active=False))
    # Checked after the writes on purpose: a refusal here rolls back what was written.
    for code in gone:
        if existing[code].id in holding:
            _refuse("layout.json", f"{code} holds stock: it cannot leave the layout")
    _upsert(
        s,
        SiteDocument,
        "name",
        [{"name": "layout", "body": site.layout_data, "updated_at": utcnow()}],
    )
    return len(site.locations)


def _products(s: Session, site: Site) -> int:
    _upsert(s, Product, "sku", site.products)
    ids = set(s.execute(select(Product.id)).scalars())
    known = set(s.execute(select(ProductAvailability.product_id)).scalars())
    new = ids - known
    if new:
        s.execute(
            insert(ProductAvailability),
            [{"product_id": pid, "on_hand_pickable": 0, "reserved": 0} for pid in sorted(new)],
        )
    return len(site.products)


def _barcodes(s: Session, site: Site, skus: dict[str, int]) -> int:
    rows = []
    for b in site.barcodes:
        if b["sku"] not in skus:
            _refuse("barcodes.csv", f"barcode {b['value']}: unknown sku {b['sku']!r}")
        rows.append(
            {
                "value": b["value"],
                "product_id": skus[b["sku"]],
                "pack_qty": b["pack_qty"],
                "symbology": b["symbology"],
            }
        )
    return _upsert(s, Barcode, "value", rows)


def _users(s: Session, site: Site) -> int:
    rows = [
        {
            "username": u["username"],
            "name": u["name"],
            "role": u["role"],
            "badge": u["badge"],
            "pin_hash": hash_pin(u["pin"]) if u["pin"] else "",
            "active": u["active"],
            "channels": ",".join(u["channels"]),  # an integration token's own channels
        }
        for u in site.users
    ]
    # A badge moving from one user to another would collide on the way: free them first.
    moving = [u["badge"] for u in site.users if u["badge"]]
    if moving:
        s.execute(update(User).where(User.badge.in_(moving)).values(badge=None))
    _upsert(s, User, "username", rows)
    ids = dict(s.execute(select(User.username, User.id)).all())
    hashes = set(s.execute(select(ApiToken.token_hash)).scalars())
    for u in site.users:
        if u["token"] and token_hash(u["token"]) not in hashes:
            s.execute(
                insert(ApiToken).values(
                    user_id=ids[u["username"]],
                    token_hash=token_hash(u["token"]),
                    name="site",
                    created_at=utcnow(),
                )
            )
    return len(rows)


def _channels(s: Session, site: Site) -> int:
    rows = [
        {
            "code": c.code,
            "kind": str(c.kind),
            "name": c.name or c.code,
            "secret": c.secret,
            "app_key": c.app_key,
            "api_base_url": c.api_base_url,
            "access_token": c.access_token,
            "shop_id": c.shop_id,
            "shop_cipher": c.shop_cipher,
            "location_id": c.location_id,
            "warehouse_id": c.warehouse_id,
            "buffer": c.buffer,
            "fee_pct": c.fee_pct,
            "fee_fixed": c.fee_fixed,
            "currency": c.currency,
            "active": True,
        }
        for c in site.channels
    ]
    # A secret changed by a reload keeps verifying webhooks for a day, as a rotation does.
    before = {
        r.code: r
        for r in s.execute(
            select(
                Channel.code, Channel.secret, Channel.previous_secret, Channel.previous_secret_until
            )
        )
    }
    for row in rows:
        old = before.get(row["code"])
        if old is not None and old.secret and old.secret != row["secret"]:
            row["previous_secret"] = old.secret
            row["previous_secret_until"] = utcnow() + timedelta(seconds=SECRET_GRACE_S)
        else:
            row["previous_secret"] = old.previous_secret if old is not None else ""
            row["previous_secret_until"] = old.previous_secret_until if old is not None else None
    return _upsert(s, Channel, "code", rows)


def _listings(s: Session, site: Site, skus: dict[str, int]) -> int:
    channels = dict(s.execute(select(Channel.code, Channel.id)).all())
    rows = []
    for x in site.listings:
        if x["channel"] not in channels:
            _refuse("listings.csv", f"unknown channel {x['channel']!r}")
        rows.append(
            {
                "channel_id": channels[x["channel"]],
                "product_id": skus[x["sku"]],
                "product_ref": x["product_ref"],
                "variant_ref": x["variant_ref"],
            }
        )
    if rows:
        stmt = upsert(s, ChannelListing.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel_id", "product_id"],
            set_={
                "product_ref": stmt.excluded.product_ref,
                "variant_ref": stmt.excluded.variant_ref,
            },
        )
        s.execute(stmt, rows)
    return len(site.listings)


def _stock(s: Session, site: Site, skus: dict[str, int]) -> int:
    """Opening stock enters through the ledger like any receipt, so invariant 2 holds."""
    if not site.stock:
        return 0
    locs = {row.code: row for row in s.execute(select(Location.id, Location.code, Location.kind))}
    present = {tuple(r) for r in s.execute(select(Stock.product_id, Stock.location_id, Stock.lot))}
    pickable: dict[int, int] = {}
    stock_rows, moves = [], []
    for r in site.stock:
        pid, loc = skus[r["sku"]], locs.get(r["location"])
        if loc is None:
            _refuse("stock.csv", f"unknown location {r['location']!r}")
        if (pid, loc.id, r["lot"]) in present:
            continue
        qty = r["qty"]
        stock_rows.append(
            {
                "product_id": pid,
                "location_id": loc.id,
                "lot": r["lot"],
                "expiry": r["expiry"],
                "on_hand": qty,
                "allocated": 0,
            }
        )
        moves.append(
            {
                "product_id": pid,
                "from_location_id": None,
                "to_location_id": loc.id,
                "lot": r["lot"],
                "qty": qty,
                "reason": "opening",
                "ref": "opening stock",
                "at": utcnow(),
            }
        )
        if loc.kind in SELLABLE_KINDS:
            pickable[pid] = pickable.get(pid, 0) + qty
    if stock_rows:
        s.execute(insert(Stock), stock_rows)
        s.execute(insert(StockMove), moves)
    for pid, qty in pickable.items():
        s.execute(
            update(ProductAvailability)
            .where(ProductAvailability.product_id == pid)
            .values(on_hand_pickable=ProductAvailability.on_hand_pickable + qty)
        )
    return len(stock_rows)
