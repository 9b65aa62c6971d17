"""Fees, buffers, the demo channel file and the seeded listings file."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.payloads import fixture, fixture_bytes
from wms.channels import own, shopify, tiktok
from wms.channels.config import ChannelConfig, load_channels, load_listings, parse_listings
from wms.channels.errors import ConfigError
from wms.channels.fees import channel_fee, channel_quantity
from wms.domain.orders import ChannelKind, OrderStatus

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = load_channels(ROOT / "fixtures/demo/channels.json")


def test_the_demo_file_has_one_channel_of_each_kind_with_realistic_fees():
    kinds = {c.kind for c in CHANNELS.values()}
    # The generic REST channel has no demo shop: its tests bring their own endpoint.
    assert kinds == set(ChannelKind) - {ChannelKind.GENERIC_REST}
    assert CHANNELS["tiktok-main"].fee_pct == Decimal("6")
    assert CHANNELS["shopify-main"].fee_pct == Decimal("2.9")
    assert CHANNELS["shopify-main"].fee_fixed == Decimal("0.30")
    assert CHANNELS["woo-main"].fee_pct == CHANNELS["own-main"].fee_pct == 0


def test_the_tiktok_fee_is_six_percent_plus_the_fixed_part_rounded_to_cents():
    order = tiktok.map_order(fixture("tiktok_order_detail.json")["data"]["orders"][0])
    # 79.48 × 6 % = 4.7688, + 0.30 = 5.0688 → 5.07
    assert channel_fee(CHANNELS["tiktok-main"], order) == Decimal("5.07")


def test_the_shopify_fee_is_two_point_nine_percent_plus_thirty_cents():
    order = shopify.map_order(fixture("shopify_orders_create.json"))
    # 114.12 × 2.9 % = 3.30948, + 0.30 = 3.60948 → 3.61
    assert channel_fee(CHANNELS["shopify-main"], order) == Decimal("3.61")


def test_a_cancelled_or_free_order_costs_no_fee():
    order = shopify.map_order(fixture("shopify_orders_create.json"))
    cancelled = dataclasses.replace(order, status=OrderStatus.CANCELLED)
    assert channel_fee(CHANNELS["shopify-main"], cancelled) == 0
    free = dataclasses.replace(
        order, total=Decimal(0), lines=(), shipping=Decimal(0), tax=Decimal(0), discount=Decimal(0)
    )
    assert channel_fee(CHANNELS["shopify-main"], free) == 0


def test_an_order_without_a_total_is_charged_on_its_lines():
    order = dataclasses.replace(own.parse_order(fixture_bytes("own_order.json")), total=Decimal(0))
    config = dataclasses.replace(CHANNELS["own-main"], fee_pct=Decimal("10"))
    assert channel_fee(config, order) == Decimal("9.86")  # 10 % of 83.00 + 7.50 + 8.12


def test_the_buffer_is_held_back_and_never_goes_below_zero():
    config = CHANNELS["tiktok-main"]
    assert channel_quantity(config, 10) == 10 - config.buffer
    assert channel_quantity(config, 1) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"code": "x", "kind": "fax"},
        {"code": "x", "kind": "own", "fee_pct": "lots"},
        {"code": "x", "kind": "own", "buffer": -1},
        {"code": "x", "kind": "own", "colour": "red"},
        {"kind": "own"},
    ],
)
def test_a_bad_channel_config_is_refused(data):
    with pytest.raises(ConfigError):
        ChannelConfig.from_dict(data)


def test_listings_cover_every_sku_on_every_channel_with_realistic_ids():
    listings = load_listings(ROOT / "fixtures/demo/listings.csv")
    assert len(listings) == 4 * 520
    assert {(x.channel, x.sku) for x in listings} == {
        (c, f"SKU-{n:04d}") for c in CHANNELS for n in range(1, 521)
    }
    tt = [x for x in listings if x.channel == "tiktok-main"]
    assert all(len(x.product_ref) == 19 and len(x.variant_ref) == 19 for x in tt)
    assert len({x.variant_ref for x in tt}) == 520  # sku ids are unique
    shop = [x for x in listings if x.channel == "shopify-main"]
    assert len({x.variant_ref for x in shop}) == 520 and all(x.variant_ref.isdigit() for x in shop)


def test_the_listings_file_is_what_the_seeded_script_writes():
    spec = importlib.util.spec_from_file_location(
        "make_listings", ROOT / "fixtures/channels/make_listings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("channel", "sku", "product_ref", "variant_ref"))
    writer.writerows(module.rows())
    assert out.getvalue() == (ROOT / "fixtures/demo/listings.csv").read_text()


def test_a_listings_file_with_other_columns_is_refused():
    with pytest.raises(ConfigError):
        parse_listings("channel,sku,product\nx,y,z\n")


def test_secrets_stay_out_of_a_config_repr():
    text = repr(CHANNELS["shopify-main"])
    assert CHANNELS["shopify-main"].secret not in text
    assert CHANNELS["shopify-main"].access_token not in text
