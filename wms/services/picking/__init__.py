"""Picking a cart batch: claim, bind totes, confirm, short, skip, pause, hand over, finish.

Every call is one write transaction that checks everything before it changes anything,
so a wrong scan leaves the database as it was (invariant 7). A confirmed pick moves the
units out of the location (ledger) and out of the line's reservation in the same breath,
so `wms check` holds after every call. Each write answers with the picker's screen
(`BatchView`), read in the same transaction.

The modules: `guards` (the checks), `view` (the screen), `claim` (claim, bind totes),
`pick` (confirm, skip), `short` (short picks and re-planning), `close` (pause, resume,
hand over, finish), `exceptions`, `totes` (a tote's contents).
"""

from __future__ import annotations

from typing import Any

from wms.db import Database
from wms.domain.layout import Geometry
from wms.services.picking import claim, close, pick
from wms.services.picking import short as shorts
from wms.services.picking.exceptions import exception_list, resolve
from wms.services.picking.guards import Picker
from wms.services.picking.short import add_stops
from wms.services.picking.totes import ToteContents
from wms.services.picking.totes import tote_contents as _tote_contents
from wms.services.picking.view import BatchView, batch_view

__all__ = [
    "BatchView", "Picker", "ToteContents", "add_stops", "bind_tote", "confirm", "exceptions",
    "finish", "get_batch", "handover", "next_batch", "pause", "resolve_exception", "resume",
    "short", "skip", "tote_contents",
]  # fmt: skip


async def next_batch(db: Database, picker: Picker) -> BatchView:
    """The caller's current batch, or the oldest released one, claimed for them alone."""
    return await db.run(claim.claimed, picker)


async def get_batch(db: Database, batch_id: int) -> BatchView:
    return await db.run(batch_view, batch_id)


async def bind_tote(
    db: Database, batch_id: int, slot_no: int, raw: str, picker: Picker
) -> BatchView:
    return await db.run(claim.tote_bound, batch_id, slot_no, raw, picker)


async def confirm(
    db: Database,
    task_id: int,
    *,
    location: str,
    item: str,
    qty: int | None,
    tote: str,
    picker: Picker,
    lot: str | None = None,
) -> BatchView:
    return await db.run(
        pick.confirmed,
        task_id,
        location=location,
        item=item,
        qty=qty,
        tote=tote,
        picker=picker,
        lot=lot,
    )


async def short(
    db: Database,
    geo: Geometry,
    task_id: int,
    *,
    found: int,
    item: str | None,
    tote: str | None,
    picker: Picker,
) -> BatchView:
    """Fewer units than planned: pick what is there, write off the rest, find it elsewhere."""
    return await db.run(
        shorts.shorted, geo, task_id, found=found, item=item, tote=tote, picker=picker
    )


async def skip(db: Database, task_id: int, picker: Picker) -> BatchView:
    return await db.run(pick.skipped, task_id, picker)


async def pause(db: Database, batch_id: int, picker: Picker) -> BatchView:
    return await db.run(close.paused, batch_id, picker)


async def resume(db: Database, batch_id: int, picker: Picker) -> BatchView:
    return await db.run(close.resumed, batch_id, picker)


async def handover(db: Database, batch_id: int, badge: str, picker: Picker) -> BatchView:
    """Another picker takes the cart over (end of shift): the batch becomes theirs, paused."""
    return await db.run(close.handed_over, batch_id, badge, picker)


async def finish(db: Database, batch_id: int, drop: str, picker: Picker) -> BatchView:
    return await db.run(close.finished, batch_id, drop, picker)


async def exceptions(db: Database, status: str | None = "open") -> list[dict[str, Any]]:
    return await db.run(exception_list, status)


async def resolve_exception(
    db: Database, exception_id: int, user_id: int | None = None, note: str = ""
) -> dict[str, Any]:
    return await db.run(resolve, exception_id, user_id, note)


async def tote_contents(db: Database, code: str) -> ToteContents:
    """What a tote holds: its order and the units picked into it, and where it stands."""
    return await db.run(_tote_contents, code.strip().upper())
