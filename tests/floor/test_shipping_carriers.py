"""The generic carrier and the carton choice, as pure functions (no server)."""

from __future__ import annotations

import re

import pytest

from printers import Address
from printers.identifiers import is_valid_own_tracking, is_valid_sscc, is_valid_ups
from wms.carriers import GenericCarrier, LabelRequest, adapter_for
from wms.carriers.registry import CarrierConfigError, parse
from wms.models import CartonType, Product
from wms.services.packing_cartons import choose_carton

HOME = Address("Warehouse", ("1 Dock Road",), "10001", "New York", "US", region="NY")
AWAY = Address("Buyer", ("Hauptstr. 5",), "10115", "Berlin", "DE")
UPS_ENV = {"UPS_ID": "cid", "UPS_SECRET": "csecret", "UPS_ACCOUNT": "5R8939"}
SITE = {
    "sender": {"name": "Lakeside Goods", "lines": ["9 Pier St"], "postal_code": "M5V 2T6",
               "city": "Toronto", "region": "ON", "country": "ca"},
    "generic": {"prefix": "LG", "aliases": ["local"]},
    "carriers": [{
        "code": "ups", "karrio": "ups", "aliases": ["UPS Ground"], "service": "ups_standard",
        "services": {"Express": "ups_next_day_air"}, "settings": {"test_mode": True},
        "credentials_env": {"client_id": "UPS_ID", "client_secret": "UPS_SECRET",
                            "account_number": "UPS_ACCOUNT"},
    }],
}  # fmt: skip


@pytest.mark.parametrize("parcel_id", [1, 42, 9_999_999, 10_000_001, 123_456_789])
def test_tracking_numbers_and_ssccs_carry_valid_check_digits(parcel_id):
    carrier = GenericCarrier(prefix="DW")
    assert is_valid_own_tracking(carrier.tracking_number(parcel_id), "DW")
    assert is_valid_sscc(carrier.sscc(parcel_id))


def test_the_generic_carriers_numbers_are_its_own_not_another_carriers_format():
    number = GenericCarrier(prefix="DW").tracking_number(5756712, "ground")
    # DW + service digit 1 + serial 0005756712 + key: 3x(2+7+5+5+0+1) + (1+6+7+0+0) = 74 -> 6.
    assert number == "DW100057567126" and not is_valid_ups(number)
    assert not number.startswith("1Z")
    assert not is_valid_own_tracking("DW100057567125")  # one digit off: refused


def test_a_tracking_prefix_that_is_not_two_letters_is_refused_at_configuration():
    for prefix in ("1Z", "D", "DWX", "dw"):
        with pytest.raises(ValueError):
            GenericCarrier(prefix=prefix)


def test_every_parcel_gets_its_own_numbers():
    carrier = GenericCarrier()
    assert len({carrier.tracking_number(n) for n in range(1, 500)}) == 499
    assert len({carrier.sscc(n) for n in range(1, 500)}) == 499


@pytest.mark.parametrize("recipient", [HOME, AWAY])
def test_the_generic_label_is_zpl_with_the_sscc_at_home_and_abroad(recipient):
    request = LabelRequest(7, "#1001", HOME, recipient, "express", 812, 250, 180, 100)
    result = GenericCarrier(name="Lakeside Goods").create_label(request)
    assert result.label_zpl.startswith(b"^XA") and result.label_zpl.rstrip().endswith(b"^XZ")
    assert result.sscc.encode() in result.label_zpl and result.tracking[2] == "3"
    assert result.tracking_url.endswith(result.tracking)
    assert b"LAKESIDE GOODS" in result.label_zpl and b"UPS" not in result.label_zpl


def test_the_label_prints_the_state_where_the_country_uses_one():
    request = LabelRequest(7, "#1001", AWAY, HOME, "", 812, 250, 180, 100)
    assert b"New York NY 10001" in GenericCarrier().create_label(request).label_zpl
    request = LabelRequest(7, "#1001", HOME, AWAY, "", 812, 250, 180, 100)
    assert b"10115 Berlin" in GenericCarrier().create_label(request).label_zpl


def test_an_unknown_carrier_falls_back_to_the_generic_one():
    assert adapter_for("").code == "generic" and adapter_for("no-such").code == "generic"


def test_tiktok_gets_its_shipping_provider_id_and_others_the_carrier_name():
    carrier = GenericCarrier()
    assert carrier.channel_carrier("tiktok").isdigit()
    assert carrier.channel_carrier("shopify") == carrier.name


def test_a_site_registers_its_carrier_accounts_with_credentials_from_the_environment():
    site = parse(SITE, UPS_ENV)
    ups = site.adapters["ups"]
    assert ups.settings == {"test_mode": True, "client_id": "cid", "client_secret": "csecret",
                            "account_number": "5R8939"}  # fmt: skip
    assert site.aliases == {"ups ground": "ups", "local": "generic"}
    assert ups.service_for("express") == "ups_next_day_air"
    assert ups.service_for("") == "ups_standard"
    assert site.sender.region == "ON" and site.sender.country == "CA"
    # Unless the site names its own carrier otherwise, it carries the site's name.
    assert site.generic.name == "Lakeside Goods" and site.generic.prefix == "LG"


def test_an_account_without_its_credentials_is_not_configured_and_the_generic_carrier_ships():
    site = parse(SITE, {"UPS_ID": "cid"})
    assert "ups" not in site.adapters
    assert site.skipped == {"ups": "UPS_ACCOUNT, UPS_SECRET unset"}
    assert "ups ground" not in site.aliases


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"generic": {"prefix": "1Z"}}, "generic: tracking prefix"),
        ({"sender": {"name": "X"}}, "sender: missing postal_code, city, country"),
        ({"carriers": [{"code": "generic", "karrio": "ups"}]}, "duplicate carrier code"),
        ({"carriers": [{"code": "x"}]}, "carriers[0]: needs 'karrio'"),
        ({"carriers": [{"code": "x", "karrio": "no_such_connector"}]}, "not installed"),
    ],
)
def test_a_bad_carrier_configuration_is_refused_with_the_entry_named(change, words):
    with pytest.raises(CarrierConfigError, match=re.escape(words)):
        parse({**SITE, **change}, UPS_ENV)


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
