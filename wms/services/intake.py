"""What a verified webhook does: take the order, follow its status, or queue a fetch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.channels.events import EventKind, WebhookEvent
from wms.db import Database
from wms.models import InboundEvent
from wms.services import channel_returns, orders, outbox_rows


async def handle_event(
    db: Database, channel_code: str, channel_id: int, event: WebhookEvent
) -> dict[str, Any]:
    if event.order is not None:
        result = await orders.intake(
            db, channel_code, event.order, event_id=event.event_id, topic=event.topic
        )
        return {
            "status": "created" if result.created else "duplicate",
            "order_id": result.order_id,
            "order_status": result.status,
        }
    if event.needs_fetch:
        return await _queue_fetch(db, channel_code, channel_id, event)
    if event.kind == EventKind.RETURN:
        return await channel_returns.on_channel_event(
            db, channel_code, event.external_order_id, event.event_id
        )
    if event.kind == EventKind.CANCEL:
        order = await orders.cancel_external(
            db, channel_id, event.external_order_id, event_id=event.event_id, topic=event.topic
        )
        return {"status": "cancelled" if order else "ignored", "order_id": order and order.id}
    return await _record_only(db, channel_id, event)


async def _queue_fetch(
    db: Database, channel_code: str, channel_id: int, event: WebhookEvent
) -> dict[str, Any]:
    """Answer at once and fetch the order in the background (TikTok wants a reply within 3 s).

    The notification and the fetch are written together, so a crash loses neither; several
    notifications for one order share one pending fetch.
    """
    return await db.run(_record_and_fetch, channel_code, channel_id, event)


def _record_and_fetch(
    s: Session, channel_code: str, channel_id: int, event: WebhookEvent
) -> dict[str, Any]:
    seen = _seen(s, channel_id, event.event_id)
    if seen is not None:
        return {"status": "duplicate", "order_id": seen.order_id}
    s.add(
        InboundEvent(
            channel_id=channel_id,
            event_id=event.event_id[:120],
            topic=event.topic[:60],
            order_external_id=event.external_order_id,
            status="pending",
        )
    )
    fetch = {
        "kind": "order_fetch",
        "channel_id": channel_id,
        "dedupe_key": f"fetch:{channel_id}:{event.external_order_id}",
        "payload": {
            "channel": channel_code,
            "order_id": event.external_order_id,
            "event_id": event.event_id,
            "topic": event.topic,
        },
    }
    outbox_rows.add(s, [fetch], on_pending="keep")
    return {"status": "accepted", "order_external_id": event.external_order_id}


async def _record_only(db: Database, channel_id: int, event: WebhookEvent) -> dict[str, Any]:
    return await db.run(_record, channel_id, event)


def _record(s: Session, channel_id: int, event: WebhookEvent) -> dict[str, Any]:
    if _seen(s, channel_id, event.event_id) is None:
        s.add(
            InboundEvent(
                channel_id=channel_id,
                event_id=event.event_id[:120],
                topic=event.topic[:60],
                order_external_id=event.external_order_id,
                status="done",
            )
        )
    return {"status": "recorded", "kind": str(event.kind)}


def _seen(s: Session, channel_id: int, event_id: str) -> InboundEvent | None:
    return s.execute(
        select(InboundEvent).where(
            InboundEvent.channel_id == channel_id, InboundEvent.event_id == event_id
        )
    ).scalar_one_or_none()
