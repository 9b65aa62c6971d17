"""Outbound channel requests as data, and the pieces every channel's requests share.

Every request carries ``X-WMS-Event-Id`` (and ``Idempotency-Key``) so a receiver can drop a
redelivery; a request carrying several rows carries a key derived from all their event ids
(``bulk_event_id``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError

EVENT_HEADER = "X-WMS-Event-Id"


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def dumps(payload: Any) -> bytes:
    # Compact and stable: TikTok signs these exact bytes.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def api_base(config: ChannelConfig) -> str:
    if not config.api_base_url:
        raise ConfigError(f"channel {config.code} has no api_base_url")
    return config.api_base_url.rstrip("/")


def common_headers(event_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event_id,
        "Idempotency-Key": event_id,
    }


def bulk_event_id(event_ids: Sequence[str]) -> str:
    """The idempotency key of a request carrying these rows.

    One row keeps its own event id; several get a digest of their sorted ids, so a
    redelivery of the same rows carries the same key whatever order they were claimed in.
    """
    if len(event_ids) == 1:
        return event_ids[0]
    digest = hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()[:32]
    return f"bulk-{digest}"


def digits(value: str, what: str) -> str:
    """A numeric id as the channel's API takes it; anything else is a listing mistake."""
    if not value or not value.isdigit():
        raise ConfigError(f"{what} must be a numeric id, got {value!r}")
    return value
