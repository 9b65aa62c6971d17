"""Label templates: carrier 4x6, tote, shelf location, product, pallet SSCC.

Each template takes a plain dataclass and returns a Label (for previews and PDFs);
``render_*`` functions return the ZPL bytes the print dispatcher sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from printers.code128 import encode, gs1_data
from printers.identifiers import gtin14, is_valid_sscc
from printers.model import GS1_128, Box, Code128, Element, Label, Line, Text, mm
from printers.zpl import render_zpl

FOUR_BY_SIX = (812, 1218)  # 4 x 6 in at 203 dpi
QUIET_ZONE_MODULES = 10  # Code 128 needs 10 modules of white on each side

# ISO 3166-1 numeric codes for AI (421); extend as carriers need them.
ISO_NUMERIC = {
    "AT": "040", "AU": "036", "BE": "056", "BG": "100", "CA": "124", "CH": "756",
    "CN": "156", "CZ": "203", "DE": "276", "DK": "208", "EE": "233", "ES": "724",
    "FI": "246", "FR": "250", "GB": "826", "GR": "300", "HR": "191", "HU": "348",
    "IE": "372", "IT": "380", "JP": "392", "LT": "440", "LU": "442", "LV": "428",
    "MX": "484", "NL": "528", "NO": "578", "NZ": "554", "PL": "616", "PT": "620",
    "RO": "642", "SE": "752", "SI": "705", "SK": "703", "US": "840",
}  # fmt: skip


@dataclass(frozen=True)
class Address:
    """A postal address as printed: name, street lines, postal code, city, country."""

    name: str
    lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    phone: str = ""
    region: str = ""  # state, province, prefecture: printed where the country uses one


# Countries whose addresses carry a region (state, province, territory) that carriers sort
# on; there the locality line reads "CITY REGION POSTCODE", as their posts write it.
REGION_COUNTRIES = frozenset({"AU", "BR", "CA", "CN", "IN", "JP", "MX", "MY", "US"})


def locality_line(a: Address) -> str:
    """The city line: "10115 Berlin" in most countries, "New York NY 10001" where a region
    is part of the address (US, CA, AU, ...)."""
    if a.region and a.country.upper() in REGION_COUNTRIES:
        return " ".join(x for x in (a.city, a.region, a.postal_code) if x)
    return f"{a.postal_code} {a.city}".strip()


@dataclass(frozen=True)
class CarrierLabelData:
    """Everything on a 4x6 in carrier label."""

    sender: Address
    recipient: Address
    carrier: str
    service: str
    routing_code: str
    tracking_number: str
    sscc: str
    weight_g: int
    order_ref: str
    parcel_index: int = 1
    parcel_count: int = 1


@dataclass(frozen=True)
class ToteLabelData:
    """A reusable tote's id (what the picker scans) and its zone or cart."""

    tote_id: str
    zone: str = ""


@dataclass(frozen=True)
class LocationLabelData:
    """A shelf location and the 2-digit check code the picker reads back."""

    location: str
    check_code: str
    description: str = ""


@dataclass(frozen=True)
class ProductLabelData:
    """A product (GTIN) with optional lot and expiry, printed as GS1-128."""

    gtin: str
    name: str
    sku: str = ""
    lot: str = ""
    expiry: date | None = None


@dataclass(frozen=True)
class PalletLabelData:
    """A logistic unit: SSCC plus what a receiving dock wants to read."""

    sscc: str
    ship_from: str
    ship_to: str
    order_ref: str = ""
    carton_count: int = 0
    weight_g: int = 0
    contents: Sequence[str] = field(default_factory=tuple)


def _fit_module(data: str, max_width: int, preferred: int = 3) -> int:
    """The widest module (3 or 2 dots, 1 as last resort) at which ``data`` fits."""
    modules = encode(data).modules + 2 * QUIET_ZONE_MODULES
    for module in range(preferred, 0, -1):
        if modules * module <= max_width:
            return module
    raise ValueError(f"barcode data too long for {max_width} dots: {data!r}")


def _centered(data: str, y: int, height: int, width: int, preferred: int = 3) -> tuple[int, int]:
    """(x, module) that centre a linear barcode of ``data`` on a label ``width`` dots wide."""
    module = _fit_module(data, width, preferred)
    return (width - encode(data).modules * module) // 2, module


def _code128(data: str, y: int, height: int, width: int, preferred: int = 3) -> Code128:
    x, module = _centered(data, y, height, width, preferred)
    return Code128(x, y, data, height=height, module=module)


def _gs1(
    elements: Sequence[tuple[str, str]], y: int, height: int, width: int, preferred: int = 3
) -> GS1_128:
    x, module = _centered(gs1_data(elements), y, height, width, preferred)
    return GS1_128(x, y, elements, height=height, module=module)


def ship_to_postal_elements(sender: Address, recipient: Address) -> tuple[str, str]:
    """(420) postal code at home, (421) ISO numeric country + postal code abroad."""
    postal = recipient.postal_code.replace(" ", "").upper()
    if recipient.country.upper() == sender.country.upper():
        return ("420", postal)
    return ("421", ISO_NUMERIC[recipient.country.upper()] + postal)


def _kg(weight_g: int) -> str:
    return f"{weight_g / 1000:.2f} kg"


@lru_cache(maxsize=1024)
def _address_block(
    x: int, y: int, width: int, title: str, a: Address, big: bool
) -> tuple[Element, ...]:
    """Cached: the sender block is the same on every label of a warehouse."""
    size = 38 if big else 24
    step = size + 6
    out: list[Element] = [Text(x, y, title, 20)]
    y += 26
    out.append(Text(x, y, a.name, size, width=width))
    for line in a.lines:
        y += step
        out.append(Text(x, y, line, size, width=width))
    y += step
    out.append(Text(x, y, locality_line(a), size, width=width))
    y += step
    out.append(Text(x, y, a.country.upper() + (f"  {a.phone}" if a.phone else ""), size))
    return tuple(out)


# The carrier label's frame never changes: built once, not per label.
_W, _H = FOUR_BY_SIX
_RULES = {y: Line(0, y, _W, y, 3) for y in (200, 470, 610, 840, 896)}
_SENDER_RULE = Line(500, 0, 500, 200, 3)
_SSCC_CAPTION = Text(16, 906, "SSCC", 20)


@lru_cache(maxsize=256)
def _carrier_texts(carrier: str, service: str) -> tuple[Text, Text, Text]:
    """Carrier name, service and tracking caption: few distinct values, many labels."""
    # A site names its own carrier: a long name gets a smaller font, not a second line
    # over the service (font 0 capitals are about 0.6 of their height wide).
    size = 44 if len(carrier) * 0.6 * 44 <= 290 else max(20, int(290 / (0.6 * len(carrier))))
    return (
        Text(510, 20 + (44 - size) // 2, carrier.upper(), size, width=290, align="center"),
        Text(510, 80, service, 30, width=290, align="center", max_lines=2),
        Text(16, 620, f"{carrier.upper()} TRACKING #", 20),
    )


def carrier_label(d: CarrierLabelData) -> Label:
    """The 4x6 in carrier label as a Label."""
    if not is_valid_sscc(d.sscc):
        raise ValueError(f"not a valid SSCC: {d.sscc!r}")
    w, h = FOUR_BY_SIX
    postal = ship_to_postal_elements(d.sender, d.recipient)
    carrier, service, tracking_caption = _carrier_texts(d.carrier, d.service)
    postal_data = gs1_data([postal])
    module = _fit_module(postal_data, 380, 2)
    e: list[Element] = [
        # Sender (top left) and carrier/service (top right).
        *_address_block(16, 12, 470, "FROM", d.sender, big=False),
        _SENDER_RULE,
        carrier,
        service,
        Text(510, 160, f"{d.parcel_index} of {d.parcel_count}", 34, width=290, align="center"),
        _RULES[200],
        # Recipient: the biggest text on the label.
        *_address_block(16, 212, 780, "TO", d.recipient, big=True),
        _RULES[470],
        # Routing code (sort centre / route), white on black, and the postal barcode.
        Text(16, 492, d.routing_code, 52, width=390, reverse=True, align="center"),
        Text(420, 478, f"SHIP TO POSTAL CODE ({postal[0]})", 18),
        GS1_128(420, 500, [postal], height=70, module=module),
        _RULES[610],
        tracking_caption,
        _code128(d.tracking_number, 650, 150, w),
        _RULES[840],
        Text(16, 852, f"WEIGHT {_kg(d.weight_g)}", 30),
        Text(330, 852, f"ORDER {d.order_ref}", 30, width=470, align="right"),
        _RULES[896],
        _SSCC_CAPTION,
        _gs1([("00", d.sscc)], 936, 200, w),
    ]
    return Label(w, h, tuple(e))


def tote_label(d: ToteLabelData) -> Label:
    """A 4x2 in tote label: big id, Code 128 of the id."""
    w, h = 812, 406
    e: list[Element] = [
        Text(0, 20, d.tote_id, 90, width=w, align="center"),
        _code128(d.tote_id, 130, 170, w),
    ]
    if d.zone:
        e.append(Text(0, 350, d.zone, 34, width=w, align="center"))
    return Label(w, h, tuple(e))


def location_label(d: LocationLabelData) -> Label:
    """A 100 x 50 mm shelf label: location code, its barcode, the check code boxed."""
    if not (len(d.check_code) == 2 and d.check_code.isdigit()):
        raise ValueError(f"check code must be 2 digits: {d.check_code!r}")
    w, h = mm(100), mm(50)
    code_w = w - 170
    x, module = _centered(d.location, 0, 0, code_w)
    e: list[Element] = [
        Text(16, 16, d.location, 64, width=code_w - 16),
        Code128(x, 100, d.location, height=190, module=module),
        # The check code sits apart from the barcode so it cannot be scanned by mistake.
        Box(w - 160, 16, 144, 160, 4),
        Text(w - 160, 30, "CHECK", 22, width=144, align="center"),
        Text(w - 160, 62, d.check_code, 100, width=144, align="center"),
    ]
    if d.description:
        e.append(Text(w - 160, 200, d.description, 22, width=144, align="center", max_lines=3))
    return Label(w, h, tuple(e))


def product_elements(d: ProductLabelData) -> list[tuple[str, str]]:
    """AI (01), then (17) expiry, then (10) lot: fixed-length first, as GS1 recommends."""
    elements = [("01", gtin14(d.gtin))]
    if d.expiry is not None:
        elements.append(("17", d.expiry.strftime("%y%m%d")))
    if d.lot:
        elements.append(("10", d.lot))
    return elements


def product_label(d: ProductLabelData) -> Label:
    """A 4x2 in product label: name, SKU, GS1-128 with GTIN, expiry and lot."""
    w, h = 812, 406
    e: list[Element] = [
        Text(16, 16, d.name, 34, width=w - 32, max_lines=2),
        Text(16, 96, f"SKU {d.sku}" if d.sku else "", 26),
    ]
    if d.lot:
        e.append(Text(300, 96, f"LOT {d.lot}", 26))
    if d.expiry is not None:
        e.append(Text(560, 96, f"EXP {d.expiry.isoformat()}", 26))
    e.append(_gs1(product_elements(d), 150, 190, w))
    return Label(w, h, tuple(e))


def pallet_label(d: PalletLabelData) -> Label:
    """A 4x6 in pallet label around its SSCC (00), in the GS1 logistic label layout."""
    if not is_valid_sscc(d.sscc):
        raise ValueError(f"not a valid SSCC: {d.sscc!r}")
    w, h = FOUR_BY_SIX
    e: list[Element] = [
        Text(16, 16, "FROM", 20),
        Text(16, 40, d.ship_from, 30, width=w - 32, max_lines=2),
        Text(16, 120, "TO", 20),
        Text(16, 144, d.ship_to, 44, width=w - 32, max_lines=2),
        Line(0, 250, w, 250, 3),
        Text(16, 262, "SSCC", 22),
        Text(16, 290, f"(00) {d.sscc}", 44),
        Line(0, 350, w, 350, 3),
    ]
    y = 362
    if d.order_ref:
        e.append(Text(16, y, f"ORDER {d.order_ref}", 30))
    e.append(Text(420, y, f"CARTONS {d.carton_count}", 30))
    y += 44
    if d.weight_g:
        e.append(Text(16, y, f"WEIGHT {_kg(d.weight_g)}", 30))
    y += 50
    for line in list(d.contents)[:6]:
        e.append(Text(16, y, line, 26, width=w - 32))
        y += 34
    e.append(Line(0, 850, w, 850, 3))
    e.append(_gs1([("00", d.sscc)], 900, 230, w))
    return Label(w, h, tuple(e))


def render_carrier_label(data: CarrierLabelData, dpi: int = 203) -> bytes:
    """ZPL of the carrier label."""
    return render_zpl(carrier_label(data), dpi)


def render_tote_label(data: ToteLabelData, dpi: int = 203) -> bytes:
    """ZPL of a tote label."""
    return render_zpl(tote_label(data), dpi)


def render_location_label(data: LocationLabelData, dpi: int = 203) -> bytes:
    """ZPL of a shelf location label."""
    return render_zpl(location_label(data), dpi)


def render_product_label(data: ProductLabelData, dpi: int = 203) -> bytes:
    """ZPL of a product label."""
    return render_zpl(product_label(data), dpi)


def render_pallet_label(data: PalletLabelData, dpi: int = 203) -> bytes:
    """ZPL of a pallet SSCC label."""
    return render_zpl(pallet_label(data), dpi)
