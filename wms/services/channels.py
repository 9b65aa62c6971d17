"""Channel settings as the adapters want them, cached briefly per process."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Row, select

from wms.channels.config import ChannelConfig
from wms.db import Database
from wms.errors import NotFound
from wms.models import Channel

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
    async with db.read() as s:
        row = (await s.execute(select(Channel).where(Channel.code == code))).scalar_one_or_none()
    if row is None or not row.active:
        raise NotFound("unknown_channel", "Unknown channel", f"no active channel {code!r}")
    config = to_config(row)
    _cache[key] = (time.monotonic() + _TTL_S, row.id, config)  # type: ignore[assignment]
    return row.id, config  # type: ignore[return-value]


def forget() -> None:
    _cache.clear()
