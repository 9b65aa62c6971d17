"""Parcels after the handover: tracking state from carrier polls and signed webhooks.

A parcel starts being tracked when it is handed over (``start``). Carrier events come two
ways and go through one rule (``record``): pulled by ``poll_pass`` (each carrier adapter's
``track(numbers)``, called outside any transaction, in batches per carrier, backing off on
failures, stopping at a final state or after ``MAX_AGE``) and pushed by the tracking
webhook (``receive_webhook``). Events are stored append-only and deduplicated by key; one
older than the parcel's last event is kept but moves nothing (wms.domain.tracking). An
order is delivered when all its parcels are.

The webhook, one per carrier account (``/webhooks/tracking/{carrier}``), takes a karrio
``tracker_updated``-shaped body::

    {"id": "evt_1", "type": "tracker_updated",
     "data": {"tracking_number": "…", "estimated_delivery": "2026-12-03",
              "events": [{"date": "2026-12-01", "time": "10:20", "code": "IT",
                          "status": "in_transit", "description": "…", "location": "…"}]}}

signed in header ``X-WMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>." + raw body)>``; the secret is the account's ``webhook_secret_env`` variable. A
signature older than ``SIGNATURE_TOLERANCE_S`` is a replay and refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wms.carriers import registry
from wms.channels.registry import adapter_for as channel_adapter
from wms.db import Database
from wms.domain.orders import OrderStatus
from wms.domain.tracking import (
    FINAL,
    Tracker,
    TrackingEventIn,
    TrackingStatus,
    moves,
    order_delivered,
    status_of,
)
from wms.errors import NotFound, WmsError
from wms.models import Channel, OrderLine, Outbox, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import FloorException
from wms.models.shipping import Parcel, Return, ReturnLine
from wms.models.tracking import ParcelTracking, TrackingEvent
from wms.services import channels
from wms.services.outbox_handlers import DeliveryError, handles

log = logging.getLogger(__name__)

BATCH = 100  # tracking numbers per carrier call (karrio batches per carrier too)
# Parcels written per transaction: few enough that the floor's writes, waiting their turn
# on SQLite, wait tens of milliseconds; enough that a pass is not a transaction a parcel.
WRITE_BATCH = 20
POLL_EVERY = timedelta(minutes=30)  # a parcel in transit is asked about this often
MAX_BACKOFF = timedelta(hours=6)
MAX_AGE = timedelta(days=30)  # after this long the poller stops asking
SIGNATURE_TOLERANCE_S = 300
# Trouble raised as a floor exception, with what customer service should do about it.
TROUBLE = {
    "late": ("parcel_late", "no news from the carrier in time: contact the carrier, reship"),
    "delivery_failed": ("parcel_failed", "delivery failed: contact the carrier or the buyer"),
    "return_to_sender": ("parcel_returning", "coming back: a return is open, receive it"),
}


class WebhookRefused(WmsError):
    """A tracking webhook we do not take: unsigned, badly signed, replayed, malformed."""

    status = 401


# -- the one rule ----------------------------------------------------------------------------


def start(s: Session | Any, parcel: Parcel, now: datetime) -> ParcelTracking:
    """Track a parcel from its handover on (the poller asks at once)."""
    row = ParcelTracking(
        parcel_id=parcel.id,  # type: ignore[arg-type]
        order_id=parcel.order_id,
        carrier=parcel.carrier,
        tracking=parcel.tracking or "",
        next_poll_at=now,
        handed_over_at=now,
        updated_at=now,
    )
    s.add(row)
    return row


def record(s: Session, tracking: str, tracker: Tracker, source: str) -> dict[str, Any]:
    """Store a carrier's events for one parcel; move its state by the newer ones only."""
    row = s.execute(
        select(ParcelTracking).where(ParcelTracking.tracking == tracking).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown_tracking", "Unknown tracking", f"no parcel tracked as {tracking}")
    seen = set(
        s.scalars(select(TrackingEvent.event_key).where(TrackingEvent.parcel_id == row.parcel_id))
    )
    now = utcnow()
    new = applied = 0
    told: list[TrackingEventIn] = []
    for event in sorted(tracker.events, key=lambda e: e.occurred_at):
        if event.key in seen:
            continue  # the same event polled again, or a webhook delivered twice
        seen.add(event.key)
        moved = moves(row.status, row.last_event_at, event)
        s.add(
            TrackingEvent(
                parcel_id=row.parcel_id, event_key=event.key[:80], occurred_at=event.occurred_at,
                status=event.status, code=event.code[:40], description=event.description[:300],
                location=event.location[:200], source=source, applied=moved, received_at=now,
            )
        )  # fmt: skip
        new += 1
        if moved:
            applied += 1
            if event.status != row.status:
                told.append(event)
            row.status, row.last_event_at = str(event.status), event.occurred_at
            if event.status == TrackingStatus.DELIVERED:
                row.delivered_at = event.occurred_at
    if tracker.estimated_delivery is not None:
        row.estimated_delivery = tracker.estimated_delivery
    row.updated_at = now
    if row.status in FINAL:
        row.next_poll_at = None
    if told:
        _tell_channel(s, row, told)
    if row.status in TROUBLE and row.troubled != row.status:
        _raise_trouble(s, row, row.status)
    delivered = False
    if row.status in FINAL:
        s.flush()  # the order's other parcels are counted from the database
        delivered = _deliver_order(s, row.order_id)
    return {
        "tracking": tracking,
        "status": row.status,
        "new_events": new,
        "applied": applied,
        "order_delivered": delivered,
    }


def _raise_trouble(s: Session, row: ParcelTracking, trouble: str) -> None:
    """A troubled parcel becomes an exception (once per trouble); a returning one, a return."""
    kind, action = TROUBLE[trouble]
    row.troubled = trouble
    message = f"parcel {row.tracking}: {action}"
    s.add(FloorException(kind=kind, order_id=row.order_id, message=message[:300]))
    if trouble == "return_to_sender":
        _open_return(s, row)


def _open_return(s: Session, row: ParcelTracking) -> None:
    """The parcel's contents, expected back: the return desk receives it like any other."""
    order, parcel = s.get(SalesOrder, row.order_id), s.get(Parcel, row.parcel_id)
    if order is None or parcel is None:
        return
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return
    reason = f"returned to sender: {row.tracking}"
    ret = Return(order_id=order.id, source="carrier", reason=reason)  # type: ignore[arg-type]
    s.add(ret)
    s.flush()
    for line_id, qty in parcel.contents.items():
        line = s.get(OrderLine, int(line_id))
        if line is not None and qty > 0:
            s.add(ReturnLine(return_id=ret.id, order_line_id=line.id, product_id=line.product_id,  # type: ignore[arg-type]
                             sku=line.sku, qty=qty))  # fmt: skip


def _flag_late(s: Session, now: datetime, silence: timedelta) -> int:
    """Parcels with no event for ``silence`` after the last, or past their estimate."""
    quiet = func.coalesce(ParcelTracking.last_event_at, ParcelTracking.handed_over_at)
    rows = s.scalars(
        select(ParcelTracking).where(
            ParcelTracking.status.not_in([str(x) for x in FINAL]),
            ParcelTracking.troubled == "",
            (quiet < now - silence) | (ParcelTracking.estimated_delivery < now),
        )
    ).all()
    for row in rows:
        _raise_trouble(s, row, "late")
    return len(rows)


def _tell_channel(s: Session, row: ParcelTracking, changes: list[TrackingEventIn]) -> None:
    """One outbox row per change of state, in the same transaction (delivered in order)."""
    order = s.get(SalesOrder, row.order_id)
    channel = s.get(Channel, order.channel_id) if order is not None else None
    if order is None or channel is None:
        return
    for event in changes:
        s.add(
            Outbox(
                event_id=uuid.uuid4().hex,
                kind="tracking_event",
                channel_id=channel.id,
                # Its own key (never coalesced): every change is told, once.
                dedupe_key=f"tracking_event:{row.parcel_id}:{event.key}"[:120],
                payload={
                    "channel": channel.code,
                    "order_external_id": order.external_id,
                    "parcel_id": row.parcel_id,
                    "event": {
                        "tracking": row.tracking,
                        "status": str(event.status),
                        "at": event.occurred_at.isoformat(),
                        "description": event.description,
                        "location": event.location,
                    },
                },
            )
        )


def _deliver_order(s: Session, order_id: int) -> bool:
    """A shipped order becomes delivered when every one of its parcels is."""
    order = s.get(SalesOrder, order_id)
    if order is None or order.status != OrderStatus.SHIPPED:
        return False
    parcels = s.scalar(select(func.count()).where(Parcel.order_id == order_id)) or 0
    statuses = list(
        s.scalars(select(ParcelTracking.status).where(ParcelTracking.order_id == order_id))
    )
    if len(statuses) < parcels or not order_delivered(statuses):
        return False
    order.status, order.updated_at = OrderStatus.DELIVERED, utcnow()
    return True


# -- pushed: the signed webhook -------------------------------------------------------------


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


# -- pulled: the poller ------------------------------------------------------------------------


def _due(s: Session, now: datetime, limit: int) -> list[tuple[str, str, datetime]]:
    rows = s.execute(
        select(ParcelTracking.carrier, ParcelTracking.tracking, ParcelTracking.handed_over_at)
        .where(ParcelTracking.next_poll_at.is_not(None), ParcelTracking.next_poll_at <= now)
        .order_by(ParcelTracking.next_poll_at)
        .limit(limit)
    ).all()
    return [(r.carrier, r.tracking, r.handed_over_at) for r in rows]


def _reschedule(
    s: Session, numbers: Sequence[str], now: datetime, failed: bool, every: timedelta
) -> None:
    for row in s.scalars(select(ParcelTracking).where(ParcelTracking.tracking.in_(numbers))):
        if row.status in FINAL:
            row.next_poll_at = None
            continue
        if row.handed_over_at < now - MAX_AGE:
            row.next_poll_at = None  # too old to ask about: an exception for a person
            continue
        if failed:
            row.poll_failures += 1
            row.next_poll_at = now + min(every * 2**row.poll_failures, MAX_BACKOFF)
        else:
            row.poll_failures, row.next_poll_at = 0, now + every


def _apply(
    s: Session,
    trackers: Sequence[Tracker],
    numbers: Sequence[str],
    now: datetime,
    every: timedelta,
) -> dict[str, int]:
    """One carrier batch's answers and its reschedule in one transaction (not one a parcel)."""
    asked, new_events, delivered = set(numbers), 0, 0
    # The batch's parcels, orders and channels loaded once (``record`` then finds them in the
    # session), and its writes flushed together: a flush per lookup cost most of a pass.
    # Held in names: the session's identity map keeps only what someone refers to.
    rows = s.scalars(select(ParcelTracking).where(ParcelTracking.tracking.in_(numbers))).all()
    order_ids = {r.order_id for r in rows}
    orders = s.scalars(select(SalesOrder).where(SalesOrder.id.in_(order_ids))).all()
    channels = s.scalars(select(Channel)).all()
    with s.no_autoflush:
        for tracker in trackers:
            if tracker.tracking in asked and tracker.events:
                done = record(s, tracker.tracking, tracker, "poll")
                new_events += done["new_events"]
                delivered += int(done["order_delivered"])
    del orders, channels
    _reschedule(s, numbers, now, False, every)
    return {"new_events": new_events, "delivered_orders": delivered}


async def poll_pass(
    db: Database, limit: int = 10_000, now: datetime | None = None
) -> dict[str, int]:
    """Ask each carrier about its due parcels, in batches, outside any transaction.

    ``now``: the pass's clock (the server's own; a bench asks as if later).
    """
    now = now or utcnow()
    late = await db.run(_flag_late, now, registry.current().silence)
    due = await db.read_run(_due, now, limit)
    by_carrier: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for carrier, tracking, since in due:
        by_carrier[carrier].append((tracking, since))
    counts = {"asked": 0, "failed": 0, "new_events": 0, "delivered_orders": 0, "late": late}
    for carrier, parcels in by_carrier.items():
        adapter = registry.current().tracker_for(carrier)
        every = registry.current().poll_every.get(carrier, POLL_EVERY)
        for i in range(0, len(parcels), BATCH):
            batch = parcels[i : i + BATCH]
            numbers = [t for t, _ in batch]
            try:
                if adapter is None:
                    raise LookupError(f"carrier {carrier} is no longer configured")
                trackers = await asyncio.to_thread(adapter.track, numbers, dict(batch))
            except Exception:  # a carrier down is a retry later, never a stopped poller
                log.exception("tracking %d parcels of %s failed", len(numbers), carrier)
                counts["failed"] += len(numbers)
                await db.run(_reschedule, numbers, now, True, every)
                continue
            counts["asked"] += len(numbers)
            answered = {t.tracking: t for t in trackers}
            for j in range(0, len(numbers), WRITE_BATCH):
                part = numbers[j : j + WRITE_BATCH]
                mine = [answered[n] for n in part if n in answered]
                done = await db.run_long(_apply, mine, part, now, every)
                counts["new_events"] += done["new_events"]
                counts["delivered_orders"] += done["delivered_orders"]
    return counts


class Poller:
    """Runs ``poll_pass`` every ``every_s`` seconds until stopped (in the server's workers)."""

    def __init__(self, db: Database, every_s: float = 60.0) -> None:
        self.db, self.every_s = db, every_s
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await poll_pass(self.db)
            except Exception:  # the next pass tries again
                log.exception("tracking poll pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every_s)


# -- views -----------------------------------------------------------------------------------

_EVENTS = (
    select(
        TrackingEvent.occurred_at, TrackingEvent.status, TrackingEvent.description,
        TrackingEvent.location, TrackingEvent.applied,
    )
    .where(TrackingEvent.parcel_id == bindparam("parcel"))
    .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
)  # fmt: skip


def _view(s: Session, row: ParcelTracking) -> dict[str, Any]:
    events = s.execute(_EVENTS, {"parcel": row.parcel_id}).all()
    eta = row.estimated_delivery
    return {
        "parcel_id": row.parcel_id,
        "tracking": row.tracking,
        "carrier": row.carrier,
        "status": row.status,
        "estimated_delivery": eta.isoformat() if eta else None,
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
        "events": [
            {
                "at": e.occurred_at.isoformat(),
                "status": e.status,
                "description": e.description,
                "location": e.location,
                "applied": e.applied,
            }
            for e in events
        ],
    }


def parcel_tracking(s: Session, parcel_id: int) -> dict[str, Any]:
    row = s.get(ParcelTracking, parcel_id)
    if row is None:
        raise NotFound("not_tracked", "Not handed over", f"parcel {parcel_id} is not tracked yet")
    return _view(s, row)


def public_view(s: Session, number: str, postal_code: str) -> dict[str, Any] | None:
    """The buyer's view: only with the destination postal code, and no personal data."""
    row = s.scalar(select(ParcelTracking).where(ParcelTracking.tracking == number.strip().upper()))
    if row is None:
        return None
    order = s.get(SalesOrder, row.order_id)
    if order is None or _postal(order.ship_postal_code) != _postal(postal_code) or not postal_code:
        return None
    view = _view(s, row)
    for event in view["events"]:
        event.pop("applied")
    return {"merchant": registry.sender().name, **{k: view[k] for k in (
        "tracking", "status", "estimated_delivery", "delivered_at", "events")}}  # fmt: skip


def _postal(code: str) -> str:
    return "".join(code.split()).upper()


async def start_tracking(s: AsyncSession, parcel: Parcel) -> None:
    """At the handover (shipping.hand_over, an async session)."""
    start(s, parcel, utcnow())


# -- the channel told ------------------------------------------------------------------------


def _earlier_untold(s: Session, parcel_id: int, event_id: str) -> bool:
    """Whether an older change of this parcel still waits to be told (they go in order)."""
    mine = s.scalar(select(Outbox.id).where(Outbox.event_id == event_id))
    older = s.scalar(
        select(Outbox.id)
        .where(
            Outbox.kind == "tracking_event",
            Outbox.dedupe_key.startswith(f"tracking_event:{parcel_id}:"),
            Outbox.status.not_in(("sent", "dead")),
            Outbox.id < (mine or 0),
        )
        .limit(1)
    )
    return older is not None


@handles("tracking_event")
async def deliver_tracking_event(worker: Any, payload: dict[str, Any], event_id: str) -> None:
    """Outbox handler for ``tracking_event`` rows: the channel's adapter tells it."""
    if await worker.db.read_run(_earlier_untold, int(payload["parcel_id"]), event_id):
        raise DeliveryError("an earlier tracking change of this parcel is not told yet")
    _, config = await channels.config_for(worker.db, payload["channel"])
    await channel_adapter(config.kind).push_tracking_event(
        config, payload["order_external_id"], payload["event"], event_id, worker.http
    )
