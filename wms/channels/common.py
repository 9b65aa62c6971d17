"""Small shared helpers: HMACs, header lookup, money and time parsing, JSON decoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from wms.channels.errors import BadPayload, BadSignature, MissingSignature
from wms.domain.bounds import AmountOutOfRange, money_in_range
from wms.domain.orders import OrderLineIn

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac_sha256(secret, message).hex()


def hmac_b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, message)).decode("ascii")


def check_signature(given: str, expected: str) -> None:
    """Constant-time comparison; raises BadSignature on mismatch."""
    # compare_digest on bytes: a non-ASCII header value would make the str form raise TypeError.
    if not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8")):
        raise BadSignature("signature does not match")


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def require_header(headers: Mapping[str, str], name: str) -> str:
    """``headers`` must already be lower-cased (``lower_headers``)."""
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise MissingSignature(f"missing header {name}")
    return value


def require_secret(secret: str, channel: str) -> str:
    # An empty secret would make every HMAC forgeable: refuse rather than verify against "".
    if not secret:
        raise BadSignature(f"channel {channel} has no secret configured")
    return secret


def decode_json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadPayload("JSON body is not an object")
    return data


def to_decimal(value: Any, what: str, default: Decimal | None = None) -> Decimal:
    """Money from a channel: strings (TikTok, Shopify, Woo) or numbers (Woo's ``price``)."""
    if value is None or value == "":
        if default is not None:
            return default
        raise BadPayload(f"{what} is missing")
    if isinstance(value, bool):
        raise BadPayload(f"{what} is not a number")
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into the money.
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise BadPayload(f"{what} is not a number: {value!r}") from exc
    try:
        return money_in_range(result, what)
    except AmountOutOfRange as exc:
        raise BadPayload(str(exc)) from None


def check_currency(value: Any, what: str = "currency") -> str:
    if not isinstance(value, str) or not CURRENCY_RE.match(value.strip().upper()):
        raise BadPayload(f"{what} is not a 3-letter currency code: {value!r}")
    return value.strip().upper()


def from_unix(value: Any, what: str) -> datetime | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise BadPayload(f"{what} is not a unix time: {value!r}") from exc


def from_iso(value: Any, what: str, *, assume_utc: bool = True) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadPayload(f"{what} is not a date: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadPayload(f"{what} is not an ISO 8601 date: {value!r}") from exc
    if parsed.tzinfo is None and assume_utc:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def merge_lines(lines: Iterable[OrderLineIn]) -> tuple[OrderLineIn, ...]:
    """One line per SKU, first-seen order: channels may split a SKU over several lines.

    The merged unit price is the quantity-weighted average of the parts (exact when the
    parts agree, which is the usual case); discounts and line ids add up.
    """
    merged: dict[str, list[OrderLineIn]] = {}
    for line in lines:
        merged.setdefault(line.sku, []).append(line)
    out: list[OrderLineIn] = []
    for sku, parts in merged.items():
        if len(parts) == 1:
            out.append(parts[0])
            continue
        qty = sum(p.qty for p in parts)
        gross = sum((p.unit_price * p.qty for p in parts), Decimal("0"))
        prices = {p.unit_price for p in parts}
        unit = parts[0].unit_price
        if len(prices) > 1:
            unit = (gross / qty).quantize(Decimal("0.0001"))
        first = parts[0]
        out.append(
            OrderLineIn(
                sku=sku,
                qty=qty,
                unit_price=unit,
                external_line_ids=tuple(i for p in parts for i in p.external_line_ids),
                channel_product_ref=first.channel_product_ref,
                name=first.name,
                discount=sum((p.discount for p in parts), Decimal("0")),
                platform_discount=sum((p.platform_discount for p in parts), Decimal("0")),
                gift=first.gift,
            )
        )
    return tuple(out)


def as_str(value: Any) -> str:
    """Channel ids arrive as strings (TikTok) or numbers (Shopify, Woo); we keep strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normal_shop(value: str) -> str:
    """Shop ids, domains and site URLs compared the way the channels write them."""
    return value.strip().lower().rstrip("/")
