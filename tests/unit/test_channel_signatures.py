"""Webhook signatures: each channel's scheme accepts exactly the right bytes and secret."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from tests.fakes import signed_webhook, woo_ping
from tests.fakes.payloads import fixture, fixture_bytes
from wms.channels import own, tiktok_sign
from wms.channels.config import load_channels
from wms.channels.errors import BadSignature, MissingSignature
from wms.channels.events import EventKind
from wms.channels.webhooks import parse_webhook

CHANNELS = load_channels(Path(__file__).resolve().parents[2] / "fixtures/demo/channels.json")
PAYLOADS = {
    "tiktok-main": "tiktok_webhook_order_status.json",
    "shopify-main": "shopify_orders_create.json",
    "woo-main": "woocommerce_order_created.json",
    "own-main": "own_order.json",
}
SIGNATURE_HEADER = {
    "tiktok-main": "Authorization",
    "shopify-main": "X-Shopify-Hmac-Sha256",
    "woo-main": "X-WC-Webhook-Signature",
    "own-main": "X-WMS-Signature",
}
ALL = sorted(PAYLOADS)


def _signed(code: str) -> tuple[dict[str, str], bytes]:
    return signed_webhook(CHANNELS[code], fixture_bytes(PAYLOADS[code]))


@pytest.mark.parametrize("code", ALL)
def test_a_correctly_signed_webhook_is_accepted(code):
    headers, body = _signed(code)
    event = parse_webhook(CHANNELS[code], headers, body)
    assert event.kind in (EventKind.ORDER, EventKind.CANCEL)
    assert event.event_id


@pytest.mark.parametrize("code", ALL)
def test_a_tampered_body_is_rejected(code):
    headers, body = _signed(code)
    tampered = body.replace(b"5", b"6", 1)  # one digit of an id or an amount
    assert tampered != body
    with pytest.raises(BadSignature) as err:
        parse_webhook(CHANNELS[code], headers, tampered)
    assert err.value.code == "bad_signature"


@pytest.mark.parametrize("code", ALL)
def test_a_missing_signature_header_is_rejected_with_its_own_code(code):
    headers, body = _signed(code)
    del headers[SIGNATURE_HEADER[code]]
    with pytest.raises(MissingSignature) as err:
        parse_webhook(CHANNELS[code], headers, body)
    assert err.value.code == "missing_signature"
    assert err.value.http_status == 401


@pytest.mark.parametrize("code", ALL)
def test_a_webhook_signed_with_another_secret_is_rejected(code):
    wrong = dataclasses.replace(CHANNELS[code], secret="not-the-secret")
    headers, body = signed_webhook(wrong, fixture_bytes(PAYLOADS[code]))
    with pytest.raises(BadSignature):
        parse_webhook(CHANNELS[code], headers, body)


@pytest.mark.parametrize("code", ALL)
def test_a_channel_without_a_secret_verifies_nothing(code):
    headers, body = _signed(code)
    with pytest.raises(BadSignature):
        parse_webhook(dataclasses.replace(CHANNELS[code], secret=""), headers, body)


@pytest.mark.parametrize("code", ALL)
def test_header_names_are_matched_whatever_their_case(code):
    headers, body = _signed(code)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert parse_webhook(CHANNELS[code], lowered, body).event_id


@pytest.mark.parametrize("code", ALL)
def test_a_non_ascii_signature_is_a_bad_signature_not_a_crash(code):
    headers, body = _signed(code)
    headers[SIGNATURE_HEADER[code]] = "t=1,v1=é" if code == "own-main" else "é" * 44
    with pytest.raises(BadSignature):
        parse_webhook(CHANNELS[code], headers, body)


def test_tiktok_signs_app_key_followed_by_the_raw_body_in_lowercase_hex():
    config = CHANNELS["tiktok-main"]
    body = fixture_bytes("tiktok_webhook_order_status.json")
    expected = hmac.new(
        config.secret.encode(), config.app_key.encode() + body, hashlib.sha256
    ).hexdigest()
    assert signed_webhook(config, body)[0]["Authorization"] == expected


def test_tiktok_accepts_an_uppercase_hex_signature():
    headers, body = _signed("tiktok-main")
    headers["Authorization"] = headers["Authorization"].upper()
    assert parse_webhook(CHANNELS["tiktok-main"], headers, body).event_id


def test_shopify_and_woo_sign_the_raw_body_in_base64():
    for code in ("shopify-main", "woo-main"):
        config = CHANNELS[code]
        headers, body = _signed(code)
        digest = hmac.new(config.secret.encode(), body, hashlib.sha256).digest()
        assert headers[SIGNATURE_HEADER[code]] == base64.b64encode(digest).decode()


def test_re_serialised_json_fails_because_the_signature_covers_raw_bytes():
    headers, body = _signed("shopify-main")
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    with pytest.raises(BadSignature):
        parse_webhook(CHANNELS["shopify-main"], headers, reserialised)


def test_the_woocommerce_creation_ping_is_recognised_without_a_signature():
    headers, body = woo_ping(31)
    event = parse_webhook(CHANNELS["woo-main"], headers, body)
    assert event.kind is EventKind.PING
    assert event.event_id == "ping-31"


def test_an_unsigned_body_that_only_resembles_the_ping_is_rejected():
    headers, _ = woo_ping(31)
    with pytest.raises(MissingSignature):
        parse_webhook(CHANNELS["woo-main"], headers, b"webhook_id=31&status=processing")


def test_the_own_shop_signature_expires_after_five_minutes():
    config = CHANNELS["own-main"]
    headers, body = signed_webhook(config, fixture_bytes("own_order.json"), timestamp=1_000_000)
    assert parse_webhook(config, headers, body, now=1_000_000 + 299).event_id
    with pytest.raises(BadSignature):
        parse_webhook(config, headers, body, now=1_000_000 + 301)


def test_the_own_shop_signature_header_must_have_a_timestamp_and_a_v1():
    config = CHANNELS["own-main"]
    headers, body = signed_webhook(config, fixture_bytes("own_order.json"))
    headers[own.SIGNATURE_HEADER] = headers[own.SIGNATURE_HEADER].split(",")[1]
    with pytest.raises(BadSignature):
        parse_webhook(config, headers, body)


def test_tiktok_request_signing_wraps_path_sorted_params_and_body_in_the_secret():
    params = {"timestamp": "1700000000", "app_key": "k", "sign": "x", "access_token": "t"}
    s = tiktok_sign.string_to_sign("S", "/order/202309/orders", params, b'{"a":1}')
    assert s == b'S/order/202309/ordersapp_keyktimestamp1700000000{"a":1}S'
    expected = hmac.new(b"S", s, hashlib.sha256).hexdigest()
    assert tiktok_sign.sign("S", "/order/202309/orders", params, b'{"a":1}') == expected


def test_a_tiktok_webhook_fixture_is_a_real_envelope():
    envelope = fixture("tiktok_webhook_order_status.json")
    assert set(envelope) == {"type", "tts_notification_id", "shop_id", "timestamp", "data"}
