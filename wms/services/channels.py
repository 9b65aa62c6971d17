"""Channel settings as the adapters want them, cached briefly per process."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from wms.channels.config import ChannelConfig
from wms.channels.webhooks import normal_shop
from wms.db import Database, reads
from wms.errors import NotFound
from wms.models import Channel
from wms.models.common import utcnow

_TTL_S = 5.0
_cache: dict[tuple[str, str], tuple[float, int, ChannelConfig]] = {}


def to_config(row: Channel | Row[Any]) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "code": row.code,
            "kind": row.kind,
            "name": row.name,
            "secret": row.secret,
            "app_key": row.app_key,
            "api_base_url": row.api_base_url,
            "access_token": row.access_token,
            "shop_id": row.shop_id,
            "shop_cipher": row.shop_cipher,
            "location_id": row.location_id,
            "warehouse_id": row.warehouse_id,
            "buffer": row.buffer,
            "fee_pct": row.fee_pct,
            "fee_fixed": row.fee_fixed,
            "currency": row.currency,
        }
    )


async def config_for(db: Database, code: str) -> tuple[int, ChannelConfig]:
    """The channel's id and settings; a few seconds stale at most after a change."""
    key = (db.url, code)
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1], hit[2]
    row = await db.run(_channel_named, code)
    if row is None or not row.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {code!r}")
    config = to_config(row)
    _cache[key] = (time.monotonic() + _TTL_S, row.id, config)  # type: ignore[assignment]
    return row.id, config  # type: ignore[return-value]


@reads
def _channel_named(s: Session, code: str) -> Channel | None:
    return s.execute(select(Channel).where(Channel.code == code)).scalar_one_or_none()


async def config_for_webhook(db: Database, code: str, shop: str) -> tuple[int, ChannelConfig]:
    """The channel a webhook sent to /webhooks/{code} is for: the shop it names.

    ``shop`` (from `shop_key`) chooses among the active channels of the same kind: each
    shop of an app is a channel of its own (its cipher, currency, warehouse, buffer and
    listings). A shop that none of them is refused with `unknown_shop`. A channel that
    does not declare its shop (no ``shop_id``) takes every delivery only while no other
    channel of its kind declares one.
    """
    channel_id, config = await config_for(db, code)
    if not shop or _shop_of(config) == shop:
        return channel_id, config
    key = (db.url, f"{code}\n{shop}")
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1], hit[2]
    found = await _shop_channel(db, channel_id, config, shop)
    _cache[key] = (time.monotonic() + _TTL_S, *found)
    return found


async def _shop_channel(
    db: Database, channel_id: int, config: ChannelConfig, shop: str
) -> tuple[int, ChannelConfig]:
    siblings = await db.run(_active_of_kind, str(config.kind))
    for row in siblings:
        other = to_config(row)
        if _shop_of(other) == shop:
            return row.id, other  # type: ignore[return-value]
    if not _shop_of(config) and not any(_shop_of(to_config(r)) for r in siblings):
        return channel_id, config
    raise NotFound("unknown_shop", "Unknown shop", f"no {config.kind} shop {shop!r} here")


@reads
def _active_of_kind(s: Session, kind: str) -> list[Channel]:
    query = select(Channel).where(Channel.kind == kind, Channel.active.is_(True))
    return list(s.execute(query).scalars())


async def previous_secret(db: Database, channel_id: int) -> str:
    """The secret a rotation replaced, while its grace period lasts; "" otherwise."""
    row = await db.run(_previous_secret, channel_id)
    if row is None or not row.previous_secret or row.previous_secret_until is None:
        return ""
    return row.previous_secret if row.previous_secret_until > utcnow() else ""


@reads
def _previous_secret(s: Session, channel_id: int) -> Row[Any] | None:
    query = select(Channel.previous_secret, Channel.previous_secret_until)
    return s.execute(query.where(Channel.id == channel_id)).first()


def _shop_of(config: ChannelConfig) -> str:
    return normal_shop(config.shop_id)


def forget() -> None:
    _cache.clear()
