"""A channel's listings (its SKU for one of ours) listed, added, edited and disabled.

The admin API and the console's listings page both call these. Each change is one short
transaction that checks first and raises before writing; it writes the product's new
quantities to the outbox (a disabled listing is pushed zero) and an audit line with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, ChannelListing, Product
from wms.services import audit, availability

REF_MAX = 64  # the columns' width


def _channel(s: Session, code: str) -> Channel:
    row = s.execute(select(Channel).where(Channel.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown_channel", "Unknown channel", f"no channel {code!r}")
    return row


def _product_id(s: Session, sku: str) -> int:
    pid = s.execute(select(Product.id).where(Product.sku == sku)).scalar_one_or_none()
    if pid is None:
        raise NotFound("unknown_sku", "Unknown SKU", f"no product {sku!r}")
    return pid


def listing_view(code: str, sku: str, name: str, row: ChannelListing) -> dict[str, Any]:
    return {
        "channel": code,
        "sku": sku,
        "name": name,
        "product_ref": row.product_ref,
        "variant_ref": row.variant_ref,
        "active": row.active,
    }


@reads
def list_listings(
    s: Session, code: str, search: str = "", after: str = "", limit: int = 50
) -> list[dict[str, Any]]:
    """One channel's listings by our SKU; ``search`` matches either side's SKU or the name."""
    channel = _channel(s, code)
    query = (
        select(ChannelListing, Product.sku, Product.name)
        .join(Product, Product.id == ChannelListing.product_id)
        .where(ChannelListing.channel_id == channel.id, Product.sku > after)
        .order_by(Product.sku)
        .limit(max(1, min(limit, 500)))
    )
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            or_(
                Product.sku.ilike(like),  # type: ignore[attr-defined]
                Product.name.ilike(like),  # type: ignore[attr-defined]
                ChannelListing.product_ref.ilike(like),  # type: ignore[attr-defined]
                ChannelListing.variant_ref.ilike(like),  # type: ignore[attr-defined]
            )
        )
    return [listing_view(code, sku, name, row) for row, sku, name in s.execute(query)]


def _checked_refs(product_ref: str, variant_ref: str) -> tuple[str, str]:
    product_ref, variant_ref = product_ref.strip(), variant_ref.strip()
    if not product_ref:
        raise WmsError("bad_listing", "Bad listing", "product_ref is required")
    if len(product_ref) > REF_MAX or len(variant_ref) > REF_MAX:
        raise WmsError("bad_listing", "Bad listing", f"a reference is at most {REF_MAX} long")
    return product_ref, variant_ref


def put_listing(
    s: Session,
    actor: str,
    code: str,
    sku: str,
    product_ref: str,
    variant_ref: str = "",
    active: bool = True,
) -> dict[str, Any]:
    """Add the listing, or change its references and state; the shop hears at once."""
    product_ref, variant_ref = _checked_refs(product_ref, variant_ref)
    channel = _channel(s, code)
    pid = _product_id(s, sku)
    taken = s.execute(
        select(Product.sku)
        .join(ChannelListing, ChannelListing.product_id == Product.id)
        .where(
            ChannelListing.channel_id == channel.id,
            ChannelListing.product_id != pid,
            ChannelListing.product_ref == product_ref,
            ChannelListing.variant_ref == variant_ref,
        )
    ).first()
    if taken is not None:
        # One channel SKU for two of ours: its orders and pushes could not tell them apart.
        listed = f"{code} lists {product_ref}/{variant_ref} as {taken[0]}"
        raise Conflict("listing_taken", "Listing taken", listed)
    listing = s.execute(
        select(ChannelListing).where(
            ChannelListing.channel_id == channel.id, ChannelListing.product_id == pid
        )
    ).scalar_one_or_none()
    action = "listing.put"
    if listing is None:
        listing = ChannelListing(channel_id=channel.id, product_id=pid)  # type: ignore[arg-type]
        s.add(listing)
    elif listing.active != active:
        action = "listing.enable" if active else "listing.disable"
    listing.product_ref, listing.variant_ref, listing.active = product_ref, variant_ref, active
    s.flush()
    availability.push_sellable(s, [pid])
    detail = f"ref={product_ref}/{variant_ref}" + ("" if active else " disabled")
    audit.record(s, actor, action, f"{code}:{sku}", detail)
    name = s.execute(select(Product.name).where(Product.id == pid)).scalar_one()
    return listing_view(code, sku, name, listing)


def delete_listing(s: Session, actor: str, code: str, sku: str) -> None:
    channel = _channel(s, code)
    pid = _product_id(s, sku)
    listing = s.execute(
        select(ChannelListing).where(
            ChannelListing.channel_id == channel.id, ChannelListing.product_id == pid
        )
    ).scalar_one_or_none()
    if listing is None:
        raise NotFound("unknown_listing", "Unknown listing", f"{code} does not list {sku}")
    # The shop keeps offering what it was last told: it hears zero before we forget it.
    listing.active = False
    s.flush()
    availability.push_sellable(s, [pid])
    s.delete(listing)
    audit.record(s, actor, "listing.delete", f"{code}:{sku}")
