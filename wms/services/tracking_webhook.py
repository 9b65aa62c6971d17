"""The signed tracking webhook, one per carrier account (``/webhooks/tracking/{carrier}``).

It takes a karrio ``tracker_updated``-shaped body::

    {"id": "evt_1", "type": "tracker_updated",
     "data": {"tracking_number": "…", "estimated_delivery": "2026-12-03",
              "events": [{"date": "2026-12-01", "time": "10:20", "code": "IT",
                          "status": "in_transit", "description": "…", "location": "…"}]}}

signed in header ``X-WMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>." + raw body)>``; the secret is the account's ``webhook_secret_env`` variable. A
signature older than ``SIGNATURE_TOLERANCE_S`` is a replay and refused. The events go
through wms.services.tracking's one rule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.carriers import registry
from wms.db import Database
from wms.domain.tracking import Tracker, TrackingEventIn, status_of
from wms.errors import NotFound, WmsError
from wms.models.tracking import ParcelTracking
from wms.services.tracking import record

SIGNATURE_TOLERANCE_S = 300


class WebhookRefused(WmsError):
    """A tracking webhook we do not take: unsigned, badly signed, replayed, malformed."""

    status = 401


def sign(secret: str, body: bytes, at: int) -> str:
    """The ``X-WMS-Signature`` header for ``body`` sent at unix time ``at``."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> None:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p) if header else {}
    if "t" not in parts or "v1" not in parts:
        raise WebhookRefused("missing_signature", "Signature missing", "X-WMS-Signature: t=,v1=")
    if not parts["t"].isdigit():
        raise WebhookRefused("bad_signature", "Bad signature", "t is not a unix time")
    expected = sign(secret, body, int(parts["t"])).split("v1=", 1)[1]
    if not hmac.compare_digest(expected.encode(), parts["v1"].encode()):
        raise WebhookRefused("bad_signature", "Bad signature", "the HMAC does not match")
    if abs((time.time() if now is None else now) - int(parts["t"])) > SIGNATURE_TOLERANCE_S:
        raise WebhookRefused("replayed_webhook", "Replayed webhook", "signature too old")


def parse_tracker(body: bytes) -> Tracker:
    """A karrio-shaped ``tracker_updated`` body as a Tracker; WmsError 422 when malformed."""
    try:
        data = json.loads(body)["data"]
        events = tuple(_event(e) for e in data.get("events", []))
        eta = data.get("estimated_delivery")
        return Tracker(
            str(data["tracking_number"]).strip().upper(),
            events,
            _when(eta, "") if eta else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WmsError("bad_payload", "Bad payload", f"tracker_updated: {exc!r}") from exc


def _when(date: str, clock: str) -> datetime:
    """karrio gives a date and a time apart, without a zone: read as UTC."""
    clock = clock or "00:00"
    fmt = "%Y-%m-%d %H:%M:%S" if clock.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(f"{date} {clock}", fmt).replace(tzinfo=UTC)


def _event(e: dict[str, Any]) -> TrackingEventIn:
    fields = [str(e.get(k) or "") for k in ("date", "time", "code", "status", "description")]
    # Carriers give events no id: the event is what it says, when it says it.
    key = hashlib.sha256("|".join(fields).encode()).hexdigest()[:40]
    return TrackingEventIn(
        key=key,
        occurred_at=_when(str(e["date"]), str(e.get("time") or "")),
        status=status_of(str(e.get("status") or "unknown")),
        description=str(e.get("description") or ""),
        location=str(e.get("location") or ""),
        code=str(e.get("code") or ""),
    )


async def receive_webhook(
    db: Database, carrier: str, body: bytes, signature: str
) -> dict[str, Any]:
    """One tracker_updated delivery from a carrier account, its signature checked first."""
    secret = registry.current().webhook_secrets.get(carrier.lower())
    if not secret:
        raise NotFound("unknown_carrier", "Unknown carrier", f"no tracking webhook for {carrier!r}")
    verify(secret, body, signature)
    tracker = parse_tracker(body)
    return await db.run(_record_from, carrier.lower(), tracker)


def _record_from(s: Session, carrier: str, tracker: Tracker) -> dict[str, Any]:
    number = tracker.tracking
    owner = s.scalar(select(ParcelTracking.carrier).where(ParcelTracking.tracking == number))
    if owner is not None and owner != carrier:
        # One account's webhook cannot move another carrier's parcels.
        raise NotFound("unknown_tracking", "Unknown tracking", f"{number} is not {carrier}'s")
    return record(s, tracker.tracking, tracker, "webhook")
