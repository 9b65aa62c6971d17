"""The generic carrier and the carton choice, as pure functions (no server)."""

from __future__ import annotations

import pytest

from printers import Address
from printers.identifiers import is_valid_sscc, is_valid_ups
from wms.carriers import GenericCarrier, LabelRequest, adapter_for
from wms.models import CartonType, Product
from wms.services.packing import choose_carton

HOME = Address("Warehouse", ("1 Dock Road",), "10001", "New York", "US")
AWAY = Address("Buyer", ("Hauptstr. 5",), "10115", "Berlin", "DE")


@pytest.mark.parametrize("parcel_id", [1, 42, 9_999_999, 10_000_001, 123_456_789])
def test_tracking_numbers_and_ssccs_carry_valid_check_digits(parcel_id):
    carrier = GenericCarrier()
    assert is_valid_ups(carrier.tracking_number(parcel_id))
    assert is_valid_sscc(carrier.sscc(parcel_id))


def test_the_published_ups_example_comes_out_of_the_generator():
    # FORMATS.md: 1Z + shipper 5R8939 + service 03 + package 5756712 + check 7.
    carrier = GenericCarrier(shipper="5R8939")
    assert carrier.tracking_number(5756712, "ground") == "1Z5R89390357567127"


def test_every_parcel_gets_its_own_numbers():
    carrier = GenericCarrier()
    assert len({carrier.tracking_number(n) for n in range(1, 500)}) == 499
    assert len({carrier.sscc(n) for n in range(1, 500)}) == 499


@pytest.mark.parametrize("recipient", [HOME, AWAY])
def test_the_generic_label_is_zpl_with_the_sscc_at_home_and_abroad(recipient):
    request = LabelRequest(7, "#1001", HOME, recipient, "express", 812, 250, 180, 100)
    result = GenericCarrier().create_label(request)
    assert result.label_zpl.startswith(b"^XA") and result.label_zpl.rstrip().endswith(b"^XZ")
    assert result.sscc.encode() in result.label_zpl and result.tracking[8:10] == "01"
    assert result.tracking_url.endswith(result.tracking)


def test_an_unknown_carrier_falls_back_to_the_generic_one():
    assert adapter_for("").code == "generic" and adapter_for("no-such").code == "generic"


def test_tiktok_gets_its_shipping_provider_id_and_others_the_carrier_name():
    carrier = GenericCarrier()
    assert carrier.channel_carrier("tiktok").isdigit()
    assert carrier.channel_carrier("shopify") == carrier.name


def _product(l: int, w: int, h: int, g: int = 100) -> Product:  # noqa: E741
    return Product(sku="X", name="x", length_mm=l, width_mm=w, height_mm=h, weight_g=g)


BOX = CartonType(code="B", name="b", length_mm=250, width_mm=180, height_mm=100, max_weight_g=5000)
BIG = CartonType(code="L", name="l", length_mm=600, width_mm=400, height_mm=400, max_weight_g=30000)


def test_an_item_fits_a_carton_when_some_rotation_fits():
    assert choose_carton([BOX, BIG], [(_product(90, 240, 170), 1)]).code == "B"  # on its side
    assert choose_carton([BOX, BIG], [(_product(260, 10, 10), 1)]).code == "L"  # too long for B


def test_a_carton_is_too_small_when_the_items_or_the_weight_do_not_fit():
    assert choose_carton([BOX, BIG], [(_product(100, 100, 100), 5)]).code == "L"  # B holds 2
    assert choose_carton([BOX, BIG], [(_product(10, 10, 10, 2000), 3)]).code == "L"  # 6 kg > 5 kg
