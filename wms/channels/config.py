"""Channel configuration and listings (our SKU ↔ the channel's product ids), loaded from files."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from wms.channels.errors import ConfigError
from wms.domain.orders import ChannelKind


@dataclass(frozen=True)
class ChannelConfig:
    """One connected sales channel. Which credential means what depends on the kind:

    - tiktok: ``app_key``/``secret`` = app key / app secret (signs webhooks and API calls),
      ``access_token`` (header x-tts-access-token), ``shop_cipher``, ``warehouse_id``.
    - shopify: ``secret`` = app client secret (webhook HMAC), ``access_token`` = Admin API
      token, ``location_id``; ``api_base_url`` = ``https://{shop}.myshopify.com``.
    - woocommerce: ``secret`` = webhook secret, ``app_key``/``access_token`` = REST consumer
      key / consumer secret (basic auth); ``api_base_url`` = the site root.
    - own: ``secret`` signs webhooks both ways (X-WMS-Signature), ``access_token`` = bearer
      token we send to the shop's endpoints.
    """

    code: str
    kind: ChannelKind
    name: str = ""
    secret: str = field(default="", repr=False)  # kept out of logs and tracebacks
    app_key: str = ""
    api_base_url: str = ""
    access_token: str = field(default="", repr=False)
    shop_id: str = ""
    shop_cipher: str = ""
    location_id: str = ""
    warehouse_id: str = ""
    buffer: int = 0  # units held back from this channel's sellable quantity
    fee_pct: Decimal = Decimal("0")  # percent of the order total, 2.9 means 2.9 %
    fee_fixed: Decimal = Decimal("0")  # per order, in the order's currency
    currency: str = "USD"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown channel config keys: {sorted(unknown)}")
        try:
            values = dict(data)
            values["kind"] = ChannelKind(values["kind"])
            for key in ("fee_pct", "fee_fixed"):
                if key in values:
                    values[key] = Decimal(str(values[key]))
            if "buffer" in values:
                values["buffer"] = int(values["buffer"])
            config = cls(**values)
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise ConfigError(f"bad channel config {data.get('code', '?')}: {exc}") from exc
        if not config.code:
            raise ConfigError("channel config without code")
        if config.buffer < 0 or config.fee_pct < 0 or config.fee_fixed < 0:
            raise ConfigError(f"{config.code}: buffer and fees must not be negative")
        return config


def load_channels(path: str | Path) -> dict[str, ChannelConfig]:
    """Read a JSON list of channel configs (a site's ``channels.json``), keyed by code."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    items = raw["channels"] if isinstance(raw, dict) else raw
    configs = [ChannelConfig.from_dict(item) for item in items]
    by_code = {c.code: c for c in configs}
    if len(by_code) != len(configs):
        raise ConfigError("duplicate channel code")
    return by_code


@dataclass(frozen=True)
class Listing:
    """Where one of our SKUs lives on one channel.

    tiktok: product_ref = product_id, variant_ref = sku_id (both 19-digit strings);
    shopify: product_ref = product id, variant_ref = inventory_item_id;
    woocommerce: product_ref = product id, variant_ref = variation id or "" (simple product);
    own: product_ref = our sku, variant_ref = "".
    """

    channel: str
    sku: str
    product_ref: str
    variant_ref: str = ""


LISTING_COLUMNS = ("channel", "sku", "product_ref", "variant_ref")


def parse_listings(text: str) -> list[Listing]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != LISTING_COLUMNS:
        raise ConfigError(f"listings columns must be {','.join(LISTING_COLUMNS)}")
    return [
        Listing(row["channel"], row["sku"], row["product_ref"], row["variant_ref"] or "")
        for row in reader
    ]


def load_listings(path: str | Path) -> list[Listing]:
    return parse_listings(Path(path).read_text(encoding="utf-8"))
