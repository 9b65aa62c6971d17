"""Changing channels and listings while the warehouse runs (the admin API's services).

Each change is one transaction; a change of what a channel may sell (its buffer, whether
it is active, a listing) writes that channel's new quantities to the outbox in the same
transaction, so the shops hear at once. Secrets go in and never come out.
Every change is logged as an audit line (who, what, which): `_audit`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.db import Database, reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models import Channel, ChannelListing
from wms.models.common import utcnow
from wms.secret_box import fingerprint, keyring
from wms.services import audit, availability, channels
from wms.services.channels import to_config

DEFAULT_KEEP_OLD_SECRET_S = 24 * 3600
MAX_KEEP_OLD_SECRET_S = 30 * 24 * 3600
SECRET_FIELDS = ("secret", "access_token", "app_key")
SEALED = ("secret", "app_key", "access_token", "shop_cipher")
EDITABLE = frozenset(
    {"name", "secret", "app_key", "api_base_url", "access_token", "shop_id", "shop_cipher",
     "location_id", "warehouse_id", "buffer", "fee_pct", "fee_fixed", "currency", "active"}
)  # fmt: skip


def channel_view(row: Channel) -> dict[str, Any]:
    """A channel as the API shows it: whether secrets are set, never what they are."""
    return {
        "code": row.code,
        "kind": row.kind,
        "name": row.name,
        "api_base_url": row.api_base_url,
        "shop_id": row.shop_id,
        "location_id": row.location_id,
        "warehouse_id": row.warehouse_id,
        "buffer": row.buffer,
        "fee_pct": str(row.fee_pct),
        "fee_fixed": str(row.fee_fixed),
        "currency": row.currency,
        "active": row.active,
        "has_secret": bool(row.secret),
        "has_access_token": bool(row.access_token),
        "has_shop_cipher": bool(row.shop_cipher),
        "has_app_key": bool(row.app_key),
        "app_key_fingerprint": fingerprint(row.app_key),
        "secret_fingerprint": fingerprint(row.secret),
        "access_token_fingerprint": fingerprint(row.access_token),
        "old_secret_until": (
            row.previous_secret_until.isoformat()
            if row.previous_secret and row.previous_secret_until
            else ""
        ),
    }


def _need_key(values: dict[str, Any]) -> None:
    """A secret is stored sealed: without the operator's key it is refused, not kept plain."""
    if any(values.get(k) for k in SEALED) and not keyring.has_key():
        raise Conflict(
            "no_secret_key", "No secret key", "set WMS_SECRET_KEY on the server to store secrets"
        )


def _checked(values: dict[str, Any]) -> ChannelConfig:
    try:
        return ChannelConfig.from_dict(values)
    except ConfigError as exc:
        raise WmsError("bad_channel", "Bad channel", str(exc)) from exc


def _row(s: Session, code: str) -> Channel:
    row = s.execute(select(Channel).where(Channel.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown_channel", "Unknown channel", f"no channel {code!r}")
    return row


def _listed(s: Session, channel_id: int) -> list[int]:
    return list(
        s.execute(
            select(ChannelListing.product_id).where(ChannelListing.channel_id == channel_id)
        ).scalars()
    )


def _config_values(config: ChannelConfig) -> dict[str, Any]:
    values = asdict(config)
    values["kind"] = str(config.kind)
    values["name"] = config.name or config.code
    return values


@reads
def _channels(s: Session) -> list[dict[str, Any]]:
    return [channel_view(r) for r in s.execute(select(Channel).order_by(Channel.code)).scalars()]


async def list_channels(db: Database) -> list[dict[str, Any]]:
    return await db.run(_channels)


async def create_channel(db: Database, actor: str, values: dict[str, Any]) -> dict[str, Any]:
    config = _checked(values)
    _need_key(values)
    view = await db.run(_create_channel, actor, config)
    channels.forget()
    return view


def _create_channel(s: Session, actor: str, config: ChannelConfig) -> dict[str, Any]:
    if s.execute(select(Channel.id).where(Channel.code == config.code)).first():
        raise Conflict("channel_exists", "Channel exists", f"channel {config.code!r} exists")
    row = Channel(**_config_values(config), active=True)
    s.add(row)
    s.flush()
    audit.record(s, actor, "channel.create", config.code, f"kind={config.kind}")
    return channel_view(row)


async def update_channel(
    db: Database, actor: str, code: str, changes: dict[str, Any]
) -> dict[str, Any]:
    unknown = set(changes) - EDITABLE - {"keep_old_secret_s"}
    if unknown:
        raise WmsError("bad_channel", "Bad channel", f"cannot change {sorted(unknown)}")
    _need_key(changes)
    view = await db.run(_update_channel, actor, code, changes)
    channels.forget()
    return view


def _update_channel(s: Session, actor: str, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    row = _row(s, code)
    keep_s = int(changes.pop("keep_old_secret_s", DEFAULT_KEEP_OLD_SECRET_S))
    if not 0 <= keep_s <= MAX_KEEP_OLD_SECRET_S:
        raise WmsError("bad_channel", "Bad channel", "keep_old_secret_s: 0 to 30 days")
    old_secret = row.secret
    active = bool(changes.pop("active", row.active))
    new = _config_values(_checked({**_config_values(to_config(row)), **changes}))
    changed = sorted(k for k, v in new.items() if getattr(row, k) != v)
    for key in changed:
        setattr(row, key, new[key])
    if active != row.active:
        row.active = active
        changed.append("active")
    if "secret" in changed:
        # The shop may still sign with the old secret until it has the new one; without a
        # grace period (a leaked secret) no earlier secret verifies any more.
        row.previous_secret = old_secret if keep_s else ""
        row.previous_secret_until = utcnow() + timedelta(seconds=keep_s) if keep_s else None
    s.flush()
    if {"buffer", "active"} & set(changed):
        # What this channel may sell changed: its shops hear the new quantities now.
        availability.push_sellable(s, _listed(s, row.id))  # type: ignore[arg-type]
    shown = [k if k not in SECRET_FIELDS else f"{k}(rotated)" for k in changed]
    audit.record(s, actor, "channel.update", code, "changed=" + ",".join(shown))
    return channel_view(row)
