"""Parcels after the handover: the one rule that moves a parcel's tracking state, its views.

A parcel starts being tracked when it is handed over (``start``). Carrier events come two
ways and go through one rule (``record``): pulled by the poller (wms.services.tracking_poll)
and pushed by the signed tracking webhook (wms.services.tracking_webhook). Events are stored
append-only and deduplicated by key; one older than the parcel's last event is kept but
moves nothing (wms.domain.tracking). Each change of state is told to the order's channel
through the outbox, in order. An order is delivered when all its parcels are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from wms.carriers import registry
from wms.channels.registry import adapter_for as channel_adapter
from wms.db import background, reads
from wms.domain.orders import OrderStatus
from wms.domain.tracking import (
    FINAL,
    Tracker,
    TrackingEventIn,
    TrackingStatus,
    moves,
    order_delivered,
)
from wms.errors import NotFound
from wms.models import Channel, OrderLine, SalesOrder
from wms.models.common import utcnow
from wms.models.picking import FloorException
from wms.models.shipping import Parcel, Return, ReturnLine
from wms.models.tracking import ParcelTracking, TrackingEvent
from wms.services import channels, outbox_rows
from wms.services.outbox_handlers import handles

# Trouble raised as a floor exception, with what customer service should do about it.
TROUBLE = {
    "late": ("parcel_late", "no news from the carrier in time: contact the carrier, reship"),
    "delivery_failed": ("parcel_failed", "delivery failed: contact the carrier or the buyer"),
    "return_to_sender": ("parcel_returning", "coming back: a return is open, receive it"),
}


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
    found = record_many(s, [tracker], source)
    if not found:
        raise NotFound("unknown_tracking", "Unknown tracking", f"no parcel tracked as {tracking}")
    return found[0]


_SEEN = select(TrackingEvent.parcel_id, TrackingEvent.event_key).where(
    TrackingEvent.parcel_id.in_(bindparam("ids", expanding=True))
)


def tracked(s: Session, numbers: Iterable[str]) -> dict[str, ParcelTracking]:
    """The tracked parcels of ``numbers`` by number, locked for this transaction."""
    query = select(ParcelTracking).where(ParcelTracking.tracking.in_(set(numbers)))
    return {r.tracking: r for r in s.scalars(query.with_for_update())}


def record_many(
    s: Session,
    trackers: Sequence[Tracker],
    source: str,
    rows: Mapping[str, ParcelTracking] | None = None,
) -> list[dict[str, Any]]:
    """``record`` for many parcels in one go: what a poll batch writes (unknown numbers skipped).

    The parcels (``rows``, when the caller has them from ``tracked``), their known events,
    orders and channels are read once for the batch, and the events and outbox rows written
    in one statement each: per parcel, ORM objects and lookups cost most of a polling pass
    (and the writer's turn the floor waits for).
    """
    if rows is None:
        rows = tracked(s, (t.tracking for t in trackers))
    if not rows:
        return []
    seen: dict[int, set[str]] = defaultdict(set)
    ids = sorted(r.parcel_id for r in rows.values())
    for parcel_id, key in s.connection().execute(_SEEN, {"ids": ids}):
        seen[parcel_id].add(key)
    # Loaded for _tell_channel's s.get, and held in a name: the identity map keeps only
    # what someone refers to.
    orders = s.scalars(
        select(SalesOrder).where(SalesOrder.id.in_({r.order_id for r in rows.values()}))
    ).all()
    # The channels' codes only: a Channel row decrypts its secrets as it loads.
    codes: dict[int, str] = {i: c for i, c in s.execute(select(Channel.id, Channel.code))}
    now = utcnow()
    events: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    answers = []
    with s.no_autoflush:
        for tracker in trackers:
            row = rows.get(tracker.tracking)
            if row is not None:
                answers.append(
                    _record_one(
                        s, row, tracker, source, seen[row.parcel_id], now, codes, events, outbox
                    )
                )
    del orders
    # Plain Core inserts, one statement each (the ORM's bulk insert costs twice as much).
    if events:
        s.connection().execute(TrackingEvent.__table__.insert(), events)
    outbox_rows.add(s, outbox)
    for answer in answers:
        if answer.pop("_final"):
            s.flush()  # the order's other parcels are counted from the database
            answer["order_delivered"] = _deliver_order(s, answer.pop("_order_id"))
        else:
            answer.pop("_order_id")
    return answers


def _record_one(
    s: Session, row: ParcelTracking, tracker: Tracker, source: str, seen: set[str],
    now: datetime, codes: dict[int, str], events: list[dict[str, Any]],
    outbox: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """The one rule for one parcel: its new events (to ``events``), its state, its changes told."""
    new = applied = 0
    told: list[TrackingEventIn] = []
    for event in sorted(tracker.events, key=lambda e: e.occurred_at):
        if event.key in seen:
            continue  # the same event polled again, or a webhook delivered twice
        seen.add(event.key)
        moved = moves(row.status, row.last_event_at, event)
        events.append(
            {"parcel_id": row.parcel_id, "event_key": event.key[:80],
             "occurred_at": event.occurred_at, "status": str(event.status),
             "code": event.code[:40], "description": event.description[:300],
             "location": event.location[:200], "source": source, "applied": moved,
             "received_at": now}
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
        outbox += _tell_channel(s, row, told, now, codes)
    if row.status in TROUBLE and row.troubled != row.status:
        _raise_trouble(s, row, row.status)
    return {
        "tracking": row.tracking,
        "status": row.status,
        "new_events": new,
        "applied": applied,
        "order_delivered": False,
        "_final": row.status in FINAL,
        "_order_id": row.order_id,
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


@background  # the poll pass's: it yields the writer as the pass's batches do
def flag_late(s: Session, now: datetime, silence: timedelta) -> int:
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


def _tell_channel(
    s: Session, row: ParcelTracking, changes: list[TrackingEventIn], now: datetime,
    codes: dict[int, str],
) -> list[dict[str, Any]]:  # fmt: skip
    """One outbox row per change of state, in the same transaction, each following the last.

    ``codes``: the channels' codes by id.
    """
    order = s.get(SalesOrder, row.order_id)
    code = codes.get(order.channel_id) if order is not None else None
    if order is None or code is None:
        return []
    rows = []
    for event in changes:
        event_id = uuid.uuid4().hex
        rows.append(
            {
                "event_id": event_id,
                "kind": "tracking_event",
                "channel_id": order.channel_id,
                # Claimed only once the change before it is told: in order, and the later
                # change is never taken early, failed and backed off (issue 19's bench).
                "after_event": row.last_told or None,
                # Its own key (never coalesced): every change is told, once.
                "dedupe_key": f"tracking_event:{row.parcel_id}:{event.key}"[:120],
                "payload": {
                    "channel": code,
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
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
                "lease_owner": 0,
            }
        )
        row.last_told = event_id
    return rows


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


@reads
def parcel_tracking(s: Session, parcel_id: int) -> dict[str, Any]:
    row = s.get(ParcelTracking, parcel_id)
    if row is None:
        raise NotFound("not_tracked", "Not handed over", f"parcel {parcel_id} is not tracked yet")
    return _view(s, row)


@reads
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


# -- the channel told ------------------------------------------------------------------------


@handles("tracking_event")
async def deliver_tracking_event(worker: Any, payload: dict[str, Any], event_id: str) -> None:
    """Outbox handler for ``tracking_event`` rows: the channel's adapter tells it.

    Rows of one parcel come here in order: the worker does not claim a row before the one
    it follows (``Outbox.after_event``) is told.
    """
    _, config = await channels.config_for(worker.db, payload["channel"])
    await channel_adapter(config.kind).push_tracking_event(
        config, payload["order_external_id"], payload["event"], event_id, worker.http
    )
