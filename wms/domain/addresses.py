"""Is a ship-to address complete enough to print a label on? Pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Countries whose carriers refuse a label without the state, province or prefecture.
REGION_NEEDED = frozenset({"US", "CA", "AU", "BR", "MX", "IN", "CN", "JP", "AR"})
_FIELDS = (
    ("name", "name"),
    ("line1", "street"),
    ("city", "city"),
    ("postal_code", "postal code"),
    ("country", "country"),
)


@dataclass(frozen=True)
class ShipTo:
    """The ship-to fields an order row holds."""

    name: str = ""
    line1: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    masked: bool = False  # the platform prints the label on an address it keeps to itself


def of_row(row: Any) -> ShipTo:
    """The ship-to of anything with an order row's ``ship_*`` attributes (ORM or Core)."""
    return ShipTo(
        name=row.ship_name,
        line1=row.ship_line1,
        city=row.ship_city,
        region=row.ship_region,
        postal_code=row.ship_postal_code,
        country=row.ship_country,
        masked=bool(row.ship_masked),
    )


def missing(to: ShipTo) -> list[str]:
    """The fields a label needs that are empty, in the order a person would name them."""
    if to.masked:
        return []
    out = [label for attr, label in _FIELDS if not str(getattr(to, attr) or "").strip()]
    country = (to.country or "").strip().upper()
    if country in REGION_NEEDED and not (to.region or "").strip():
        out.append("region")
    return out


def is_complete(to: ShipTo) -> bool:
    return not missing(to)


def reason(to: ShipTo, status: str = "", channel_kind: str = "") -> str:
    """Why the order cannot ship yet, in a supervisor's words; "" when it can.

    No address at all is said as such (and, for an unpaid TikTok order, why: TikTok gives
    the address only once the order is paid); otherwise the missing fields are named.
    """
    gaps = missing(to)
    if not gaps:
        return ""
    if all(label in gaps for _, label in _FIELDS):
        if status == "awaiting_payment" and channel_kind == "tiktok":
            return "no ship-to address: unpaid TikTok order"
        if status == "awaiting_payment":
            return "no ship-to address: unpaid order"
        return "no ship-to address"
    if len(gaps) == 1:
        return f"{gaps[0]} missing"
    return f"{', '.join(gaps[:-1])} and {gaps[-1]} missing"
