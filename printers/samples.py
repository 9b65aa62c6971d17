"""Sample data for every template: golden files, oracle tests, benchmark and demo."""

from __future__ import annotations

from datetime import date

from printers.identifiers import sscc
from printers.labels import (
    Address,
    CarrierLabelData,
    LocationLabelData,
    PalletLabelData,
    ProductLabelData,
    ToteLabelData,
    carrier_label,
    location_label,
    pallet_label,
    product_label,
    tote_label,
)
from printers.model import Label

SENDER = Address(
    "Entrepôt Démo SAS", ("12 rue des Docks",), "69007", "Lyon", "FR", "+33 4 00 00 00"
)
RECIPIENT = Address("Zoë Müller-Ñúñez", ("Flat 3", "221B Baker Street"), "NW1 6XE", "London", "GB")
DOMESTIC = Address("Jean Dupont", ("5 avenue Foch", "Bât. B ^2~"), "75016", "Paris", "FR")

CARRIER = CarrierLabelData(
    sender=SENDER,
    recipient=RECIPIENT,
    carrier="UPS",
    service="Standard",
    routing_code="GB 123 4-01",
    tracking_number="1Z5R89390357567127",
    sscc=sscc(3, "3012345", 1234567),
    weight_g=2350,
    order_ref="TT-58193_77",
    parcel_index=1,
    parcel_count=2,
)
CARRIER_DOMESTIC = CarrierLabelData(
    sender=SENDER,
    recipient=DOMESTIC,
    carrier="Colissimo",
    service="Domicile sans signature",
    routing_code="750 16",
    tracking_number="6A20524752032",
    sscc=sscc(0, "3012345", 42),
    weight_g=780,
    order_ref="#1001",
    parcel_index=2,
    parcel_count=2,
)
# A destination whose country uses a region: the state is printed on the city line.
REGIONAL = Address(
    "Ada Lovelace", ("350 Fifth Avenue", "Suite 3300"), "10118", "New York", "US",
    "+1 212 555 0100", region="NY",
)  # fmt: skip
CARRIER_REGIONAL = CarrierLabelData(
    sender=SENDER,
    recipient=REGIONAL,
    carrier="Entrepôt Démo SAS",  # the site's own carrier, under the site's name
    service="Express",
    routing_code="101 US",
    tracking_number="ED300000004252",
    sscc=sscc(0, "3012345", 425),
    weight_g=1200,
    order_ref="#1002",
)
TOTE = ToteLabelData("T-00042", zone="Cart 3 slot 2")
LOCATION = LocationLabelData("A-01-03-B", "47", "Pick face")
PRODUCT = ProductLabelData(
    gtin="4006381333931",
    name="Organic Green Tea — 20 bags",
    sku="TEA-GRN-20",
    lot="L2026_11",
    expiry=date(2027, 6, 30),
)
PALLET = PalletLabelData(
    sscc=sscc(1, "3012345", 9876543),
    ship_from="Entrepôt Démo SAS, 69007 Lyon FR",
    ship_to="Amazon FBA LYS1, 69800 Saint-Priest FR",
    order_ref="PO-2026-118",
    carton_count=24,
    weight_g=312500,
    contents=("24 x TEA-GRN-20 Organic Green Tea", "GTIN 04006381333931"),
)


def sample_labels() -> dict[str, Label]:
    """One Label per template, keyed by the golden file's name."""
    return {
        "carrier_international": carrier_label(CARRIER),
        "carrier_domestic": carrier_label(CARRIER_DOMESTIC),
        "carrier_regional": carrier_label(CARRIER_REGIONAL),
        "tote": tote_label(TOTE),
        "location": location_label(LOCATION),
        "product": product_label(PRODUCT),
        "pallet": pallet_label(PALLET),
    }


GOLDEN_DPI = (203, 300, 600)


def write_golden(directory: str) -> list[str]:
    """Write ``<template>.<dpi>.zpl`` for every sample: the deliberate way to update goldens."""
    from pathlib import Path

    from printers.zpl import render_zpl

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, label in sample_labels().items():
        for dpi in GOLDEN_DPI:
            path = out / f"{name}.{dpi}.zpl"
            path.write_bytes(render_zpl(label, dpi))
            written.append(str(path))
    return written


if __name__ == "__main__":
    import sys

    for written_path in write_golden(sys.argv[1] if len(sys.argv) > 1 else "fixtures/labels"):
        print(written_path)
