"""Returns the channels announce: opened once per channel return, answered as a webhook wants."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database
from wms.errors import Conflict, NotFound
from wms.models import Channel, SalesOrder
from wms.models.shipping import Return
from wms.services.returns import open_return, view


def open_from_channel(
    s: Session,
    channel_code: str,
    external_order_id: str,
    return_id: str,
    wanted: list[tuple[str, int]] | None = None,
    reason: str = "",
) -> tuple[Return, bool]:
    """The channel's return event; a replay of the same return id gives back the same return."""
    channel = (s.execute(select(Channel).where(Channel.code == channel_code))).scalar_one_or_none()
    if channel is None:
        raise NotFound("unknown_channel", "Unknown channel", f"no channel {channel_code!r}")
    existing = (
        s.execute(
            select(Return).where(Return.channel_id == channel.id, Return.external_id == return_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    order = (
        s.execute(
            select(SalesOrder).where(
                SalesOrder.channel_id == channel.id, SalesOrder.external_id == external_order_id
            )
        )
    ).scalar_one_or_none()
    if order is None:
        raise NotFound("unknown_order", "Unknown order", f"no order {external_order_id!r}")
    ret = open_return(
        s, order, wanted, reason=reason, source="channel", channel_id=channel.id,
        external_id=return_id,
    )  # fmt: skip
    return ret, True


async def open_channel(
    db: Database,
    channel: str,
    external_order_id: str,
    return_id: str,
    wanted: list[tuple[str, int]] | None,
    reason: str,
) -> tuple[dict[str, Any], bool]:
    return await db.run(_open_channel, channel, external_order_id, return_id, wanted, reason)


def _open_channel(
    s: Session,
    channel: str,
    external_order_id: str,
    return_id: str,
    wanted: list[tuple[str, int]] | None,
    reason: str,
) -> tuple[dict[str, Any], bool]:
    ret, created = open_from_channel(s, channel, external_order_id, return_id, wanted, reason)
    return view(s, ret), created


async def on_channel_event(
    db: Database, channel_code: str, external_order_id: str, event_id: str
) -> dict[str, Any]:
    """A verified return webhook (EventKind.RETURN): open the return once per order.

    Channels send several notifications per return (requested, approved, shipped back...)
    and the parsed event carries no return id, so an unfinished channel return of the same
    order is the same return. A webhook must be answered 200: what cannot be returned (an
    unknown or unshipped order) is reported as ignored, not as an error.
    """
    try:
        return await db.run(_on_channel_event, channel_code, external_order_id, event_id)
    except (NotFound, Conflict) as exc:
        return {"status": "ignored", "reason": exc.code}


def _on_channel_event(
    s: Session, channel_code: str, external_order_id: str, event_id: str
) -> dict[str, Any]:
    channel = s.execute(select(Channel).where(Channel.code == channel_code)).scalar_one()
    pending = (
        s.execute(
            select(Return)
            .join(SalesOrder, SalesOrder.id == Return.order_id)
            .where(
                Return.channel_id == channel.id,
                SalesOrder.external_id == external_order_id,
                Return.status != "done",
            )
        )
        .scalars()
        .first()
    )
    if pending is not None:
        return {"status": "duplicate", "return_id": pending.id}
    ret, _ = open_from_channel(s, channel_code, external_order_id, event_id[:64])
    return {"status": "created", "return_id": ret.id}
