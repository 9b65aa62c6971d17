"""The ship-to rules: which fields a label needs, and how a missing one is said."""

from __future__ import annotations

from wms.domain.addresses import ShipTo, is_complete, missing, reason

GB = ShipTo(name="Ada", line1="1 Way", city="London", postal_code="N1 9GU", country="GB")


def test_a_complete_address_needs_no_region_outside_the_countries_that_ask_for_one():
    assert is_complete(GB) and reason(GB) == ""
    us = ShipTo(name="Bo", line1="1 Main", city="Austin", postal_code="78701", country="us")
    assert missing(us) == ["region"] and reason(us) == "region missing"
    assert is_complete(ShipTo(**{**us.__dict__, "region": "TX"}))


def test_each_missing_field_is_named_and_an_empty_address_is_said_as_such():
    assert reason(ShipTo(**{**GB.__dict__, "postal_code": " "})) == "postal code missing"
    assert reason(ShipTo(**{**GB.__dict__, "name": "", "city": ""})) == "name and city missing"
    empty = ShipTo()
    assert reason(empty) == "no ship-to address"
    assert reason(empty, "awaiting_payment", "tiktok") == "no ship-to address: unpaid TikTok order"
    assert reason(empty, "awaiting_payment", "shopify") == "no ship-to address: unpaid order"


def test_a_masked_address_the_platform_labels_itself_is_complete():
    assert is_complete(ShipTo(masked=True)) and reason(ShipTo(masked=True)) == ""
