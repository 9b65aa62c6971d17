"""Order mapping: every channel's order lands in the one OrderIn shape and status vocabulary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.fakes.payloads import fixture, fixture_bytes, make_tiktok_order
from wms.channels import own, shopify, tiktok, woocommerce
from wms.channels.errors import BadPayload
from wms.domain.orders import ChannelKind, OrderStatus


def tiktok_order() -> dict:
    return fixture("tiktok_order_detail.json")["data"]["orders"][0]


def test_tiktok_line_items_are_counted_per_sku_keeping_every_line_id():
    order = tiktok.map_order(tiktok_order())
    by_sku = {line.sku: line for line in order.lines}
    assert by_sku["SKU-0042"].qty == 3
    assert by_sku["SKU-0042"].external_line_ids == (
        "577086512123755123",
        "577086512123755124",
        "577086512123755125",
    )
    assert by_sku["SKU-0042"].channel_product_ref == "1729500000021802896"
    assert by_sku["SKU-0007"].qty == 1
    assert [line.sku for line in order.lines] == ["SKU-0042", "SKU-0007"]


def test_tiktok_string_money_becomes_exact_decimals():
    order = tiktok.map_order(tiktok_order())
    assert order.currency == "USD"
    assert (order.subtotal, order.shipping, order.discount, order.tax, order.total) == (
        Decimal("68.97"),
        Decimal("4.99"),
        Decimal("5.00"),
        Decimal("5.52"),
        Decimal("79.48"),
    )
    dripper = order.lines[0]
    assert dripper.unit_price == Decimal("19.99") and dripper.discount == Decimal("4.00")
    charged = sum(line.unit_price * line.qty - line.discount for line in order.lines)
    assert charged == order.subtotal


def test_a_masked_tiktok_recipient_is_flagged_masked():
    ship_to = tiktok.map_order(tiktok_order()).ship_to
    assert ship_to.masked
    assert ship_to.city == "Los Angeles" and ship_to.region == "California"
    assert ship_to.country == "US" and ship_to.postal_code == "90012"


def test_a_seller_shipped_unmasked_tiktok_recipient_is_not_masked():
    raw = tiktok_order()
    raw["shipping_type"] = "SELLER"
    raw["recipient_address"].update(
        name="Jane Doe", phone_number="(+1)2135550191", address_line1="100 Main St"
    )
    assert not tiktok.map_order(raw).ship_to.masked


def test_tiktok_ship_by_is_the_earlier_of_rts_sla_and_shipping_due():
    order = tiktok.map_order(tiktok_order())
    assert order.ship_by == datetime(2026, 11, 28, 19, 30, tzinfo=UTC)
    assert order.placed_at == datetime(2026, 11, 26, 19, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("channel", "ours"),
    [
        ("UNPAID", OrderStatus.AWAITING_PAYMENT),
        ("ON_HOLD", OrderStatus.ON_HOLD),
        ("AWAITING_SHIPMENT", OrderStatus.READY),
        ("PARTIALLY_SHIPPING", OrderStatus.READY),
        ("AWAITING_COLLECTION", OrderStatus.READY),
        ("IN_TRANSIT", OrderStatus.SHIPPED),
        ("DELIVERED", OrderStatus.DELIVERED),
        ("COMPLETED", OrderStatus.DELIVERED),
        ("CANCELLED", OrderStatus.CANCELLED),
    ],
)
def test_every_tiktok_status_maps_to_ours(channel, ours):
    order = tiktok.map_order(
        make_tiktok_order("576461413038785999", {"SKU-0001": 1}, status=channel)
    )
    assert order.status is ours and order.channel_status == channel


def test_a_tiktok_virtual_bundle_line_becomes_its_component_skus():
    raw = tiktok_order()
    raw["line_items"] = [raw["line_items"][3]]  # one bundle line, sold at 13.00 (list 14.00)
    raw["line_items"][0]["combined_listing_skus"] = [
        {
            "sku_id": "1729500000003848683",
            "seller_sku": "SKU-0007",
            "sku_count": 2,
            "product_id": "1729000000002702476",
        },
        {
            "sku_id": "1729500000021802896",
            "seller_sku": "SKU-0042",
            "sku_count": 1,
            "product_id": "1729000000013190697",
        },
    ]
    lines = tiktok.map_order(raw).lines
    assert [(line.sku, line.qty) for line in lines] == [("SKU-0007", 2), ("SKU-0042", 1)]
    assert all(line.external_line_ids == ("577086512123755126",) for line in lines)
    assert sum(line.unit_price * line.qty - line.discount for line in lines) == Decimal("13.00")


def test_a_tiktok_bundle_component_without_a_count_is_a_bad_payload():
    raw = tiktok_order()
    raw["line_items"][0]["combined_listing_skus"] = [{"seller_sku": "SKU-0007"}]
    with pytest.raises(BadPayload):
        tiktok.map_order(raw)


def test_a_tiktok_order_the_buyer_asked_to_cancel_is_held_not_released():
    raw = tiktok_order()
    raw["is_buyer_request_cancel"] = True
    order = tiktok.map_order(raw)
    assert order.status is OrderStatus.ON_HOLD and order.channel_status == "AWAITING_SHIPMENT"
    assert "cancellation" in order.note


def test_a_uk_tiktok_address_uses_the_post_town():
    raw = tiktok_order()
    raw["recipient_address"].update(post_town="Bristol", region_code="GB")
    assert tiktok.map_order(raw).ship_to.city == "Bristol"


def test_an_unpaid_tiktok_order_has_no_address_yet():
    order = tiktok.map_order(
        make_tiktok_order("576461413038785999", {"SKU-0001": 2}, status="UNPAID")
    )
    assert order.ship_to.line1 == "" and order.lines[0].qty == 2


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o.pop("id"),
        lambda o: o.update(line_items=[]),
        lambda o: o["payment"].update(currency="dollars"),
        lambda o: o["payment"].update(total_amount="12,50"),
        lambda o: o["line_items"][0].update(sale_price="NaN"),
        lambda o: o["line_items"][0].update(currency="EUR"),
        lambda o: o.update(status="LOST"),
        lambda o: o.update(create_time="yesterday"),
    ],
    ids=[
        "no-id",
        "no-lines",
        "bad-currency",
        "comma-money",
        "nan-price",
        "mixed-currency",
        "unknown-status",
        "bad-time",
    ],
)
def test_a_malformed_tiktok_order_is_a_bad_payload(mutate):
    raw = tiktok_order()
    mutate(raw)
    with pytest.raises(BadPayload):
        tiktok.map_order(raw)


def test_tiktok_affiliate_fields_become_the_attribution():
    attribution = tiktok.map_affiliate_attribution(fixture("tiktok_affiliate_order.json"))
    assert attribution.creator == "brewwithmaya" and attribution.content_type == "VIDEO"
    assert attribution.commission == Decimal("10.50")
    order = tiktok.map_order(tiktok_order(), attribution)
    assert order.attribution.content_id == "7438123456789012345"


def test_a_shopify_order_maps_lines_money_address_and_attribution():
    order = shopify.map_order(fixture("shopify_orders_create.json"))
    assert order.channel_kind is ChannelKind.SHOPIFY and order.reference == "#1042"
    assert [(line.sku, line.qty) for line in order.lines] == [("SKU-0042", 2), ("SKU-0118", 1)]
    assert order.lines[0].unit_price == Decimal("19.99")
    assert order.lines[0].discount == Decimal("4.00")
    assert order.total == Decimal("114.12") and order.shipping == Decimal("6.95")
    assert order.ship_to.name == "Ana Ruiz" and order.ship_to.region == "IL"
    assert order.ship_to.email == "ana.ruiz@example.com" and not order.ship_to.masked
    assert order.attribution.creator == "brewwithmaya"
    assert order.attribution.content_type == "VIDEO"
    assert order.status is OrderStatus.READY
    assert order.carrier == "" and order.service == "Standard (3-5 business days)"


def test_a_carrier_calculated_shopify_rate_names_the_carrier():
    raw = fixture("shopify_orders_create.json")
    raw["shipping_lines"][0]["source"] = "usps"
    assert shopify.map_order(raw).carrier == "usps"


def test_shopify_utm_parameters_are_the_attribution_fallback():
    raw = fixture("shopify_orders_create.json")
    raw["note_attributes"] = []
    attribution = shopify.map_order(raw).attribution
    assert attribution.creator == "tiktok" and attribution.content_id == "brewwithmaya"


@pytest.mark.parametrize(
    ("changes", "ours"),
    [
        ({"financial_status": "pending"}, OrderStatus.AWAITING_PAYMENT),
        ({"financial_status": "authorized"}, OrderStatus.READY),
        ({"financial_status": "paid"}, OrderStatus.READY),
        ({"financial_status": "partially_refunded"}, OrderStatus.READY),
        ({"financial_status": "refunded"}, OrderStatus.CANCELLED),
        ({"financial_status": "voided"}, OrderStatus.CANCELLED),
        ({"cancelled_at": "2026-11-26T15:00:00-05:00"}, OrderStatus.CANCELLED),
        ({"financial_status": "paid", "fulfillment_status": "fulfilled"}, OrderStatus.SHIPPED),
        ({"financial_status": "refunded", "fulfillment_status": "fulfilled"}, OrderStatus.RETURNED),
    ],
)
def test_shopify_financial_status_and_cancellation_map_to_ours(changes, ours):
    raw = fixture("shopify_orders_create.json")
    raw.update(changes)
    assert shopify.map_order(raw).status is ours


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o["line_items"][0].update(quantity=0),
        lambda o: o["line_items"][0].update(quantity="2"),
        lambda o: o["line_items"][0].update(price="free"),
        lambda o: o.update(currency="US"),
        lambda o: o.update(financial_status="mystery"),
        lambda o: o.update(created_at="26/11/2026"),
        lambda o: o.pop("total_price"),
    ],
    ids=[
        "zero-qty",
        "string-qty",
        "bad-price",
        "bad-currency",
        "unknown-financial",
        "bad-date",
        "no-total",
    ],
)
def test_a_malformed_shopify_order_is_a_bad_payload(mutate):
    raw = fixture("shopify_orders_create.json")
    mutate(raw)
    with pytest.raises(BadPayload):
        shopify.map_order(raw)


def test_shopify_lines_of_the_same_sku_are_merged():
    raw = fixture("shopify_orders_create.json")
    raw["line_items"][1]["sku"] = "SKU-0042"
    lines = shopify.map_order(raw).lines
    assert len(lines) == 1 and lines[0].qty == 3
    assert lines[0].external_line_ids == ("14123456789011", "14123456789012")


def test_a_woocommerce_order_maps_lines_variations_and_discounts():
    order = woocommerce.map_order(fixture("woocommerce_order_created.json"))
    by_sku = {line.sku: line for line in order.lines}
    assert by_sku["SKU-0042"].channel_product_ref == "1052"  # the variation
    assert by_sku["SKU-0311"].channel_product_ref == "1395"  # a simple product
    assert by_sku["SKU-0311"].qty == 3 and by_sku["SKU-0311"].unit_price == Decimal("4")
    assert by_sku["SKU-0042"].discount == Decimal("2.00")
    assert order.subtotal == Decimal("48.99") and order.total == Decimal("58.15")
    assert order.ship_to.name == "Tom Becker (Becker Roasters)"
    assert order.ship_to.phone == "207-555-0188"  # shipping phone empty: billing's
    assert order.placed_at == datetime(2026, 11, 26, 14, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("pending", OrderStatus.AWAITING_PAYMENT),
        ("on-hold", OrderStatus.ON_HOLD),
        ("processing", OrderStatus.READY),
        ("completed", OrderStatus.SHIPPED),
        ("cancelled", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.CANCELLED),
    ],
)
def test_woocommerce_statuses_map_to_ours(status, ours):
    raw = fixture("woocommerce_order_created.json")
    raw["status"] = status
    assert woocommerce.map_order(raw).status is ours


def test_a_refunded_completed_woocommerce_order_is_returned():
    raw = fixture("woocommerce_order_created.json")
    raw.update(status="refunded", date_completed="2026-11-29T10:00:00")
    assert woocommerce.map_order(raw).status is OrderStatus.RETURNED


def test_a_woocommerce_line_without_quantity_is_a_bad_payload():
    raw = fixture("woocommerce_order_created.json")
    del raw["line_items"][0]["quantity"]
    with pytest.raises(BadPayload):
        woocommerce.map_order(raw)


def test_an_own_shop_order_computes_its_total_when_absent():
    order = own.parse_order(fixture_bytes("own_order.json"))
    assert order.channel_kind is ChannelKind.OWN and order.priority == 2
    assert order.subtotal == Decimal("83.00") and order.total == Decimal("98.62")
    assert order.attribution.content_type == "LIVE"


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda o: o["lines"][0].update(qty=-1), "qty"),
        (lambda o: o["lines"][0].update(unit_price="-3"), "unit_price"),
        (lambda o: o.update(currency="usd"), "currency"),
        (lambda o: o.update(lines=[]), "lines"),
        (lambda o: o.update(order_id=""), "order_id"),
        (lambda o: o.update(surprise=1), "surprise"),
        (lambda o: o["ship_to"].update(country="USA"), "country"),
        (lambda o: o.update(status="shipped"), "status"),
    ],
)
def test_an_invalid_own_shop_order_names_the_bad_field(mutate, where):
    raw = fixture("own_order.json")
    mutate(raw)
    with pytest.raises(BadPayload) as err:
        own.parse_order(json.dumps(raw).encode())
    assert where in err.value.message


def test_an_own_shop_ship_by_without_a_time_zone_is_refused():
    raw = fixture("own_order.json")
    raw["ship_by"] = "2026-11-27T16:00:00"
    with pytest.raises(BadPayload):
        own.parse_order(json.dumps(raw).encode())
