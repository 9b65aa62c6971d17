"""Templates put the right data on the right label and refuse wrong identifiers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from printers.labels import (
    ProductLabelData,
    carrier_label,
    location_label,
    pallet_label,
    product_elements,
    product_label,
    render_carrier_label,
    ship_to_postal_elements,
)
from printers.model import GS1_128, Code128, Text
from printers.samples import CARRIER, CARRIER_DOMESTIC, LOCATION, PALLET, PRODUCT


def texts(label) -> str:
    return "\n".join(e.text for e in label.elements if isinstance(e, Text))


def test_the_carrier_label_carries_every_field_the_packer_and_the_carrier_need():
    label = carrier_label(CARRIER)
    assert (label.width, label.height) == (812, 1218)  # 4 x 6 in at 203 dpi
    shown = texts(label)
    for field in ["Zoë Müller-Ñúñez", "221B Baker Street", "NW1 6XE London", "UPS", "Standard",
                  "GB 123 4-01", "1 of 2", "WEIGHT 2.35 kg", "ORDER TT-58193_77",
                  "Entrepôt Démo SAS"]:  # fmt: skip
        assert field in shown
    codes = {type(b).__name__: b for b in label.barcodes() if not isinstance(b, GS1_128)}
    assert codes["Code128"].data == "1Z5R89390357567127"
    gs1 = [b.elements for b in label.barcodes() if isinstance(b, GS1_128)]
    assert (("00", CARRIER.sscc),) in gs1
    assert (("421", "826NW16XE"),) in gs1


def test_a_domestic_parcel_gets_ai_420_and_an_international_one_ai_421_with_the_iso_country():
    assert ship_to_postal_elements(CARRIER_DOMESTIC.sender, CARRIER_DOMESTIC.recipient) == (
        "420", "75016",
    )  # fmt: skip
    assert ship_to_postal_elements(CARRIER.sender, CARRIER.recipient) == ("421", "826NW16XE")


def test_every_barcode_fits_inside_the_label_with_its_quiet_zone():
    from printers.zpl import barcode_width

    for label in [carrier_label(CARRIER), carrier_label(CARRIER_DOMESTIC), pallet_label(PALLET),
                  product_label(PRODUCT), location_label(LOCATION)]:  # fmt: skip
        for b in label.barcodes():
            assert isinstance(b, Code128 | GS1_128)
            assert b.x >= 10 * b.module, b
            assert b.x + barcode_width(b) + 10 * b.module <= label.width, b


def test_a_carrier_label_with_a_wrong_sscc_is_refused_before_printing():
    with pytest.raises(ValueError, match="SSCC"):
        render_carrier_label(replace(CARRIER, sscc="330123450012345670"))


def test_the_product_label_puts_fixed_length_ais_first():
    assert product_elements(PRODUCT) == [
        ("01", "04006381333931"), ("17", "270630"), ("10", "L2026_11"),
    ]  # fmt: skip
    bare = ProductLabelData(gtin="96385074", name="x")
    assert product_elements(bare) == [("01", "00000096385074")]


def test_a_product_label_with_a_wrong_gtin_is_refused():
    with pytest.raises(ValueError, match="GTIN"):
        product_label(ProductLabelData(gtin="4006381333932", name="x", expiry=date(2027, 1, 1)))


def test_the_location_label_shows_its_check_code_apart_from_the_barcode():
    label = location_label(LOCATION)
    [barcode] = label.barcodes()
    assert barcode.data == "A-01-03-B"
    check = next(e for e in label.elements if isinstance(e, Text) and e.text == "47")
    assert check.x > barcode.x + 200
    with pytest.raises(ValueError, match="2 digits"):
        location_label(replace(LOCATION, check_code="4"))


def test_the_pallet_label_is_built_around_its_sscc():
    label = pallet_label(PALLET)
    [barcode] = label.barcodes()
    assert barcode.elements == (("00", PALLET.sscc),)
    assert f"(00) {PALLET.sscc}" in texts(label)
    assert "CARTONS 24" in texts(label)
